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
pub mod webhooks;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use daftar_app::{AppError, FieldError, Message};
use serde::de::DeserializeOwned;
use utoipa::openapi::Required;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
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

/// Documents the optional `Idempotency-Key` header on every POST operation.
struct IdempotencyKeyHeader;

impl Modify for IdempotencyKeyHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(255))
            .pattern(Some("^[\\x21-\\x7E]+$"));
        let parameter = ParameterBuilder::new()
            .name(daftar_app::idempotency::HEADER)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes a retried POST run once, for a signed-in caller (each user and each agency \
                 key has its own keys). The same key with the same method, path and body within \
                 24 hours answers the first response byte for byte, marked `Idempotent-Replayed: \
                 true`; with a different request it is refused (422); while the first request is \
                 still running, 409. A server error frees the key. 1 to 255 visible ASCII \
                 characters, otherwise 400.",
            ))
            .schema(Some(schema))
            .build();
        for item in openapi.paths.paths.values_mut() {
            if let Some(operation) = item.post.as_mut() {
                operation.parameters.get_or_insert_with(Vec::new).push(parameter.clone().into());
            }
        }
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
        webhooks::subscribe,
        webhooks::list,
        webhooks::unsubscribe,
    ),
    modifiers(&Security, &IdempotencyKeyHeader),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "users", description = "Accounts and roles"),
        (name = "system", description = "Keys, the audit log and the public tariffs"),
        (name = "payments", description = "Invoices, receipts, finance reports and payment gateways' signed callbacks"),
        (name = "licensing", description = "Licensing calls: registration, exam and board, selection, licences, experts, opening offices"),
        (name = "cases", description = "The service catalog and cases: opening, steps under the case's version, documents, inquiries, tracking, complaints, and verifying issued permits and certificates"),
        (name = "webhooks", description = "Agencies' endpoints for case events: signed (HMAC-SHA256) deliveries, retried with backoff"),
        (name = "plan", description = "The detailed plan: parcels, instruction sheets, plan checks (coordinates: projected metres, EPSG:32639 in the demo city)"),
    )
)]
pub struct ApiDoc;
