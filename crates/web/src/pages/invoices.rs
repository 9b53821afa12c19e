//! The payer's invoice page and the sandbox gateway's pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use daftar_app::gateway::{self, Opened};
use daftar_fees::assess::{Assessment, InvoiceLine};
use daftar_fees::bylaw::Party;
use daftar_store::money::InvoiceRow;
use daftar_store::sandbox::OrderRow;
use serde::Deserialize;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, PageError};
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "invoice.html")]
pub struct InvoicePage {
    p: Page,
    invoice: InvoiceRow,
    assessment: Assessment,
}

impl InvoicePage {
    fn status_key(&self) -> &'static str {
        match self.invoice.status.as_str() {
            "paid" => "invoice-status-paid",
            "cancelled" => "invoice-status-cancelled",
            _ => "invoice-status-open",
        }
    }

    fn level_label(&self, level: &i32) -> String {
        self.p.t1("check-level-n", "level", &daftar_types::number::format_int(i64::from(*level), self.p.lang))
    }

    fn amount(&self, line: &InvoiceLine) -> String {
        line.amount.format(self.p.lang)
    }

    fn party_key(&self, line: &InvoiceLine) -> &'static str {
        match line.party {
            Party::Office => "party-office",
            Party::Agency => "party-agency",
            Party::Municipality => "party-municipality",
        }
    }
}

/// An invoice, by its unguessable public id: whoever holds the link may see and pay it.
pub async fn show(
    State(state): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<InvoicePage, PageError> {
    let (invoice, assessment) =
        daftar_app::money::invoice(&state.app, &id).await.map_err(|e| PageError(e, p.lang))?;
    Ok(InvoicePage { p, invoice, assessment })
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
