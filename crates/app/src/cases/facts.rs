//! What the workflow's guards look at: facts recorded by a case's own steps (the inspection's
//! verdict, the plan check, the expert's settlements) and facts read at the moment of the
//! request from where they live (documents, invoices, the expert's certificate, the permit's
//! deadline). Nothing is copied that could go stale.

use daftar_store::cases::{self as store, CaseRow};
use daftar_types::{JalaliDate, Timestamp};
use daftar_workflow::{
    CaseSnapshot, Facts, HistoryEntry, Holidays, ServiceDefinition, SubtaskState, SubtaskStatus,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection, Executor};

use crate::App;
use crate::error::{AppError, AppResult, Message};

/// Facts a case's steps record, stored with the case as JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CaseFacts {
    /// The inspector of the current round (a user id).
    pub inspector: Option<i64>,
    pub inspection_passed: Option<bool>,
    /// A violation found on site (for certificates after the permit).
    pub violation: Option<bool>,
    /// The instruction sheet pinned to the case, with the plan version it used.
    #[schema(value_type = Option<Object>)]
    pub sheet: Option<serde_json::Value>,
    /// External inquiries the parcel needs, by subtask code.
    pub inquiries: Vec<String>,
    pub plan_check: Option<PlanCheckRecord>,
    /// The supervising engineer named in the start-of-works notice.
    pub supervisor: Option<String>,
    /// The extension granted to the completion deadline, in months.
    pub extended_months: u32,
}

/// The machine's plan check of the latest drawings, with the items it left to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanCheckRecord {
    pub plan_version: String,
    /// The document checked (its SHA-256).
    pub drawing: String,
    pub overall: String,
    #[schema(value_type = String)]
    pub purchased_area: Decimal,
    /// Each level's use and gross area, for the fee assessment and the permit.
    pub levels: Vec<LevelRecord>,
    pub items: Vec<ReviewItem>,
    /// Verdicts "not accepted": the drawings must be corrected.
    pub not_accepted: u32,
    #[schema(value_type = Object)]
    pub check: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LevelRecord {
    pub level: i32,
    pub usage: String,
    #[schema(value_type = String)]
    pub area: Decimal,
}

/// A verdict the machine left for human review, and how the expert settled it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub rule: String,
    pub level: Option<i32>,
    pub message_key: String,
    pub settled: Option<Settlement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settlement {
    pub accepted: bool,
    pub reason: String,
    pub by: i64,
}

impl CaseFacts {
    pub(crate) fn parse(case: &CaseRow) -> AppResult<CaseFacts> {
        serde_json::from_str(&case.facts).map_err(|e| corrupt(&e))
    }

    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("case facts always serialise")
    }

    pub(crate) fn total_area(&self) -> Decimal {
        self.plan_check.as_ref().map(|p| p.levels.iter().map(|l| l.area).sum()).unwrap_or_default()
    }
}

fn corrupt(e: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "stored case facts are unreadable");
    AppError::Conflict(Message::new("دادهٔ پرونده خوانا نیست.", "The case's data is unreadable."))
}

