//! Licensing calls: publishing a call, online registration inside its Jalali window, exam results
//! and board votes, the selection (made once, with a digest of its inputs anyone can recompute),
//! licences for the selected with their offices and sites, the equipment checklist, experts, and
//! opening an office. The rules are the licensing crate's; this module stores and authorises.

use std::collections::{BTreeMap, BTreeSet};

use daftar_licensing::{
    self as lic, Application, BoardVote, CallRules, ExamResult, ExpertCandidate, Licence, OfficeCode,
    Placement, Ranking, Selection, Vote,
};
use daftar_store::StoreError;
use daftar_store::licensing::{
    self as store, ApplicationFileRow, ApplicationRow, CallRow, EquipmentRow, SelectionRow,
};
use daftar_store::orgs::{self, NewOffice};
use daftar_types::{JalaliDate, Lang, NationalId, Timestamp};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::audit::{By, entry};
use crate::authz::{Permission, Principal, Role, require};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

mod files;
mod licences;

pub use files::{FILE_LIMIT, PHOTOS, Upload, certificate_slot, photo_slot};

pub use licences::{
    LicenceView, change_licence, committee_action, licence, licence_pdf, licences, office_may_act,
};

fn invalid(field: &'static str, label: (&str, &str), fa: String, en: String) -> AppError {
    AppError::invalid(FieldError::new(field, Message::new(label.0, label.1), Message::new(fa, en)))
}

fn conflict(fa: &str, en: &str) -> AppError {
    AppError::Conflict(Message::new(fa, en))
}

fn stored<T: serde::de::DeserializeOwned>(text: &str) -> AppResult<T> {
    serde_json::from_str(text)
        .map_err(|e| conflict("دادهٔ ذخیره‌شده خوانا نیست.", &format!("Stored data cannot be read: {e}")))
}

/// A write the database allows once: its unique constraint's refusal becomes `refusal` (the
/// transaction, dropped uncommitted, rolls back).
fn once<T>(result: Result<T, StoreError>, refusal: impl FnOnce() -> AppError) -> AppResult<T> {
    match result {
        Err(StoreError::UniqueViolation) => Err(refusal()),
        other => Ok(other?),
    }
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("licensing values serialise")
}

fn today(app: &App) -> JalaliDate {
    Timestamp::from_unix(app.now()).to_tehran().date()
}

/// Publishes a call from its TOML text; the call's code is its name from then on.
pub async fn publish_call(app: &App, by: By<'_>, meta: &RequestMeta, source: &str) -> AppResult<String> {
    if let By::Principal(p) = by {
        require(p, Permission::ManageLicensing)?;
    }
    let rules = CallRules::from_toml(source).map_err(|e| {
        let text = e.to_string();
        invalid(
            "call",
            ("فایل فراخوان", "Call file"),
            format!("درست نیست: {text}"),
            format!("is not valid: {text}"),
        )
    })?;
    let mut tx = app.store().begin_write().await?;
    once(store::insert_call(tx.conn(), &rules.code, &rules.version, source, app.now()).await, || {
        conflict("فراخوانی با این کد پیش‌تر منتشر شده است.", "A call with this code is already published.")
    })?;
    tx.audit(entry(
        app,
        by,
        meta,
        "licensing.call_published",
        ("call", rules.code.clone()),
        json!({ "version": rules.version }),
    ));
    app.commit(tx).await?;
    Ok(rules.code)
}

fn rules_of(row: &CallRow) -> AppResult<CallRules> {
    CallRules::from_toml(&row.source).map_err(|e| {
        conflict("فراخوان ذخیره‌شده خوانا نیست.", &format!("The stored call cannot be read: {e}"))
    })
}

/// A call with its rules.
pub async fn call(app: &App, code: &str) -> AppResult<(CallRow, CallRules)> {
    let row = store::call(app.store().pool(), code).await?.ok_or(AppError::NotFound)?;
    let rules = rules_of(&row)?;
    Ok((row, rules))
}

/// A call by its row id, with its rules.
async fn call_by_id(app: &App, id: i64) -> AppResult<(CallRow, CallRules)> {
    let row = store::call_by_id(app.store().pool(), id).await?.ok_or(AppError::NotFound)?;
    let rules = rules_of(&row)?;
    Ok((row, rules))
}

pub async fn calls(app: &App) -> AppResult<Vec<CallRow>> {
    Ok(store::calls(app.store().pool()).await?)
}

/// The caller's application to a call as they left it, to resume the form.
#[derive(Debug, Clone)]
pub struct MyApplication {
    pub national_id: NationalId,
    pub submitted: bool,
    pub application: Option<Application>,
    /// The registration page's fields as last saved.
    pub form: Option<BTreeMap<String, String>>,
    /// The files attached so far, by slot.
    pub files: Vec<ApplicationFileRow>,
}

