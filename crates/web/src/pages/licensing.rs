//! Pages of licensing: a call's rules (the call's text, the window, the conditions and the
//! sites with their rent) and, once made, its ranking with national IDs masked; the public check
//! of an office's licence, its PDF, and the committee's register of licences with their moves.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use daftar_app::AppError;
use daftar_app::licensing::{self, ApplicantResult, LicenceView, PublicResult};
use daftar_licensing::{CallRules, LicenceStatus, PersonRules};
use daftar_store::licensing::{CallRow, LicenceEventRow};
use daftar_types::{JalaliDate, Lang};
use serde::Deserialize;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{FormErrors, PageError};
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "call.html")]
pub struct CallPage {
    p: Page,
    row: CallRow,
    rules: CallRules,
}

impl CallPage {
    fn title(&self) -> &str {
        self.rules.title(self.p.lang)
    }

    fn opens(&self) -> String {
        self.rules.window.first_day.format_long(self.p.lang)
    }

    fn closes(&self) -> String {
        self.rules.window.last_day.format_long(self.p.lang)
    }

    fn reference_date(&self) -> String {
        self.rules.reference_date.format_long(self.p.lang)
    }

    fn is_open(&self) -> bool {
        self.rules.window.accepts(daftar_types::Timestamp::from_unix(self.p.now))
    }

    fn ages(&self, rules: &PersonRules) -> String {
        let (min, max) = (self.p.num(&i64::from(rules.min_age)), self.p.num(&i64::from(rules.max_age)));
        match self.p.lang {
            Lang::Fa => format!("{min} تا {max} سال تمام در روز مبنا"),
            Lang::En => format!("{min} to {max} completed years on the reference day"),
        }
    }

    fn fields(&self, rules: &PersonRules) -> String {
        let names: Vec<String> = rules
            .degree_fields
            .iter()
            .map(|code| {
                let label = self.rules.field_label(code);
                if self.p.lang == Lang::Fa { label.fa } else { label.en }
            })
            .collect();
        names.join(if self.p.lang == Lang::Fa { "، " } else { ", " })
    }

    /// The rubric in one line, from the call's own numbers.
    fn rubric(&self) -> String {
        let r = &self.rules.points;
        let n = |v: u32| self.p.count(&v);
        let degrees: Vec<String> = r
            .degree
            .levels
            .iter()
            .map(|(level, points)| format!("{} {}", level.name(self.p.lang), n(*points)))
            .collect();
        match self.p.lang {
            Lang::Fa => format!(
                "{}؛ هر سال کامل سابقه {} تا سقف {}؛ محل مناسب ملکی {}؛ حداکثر {}",
                degrees.join(" یا "),
                n(r.experience.per_full_year),
                n(r.experience.cap),
                n(r.premises.points),
                n(r.max_total)
            ),
            Lang::En => format!(
                "{}; {} per full year of experience up to {}; suitable own premises {}; at most {}",
                degrees.join(" or "),
                n(r.experience.per_full_year),
                n(r.experience.cap),
                n(r.premises.points),
                n(r.max_total)
            ),
        }
    }

    fn site_name(&self, site: &daftar_licensing::Site) -> String {
        site.name(self.p.lang).to_string()
    }

    fn rent(&self, site: &daftar_licensing::Site) -> String {
        site.monthly_rent.format(self.p.lang)
    }
}

/// A call's public page.
pub async fn show(
    State(state): State<AppState>,
    p: Page,
    Path(code): Path<String>,
) -> Result<CallPage, PageError> {
    let (row, rules) = licensing::call(&state.app, &code).await.map_err(|e| PageError(e, p.lang))?;
    Ok(CallPage { p, row, rules })
}

#[derive(Template, WebTemplate)]
#[template(path = "call_ranking.html")]
pub struct RankingPage {
    p: Page,
    result: PublicResult,
}

/// A call's ranking, once the selection is made.
pub async fn ranking(
    State(state): State<AppState>,
    p: Page,
    Path(code): Path<String>,
) -> Result<RankingPage, PageError> {
    let result = licensing::public_ranking(&state.app, &code).await.map_err(|e| PageError(e, p.lang))?;
    Ok(RankingPage { p, result })
}

#[derive(Template, WebTemplate)]
#[template(path = "licence.html")]
pub struct LicencePage {
    p: Page,
    view: LicenceView,
    errors: FormErrors,
}

fn status_tag(status: LicenceStatus) -> &'static str {
    match status {
        LicenceStatus::Active => "good",
        LicenceStatus::Issued => "warn",
        LicenceStatus::Suspended | LicenceStatus::Revoked | LicenceStatus::Expired => "bad",
    }
}

fn date(p: &Page, date: JalaliDate) -> String {
    date.format_long(p.lang)
}

