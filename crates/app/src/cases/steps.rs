//! Taking a step on a case. The request is checked against the case's version first, then the
//! step's own work is done (an inspection recorded, the drawings checked, the invoice issued),
//! then the engine decides, and the outcome is written, all in one transaction: if the engine
//! refuses, the work is rolled back with it.

use std::collections::BTreeMap;

use daftar_fees::assess::{AssessmentInputs, LevelInput};
use daftar_store::WriteTx;
use daftar_store::cases::{self as store, CaseRow, StateChange, StepRow};
use daftar_types::{JalaliDate, Lang, text};
use daftar_workflow::{Actor, Outcome, ServiceDefinition, TransitionError};
use daftar_zoning::check::{Design, Verdict};
use serde::Deserialize;
use serde_json::json;

use super::facts::{self, CaseFacts, LevelRecord, PlanCheckRecord, ReviewItem, Settlement};
use super::{CaseView, catalog, check_acting_office, issue, view, workflow_roles};
use crate::audit::{By, entry};
use crate::authz::{Principal, Role};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::money::{Billed, Lineage};
use crate::{App, RequestMeta};

/// A step someone takes on a case, on the version they saw.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ActRequest {
    pub action: String,
    /// The case's version the person saw; a request on an older version is refused.
    pub version: i64,
    pub reason: Option<String>,
    #[serde(default)]
    pub inputs: ActInputs,
}

/// What particular steps need besides the action.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActInputs {
    /// Scheduling a visit: the inspector's username and the Jalali day of the visit.
    pub inspector: Option<String>,
    pub visit_on: Option<String>,
    /// Reporting an inspection: the verdict, each checklist item, the narrative, and whether a
    /// violation was found.
    pub passed: Option<bool>,
    pub checklist: BTreeMap<String, bool>,
    pub report: Option<String>,
    pub violation: Option<bool>,
    /// Issuing the instruction sheet: the external inquiries the parcel needs.
    pub inquiries: Vec<String>,
    /// Submitting drawings as parameters instead of a DXF file.
    #[schema(value_type = Option<Object>)]
    pub design: Option<Design>,
    /// Settling a review item: its index and the decision.
    pub item: Option<usize>,
    pub accept: Option<bool>,
    /// The start-of-works notice: the supervising engineer and their membership number.
    pub supervisor: Option<String>,
    /// Extending the permit: by how many months.
    pub months: Option<u32>,
}

fn invalid(field: &'static str, fa: &'static str, en: &'static str, problem: (&str, &str)) -> AppError {
    AppError::invalid(FieldError::new(
        field,
        Message::new(fa, en),
        Message::new(problem.0.to_owned(), problem.1.to_owned()),
    ))
}

pub(crate) fn stale(current: i64) -> AppError {
    AppError::Conflict(Message::new(
        format!(
            "پرونده در این میان تغییر کرده است (نسخهٔ {}); صفحه را تازه کنید و دوباره بنگرید.",
            daftar_types::digits::to_persian(&current.to_string())
        ),
        format!("The case changed meanwhile (now version {current}); reload it and look again."),
    ))
}

fn transition_error(error: &TransitionError) -> AppError {
    match error {
        TransitionError::RoleNotAllowed { .. } => AppError::Forbidden,
        TransitionError::ReasonRequired { .. } => AppError::invalid(FieldError::new(
            "reason",
            Message::new("دلیل", "Reason"),
            Message::new(error.message(Lang::Fa), error.message(Lang::En)),
        )),
        _ => AppError::Conflict(Message::new(error.message(Lang::Fa), error.message(Lang::En))),
    }
}

/// Where a step left a case: what a client needs for its next request.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Stepped {
    pub tracking_code: String,
    pub state: String,
    /// The case's new version: send it with the next action.
    pub version: i64,
    pub terminal: bool,
}

/// Takes a step on a case and answers with the case as the caller now sees it.
pub async fn act(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    tracking: &str,
    request: &ActRequest,
) -> AppResult<CaseView> {
    act_brief(app, principal, meta, tracking, request).await?;
    view(app, principal, tracking).await
}