pub async fn my_application(app: &App, principal: &Principal, call_code: &str) -> AppResult<MyApplication> {
    let national_id = applicant_national_id(app, principal).await?;
    let (call, _) = call(app, call_code).await?;
    let pool = app.store().pool();
    let row = store::application(pool, call.id, national_id.as_str()).await?;
    let form = store::form(pool, call.id, national_id.as_str()).await?;
    Ok(MyApplication {
        files: store::application_files(pool, call.id, national_id.as_str()).await?,
        form: form.map(|f| stored(&f)).transpose()?,
        submitted: row.as_ref().is_some_and(|r| r.status == "submitted"),
        application: row.map(|r| stored(&r.data)).transpose()?,
        national_id,
    })
}

/// The applicant's own national ID: an application is made by the citizen it names.
pub async fn applicant_national_id(app: &App, principal: &Principal) -> AppResult<NationalId> {
    if !principal.has_role(&[Role::Citizen]) {
        return Err(AppError::Forbidden);
    }
    let user =
        daftar_store::users::get(app.store().pool(), principal.user_id).await?.ok_or(AppError::NotFound)?;
    let id = user.national_id.ok_or(AppError::Forbidden)?;
    NationalId::parse(&id).map_err(|_| AppError::Forbidden)
}

/// What happened to an application.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    pub status: &'static str,
    /// Set once submitted: the applicant's receipt.
    pub receipt_code: Option<String>,
}

/// What a save carries.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The application as data, once the form is complete; a submission needs it.
    pub application: Option<Application>,
    /// The registration page's fields as typed, kept even while incomplete so the page resumes
    /// exactly; the API sends none.
    pub form: Option<BTreeMap<String, String>>,
    /// Certificates and photos; each replaces what its slot held, the others stay.
    pub uploads: Vec<Upload>,
}

impl Draft {
    pub fn of(application: Application) -> Draft {
        Draft { application: Some(application), ..Draft::default() }
    }
}

/// Saves an application as a draft (resumable until the window closes) or submits it (final,
/// with a receipt), with its files; a submission needs the certificate of every declaration made
/// and, with premises, a photo. The window is checked on the server, against its own clock.
/// A refused save writes nothing, so what was saved before is kept.
pub async fn save_application(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    call_code: &str,
    draft: Draft,
    submit: bool,
) -> AppResult<Saved> {
    let national_id = applicant_national_id(app, principal).await?;
    let (call, rules) = call(app, call_code).await?;
    let files = files::check(&rules, draft.uploads)?;
    if let Some(application) = &draft.application
        && application.applicant.national_id != national_id
    {
        return Err(invalid(
            "applicant.national_id",
            ("کد ملی متقاضی", "Applicant's national ID"),
            "باید کد ملی حساب شما باشد.".into(),
            "must be your account's national ID.".into(),
        ));
    }
    let now = app.now();
    if now >= rules.window.closes_at().unix() || (submit && !rules.window.accepts(Timestamp::from_unix(now)))
    {
        return Err(conflict("مهلت ثبت‌نام در این فراخوان نیست.", "Registration for this call is not open."));
    }
    if let (Some(application), true) = (&draft.application, submit) {
        let mut attached: BTreeSet<String> =
            store::application_files(app.store().pool(), call.id, national_id.as_str())
                .await?
                .into_iter()
                .map(|f| f.slot)
                .collect();
        attached.extend(files.iter().map(|f| f.slot.clone()));
        let missing = files::missing(application, &attached);
        if !missing.is_empty() {
            return Err(AppError::Invalid(missing));
        }
    }
    let data = match (draft.application, submit) {
        (Some(mut application), _) => {
            application.submitted_at = Timestamp::from_unix(now);
            Some(to_json(&application))
        }
        (None, false) => None,
        (None, true) => {
            return Err(conflict("فرم هنوز کامل نیست.", "The form is not complete yet."));
        }
    };
    let id = national_id.as_str();
    let already =
        || conflict("این درخواست پیش‌تر ثبت نهایی شده است.", "This application was already submitted.");
    let mut tx = app.store().begin_write().await?;
    let saved = match &data {
        Some(data) => store::save_draft(tx.conn(), call.id, id, principal.user_id, data, now).await?,
        None => store::application(tx.conn(), call.id, id).await?.is_none_or(|a| a.status == "draft"),
    };
    if !saved {
        tx.rollback().await?;
        return Err(already());
    }
    if let Some(form) = &draft.form {
        store::save_form(tx.conn(), call.id, id, &to_json(form), now).await?;
    }
    for file in &files {
        daftar_store::blobs::put(tx.conn(), &file.sha256, &file.bytes).await?;
        let attached = ApplicationFileRow {
            slot: file.slot.clone(),
            sha256: file.sha256.clone(),
            file_name: file.file_name.clone(),
            content_type: file.content_type.to_string(),
            size: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
        };
        store::put_application_file(tx.conn(), call.id, id, &attached).await?;
    }
    let receipt_code = match (&data, submit) {
        (Some(data), true) => {
            let code = hex::encode(crate::random_bytes::<8>()).to_uppercase();
            store::submit(tx.conn(), call.id, id, data, &code, now).await?;
            Some(code)
        }
        _ => None,
    };
    let action = if submit { "licensing.application_submitted" } else { "licensing.application_saved" };
    let files: Vec<[&String; 2]> = files.iter().map(|f| [&f.slot, &f.sha256]).collect();
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        action,
        ("application", format!("{call_code}:{id}")),
        json!({ "receipt": receipt_code, "complete": data.is_some(), "files": files }),
    ));
    app.commit(tx).await?;
    Ok(Saved { status: if submit { "submitted" } else { "draft" }, receipt_code })
}