impl LicencePage {
    fn status(&self) -> &'static str {
        self.view.status.name(self.p.lang)
    }

    fn status_tag(&self) -> &'static str {
        status_tag(self.view.status)
    }

    fn office_name(&self) -> &str {
        if self.p.lang == Lang::Fa { &self.view.office_name_fa } else { &self.view.office_name_en }
    }

    fn issued_on(&self) -> String {
        date(&self.p, self.view.licence.issued_on())
    }

    fn expires_on(&self) -> String {
        date(&self.p, self.view.expires_on)
    }

    fn may_manage(&self) -> bool {
        self.p.can("manage_licensing")
    }

    fn action_name(&self, code: &str) -> String {
        licensing::committee_action(code)
            .map_or_else(|_| code.to_string(), |a| a.name(self.p.lang).to_string())
    }

    fn event_name(&self, event: &LicenceEventRow) -> String {
        self.action_name(&event.action)
    }

    fn event_expiry(&self, event: &LicenceEventRow) -> String {
        JalaliDate::parse(&event.expires_on).map_or_else(|_| event.expires_on.clone(), |d| date(&self.p, d))
    }
}

async fn licence_page(
    state: &AppState,
    p: Page,
    office: &str,
    errors: FormErrors,
) -> Result<LicencePage, PageError> {
    let view = licensing::licence(&state.app, office).await.map_err(|e| PageError(e, p.lang))?;
    Ok(LicencePage { p, view, errors })
}

/// An office's licence: public, so anyone can check that an office is licensed and in force
/// (the QR code of the printed licence leads here). The committee also sees its history and the
/// moves it can make.
pub async fn licence(
    State(state): State<AppState>,
    p: Page,
    Path(office): Path<String>,
) -> Result<LicencePage, PageError> {
    let errors = FormErrors { lang: p.lang, ..FormErrors::default() };
    licence_page(&state, p, &office, errors).await
}

/// The licence as a signed PDF.
pub async fn licence_pdf(
    State(state): State<AppState>,
    p: Page,
    Path(office): Path<String>,
) -> Result<Response, PageError> {
    let body = licensing::licence_pdf(&state.app, &office).await.map_err(|e| PageError(e, p.lang))?;
    Ok(crate::pages::pdf(format!("licence-{office}.pdf"), body))
}

#[derive(Deserialize)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

async fn move_licence(
    state: &AppState,
    caller: &Caller,
    office: &str,
    action: &str,
    reason: &str,
) -> Result<(), AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let action = licensing::committee_action(action)?;
    licensing::change_licence(&state.app, principal, &caller.meta, office, action, reason).await?;
    Ok(())
}

/// Renews, suspends, resumes or revokes a licence from the forms on its page; a refusal shows the
/// page again with the reason beside the form and the typed reason kept.
pub async fn change_licence(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path((office, action)): Path<(String, String)>,
    Form(form): Form<Reason>,
) -> Result<Response, PageError> {
    let lang = p.lang;
    match move_licence(&state, &caller, &office, &action, &form.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/licences/{office}")).into_response()),
        Err(err) => {
            let errors = FormErrors::from_error(err, lang)?;
            let page = licence_page(&state, p, &office, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "licences.html")]
pub struct RegisterPage {
    p: Page,
    licences: Vec<LicenceView>,
}

impl RegisterPage {
    fn status(&self, view: &LicenceView) -> &'static str {
        view.status.name(self.p.lang)
    }

    fn status_tag(&self, view: &LicenceView) -> &'static str {
        status_tag(view.status)
    }

    fn expires_on(&self, view: &LicenceView) -> String {
        date(&self.p, view.expires_on)
    }
}

/// The committee's register of every licence.
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
) -> Result<RegisterPage, PageError> {
    let principal = caller.principal().ok_or(PageError(AppError::Unauthenticated, p.lang))?;
    let licences = licensing::licences(&state.app, principal).await.map_err(|e| PageError(e, p.lang))?;
    Ok(RegisterPage { p, licences })
}

#[derive(Template, WebTemplate)]
#[template(path = "call_result.html")]
pub struct ResultPage {
    p: Page,
    call: String,
    result: ApplicantResult,
}

/// The applicant's own result: each condition, the points, and after the selection the rank,
/// the outcome and why, with the digest of the inputs.
pub async fn result(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path(call): Path<String>,
) -> Result<ResultPage, PageError> {
    let principal = caller.principal().ok_or(PageError(AppError::Unauthenticated, p.lang))?;
    let result =
        licensing::my_result(&state.app, principal, &call, p.lang).await.map_err(|e| PageError(e, p.lang))?;
    Ok(ResultPage { p, call, result })
}
