//! Turning use-case errors into responses: JSON for the API, a page for people.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use daftar_app::{AppError, FieldError};
use daftar_types::Lang;
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n;

pub fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn code_of(err: &AppError) -> &'static str {
    match err {
        AppError::Invalid(_) => "invalid",
        AppError::Unauthenticated => "unauthenticated",
        AppError::Forbidden => "forbidden",
        AppError::NotFound => "not_found",
        AppError::Conflict(_) => "conflict",
        AppError::RateLimited { .. } => "rate_limited",
        AppError::TooLarge => "too_large",
        AppError::Store(_) => "internal",
    }
}

/// The API's error body: a stable code, the message in both languages, and the fields at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub error: &'static str,
    pub message_fa: String,
    pub message_en: String,
    pub fields: Vec<ApiFieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiFieldError {
    pub field: String,
    pub message_fa: String,
    pub message_en: String,
}

fn api_body(err: &AppError) -> ApiErrorBody {
    let message = err.message();
    let fields = match err {
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| ApiFieldError {
                field: f.field.to_string(),
                message_fa: f.text(Lang::Fa),
                message_en: f.text(Lang::En),
            })
            .collect(),
        _ => Vec::new(),
    };
    ApiErrorBody { error: code_of(err), message_fa: message.fa, message_en: message.en, fields }
}

/// An error from an API handler.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AppError::Store(err) = &self.0 {
            tracing::error!(error = %err, "storage error");
        }
        let mut response = (status_of(&self.0), Json(api_body(&self.0))).into_response();
        if let AppError::RateLimited { retry_after_s } = self.0
            && let Ok(value) = retry_after_s.to_string().parse()
        {
            response.headers_mut().insert("retry-after", value);
        }
        response
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: &'static str,
    dir: &'static str,
    title: String,
    message: String,
    back: String,
}

fn error_page(lang: Lang, status: StatusCode, message: String) -> Response {
    let page = ErrorPage {
        lang: lang.code(),
        dir: if lang == Lang::Fa { "rtl" } else { "ltr" },
        title: i18n::t(lang, "error-title"),
        message,
        back: i18n::t(lang, "error-back"),
    };
    (status, page).into_response()
}

/// An error from a page handler, shown in the caller's language.
pub struct PageError(pub AppError, pub Lang);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Store(err) = &self.0 {
            tracing::error!(error = %err, "storage error");
        }
        let status = status_of(&self.0);
        let message = match &self.0 {
            AppError::Forbidden => i18n::t(self.1, "error-forbidden"),
            AppError::NotFound => i18n::t(self.1, "error-not-found"),
            other => other.message().get(self.1).to_string(),
        };
        error_page(self.1, status, message)
    }
}

pub fn status_response(status: StatusCode, err: &AppError, lang: Lang, api: bool) -> Response {
    if api {
        (status, Json(api_body(err))).into_response()
    } else {
        let message = match err {
            AppError::Forbidden => i18n::t(lang, "error-forbidden"),
            other => other.message().get(lang).to_string(),
        };
        error_page(lang, status, message)
    }
}

pub fn not_found(lang: Lang, api: bool) -> Response {
    status_response(StatusCode::NOT_FOUND, &AppError::NotFound, lang, api)
}

/// Field errors of a form, by field name, for re-rendering it.
#[derive(Default)]
pub struct FormErrors {
    pub lang: Lang,
    pub fields: Vec<FieldError>,
    pub general: Option<String>,
}

impl FormErrors {
    /// Splits an error for a form: field errors go beside their fields, anything else on top.
    pub fn from_error(err: AppError, lang: Lang) -> Result<FormErrors, PageError> {
        match err {
            AppError::Invalid(fields) => Ok(FormErrors { lang, fields, general: None }),
            AppError::RateLimited { .. } | AppError::Conflict(_) => Ok(FormErrors {
                lang,
                fields: Vec::new(),
                general: Some(err.message().get(lang).to_string()),
            }),
            other => Err(PageError(other, lang)),
        }
    }

    pub fn for_field(&self, field: &str) -> Option<String> {
        self.fields.iter().find(|f| f.field == field).map(|f| f.message.get(self.lang).to_string())
    }

    pub fn invalid(&self, field: &str) -> &'static str {
        if self.fields.iter().any(|f| f.field == field) { "true" } else { "false" }
    }

    pub fn any(&self) -> bool {
        !self.fields.is_empty() || self.general.is_some()
    }

    pub fn summary(&self) -> Vec<String> {
        self.general.iter().cloned().chain(self.fields.iter().map(|f| f.text(self.lang))).collect()
    }
}