/// Imports exam results from CSV (`national_id,score`), validated line by line; only submitted
/// applicants may have a score.
pub async fn import_exam(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    call_code: &str,
    csv: &str,
) -> AppResult<usize> {
    require(principal, Permission::ManageLicensing)?;
    let (call, _) = call(app, call_code).await?;
    let results = lic::parse_exam_csv(csv).map_err(|errors| {
        AppError::Invalid(
            errors
                .iter()
                .map(|e| {
                    FieldError::new(
                        "exam",
                        Message::new("فایل نتایج آزمون", "Exam results file"),
                        Message::new(e.message(Lang::Fa), e.message(Lang::En)),
                    )
                })
                .collect(),
        )
    })?;
    let applicants = store::submitted_applications(app.store().pool(), call.id).await?;
    if let Some(stranger) =
        results.iter().find(|r| !applicants.iter().any(|a| a.national_id == r.national_id.as_str()))
    {
        return Err(invalid(
            "exam",
            ("فایل نتایج آزمون", "Exam results file"),
            format!("کد ملی {} در میان متقاضیان این فراخوان نیست.", stranger.national_id.masked()),
            format!("national ID {} is not an applicant of this call.", stranger.national_id.masked()),
        ));
    }
    let rows: Vec<(String, String)> = results
        .iter()
        .map(|r| (r.national_id.as_str().to_string(), r.score.normalize().to_string()))
        .collect();
    let mut tx = app.store().begin_write().await?;
    store::replace_exam_results(tx.conn(), call.id, &rows).await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "licensing.exam_imported",
        ("call", call_code.to_string()),
        json!({ "results": rows.len() }),
    ));
    app.commit(tx).await?;
    Ok(rows.len())
}

/// Seats a board member for a call: seat numbers run from 1 to the call's board size, each seat
/// and each member once. The seat is the member's number on every ballot, so the tally (and the
/// digest of the inputs) does not depend on who voted first.
pub async fn seat_board_member(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    call_code: &str,
    seat: u8,
    username: &str,
) -> AppResult<()> {
    require(principal, Permission::ManageLicensing)?;
    let (call, rules) = call(app, call_code).await?;
    if seat == 0 || seat > rules.board.members {
        return Err(invalid(
            "seat",
            ("شمارهٔ کرسی", "Seat"),
            format!(
                "باید از ۱ تا {} باشد.",
                daftar_types::digits::to_persian(&rules.board.members.to_string())
            ),
            format!("must be from 1 to {}.", rules.board.members),
        ));
    }
    let pool = app.store().pool();
    let not_a_member = || {
        invalid(
            "username",
            ("نام کاربری", "Username"),
            "حساب عضو هیئت با این نام کاربری نیست.".into(),
            "names no board member's account.".into(),
        )
    };
    let user = daftar_store::users::find_by_username(pool, username).await?.ok_or_else(not_a_member)?;
    let is_member =
        orgs::memberships_of(pool, user.id).await?.iter().any(|m| m.role == Role::BoardMember.code());
    if !is_member {
        return Err(not_a_member());
    }
    let mut tx = app.store().begin_write().await?;
    once(store::insert_seat(tx.conn(), call.id, i64::from(seat), user.id).await, || {
        conflict(
            "این کرسی یا این عضو پیش‌تر در هیئت نشسته است.",
            "This seat or this member is already seated.",
        )
    })?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "licensing.board_seated",
        ("call", call_code.to_string()),
        json!({ "seat": seat, "member": user.id }),
    ));
    Ok(app.commit(tx).await?)
}

