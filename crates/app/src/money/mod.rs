//! Invoices and payments: an invoice is assessed from named inputs under the fee bylaw in
//! force; a payment is recorded when its gateway calls back, authenticated by HMAC and found by
//! the gateway's own reference, never through a browser session. Recording it, splitting it
//! among the parties, closing the invoice and letting the invoice's owner react (a case
//! advances, a rent month is marked paid) are one transaction.

mod adjust;
mod rent;
mod settlement;

pub use adjust::{cancel, plan_instalments, refund, reissue, waive};
pub use rent::{bill_rent, let_site};
pub use settlement::{OfficeStatement, Period, Reconciliation, close_period, office_statement, reconcile};

use daftar_fees::assess::{Assessment, AssessmentInputs, assess};
use daftar_fees::bylaw::Party;
use daftar_fees::split::{Share, outstanding_after, split_outstanding, split_payment};
use daftar_store::WriteTx;
use daftar_store::money::{self as store_money, InvoiceRow, NewInvoice, ShareRow};
use daftar_types::Rials;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use crate::audit::{By, entry};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

/// How far a callback's timestamp may stray from the server's clock.
pub const CALLBACK_WINDOW_S: i64 = 300;

fn assessment_error(text: String) -> AppError {
    AppError::invalid(FieldError::new(
        "assessment",
        Message::new("محاسبهٔ عوارض", "Fee assessment"),
        Message::new(format!("انجام‌شدنی نیست: {text}"), format!("cannot be made: {text}")),
    ))
}

/// What an invoice bills: its owner (`case`, `office_rent`, …) and the office whose work it
/// is, which receives the office's share (for rent: the office that pays).
#[derive(Debug, Clone, Copy)]
pub struct Billed<'a> {
    pub owner_type: &'a str,
    pub owner_id: &'a str,
    pub office_id: Option<i64>,
}

/// Assesses the fees of an owner under the bylaw in force and issues the invoice.
pub async fn issue_invoice(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    billed: Billed<'_>,
    inputs: &AssessmentInputs,
) -> AppResult<InvoiceRow> {
    let assessment = assess_in_force(app, inputs).await?;
    let mut tx = app.store().begin_write().await?;
    let id = insert_invoice(app, &mut tx, by, meta, billed, &assessment, Lineage::default()).await?;
    app.commit(tx).await?;
    store_money::invoice(app.store().pool(), id).await?.ok_or(AppError::NotFound)
}

pub(crate) async fn assess_in_force(app: &App, inputs: &AssessmentInputs) -> AppResult<Assessment> {
    let bylaw = crate::fees::bylaw_in_force(app)
        .await?
        .ok_or_else(|| assessment_error("no fee bylaw is in force".into()))?;
    assess(&bylaw, inputs).map_err(|e| crate::fees::assess_error(&e))
}

/// Where a new invoice comes from when it replaces another.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Lineage<'a> {
    pub supersedes: Option<i64>,
    pub waiver: Option<(&'a str, i64)>,
}

