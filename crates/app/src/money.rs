//! Invoices and payments: an invoice is assessed from named inputs under the fee bylaw in
//! force; a payment is recorded when its gateway calls back, authenticated by HMAC and found by
//! the gateway's own reference, never through a browser session. Recording it, splitting it
//! among the parties and closing the invoice are one transaction.

use daftar_fees::assess::{AssessmentInputs, assess};
use daftar_fees::split::split_payment;
use daftar_store::money::{self as store_money, InvoiceRow, NewInvoice};
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

/// Assesses the fees of `owner` (a case, an office's rent) under the bylaw in force and issues
/// the invoice.
pub async fn issue_invoice(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    owner: (&str, &str),
    inputs: &AssessmentInputs,
) -> AppResult<InvoiceRow> {
    let bylaw = crate::fees::bylaw_in_force(app)
        .await?
        .ok_or_else(|| assessment_error("no fee bylaw is in force".into()))?;
    let assessment = assess(&bylaw, inputs).map_err(|e| assessment_error(e.to_string()))?;
    let public_id = hex::encode(crate::random_bytes::<12>());
    let document = serde_json::to_string(&assessment).map_err(|e| assessment_error(e.to_string()))?;
    let mut tx = app.store().begin_write().await?;
    let new = NewInvoice {
        public_id: &public_id,
        owner_type: owner.0,
        owner_id: owner.1,
        bylaw_version: &assessment.bylaw_version,
        total: assessment.total.get(),
        cash_total: assessment.cash_total().get(),
        assessment: &document,
    };
    let id = store_money::insert_invoice(tx.conn(), &new, app.now()).await?;
    tx.audit(entry(
        app,
        by,
        meta,
        "invoice.issued",
        ("invoice", public_id.clone()),
        json!({ "owner": owner, "bylaw": assessment.bylaw_version, "total": assessment.total.get() }),
    ));
    app.commit(tx).await?;
    store_money::invoice(app.store().pool(), id).await?.ok_or(AppError::NotFound)
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
        return Err(AppError::Conflict(Message::new("این صورت‌حساب باز نیست.", "This invoice is not open.")));
    }
    if amount.get() != invoice.total && amount.get() != invoice.cash_total {
        return Err(AppError::Conflict(Message::new(
            "مبلغ پرداخت با صورت‌حساب نمی‌خواند.",
            "The payment amount does not match the invoice.",
        )));
    }
    let mut tx = app.store().begin_write().await?;
    let id =
        store_money::insert_payment(tx.conn(), invoice.id, gateway.0, gateway.1, amount.get(), app.now())
            .await?;
    tx.audit(entry(
        app,
        by,
        meta,
        "payment.opened",
        ("payment", id.to_string()),
        json!({ "invoice": invoice.public_id, "gateway": gateway.0, "reference": gateway.1, "amount": amount.get() }),
    ));
    app.commit(tx).await?;
    Ok(id)
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
    let invoice =
        store_money::invoice(app.store().pool(), payment.invoice_id).await?.ok_or(AppError::NotFound)?;
    let assessment: daftar_fees::assess::Assessment =
        serde_json::from_str(&invoice.assessment).map_err(|e| assessment_error(e.to_string()))?;
    let shares = if payment.amount == invoice.cash_total && invoice.cash_total != invoice.total {
        daftar_fees::split::split_cash_payment(&assessment).map_err(|e| assessment_error(e.to_string()))?
    } else {
        split_payment(&assessment, Rials::new(payment.amount)).map_err(|e| assessment_error(e.to_string()))?
    };
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    if !store_money::mark_payment_paid(tx.conn(), payment.id, now).await? {
        tx.rollback().await?;
        return Ok(CallbackOutcome::AlreadyRecorded);
    }
    for share in &shares {
        let party = serde_json::to_value(share.party)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        store_money::insert_share(
            tx.conn(),
            payment.id,
            &party,
            &share.head,
            share.level.map(i64::from),
            share.amount.get(),
        )
        .await?;
    }
    store_money::mark_invoice_paid(tx.conn(), invoice.id, now).await?;
    tx.audit(entry(
        app,
        By::System("payment-gateway"),
        meta,
        "payment.recorded",
        ("payment", payment.id.to_string()),
        json!({ "invoice": invoice.public_id, "gateway": gateway, "reference": callback.reference, "amount": payment.amount }),
    ));
    app.commit(tx).await?;
    Ok(CallbackOutcome::Recorded)
}