/// A seated board member's vote on a submitted applicant (the board path); each member votes
/// once on each applicant.
pub async fn vote(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    call_code: &str,
    applicant: &str,
    vote: &str,
) -> AppResult<()> {
    require(principal, Permission::BoardVote)?;
    let (call, _) = call(app, call_code).await?;
    if !matches!(vote, "approve" | "reject" | "abstain") {
        return Err(invalid(
            "vote",
            ("رأی", "Vote"),
            "موافق، مخالف یا ممتنع.".into(),
            "approve, reject or abstain.".into(),
        ));
    }
    let pool = app.store().pool();
    if !store::seats(pool, call.id).await?.iter().any(|(_, member)| *member == principal.user_id) {
        return Err(conflict(
            "شما در هیئت این فراخوان کرسی ندارید.",
            "You have no seat on this call's board.",
        ));
    }
    let submitted =
        store::application(pool, call.id, applicant).await?.is_some_and(|a| a.status == "submitted");
    if !submitted {
        return Err(invalid(
            "applicant",
            ("متقاضی", "Applicant"),
            "درخواست ثبت‌نهایی‌شده‌ای با این کد ملی در این فراخوان نیست.".into(),
            "has no submitted application in this call.".into(),
        ));
    }
    let mut tx = app.store().begin_write().await?;
    once(store::insert_vote(tx.conn(), call.id, applicant, principal.user_id, vote).await, || {
        conflict("رأی شما دربارهٔ این متقاضی پیش‌تر ثبت شده است.", "You have already voted on this applicant.")
    })?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "licensing.vote",
        ("application", format!("{call_code}:{applicant}")),
        json!({ "vote": vote }),
    ));
    Ok(app.commit(tx).await?)
}

/// Everything the ranking is computed from, as stored.
struct Inputs {
    rules: CallRules,
    applications: Vec<Application>,
    exam: Vec<ExamResult>,
    votes: Vec<BoardVote>,
}

async fn inputs(app: &App, call: &CallRow, rules: CallRules) -> AppResult<Inputs> {
    let pool = app.store().pool();
    let applications = store::submitted_applications(pool, call.id)
        .await?
        .iter()
        .map(|row: &ApplicationRow| stored::<Application>(&row.data))
        .collect::<AppResult<Vec<_>>>()?;
    let exam = store::exam_results(pool, call.id)
        .await?
        .into_iter()
        .filter_map(|(id, score)| {
            Some(ExamResult {
                national_id: NationalId::parse(&id).ok()?,
                score: score.parse::<Decimal>().ok()?,
            })
        })
        .collect();
    // A member's number on the ballots is their seat, fixed before anyone votes.
    let seats = store::seats(pool, call.id).await?;
    let votes = store::votes(pool, call.id)
        .await?
        .iter()
        .filter_map(|(id, member, vote)| {
            let number = u8::try_from(seats.iter().find(|(_, m)| m == member)?.0).ok()?;
            let vote = match vote.as_str() {
                "approve" => Vote::Approve,
                "reject" => Vote::Reject,
                _ => Vote::Abstain,
            };
            Some(BoardVote { applicant: NationalId::parse(id).ok()?, member: number, vote })
        })
        .collect();
    Ok(Inputs { rules, applications, exam, votes })
}

fn compute(inputs: &Inputs) -> AppResult<(Ranking, Selection)> {
    let ranking =
        lic::rank(&inputs.rules, &inputs.applications, &inputs.exam, &inputs.votes).map_err(|e| {
            conflict(&format!("رتبه‌بندی ممکن نیست: {e}"), &format!("The ranking cannot be computed: {e}"))
        })?;
    let selection = lic::select(&inputs.rules, &ranking.ranked, &inputs.rules.sites);
    Ok((ranking, selection))
}

