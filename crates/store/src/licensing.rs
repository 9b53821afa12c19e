//! Licensing calls, applications, exam results, board votes, the selection, licences, office
//! equipment and experts.

use serde::Serialize;
use sqlx::{Any, Executor};

use crate::{Result, StoreError};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CallRow {
    pub id: i64,
    pub code: String,
    pub version: String,
    pub source: String,
    pub created_at: i64,
}

/// Stores a call; a code used before is [`StoreError::UniqueViolation`].
pub async fn insert_call<'e>(
    ex: impl Executor<'e, Database = Any>,
    code: &str,
    version: &str,
    source: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO licensing_calls (code, version, source, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(code.to_string())
    .bind(version.to_string())
    .bind(source.to_string())
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

pub async fn call<'e>(ex: impl Executor<'e, Database = Any>, code: &str) -> Result<Option<CallRow>> {
    Ok(sqlx::query_as("SELECT id, code, version, source, created_at FROM licensing_calls WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(ex)
        .await?)
}

pub async fn call_by_id<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<CallRow>> {
    Ok(sqlx::query_as("SELECT id, code, version, source, created_at FROM licensing_calls WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

pub async fn calls<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<CallRow>> {
    Ok(sqlx::query_as("SELECT id, code, version, source, created_at FROM licensing_calls ORDER BY id DESC")
        .fetch_all(ex)
        .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: i64,
    pub call_id: i64,
    pub national_id: String,
    pub user_id: i64,
    pub data: String,
    pub status: String,
    pub receipt_code: Option<String>,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
}

const APPLICATION_COLUMNS: &str =
    "id, call_id, national_id, user_id, data, status, receipt_code, submitted_at, updated_at";

/// Saves a draft: inserted the first time, replaced while it is still a draft. False when the
/// application was already submitted (a submission is final).
pub async fn save_draft<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
    user_id: i64,
    data: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO applications (call_id, national_id, user_id, data, status, updated_at) \
         VALUES ($1, $2, $3, $4, 'draft', $5) \
         ON CONFLICT (call_id, national_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at \
         WHERE applications.status = 'draft' AND applications.user_id = excluded.user_id",
    )
    .bind(call_id)
    .bind(national_id.to_string())
    .bind(user_id)
    .bind(data.to_string())
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Submits a draft under a receipt code; false when it was not a draft any more.
pub async fn submit<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
    data: &str,
    receipt_code: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE applications SET status = 'submitted', data = $1, receipt_code = $2, submitted_at = $3, \
         updated_at = $3 WHERE call_id = $4 AND national_id = $5 AND status = 'draft'",
    )
    .bind(data.to_string())
    .bind(receipt_code.to_string())
    .bind(now)
    .bind(call_id)
    .bind(national_id.to_string())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn application<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
) -> Result<Option<ApplicationRow>> {
    let sql =
        format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE call_id = $1 AND national_id = $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(call_id)
        .bind(national_id.to_string())
        .fetch_optional(ex)
        .await?)
}

pub async fn submitted_applications<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
) -> Result<Vec<ApplicationRow>> {
    let sql = format!(
        "SELECT {APPLICATION_COLUMNS} FROM applications WHERE call_id = $1 AND status = 'submitted' ORDER BY id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(call_id).fetch_all(ex).await?)
}

/// Replaces a call's exam results with a validated file's.
pub async fn replace_exam_results(
    ex: &mut sqlx::AnyConnection,
    call_id: i64,
    results: &[(String, String)],
) -> Result<()> {
    sqlx::query("DELETE FROM exam_results WHERE call_id = $1").bind(call_id).execute(&mut *ex).await?;
    for (national_id, score) in results {
        sqlx::query("INSERT INTO exam_results (call_id, national_id, score) VALUES ($1, $2, $3)")
            .bind(call_id)
            .bind(national_id.clone())
            .bind(score.clone())
            .execute(&mut *ex)
            .await?;
    }
    Ok(())
}

pub async fn exam_results<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT national_id, score FROM exam_results WHERE call_id = $1 ORDER BY national_id")
        .bind(call_id)
        .fetch_all(ex)
        .await?)
}

