//! Invoices, receipts and finance reports over JSON: the same use cases as the pages.

use axum::Json;
use axum::extract::{Path, Query, State};
use daftar_app::AppError;
use daftar_app::audit::By;
use daftar_app::money::{self, Period};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ApiErrorBody};

fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// An invoice with its explained lines and its history.
#[derive(Serialize, ToSchema)]
pub struct InvoiceDoc {
    pub public_id: String,
    /// `open`, `paid` or `cancelled`.
    pub status: String,
    pub owner_type: String,
    pub owner_id: String,
    pub bylaw_version: String,
    /// Rials.
    pub total: i64,
    pub cash_total: i64,
    pub paid_total: i64,
    /// What the payer pays next, and which instalment it is (0 = the down payment).
    pub due_amount: i64,
    pub due_instalment: Option<i64>,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    pub waiver_reason: Option<String>,
    pub cancel_reason: Option<String>,
    /// Every line with its formula, inputs, arithmetic, party and amount.
    #[schema(value_type = Object)]
    pub assessment: Value,
    #[schema(value_type = Vec<Object>)]
    pub instalments: Value,
    #[schema(value_type = Vec<Object>)]
    pub payments: Value,
}

/// An invoice by its public id (the link is the capability, as on the page).
#[utoipa::path(get, path = "/api/v1/invoices/{public_id}", tag = "payments",
    params(("public_id" = String, Path)),
    responses((status = 200, body = InvoiceDoc), (status = 404, body = ApiErrorBody)))]
pub async fn invoice(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<InvoiceDoc>, ApiError> {
    let view = money::invoice(&state.app, &id).await?;
    let i = &view.invoice;
    Ok(Json(InvoiceDoc {
        public_id: i.public_id.clone(),
        status: i.status.clone(),
        owner_type: i.owner_type.clone(),
        owner_id: i.owner_id.clone(),
        bylaw_version: i.bylaw_version.clone(),
        total: i.total,
        cash_total: i.cash_total,
        paid_total: i.paid_total,
        due_amount: view.due.amount.get(),
        due_instalment: view.due.instalment,
        replaces: view.replaces.clone(),
        replaced_by: view.replaced_by.clone(),
        waiver_reason: i.waiver_reason.clone(),
        cancel_reason: i.cancel_reason.clone(),
        assessment: to_value(&view.assessment),
        instalments: to_value(&view.instalments),
        payments: to_value(&view.payments),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptDoc {
    pub code: String,
    pub invoice: String,
    pub amount: i64,
    pub paid_at: Option<i64>,
    pub gateway_reference: String,
    pub refunded: bool,
    /// Each party's share: `[party, amount]`.
    pub shares: Vec<(String, i64)>,
}

/// A receipt by the code printed on it: anyone may check it.
#[utoipa::path(get, path = "/api/v1/receipts/{code}", tag = "payments",
    params(("code" = String, Path)),
    responses((status = 200, body = ReceiptDoc), (status = 404, body = ApiErrorBody)))]
pub async fn receipt(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ReceiptDoc>, ApiError> {
    let r = money::receipt(&state.app, &code).await?;
    Ok(Json(ReceiptDoc {
        code,
        invoice: r.invoice.public_id,
        amount: r.payment.amount,
        paid_at: r.payment.paid_at,
        gateway_reference: r.payment.gateway_ref,
        refunded: r.refunded,
        shares: r.shares.iter().map(|(p, a)| (p.key().to_string(), a.get())).collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PeriodParam {
    /// A Jalali month, `1405/09`.
    pub period: String,
}

/// A month reconciled: payments less refunds = shares = settlements, with every difference.
#[utoipa::path(get, path = "/api/v1/finance/reconciliation", tag = "payments", params(PeriodParam),
    responses((status = 200, body = Object), (status = 403, body = ApiErrorBody)))]
pub async fn reconciliation(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PeriodParam>,
) -> Result<Json<Value>, ApiError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let report = money::reconcile(&state.app, By::Principal(principal), Period::parse(&q.period)?).await?;
    let mut value = to_value(&report);
    value["balanced"] = Value::Bool(report.balanced());
    Ok(Json(value))
}

/// An office's statement for a month: every share on its invoices.
#[utoipa::path(get, path = "/api/v1/finance/statements/{office}", tag = "payments",
    params(("office" = String, Path, description = "The office's code"), PeriodParam),
    responses((status = 200, body = Object), (status = 403, body = ApiErrorBody)))]
pub async fn statement(
    State(state): State<AppState>,
    caller: Caller,
    Path(office): Path<String>,
    Query(q): Query<PeriodParam>,
) -> Result<Json<Value>, ApiError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let statement =
        money::office_statement(&state.app, principal, &office, Period::parse(&q.period)?).await?;
    Ok(Json(to_value(&statement)))
}
