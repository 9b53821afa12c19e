//! Invoices, payments and payment shares.

use serde::Serialize;
use sqlx::{Any, Executor};

use crate::{Result, StoreError};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: i64,
    pub public_id: String,
    pub owner_type: String,
    pub owner_id: String,
    pub bylaw_version: String,
    pub status: String,
    pub total: i64,
    pub cash_total: i64,
    pub assessment: String,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

pub struct NewInvoice<'a> {
    pub public_id: &'a str,
    pub owner_type: &'a str,
    pub owner_id: &'a str,
    pub bylaw_version: &'a str,
    pub total: i64,
    pub cash_total: i64,
    pub assessment: &'a str,
}

pub async fn insert_invoice<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: &NewInvoice<'_>,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO invoices (public_id, owner_type, owner_id, bylaw_version, status, total, cash_total, \
         assessment, created_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.public_id.to_string())
    .bind(new.owner_type.to_string())
    .bind(new.owner_id.to_string())
    .bind(new.bylaw_version.to_string())
    .bind(new.total)
    .bind(new.cash_total)
    .bind(new.assessment.to_string())
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

const INVOICE_COLUMNS: &str = "id, public_id, owner_type, owner_id, bylaw_version, status, total, cash_total, \
     assessment, created_at, paid_at";

pub async fn invoice<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<InvoiceRow>> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?)
}

/// Marks an open invoice paid; false when it was not open (already paid or cancelled).
pub async fn mark_invoice_paid<'e>(ex: impl Executor<'e, Database = Any>, id: i64, now: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE invoices SET status = 'paid', paid_at = $1 WHERE id = $2 AND status = 'open'")
            .bind(now)
            .bind(id)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: i64,
    pub invoice_id: i64,
    pub gateway: String,
    pub gateway_ref: String,
    pub amount: i64,
    pub status: String,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

/// Starts a payment; a reference the gateway already used is [`StoreError::UniqueViolation`].
pub async fn insert_payment<'e>(
    ex: impl Executor<'e, Database = Any>,
    invoice_id: i64,
    gateway: &str,
    gateway_ref: &str,
    amount: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO payments (invoice_id, gateway, gateway_ref, amount, status, created_at) \
         VALUES ($1, $2, $3, $4, 'initiated', $5) RETURNING id",
    )
    .bind(invoice_id)
    .bind(gateway.to_string())
    .bind(gateway_ref.to_string())
    .bind(amount)
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

/// The payment a gateway's reference names: the only way a callback finds its payment.
pub async fn payment_by_ref<'e>(
    ex: impl Executor<'e, Database = Any>,
    gateway: &str,
    gateway_ref: &str,
) -> Result<Option<PaymentRow>> {
    Ok(sqlx::query_as(
        "SELECT id, invoice_id, gateway, gateway_ref, amount, status, created_at, paid_at FROM payments \
         WHERE gateway = $1 AND gateway_ref = $2",
    )
    .bind(gateway.to_string())
    .bind(gateway_ref.to_string())
    .fetch_optional(ex)
    .await?)
}

/// Records a payment as paid. Conditional on it still being initiated, so of any number of
/// concurrent duplicate callbacks exactly one succeeds.
pub async fn mark_payment_paid<'e>(ex: impl Executor<'e, Database = Any>, id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET status = 'paid', paid_at = $1 WHERE id = $2 AND status = 'initiated'",
    )
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_share<'e>(
    ex: impl Executor<'e, Database = Any>,
    payment_id: i64,
    party: &str,
    head: &str,
    level: Option<i64>,
    amount: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO payment_shares (payment_id, party, head, level, amount) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(payment_id)
    .bind(party.to_string())
    .bind(head.to_string())
    .bind(level)
    .bind(amount)
    .execute(ex)
    .await?;
    Ok(())
}

/// A paid payment with the sum of its shares, for reconciliation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PaymentBalance {
    pub payment_id: i64,
    pub invoice_id: i64,
    pub amount: i64,
    pub shared: i64,
}

/// Every payment recorded as paid in `[from, to)` (Unix seconds) with the sum of its shares.
pub async fn paid_balances<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<PaymentBalance>> {
    Ok(sqlx::query_as(
        "SELECT p.id AS payment_id, p.invoice_id, p.amount, \
         CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) AS shared \
         FROM payments p LEFT JOIN payment_shares s ON s.payment_id = p.id \
         WHERE p.status = 'paid' AND p.paid_at >= $1 AND p.paid_at < $2 \
         GROUP BY p.id, p.invoice_id, p.amount ORDER BY p.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await?)
}

/// The shares of the payments recorded in `[from, to)`, summed by party.
pub async fn party_totals<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT s.party, CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) FROM payment_shares s \
         JOIN payments p ON p.id = s.payment_id \
         WHERE p.status = 'paid' AND p.paid_at >= $1 AND p.paid_at < $2 GROUP BY s.party ORDER BY s.party",
    )
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await?)
}

pub async fn invoice_by_public_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    public_id: &str,
) -> Result<Option<InvoiceRow>> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE public_id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(public_id.to_string()).fetch_optional(ex).await?)
}
