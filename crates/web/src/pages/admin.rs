use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use daftar_app::audit::By;
use daftar_app::users::{self, NewStaff, UserView};
use daftar_app::{Role, directory};
use daftar_store::orgs::{DistrictRow, OfficeRow};
use daftar_types::Lang;
use serde::Deserialize;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{FormErrors, PageError};
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub struct UsersPage {
    p: Page,
    query: String,
    users: Vec<UserView>,
    roles: Vec<(&'static str, &'static str)>,
    offices: Vec<OfficeRow>,
    districts: Vec<DistrictRow>,
    form: NewStaff,
    errors: FormErrors,
}

impl UsersPage {
    fn kind_key(&self, kind: &str) -> &'static str {
        match kind {
            "citizen" => "kind-citizen",
            "agency" => "kind-agency",
            _ => "kind-staff",
        }
    }

    fn office_name(&self, id: &i64) -> String {
        self.offices.iter().find(|o| o.id == *id).map_or_else(String::new, |o| {
            let name = if self.p.lang == Lang::Fa { &o.name_fa } else { &o.name_en };
            format!("{name} ({})", o.code)
        })
    }

    fn district_name(&self, id: &i64) -> String {
        self.districts.iter().find(|d| d.id == *id).map_or_else(String::new, |d| {
            if self.p.lang == Lang::Fa { d.name_fa.clone() } else { d.name_en.clone() }
        })
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn page(
    state: &AppState,
    caller: &Caller,
    p: Page,
    query: String,
    form: NewStaff,
    errors: FormErrors,
) -> Result<UsersPage, PageError> {
    let lang = p.lang;
    let fail = |e| PageError(e, lang);
    let principal = caller.principal().ok_or(PageError(daftar_app::AppError::Unauthenticated, lang))?;
    let users = users::search(&state.app, principal, &query).await.map_err(fail)?;
    let roles = Role::ALL.iter().filter(|r| r.is_staff()).map(|r| (r.code(), r.name(lang))).collect();
    Ok(UsersPage {
        p,
        query,
        users,
        roles,
        offices: directory::offices(&state.app).await.map_err(fail)?,
        districts: directory::districts(&state.app).await.map_err(fail)?,
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Query(q): Query<SearchQuery>,
) -> Result<UsersPage, PageError> {
    let errors = FormErrors { lang: p.lang, ..FormErrors::default() };
    page(&state, &caller, p, q.q, NewStaff::default(), errors).await
}

pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    mut p: Page,
    Form(form): Form<NewStaff>,
) -> Result<Response, PageError> {
    let lang = p.lang;
    let principal = caller.principal().ok_or(PageError(daftar_app::AppError::Unauthenticated, lang))?;
    match users::add_staff(&state.app, By::Principal(principal), &form, &caller.meta).await {
        Ok(_) => {
            p.notice = Some(p.t("user-added"));
            let errors = FormErrors { lang, ..FormErrors::default() };
            Ok(page(&state, &caller, p, String::new(), NewStaff::default(), errors).await?.into_response())
        }
        Err(err) => {
            let errors = FormErrors::from_error(err, lang)?;
            let form = NewStaff { password: String::new(), ..form };
            let page = page(&state, &caller, p, String::new(), form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