/// Records a board member's vote on an applicant; a member votes once per applicant.
pub async fn insert_vote<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
    member_id: i64,
    vote: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO board_votes (call_id, national_id, member_id, vote) VALUES ($1, $2, $3, $4)")
        .bind(call_id)
        .bind(national_id.to_string())
        .bind(member_id)
        .bind(vote.to_string())
        .execute(ex)
        .await
        .map_err(StoreError::classify)?;
    Ok(())
}

/// (applicant, member, vote) of a call.
pub async fn votes<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
) -> Result<Vec<(String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT national_id, member_id, vote FROM board_votes WHERE call_id = $1 ORDER BY national_id, member_id",
    )
    .bind(call_id)
    .fetch_all(ex)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SelectionRow {
    pub call_id: i64,
    pub inputs_digest: String,
    pub ranking: String,
    pub selection: String,
    pub created_at: i64,
}

/// Records a call's selection; a second one is [`StoreError::UniqueViolation`].
pub async fn insert_selection<'e>(ex: impl Executor<'e, Database = Any>, row: &SelectionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO selections (call_id, inputs_digest, ranking, selection, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(row.call_id)
    .bind(row.inputs_digest.clone())
    .bind(row.ranking.clone())
    .bind(row.selection.clone())
    .bind(row.created_at)
    .execute(ex)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// Records one selected applicant; a rank or site given before is [`StoreError::UniqueViolation`].
pub async fn insert_selected<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
    rank: i64,
    site_code: Option<&str>,
) -> Result<()> {
    sqlx::query("INSERT INTO selected (call_id, national_id, rank, site_code) VALUES ($1, $2, $3, $4)")
        .bind(call_id)
        .bind(national_id.to_string())
        .bind(rank)
        .bind(site_code.map(str::to_string))
        .execute(ex)
        .await
        .map_err(StoreError::classify)?;
    Ok(())
}

pub async fn selection<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
) -> Result<Option<SelectionRow>> {
    Ok(sqlx::query_as(
        "SELECT call_id, inputs_digest, ranking, selection, created_at FROM selections WHERE call_id = $1",
    )
    .bind(call_id)
    .fetch_optional(ex)
    .await?)
}

/// (national ID, rank, site) of a call's selected applicants, by rank.
pub async fn selected<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
) -> Result<Vec<(String, i64, Option<String>)>> {
    Ok(sqlx::query_as("SELECT national_id, rank, site_code FROM selected WHERE call_id = $1 ORDER BY rank")
        .bind(call_id)
        .fetch_all(ex)
        .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LicenceRow {
    pub id: i64,
    pub call_id: i64,
    pub national_id: String,
    pub office_id: i64,
    pub data: String,
    pub created_at: i64,
}

/// Records a licence; a second licence for the same applicant is [`StoreError::UniqueViolation`].
pub async fn insert_licence<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
    office_id: i64,
    data: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO licences (call_id, national_id, office_id, data, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .bind(call_id)
    .bind(national_id.to_string())
    .bind(office_id)
    .bind(data.to_string())
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

pub async fn licences<'e>(ex: impl Executor<'e, Database = Any>, call_id: i64) -> Result<Vec<LicenceRow>> {
    Ok(sqlx::query_as(
        "SELECT id, call_id, national_id, office_id, data, created_at FROM licences WHERE call_id = $1 ORDER BY id",
    )
    .bind(call_id)
    .fetch_all(ex)
    .await?)
}

/// Every licence of every call, newest first.
pub async fn all_licences<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<LicenceRow>> {
    Ok(sqlx::query_as(
        "SELECT id, call_id, national_id, office_id, data, created_at FROM licences ORDER BY id DESC",
    )
    .fetch_all(ex)
    .await?)
}

/// An office's status and its licence's data, if it has a licence, in one query: what every
/// step on a case asks before the office may act.
pub async fn office_standing<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
) -> Result<Option<(String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT o.status, l.data FROM offices o LEFT JOIN licences l ON l.office_id = o.id WHERE o.id = $1",
    )
    .bind(office_id)
    .fetch_optional(ex)
    .await?)
}