/// Payments against their shares over a period: what was paid must equal what was divided.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reconciliation {
    pub payments: usize,
    pub paid: i64,
    pub shared: i64,
    pub by_party: Vec<(String, i64)>,
    /// Payments whose shares do not add up to the amount paid.
    pub differences: Vec<daftar_store::money::PaymentBalance>,
}

/// Reconciles the payments recorded in `[from, to)` (Unix seconds). Finance and the
/// supervisor may run it; the command line runs it as the system.
pub async fn reconcile(app: &App, by: By<'_>, from: i64, to: i64) -> AppResult<Reconciliation> {
    if let By::Principal(principal) = by
        && !principal.has_role(&[crate::Role::Finance, crate::Role::Supervisor, crate::Role::Admin])
    {
        return Err(AppError::Forbidden);
    }
    let pool = app.store().pool();
    let balances = store_money::paid_balances(pool, from, to).await?;
    Ok(Reconciliation {
        payments: balances.len(),
        paid: balances.iter().map(|b| b.amount).sum(),
        shared: balances.iter().map(|b| b.shared).sum(),
        by_party: store_money::party_totals(pool, from, to).await?,
        differences: balances.into_iter().filter(|b| b.amount != b.shared).collect(),
    })
}

/// Opens a payment of an invoice in full at once (the cash total) with the connected gateway;
/// returns the gateway page to send the payer to.
pub async fn start_payment(app: &App, meta: &RequestMeta, invoice_public_id: &str) -> AppResult<String> {
    let gateway = app.gateway().ok_or_else(|| {
        AppError::Conflict(Message::new("درگاه پرداختی وصل نیست.", "No payment gateway is connected."))
    })?;
    let invoice = store_money::invoice_by_public_id(app.store().pool(), invoice_public_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if invoice.status != "open" {
        return Err(AppError::Conflict(Message::new("این صورت‌حساب باز نیست.", "This invoice is not open.")));
    }
    let base = app.config().public_url.trim_end_matches('/').to_string();
    let callback_url = format!("{base}/api/v1/payments/callback/{}", gateway.name());
    let return_url = format!("{base}/invoices/{}", invoice.public_id);
    let opened = gateway.open(invoice.cash_total, &callback_url, &return_url).await.map_err(|e| {
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
        Rials::new(invoice.cash_total),
    )
    .await?;
    Ok(opened.pay_url)
}

/// An invoice by its unguessable public id, with its assessment.
pub async fn invoice(app: &App, public_id: &str) -> AppResult<(InvoiceRow, daftar_fees::assess::Assessment)> {
    let row =
        store_money::invoice_by_public_id(app.store().pool(), public_id).await?.ok_or(AppError::NotFound)?;
    let assessment = serde_json::from_str(&row.assessment).map_err(|e| assessment_error(e.to_string()))?;
    Ok((row, assessment))
}

/// Bills an office the rent of its municipal site for `months` months (service `site_rent`).
pub async fn issue_rent_invoice(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    office_code: &str,
    monthly_rent: Rials,
    months: u32,
) -> AppResult<InvoiceRow> {
    let offices = crate::directory::offices(app).await?;
    if !offices.iter().any(|o| o.code == office_code) {
        return Err(AppError::invalid(FieldError::new(
            "office",
            Message::new("دفتر", "Office"),
            Message::new("چنین دفتری نیست.", "No such office."),
        )));
    }
    let mut extra = std::collections::BTreeMap::new();
    extra.insert("site_rent".to_string(), rust_decimal::Decimal::from(monthly_rent.get()));
    extra.insert("rent_months".to_string(), rust_decimal::Decimal::from(months));
    let inputs = AssessmentInputs { service: "site_rent".into(), extra, ..AssessmentInputs::default() };
    issue_invoice(app, by, meta, ("office_rent", office_code), &inputs).await
}
