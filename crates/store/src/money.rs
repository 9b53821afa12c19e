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
    pub office_id: Option<i64>,
    pub supersedes: Option<i64>,
    pub paid_total: i64,
    pub waiver_reason: Option<String>,
    pub waiver_approved_by: Option<i64>,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<i64>,
    pub cancelled_at: Option<i64>,
}

pub struct NewInvoice<'a> {
    pub public_id: &'a str,
    pub owner_type: &'a str,
    pub owner_id: &'a str,
    pub office_id: Option<i64>,
    pub bylaw_version: &'a str,
    pub total: i64,
    pub cash_total: i64,
    pub assessment: &'a str,
    /// The invoice this one replaces, already cancelled in the same transaction.
    pub supersedes: Option<i64>,
    /// Set when lines were waived: the reason and who approved it.
    pub waiver: Option<(&'a str, i64)>,
}

pub async fn insert_invoice<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: &NewInvoice<'_>,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO invoices (public_id, owner_type, owner_id, bylaw_version, status, total, cash_total, \
         assessment, created_at, office_id, supersedes, waiver_reason, waiver_approved_by) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(new.public_id.to_string())
    .bind(new.owner_type.to_string())
    .bind(new.owner_id.to_string())
    .bind(new.bylaw_version.to_string())
    .bind(new.total)
    .bind(new.cash_total)
    .bind(new.assessment.to_string())
    .bind(now)
    .bind(new.office_id)
    .bind(new.supersedes)
    .bind(new.waiver.map(|(reason, _)| reason.to_string()))
    .bind(new.waiver.map(|(_, by)| by))
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

const INVOICE_COLUMNS: &str = "id, public_id, owner_type, owner_id, bylaw_version, status, total, cash_total, \
     assessment, created_at, paid_at, office_id, supersedes, paid_total, waiver_reason, waiver_approved_by, \
     cancel_reason, cancelled_by, cancelled_at";

pub async fn invoice<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<InvoiceRow>> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?)
}

/// Adds a recorded payment to an open invoice, and marks it paid once `settles` (nothing is
/// owed any more); false when the invoice was not open.
pub async fn add_to_invoice<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    amount: i64,
    settles: bool,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE invoices SET paid_total = paid_total + $1, \
         status = CASE WHEN $2 = 1 THEN 'paid' ELSE status END, \
         paid_at = CASE WHEN $2 = 1 THEN $3 ELSE paid_at END \
         WHERE id = $4 AND status = 'open'",
    )
    .bind(amount)
    .bind(i64::from(settles))
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels an invoice that is still open, or (for a refund) one that is paid; false when it is
/// in neither state any more.
pub async fn cancel_invoice<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    from_status: &str,
    reason: &str,
    by: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE invoices SET status = 'cancelled', cancel_reason = $1, cancelled_by = $2, cancelled_at = $3 \
         WHERE id = $4 AND status = $5",
    )
    .bind(reason.to_string())
    .bind(by)
    .bind(now)
    .bind(id)
    .bind(from_status.to_string())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The invoice that replaced `id`, if it was re-issued.
pub async fn successor<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<InvoiceRow>> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE supersedes = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?)
}

/// The invoices of an owner, newest first: an invoice and every re-issue of it.
pub async fn invoices_of_owner<'e>(
    ex: impl Executor<'e, Database = Any>,
    owner_type: &str,
    owner_id: &str,
) -> Result<Vec<InvoiceRow>> {
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE owner_type = $1 AND owner_id = $2 ORDER BY id DESC"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner_type.to_string())
        .bind(owner_id.to_string())
        .fetch_all(ex)
        .await?)
}

/// The most recent invoices, for finance's list.
pub async fn recent_invoices<'e>(
    ex: impl Executor<'e, Database = Any>,
    limit: i64,
) -> Result<Vec<InvoiceRow>> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices ORDER BY id DESC LIMIT $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(ex).await?)
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
    pub receipt_code: Option<String>,
    pub instalment: Option<i64>,
}

const PAYMENT_COLUMNS: &str =
    "id, invoice_id, gateway, gateway_ref, amount, status, created_at, paid_at, receipt_code, instalment";

/// Starts a payment; a reference the gateway already used is [`StoreError::UniqueViolation`].
pub async fn insert_payment<'e>(
    ex: impl Executor<'e, Database = Any>,
    invoice_id: i64,
    gateway: &str,
    gateway_ref: &str,
    amount: i64,
    instalment: Option<i64>,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO payments (invoice_id, gateway, gateway_ref, amount, status, created_at, instalment) \
         VALUES ($1, $2, $3, $4, 'initiated', $5, $6) RETURNING id",
    )
    .bind(invoice_id)
    .bind(gateway.to_string())
    .bind(gateway_ref.to_string())
    .bind(amount)
    .bind(now)
    .bind(instalment)
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
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE gateway = $1 AND gateway_ref = $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(gateway.to_string())
        .bind(gateway_ref.to_string())
        .fetch_optional(ex)
        .await?)
}

