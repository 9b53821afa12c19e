//! The payer's invoice page and the sandbox gateway's pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use daftar_app::gateway::{self, Opened};
use daftar_app::money::{self, InvoiceView, Receipt};
use daftar_app::{AppError, FieldError, Message};
use daftar_fees::assess::{Assessment, InvoiceLine};
use daftar_fees::bylaw::Party;
use daftar_store::money::InvoiceRow;
use daftar_store::sandbox::OrderRow;
use daftar_types::{Lang, Rials};
use serde::Deserialize;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, FormErrors, PageError};
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "invoice.html")]
pub struct InvoicePage {
    p: Page,
    view: InvoiceView,
    errors: FormErrors,
}

impl InvoicePage {
    fn invoice(&self) -> &InvoiceRow {
        &self.view.invoice
    }

    fn assessment(&self) -> &Assessment {
        &self.view.assessment
    }

    fn status_key(&self) -> &'static str {
        status_key(&self.view.invoice.status)
    }

    fn level_label(&self, level: &i32) -> String {
        self.p.t1("check-level-n", "level", &daftar_types::number::format_int(i64::from(*level), self.p.lang))
    }

    fn amount(&self, line: &InvoiceLine) -> String {
        line.amount.format(self.p.lang)
    }

    /// The cash discount as the negative amount it is.
    fn discount(&self) -> String {
        Rials::new(-self.view.assessment.cash_discount.amount.get()).format(self.p.lang)
    }

    fn waived_from(&self, line: &InvoiceLine) -> Option<String> {
        line.waived_from.map(|r| r.format(self.p.lang))
    }

    fn party_key(&self, line: &InvoiceLine) -> &'static str {
        party_key(line.party)
    }

    fn may_manage(&self) -> bool {
        self.p.can("manage_invoices")
    }

    /// The distinct heads with a charge, for the waiver form.
    fn waivable_heads(&self) -> Vec<(String, String)> {
        let mut heads: Vec<(String, String)> = Vec::new();
        for line in self.view.assessment.lines.iter().filter(|l| l.waived_from.is_none()) {
            if !heads.iter().any(|(code, _)| *code == line.head) {
                let name = if self.p.lang == Lang::Fa { &line.name_fa } else { &line.name_en };
                heads.push((line.head.clone(), name.clone()));
            }
        }
        heads
    }

    fn payment_status_key(&self, status: &str) -> &'static str {
        match status {
            "paid" => "payment-status-paid",
            "refunded" => "payment-status-refunded",
            "failed" => "payment-status-failed",
            _ => "payment-status-initiated",
        }
    }

    fn instalment_label(&self, number: &i64) -> String {
        if *number == 0 { self.p.t("instalment-down") } else { self.p.num(number) }
    }
}

pub(crate) fn status_key(status: &str) -> &'static str {
    match status {
        "paid" => "invoice-status-paid",
        "cancelled" => "invoice-status-cancelled",
        _ => "invoice-status-open",
    }
}

pub(crate) fn party_key(party: Party) -> &'static str {
    match party {
        Party::Office => "party-office",
        Party::Agency => "party-agency",
        Party::Municipality => "party-municipality",
    }
}

async fn invoice_page(
    state: &AppState,
    p: Page,
    id: &str,
    errors: FormErrors,
) -> Result<InvoicePage, PageError> {
    let lang = p.lang;
    let view = daftar_app::money::invoice(&state.app, id).await.map_err(|e| PageError(e, lang))?;
    Ok(InvoicePage { p, view, errors })
}

/// An invoice, by its unguessable public id: whoever holds the link may see and pay it.
pub async fn show(
    State(state): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<InvoicePage, PageError> {
    let errors = FormErrors { lang: p.lang, ..FormErrors::default() };
    invoice_page(&state, p, &id, errors).await
}

pub async fn pay(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let pay_url = daftar_app::money::start_payment(&state.app, &caller.meta, &id)
        .await
        .map_err(|e| PageError(e, caller.lang))?;
    Ok(Redirect::to(&pay_url).into_response())
}

/// Finance's changes to an invoice, from the forms on its page.
#[derive(Deserialize)]
pub struct Adjustment {
    #[serde(default)]
    reason: String,
    /// Waiver: the heads ticked.
    #[serde(default)]
    head: Vec<String>,
    #[serde(default)]
    down_payment: String,
    #[serde(default)]
    months: String,
}

fn number_field<T: std::str::FromStr>(
    value: &str,
    field: &'static str,
    fa: &str,
    en: &str,
) -> Result<T, AppError> {
    daftar_types::digits::fold_to_ascii(value.trim()).replace([',', '٬'], "").parse().map_err(|_| {
        AppError::invalid(FieldError::new(
            field,
            Message::new(fa, en),
            Message::new("باید عددی درست باشد.", "must be a whole number."),
        ))
    })
}

async fn adjust(
    state: &AppState,
    caller: &Caller,
    action: &str,
    id: &str,
    form: &Adjustment,
) -> Result<String, AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let (app, meta) = (&state.app, &caller.meta);
    let next = match action {
        "waive" => money::waive(app, principal, meta, id, &form.head, &form.reason).await?.public_id,
        "cancel" => {
            money::cancel(app, principal, meta, id, &form.reason).await?;
            id.to_string()
        }
        "reissue" => money::reissue(app, principal, meta, id, None, &form.reason).await?.public_id,
        "instalments" => {
            let down: i64 = number_field(&form.down_payment, "down_payment", "پیش‌پرداخت", "Down payment")?;
            let months: u32 = number_field(&form.months, "months", "تعداد اقساط", "Instalments")?;
            money::plan_instalments(app, principal, meta, id, Rials::new(down), months).await?;
            id.to_string()
        }
        "refund" => {
            money::refund(app, principal, meta, id, &form.reason).await?;
            id.to_string()
        }
        _ => return Err(AppError::NotFound),
    };
    Ok(next)
}

