//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/v1/openapi.json`.
//! Handlers call the same use cases as the pages.

pub mod auth;
pub mod cases;
pub mod licensing;
pub mod money;
pub mod payments;
pub mod plan;
pub mod system;
pub mod users;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use daftar_app::{AppError, FieldError, Message};
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;

/// A JSON body whose rejection is explained in both languages, naming the field when serde
/// can tell which one.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(body_error(&rejection))),
        }
    }
}

fn body_error(rejection: &JsonRejection) -> AppError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::TooLarge;
    }
    let detail = rejection.body_text();
    let field = detail
        .split('`')
        .nth(1)
        .filter(|_| detail.contains("field"))
        .map(|name| Box::leak(name.to_string().into_boxed_str()) as &'static str)
        .unwrap_or("body");
    AppError::invalid(FieldError::new(
        field,
        Message::new(field, field),
        Message::new(
            format!("بدنهٔ JSON درخواست خوانا نیست: {detail}"),
            format!("The request's JSON body could not be read: {detail}"),
        ),
    ))
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::caller::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "agency_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("dk_<prefix>_<secret>")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Daftar API",
        description = "City e-services offices. Browser clients authenticate with the session cookie \
            and must send an Origin header on unsafe requests; agencies use their API key as a \
            Bearer token. Errors carry a stable code and messages in Persian and English.",
        version = "1"
    ),
    paths(
        system::keys,
        auth::staff_sign_in,
        auth::request_code,
        auth::verify_code,
        auth::sign_out,
        users::me,
        users::rename,
        users::list,
        users::create,
        system::checkpoints,
        system::tariffs,
        payments::callback,
        money::invoice,
        money::receipt,
        money::reconciliation,
        money::statement,
        licensing::call,
        licensing::publish,
        licensing::save,
        licensing::submit,
        licensing::mine,
        licensing::attach,
        licensing::exam,
        licensing::seat,
        licensing::vote,
        licensing::select,
        licensing::ranking,
        licensing::licences,
        licensing::expert,
        licensing::equipment,
        licensing::open,
        licensing::licence,
        licensing::change_licence,
        plan::parcel,
        plan::parcel_at,
        plan::instruction_sheet,
        plan::check,
        plan::check_dxf,
        plan::zones,
        plan::parcels,
        cases::services,
        cases::publish,
        cases::open,
        cases::inbox,
        cases::case,
        cases::act,
        cases::upload,
        cases::document,
        cases::issued_pdf,
        cases::inquiry,
        cases::track,
        cases::complain,
        cases::complaints,
        cases::answer,
        cases::verify,
        cases::verify_pdf,
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "users", description = "Accounts and roles"),
        (name = "system", description = "Keys, the audit log and the public tariffs"),
        (name = "payments", description = "Invoices, receipts, finance reports and payment gateways' signed callbacks"),
        (name = "licensing", description = "Licensing calls: registration, exam and board, selection, licences, experts, opening offices"),
        (name = "cases", description = "The service catalog and cases: opening, steps under the case's version, documents, inquiries, tracking, complaints, and verifying issued permits and certificates"),
        (name = "plan", description = "The detailed plan: parcels, instruction sheets, plan checks (coordinates: projected metres, EPSG:32639 in the demo city)"),
    )
)]
pub struct ApiDoc;