/// Inserts an invoice inside a transaction with its audit row. An invoice with nothing to pay
/// (every line waived, say) is settled at once, and its owner reacts in the same transaction:
/// nothing waits for a payment that will never come.
pub(crate) async fn insert_invoice(
    app: &App,
    tx: &mut WriteTx,
    by: By<'_>,
    meta: &RequestMeta,
    billed: Billed<'_>,
    assessment: &Assessment,
    lineage: Lineage<'_>,
) -> AppResult<i64> {
    let public_id = hex::encode(crate::random_bytes::<12>());
    let document = serde_json::to_string(assessment).map_err(|e| assessment_error(e.to_string()))?;
    let new = NewInvoice {
        public_id: &public_id,
        owner_type: billed.owner_type,
        owner_id: billed.owner_id,
        office_id: billed.office_id,
        bylaw_version: &assessment.bylaw_version,
        total: assessment.total.get(),
        cash_total: assessment.cash_total().get(),
        assessment: &document,
        supersedes: lineage.supersedes,
        waiver: lineage.waiver,
    };
    let id = store_money::insert_invoice(tx.conn(), &new, app.now()).await?;
    tx.audit(entry(
        app,
        by,
        meta,
        "invoice.issued",
        ("invoice", public_id.clone()),
        json!({
            "owner": [billed.owner_type, billed.owner_id],
            "office": billed.office_id,
            "bylaw": assessment.bylaw_version,
            "total": assessment.total.get(),
            "supersedes": lineage.supersedes,
        }),
    ));
    if assessment.total == Rials::ZERO {
        store_money::add_to_invoice(tx.conn(), id, 0, true, app.now()).await?;
        let invoice = store_money::invoice(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
        owner_settled(app, tx, &invoice).await?;
    }
    Ok(id)
}

/// The payer's owner reacts to its invoice being settled, inside the transaction that
/// settled it.
async fn owner_settled(app: &App, tx: &mut WriteTx, invoice: &InvoiceRow) -> AppResult<()> {
    match invoice.owner_type.as_str() {
        rent::OWNER => rent::settled(app, tx, invoice).await,
        "case" => crate::cases::invoice_settled(app, tx, invoice).await,
        _ => Ok(()),
    }
}

pub(crate) fn stored_assessment(invoice: &InvoiceRow) -> AppResult<Assessment> {
    serde_json::from_str(&invoice.assessment).map_err(|e| assessment_error(e.to_string()))
}

/// Registers the payment a gateway has opened for an invoice, under the gateway's reference.
pub async fn open_payment(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    invoice_id: i64,
    gateway: (&str, &str),
    amount: Rials,
) -> AppResult<i64> {
    let invoice = store_money::invoice(app.store().pool(), invoice_id).await?.ok_or(AppError::NotFound)?;
    if invoice.status != "open" {
        return Err(not_open());
    }
    let due = amount_due(app, &invoice).await?;
    if amount != due.amount && (due.instalment.is_some() || amount.get() != invoice.total) {
        return Err(AppError::Conflict(Message::new(
            "مبلغ پرداخت با صورت‌حساب نمی‌خواند.",
            "The payment amount does not match the invoice.",
        )));
    }
    let mut tx = app.store().begin_write().await?;
    let id = store_money::insert_payment(
        tx.conn(),
        invoice.id,
        gateway.0,
        gateway.1,
        amount.get(),
        due.instalment,
        app.now(),
    )
    .await?;
    tx.audit(entry(
        app,
        by,
        meta,
        "payment.opened",
        ("payment", id.to_string()),
        json!({
            "invoice": invoice.public_id,
            "gateway": gateway.0,
            "reference": gateway.1,
            "amount": amount.get(),
            "instalment": due.instalment,
        }),
    ));
    app.commit(tx).await?;
    Ok(id)
}

fn not_open() -> AppError {
    AppError::Conflict(Message::new("این صورت‌حساب باز نیست.", "This invoice is not open."))
}

/// What the payer pays next: the cash total at once, or the next unpaid instalment of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountDue {
    pub amount: Rials,
    pub instalment: Option<i64>,
}

pub async fn amount_due(app: &App, invoice: &InvoiceRow) -> AppResult<AmountDue> {
    let plan = store_money::instalments_of(app.store().pool(), invoice.id).await?;
    Ok(match plan.iter().find(|i| i.payment_id.is_none()) {
        Some(next) => AmountDue { amount: Rials::new(next.amount), instalment: Some(next.number) },
        None => AmountDue { amount: Rials::new(invoice.cash_total), instalment: None },
    })
}

/// The HMAC-SHA256 of `"{timestamp}.{body}"`, hexadecimal: what a gateway sends with a callback.
pub fn callback_signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    hex::encode(callback_mac(secret, timestamp, body).finalize().into_bytes())
}

