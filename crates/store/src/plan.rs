//! The detailed plan's storage: rule versions, the zone map and the parcels.

use sqlx::{Any, Executor};

use crate::{Result, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RulesRow {
    pub version: String,
    pub effective_from: String,
    pub effective_at: i64,
    pub source: String,
    pub imported_at: i64,
}

/// Stores a rule version; a version already stored is [`StoreError::UniqueViolation`]: a
/// published version never changes, a change is a new version.
pub async fn insert_rules<'e>(ex: impl Executor<'e, Database = Any>, row: &RulesRow) -> Result<()> {
    insert_version(ex, "plan_rules", row).await
}

/// Inserts a published version into `table` (`plan_rules` or `fee_bylaws`, which share a shape).
pub(crate) async fn insert_version<'e>(
    ex: impl Executor<'e, Database = Any>,
    table: &'static str,
    row: &RulesRow,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {table} (version, effective_from, effective_at, source, imported_at) \
         VALUES ($1, $2, $3, $4, $5)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(row.version.clone())
        .bind(row.effective_from.clone())
        .bind(row.effective_at)
        .bind(row.source.clone())
        .bind(row.imported_at)
        .execute(ex)
        .await
        .map_err(StoreError::classify)?;
    Ok(())
}

/// Every rule version, oldest in force first.
pub async fn all_rules<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<RulesRow>> {
    Ok(sqlx::query_as(
        "SELECT version, effective_from, effective_at, source, imported_at FROM plan_rules \
         ORDER BY effective_at, id",
    )
    .fetch_all(ex)
    .await?)
}

/// Replaces the whole zone map.
pub async fn replace_zones(conn: &mut sqlx::AnyConnection, zones: &[(String, String)]) -> Result<()> {
    sqlx::query("DELETE FROM plan_zones").execute(&mut *conn).await?;
    for (code, data) in zones {
        sqlx::query("INSERT INTO plan_zones (code, data) VALUES ($1, $2)")
            .bind(code.clone())
            .bind(data.clone())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Inserts a parcel or replaces the one with the same key.
pub async fn upsert_parcel<'e>(
    ex: impl Executor<'e, Database = Any>,
    parcel_key: &str,
    district: &str,
    data: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO parcels (parcel_key, district, data, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (parcel_key) DO UPDATE SET district = $2, data = $3, updated_at = $4",
    )
    .bind(parcel_key.to_string())
    .bind(district.to_string())
    .bind(data.to_string())
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// The zone map, as stored JSON.
pub async fn zones<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT data FROM plan_zones ORDER BY id").fetch_all(ex).await?)
}

/// Parcels as stored JSON, `limit` at a time after `after_key` (keyset paging keeps memory
/// flat on a large city).
pub async fn parcels_page<'e>(
    ex: impl Executor<'e, Database = Any>,
    after_key: &str,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT parcel_key, data FROM parcels WHERE parcel_key > $1 ORDER BY parcel_key LIMIT $2",
    )
    .bind(after_key.to_string())
    .bind(limit)
    .fetch_all(ex)
    .await?)
}

pub async fn generation<'e>(ex: impl Executor<'e, Database = Any>) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT generation FROM plan_state WHERE id = 1").fetch_one(ex).await?)
}

/// Marks the plan as changed, so that every server reloads it.
pub async fn bump_generation<'e>(ex: impl Executor<'e, Database = Any>) -> Result<()> {
    sqlx::query("UPDATE plan_state SET generation = generation + 1 WHERE id = 1").execute(ex).await?;
    Ok(())
}