/// Takes a step on a case and answers only with where it left the case.
pub async fn act_brief(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    tracking: &str,
    request: &ActRequest,
) -> AppResult<Stepped> {
    // The office's standing is read before the write transaction: no step changes it. The
    // case is read once, locked, and who may act on it is read in the same transaction.
    let mut conn = app.store().acquire().await?;
    check_acting_office(app, &mut conn, principal).await?;
    drop(conn);
    let mut tx = app.store().begin_write().await?;
    let lock = app.store().for_update();
    let mut case = store::case_by_tracking(tx.conn(), tracking, lock).await?.ok_or(AppError::NotFound)?;
    let definition = catalog::definition_of(app, case.service_id).await?;
    let roles = workflow_roles(tx.conn(), principal, &case, &definition).await?;
    if case.version != request.version {
        return Err(stale(case.version));
    }
    let action = definition.workflow.action(&request.action).ok_or_else(|| {
        invalid(
            "action",
            "اقدام",
            "Action",
            ("این خدمت چنین اقدامی ندارد.", "the service has no such action."),
        )
    })?;
    if !action.auto && !roles.iter().any(|r| action.allows_role(r)) {
        return Err(AppError::Forbidden);
    }
    let before = CaseFacts::parse(&case)?;
    let mut recorded = before.clone();
    let by = By::Principal(principal);
    if action.from.contains(&case.state) {
        prepare(app, &mut tx, principal, meta, &case, &mut recorded, request).await?;
        if recorded != before {
            case.facts = recorded.to_json();
            store::update_facts(tx.conn(), case.id, &case.facts).await?;
        }
    }
    let reads = definition.workflow.reads(&case.state, Some(&request.action));
    let mut engine_facts =
        facts::gather(app, tx.conn(), &case, &definition, &reads, Some(principal.user_id)).await?;
    if let Some(reason) = &request.reason {
        engine_facts = engine_facts.with_reason(reason);
    }
    let snapshot = facts::snapshot(tx.conn(), &case, &reads).await?;
    let actor = Actor::new(principal.user_id.to_string(), &roles);
    let expected = u64::try_from(request.version).unwrap_or(u64::MAX);
    let outcome = definition
        .workflow
        .fire(&snapshot, &request.action, &actor, expected, &engine_facts)
        .map_err(|e| transition_error(&e))?;
    persist(app, &mut tx, by, meta, &case, &definition, &outcome).await?;
    app.commit(tx).await?;
    Ok(Stepped {
        tracking_code: case.tracking_code,
        state: outcome.state,
        version: i64::try_from(outcome.version).unwrap_or(i64::MAX),
        terminal: outcome.terminal,
    })
}

/// Lets a case take the automatic steps its facts now allow (after a payment, a waiver, an
/// inquiry answered, time passing), inside the caller's transaction. The case row is locked.
pub(crate) async fn advance_in(
    app: &App,
    tx: &mut WriteTx,
    meta: &RequestMeta,
    by: By<'_>,
    case_id: i64,
) -> AppResult<bool> {
    let lock = tx_lock(app);
    let case = store::case_by_id(tx.conn(), case_id, lock).await?.ok_or(AppError::NotFound)?;
    let definition = catalog::definition_of(app, case.service_id).await?;
    let reads = definition.workflow.reads(&case.state, None);
    let engine_facts = facts::gather(app, tx.conn(), &case, &definition, &reads, None).await?;
    let snapshot = facts::snapshot(tx.conn(), &case, &reads).await?;
    let expected = u64::try_from(case.version).unwrap_or_default();
    let outcome =
        definition.workflow.advance(&snapshot, expected, &engine_facts).map_err(|e| transition_error(&e))?;
    if outcome.steps.is_empty() {
        return Ok(false);
    }
    persist(app, tx, by, meta, &case, &definition, &outcome).await?;
    Ok(true)
}

fn tx_lock(app: &App) -> &'static str {
    app.store().for_update()
}

/// Reacts to a case's invoice being settled (paid, or waived to nothing), in the transaction
/// that settled it.
pub(crate) async fn invoice_settled(
    app: &App,
    tx: &mut WriteTx,
    invoice: &daftar_store::money::InvoiceRow,
) -> AppResult<()> {
    // Invoices billed to a case number that is not on record (issued by hand, imported) have
    // nothing to move.
    let Some(case) = store::case_by_tracking(tx.conn(), &invoice.owner_id, "").await? else {
        return Ok(());
    };
    advance_in(app, tx, &RequestMeta::default(), By::System("payment"), case.id).await?;
    Ok(())
}

