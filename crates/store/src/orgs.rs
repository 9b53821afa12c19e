//! The municipality's districts and offices, and who holds which role where.

use serde::Serialize;
use sqlx::{Any, Executor};

use crate::{Result, StoreError};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DistrictRow {
    pub id: i64,
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OfficeRow {
    pub id: i64,
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub district_id: i64,
    pub status: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MembershipRow {
    pub id: i64,
    pub user_id: i64,
    pub role: String,
    pub office_id: Option<i64>,
    pub district_id: Option<i64>,
    pub scope_key: String,
}

pub async fn insert_district<'e>(
    ex: impl Executor<'e, Database = Any>,
    code: &str,
    name_fa: &str,
    name_en: &str,
) -> Result<i64> {
    sqlx::query_scalar("INSERT INTO districts (code, name_fa, name_en) VALUES ($1, $2, $3) RETURNING id")
        .bind(code.to_string())
        .bind(name_fa.to_string())
        .bind(name_en.to_string())
        .fetch_one(ex)
        .await
        .map_err(StoreError::classify)
}

pub async fn districts<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<DistrictRow>> {
    Ok(sqlx::query_as("SELECT id, code, name_fa, name_en FROM districts ORDER BY code").fetch_all(ex).await?)
}

pub struct NewOffice<'a> {
    pub code: &'a str,
    pub name_fa: &'a str,
    pub name_en: &'a str,
    pub district_id: i64,
    pub status: &'a str,
}

pub async fn insert_office<'e>(
    ex: impl Executor<'e, Database = Any>,
    office: &NewOffice<'_>,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO offices (code, name_fa, name_en, district_id, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(office.code.to_string())
    .bind(office.name_fa.to_string())
    .bind(office.name_en.to_string())
    .bind(office.district_id)
    .bind(office.status.to_string())
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

pub async fn offices<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<OfficeRow>> {
    Ok(sqlx::query_as(
        "SELECT id, code, name_fa, name_en, district_id, status, created_at FROM offices ORDER BY code",
    )
    .fetch_all(ex)
    .await?)
}

pub async fn office<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<OfficeRow>> {
    Ok(sqlx::query_as(
        "SELECT id, code, name_fa, name_en, district_id, status, created_at FROM offices WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// The scope column's value: NULLs are distinct in UNIQUE constraints on both back ends, so
/// uniqueness of (user, role, scope) is enforced on this derived key.
pub fn scope_key(office_id: Option<i64>, district_id: Option<i64>) -> String {
    match (office_id, district_id) {
        (Some(office), _) => format!("office:{office}"),
        (None, Some(district)) => format!("district:{district}"),
        (None, None) => "city".to_string(),
    }
}

pub async fn insert_membership<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: i64,
    role: &str,
    office_id: Option<i64>,
    district_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO memberships (user_id, role, office_id, district_id, scope_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(role.to_string())
    .bind(office_id)
    .bind(district_id)
    .bind(scope_key(office_id, district_id))
    .bind(now)
    .fetch_one(ex)
    .await
    .map_err(StoreError::classify)
}

pub async fn memberships_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Vec<MembershipRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, role, office_id, district_id, scope_key FROM memberships \
         WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await?)
}

/// The memberships of several users in one query, in user and id order.
pub async fn memberships_of_users<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_ids: &[i64],
) -> Result<Vec<MembershipRow>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=user_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT id, user_id, role, office_id, district_id, scope_key FROM memberships \
         WHERE user_id IN ({}) ORDER BY user_id, id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in user_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(ex).await?)
}
