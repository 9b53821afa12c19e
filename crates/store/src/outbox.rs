//! Messages to the outside world (SMS, e-mail, webhooks), written in the business transaction
//! and delivered afterwards by a worker. A delivery that fails is retried with backoff and
//! never undoes the change that caused it.

use serde::Serialize;
use sqlx::{Any, Executor};

use crate::{Result, Store};

pub struct NewMessage<'a> {
    pub channel: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

const COLUMNS: &str = "id, channel, recipient, subject, body, status, attempts, next_attempt_at, \
     last_error, created_at, delivered_at";

pub async fn enqueue<'e>(
    ex: impl Executor<'e, Database = Any>,
    msg: &NewMessage<'_>,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (channel, recipient, subject, body, status, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $5) RETURNING id",
    )
    .bind(msg.channel.to_string())
    .bind(msg.recipient.to_string())
    .bind(msg.subject.to_string())
    .bind(msg.body.to_string())
    .bind(now)
    .fetch_one(ex)
    .await?)
}

/// Leases up to `limit` due messages to this worker for `lease_s` seconds. Each lease is a
/// conditional update, so two workers (in one process or several) never take the same row.
pub async fn claim_due(store: &Store, now: i64, lease_s: i64, limit: i64) -> Result<Vec<OutboxRow>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
         AND locked_until <= $1 ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let mut claimed = Vec::new();
    for id in ids {
        let sql = format!(
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id = $2 \
             AND status = 'pending' AND locked_until <= $3 RETURNING {COLUMNS}"
        );
        let mut tx = store.begin_housekeeping().await?;
        let row: Option<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now + lease_s)
            .bind(id)
            .bind(now)
            .fetch_optional(tx.conn())
            .await?;
        tx.commit().await?;
        claimed.extend(row);
    }
    Ok(claimed)
}

pub async fn mark_delivered(store: &Store, id: i64, now: i64) -> Result<()> {
    let mut tx = store.begin_housekeeping().await?;
    sqlx::query("UPDATE outbox SET status = 'delivered', delivered_at = $1, last_error = NULL WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(tx.conn())
        .await?;
    tx.commit().await
}

/// Records a failed attempt: retried at `retry_at`, or given up when `None`.
pub async fn mark_failed(store: &Store, id: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
    let mut tx = store.begin_housekeeping().await?;
    sqlx::query(
        "UPDATE outbox SET status = $1, last_error = $2, next_attempt_at = $3, locked_until = 0 \
         WHERE id = $4",
    )
    .bind(if retry_at.is_some() { "pending" } else { "failed" })
    .bind(error.to_string())
    .bind(retry_at.unwrap_or(0))
    .bind(id)
    .execute(tx.conn())
    .await?;
    tx.commit().await
}

pub async fn get<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<OutboxRow>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?)
}

/// The newest messages, newest first.
pub async fn recent<'e>(ex: impl Executor<'e, Database = Any>, limit: i64) -> Result<Vec<OutboxRow>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(ex).await?)
}
