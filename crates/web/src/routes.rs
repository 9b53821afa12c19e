//! Every route of the web layer, in one table, and the middleware around them.
//!
//! The table is the router's only source: [`route_list`] exposes it so that a test can check
//! each route against every role, using the rules in `daftar_app::authz::ROUTES`.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::{HeaderName, Request, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{AppState, api, caller, idempotency, pages, security, static_files};

/// The largest request body accepted at all (drawings); axum's extractors hold forms and JSON to
/// their own default of 2 MiB.
const BODY_LIMIT: usize = api::plan::DXF_LIMIT;

struct RouteDef {
    method: &'static str,
    path: &'static str,
    router: MethodRouter<AppState>,
}

fn r<H, T>(method: &'static str, path: &'static str, handler: H) -> RouteDef
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        other => panic!("unsupported method {other} in the route table"),
    };
    RouteDef { method, path, router: on(filter, handler) }
}

/// Lets a route's extractors read bodies up to the drawing limit (drawings; an application with
/// its certificates and photos).
fn upload(def: RouteDef) -> RouteDef {
    RouteDef { router: def.router.layer(DefaultBodyLimit::max(api::plan::DXF_LIMIT)), ..def }
}

fn table() -> Vec<RouteDef> {
    vec![
        r("GET", "/", pages::home::show),
        r("GET", "/healthz", healthz),
        r("GET", "/readyz", readyz),
        r("GET", "/metrics", metrics),
        r("GET", "/static/{*path}", static_files::serve),
        r("GET", "/lang/{code}", pages::switch_language),
        r("GET", "/sign-in", pages::sign_in::show),
        r("POST", "/sign-in/staff", pages::sign_in::staff),
        r("POST", "/sign-in/citizen", pages::sign_in::citizen),
        r("GET", "/sign-in/code/{challenge}", pages::sign_in::code_form),
        r("POST", "/sign-in/code/{challenge}", pages::sign_in::code_submit),
        r("GET", "/sign-in/second-factor", pages::sign_in::second_factor_form),
        r("POST", "/sign-in/second-factor", pages::sign_in::second_factor_submit),
        r("POST", "/sign-out", pages::sign_in::sign_out),
        r("GET", "/account", pages::account::show),
        r("POST", "/account/role", pages::account::switch_role),
        r("POST", "/account/name", pages::account::rename),
        r("POST", "/account/password", pages::account::change_password),
        r("POST", "/account/totp", pages::account::begin_totp),
        r("POST", "/account/totp/confirm", pages::account::confirm_totp),
        r("GET", "/admin/users", pages::admin::show),
        r("POST", "/admin/users", pages::admin::add),
        r("GET", "/audit", pages::audit::show),
        r("GET", "/dev/outbox", pages::outbox::show),
        r("GET", "/map", pages::plan::map),
        r("GET", "/tariffs", pages::tariffs::show),
        r("GET", "/invoices/{public_id}", pages::invoices::show),
        r("POST", "/invoices/{public_id}/pay", pages::invoices::pay),
        r("POST", "/invoices/{public_id}/{action}", pages::invoices::change),
        r("GET", "/receipts/{code}", pages::invoices::receipt),
        r("GET", "/invoices/{public_id}/pdf", pages::invoices::invoice_pdf),
        r("GET", "/receipts/{code}/pdf", pages::invoices::receipt_pdf),
        r("GET", "/finance", pages::finance::show),
        r("GET", "/calls/{call}", pages::licensing::show),
        r("GET", "/calls/{call}/ranking", pages::licensing::ranking),
        r("GET", "/calls/{call}/result", pages::licensing::result),
        r("GET", "/calls/{call}/apply", pages::registration::show),
        upload(r("POST", "/calls/{call}/apply", pages::registration::save)),
        r("GET", "/licences", pages::licensing::register),
        r("GET", "/licences/{office}", pages::licensing::licence),
        r("GET", "/licences/{office}/pdf", pages::licensing::licence_pdf),
        r("POST", "/licences/{office}/{action}", pages::licensing::change_licence),
        r("POST", "/finance/close", pages::finance::close),
        r("POST", "/finance/rent", pages::finance::bill_rent),
        r("GET", "/finance/statement", pages::finance::statement),
        r("GET", "/api/v1/invoices/{public_id}", api::money::invoice),
        r("POST", "/api/v1/licensing/calls", api::licensing::publish),
        r("GET", "/api/v1/licensing/calls/{call}", api::licensing::call),
        r("PUT", "/api/v1/licensing/calls/{call}/application", api::licensing::save),
        r("POST", "/api/v1/licensing/calls/{call}/application", api::licensing::submit),
        r("GET", "/api/v1/licensing/calls/{call}/application", api::licensing::mine),
        upload(r("PUT", "/api/v1/licensing/calls/{call}/application/files/{slot}", api::licensing::attach)),
        r("POST", "/api/v1/licensing/calls/{call}/exam", api::licensing::exam),
        r("POST", "/api/v1/licensing/calls/{call}/board", api::licensing::seat),
        r("POST", "/api/v1/licensing/calls/{call}/votes", api::licensing::vote),
        r("POST", "/api/v1/licensing/calls/{call}/selection", api::licensing::select),
        r("GET", "/api/v1/licensing/calls/{call}/ranking", api::licensing::ranking),
        r("POST", "/api/v1/licensing/calls/{call}/licences", api::licensing::licences),
        r("POST", "/api/v1/licensing/calls/{call}/experts", api::licensing::expert),
        r("POST", "/api/v1/licensing/calls/{call}/offices/{office}/open", api::licensing::open),
        r("POST", "/api/v1/offices/{office}/equipment", api::licensing::equipment),
        r("GET", "/api/v1/licences/{office}", api::licensing::licence),
        r("POST", "/api/v1/licences/{office}/{action}", api::licensing::change_licence),
        r("GET", "/api/v1/receipts/{code}", api::money::receipt),
        r("GET", "/api/v1/finance/reconciliation", api::money::reconciliation),
        r("GET", "/api/v1/finance/statements/{office}", api::money::statement),
        r("POST", "/sandbox-gateway/api/orders/{reference}/refund", pages::invoices::sandbox_refund),
        r("POST", "/sandbox-gateway/api/orders", pages::invoices::sandbox_open),
        r("GET", "/sandbox-gateway/api/orders/{reference}", pages::invoices::sandbox_verify),
        r("GET", "/sandbox-gateway/pay/{reference}", pages::invoices::sandbox_page),
        r("POST", "/sandbox-gateway/pay/{reference}", pages::invoices::sandbox_settle),
        r("GET", "/api/v1/tariffs", api::system::tariffs),
        r("POST", "/api/v1/payments/callback/{gateway}", api::payments::callback),
        r("GET", "/parcels/{parcel_key}", pages::plan::parcel_sheet),
        r("GET", "/plan-check", pages::plan::check_form),
        r("POST", "/plan-check", pages::plan::check_submit),
        upload(r("POST", "/plan-check/dxf", pages::plan::check_dxf_submit)),
        r("GET", "/api/v1/keys", api::system::keys),
        r("POST", "/api/v1/auth/staff", api::auth::staff_sign_in),
        r("POST", "/api/v1/auth/citizen/code", api::auth::request_code),
        r("POST", "/api/v1/auth/citizen/verify", api::auth::verify_code),
        r("POST", "/api/v1/auth/sign-out", api::auth::sign_out),
        r("GET", "/api/v1/me", api::users::me),
        r("PUT", "/api/v1/me/name", api::users::rename),
        r("GET", "/api/v1/users", api::users::list),
        r("POST", "/api/v1/users", api::users::create),
        r("GET", "/api/v1/audit/checkpoints", api::system::checkpoints),
        r("POST", "/api/v1/webhooks", api::webhooks::subscribe),
        r("GET", "/api/v1/webhooks", api::webhooks::list),
        r("DELETE", "/api/v1/webhooks/{id}", api::webhooks::unsubscribe),
        r("GET", "/api/v1/parcels/at", api::plan::parcel_at),
        r("GET", "/api/v1/parcels/{parcel_key}", api::plan::parcel),
        r("GET", "/api/v1/parcels/{parcel_key}/instruction-sheet", api::plan::instruction_sheet),
        r("POST", "/api/v1/plan-check", api::plan::check),
        upload(r("POST", "/api/v1/plan-check/dxf", api::plan::check_dxf)),
        r("GET", "/api/v1/map/zones", api::plan::zones),
        r("GET", "/api/v1/map/parcels", api::plan::parcels),
        r("GET", "/api/v1/services", api::cases::services),
        r("POST", "/api/v1/services", api::cases::publish),
        r("POST", "/api/v1/cases", api::cases::open),
        r("GET", "/api/v1/cases", api::cases::inbox),
        r("GET", "/api/v1/cases/{tracking}", api::cases::case),
        r("POST", "/api/v1/cases/{tracking}/actions", api::cases::act),
        upload(r("POST", "/api/v1/cases/{tracking}/documents", api::cases::upload)),
        r("GET", "/api/v1/cases/{tracking}/documents/{id}", api::cases::document),
        r("GET", "/api/v1/cases/{tracking}/issued.pdf", api::cases::issued_pdf),
        r("POST", "/api/v1/cases/{tracking}/inquiries/{code}", api::cases::inquiry),
        r("GET", "/api/v1/track", api::cases::track),
        r("POST", "/api/v1/complaints", api::cases::complain),
        r("GET", "/api/v1/complaints", api::cases::complaints),
        r("POST", "/api/v1/complaints/{id}/answer", api::cases::answer),
        r("GET", "/api/v1/verify/{code}", api::cases::verify),
        upload(r("POST", "/api/v1/verify", api::cases::verify_pdf)),
        r("GET", "/services", pages::cases::services),
        r("POST", "/services", pages::cases::publish),
        r("GET", "/cases", pages::cases::inbox),
        r("GET", "/cases/new", pages::cases::new_form),
        r("POST", "/cases/new", pages::cases::open),
        r("GET", "/cases/{tracking}", pages::cases::show),
        r("POST", "/cases/{tracking}/act", pages::cases::act),
        upload(r("POST", "/cases/{tracking}/documents", pages::cases::upload)),
        r("GET", "/cases/{tracking}/documents/{id}", api::cases::document),
        r("GET", "/cases/{tracking}/issued.pdf", api::cases::issued_pdf),
        r("GET", "/track", pages::cases::track),
        r("POST", "/track/complaint", pages::cases::complain),
        r("GET", "/verify/{code}", pages::cases::verify),
    ]
}