/// Waive, cancel, re-issue, plan instalments or refund: on success the (possibly new) invoice's
/// page; on a refusal the same page with the reason beside the form.
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Adjustment>,
) -> Result<Response, PageError> {
    let lang = p.lang;
    match adjust(&state, &caller, &action, &id, &form).await {
        Ok(next) => Ok(Redirect::to(&format!("/invoices/{next}")).into_response()),
        Err(err) => {
            let errors = FormErrors::from_error(err, lang)?;
            let page = invoice_page(&state, p, &id, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "receipt.html")]
pub struct ReceiptPage {
    p: Page,
    receipt: Receipt,
}

impl ReceiptPage {
    fn party_name(&self, party: &Party) -> String {
        self.p.t(party_key(*party))
    }

    fn amount(&self, amount: &Rials) -> String {
        amount.format(self.p.lang)
    }
}

/// A receipt by the code printed on it: the public's check that a payment was received and how
/// it was divided.
pub async fn receipt(
    State(state): State<AppState>,
    p: Page,
    Path(code): Path<String>,
) -> Result<ReceiptPage, PageError> {
    let receipt = money::receipt(&state.app, &code).await.map_err(|e| PageError(e, p.lang))?;
    Ok(ReceiptPage { p, receipt })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The sandbox gateway's API: open an order (signed by the merchant).
pub async fn sandbox_open(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Opened>, ApiError> {
    let opened = gateway::sandbox_open(
        &state.app,
        &body,
        header(&headers, "x-daftar-timestamp"),
        header(&headers, "x-daftar-signature"),
    )
    .await?;
    Ok(Json(opened))
}

/// The sandbox gateway's API: what it knows of an order (the verify step).
pub async fn sandbox_verify(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<gateway::Verified>, ApiError> {
    let order = gateway::sandbox_order(&state.app, &reference).await?;
    Ok(Json(gateway::Verified { status: order.status, amount: order.amount }))
}

#[derive(Template, WebTemplate)]
#[template(path = "sandbox_pay.html")]
pub struct SandboxPage {
    p: Page,
    order: OrderRow,
}

pub async fn sandbox_page(
    State(state): State<AppState>,
    p: Page,
    Path(reference): Path<String>,
) -> Result<SandboxPage, PageError> {
    let order = gateway::sandbox_order(&state.app, &reference).await.map_err(|e| PageError(e, p.lang))?;
    Ok(SandboxPage { p, order })
}

#[derive(Deserialize)]
pub struct SandboxAction {
    action: String,
}

pub async fn sandbox_settle(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    Form(form): Form<SandboxAction>,
) -> Result<Response, PageError> {
    let back = gateway::sandbox_settle(&state.app, &reference, form.action == "pay")
        .await
        .map_err(|e| PageError(e, caller.lang))?;
    Ok(Redirect::to(&back).into_response())
}

/// The sandbox gateway's API: refund a paid order (signed by the merchant).
pub async fn sandbox_refund(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    gateway::sandbox_refund(
        &state.app,
        &reference,
        &body,
        header(&headers, "x-daftar-timestamp"),
        header(&headers, "x-daftar-signature"),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The invoice as a PDF: every line with its formula, inputs and arithmetic.
pub async fn invoice_pdf(
    State(state): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let body = daftar_app::documents::invoice_pdf(&state.app, &id).await.map_err(|e| PageError(e, p.lang))?;
    Ok(crate::pages::pdf(format!("invoice-{id}.pdf"), body))
}

/// The receipt as a PDF with the QR code of its verification page.
pub async fn receipt_pdf(
    State(state): State<AppState>,
    p: Page,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let body =
        daftar_app::documents::receipt_pdf(&state.app, &code).await.map_err(|e| PageError(e, p.lang))?;
    Ok(crate::pages::pdf(format!("receipt-{code}.pdf"), body))
}
