//! Keeping cases on time: complaints routed to the supervisor with their own deadline, and the
//! sweep that escalates cases past their state's deadline and lets time-driven steps happen (a
//! permit expires when its completion deadline passes).

use std::time::Duration;

use daftar_store::cases::{self as store};
use daftar_types::{NationalId, text};
use serde::Serialize;
use serde_json::json;

use super::steps::advance_in;
use crate::audit::{By, entry};
use crate::authz::{Principal, Role};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

/// A complaint must be answered within this many seconds (seven days).
pub const COMPLAINT_SLA_S: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplaintView {
    pub id: i64,
    pub tracking_code: Option<String>,
    pub body: String,
    pub filed_at: i64,
    pub due_at: i64,
    pub overdue: bool,
    pub status: String,
    pub answer: Option<String>,
}

fn complaint_view(app: &App, row: store::ComplaintRow, tracking: Option<String>) -> ComplaintView {
    ComplaintView {
        overdue: row.status == "open" && row.due_at < app.now(),
        id: row.id,
        tracking_code: tracking,
        body: row.body,
        filed_at: row.filed_at,
        due_at: row.due_at,
        status: row.status,
        answer: row.answer,
    }
}

pub(crate) async fn complaints_of(app: &App, case_id: i64) -> AppResult<Vec<ComplaintView>> {
    Ok(store::complaints_of_case(app.store().pool(), case_id)
        .await?
        .into_iter()
        .map(|c| complaint_view(app, c, None))
        .collect())
}

/// Files a complaint about a case: by its applicant, who proves it with the tracking code and
/// national ID (no sign-in needed). It goes to the city's supervisor.
pub async fn file_complaint(
    app: &App,
    meta: &RequestMeta,
    tracking: &str,
    national_id: &str,
    body: &str,
) -> AppResult<ComplaintView> {
    let body = text::normalize(body);
    if !(10..=4_000).contains(&body.chars().count()) {
        return Err(AppError::invalid(FieldError::new(
            "body",
            Message::new("متن شکایت", "Complaint"),
            Message::new("از ۱۰ تا ۴۰۰۰ نویسه.", "10 to 4,000 characters."),
        )));
    }
    let id = NationalId::parse(national_id).map_err(|e| {
        AppError::invalid(FieldError::new(
            "national_id",
            Message::new("کد ملی", "National ID"),
            Message::new(e.message(daftar_types::Lang::Fa), e.message(daftar_types::Lang::En)),
        ))
    })?;
    let tracking = daftar_types::digits::fold_to_ascii(tracking.trim());
    let case = store::case_by_tracking(app.store().pool(), &tracking, "").await?;
    let case = case.filter(|c| c.applicant_national_id == id.as_str()).ok_or(AppError::NotFound)?;
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    let complaint_id =
        store::insert_complaint(tx.conn(), case.id, &body, id.as_str(), now, now + COMPLAINT_SLA_S).await?;
    tx.audit(entry(
        app,
        By::System("public"),
        meta,
        "case.complaint_filed",
        ("case", case.tracking_code.clone()),
        json!({ "complaint": complaint_id }),
    ));
    app.commit(tx).await?;
    let row = store::complaint(app.store().pool(), complaint_id).await?.ok_or(AppError::NotFound)?;
    Ok(complaint_view(app, row, Some(case.tracking_code)))
}

/// The supervisor's list of open complaints, the most overdue first.
pub async fn open_complaints(app: &App, principal: &Principal) -> AppResult<Vec<ComplaintView>> {
    if !principal.has_role(&[Role::Supervisor]) {
        return Err(AppError::Forbidden);
    }
    let mut views = Vec::new();
    for row in store::open_complaints(app.store().pool()).await? {
        let case = store::case_by_id(app.store().pool(), row.case_id, "").await?;
        views.push(complaint_view(app, row, case.map(|c| c.tracking_code)));
    }
    Ok(views)
}

/// The supervisor answers a complaint, once.
pub async fn answer_complaint(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    complaint_id: i64,
    answer: &str,
) -> AppResult<()> {
    if !principal.has_role(&[Role::Supervisor]) {
        return Err(AppError::Forbidden);
    }
    let answer = text::normalize(answer);
    if answer.chars().count() < 5 {
        return Err(AppError::invalid(FieldError::new(
            "answer",
            Message::new("پاسخ", "Answer"),
            Message::new("دست‌کم ۵ نویسه.", "at least 5 characters."),
        )));
    }
    let mut tx = app.store().begin_write().await?;
    if !store::answer_complaint(tx.conn(), complaint_id, &answer, principal.user_id, app.now()).await? {
        return Err(AppError::Conflict(Message::new(
            "این شکایت پیش‌تر پاسخ گرفته است یا وجود ندارد.",
            "This complaint was answered already, or does not exist.",
        )));
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "case.complaint_answered",
        ("complaint", complaint_id.to_string()),
        json!({}),
    ));
    app.commit(tx).await?;
    Ok(())
}

/// Escalates every open case past its state's deadline (once per stay in a state) and lets
/// permits whose completion deadline passed expire. Several app servers may run it at once:
/// the conditional updates let one of them record each escalation.
pub async fn escalate_overdue(app: &App) -> AppResult<usize> {
    let now = app.now();
    let meta = RequestMeta::default();
    let mut escalated = 0;
    for case in store::overdue_cases(app.store().pool(), now).await? {
        let definition = super::catalog::definition_of(app, case.service_id).await?;
        let to = definition
            .workflow
            .state(&case.state)
            .and_then(|s| s.sla.as_ref())
            .map_or_else(|| definition.sla.escalate_to.clone(), |sla| sla.escalate_to.clone());
        let mut tx = app.store().begin_write().await?;
        if !store::mark_escalated(tx.conn(), case.id, case.version, now).await? {
            continue;
        }
        tx.audit(entry(
            app,
            By::System("sla"),
            &meta,
            "case.escalated",
            ("case", case.tracking_code.clone()),
            json!({ "state": case.state, "due_at": case.state_due_at, "to": to }),
        ));
        app.commit(tx).await?;
        escalated += 1;
    }
    for case in
        store::cases_in_states(app.store().pool(), &["permit_delivered", "works_in_progress", "extended"])
            .await?
    {
        let mut tx = app.store().begin_write().await?;
        if advance_in(app, &mut tx, &meta, By::System("sla"), case.id).await? {
            app.commit(tx).await?;
        }
    }
    Ok(escalated)
}

/// Runs the sweep every minute.
pub async fn run_sla_worker(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Err(e) = escalate_overdue(&app).await {
            tracing::warn!(error = %e, "the SLA sweep failed");
        }
    }
}
