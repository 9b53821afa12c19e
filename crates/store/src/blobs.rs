//! File bytes by content: every uploaded file is kept once under its SHA-256, in the database,
//! so no file ever sits under a folder a web server could serve and every app server sees it.

use sqlx::{Any, Executor};

use crate::Result;

/// Stores bytes under their SHA-256 once; the same file uploaded twice is kept once.
pub async fn put<'e>(ex: impl Executor<'e, Database = Any>, sha256: &str, bytes: &[u8]) -> Result<()> {
    sqlx::query(
        "INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256.to_string())
    .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
    .bind(bytes.to_vec())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn get<'e>(ex: impl Executor<'e, Database = Any>, sha256: &str) -> Result<Option<Vec<u8>>> {
    Ok(sqlx::query_scalar("SELECT bytes FROM blobs WHERE sha256 = $1")
        .bind(sha256.to_string())
        .fetch_optional(ex)
        .await?)
}