/// Ranks the call's applicants and selects them, once. Every selected rank and site is a row
/// under a unique constraint, so two servers selecting at once cannot give a rank or a site
/// twice: the second transaction fails and changes nothing.
pub async fn run_selection(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    call_code: &str,
) -> AppResult<SelectionRow> {
    if let By::Principal(p) = by {
        require(p, Permission::ManageLicensing)?;
    }
    let (call, rules) = call(app, call_code).await?;
    if app.now() < rules.window.closes_at().unix() {
        return Err(conflict("ثبت‌نام هنوز باز است.", "Registration is still open."));
    }
    let inputs = inputs(app, &call, rules).await?;
    let (ranking, selection) = compute(&inputs)?;
    let row = SelectionRow {
        call_id: call.id,
        inputs_digest: ranking.inputs_digest.clone(),
        ranking: to_json(&ranking),
        selection: to_json(&selection),
        created_at: app.now(),
    };
    let already =
        || conflict("انتخاب این فراخوان پیش‌تر انجام شده است.", "This call's selection was already made.");
    let mut tx = app.store().begin_write().await?;
    once(store::insert_selection(tx.conn(), &row).await, already)?;
    for s in &selection.selected {
        let site = match &s.placement {
            Placement::Site { code, .. } => Some(code.as_str()),
            Placement::OwnPremises => None,
        };
        let rank = i64::from(s.rank);
        once(store::insert_selected(tx.conn(), call.id, s.national_id.as_str(), rank, site).await, already)?;
    }
    tx.audit(entry(
        app,
        by,
        meta,
        "licensing.selected",
        ("call", call_code.to_string()),
        json!({ "digest": row.inputs_digest, "selected": selection.selected.len(), "reserve": selection.reserve.len() }),
    ));
    app.commit(tx).await?;
    Ok(row)
}

/// A selection recomputed from the stored inputs, beside the one on record.
#[derive(Debug, Clone, Serialize)]
pub struct Rerank {
    pub stored_digest: Option<String>,
    pub digest: String,
    pub identical: bool,
    pub ranking: Ranking,
    pub selection: Selection,
}

/// Recomputes a call's ranking and selection from its stored inputs and compares them with the
/// selection on record: the same inputs must give the same result, byte for byte.
pub async fn rerank(app: &App, call_code: &str) -> AppResult<Rerank> {
    let (call, rules) = call(app, call_code).await?;
    let inputs = inputs(app, &call, rules).await?;
    let (ranking, selection) = compute(&inputs)?;
    let stored = store::selection(app.store().pool(), call.id).await?;
    let identical = stored.as_ref().is_some_and(|s| {
        s.inputs_digest == ranking.inputs_digest
            && s.ranking == to_json(&ranking)
            && s.selection == to_json(&selection)
    });
    Ok(Rerank {
        stored_digest: stored.map(|s| s.inputs_digest),
        digest: ranking.inputs_digest.clone(),
        identical,
        ranking,
        selection,
    })
}

/// One line of the public ranking: the national ID masked.
#[derive(Debug, Clone, Serialize)]
pub struct PublicRank {
    pub rank: u32,
    pub masked_national_id: String,
    pub points: u32,
    pub exam_score: Option<String>,
    pub final_score: String,
    pub selected: bool,
    pub site: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicResult {
    pub call: String,
    pub inputs_digest: String,
    pub ranks: Vec<PublicRank>,
}

/// The call's ranking for the public, once the selection is made.
pub async fn public_ranking(app: &App, call_code: &str) -> AppResult<PublicResult> {
    let (call, _) = call(app, call_code).await?;
    let row = store::selection(app.store().pool(), call.id).await?.ok_or(AppError::NotFound)?;
    let ranking: serde_json::Value = stored(&row.ranking)?;
    let selected = store::selected(app.store().pool(), call.id).await?;
    let ranks = ranking["ranked"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r["national_id"].as_str()?;
            let pick = selected.iter().find(|(n, _, _)| n == id);
            Some(PublicRank {
                rank: u32::try_from(r["rank"].as_u64()?).ok()?,
                masked_national_id: NationalId::parse(id).ok()?.masked(),
                points: u32::try_from(r["points"].as_u64()?).ok()?,
                exam_score: r["exam_score"].as_str().map(str::to_string),
                final_score: r["final_score"].as_str().unwrap_or_default().to_string(),
                selected: pick.is_some(),
                site: pick.and_then(|(_, _, site)| site.clone()),
            })
        })
        .collect();
    Ok(PublicResult { call: call_code.to_string(), inputs_digest: row.inputs_digest, ranks })
}

/// What an applicant sees of their own application: each condition, the points, and (after the
/// selection) the rank and the outcome, with the digest of the inputs.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicantResult {
    pub status: String,
    pub receipt_code: Option<String>,
    pub eligible: bool,
    pub conditions: Vec<(String, bool, String)>,
    pub points: u32,
    pub points_lines: Vec<String>,
    pub rank: Option<u32>,
    /// How the rank was reached (the final score's arithmetic), or why there is none (failed
    /// conditions, absence from the exam, the board's tally); once the selection is made.
    pub explanation: Option<String>,
    pub selected: bool,
    pub site: Option<String>,
    pub inputs_digest: Option<String>,
}

