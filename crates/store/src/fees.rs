//! Fee bylaw versions.

use sqlx::{Any, Executor};

use crate::Result;
use crate::plan::RulesRow;

/// Stores a bylaw version (same shape as a plan rules version); a version already published is
/// [`StoreError::UniqueViolation`].
pub async fn insert_bylaw<'e>(ex: impl Executor<'e, Database = Any>, row: &RulesRow) -> Result<()> {
    crate::plan::insert_version(ex, "fee_bylaws", row).await
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

/// A published version by its name: an invoice is re-assessed or waived under the version it
/// was assessed with.
pub async fn bylaw_version<'e>(
    ex: impl Executor<'e, Database = Any>,
    version: &str,
) -> Result<Option<RulesRow>> {
    Ok(sqlx::query_as(
        "SELECT version, effective_from, effective_at, source, imported_at FROM fee_bylaws WHERE version = $1",
    )
    .bind(version.to_string())
    .fetch_optional(ex)
    .await?)
}
