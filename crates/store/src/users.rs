//! People and agencies that sign in.

use sqlx::{Any, Executor};

use crate::{Result, StoreError};

#[derive(Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub kind: String,
    pub username: Option<String>,
    pub national_id: Option<String>,
    pub mobile: Option<String>,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_enabled: i64,
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserRow {
    pub fn totp_enabled(&self) -> bool {
        crate::flag(self.totp_enabled)
    }

    pub fn is_active(&self) -> bool {
        crate::flag(self.active)
    }
}

/// Secrets stay out of logs.
impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "[redacted]"))
            .field("totp_secret", &self.totp_secret.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, kind, username, national_id, mobile, display_name, password_hash, \
     totp_secret, totp_enabled, active, created_at, updated_at";

/// What a new account is made of.
pub struct NewUser<'a> {
    pub kind: &'a str,
    pub username: Option<&'a str>,
    pub national_id: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub display_name: &'a str,
    pub search_key: &'a str,
    pub password_hash: Option<&'a str>,
}

/// Inserts a user; a taken username or national ID is [`StoreError::UniqueViolation`].
pub async fn insert<'e>(ex: impl Executor<'e, Database = Any>, user: &NewUser<'_>, now: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (kind, username, national_id, mobile, display_name, search_key, \
         password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(user.kind.to_string())
    .bind(user.username.map(str::to_string))
    .bind(user.national_id.map(str::to_string))
    .bind(user.mobile.map(str::to_string))
    .bind(user.display_name.to_string())
    .bind(user.search_key.to_string())
    .bind(user.password_hash.map(str::to_string))
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

pub async fn get<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?)
}

pub async fn find_by_username<'e>(
    ex: impl Executor<'e, Database = Any>,
    username: &str,
) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(username.to_string()).fetch_optional(ex).await?)
}

pub async fn find_by_national_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    national_id: &str,
) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE national_id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(national_id.to_string()).fetch_optional(ex).await?)
}

/// Users whose folded name, username or national ID contains `key` (already a search key).
pub async fn search<'e>(
    ex: impl Executor<'e, Database = Any>,
    key: &str,
    limit: i64,
) -> Result<Vec<UserRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE search_key LIKE $1 OR username LIKE $1 \
         OR national_id LIKE $1 ORDER BY id LIMIT $2"
    );
    let pattern = format!("%{}%", key.replace(['%', '_'], ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(pattern).bind(limit).fetch_all(ex).await?)
}

pub async fn set_password_hash<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    hash: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash.to_string())
        .bind(now)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Records a staff member's national ID (an expert's certificate is held under it).
pub async fn set_national_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    national_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET national_id = $1, updated_at = $2 WHERE id = $3")
        .bind(national_id.to_string())
        .bind(now)
        .bind(id)
        .execute(ex)
        .await
        .map_err(crate::StoreError::classify)?;
    Ok(())
}

/// Stores a TOTP secret; `enabled` is set once the user proved they hold it.
pub async fn set_totp<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    secret: Option<&str>,
    enabled: bool,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = $2, updated_at = $3 WHERE id = $4")
        .bind(secret.map(str::to_string))
        .bind(i64::from(enabled))
        .bind(now)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_display_name<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    display_name: &str,
    search_key: &str,
    now: i64,
) -> Result<bool> {
    let done =
        sqlx::query("UPDATE users SET display_name = $1, search_key = $2, updated_at = $3 WHERE id = $4")
            .bind(display_name.to_string())
            .bind(search_key.to_string())
            .bind(now)
            .bind(id)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}
