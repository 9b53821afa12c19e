//! Sign-in sessions, kept in the database so that any app server can serve any request.
//! Only a SHA-256 of the cookie's token is stored: a leaked table does not sign anyone in.

use sqlx::{Any, Executor};

use crate::Result;

#[derive(Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: i64,
    pub membership_id: Option<i64>,
    pub awaiting_totp: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_timeout_s: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("token_hash", &"[redacted]")
            .field("user_id", &self.user_id)
            .field("membership_id", &self.membership_id)
            .finish_non_exhaustive()
    }
}

impl SessionRow {
    pub fn awaiting_totp(&self) -> bool {
        crate::flag(self.awaiting_totp)
    }

    /// Alive until idle for longer than its idle timeout or past its absolute expiry.
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at && now - self.last_seen_at <= self.idle_timeout_s
    }
}

pub async fn insert<'e>(ex: impl Executor<'e, Database = Any>, row: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, membership_id, awaiting_totp, created_at, \
         last_seen_at, idle_timeout_s, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(row.token_hash.clone())
    .bind(row.user_id)
    .bind(row.membership_id)
    .bind(row.awaiting_totp)
    .bind(row.created_at)
    .bind(row.last_seen_at)
    .bind(row.idle_timeout_s)
    .bind(row.expires_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// A live-or-not session with what every request needs of its holder, read in one query: the
/// account, and the role and scope of the membership the session acts in (absent when that
/// membership was since taken away).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionHolder {
    #[sqlx(flatten)]
    pub session: SessionRow,
    pub kind: String,
    pub display_name: String,
    pub active: i64,
    pub acting_membership_id: Option<i64>,
    pub role: Option<String>,
    pub office_id: Option<i64>,
    pub district_id: Option<i64>,
}

impl SessionHolder {
    pub fn is_active(&self) -> bool {
        crate::flag(self.active)
    }
}

pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> Result<Option<SessionHolder>> {
    Ok(sqlx::query_as(
        "SELECT s.token_hash, s.user_id, s.membership_id, s.awaiting_totp, s.created_at, s.last_seen_at, \
         s.idle_timeout_s, s.expires_at, u.kind, u.display_name, u.active, m.id AS acting_membership_id, \
         m.role, m.office_id, m.district_id \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN memberships m ON m.id = s.membership_id AND m.user_id = s.user_id \
         WHERE s.token_hash = $1",
    )
    .bind(token_hash.to_string())
    .fetch_optional(ex)
    .await?)
}

/// Records activity; written at most once a minute per session to spare the database.
pub async fn touch<'e>(ex: impl Executor<'e, Database = Any>, token_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $3")
        .bind(now)
        .bind(token_hash.to_string())
        .bind(now - 60)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_membership<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    membership_id: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE sessions SET membership_id = $1 WHERE token_hash = $2")
        .bind(membership_id)
        .bind(token_hash.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// Marks the second factor as given. Conditional, so two racing confirmations do one thing.
pub async fn clear_awaiting_totp<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> Result<bool> {
    let done =
        sqlx::query("UPDATE sessions SET awaiting_totp = 0 WHERE token_hash = $1 AND awaiting_totp = 1")
            .bind(token_hash.to_string())
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete<'e>(ex: impl Executor<'e, Database = Any>, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn delete_for_user<'e>(ex: impl Executor<'e, Database = Any>, user_id: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(ex).await?;
    Ok(done.rows_affected())
}

/// Removes sessions past their absolute expiry or idle for longer than a day.
pub async fn delete_expired<'e>(ex: impl Executor<'e, Database = Any>, now: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
        .bind(now)
        .bind(now - 86_400)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
