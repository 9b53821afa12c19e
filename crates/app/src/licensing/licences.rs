//! The life of an issued licence: renewal, suspension, resumption and revocation, each with its
//! reason and kept in the licence's history; whether an office may act; the public check of a
//! licence; and the licence itself as a signed PDF.

use daftar_documents::{self as docs, Approver, LicenceDocument, Person, Seal};
use daftar_licensing::{Application, CallRules, Licence, LicenceAction, LicenceStatus, Location};
use daftar_store::licensing::{self as store, LicenceEventRow, LicenceRow};
use daftar_store::orgs::OfficeRow;
use daftar_types::{JalaliDate, Lang, NationalId, Timestamp};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

use super::{call_by_id, conflict, invalid, office, stored, to_json, today};
use crate::audit::{By, entry};
use crate::authz::{Permission, Principal, require};
use crate::error::{AppError, AppResult};
use crate::{App, RequestMeta};

/// The moves the committee makes on a licence; activation happens when the office opens.
pub fn committee_action(code: &str) -> AppResult<LicenceAction> {
    match code {
        "renew" => Ok(LicenceAction::Renew),
        "suspend" => Ok(LicenceAction::Suspend),
        "resume" => Ok(LicenceAction::Resume),
        "revoke" => Ok(LicenceAction::Revoke),
        _ => Err(AppError::NotFound),
    }
}

fn action_code(action: LicenceAction) -> &'static str {
    action.name(Lang::En)
}

/// A licence as the committee sees it: the office, the licence, its status today and its history.
#[derive(Debug, Clone, Serialize)]
pub struct LicenceView {
    pub office_code: String,
    pub office_name_fa: String,
    pub office_name_en: String,
    pub call: String,
    pub masked_holder: String,
    pub licence: Licence,
    pub status: LicenceStatus,
    /// The first day the licence is no longer valid.
    pub expires_on: JalaliDate,
    pub events: Vec<LicenceEventRow>,
}

impl LicenceView {
    /// The moves possible today, in the order a page offers them.
    pub fn possible_actions(&self) -> Vec<&'static str> {
        use LicenceStatus::{Active, Expired, Issued, Revoked, Suspended};
        match self.status {
            Active => vec!["renew", "suspend", "revoke"],
            Suspended => vec!["resume", "revoke"],
            Issued | Expired => vec!["revoke"],
            Revoked => Vec::new(),
        }
    }
}

async fn view(app: &App, office: &OfficeRow, row: LicenceRow) -> AppResult<LicenceView> {
    let (call, _) = call_by_id(app, row.call_id).await?;
    let licence: Licence = stored(&row.data)?;
    Ok(LicenceView {
        office_code: office.code.clone(),
        office_name_fa: office.name_fa.clone(),
        office_name_en: office.name_en.clone(),
        call: call.code,
        masked_holder: licence.holder().masked(),
        status: licence.status(today(app)),
        expires_on: licence.expires_on(),
        licence,
        events: store::licence_events(app.store().pool(), row.id).await?,
    })
}

/// An office's licence by the office's code.
pub async fn licence(app: &App, office_code: &str) -> AppResult<LicenceView> {
    let office = office(app, office_code).await?;
    let row = store::licence_of_office(app.store().pool(), office.id).await?.ok_or(AppError::NotFound)?;
    view(app, &office, row).await
}

/// Every licence, newest first, for the committee's register.
pub async fn licences(app: &App, principal: &Principal) -> AppResult<Vec<LicenceView>> {
    require(principal, Permission::ManageLicensing)?;
    let offices = crate::directory::offices(app).await?;
    let mut views = Vec::new();
    for row in store::all_licences(app.store().pool()).await? {
        let office = offices.iter().find(|o| o.id == row.office_id).ok_or(AppError::NotFound)?;
        views.push(view(app, office, row).await?);
    }
    Ok(views)
}