pub async fn licence_of_office<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
) -> Result<Option<LicenceRow>> {
    Ok(sqlx::query_as(
        "SELECT id, call_id, national_id, office_id, data, created_at FROM licences WHERE office_id = $1",
    )
    .bind(office_id)
    .fetch_optional(ex)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EquipmentRow {
    pub office_id: i64,
    pub item: String,
    pub label_fa: String,
    pub supplier: String,
    pub status: String,
}

pub async fn insert_equipment<'e>(ex: impl Executor<'e, Database = Any>, row: &EquipmentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO office_equipment (office_id, item, label_fa, supplier, status) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(row.office_id)
    .bind(row.item.clone())
    .bind(row.label_fa.clone())
    .bind(row.supplier.clone())
    .bind(row.status.clone())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn equipment<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
) -> Result<Vec<EquipmentRow>> {
    Ok(sqlx::query_as(
        "SELECT office_id, item, label_fa, supplier, status FROM office_equipment WHERE office_id = $1 ORDER BY item",
    )
    .bind(office_id)
    .fetch_all(ex)
    .await?)
}

/// Sets an item's status; false when the office has no such item.
pub async fn set_equipment<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
    item: &str,
    status: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE office_equipment SET status = $1 WHERE office_id = $2 AND item = $3")
        .bind(status.to_string())
        .bind(office_id)
        .bind(item.to_string())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets an office's status (`licensed`, `open`, …).
pub async fn set_office_status<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
    status: &str,
) -> Result<()> {
    sqlx::query("UPDATE offices SET status = $1 WHERE id = $2")
        .bind(status.to_string())
        .bind(office_id)
        .execute(ex)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExpertRow {
    pub id: i64,
    pub national_id: String,
    pub name: String,
    pub data: String,
    pub training_completed_on: Option<String>,
    pub exam_score: Option<String>,
    pub certified_on: Option<String>,
    pub expires_on: Option<String>,
    pub office_id: Option<i64>,
    pub created_at: i64,
}

const EXPERT_COLUMNS: &str = "id, national_id, name, data, training_completed_on, exam_score, certified_on, \
     expires_on, office_id, created_at";

/// Registers an expert; a national ID registered before is [`StoreError::UniqueViolation`].
pub async fn insert_expert<'e>(
    ex: impl Executor<'e, Database = Any>,
    national_id: &str,
    name: &str,
    data: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO experts (national_id, name, data, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(national_id.to_string())
    .bind(name.to_string())
    .bind(data.to_string())
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

pub async fn expert<'e>(
    ex: impl Executor<'e, Database = Any>,
    national_id: &str,
) -> Result<Option<ExpertRow>> {
    let sql = format!("SELECT {EXPERT_COLUMNS} FROM experts WHERE national_id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(national_id.to_string()).fetch_optional(ex).await?)
}

pub async fn experts_of_office<'e>(
    ex: impl Executor<'e, Database = Any>,
    office_id: i64,
) -> Result<Vec<ExpertRow>> {
    let sql = format!("SELECT {EXPERT_COLUMNS} FROM experts WHERE office_id = $1 ORDER BY id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(office_id).fetch_all(ex).await?)
}

/// Records an expert's progress: training, exam, certificate, office (NULLs leave a field).
pub async fn update_expert<'e>(ex: impl Executor<'e, Database = Any>, row: &ExpertRow) -> Result<()> {
    sqlx::query(
        "UPDATE experts SET training_completed_on = $1, exam_score = $2, certified_on = $3, expires_on = $4, \
         office_id = $5 WHERE id = $6",
    )
    .bind(row.training_completed_on.clone())
    .bind(row.exam_score.clone())
    .bind(row.certified_on.clone())
    .bind(row.expires_on.clone())
    .bind(row.office_id)
    .bind(row.id)
    .execute(ex)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApplicationFileRow {
    pub slot: String,
    pub sha256: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

/// Attaches a file (its blob stored before) to a slot of an applicant's application to a call,
/// replacing what the slot held.
pub async fn put_application_file<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
    file: &ApplicationFileRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO application_files (call_id, national_id, slot, sha256, file_name, content_type, size) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_id, national_id, slot) DO UPDATE SET \
         sha256 = excluded.sha256, file_name = excluded.file_name, content_type = excluded.content_type, \
         size = excluded.size",
    )
    .bind(call_id)
    .bind(national_id.to_string())
    .bind(file.slot.clone())
    .bind(file.sha256.clone())
    .bind(file.file_name.clone())
    .bind(file.content_type.clone())
    .bind(file.size)
    .execute(ex)
    .await?;
    Ok(())
}