fn callback_mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[derive(Deserialize)]
struct CallbackBody {
    reference: String,
    status: String,
    amount: i64,
}

/// Checks a message signed with the gateway key: a timestamp within the window and an
/// HMAC-SHA256 over `"{timestamp}.{body}"`.
pub(crate) fn check_signature(app: &App, body: &[u8], timestamp: &str, signature_hex: &str) -> AppResult<()> {
    let timestamp: i64 =
        timestamp.trim().parse().map_err(|_| refused("missing timestamp", "زمان پیام نیامده است"))?;
    if (app.now() - timestamp).abs() > CALLBACK_WINDOW_S {
        return Err(refused(
            "timestamp outside the 300-second window",
            "زمان پیام بیرون از بازهٔ ۳۰۰ ثانیه است",
        ));
    }
    let signature =
        hex::decode(signature_hex.trim()).map_err(|_| refused("bad signature", "امضا نادرست است"))?;
    callback_mac(app.config().gateway_secret.expose(), timestamp, body)
        .verify_slice(&signature)
        .map_err(|_| refused("bad signature", "امضا نادرست است"))
}

/// What a callback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The payment is now recorded, split and its invoice paid.
    Recorded,
    /// It had been recorded before: a duplicate, answered without a change.
    AlreadyRecorded,
    /// The gateway reports a failed or cancelled payment.
    Failed,
}

fn refused(en: &str, fa: &str) -> AppError {
    AppError::invalid(FieldError::new(
        "callback",
        Message::new("پیام درگاه پرداخت", "Gateway callback"),
        Message::new(fa, en),
    ))
}

/// Handles a gateway callback from its raw body: checks the signature and the time window,
/// finds the payment by the gateway's reference, and records it once.
pub async fn record_callback(
    app: &App,
    meta: &RequestMeta,
    gateway: &str,
    body: &[u8],
    timestamp: &str,
    signature_hex: &str,
) -> AppResult<CallbackOutcome> {
    check_signature(app, body, timestamp, signature_hex)?;
    let callback: CallbackBody =
        serde_json::from_slice(body).map_err(|_| refused("unreadable body", "متن پیام خوانا نیست"))?;
    let payment = store_money::payment_by_ref(app.store().pool(), gateway, &callback.reference)
        .await?
        .ok_or_else(|| refused("unknown payment reference", "شناسهٔ پرداخت شناخته نیست"))?;
    if callback.status != "paid" {
        return Ok(CallbackOutcome::Failed);
    }
    // The verify step: ask the gateway itself before believing the message.
    if let Some(gw) = app.gateway().filter(|g| g.name() == gateway) {
        let confirmed = gw.verify(&callback.reference).await.map_err(|e| {
            tracing::warn!(error = %e, "gateway verification failed");
            refused("the gateway did not confirm the payment", "درگاه پرداخت را تأیید نکرد")
        })?;
        if confirmed.status != "paid" || confirmed.amount != payment.amount {
            return Err(refused("the gateway did not confirm the payment", "درگاه پرداخت را تأیید نکرد"));
        }
    }
    if callback.amount != payment.amount {
        return Err(refused("amount differs from the payment", "مبلغ با پرداخت نمی‌خواند"));
    }
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    let receipt_code = hex::encode(crate::random_bytes::<10>());
    if !store_money::mark_payment_paid(tx.conn(), payment.id, &receipt_code, now).await? {
        tx.rollback().await?;
        return Ok(CallbackOutcome::AlreadyRecorded);
    }
    let invoice = store_money::invoice(tx.conn(), payment.invoice_id).await?.ok_or(AppError::NotFound)?;
    let shares = shares_of_payment(&mut tx, &invoice, &payment).await?;
    for share in &shares {
        store_money::insert_share(tx.conn(), &share_row(payment.id, share, now)).await?;
    }
    if let Some(number) = payment.instalment {
        store_money::mark_instalment_paid(tx.conn(), invoice.id, number, payment.id).await?;
    }
    let settles = match payment.instalment {
        Some(_) => invoice.paid_total + payment.amount >= invoice.total,
        None => true,
    };
    if !store_money::add_to_invoice(tx.conn(), invoice.id, payment.amount, settles, now).await? {
        // Paid at the gateway for an invoice cancelled meanwhile: keep the money on record
        // (finance refunds it) rather than lose the payment.
        tracing::warn!(invoice = invoice.public_id, "a payment arrived for an invoice that is not open");
    } else if settles {
        owner_settled(app, &mut tx, &invoice).await?;
    }
    tx.audit(entry(
        app,
        By::System("payment-gateway"),
        meta,
        "payment.recorded",
        ("payment", payment.id.to_string()),
        json!({
            "invoice": invoice.public_id,
            "gateway": gateway,
            "reference": callback.reference,
            "amount": payment.amount,
            "instalment": payment.instalment,
            "receipt": receipt_code,
            "settles": settles,
        }),
    ));
    app.commit(tx).await?;
    Ok(CallbackOutcome::Recorded)
}

