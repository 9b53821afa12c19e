//! Changing an invoice after it is issued: waivers, cancellation and re-issue, instalment plans
//! and refunds. Nothing is edited in place: a changed invoice is cancelled and replaced by a new
//! one that names it, so the history of what was asked of the payer stays readable.

use daftar_fees::assess::{AssessmentInputs, waive as waive_lines};
use daftar_store::StoreError;
use daftar_store::money::{self as store_money, InstalmentRow, InvoiceRow, ShareRow};
use daftar_types::{JalaliDate, Lang, Rials};
use serde_json::json;

use super::{Billed, Lineage, insert_invoice, not_open, stored_assessment};
use crate::audit::{By, entry};
use crate::authz::{Permission, Principal, require};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::fees::engine_error;
use crate::{App, RequestMeta};

/// A written reason: finance's decisions must say why.
fn reason_text(reason: &str) -> AppResult<String> {
    let reason = daftar_types::text::normalize(reason);
    if reason.chars().count() < 5 {
        return Err(AppError::invalid(FieldError::new(
            "reason",
            Message::new("دلیل", "Reason"),
            Message::new(
                "دلیل را دست‌کم در پنج نویسه بنویسید.",
                "Write the reason in at least five characters.",
            ),
        )));
    }
    Ok(reason)
}

async fn open_unpaid(app: &App, public_id: &str) -> AppResult<InvoiceRow> {
    let invoice =
        store_money::invoice_by_public_id(app.store().pool(), public_id).await?.ok_or(AppError::NotFound)?;
    if invoice.status != "open" {
        return Err(not_open());
    }
    if invoice.paid_total > 0 {
        return Err(AppError::Conflict(Message::new(
            "بخشی از این صورت‌حساب پرداخت شده است؛ نخست آن را بازپرداخت کنید.",
            "Part of this invoice is paid; refund it first.",
        )));
    }
    Ok(invoice)
}

fn billed(invoice: &InvoiceRow) -> Billed<'_> {
    Billed { owner_type: &invoice.owner_type, owner_id: &invoice.owner_id, office_id: invoice.office_id }
}

/// Cancels `old` (still open and unpaid) and issues its replacement in one transaction; a
/// concurrent change of the same invoice loses on the conditional update.
async fn replace(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    old: &InvoiceRow,
    assessment: &daftar_fees::Assessment,
    reason: &str,
    waiver: Option<&str>,
) -> AppResult<InvoiceRow> {
    let mut tx = app.store().begin_write().await?;
    cancel_in(app, &mut tx, principal, meta, old, reason, true).await?;
    let lineage = Lineage { supersedes: Some(old.id), waiver: waiver.map(|w| (w, principal.user_id)) };
    let id = insert_invoice(app, &mut tx, By::Principal(principal), meta, billed(old), assessment, lineage)
        .await?;
    app.commit(tx).await?;
    store_money::invoice(app.store().pool(), id).await?.ok_or(AppError::NotFound)
}

/// Waives the lines of the named heads: the invoice is replaced by one that charges them zero
/// and shows what was forgiven, why and by whom. An invoice left with nothing to pay is settled
/// at once and its owner moves on.
pub async fn waive(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    public_id: &str,
    heads: &[String],
    reason: &str,
) -> AppResult<InvoiceRow> {
    require(principal, Permission::ManageInvoices)?;
    let reason = reason_text(reason)?;
    let old = open_unpaid(app, public_id).await?;
    let assessment = stored_assessment(&old)?;
    let bylaw = crate::fees::bylaw_version(app, &old.bylaw_version).await?;
    let waived = waive_lines(&bylaw, &assessment, heads).map_err(|e| {
        engine_error("heads", Message::new("سرفصل‌ها", "Heads"), e.message(Lang::Fa), e.message(Lang::En))
    })?;
    replace(app, principal, meta, &old, &waived, &format!("waiver: {reason}"), Some(&reason)).await
}