pub async fn my_result(
    app: &App,
    principal: &Principal,
    call_code: &str,
    lang: Lang,
) -> AppResult<ApplicantResult> {
    let national_id = applicant_national_id(app, principal).await?;
    let (call, rules) = call(app, call_code).await?;
    let pool = app.store().pool();
    let row = store::application(pool, call.id, national_id.as_str()).await?.ok_or(AppError::NotFound)?;
    let application: Application = stored(&row.data)?;
    let eligibility = lic::assess_eligibility(&rules, &application);
    let points = lic::score_points(&rules, &application);
    let selection = store::selection(pool, call.id).await?;
    let rank = match &selection {
        Some(s) => stored::<serde_json::Value>(&s.ranking)?["ranked"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["national_id"].as_str() == Some(national_id.as_str()))
            .and_then(|r| r["rank"].as_u64())
            .and_then(|r| u32::try_from(r).ok()),
        None => None,
    };
    let pick = store::selected(pool, call.id).await?.into_iter().find(|(n, _, _)| n == national_id.as_str());
    let explanation = match &selection {
        Some(on_record) => {
            explain(app, &call, rules.clone(), &national_id, &on_record.inputs_digest, lang).await?
        }
        None => None,
    };
    Ok(ApplicantResult {
        status: row.status,
        receipt_code: row.receipt_code,
        eligible: eligibility.eligible(),
        conditions: eligibility
            .conditions
            .iter()
            .map(|c| (c.code.clone(), c.passed, c.message(lang)))
            .collect(),
        points: points.total,
        points_lines: points.lines.iter().map(|l| l.message(lang)).collect(),
        rank,
        explanation,
        selected: pick.is_some(),
        site: pick.and_then(|(_, _, site)| site),
        inputs_digest: selection.map(|s| s.inputs_digest),
    })
}

/// The explanation of one applicant's place, recomputed from the stored inputs; given only when
/// they still digest to the selection on record, so it explains that selection and no other.
async fn explain(
    app: &App,
    call: &CallRow,
    rules: CallRules,
    national_id: &NationalId,
    digest_on_record: &str,
    lang: Lang,
) -> AppResult<Option<String>> {
    let inputs = inputs(app, call, rules).await?;
    let (ranking, _) = compute(&inputs)?;
    if ranking.inputs_digest != digest_on_record {
        return Ok(None);
    }
    if let Some(ranked) = ranking.ranked.iter().find(|r| &r.national_id == national_id) {
        return Ok(Some(ranked.message(&inputs.rules.selection, lang)));
    }
    Ok(ranking.not_ranked.iter().find(|r| &r.national_id == national_id).map(|r| r.reason.message(lang)))
}

/// The district an office is in, created the first time a call names it.
async fn district_id(tx: &mut daftar_store::WriteTx, number: u8) -> AppResult<i64> {
    let code = number.to_string();
    if let Some(d) = orgs::districts(tx.conn()).await?.into_iter().find(|d| d.code == code) {
        return Ok(d.id);
    }
    let fa = format!("منطقهٔ {}", daftar_types::digits::to_persian(&code));
    Ok(orgs::insert_district(tx.conn(), &code, &fa, &format!("District {code}")).await?)
}

