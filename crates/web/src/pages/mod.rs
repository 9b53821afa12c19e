//! The pages people use. Each handler reads its form, calls one use case and renders.

pub mod account;
pub mod admin;
pub mod audit;
pub mod cases;
pub mod finance;
pub mod home;
pub mod invoices;
pub mod licensing;
pub mod outbox;
pub mod plan;
pub mod registration;
pub mod sign_in;
pub mod tariffs;

use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use daftar_types::Lang;
use serde::Deserialize;

use crate::caller::{LANG_COOKIE, safe_next};

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// Switches the interface language (a cookie kept for a year) and returns to the page.
pub async fn switch_language(
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or_default();
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&safe_next(back.back.as_deref()))).into_response()
}

/// A PDF shown in the browser, saved under `file_name`.
pub(crate) fn pdf(file_name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{file_name}\"")),
        ],
        body,
    )
        .into_response()
}
