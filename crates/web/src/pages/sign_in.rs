use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use daftar_app::auth;
use serde::Deserialize;

use crate::AppState;
use crate::caller::{Caller, CallerState, clear_session_cookie, encode_query, safe_next, session_cookie};
use crate::error::{FormErrors, PageError};
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
pub struct SignIn {
    p: Page,
    next: String,
    national_id: String,
    mobile: String,
    username: String,
    citizen_errors: FormErrors,
    staff_errors: FormErrors,
}

impl SignIn {
    fn new(p: Page, next: String) -> SignIn {
        let lang = p.lang;
        SignIn {
            p,
            next,
            national_id: String::new(),
            mobile: String::new(),
            username: String::new(),
            citizen_errors: FormErrors { lang, ..FormErrors::default() },
            staff_errors: FormErrors { lang, ..FormErrors::default() },
        }
    }
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    note: Option<String>,
}

pub async fn show(mut p: Page, Query(q): Query<SignInQuery>) -> SignIn {
    p.notice = match q.note.as_deref() {
        Some("signed-out") => Some(p.t("signed-out-note")),
        Some("password-changed") => Some(p.t("password-changed-note")),
        _ => None,
    };
    SignIn::new(p, safe_next(q.next.as_deref()))
}

fn with_cookie(state: &AppState, signed_in: &auth::SignedIn, target: String) -> Response {
    let cookie =
        session_cookie(signed_in.token.as_str(), signed_in.max_age_s, state.app.config().secure_cookies);
    ([(header::SET_COOKIE, cookie)], Redirect::to(&target)).into_response()
}

#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn staff(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<StaffForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    match auth::sign_in_staff(&state.app, &form.username, &form.password, &caller.meta).await {
        Ok(signed_in) if signed_in.awaiting_second_factor => Ok(with_cookie(
            &state,
            &signed_in,
            format!("/sign-in/second-factor?next={}", encode_query(&next)),
        )),
        Ok(signed_in) => Ok(with_cookie(&state, &signed_in, next)),
        Err(err) => {
            let lang = p.lang;
            let mut page = SignIn::new(p, next);
            page.username = form.username;
            page.staff_errors = FormErrors::from_error(err, lang)?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct CitizenForm {
    #[serde(default)]
    national_id: String,
    #[serde(default)]
    mobile: String,
    next: Option<String>,
}

pub async fn citizen(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<CitizenForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    match auth::request_code(&state.app, &form.national_id, &form.mobile, &caller.meta).await {
        Ok(sent) => Ok(Redirect::to(&format!(
            "/sign-in/code/{}?next={}&m={}",
            sent.challenge,
            encode_query(&next),
            encode_query(&sent.mobile_masked)
        ))
        .into_response()),
        Err(err) => {
            let lang = p.lang;
            let mut page = SignIn::new(p, next);
            page.national_id = form.national_id;
            page.mobile = form.mobile;
            page.citizen_errors = FormErrors::from_error(err, lang)?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "code.html")]
pub struct CodePage {
    p: Page,
    challenge: String,
    next: String,
    mobile: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct CodeQuery {
    next: Option<String>,
    m: Option<String>,
}

fn challenge_id(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_hexdigit).take(64).collect()
}

pub async fn code_form(p: Page, Path(challenge): Path<String>, Query(q): Query<CodeQuery>) -> CodePage {
    let lang = p.lang;
    CodePage {
        mobile: p.digits(&q.m.unwrap_or_default()),
        p,
        challenge: challenge_id(&challenge),
        next: safe_next(q.next.as_deref()),
        errors: FormErrors { lang, ..FormErrors::default() },
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
    mobile: Option<String>,
}

pub async fn code_submit(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path(challenge): Path<String>,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let challenge = challenge_id(&challenge);
    let next = safe_next(form.next.as_deref());
    match auth::verify_code(&state.app, &challenge, &form.code, &caller.meta).await {
        Ok(signed_in) => Ok(with_cookie(&state, &signed_in, next)),
        Err(err) => {
            let lang = p.lang;
            let page = CodePage {
                mobile: form.mobile.unwrap_or_default(),
                p,
                challenge,
                next,
                errors: FormErrors::from_error(err, lang)?,
            };
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "second_factor.html")]
pub struct SecondFactorPage {
    p: Page,
    next: String,
    errors: FormErrors,
}

pub async fn second_factor_form(p: Page, Query(q): Query<CodeQuery>) -> SecondFactorPage {
    let lang = p.lang;
    SecondFactorPage {
        p,
        next: safe_next(q.next.as_deref()),
        errors: FormErrors { lang, ..FormErrors::default() },
    }
}

pub async fn second_factor_submit(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let (CallerState::AwaitingSecondFactor { user_id }, Some(token)) = (&caller.state, &caller.session_token)
    else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    match auth::second_factor(&state.app, token, *user_id, &form.code, &caller.meta).await {
        Ok(()) => Ok(Redirect::to(&next).into_response()),
        Err(err) => {
            let lang = p.lang;
            let page = SecondFactorPage { p, next, errors: FormErrors::from_error(err, lang)? };
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    if let (Some(token), Some(principal)) = (&caller.session_token, caller.principal()) {
        auth::sign_out(&state.app, token, principal.user_id, &caller.meta)
            .await
            .map_err(|e| PageError(e, caller.lang))?;
    }
    let cookie = clear_session_cookie(state.app.config().secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/sign-in?note=signed-out")).into_response())
}
