//! Published services and the cases they run: owners, steps, subtasks, documents and their
//! bytes, inspections, complaints and permits.
//!
//! A case's `version` is its optimistic lock: [`update_state`] succeeds only on the version the
//! caller read, so of two requests made on the same version exactly one takes effect.

use serde::Serialize;
use sqlx::{Any, Executor};

use crate::{Result, StoreError};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub effective_from: String,
    pub source: String,
    pub published_at: i64,
}

const SERVICE_COLUMNS: &str = "id, code, version, effective_from, source, published_at";

/// Stores a service version; a version published before is [`StoreError::UniqueViolation`].
pub async fn insert_service<'e>(
    ex: impl Executor<'e, Database = Any>,
    code: &str,
    version: i64,
    effective_from: &str,
    source: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO services (code, version, effective_from, source, published_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(code.to_string())
    .bind(version)
    .bind(effective_from.to_string())
    .bind(source.to_string())
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

pub async fn services<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<ServiceRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SERVICE_COLUMNS} FROM services ORDER BY code, version"
    )))
    .fetch_all(ex)
    .await?)
}

pub async fn service<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<ServiceRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = $1")))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub tracking_code: String,
    pub service_id: i64,
    pub office_id: i64,
    pub district_id: i64,
    pub parcel_key: String,
    pub applicant_national_id: String,
    pub applicant_mobile: String,
    /// The validated application form, JSON.
    pub form: String,
    /// Facts recorded by the case's steps (inspection verdict, plan check counts, …), JSON.
    pub facts: String,
    pub state: String,
    pub version: i64,
    pub terminal: i64,
    pub state_entered_at: i64,
    pub state_due_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub search_text: String,
    pub opened_by: Option<i64>,
    pub opened_at: i64,
    pub updated_at: i64,
}

const CASE_COLUMNS: &str = "id, tracking_code, service_id, office_id, district_id, parcel_key, \
     applicant_national_id, applicant_mobile, form, facts, state, version, terminal, state_entered_at, \
     state_due_at, escalated_at, search_text, opened_by, opened_at, updated_at";

pub struct NewCase<'a> {
    pub tracking_code: &'a str,
    pub service_id: i64,
    pub office_id: i64,
    pub district_id: i64,
    pub parcel_key: &'a str,
    pub applicant_national_id: &'a str,
    pub applicant_mobile: &'a str,
    pub form: &'a str,
    pub state: &'a str,
    pub state_due_at: Option<i64>,
    pub search_text: &'a str,
    pub opened_by: Option<i64>,
}

pub async fn insert_case<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: &NewCase<'_>,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO cases (tracking_code, service_id, office_id, district_id, parcel_key, \
         applicant_national_id, applicant_mobile, form, facts, state, version, terminal, state_entered_at, \
         state_due_at, search_text, opened_by, opened_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}', $9, 0, 0, $10, $11, $12, $13, $10, $10) RETURNING id",
    )
    .bind(new.tracking_code.to_string())
    .bind(new.service_id)
    .bind(new.office_id)
    .bind(new.district_id)
    .bind(new.parcel_key.to_string())
    .bind(new.applicant_national_id.to_string())
    .bind(new.applicant_mobile.to_string())
    .bind(new.form.to_string())
    .bind(new.state.to_string())
    .bind(now)
    .bind(new.state_due_at)
    .bind(new.search_text.to_string())
    .bind(new.opened_by)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

/// A case by its tracking code; `lock` is the back end's row-lock suffix inside a write
/// transaction, or empty for a read.
pub async fn case_by_tracking<'e>(
    ex: impl Executor<'e, Database = Any>,
    tracking_code: &str,
    lock: &str,
) -> Result<Option<CaseRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE tracking_code = $1{lock}"
    )))
    .bind(tracking_code.to_string())
    .fetch_optional(ex)
    .await?)
}

pub async fn case_by_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    lock: &str,
) -> Result<Option<CaseRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1{lock}")))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

/// The state a step leaves a case in.
pub struct StateChange<'a> {
    pub expected_version: i64,
    pub state: &'a str,
    pub version: i64,
    pub terminal: bool,
    /// When the case entered `state`; unchanged when it stayed put.
    pub state_entered_at: i64,
    pub state_due_at: Option<i64>,
}

