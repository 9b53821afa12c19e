//! Fee bylaw versions.

use sqlx::{Any, Executor};

use crate::plan::RulesRow;
use crate::{Result, StoreError};

/// Stores a bylaw version (same shape as a plan rules version); a version already published is
/// [`StoreError::UniqueViolation`].
pub async fn insert_bylaw<'e>(ex: impl Executor<'e, Database = Any>, row: &RulesRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO fee_bylaws (version, effective_from, effective_at, source, imported_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
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

/// The newest version in force at `at` (Unix seconds).
pub async fn bylaw_in_force<'e>(ex: impl Executor<'e, Database = Any>, at: i64) -> Result<Option<RulesRow>> {
    Ok(sqlx::query_as(
        "SELECT version, effective_from, effective_at, source, imported_at FROM fee_bylaws \
         WHERE effective_at <= $1 ORDER BY effective_at DESC, id DESC LIMIT 1",
    )
    .bind(at)
    .fetch_optional(ex)
    .await?)
}