fn share_row(payment_id: i64, share: &Share, now: i64) -> ShareRow {
    ShareRow {
        payment_id,
        party: share.party.key().to_string(),
        head: share.head.clone(),
        level: share.level.map(i64::from),
        amount: share.amount.get(),
        refund_id: None,
        recorded_at: now,
    }
}

/// How a payment divides among the invoice's lines: in full at once with the cash discount, in
/// full without it, or an instalment against what each line is still owed.
async fn shares_of_payment(
    tx: &mut WriteTx,
    invoice: &InvoiceRow,
    payment: &store_money::PaymentRow,
) -> AppResult<Vec<Share>> {
    let assessment = stored_assessment(invoice)?;
    let split_error = |e: daftar_fees::split::SplitError| assessment_error(e.to_string());
    if payment.instalment.is_some() {
        let earlier = earlier_shares(tx, invoice.id, payment.id).await?;
        let outstanding = outstanding_after(&assessment, &earlier).map_err(split_error)?;
        return split_outstanding(&outstanding, Rials::new(payment.amount)).map_err(split_error);
    }
    if payment.amount == invoice.cash_total && invoice.cash_total != invoice.total {
        return daftar_fees::split::split_cash_payment(&assessment).map_err(split_error);
    }
    split_payment(&assessment, Rials::new(payment.amount)).map_err(split_error)
}

/// The shares of the invoice's other payments, one list per payment, in line order.
async fn earlier_shares(tx: &mut WriteTx, invoice_id: i64, except: i64) -> AppResult<Vec<Vec<Share>>> {
    let rows = store_money::shares_of_invoice(tx.conn(), invoice_id).await?;
    let mut payments: Vec<(i64, Vec<Share>)> = Vec::new();
    for row in rows.into_iter().filter(|r| r.refund_id.is_none() && r.payment_id != except) {
        let share = Share {
            head: row.head,
            level: row.level.and_then(|l| i32::try_from(l).ok()),
            party: Party::parse(&row.party)
                .ok_or_else(|| assessment_error(format!("unknown party {}", row.party)))?,
            amount: Rials::new(row.amount),
        };
        match payments.last_mut() {
            Some((id, shares)) if *id == row.payment_id => shares.push(share),
            _ => payments.push((row.payment_id, vec![share])),
        }
    }
    Ok(payments.into_iter().map(|(_, shares)| shares).collect())
}

