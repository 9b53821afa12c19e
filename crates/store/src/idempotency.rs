//! Idempotency keys of API requests: one row per caller and key, claimed before the request
//! runs and holding its response once it has run.

use sqlx::{Any, Executor};

use crate::{Result, Store};

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: i64,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: this request runs.
    Claimed,
    /// The key belongs to a different request.
    Mismatch,
    /// The same request holds the key and has not finished.
    InProgress,
    /// The same request has finished; here is its response.
    Done(StoredResponse),
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    request_hash: String,
    state: String,
    response_status: Option<i64>,
    response_content_type: Option<String>,
    response_body: Option<Vec<u8>>,
}

/// Claims `key` for `scope` and a request whose digest is `request_hash`. A row created at or
/// before `expired_before` is forgotten first, and so is an unfinished one created at or before
/// `abandoned_before` (its request outlived any server's timeout). The unique constraint on
/// (scope, key) decides between concurrent claims: exactly one inserts.
pub async fn claim(
    store: &Store,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: i64,
    expired_before: i64,
    abandoned_before: i64,
) -> Result<Claim> {
    let mut tx = store.begin_housekeeping().await?;
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 \
         AND (created_at <= $3 OR (state = 'in_progress' AND created_at <= $4))",
    )
    .bind(scope.to_string())
    .bind(key.to_string())
    .bind(expired_before)
    .bind(abandoned_before)
    .execute(tx.conn())
    .await?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at) \
         VALUES ($1, $2, $3, 'in_progress', $4) ON CONFLICT (scope, key) DO NOTHING RETURNING id",
    )
    .bind(scope.to_string())
    .bind(key.to_string())
    .bind(request_hash.to_string())
    .bind(now)
    .fetch_optional(tx.conn())
    .await?;
    let claim = match inserted {
        Some(_) => Claim::Claimed,
        None => {
            let row: KeyRow = sqlx::query_as(
                "SELECT request_hash, state, response_status, response_content_type, response_body \
                 FROM idempotency_keys WHERE scope = $1 AND key = $2",
            )
            .bind(scope.to_string())
            .bind(key.to_string())
            .fetch_one(tx.conn())
            .await?;
            existing(row, request_hash)
        }
    };
    tx.commit().await?;
    Ok(claim)
}

fn existing(row: KeyRow, request_hash: &str) -> Claim {
    if row.request_hash != request_hash {
        return Claim::Mismatch;
    }
    match (row.state.as_str(), row.response_status) {
        ("done", Some(status)) => Claim::Done(StoredResponse {
            status,
            content_type: row.response_content_type,
            body: row.response_body.unwrap_or_default(),
        }),
        _ => Claim::InProgress,
    }
}

/// Keeps the response of a claimed request.
pub async fn complete(store: &Store, scope: &str, key: &str, response: &StoredResponse) -> Result<()> {
    let mut tx = store.begin_housekeeping().await?;
    sqlx::query(
        "UPDATE idempotency_keys SET state = 'done', response_status = $1, response_content_type = $2, \
         response_body = $3 WHERE scope = $4 AND key = $5 AND state = 'in_progress'",
    )
    .bind(response.status)
    .bind(response.content_type.clone())
    .bind(response.body.clone())
    .bind(scope.to_string())
    .bind(key.to_string())
    .execute(tx.conn())
    .await?;
    tx.commit().await
}

/// Frees a claimed key whose request failed, so that a retry runs again.
pub async fn release(store: &Store, scope: &str, key: &str) -> Result<()> {
    let mut tx = store.begin_housekeeping().await?;
    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'")
        .bind(scope.to_string())
        .bind(key.to_string())
        .execute(tx.conn())
        .await?;
    tx.commit().await
}

/// Forgets every key created at or before `before`; returns how many.
pub async fn delete_expired<'e>(ex: impl Executor<'e, Database = Any>, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1")
        .bind(before)
        .execute(ex)
        .await?
        .rows_affected())
}
