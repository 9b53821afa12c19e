//! The development payment gateway's orders.

use serde::Serialize;
use sqlx::{Any, Executor};

use crate::Result;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OrderRow {
    pub reference: String,
    pub amount: i64,
    pub callback_url: String,
    pub return_url: String,
    pub status: String,
    pub created_at: i64,
    pub refunded_at: Option<i64>,
}

pub async fn insert_order<'e>(ex: impl Executor<'e, Database = Any>, order: &OrderRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sandbox_orders (reference, amount, callback_url, return_url, status, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5)",
    )
    .bind(order.reference.clone())
    .bind(order.amount)
    .bind(order.callback_url.clone())
    .bind(order.return_url.clone())
    .bind(order.created_at)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn order<'e>(ex: impl Executor<'e, Database = Any>, reference: &str) -> Result<Option<OrderRow>> {
    Ok(sqlx::query_as(
        "SELECT reference, amount, callback_url, return_url, status, created_at, refunded_at FROM sandbox_orders \
         WHERE reference = $1",
    )
    .bind(reference.to_string())
    .fetch_optional(ex)
    .await?)
}

/// Settles a pending order as `paid` or `cancelled`; false when it was settled before.
pub async fn settle<'e>(
    ex: impl Executor<'e, Database = Any>,
    reference: &str,
    status: &str,
) -> Result<bool> {
    let done =
        sqlx::query("UPDATE sandbox_orders SET status = $1 WHERE reference = $2 AND status = 'pending'")
            .bind(status.to_string())
            .bind(reference.to_string())
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Refunds a paid order. Idempotent: refunding it again succeeds without a change, as real
/// gateways answer a repeated refund of the same reference. False when the order was never paid.
pub async fn refund(ex: &mut sqlx::AnyConnection, reference: &str, now: i64) -> Result<bool> {
    sqlx::query(
        "UPDATE sandbox_orders SET refunded_at = $1 \
         WHERE reference = $2 AND status = 'paid' AND refunded_at IS NULL",
    )
    .bind(now)
    .bind(reference.to_string())
    .execute(&mut *ex)
    .await?;
    let refunded: Option<Option<i64>> =
        sqlx::query_scalar("SELECT refunded_at FROM sandbox_orders WHERE reference = $1")
            .bind(reference.to_string())
            .fetch_optional(&mut *ex)
            .await?;
    Ok(matches!(refunded, Some(Some(_))))
}