/// Issues a licence to every selected applicant: their office (code `D{district}-{seq}`), the
/// licence (valid for the call's years), the equipment checklist, and for those on a municipal
/// site, the site let at its rent from this month (billed monthly from then on).
pub async fn issue_licences(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    call_code: &str,
) -> AppResult<Vec<String>> {
    require(principal, Permission::ManageLicensing)?;
    let (call, rules) = call(app, call_code).await?;
    let pool = app.store().pool();
    let selected = store::selected(pool, call.id).await?;
    if selected.is_empty() {
        return Err(conflict("هنوز کسی انتخاب نشده است.", "Nobody has been selected yet."));
    }
    if !store::licences(pool, call.id).await?.is_empty() {
        return Err(conflict(
            "مجوزهای این فراخوان پیش‌تر صادر شده است.",
            "This call's licences were already issued.",
        ));
    }
    let applications: BTreeMap<String, Application> = store::submitted_applications(pool, call.id)
        .await?
        .iter()
        .map(|row| Ok((row.national_id.clone(), stored::<Application>(&row.data)?)))
        .collect::<AppResult<_>>()?;
    let today = today(app);
    let month = crate::money::Period::containing(app.now());
    let mut codes = Vec::new();
    let mut lets = Vec::new();
    let mut tx = app.store().begin_write().await?;
    let mut sequence: BTreeMap<u8, u16> = BTreeMap::new();
    for (national_id, _rank, site_code) in &selected {
        let application = applications.get(national_id).ok_or(AppError::NotFound)?;
        let site = site_code.as_ref().and_then(|code| rules.site(code));
        let district = match (&application.location, site) {
            (_, Some(site)) => site.district,
            (lic::Location::OwnPremises(premises), None) => premises.district,
            _ => {
                return Err(conflict(
                    "محل دفتر یکی از برگزیدگان روشن نیست.",
                    "A selected applicant has no location.",
                ));
            }
        };
        let seq = sequence.entry(district).or_insert(0);
        *seq += 1;
        let office_code = OfficeCode::new(district, *seq)
            .map_err(|e| conflict(&e.message(Lang::Fa), &e.message(Lang::En)))?;
        let code = office_code.display(Lang::En);
        let district_id = district_id(&mut tx, district).await?;
        let name_fa = format!("دفتر خدمات الکترونیک شهر {}", application.applicant.name);
        let name_en = format!("E-services office {code}");
        let office =
            NewOffice { code: &code, name_fa: &name_fa, name_en: &name_en, district_id, status: "licensed" };
        let office_id = once(orgs::insert_office(tx.conn(), &office, app.now()).await, || {
            conflict("کد دفتر تکراری است؛ دوباره امتحان کنید.", "An office code is taken; try again.")
        })?;
        let holder = NationalId::parse(national_id).map_err(|_| AppError::NotFound)?;
        let licence = Licence::issue(&rules, office_code, holder, today)
            .map_err(|e| conflict(&e.message(Lang::Fa), &e.message(Lang::En)))?;
        store::insert_licence(tx.conn(), call.id, national_id, office_id, &to_json(&licence), app.now())
            .await?;
        for item in &rules.equipment {
            let row = EquipmentRow {
                office_id,
                item: item.label.code.clone(),
                label_fa: item.label.fa.clone(),
                supplier: to_json(&item.supplier).trim_matches('"').to_string(),
                status: "pending".into(),
            };
            store::insert_equipment(tx.conn(), &row).await?;
        }
        if let Some(site) = site {
            lets.push((code.clone(), site.code.clone(), site.monthly_rent));
        }
        codes.push(code);
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "licensing.licences_issued",
        ("call", call_code.to_string()),
        json!({ "offices": codes }),
    ));
    app.commit(tx).await?;
    for (office, site, rent) in lets {
        crate::money::let_site(app, By::Principal(principal), meta, &office, &site, rent, month).await?;
    }
    Ok(codes)
}

async fn office(app: &App, code: &str) -> AppResult<daftar_store::orgs::OfficeRow> {
    crate::directory::offices(app).await?.into_iter().find(|o| o.code == code).ok_or(AppError::NotFound)
}

/// Sets an equipment item's status (pending, delivered, installed).
pub async fn set_equipment(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    office_code: &str,
    item: &str,
    status: &str,
) -> AppResult<()> {
    require(principal, Permission::ManageLicensing)?;
    if !matches!(status, "pending" | "delivered" | "installed") {
        return Err(invalid(
            "status",
            ("وضعیت", "Status"),
            "در انتظار، تحویل‌شده یا نصب‌شده.".into(),
            "pending, delivered or installed.".into(),
        ));
    }
    let office = office(app, office_code).await?;
    let mut tx = app.store().begin_write().await?;
    if !store::set_equipment(tx.conn(), office.id, item, status).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "licensing.equipment",
        ("office", office_code.to_string()),
        json!({ "item": item, "status": status }),
    ));
    Ok(app.commit(tx).await?)
}

/// A step of an expert's way to acting at an office.
#[derive(Debug, Clone)]
pub enum ExpertStep {
    Register { name: String, degrees: Vec<lic::Degree> },
    TrainingCompleted,
    Exam { score: Decimal },
    Certify,
    Assign { office_code: String },
}