/// Moves a case on, only from the version the caller read. False when someone else moved it
/// first: the caller's request is stale.
pub async fn update_state<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
    change: &StateChange<'_>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE cases SET state = $1, version = $2, terminal = $3, state_entered_at = $4, state_due_at = $5, \
         escalated_at = CASE WHEN state_entered_at = $4 THEN escalated_at ELSE NULL END, updated_at = $6 \
         WHERE id = $7 AND version = $8",
    )
    .bind(change.state.to_string())
    .bind(change.version)
    .bind(i64::from(change.terminal))
    .bind(change.state_entered_at)
    .bind(change.state_due_at)
    .bind(now)
    .bind(case_id)
    .bind(change.expected_version)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_facts<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
    facts: &str,
) -> Result<()> {
    sqlx::query("UPDATE cases SET facts = $1 WHERE id = $2")
        .bind(facts.to_string())
        .bind(case_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Which cases a list shows.
#[derive(Debug, Clone, Copy)]
pub enum CaseScope<'a> {
    Office(i64),
    District(i64),
    Applicant(&'a str),
    City,
}

/// Open cases first, the most urgent (earliest due) first, then the newest; filtered by scope,
/// state and a normalised search key.
pub async fn list_cases<'e>(
    ex: impl Executor<'e, Database = Any>,
    scope: CaseScope<'_>,
    state: Option<&str>,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<CaseRow>> {
    let scope_sql = match scope {
        CaseScope::Office(_) => "office_id = $1",
        CaseScope::District(_) => "district_id = $1",
        CaseScope::Applicant(_) => "applicant_national_id = $1",
        CaseScope::City => "$1 = 0",
    };
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE {scope_sql} \
         AND ($2 = '' OR state = $2) AND ($3 = '' OR search_text LIKE $4) \
         ORDER BY terminal, CASE WHEN state_due_at IS NULL THEN 1 ELSE 0 END, state_due_at, id DESC LIMIT $5"
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    let query = match scope {
        CaseScope::Office(id) | CaseScope::District(id) => query.bind(id),
        CaseScope::Applicant(national_id) => query.bind(national_id.to_string()),
        CaseScope::City => query.bind(0_i64),
    };
    let search = search.unwrap_or("");
    Ok(query
        .bind(state.unwrap_or("").to_string())
        .bind(search.to_string())
        .bind(format!("%{search}%"))
        .bind(limit)
        .fetch_all(ex)
        .await?)
}

/// Open cases past their state's deadline and not yet escalated.
pub async fn overdue_cases<'e>(ex: impl Executor<'e, Database = Any>, now: i64) -> Result<Vec<CaseRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE terminal = 0 AND state_due_at IS NOT NULL \
         AND state_due_at < $1 AND escalated_at IS NULL ORDER BY state_due_at"
    )))
    .bind(now)
    .fetch_all(ex)
    .await?)
}

/// Marks a case escalated for its current stay in its state; false when another worker did.
pub async fn mark_escalated<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
    version: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE cases SET escalated_at = $1 WHERE id = $2 AND version = $3 AND escalated_at IS NULL",
    )
    .bind(now)
    .bind(case_id)
    .bind(version)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cases whose facts may have changed with time alone (a permit's completion deadline).
pub async fn cases_in_states<'e>(
    ex: impl Executor<'e, Database = Any>,
    states: &[&str],
) -> Result<Vec<CaseRow>> {
    let list = states.iter().map(|s| format!("'{}'", s.replace('\'', ""))).collect::<Vec<_>>().join(", ");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE terminal = 0 AND state IN ({list})"
    )))
    .fetch_all(ex)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OwnerRow {
    pub case_id: i64,
    pub position: i64,
    pub identifier: String,
    pub name: String,
    pub share: String,
}

