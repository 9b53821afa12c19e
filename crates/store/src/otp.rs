//! One-time sign-in codes for citizens. The code itself is never stored, only its hash.

use sqlx::{Any, Executor};

use crate::Result;

#[derive(Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub id: i64,
    pub public_id: String,
    pub national_id: String,
    pub mobile: String,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i64,
    pub consumed_at: Option<i64>,
}

impl std::fmt::Debug for ChallengeRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChallengeRow")
            .field("public_id", &self.public_id)
            .field("code_hash", &"[redacted]")
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

pub struct NewChallenge<'a> {
    pub public_id: &'a str,
    pub national_id: &'a str,
    pub mobile: &'a str,
    pub code_hash: &'a str,
    pub expires_at: i64,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    c: &NewChallenge<'_>,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO otp_challenges (public_id, national_id, mobile, code_hash, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(c.public_id.to_string())
    .bind(c.national_id.to_string())
    .bind(c.mobile.to_string())
    .bind(c.code_hash.to_string())
    .bind(now)
    .bind(c.expires_at)
    .fetch_one(ex)
    .await?)
}

pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    public_id: &str,
) -> Result<Option<ChallengeRow>> {
    Ok(sqlx::query_as(
        "SELECT id, public_id, national_id, mobile, code_hash, created_at, expires_at, attempts, \
         consumed_at FROM otp_challenges WHERE public_id = $1",
    )
    .bind(public_id.to_string())
    .fetch_optional(ex)
    .await?)
}

/// Counts one attempt, unless the limit is reached or the challenge is spent or expired.
/// Returns false when no attempt may be made: the database decides, so concurrent guesses
/// cannot exceed the limit.
pub async fn count_attempt<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    max_attempts: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 \
         AND consumed_at IS NULL AND expires_at > $3",
    )
    .bind(id)
    .bind(max_attempts)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Spends the challenge; false if it was already spent (a replay or a race).
pub async fn consume<'e>(ex: impl Executor<'e, Database = Any>, id: i64, now: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE otp_challenges SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}