/// Records a payment as paid under its receipt code. Conditional on it still being initiated,
/// so of any number of concurrent duplicate callbacks exactly one succeeds.
pub async fn mark_payment_paid<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    receipt_code: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET status = 'paid', paid_at = $1, receipt_code = $2 \
         WHERE id = $3 AND status = 'initiated'",
    )
    .bind(now)
    .bind(receipt_code.to_string())
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One party's share of a payment (or, negated, of its refund).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ShareRow {
    pub payment_id: i64,
    pub party: String,
    pub head: String,
    pub level: Option<i64>,
    pub amount: i64,
    pub refund_id: Option<i64>,
    pub recorded_at: i64,
}

pub async fn insert_share<'e>(ex: impl Executor<'e, Database = Any>, share: &ShareRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO payment_shares (payment_id, party, head, level, amount, refund_id, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(share.payment_id)
    .bind(share.party.clone())
    .bind(share.head.clone())
    .bind(share.level)
    .bind(share.amount)
    .bind(share.refund_id)
    .bind(share.recorded_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// The shares of every payment of an invoice, refunds included, in the order recorded.
pub async fn shares_of_invoice<'e>(
    ex: impl Executor<'e, Database = Any>,
    invoice_id: i64,
) -> Result<Vec<ShareRow>> {
    Ok(sqlx::query_as(
        "SELECT s.payment_id, s.party, s.head, s.level, s.amount, s.refund_id, s.recorded_at \
         FROM payment_shares s JOIN payments p ON p.id = s.payment_id WHERE p.invoice_id = $1 ORDER BY s.id",
    )
    .bind(invoice_id)
    .fetch_all(ex)
    .await?)
}

/// The payments of an invoice, oldest first.
pub async fn payments_of_invoice<'e>(
    ex: impl Executor<'e, Database = Any>,
    invoice_id: i64,
) -> Result<Vec<PaymentRow>> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE invoice_id = $1 ORDER BY id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(invoice_id).fetch_all(ex).await?)
}

/// A recorded payment by its public receipt code.
pub async fn payment_by_receipt<'e>(
    ex: impl Executor<'e, Database = Any>,
    code: &str,
) -> Result<Option<PaymentRow>> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE receipt_code = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code.to_string()).fetch_optional(ex).await?)
}

/// Who a share is owed to, as settlements key it: `municipality`, `agency` or `office:{id}`
/// (the office of the share's invoice).
const PARTY_KEY: &str = "CASE WHEN s.party = 'office' THEN 'office:' || COALESCE(CAST(i.office_id AS TEXT), 'none') \
     ELSE s.party END";

/// A payment (or refund) against the sum of its shares, for reconciliation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Balance {
    pub id: i64,
    pub invoice: String,
    pub amount: i64,
    pub shared: i64,
}

/// Every payment recorded in `[from, to)` (Unix seconds), refunded since or not, with the sum
/// of its own shares.
pub async fn payment_balances<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<Balance>> {
    Ok(sqlx::query_as(
        "SELECT p.id, i.public_id AS invoice, p.amount, \
         CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) AS shared \
         FROM payments p JOIN invoices i ON i.id = p.invoice_id \
         LEFT JOIN payment_shares s ON s.payment_id = p.id AND s.refund_id IS NULL \
         WHERE p.status IN ('paid', 'refunded') AND p.paid_at >= $1 AND p.paid_at < $2 \
         GROUP BY p.id, i.public_id, p.amount ORDER BY p.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await?)
}

/// Every refund made in `[from, to)` with the sum of its (negative) shares; `amount` is
/// negative too.
pub async fn refund_balances<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<Balance>> {
    Ok(sqlx::query_as(
        "SELECT r.id, i.public_id AS invoice, -r.amount AS amount, \
         CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) AS shared \
         FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id \
         LEFT JOIN payment_shares s ON s.refund_id = r.id \
         WHERE r.created_at >= $1 AND r.created_at < $2 \
         GROUP BY r.id, i.public_id, r.amount ORDER BY r.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await?)
}

/// The shares recorded in `[from, to)` summed by the party they are owed to, with how much of
/// that is settled.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PartyTotal {
    pub party_key: String,
    pub amount: i64,
    pub settled: i64,
}

pub async fn party_totals<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<PartyTotal>> {
    let sql = format!(
        "SELECT {PARTY_KEY} AS party_key, CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) AS amount, \
         CAST(COALESCE(SUM(CASE WHEN s.settlement_id IS NULL THEN 0 ELSE s.amount END), 0) AS BIGINT) AS settled \
         FROM payment_shares s JOIN payments p ON p.id = s.payment_id JOIN invoices i ON i.id = p.invoice_id \
         WHERE s.recorded_at >= $1 AND s.recorded_at < $2 GROUP BY {PARTY_KEY} ORDER BY 1"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from).bind(to).fetch_all(ex).await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SettlementRow {
    pub id: i64,
    pub party_key: String,
    pub period: String,
    pub amount: i64,
    pub shares: i64,
    pub created_at: i64,
    pub created_by: Option<i64>,
    /// The sum of the shares that name this settlement: equal to `amount` unless tampered with.
    pub settled: i64,
}

/// The settlements of a period (a Jalali month, `1405/09`) with the shares behind each.
pub async fn settlements_of_period<'e>(
    ex: impl Executor<'e, Database = Any>,
    period: &str,
) -> Result<Vec<SettlementRow>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.party_key, t.period, t.amount, t.shares, t.created_at, t.created_by, \
         CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) AS settled \
         FROM settlements t LEFT JOIN payment_shares s ON s.settlement_id = t.id WHERE t.period = $1 \
         GROUP BY t.id, t.party_key, t.period, t.amount, t.shares, t.created_at, t.created_by ORDER BY t.party_key",
    )
    .bind(period.to_string())
    .fetch_all(ex)
    .await?)
}