/// An external agency answers its inquiry on a case (or an office withdraws an optional one the
/// parcel turned out not to need); the case moves on once every inquiry is settled.
pub async fn answer_inquiry(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    tracking: &str,
    code: &str,
    answer: &str,
    withdraw: bool,
) -> AppResult<()> {
    let answer = text::normalize(answer);
    if answer.is_empty() {
        return Err(invalid("answer", "پاسخ", "Answer", ("لازم است.", "is required.")));
    }
    let case = store::case_by_tracking(app.store().pool(), tracking, "").await?.ok_or(AppError::NotFound)?;
    let definition = catalog::definition_of(app, case.service_id).await?;
    let subtask = definition.workflow.subtasks().iter().find(|s| s.code == code).ok_or(AppError::NotFound)?;
    let allowed = if withdraw {
        subtask.optional && principal.has_role(&[Role::OfficeExpert, Role::OfficeTechnicalManager])
    } else {
        let mut conn = app.store().acquire().await?;
        super::agency_code(&mut conn, principal).await?.as_deref() == Some(subtask.agency.code.as_str())
    };
    if !allowed || (withdraw && principal.office_id != Some(case.office_id)) {
        return Err(AppError::Forbidden);
    }
    let mut tx = app.store().begin_write().await?;
    let state = if withdraw { "withdrawn" } else { "answered" };
    if !store::settle_subtask(tx.conn(), case.id, code, state, &answer, app.now()).await? {
        return Err(AppError::Conflict(Message::new(
            "این استعلام باز نیست یا پیش‌تر پاسخ گرفته است.",
            "This inquiry is not open or was answered already.",
        )));
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "case.inquiry_settled",
        ("case", case.tracking_code.clone()),
        json!({ "inquiry": code, "state": state }),
    ));
    advance_in(app, &mut tx, meta, By::Principal(principal), case.id).await?;
    app.commit(tx).await?;
    Ok(())
}