/// Records one step of an expert: registration (bachelor's or associate degree), training,
/// exam, certification (valid for the call's years) and assignment to an office.
pub async fn expert_step(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    call_code: &str,
    national_id: &str,
    step: ExpertStep,
) -> AppResult<()> {
    require(principal, Permission::ManageLicensing)?;
    let (_, rules) = call(app, call_code).await?;
    let id = NationalId::parse(national_id).map_err(|e| {
        invalid("national_id", ("کد ملی", "National ID"), e.message(Lang::Fa), e.message(Lang::En))
    })?;
    let mut tx = app.store().begin_write().await?;
    let action = match step {
        ExpertStep::Register { name, degrees } => {
            let inserted =
                store::insert_expert(tx.conn(), id.as_str(), &name, &to_json(&degrees), app.now()).await;
            once(inserted, || {
                conflict("این کارشناس پیش‌تر ثبت شده است.", "This expert is already registered.")
            })?;
            "licensing.expert_registered"
        }
        step => {
            let mut row = store::expert(tx.conn(), id.as_str()).await?.ok_or(AppError::NotFound)?;
            match step {
                ExpertStep::TrainingCompleted => {
                    row.training_completed_on = Some(today(app).format_numeric(Lang::En))
                }
                ExpertStep::Exam { score } => row.exam_score = Some(score.normalize().to_string()),
                ExpertStep::Certify => {
                    let candidate = ExpertCandidate {
                        national_id: id.clone(),
                        degrees: stored(&row.data)?,
                        training_completed: row.training_completed_on.is_some(),
                        exam_score: row.exam_score.as_deref().and_then(|s| s.parse().ok()),
                    };
                    let cert = lic::certify(&rules, &candidate, today(app)).map_err(|problems| {
                        let fa: Vec<String> = problems.iter().map(|p| p.message(Lang::Fa)).collect();
                        let en: Vec<String> = problems.iter().map(|p| p.message(Lang::En)).collect();
                        invalid(
                            "certificate",
                            ("گواهی کارشناس", "Expert certificate"),
                            fa.join("؛ "),
                            en.join("; "),
                        )
                    })?;
                    row.certified_on = Some(cert.issued_on.format_numeric(Lang::En));
                    row.expires_on = Some(cert.expires_on.format_numeric(Lang::En));
                }
                ExpertStep::Assign { office_code } => {
                    row.office_id = Some(office(app, &office_code).await?.id)
                }
                ExpertStep::Register { .. } => unreachable!("handled above"),
            }
            store::update_expert(tx.conn(), &row).await?;
            "licensing.expert_updated"
        }
    };
    tx.audit(entry(app, By::Principal(principal), meta, action, ("expert", id.masked()), json!({})));
    Ok(app.commit(tx).await?)
}

/// Why an office may not open yet, in both languages; empty when it may.
pub async fn opening_blockers(app: &App, office_code: &str, call_code: &str) -> AppResult<Vec<Message>> {
    let (_, rules) = call(app, call_code).await?;
    let office = office(app, office_code).await?;
    let pool = app.store().pool();
    let checklist: Vec<lic::ChecklistItem> = store::equipment(pool, office.id)
        .await?
        .iter()
        .map(|e| lic::ChecklistItem {
            label: rules
                .equipment
                .iter()
                .find(|i| i.label.code == e.item)
                .map(|i| i.label.clone())
                .unwrap_or_else(|| lic::Label {
                    code: e.item.clone(),
                    fa: e.label_fa.clone(),
                    en: e.item.clone(),
                }),
            supplier: serde_json::from_value(serde_json::Value::String(e.supplier.clone()))
                .unwrap_or(lic::Supplier::Office),
            status: serde_json::from_value(serde_json::Value::String(e.status.clone()))
                .unwrap_or(lic::ItemStatus::Pending),
        })
        .collect();
    let today = today(app);
    let certified = store::experts_of_office(pool, office.id)
        .await?
        .iter()
        .filter(|e| {
            e.expires_on.as_deref().and_then(|d| JalaliDate::parse(d).ok()).is_some_and(|until| today < until)
        })
        .count();
    let blockers = lic::opening_blockers(&checklist, u32::try_from(certified).unwrap_or(u32::MAX), &rules);
    Ok(blockers.iter().map(|b| Message::new(b.message(Lang::Fa), b.message(Lang::En))).collect())
}

/// Opens an office whose checklist is complete and which has its certified experts.
pub async fn open_office(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    call_code: &str,
    office_code: &str,
) -> AppResult<()> {
    require(principal, Permission::ManageLicensing)?;
    let blockers = opening_blockers(app, office_code, call_code).await?;
    if !blockers.is_empty() {
        let fa: Vec<&str> = blockers.iter().map(|m| m.get(Lang::Fa)).collect();
        let en: Vec<&str> = blockers.iter().map(|m| m.get(Lang::En)).collect();
        return Err(AppError::Conflict(Message::new(fa.join("؛ "), en.join("; "))));
    }
    let office = office(app, office_code).await?;
    let mut tx = app.store().begin_write().await?;
    store::set_office_status(tx.conn(), office.id, "open").await?;
    if let Some(row) = store::licence_of_office(tx.conn(), office.id).await? {
        let mut licence: Licence = stored(&row.data)?;
        licence.activate(today(app)).map_err(|e| conflict(&e.message(Lang::Fa), &e.message(Lang::En)))?;
        if !store::replace_licence(tx.conn(), row.id, &row.data, &to_json(&licence)).await? {
            tx.rollback().await?;
            return Err(conflict(
                "مجوز هم‌زمان تغییر کرد؛ دوباره امتحان کنید.",
                "The licence changed meanwhile; try again.",
            ));
        }
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "licensing.office_opened",
        ("office", office_code.to_string()),
        json!({}),
    ));
    Ok(app.commit(tx).await?)
}