/// The files of an applicant's application to a call, by slot.
pub async fn application_files<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
) -> Result<Vec<ApplicationFileRow>> {
    Ok(sqlx::query_as(
        "SELECT slot, sha256, file_name, content_type, size FROM application_files \
         WHERE call_id = $1 AND national_id = $2 ORDER BY slot",
    )
    .bind(call_id)
    .bind(national_id.to_string())
    .fetch_all(ex)
    .await?)
}

/// Keeps the registration form as typed (JSON of its fields), replacing the last one.
pub async fn save_form<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
    form: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO application_forms (call_id, national_id, form, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (call_id, national_id) DO UPDATE SET form = excluded.form, updated_at = excluded.updated_at",
    )
    .bind(call_id)
    .bind(national_id.to_string())
    .bind(form.to_string())
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn form<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    national_id: &str,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT form FROM application_forms WHERE call_id = $1 AND national_id = $2")
        .bind(call_id)
        .bind(national_id.to_string())
        .fetch_optional(ex)
        .await?)
}

/// Seats a board member; a seat or a member seated before is [`StoreError::UniqueViolation`].
pub async fn insert_seat<'e>(
    ex: impl Executor<'e, Database = Any>,
    call_id: i64,
    seat: i64,
    user_id: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO board_seats (call_id, seat, user_id) VALUES ($1, $2, $3)")
        .bind(call_id)
        .bind(seat)
        .bind(user_id)
        .execute(ex)
        .await
        .map_err(StoreError::classify)?;
    Ok(())
}

/// (seat, user) of a call's board, by seat.
pub async fn seats<'e>(ex: impl Executor<'e, Database = Any>, call_id: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT seat, user_id FROM board_seats WHERE call_id = $1 ORDER BY seat")
        .bind(call_id)
        .fetch_all(ex)
        .await?)
}

/// Replaces a licence's data only if it is still `old`: of two moves at once, one wins and the
/// other is told to look again, so no renewal or suspension is silently lost.
pub async fn replace_licence<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: i64,
    old: &str,
    new: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE licences SET data = $1 WHERE id = $2 AND data = $3")
        .bind(new.to_string())
        .bind(id)
        .bind(old.to_string())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LicenceEventRow {
    pub action: String,
    pub reason: String,
    pub expires_on: String,
    pub created_at: i64,
}

pub async fn insert_licence_event<'e>(
    ex: impl Executor<'e, Database = Any>,
    licence_id: i64,
    event: &LicenceEventRow,
    actor_user_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO licence_events (licence_id, action, reason, expires_on, actor_user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(licence_id)
    .bind(event.action.clone())
    .bind(event.reason.clone())
    .bind(event.expires_on.clone())
    .bind(actor_user_id)
    .bind(event.created_at)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn licence_events<'e>(
    ex: impl Executor<'e, Database = Any>,
    licence_id: i64,
) -> Result<Vec<LicenceEventRow>> {
    Ok(sqlx::query_as(
        "SELECT action, reason, expires_on, created_at FROM licence_events WHERE licence_id = $1 ORDER BY id",
    )
    .bind(licence_id)
    .fetch_all(ex)
    .await?)
}