/// Renews, suspends, resumes or revokes an office's licence, with the reason; the move, its
/// history line and its audit row are one transaction. Of two moves made at once on the same
/// licence, one is refused and asked to look again, so none is silently lost.
pub async fn change_licence(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    office_code: &str,
    action: LicenceAction,
    reason: &str,
) -> AppResult<LicenceView> {
    require(principal, Permission::ManageLicensing)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(
            "reason",
            ("دلیل", "Reason"),
            "را بنویسید؛ در سابقهٔ مجوز می‌ماند.".into(),
            "is required; it stays in the licence's history.".into(),
        ));
    }
    let office = office(app, office_code).await?;
    let mut tx = app.store().begin_write().await?;
    let row = store::licence_of_office(tx.conn(), office.id).await?.ok_or(AppError::NotFound)?;
    let (_, rules) = call_by_id(app, row.call_id).await?;
    let mut licence: Licence = stored(&row.data)?;
    let today = today(app);
    let moved = match action {
        LicenceAction::Renew => licence.renew(&rules, today),
        LicenceAction::Suspend => licence.suspend(today),
        LicenceAction::Resume => licence.resume(today),
        LicenceAction::Revoke => licence.revoke(today),
        LicenceAction::Activate => return Err(AppError::NotFound),
    };
    moved.map_err(|e| conflict(&e.message(Lang::Fa), &e.message(Lang::En)))?;
    if !store::replace_licence(tx.conn(), row.id, &row.data, &to_json(&licence)).await? {
        tx.rollback().await?;
        return Err(conflict(
            "مجوز هم‌زمان تغییر کرد؛ صفحه را دوباره ببینید.",
            "The licence changed meanwhile; look at it again.",
        ));
    }
    let event = LicenceEventRow {
        action: action_code(action).to_string(),
        reason: reason.to_string(),
        expires_on: licence.expires_on().format_numeric(Lang::En),
        created_at: app.now(),
    };
    store::insert_licence_event(tx.conn(), row.id, &event, Some(principal.user_id)).await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        &format!("licensing.licence_{}", action_code(action)),
        ("office", office_code.to_string()),
        json!({ "reason": reason, "expires_on": event.expires_on }),
    ));
    app.commit(tx).await?;
    let row = LicenceRow { data: to_json(&licence), ..row };
    view(app, &office, row).await
}

/// Whether an office may act on `today`: it is open and its licence is in force (not suspended,
/// revoked or expired). Offices that came into the register before licensing was kept here have
/// no licence on record and are governed by their status alone. Runs on the caller's connection,
/// so a use case can ask inside its own transaction.
pub async fn office_may_act(conn: &mut AnyConnection, office_id: i64, today: JalaliDate) -> AppResult<bool> {
    let Some((status, licence)) = store::office_standing(&mut *conn, office_id).await? else {
        return Ok(false);
    };
    if status != "open" {
        return Ok(false);
    }
    match licence {
        Some(data) => Ok(stored::<Licence>(&data)?.is_in_force(today)),
        None => Ok(true),
    }
}

/// Where the office works, as printed on its licence: its own premises' address, or the
/// municipal site it was given.
async fn location(app: &App, row: &LicenceRow, rules: &CallRules) -> AppResult<String> {
    let pool = app.store().pool();
    let site = store::selected(pool, row.call_id)
        .await?
        .into_iter()
        .find(|(n, _, _)| *n == row.national_id)
        .and_then(|(_, _, site)| site);
    if let Some(site) = site.as_deref().and_then(|code| rules.site(code)) {
        return Ok(format!("{} ({}): {}", site.name_fa, site.code, site.address));
    }
    let application =
        store::application(pool, row.call_id, &row.national_id).await?.ok_or(AppError::NotFound)?;
    match stored::<Application>(&application.data)?.location {
        Location::OwnPremises(premises) => Ok(premises.address),
        Location::MunicipalSite(_) => Ok(String::new()),
    }
}

/// The licence as a signed PDF, with a QR code to its public check at `/licences/{office}`.
pub async fn licence_pdf(app: &App, office_code: &str) -> AppResult<Vec<u8>> {
    let office = office(app, office_code).await?;
    let pool = app.store().pool();
    let row = store::licence_of_office(pool, office.id).await?.ok_or(AppError::NotFound)?;
    let licence: Licence = stored(&row.data)?;
    let (call, rules) = call_by_id(app, row.call_id).await?;
    let holder_id = NationalId::parse(&row.national_id).map_err(|_| AppError::NotFound)?;
    let application =
        store::application(pool, row.call_id, &row.national_id).await?.ok_or(AppError::NotFound)?;
    let holder_name = stored::<Application>(&application.data)?.applicant.name;
    let city = app.config().city_name.clone();
    let document = LicenceDocument {
        number: format!("{}-{:04}", call.code, row.id),
        code: office.code.clone(),
        issued_at: Timestamp::from_unix(row.created_at),
        office_code: office.code.clone(),
        holder: Person { name: holder_name, masked_national_id: holder_id.masked() },
        location: location(app, &row, &rules).await?,
        valid_from: licence.issued_on(),
        valid_until: licence.expires_on().add_days(-1).unwrap_or(licence.expires_on()),
        signatory: Approver {
            name: "کمیتهٔ صدور مجوز دفاتر".to_string(), role: format!("شهرداری {city}")
        },
        verify_url: format!("{}/licences/{}", app.config().public_url.trim_end_matches('/'), office.code),
        city,
    };
    let seal = Seal::sign(document.signed_payload(), app.signing_key());
    crate::documents::render((document, seal), |(document, seal)| docs::render_licence(document, seal)).await
}