/// The work a step does before the engine decides on it; it changes the recorded facts the
/// guards look at.
async fn prepare(
    app: &App,
    tx: &mut WriteTx,
    principal: &Principal,
    meta: &RequestMeta,
    case: &CaseRow,
    recorded: &mut CaseFacts,
    request: &ActRequest,
) -> AppResult<()> {
    let inputs = &request.inputs;
    match request.action.as_str() {
        "schedule_site_visit" | "schedule_inspection" => schedule(app, tx, case, recorded, inputs).await,
        "report_inspection" | "report_site_visit" => report(app, tx, principal, case, recorded, inputs).await,
        "issue_instruction_sheet" => pin_sheet(app, case, recorded, inputs).await,
        "submit_drawings" | "resubmit_drawings" => check_drawings(app, tx, case, recorded, inputs).await,
        "settle_review_item" => settle_item(principal, recorded, request),
        "issue_invoice" => issue_invoice(app, tx, principal, meta, case, recorded).await,
        "start_works" => {
            let supervisor = inputs.supervisor.as_deref().map(text::normalize).filter(|s| !s.is_empty());
            recorded.supervisor = Some(supervisor.ok_or_else(|| {
                invalid(
                    "supervisor",
                    "مهندس ناظر",
                    "Supervising engineer",
                    (
                        "نام و شمارهٔ عضویت ناظر لازم است.",
                        "the supervisor's name and membership number are required.",
                    ),
                )
            })?);
            Ok(())
        }
        "extend_permit" => match inputs.months {
            Some(months @ 1..=24) => {
                recorded.extended_months += months;
                Ok(())
            }
            _ => Err(invalid("months", "مدت تمدید", "Extension", ("از ۱ تا ۲۴ ماه.", "1 to 24 months."))),
        },
        "record_ruling" => {
            recorded.violation = Some(false);
            recorded.inspection_passed = None;
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn schedule(
    app: &App,
    tx: &mut WriteTx,
    case: &CaseRow,
    recorded: &mut CaseFacts,
    inputs: &ActInputs,
) -> AppResult<()> {
    let username = inputs.inspector.as_deref().unwrap_or("").trim();
    let inspector = daftar_store::users::find_by_username(tx.conn(), username).await?;
    let memberships = match &inspector {
        Some(user) => daftar_store::orgs::memberships_of(tx.conn(), user.id).await?,
        None => Vec::new(),
    };
    let inspects_here = memberships.iter().any(|m| {
        m.office_id == Some(case.office_id)
            && matches!(m.role.as_str(), "office_expert" | "office_technical_manager")
    });
    let inspector = inspector.filter(|_| inspects_here).ok_or_else(|| {
        invalid(
            "inspector",
            "بازدیدکننده",
            "Inspector",
            ("باید کارشناس همین دفتر باشد.", "must be an expert of this office."),
        )
    })?;
    let today = super::tehran_day(app.now());
    let day = inputs
        .visit_on
        .as_deref()
        .and_then(|d| JalaliDate::parse(&daftar_types::digits::fold_to_ascii(d.trim())).ok())
        .filter(|d| *d >= today && *d <= today.add_days(30).unwrap_or(today))
        .ok_or_else(|| {
            invalid(
                "visit_on",
                "تاریخ بازدید",
                "Visit date",
                (
                    "تاریخی از امروز تا سی روز دیگر، مانند ۱۴۰۵/۰۹/۱۵.",
                    "a date from today to 30 days on, e.g. 1405/09/15.",
                ),
            )
        })?;
    let round = store::inspections(tx.conn(), case.id).await?.len() as i64 + 1;
    store::insert_inspection(tx.conn(), case.id, round, inspector.id, &day.to_string()).await?;
    recorded.inspector = Some(inspector.id);
    recorded.inspection_passed = None;
    Ok(())
}

async fn report(
    app: &App,
    tx: &mut WriteTx,
    principal: &Principal,
    case: &CaseRow,
    recorded: &mut CaseFacts,
    inputs: &ActInputs,
) -> AppResult<()> {
    if recorded.inspector != Some(principal.user_id) {
        return Err(AppError::Forbidden);
    }
    let passed = inputs.passed.ok_or_else(|| {
        invalid(
            "passed",
            "نتیجهٔ بازدید",
            "Inspection result",
            ("قبول یا رد را بگویید.", "say passed or failed."),
        )
    })?;
    let report = inputs.report.as_deref().map(text::normalize).unwrap_or_default();
    if report.chars().count() < 5 || report.chars().count() > 5_000 {
        return Err(invalid(
            "report",
            "گزارش بازدید",
            "Inspection report",
            ("از ۵ تا ۵۰۰۰ نویسه.", "5 to 5,000 characters."),
        ));
    }
    let open =
        store::inspections(tx.conn(), case.id).await?.into_iter().rev().find(|i| i.reported_at.is_none());
    let open = open.ok_or_else(|| {
        AppError::Conflict(Message::new("بازدیدی در انتظار گزارش نیست.", "No inspection awaits a report."))
    })?;
    let checklist = serde_json::to_string(&inputs.checklist).expect("a map of flags serialises");
    store::report_inspection(tx.conn(), open.id, &checklist, passed, &report, app.now()).await?;
    recorded.inspection_passed = Some(passed);
    recorded.violation = Some(inputs.violation.unwrap_or(false));
    Ok(())
}

async fn pin_sheet(app: &App, case: &CaseRow, recorded: &mut CaseFacts, inputs: &ActInputs) -> AppResult<()> {
    let definition = catalog::definition_of(app, case.service_id).await?;
    if let Some(unknown) =
        inputs.inquiries.iter().find(|code| !definition.workflow.subtasks().iter().any(|s| &s.code == *code))
    {
        return Err(AppError::invalid(FieldError::new(
            "inquiries",
            Message::new("استعلام‌ها", "Inquiries"),
            Message::new(
                format!("استعلامی به نام {unknown} نیست."),
                format!("there is no inquiry `{unknown}`."),
            ),
        )));
    }
    let sheet = crate::plan::sheet(app, &case.parcel_key).await?;
    recorded.sheet = Some(serde_json::to_value(&sheet).expect("an instruction sheet serialises"));
    recorded.inquiries = inputs.inquiries.clone();
    Ok(())
}

fn is_dxf(mime: &str) -> bool {
    matches!(mime, "image/vnd.dxf" | "application/dxf")
}

/// Runs the machine plan check on the latest DXF drawing (or the design given as numbers) and
/// records its verdicts; items needing review wait for a certified expert.
async fn check_drawings(
    app: &App,
    tx: &mut WriteTx,
    case: &CaseRow,
    recorded: &mut CaseFacts,
    inputs: &ActInputs,
) -> AppResult<()> {
    let (check, design, drawing) = match &inputs.design {
        Some(design) => {
            let check = crate::plan::check_design(app, &case.parcel_key, design).await?;
            (check, design.clone(), "parameters".to_owned())
        }
        None => {
            let documents = store::documents(tx.conn(), case.id).await?;
            let latest =
                documents.iter().rev().find(|d| d.kind == "architectural_drawings" && is_dxf(&d.mime_type));
            let latest = latest.ok_or_else(|| {
                invalid(
                    "architectural_drawings",
                    "نقشه‌های معماری",
                    "Architectural drawings",
                    (
                        "برای کنترل ماشینی، نقشه را به صورت DXF بارگذاری کنید یا ارقام طرح را بفرستید.",
                        "upload the drawing as DXF, or send the design's figures, for the machine check.",
                    ),
                )
            })?;
            let bytes =
                daftar_store::blobs::get(tx.conn(), &latest.sha256).await?.ok_or(AppError::NotFound)?;
            let drawn = crate::plan::check_drawing(app, &case.parcel_key, bytes).await?;
            (drawn.check, drawn.design, latest.sha256.clone())
        }
    };
    let items = check
        .verdicts
        .iter()
        .filter(|v| v.verdict == Verdict::NeedsReview)
        .map(|v| ReviewItem {
            rule: code_of(&v.rule),
            level: v.level,
            message_key: v.message_key.clone(),
            settled: None,
        })
        .collect();
    let not_accepted = check.verdicts.iter().filter(|v| v.verdict == Verdict::NotAccepted).count() as u32;
    recorded.plan_check = Some(PlanCheckRecord {
        plan_version: check.plan_version.clone(),
        drawing,
        overall: code_of(&check.overall),
        purchased_area: check.purchased_area,
        levels: design
            .levels
            .iter()
            .map(|l| LevelRecord { level: l.level, usage: l.use_.code().to_owned(), area: l.gross_area })
            .collect(),
        items,
        not_accepted,
        check: serde_json::to_value(&check).expect("a plan check serialises"),
    });
    Ok(())
}

/// The serialised code of a rule or verdict (`floors`, `needs_review`).
fn code_of(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn settle_item(principal: &Principal, recorded: &mut CaseFacts, request: &ActRequest) -> AppResult<()> {
    let reason = request.reason.as_deref().map(text::normalize).unwrap_or_default();
    let item = request.inputs.item.and_then(|i| {
        recorded.plan_check.as_mut().and_then(|p| p.items.get_mut(i)).filter(|item| item.settled.is_none())
    });
    let item = item.ok_or_else(|| {
        invalid("item", "مورد بررسی", "Review item", ("چنین مورد بازی نیست.", "there is no such open item."))
    })?;
    let accepted = request.inputs.accept.ok_or_else(|| {
        invalid("accept", "تصمیم", "Decision", ("پذیرش یا رد را بگویید.", "say accept or refuse."))
    })?;
    item.settled = Some(Settlement { accepted, reason, by: principal.user_id });
    Ok(())
}

/// Assesses the case's fees from its plan check under the bylaw in force and issues the
/// invoice in this transaction.
async fn issue_invoice(
    app: &App,
    tx: &mut WriteTx,
    principal: &Principal,
    meta: &RequestMeta,
    case: &CaseRow,
    recorded: &CaseFacts,
) -> AppResult<()> {
    let plan_check = recorded.plan_check.as_ref().ok_or_else(|| {
        AppError::Conflict(Message::new(
            "کنترل نقشه هنوز انجام نشده است.",
            "The plan check has not been done.",
        ))
    })?;
    let live = daftar_store::money::invoices_of_owner(tx.conn(), "case", &case.tracking_code).await?;
    if live.iter().any(|i| i.status != "cancelled") {
        return Ok(());
    }
    let definition = catalog::definition_of(app, case.service_id).await?;
    let parcel = crate::plan::parcel(app, &case.parcel_key).await?;
    let inputs = AssessmentInputs {
        service: definition.fee_service.clone().unwrap_or_else(|| definition.code.clone()),
        levels: plan_check.levels.iter().map(|l| LevelInput::new(l.level, l.usage.clone(), l.area)).collect(),
        p: parcel.parcel.regional_value_p,
        purchased_area: plan_check.purchased_area,
        ..AssessmentInputs::default()
    };
    let assessment = crate::money::assess_in_force(app, &inputs).await?;
    let billed =
        Billed { owner_type: "case", owner_id: &case.tracking_code, office_id: Some(case.office_id) };
    crate::money::insert_invoice(
        app,
        tx,
        By::Principal(principal),
        meta,
        billed,
        &assessment,
        Lineage::default(),
    )
    .await?;
    Ok(())
}

/// Writes an outcome: the new state under the version the case was read at, the steps, fresh
/// subtasks on entering a state, what entering particular states does (a permit issued, a
/// re-inspection scheduled), and the audit row.
pub(crate) async fn persist(
    app: &App,
    tx: &mut WriteTx,
    by: By<'_>,
    meta: &RequestMeta,
    case: &CaseRow,
    definition: &ServiceDefinition,
    outcome: &Outcome,
) -> AppResult<()> {
    if outcome.steps.is_empty() {
        return Ok(());
    }
    let now = app.now();
    let (entered_at, due) = if outcome.entered {
        (now, facts::due_at(definition, &outcome.state, now))
    } else {
        (case.state_entered_at, case.state_due_at)
    };
    let change = StateChange {
        expected_version: case.version,
        state: &outcome.state,
        version: i64::try_from(outcome.version).unwrap_or(i64::MAX),
        terminal: outcome.terminal,
        state_entered_at: entered_at,
        state_due_at: due,
    };
    if !store::update_state(tx.conn(), case.id, &change, now).await? {
        return Err(stale(case.version));
    }
    for (n, step) in outcome.steps.iter().enumerate() {
        let row = StepRow {
            case_id: case.id,
            seq: case.version + n as i64 + 1,
            action: step.action.clone(),
            from_state: step.from.clone(),
            to_state: step.to.clone(),
            actor_id: step.actor_id.clone(),
            role: step.role.clone(),
            automatic: i64::from(step.automatic),
            reason: step.reason.clone(),
            at: now,
        };
        store::insert_step(tx.conn(), &row).await?;
    }
    if outcome.entered {
        store::open_subtasks(tx.conn(), case.id, &outcome.subtasks_to_open).await?;
    }
    for step in &outcome.steps {
        after_step(app, tx, case, &step.action, &step.to).await?;
    }
    let steps: Vec<_> = outcome.steps.iter().map(|s| json!([s.action, s.from, s.to, s.automatic])).collect();
    tx.audit(entry(
        app,
        by,
        meta,
        "case.step",
        ("case", case.tracking_code.clone()),
        json!({ "steps": steps, "version": outcome.version }),
    ));
    notify_agencies(app, tx, case, definition, outcome).await
}

/// Tells the service's agency of every step, and each inquiry's agency of the inquiry opened for
/// it, through their webhooks: queued in this transaction, delivered after it by the outbox.
async fn notify_agencies(
    app: &App,
    tx: &mut WriteTx,
    case: &CaseRow,
    definition: &ServiceDefinition,
    outcome: &Outcome,
) -> AppResult<()> {
    let steps: Vec<_> = outcome
        .steps
        .iter()
        .map(|s| json!({ "action": s.action, "from": s.from, "to": s.to, "automatic": s.automatic }))
        .collect();
    let payload = json!({
        "tracking_code": case.tracking_code,
        "service": definition.code,
        "service_version": definition.version,
        "state": outcome.state,
        "version": outcome.version,
        "steps": steps,
    });
    crate::webhooks::enqueue(tx, app, &definition.agency.code, "case.step", &payload).await?;
    for code in &outcome.subtasks_to_open {
        if let Some(subtask) = definition.workflow.subtasks().iter().find(|t| &t.code == code) {
            let inquiry = json!({
                "tracking_code": case.tracking_code,
                "service": definition.code,
                "inquiry": code,
                "parcel_key": case.parcel_key,
            });
            crate::webhooks::enqueue(tx, app, &subtask.agency.code, "case.inquiry_opened", &inquiry).await?;
        }
    }
    Ok(())
}

/// What taking an action or entering a state does besides moving the case.
async fn after_step(app: &App, tx: &mut WriteTx, case: &CaseRow, action: &str, to: &str) -> AppResult<()> {
    match (action, to) {
        (_, "permit_issued") => issue::issue_permit(app, tx, case.id).await,
        (_, "certificate_issued") => issue::issue_certificate(app, tx, case.id).await,
        ("deliver_permit" | "deliver_certificate", _) => {
            Ok(store::mark_delivered(tx.conn(), case.id, app.now()).await?)
        }
        ("extend_permit", _) => issue::extend(app, tx, case.id).await,
        // After a failed inspection, or the commission's ruling on a violation, the site is
        // visited again.
        ("order_reinspection" | "record_ruling", _) => reinspect(app, tx, case.id).await,
        _ => Ok(()),
    }
}

/// A failed inspection: the next round, with the same inspector, on the next working day.
async fn reinspect(app: &App, tx: &mut WriteTx, case_id: i64) -> AppResult<()> {
    let case = store::case_by_id(tx.conn(), case_id, "").await?.ok_or(AppError::NotFound)?;
    let mut recorded = CaseFacts::parse(&case)?;
    let inspections = store::inspections(tx.conn(), case_id).await?;
    let inspector = recorded.inspector.or_else(|| inspections.last().map(|i| i.inspector_id));
    let inspector = inspector.ok_or_else(|| {
        AppError::Conflict(Message::new("بازدیدکننده‌ای تعیین نشده است.", "No inspector was assigned."))
    })?;
    let mut day = super::tehran_day(app.now()).add_days(1).unwrap_or_else(|| super::tehran_day(app.now()));
    while day.weekday().is_weekend() {
        day = day.add_days(1).unwrap_or(day);
    }
    store::insert_inspection(tx.conn(), case_id, inspections.len() as i64 + 1, inspector, &day.to_string())
        .await?;
    recorded.inspection_passed = None;
    store::update_facts(tx.conn(), case_id, &recorded.to_json()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            user_id: 7,
            kind: "staff".into(),
            display_name: "کارشناس".into(),
            role: Some(Role::OfficeExpert),
            membership_id: None,
            office_id: Some(1),
            district_id: None,
        }
    }

    fn with_items(n: usize) -> CaseFacts {
        let item =
            ReviewItem { rule: "depth".into(), level: Some(1), message_key: "k".into(), settled: None };
        CaseFacts {
            plan_check: Some(PlanCheckRecord {
                plan_version: "demo".into(),
                drawing: "parameters".into(),
                overall: "needs_review".into(),
                purchased_area: rust_decimal::Decimal::ZERO,
                levels: Vec::new(),
                items: vec![item; n],
                not_accepted: 0,
                check: serde_json::Value::Null,
            }),
            ..CaseFacts::default()
        }
    }

    fn settle(item: usize, accept: bool) -> ActRequest {
        ActRequest {
            action: "settle_review_item".into(),
            version: 0,
            reason: Some("  عمق با نقشهٔ برداری می‌خواند ".into()),
            inputs: ActInputs { item: Some(item), accept: Some(accept), ..ActInputs::default() },
        }
    }

    #[test]
    fn an_expert_settles_each_open_item_once_with_the_reason() {
        let mut facts = with_items(2);
        settle_item(&principal(), &mut facts, &settle(1, true)).unwrap();
        let settled = facts.plan_check.as_ref().unwrap().items[1].settled.clone().unwrap();
        assert_eq!((settled.accepted, settled.by), (true, 7));
        assert_eq!(settled.reason, "عمق با نقشهٔ برداری می‌خواند", "stored normalised");
        let again = settle_item(&principal(), &mut facts, &settle(1, false));
        assert!(matches!(again, Err(AppError::Invalid(ref f)) if f[0].field == "item"), "settled once");
        let missing = settle_item(&principal(), &mut facts, &settle(5, true));
        assert!(matches!(missing, Err(AppError::Invalid(_))));
        let mut undecided = settle(0, true);
        undecided.inputs.accept = None;
        assert!(
            matches!(settle_item(&principal(), &mut facts, &undecided), Err(AppError::Invalid(ref f)) if f[0].field == "accept")
        );
    }
}