/// Cancels an open, unpaid invoice for good.
pub async fn cancel(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    public_id: &str,
    reason: &str,
) -> AppResult<()> {
    require(principal, Permission::ManageInvoices)?;
    let reason = reason_text(reason)?;
    let old = open_unpaid(app, public_id).await?;
    let mut tx = app.store().begin_write().await?;
    cancel_in(app, &mut tx, principal, meta, &old, &reason, false).await?;
    Ok(app.commit(tx).await?)
}

/// Cancels an open invoice inside `tx` with its audit row; a concurrent change of the same
/// invoice loses on the conditional update (and the transaction is dropped, rolling back).
async fn cancel_in(
    app: &App,
    tx: &mut daftar_store::WriteTx,
    principal: &Principal,
    meta: &RequestMeta,
    old: &InvoiceRow,
    reason: &str,
    reissued: bool,
) -> AppResult<()> {
    if !store_money::cancel_invoice(tx.conn(), old.id, "open", reason, Some(principal.user_id), app.now())
        .await?
    {
        return Err(not_open());
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "invoice.cancelled",
        ("invoice", old.public_id.clone()),
        json!({ "reason": reason, "reissued": reissued }),
    ));
    Ok(())
}

/// Cancels an open, unpaid invoice and issues a new one assessed under the bylaw in force:
/// from corrected inputs when given, else from the same inputs (a corrected bylaw).
pub async fn reissue(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    public_id: &str,
    inputs: Option<&AssessmentInputs>,
    reason: &str,
) -> AppResult<InvoiceRow> {
    require(principal, Permission::ManageInvoices)?;
    let reason = reason_text(reason)?;
    let old = open_unpaid(app, public_id).await?;
    let previous = stored_assessment(&old)?;
    let inputs = inputs.unwrap_or(&previous.inputs);
    let assessment = super::assess_in_force(app, inputs).await?;
    replace(app, principal, meta, &old, &assessment, &format!("reissued: {reason}"), None).await
}

fn instalment_error(error: &daftar_fees::InstalmentError) -> AppError {
    engine_error(
        "instalments",
        Message::new("تقسیط", "Instalments"),
        error.message(Lang::Fa),
        error.message(Lang::En),
    )
}

/// Lets an open, unpaid invoice be paid by instalments under the bylaw's rules: a down payment
/// due today, then `months` monthly instalments from a month later. The invoice's total (not the
/// cash total: the discount is for paying at once) is what the plan covers.
pub async fn plan_instalments(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    public_id: &str,
    down_payment: Rials,
    months: u32,
) -> AppResult<Vec<InstalmentRow>> {
    require(principal, Permission::ManageInvoices)?;
    let invoice = open_unpaid(app, public_id).await?;
    if !store_money::instalments_of(app.store().pool(), invoice.id).await?.is_empty() {
        return Err(AppError::Conflict(Message::new(
            "این صورت‌حساب پیش‌تر تقسیط شده است.",
            "This invoice already has an instalment plan.",
        )));
    }
    let bylaw = crate::fees::bylaw_version(app, &invoice.bylaw_version).await?;
    let today = daftar_types::Timestamp::from_unix(app.now()).to_tehran().date();
    let first_due = daftar_fees::add_months(today, 1)
        .ok_or_else(|| instalment_error(&daftar_fees::InstalmentError::DateOutOfRange))?;
    let schedule = daftar_fees::plan_instalments(
        &bylaw.instalments,
        Rials::new(invoice.total),
        down_payment,
        months,
        first_due,
    )
    .map_err(|e| instalment_error(&e))?;
    let rows = instalment_rows(invoice.id, today, &schedule);
    let mut tx = app.store().begin_write().await?;
    for row in &rows {
        match store_money::insert_instalment(tx.conn(), row).await {
            Err(StoreError::UniqueViolation) => {
                tx.rollback().await?;
                return Err(AppError::Conflict(Message::new(
                    "این صورت‌حساب پیش‌تر تقسیط شده است.",
                    "This invoice already has an instalment plan.",
                )));
            }
            other => other?,
        }
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "invoice.instalments_planned",
        ("invoice", invoice.public_id.clone()),
        json!({ "down_payment": down_payment.get(), "months": months, "clause": bylaw.instalments.clause }),
    ));
    app.commit(tx).await?;
    Ok(rows)
}

