//! API keys of agencies: a public prefix to find the key and the hash of its secret.

use sqlx::{Any, Executor};

use crate::{Result, StoreError};

#[derive(Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: i64,
    pub user_id: i64,
    pub prefix: String,
    pub secret_hash: String,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl std::fmt::Debug for ApiKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRow")
            .field("prefix", &self.prefix)
            .field("secret_hash", &"[redacted]")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: i64,
    prefix: &str,
    secret_hash: &str,
    label: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO api_keys (user_id, prefix, secret_hash, label, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(prefix.to_string())
    .bind(secret_hash.to_string())
    .bind(label.to_string())
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

pub async fn find_by_prefix<'e>(
    ex: impl Executor<'e, Database = Any>,
    prefix: &str,
) -> Result<Option<ApiKeyRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, prefix, secret_hash, label, created_at, revoked_at FROM api_keys \
         WHERE prefix = $1",
    )
    .bind(prefix.to_string())
    .fetch_optional(ex)
    .await?)
}
