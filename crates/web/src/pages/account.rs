use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use daftar_app::users::{self, UserView};
use daftar_app::{AppError, Principal, auth};
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use crate::AppState;
use crate::caller::{Caller, clear_session_cookie};
use crate::error::{FormErrors, PageError};
use crate::view::Page;

pub struct Enrolment {
    secret: String,
    qr_svg: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    p: Page,
    me: UserView,
    active_membership: Option<i64>,
    totp: Option<Enrolment>,
    errors: FormErrors,
}

impl AccountPage {
    fn is_active(&self, membership_id: &i64) -> bool {
        self.active_membership == Some(*membership_id)
    }
}

fn principal(caller: &Caller) -> Result<&Principal, PageError> {
    caller.principal().ok_or(PageError(AppError::Unauthenticated, caller.lang))
}

fn qr_svg(text: &str) -> String {
    QrCode::new(text.as_bytes())
        .map(|code| code.render::<svg::Color>().min_dimensions(200, 200).build())
        .unwrap_or_default()
}

async fn render(
    state: &AppState,
    caller: &Caller,
    p: Page,
    errors: FormErrors,
) -> Result<AccountPage, PageError> {
    let lang = p.lang;
    let principal = principal(caller)?;
    let me = users::me(&state.app, principal).await.map_err(|e| PageError(e, lang))?;
    let totp = auth::pending_totp(&state.app, principal)
        .await
        .map_err(|e| PageError(e, lang))?
        .map(|e| Enrolment { qr_svg: qr_svg(&e.otpauth_url), secret: e.secret_base32 });
    Ok(AccountPage { p, me, active_membership: principal.membership_id, totp, errors })
}

#[derive(Deserialize)]
pub struct Note {
    note: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    mut p: Page,
    Query(q): Query<Note>,
) -> Result<AccountPage, PageError> {
    if q.note.as_deref() == Some("saved") {
        p.notice = Some(p.t("saved"));
    }
    let errors = FormErrors { lang: p.lang, ..FormErrors::default() };
    render(&state, &caller, p, errors).await
}

/// Renders the account page again with the error of a failed form.
async fn failed(state: &AppState, caller: &Caller, p: Page, err: AppError) -> Result<Response, PageError> {
    let errors = FormErrors::from_error(err, p.lang)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(state, caller, p, errors).await?).into_response())
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    display_name: String,
}

pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<NameForm>,
) -> Result<Response, PageError> {
    match users::rename(&state.app, principal(&caller)?, &form.display_name, &caller.meta).await {
        Ok(()) => Ok(Redirect::to("/account?note=saved").into_response()),
        Err(err) => failed(&state, &caller, p, err).await,
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    membership_id: i64,
}

pub async fn switch_role(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<RoleForm>,
) -> Result<Response, PageError> {
    let token = caller.session_token.clone().unwrap_or_default();
    auth::switch_role(&state.app, &token, principal(&caller)?, form.membership_id, &caller.meta)
        .await
        .map_err(|e| PageError(e, caller.lang))?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    match auth::change_password(
        &state.app,
        principal(&caller)?,
        &form.current_password,
        &form.new_password,
        &caller.meta,
    )
    .await
    {
        Ok(()) => {
            let cookie = clear_session_cookie(state.app.config().secure_cookies);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/sign-in?note=password-changed"))
                .into_response())
        }
        Err(err) => failed(&state, &caller, p, err).await,
    }
}

pub async fn begin_totp(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
) -> Result<Response, PageError> {
    match auth::begin_totp(&state.app, principal(&caller)?, &caller.meta).await {
        Ok(_) => Ok(Redirect::to("/account").into_response()),
        Err(err) => failed(&state, &caller, p, err).await,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    match auth::confirm_totp(&state.app, principal(&caller)?, &form.code, &caller.meta).await {
        Ok(()) => Ok(Redirect::to("/account?note=saved").into_response()),
        Err(err) => failed(&state, &caller, p, err).await,
    }
}