fn instalment_rows(
    invoice_id: i64,
    today: JalaliDate,
    schedule: &daftar_fees::Schedule,
) -> Vec<InstalmentRow> {
    let row = |number: i64, due: JalaliDate, amount: Rials| InstalmentRow {
        invoice_id,
        number,
        due_on: due.format_numeric(Lang::En),
        amount: amount.get(),
        payment_id: None,
    };
    std::iter::once(row(0, today, schedule.down_payment))
        .chain(schedule.instalments.iter().map(|i| row(i64::from(i.number), i.due, i.amount)))
        .collect()
}

/// Refunds every payment of an invoice and cancels it. The gateway returns the money first (it
/// answers a repeated refund without paying twice), then the refund, its negated shares and the
/// cancellation are recorded in one transaction; if that fails the refund can simply be
/// retried. Negated shares are settled like any other, so a refund after a settlement comes off
/// the party's next one.
pub async fn refund(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    public_id: &str,
    reason: &str,
) -> AppResult<()> {
    require(principal, Permission::ManageInvoices)?;
    let reason = reason_text(reason)?;
    let pool = app.store().pool();
    let invoice = store_money::invoice_by_public_id(pool, public_id).await?.ok_or(AppError::NotFound)?;
    let paid: Vec<_> = store_money::payments_of_invoice(pool, invoice.id)
        .await?
        .into_iter()
        .filter(|p| p.status == "paid")
        .collect();
    if paid.is_empty() || invoice.status == "cancelled" {
        return Err(AppError::Conflict(Message::new(
            "این صورت‌حساب پرداختی برای بازپرداخت ندارد.",
            "This invoice has no payment to refund.",
        )));
    }
    for payment in &paid {
        let gateway = app.gateway().filter(|g| g.name() == payment.gateway).ok_or_else(|| {
            AppError::Conflict(Message::new(
                "درگاه این پرداخت وصل نیست.",
                "This payment's gateway is not connected.",
            ))
        })?;
        gateway.refund(&payment.gateway_ref, payment.amount).await.map_err(|e| {
            tracing::warn!(error = %e, "the gateway did not refund");
            AppError::Conflict(Message::new(
                "درگاه پرداخت بازپرداخت را نپذیرفت؛ کمی بعد دوباره امتحان کنید.",
                "The payment gateway did not make the refund; please try again shortly.",
            ))
        })?;
    }
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    let shares = store_money::shares_of_invoice(tx.conn(), invoice.id).await?;
    for payment in &paid {
        if !store_money::mark_payment_refunded(tx.conn(), payment.id).await? {
            tx.rollback().await?;
            return Err(AppError::Conflict(Message::new(
                "این پرداخت پیش‌تر بازپرداخت شده است.",
                "This payment was refunded already.",
            )));
        }
        let refund_id = store_money::insert_refund(
            tx.conn(),
            payment.id,
            payment.amount,
            &reason,
            principal.user_id,
            now,
        )
        .await?;
        for row in shares.iter().filter(|s| s.payment_id == payment.id && s.refund_id.is_none()) {
            let negated =
                ShareRow { amount: -row.amount, refund_id: Some(refund_id), recorded_at: now, ..row.clone() };
            store_money::insert_share(tx.conn(), &negated).await?;
        }
    }
    let from = if invoice.status == "paid" { "paid" } else { "open" };
    store_money::cancel_invoice(
        tx.conn(),
        invoice.id,
        from,
        &format!("refunded: {reason}"),
        Some(principal.user_id),
        now,
    )
    .await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "invoice.refunded",
        ("invoice", invoice.public_id.clone()),
        json!({ "reason": reason, "payments": paid.iter().map(|p| p.id).collect::<Vec<_>>(),
                "amount": paid.iter().map(|p| p.amount).sum::<i64>() }),
    ));
    Ok(app.commit(tx).await?)
}