/// Opens the payment of what is due on an invoice (the cash total at once, or the next
/// instalment of its plan) with the connected gateway; returns the gateway page to send the
/// payer to.
pub async fn start_payment(app: &App, meta: &RequestMeta, invoice_public_id: &str) -> AppResult<String> {
    let gateway = app.gateway().ok_or_else(|| {
        AppError::Conflict(Message::new("درگاه پرداختی وصل نیست.", "No payment gateway is connected."))
    })?;
    let invoice = store_money::invoice_by_public_id(app.store().pool(), invoice_public_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if invoice.status != "open" {
        return Err(not_open());
    }
    let due = amount_due(app, &invoice).await?;
    let base = app.config().public_url.trim_end_matches('/').to_string();
    let callback_url = format!("{base}/api/v1/payments/callback/{}", gateway.name());
    let return_url = format!("{base}/invoices/{}", invoice.public_id);
    let opened = gateway.open(due.amount.get(), &callback_url, &return_url).await.map_err(|e| {
        tracing::warn!(error = %e, "the gateway did not open an order");
        AppError::Conflict(Message::new(
            "درگاه پرداخت پاسخ نداد؛ کمی بعد دوباره امتحان کنید.",
            "The payment gateway did not answer; please try again shortly.",
        ))
    })?;
    open_payment(
        app,
        By::System("payment-gateway"),
        meta,
        invoice.id,
        (gateway.name(), &opened.reference),
        due.amount,
    )
    .await?;
    Ok(opened.pay_url)
}

/// An invoice with its history: payments, instalments, and the invoices it replaced or was
/// replaced by.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    pub invoice: InvoiceRow,
    pub assessment: Assessment,
    pub payments: Vec<store_money::PaymentRow>,
    pub instalments: Vec<store_money::InstalmentRow>,
    pub replaced_by: Option<String>,
    pub replaces: Option<String>,
    pub due: AmountDue,
}

/// An invoice by its unguessable public id.
pub async fn invoice(app: &App, public_id: &str) -> AppResult<InvoiceView> {
    let pool = app.store().pool();
    let invoice = store_money::invoice_by_public_id(pool, public_id).await?.ok_or(AppError::NotFound)?;
    let assessment =
        serde_json::from_str(&invoice.assessment).map_err(|e| assessment_error(e.to_string()))?;
    let replaces = match invoice.supersedes {
        Some(id) => store_money::invoice(pool, id).await?.map(|i| i.public_id),
        None => None,
    };
    Ok(InvoiceView {
        payments: store_money::payments_of_invoice(pool, invoice.id).await?,
        instalments: store_money::instalments_of(pool, invoice.id).await?,
        replaced_by: store_money::successor(pool, invoice.id).await?.map(|i| i.public_id),
        replaces,
        due: amount_due(app, &invoice).await?,
        assessment,
        invoice,
    })
}

/// A receipt: a recorded payment with its invoice and each party's share.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub payment: store_money::PaymentRow,
    pub invoice: InvoiceRow,
    pub shares: Vec<(Party, Rials)>,
    pub refunded: bool,
}

/// A receipt by its public code (printed as a QR code): anyone holding it may check it.
pub async fn receipt(app: &App, code: &str) -> AppResult<Receipt> {
    let pool = app.store().pool();
    let payment = store_money::payment_by_receipt(pool, code).await?.ok_or(AppError::NotFound)?;
    let invoice = store_money::invoice(pool, payment.invoice_id).await?.ok_or(AppError::NotFound)?;
    let rows = store_money::shares_of_invoice(pool, invoice.id).await?;
    let mut shares: Vec<(Party, Rials)> = Vec::new();
    for row in rows.iter().filter(|r| r.payment_id == payment.id && r.refund_id.is_none()) {
        let party =
            Party::parse(&row.party).ok_or_else(|| assessment_error(format!("party {}", row.party)))?;
        match shares.iter_mut().find(|(p, _)| *p == party) {
            Some((_, total)) => *total = Rials::new(total.get() + row.amount),
            None => shares.push((party, Rials::new(row.amount))),
        }
    }
    Ok(Receipt { refunded: payment.status == "refunded", payment, invoice, shares })
}