/// The routes that the Swagger UI router adds (the document and the UI's files).
const SWAGGER_ROUTES: [(&str, &str); 4] = [
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
    ("GET", "/api/v1/docs/"),
    ("GET", "/api/v1/docs/{*rest}"),
];

/// Every (method, path pattern) the router serves.
pub fn route_list() -> Vec<(&'static str, &'static str)> {
    table().iter().map(|d| (d.method, d.path)).chain(SWAGGER_ROUTES).collect()
}

/// Request ids: a per-process random prefix and a counter, cheap and unique enough to find a
/// request's lines in the logs.
#[derive(Clone)]
struct RequestIds {
    prefix: String,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}-{n}", self.prefix).parse().ok().map(RequestId::new)
    }
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for def in table() {
        let method_router = if def.method == "POST" && def.path.starts_with("/api/v1/") {
            def.router.layer(from_fn_with_state(state.clone(), idempotency::guard))
        } else {
            def.router
        };
        router = router.route(def.path, method_router);
    }
    let router = router
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", api::ApiDoc::openapi()))
        .route_layer(from_fn(record_metrics))
        .route_layer(from_fn_with_state(state.clone(), caller::authorize))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), caller::identify))
        .layer(from_fn(security::csrf))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(HeaderName::from_static("x-request-id")))
        .layer(SetRequestIdLayer::new(
            HeaderName::from_static("x-request-id"),
            RequestIds { prefix: process_prefix(), next: Default::default() },
        ))
        .layer(CatchPanicLayer::new());
    router.with_state(state)
}

fn process_prefix() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{:x}{:x}", std::process::id(), nanos)
}

async fn not_found(caller: caller::Caller, uri: axum::http::Uri) -> Response {
    crate::error::not_found(caller.lang, uri.path().starts_with("/api/"))
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and every migration is applied.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.store().is_migrated().await {
        Ok(true) => "ready".into_response(),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

async fn record_metrics(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let labels = [("method", method), ("route", route), ("status", response.status().as_u16().to_string())];
    metrics::counter!("daftar_http_requests_total", &labels).increment(1);
    metrics::histogram!("daftar_http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}