/// The facts of a case at this moment; `actor_national_id` is the acting person's, for the
/// expert-certification fact.
pub(crate) async fn gather(
    app: &App,
    conn: &mut AnyConnection,
    case: &CaseRow,
    definition: &ServiceDefinition,
    actor_national_id: Option<&str>,
) -> AppResult<Facts> {
    let recorded = CaseFacts::parse(case)?;
    let documents = store::documents(&mut *conn, case.id).await?;
    let has = |kind: &str| documents.iter().any(|d| d.kind == kind);
    let kinds: Vec<&str> = documents.iter().map(|d| d.kind.as_str()).collect();
    let invoices = daftar_store::money::invoices_of_owner(&mut *conn, "case", &case.tracking_code).await?;
    let live: Vec<_> = invoices.iter().filter(|i| i.status != "cancelled").collect();
    let outstanding: i64 =
        live.iter().filter(|i| i.status == "open").map(|i| (i.total - i.paid_total).max(0)).sum();
    let today = super::tehran_day(app.now());
    let expert_certified = match actor_national_id {
        Some(id) => certified_here(&mut *conn, id, case.office_id, today).await?,
        None => false,
    };
    let issued = store::issued_of_case(&mut *conn, case.id).await?;
    let deadline_passed = issued
        .and_then(|i| i.valid_until)
        .and_then(|d| JalaliDate::parse(&d).ok())
        .is_some_and(|until| until < today);
    let plan_check = recorded.plan_check.as_ref();
    let open_items = plan_check.map_or(0, |p| p.items.iter().filter(|i| i.settled.is_none()).count());
    let refused_items = plan_check.map_or(0, |p| {
        p.not_accepted as usize
            + p.items.iter().filter(|i| i.settled.as_ref().is_some_and(|s| !s.accepted)).count()
    });
    let mut engine = Facts::new()
        .with_flag("documents_complete", definition.missing_documents(kinds.iter().copied()).is_empty())
        .with_flag("drawings_attached", has("architectural_drawings"))
        .with_flag("undertakings_signed", has("engineers_undertakings"))
        .with_flag("stage_report_attached", has("supervisor_stage_report"))
        .with_flag("as_built_drawings_attached", has("as_built_drawings"))
        .with_flag("inspector_assigned", recorded.inspector.is_some())
        .with_flag("plan_check_done", plan_check.is_some())
        .with_flag("expert_certified", expert_certified)
        .with_flag("invoice_issued", !live.is_empty())
        .with_flag("supervisor_appointed", recorded.supervisor.is_some())
        .with_flag("completion_deadline_passed", deadline_passed)
        .with_number("fees_outstanding", outstanding)
        .with_number("review_items_open", open_items as i64)
        .with_number("items_not_accepted", refused_items as i64);
    if let Some(passed) = recorded.inspection_passed {
        engine = engine.with_flag("inspection_passed", passed);
    }
    if let Some(violation) = recorded.violation {
        engine = engine.with_flag("violation_open", violation).with_flag("violation_found", violation);
    }
    for subtask in definition.workflow.subtasks() {
        if let Some(fact) = &subtask.opens_if {
            engine = engine.with_flag(fact, recorded.inquiries.contains(&subtask.code));
        }
    }
    Ok(engine)
}

/// Whether the person with this national ID is a certified expert, certificate unexpired,
/// assigned to this office.
async fn certified_here<'c>(
    ex: impl Executor<'c, Database = Any>,
    national_id: &str,
    office_id: i64,
    today: JalaliDate,
) -> AppResult<bool> {
    let Some(expert) = daftar_store::licensing::expert(ex, national_id).await? else {
        return Ok(false);
    };
    let unexpired =
        expert.expires_on.as_deref().and_then(|d| JalaliDate::parse(d).ok()).is_some_and(|d| d >= today);
    Ok(expert.certified_on.is_some() && unexpired && expert.office_id == Some(office_id))
}

/// The case as the engine sees it: state, version, history and current subtasks.
pub(crate) async fn snapshot(conn: &mut AnyConnection, case: &CaseRow) -> AppResult<CaseSnapshot> {
    let history = store::steps(&mut *conn, case.id)
        .await?
        .into_iter()
        .map(|s| HistoryEntry { action: s.action, actor_id: s.actor_id, role: s.role })
        .collect();
    let subtasks = store::subtasks(&mut *conn, case.id)
        .await?
        .into_iter()
        .map(|t| SubtaskStatus {
            state: match t.state.as_str() {
                "answered" => SubtaskState::Answered,
                "withdrawn" => SubtaskState::Withdrawn,
                _ => SubtaskState::Pending,
            },
            code: t.code,
        })
        .collect();
    Ok(CaseSnapshot {
        state: case.state.clone(),
        version: u64::try_from(case.version).unwrap_or_default(),
        history,
        subtasks,
    })
}

/// When the clock of `state` runs out for a case entering it at `now`; `None` for states that
/// wait on the applicant.
pub(crate) fn due_at(definition: &ServiceDefinition, state: &str, now: i64) -> Option<i64> {
    let sla = definition.workflow.state(state)?.sla.as_ref()?;
    Some(daftar_workflow::deadline(Timestamp::from_unix(now), sla, &Holidays::new([])).unix())
}