pub async fn insert_owner<'e>(ex: impl Executor<'e, Database = Any>, owner: &OwnerRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_owners (case_id, position, identifier, name, share) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(owner.case_id)
    .bind(owner.position)
    .bind(owner.identifier.clone())
    .bind(owner.name.clone())
    .bind(owner.share.clone())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn owners<'e>(ex: impl Executor<'e, Database = Any>, case_id: i64) -> Result<Vec<OwnerRow>> {
    Ok(sqlx::query_as(
        "SELECT case_id, position, identifier, name, share FROM case_owners WHERE case_id = $1 ORDER BY position",
    )
    .bind(case_id)
    .fetch_all(ex)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StepRow {
    pub case_id: i64,
    pub seq: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_id: String,
    pub role: String,
    pub automatic: i64,
    pub reason: Option<String>,
    pub at: i64,
}

/// Appends a step; the primary key (case, seq) refuses a second step with the same number.
pub async fn insert_step<'e>(ex: impl Executor<'e, Database = Any>, step: &StepRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_steps (case_id, seq, action, from_state, to_state, actor_id, role, automatic, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(step.case_id)
    .bind(step.seq)
    .bind(step.action.clone())
    .bind(step.from_state.clone())
    .bind(step.to_state.clone())
    .bind(step.actor_id.clone())
    .bind(step.role.clone())
    .bind(step.automatic)
    .bind(step.reason.clone())
    .bind(step.at)
    .execute(ex)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

pub async fn steps<'e>(ex: impl Executor<'e, Database = Any>, case_id: i64) -> Result<Vec<StepRow>> {
    Ok(sqlx::query_as(
        "SELECT case_id, seq, action, from_state, to_state, actor_id, role, automatic, reason, at \
         FROM case_steps WHERE case_id = $1 ORDER BY seq",
    )
    .bind(case_id)
    .fetch_all(ex)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SubtaskRow {
    pub case_id: i64,
    pub code: String,
    pub state: String,
    pub answer: Option<String>,
    pub answered_at: Option<i64>,
}

/// Replaces the case's subtasks with a fresh pending set (the case entered a state anew).
pub async fn open_subtasks(tx: &mut sqlx::AnyConnection, case_id: i64, codes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM case_subtasks WHERE case_id = $1").bind(case_id).execute(&mut *tx).await?;
    for code in codes {
        sqlx::query("INSERT INTO case_subtasks (case_id, code, state) VALUES ($1, $2, 'pending')")
            .bind(case_id)
            .bind(code.clone())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Settles a pending subtask; false when it is not pending (answered twice, or not open).
pub async fn settle_subtask<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
    code: &str,
    state: &str,
    answer: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE case_subtasks SET state = $1, answer = $2, answered_at = $3 \
         WHERE case_id = $4 AND code = $5 AND state = 'pending'",
    )
    .bind(state.to_string())
    .bind(answer.to_string())
    .bind(now)
    .bind(case_id)
    .bind(code.to_string())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn subtasks<'e>(ex: impl Executor<'e, Database = Any>, case_id: i64) -> Result<Vec<SubtaskRow>> {
    Ok(sqlx::query_as(
        "SELECT case_id, code, state, answer, answered_at FROM case_subtasks WHERE case_id = $1 ORDER BY code",
    )
    .bind(case_id)
    .fetch_all(ex)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    pub file_name: String,
    pub mime_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: i64,
}

pub async fn insert_document<'e>(ex: impl Executor<'e, Database = Any>, doc: &DocumentRow) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO case_documents (case_id, kind, file_name, mime_type, size, sha256, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(doc.case_id)
    .bind(doc.kind.clone())
    .bind(doc.file_name.clone())
    .bind(doc.mime_type.clone())
    .bind(doc.size)
    .bind(doc.sha256.clone())
    .bind(doc.uploaded_by)
    .bind(doc.uploaded_at)
    .fetch_one(ex)
    .await?)
}

pub async fn documents<'e>(ex: impl Executor<'e, Database = Any>, case_id: i64) -> Result<Vec<DocumentRow>> {
    Ok(sqlx::query_as(
        "SELECT id, case_id, kind, file_name, mime_type, size, sha256, uploaded_by, uploaded_at \
         FROM case_documents WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(ex)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InspectionRow {
    pub id: i64,
    pub case_id: i64,
    pub round: i64,
    pub inspector_id: i64,
    pub scheduled_on: String,
    pub checklist: Option<String>,
    pub passed: Option<i64>,
    pub report: Option<String>,
    pub reported_at: Option<i64>,
}

pub async fn insert_inspection<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
    round: i64,
    inspector_id: i64,
    scheduled_on: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO inspections (case_id, round, inspector_id, scheduled_on) VALUES ($1, $2, $3, $4)",
    )
    .bind(case_id)
    .bind(round)
    .bind(inspector_id)
    .bind(scheduled_on.to_string())
    .execute(ex)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// Files the report of a round not reported yet; false otherwise.
pub async fn report_inspection<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    checklist: &str,
    passed: bool,
    report: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE inspections SET checklist = $1, passed = $2, report = $3, reported_at = $4 \
         WHERE id = $5 AND reported_at IS NULL",
    )
    .bind(checklist.to_string())
    .bind(i64::from(passed))
    .bind(report.to_string())
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn inspections<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
) -> Result<Vec<InspectionRow>> {
    Ok(sqlx::query_as(
        "SELECT id, case_id, round, inspector_id, scheduled_on, checklist, passed, report, reported_at \
         FROM inspections WHERE case_id = $1 ORDER BY round",
    )
    .bind(case_id)
    .fetch_all(ex)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ComplaintRow {
    pub id: i64,
    pub case_id: i64,
    pub body: String,
    pub filed_by: String,
    pub filed_at: i64,
    pub due_at: i64,
    pub status: String,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<i64>,
}

const COMPLAINT_COLUMNS: &str =
    "id, case_id, body, filed_by, filed_at, due_at, status, answer, answered_by, answered_at";

pub async fn insert_complaint<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
    body: &str,
    filed_by: &str,
    now: i64,
    due_at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO complaints (case_id, body, filed_by, filed_at, due_at, status) \
         VALUES ($1, $2, $3, $4, $5, 'open') RETURNING id",
    )
    .bind(case_id)
    .bind(body.to_string())
    .bind(filed_by.to_string())
    .bind(now)
    .bind(due_at)
    .fetch_one(ex)
    .await?)
}

