//! What the workflow's guards look at: facts recorded by a case's own steps (the inspection's
//! verdict, the plan check, the expert's settlements) and facts read at the moment of the
//! request from where they live (documents, invoices, the expert's certificate, the permit's
//! deadline). Nothing is copied that could go stale.

use daftar_store::cases::{self as store, CaseRow};
use daftar_types::{JalaliDate, Timestamp};
use daftar_workflow::{
    CaseSnapshot, Facts, HistoryEntry, Holidays, Reads, ServiceDefinition, SubtaskState, SubtaskStatus,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

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

/// The facts read from the case's documents.
const DOCUMENT_FACTS: [&str; 5] = [
    "documents_complete",
    "drawings_attached",
    "undertakings_signed",
    "stage_report_attached",
    "as_built_drawings_attached",
];

fn corrupt(e: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "stored case facts are unreadable");
    AppError::Conflict(Message::new("دادهٔ پرونده خوانا نیست.", "The case's data is unreadable."))
}

/// The facts of a case at this moment that `reads` lists: a fact kept elsewhere (documents,
/// invoices, the acting expert's certificate, the permit's deadline) costs a query, made only
/// when a guard can look at it. `actor` is the acting person's user id, for the
/// expert-certification fact.
pub(crate) async fn gather(
    app: &App,
    conn: &mut AnyConnection,
    case: &CaseRow,
    definition: &ServiceDefinition,
    reads: &Reads,
    actor: Option<i64>,
) -> AppResult<Facts> {
    let recorded = CaseFacts::parse(case)?;
    let needs_any = |names: &[&str]| names.iter().any(|n| reads.needs_fact(n));
    let documents = if needs_any(&DOCUMENT_FACTS) {
        store::documents(&mut *conn, case.id).await?.into_iter().map(|d| d.kind).collect()
    } else {
        Vec::new()
    };
    let has = |kind: &str| documents.iter().any(|d| d == kind);
    let invoices = if needs_any(&["invoice_issued", "fees_outstanding"]) {
        daftar_store::money::invoices_of_owner(&mut *conn, "case", &case.tracking_code).await?
    } else {
        Vec::new()
    };
    let live: Vec<_> = invoices.iter().filter(|i| i.status != "cancelled").collect();
    let outstanding: i64 =
        live.iter().filter(|i| i.status == "open").map(|i| (i.total - i.paid_total).max(0)).sum();
    let today = super::tehran_day(app.now());
    let expert_certified = match actor.filter(|_| reads.needs_fact("expert_certified")) {
        Some(user_id) => certified_here(&mut *conn, user_id, case.office_id, today).await?,
        None => false,
    };
    let deadline_passed = if reads.needs_fact("completion_deadline_passed") {
        store::issued_of_case(&mut *conn, case.id)
            .await?
            .and_then(|i| i.valid_until)
            .and_then(|d| JalaliDate::parse(&d).ok())
            .is_some_and(|until| until < today)
    } else {
        false
    };
    let plan_check = recorded.plan_check.as_ref();
    let open_items = plan_check.map_or(0, |p| p.items.iter().filter(|i| i.settled.is_none()).count());
    let refused_items = plan_check.map_or(0, |p| {
        p.not_accepted as usize
            + p.items.iter().filter(|i| i.settled.as_ref().is_some_and(|s| !s.accepted)).count()
    });
    let mut flags = vec![
        ("documents_complete", definition.missing_documents(documents.iter().map(String::as_str)).is_empty()),
        ("drawings_attached", has("architectural_drawings")),
        ("undertakings_signed", has("engineers_undertakings")),
        ("stage_report_attached", has("supervisor_stage_report")),
        ("as_built_drawings_attached", has("as_built_drawings")),
        ("inspector_assigned", recorded.inspector.is_some()),
        ("plan_check_done", plan_check.is_some()),
        ("expert_certified", expert_certified),
        ("invoice_issued", !live.is_empty()),
        ("supervisor_appointed", recorded.supervisor.is_some()),
        ("completion_deadline_passed", deadline_passed),
    ];
    if let Some(passed) = recorded.inspection_passed {
        flags.push(("inspection_passed", passed));
    }
    if let Some(violation) = recorded.violation {
        flags.extend([("violation_open", violation), ("violation_found", violation)]);
    }
    for subtask in definition.workflow.subtasks() {
        if let Some(fact) = &subtask.opens_if {
            flags.push((fact.as_str(), recorded.inquiries.contains(&subtask.code)));
        }
    }
    let numbers = [
        ("fees_outstanding", outstanding),
        ("review_items_open", open_items as i64),
        ("items_not_accepted", refused_items as i64),
    ];
    // A fact not read is left out rather than given a default: should a guard ever look at one
    // that `reads` missed, it refuses the step instead of deciding on a made-up value.
    let mut engine = Facts::new();
    for (name, value) in flags.into_iter().filter(|(name, _)| reads.needs_fact(name)) {
        engine = engine.with_flag(name, value);
    }
    for (name, value) in numbers.into_iter().filter(|(name, _)| reads.needs_fact(name)) {
        engine = engine.with_number(name, value);
    }
    Ok(engine)
}

/// Whether the person is a certified expert, certificate unexpired, assigned to this office.
async fn certified_here(
    conn: &mut AnyConnection,
    user_id: i64,
    office_id: i64,
    today: JalaliDate,
) -> AppResult<bool> {
    let Some(national_id) = super::national_id_of(&mut *conn, user_id).await? else {
        return Ok(false);
    };
    let Some(expert) = daftar_store::licensing::expert(&mut *conn, &national_id).await? else {
        return Ok(false);
    };
    let unexpired =
        expert.expires_on.as_deref().and_then(|d| JalaliDate::parse(d).ok()).is_some_and(|d| d >= today);
    Ok(expert.certified_on.is_some() && unexpired && expert.office_id == Some(office_id))
}

/// The case as the engine sees it: state and version, and the history and current subtasks as
/// far as `reads` lists them.
pub(crate) async fn snapshot(
    conn: &mut AnyConnection,
    case: &CaseRow,
    reads: &Reads,
) -> AppResult<CaseSnapshot> {
    let history = if reads.needs_history() {
        store::steps(&mut *conn, case.id)
            .await?
            .into_iter()
            .filter(|s| reads.performers_of.contains(&s.action))
            .map(|s| HistoryEntry { action: s.action, actor_id: s.actor_id, role: s.role })
            .collect()
    } else {
        Vec::new()
    };
    let subtasks = if reads.subtasks {
        store::subtasks(&mut *conn, case.id)
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
            .collect()
    } else {
        Vec::new()
    };
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