/// The unsettled shares recorded in `[from, to)`, summed by party, with their count.
pub async fn unsettled_by_party<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64, i64)>> {
    let sql = format!(
        "SELECT {PARTY_KEY}, CAST(COALESCE(SUM(s.amount), 0) AS BIGINT), COUNT(*) \
         FROM payment_shares s JOIN payments p ON p.id = s.payment_id JOIN invoices i ON i.id = p.invoice_id \
         WHERE s.settlement_id IS NULL AND s.recorded_at >= $1 AND s.recorded_at < $2 \
         GROUP BY {PARTY_KEY} ORDER BY 1"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from).bind(to).fetch_all(ex).await?)
}

/// Records one party's settlement of a period; a second close of the same period and party is
/// [`StoreError::UniqueViolation`].
pub async fn insert_settlement<'e>(
    ex: impl Executor<'e, Database = Any>,
    party_key: &str,
    period: &str,
    amount: i64,
    shares: i64,
    by: Option<i64>,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO settlements (party_key, period, amount, shares, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(party_key.to_string())
    .bind(period.to_string())
    .bind(amount)
    .bind(shares)
    .bind(now)
    .bind(by)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

/// Marks one party's unsettled shares of `[from, to)` settled by `settlement_id`; returns how
/// many it marked, so the caller can check it settled exactly what it summed.
pub async fn settle_shares<'e>(
    ex: impl Executor<'e, Database = Any>,
    settlement_id: i64,
    party_key: &str,
    from: i64,
    to: i64,
) -> Result<u64> {
    let sql = format!(
        "UPDATE payment_shares SET settlement_id = $1 WHERE settlement_id IS NULL \
         AND recorded_at >= $2 AND recorded_at < $3 AND id IN (SELECT s.id FROM payment_shares s \
         JOIN payments p ON p.id = s.payment_id JOIN invoices i ON i.id = p.invoice_id WHERE {PARTY_KEY} = $4)"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(settlement_id)
        .bind(from)
        .bind(to)
        .bind(party_key.to_string())
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// One line of an office's statement: a share of a payment or refund on an invoice of the
/// office.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StatementLine {
    pub recorded_at: i64,
    pub invoice: String,
    pub owner_type: String,
    pub owner_id: String,
    pub payment_id: i64,
    pub refund_id: Option<i64>,
    pub head: String,
    pub level: Option<i64>,
    pub party: String,
    pub amount: i64,
    pub settlement_id: Option<i64>,
}

/// Every share recorded in `[from, to)` on the invoices of an office, oldest first.
pub async fn office_statement<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<StatementLine>> {
    Ok(sqlx::query_as(
        "SELECT s.recorded_at, i.public_id AS invoice, i.owner_type, i.owner_id, s.payment_id, s.refund_id, \
         s.head, s.level, s.party, s.amount, s.settlement_id \
         FROM payment_shares s JOIN payments p ON p.id = s.payment_id JOIN invoices i ON i.id = p.invoice_id \
         WHERE i.office_id = $1 AND s.recorded_at >= $2 AND s.recorded_at < $3 ORDER BY s.recorded_at, s.id",
    )
    .bind(office_id)
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await?)
}

// Refunds

/// Records the refund of a payment; a second refund of it is [`StoreError::UniqueViolation`].
pub async fn insert_refund<'e>(
    ex: impl Executor<'e, Database = Any>,
    payment_id: i64,
    amount: i64,
    reason: &str,
    approved_by: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO refunds (payment_id, amount, reason, approved_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(payment_id)
    .bind(amount)
    .bind(reason.to_string())
    .bind(approved_by)
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

/// Marks a paid payment refunded; false when it was not paid.
pub async fn mark_payment_refunded<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE payments SET status = 'refunded' WHERE id = $1 AND status = 'paid'")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

// Instalments

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InstalmentRow {
    pub invoice_id: i64,
    pub number: i64,
    /// Jalali, `1405/10/01`.
    pub due_on: String,
    pub amount: i64,
    pub payment_id: Option<i64>,
}

pub async fn insert_instalment<'e>(ex: impl Executor<'e, Database = Any>, row: &InstalmentRow) -> Result<()> {
    sqlx::query("INSERT INTO instalments (invoice_id, number, due_on, amount) VALUES ($1, $2, $3, $4)")
        .bind(row.invoice_id)
        .bind(row.number)
        .bind(row.due_on.clone())
        .bind(row.amount)
        .execute(ex)
        .await
        .map_err(StoreError::classify)?;
    Ok(())
}

pub async fn instalments_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    invoice_id: i64,
) -> Result<Vec<InstalmentRow>> {
    Ok(sqlx::query_as(
        "SELECT invoice_id, number, due_on, amount, payment_id FROM instalments WHERE invoice_id = $1 \
         ORDER BY number",
    )
    .bind(invoice_id)
    .fetch_all(ex)
    .await?)
}