/// Answers an open complaint; false when it was answered already.
pub async fn answer_complaint<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    answer: &str,
    by: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE complaints SET status = 'answered', answer = $1, answered_by = $2, answered_at = $3 \
         WHERE id = $4 AND status = 'open'",
    )
    .bind(answer.to_string())
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn complaints_of_case<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
) -> Result<Vec<ComplaintRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE case_id = $1 ORDER BY id"
    )))
    .bind(case_id)
    .fetch_all(ex)
    .await?)
}

/// Every open complaint, the most overdue first.
pub async fn open_complaints<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<ComplaintRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE status = 'open' ORDER BY due_at"
    )))
    .fetch_all(ex)
    .await?)
}

pub async fn complaint<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<ComplaintRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// A signed document a case issued: a building permit or a certificate.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct IssuedRow {
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    pub number: String,
    pub code: String,
    /// The document as printed, JSON.
    pub document: String,
    /// Its seal, JSON.
    pub seal: String,
    pub issued_at: i64,
    pub valid_until: Option<String>,
    pub delivered_at: Option<i64>,
}

const ISSUED_COLUMNS: &str =
    "id, case_id, kind, number, code, document, seal, issued_at, valid_until, delivered_at";

/// Records an issued document; a case issues one at most ([`StoreError::UniqueViolation`]).
pub async fn insert_issued<'e>(ex: impl Executor<'e, Database = Any>, issued: &IssuedRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO issued_documents (case_id, kind, number, code, document, seal, issued_at, valid_until) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(issued.case_id)
    .bind(issued.kind.clone())
    .bind(issued.number.clone())
    .bind(issued.code.clone())
    .bind(issued.document.clone())
    .bind(issued.seal.clone())
    .bind(issued.issued_at)
    .bind(issued.valid_until.clone())
    .execute(ex)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

pub async fn issued_of_case<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
) -> Result<Option<IssuedRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ISSUED_COLUMNS} FROM issued_documents WHERE case_id = $1"
    )))
    .bind(case_id)
    .fetch_optional(ex)
    .await?)
}

/// An issued document by the code printed under its QR code, or by its number.
pub async fn issued_by_code<'e>(
    ex: impl Executor<'e, Database = Any>,
    code: &str,
) -> Result<Option<IssuedRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ISSUED_COLUMNS} FROM issued_documents WHERE code = $1 OR number = $1"
    )))
    .bind(code.to_string())
    .fetch_optional(ex)
    .await?)
}

pub async fn mark_delivered<'e>(ex: impl Executor<'e, Database = Any>, case_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE issued_documents SET delivered_at = $1 WHERE case_id = $2 AND delivered_at IS NULL")
        .bind(now)
        .bind(case_id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_valid_until<'e>(
    ex: impl Executor<'e, Database = Any>,
    case_id: i64,
    day: &str,
) -> Result<()> {
    sqlx::query("UPDATE issued_documents SET valid_until = $1 WHERE case_id = $2")
        .bind(day.to_string())
        .bind(case_id)
        .execute(ex)
        .await?;
    Ok(())
}