/// Marks an instalment paid by a payment; false when it already was.
pub async fn mark_instalment_paid<'e>(
    ex: impl Executor<'e, Database = Any>,
    invoice_id: i64,
    number: i64,
    payment_id: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE instalments SET payment_id = $1 WHERE invoice_id = $2 AND number = $3 AND payment_id IS NULL",
    )
    .bind(payment_id)
    .bind(invoice_id)
    .bind(number)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

// Rent

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OfficeSiteRow {
    pub id: i64,
    pub office_id: i64,
    pub site_code: String,
    pub monthly_rent: i64,
    /// Jalali months, `1405/09`.
    pub from_month: String,
    pub until_month: Option<String>,
}

/// Lets a municipal site to an office from a month on.
pub async fn insert_office_site<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
    site_code: &str,
    monthly_rent: i64,
    from_month: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO office_sites (office_id, site_code, monthly_rent, from_month, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(office_id)
    .bind(site_code.to_string())
    .bind(monthly_rent)
    .bind(from_month.to_string())
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

/// The sites let during `month` (`1405/09`; months compare as text because they are padded).
pub async fn sites_let_in<'e>(
    ex: impl Executor<'e, Database = Any>,
    month: &str,
) -> Result<Vec<OfficeSiteRow>> {
    Ok(sqlx::query_as(
        "SELECT id, office_id, site_code, monthly_rent, from_month, until_month FROM office_sites \
         WHERE from_month <= $1 AND (until_month IS NULL OR until_month >= $1) ORDER BY id",
    )
    .bind(month.to_string())
    .fetch_all(ex)
    .await?)
}

/// Records that a site's month is billed by an invoice; a month billed before is
/// [`StoreError::UniqueViolation`].
pub async fn insert_rent_charge<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_site_id: i64,
    month: &str,
    invoice_id: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO rent_charges (office_site_id, month, invoice_id) VALUES ($1, $2, $3)")
        .bind(office_site_id)
        .bind(month.to_string())
        .bind(invoice_id)
        .execute(ex)
        .await
        .map_err(StoreError::classify)?;
    Ok(())
}

pub async fn rent_charge_exists<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_site_id: i64,
    month: &str,
) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT invoice_id FROM rent_charges WHERE office_site_id = $1 AND month = $2")
            .bind(office_site_id)
            .bind(month.to_string())
            .fetch_optional(ex)
            .await?;
    Ok(found.is_some())
}

/// Marks the rent month an invoice billed as paid.
pub async fn mark_rent_paid<'e>(
    ex: impl Executor<'e, Database = Any>,
    invoice_id: i64,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE rent_charges SET paid_at = $1 WHERE invoice_id = $2")
        .bind(now)
        .bind(invoice_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// A site's billed month with its invoice.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RentChargeRow {
    pub site_code: String,
    pub month: String,
    pub invoice: String,
    pub total: i64,
    pub status: String,
    pub paid_at: Option<i64>,
}

pub async fn rent_charges_of_office<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
) -> Result<Vec<RentChargeRow>> {
    Ok(sqlx::query_as(
        "SELECT o.site_code, c.month, i.public_id AS invoice, i.total, i.status, c.paid_at FROM rent_charges c \
         JOIN office_sites o ON o.id = c.office_site_id JOIN invoices i ON i.id = c.invoice_id \
         WHERE o.office_id = $1 ORDER BY c.month DESC, o.site_code",
    )
    .bind(office_id)
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
