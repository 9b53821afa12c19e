//! Fixed-window counters in the database, shared by every app server.

use sqlx::{Any, Executor};

use crate::Result;

/// Counts one hit on `bucket` in the current window of `window_s` seconds and returns the
/// number of hits in that window, this one included. One statement, so concurrent hits from
/// several servers are all counted.
pub async fn hit<'e>(
    ex: impl Executor<'e, Database = Any>,
    bucket: &str,
    now: i64,
    window_s: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 \
                          ELSE rate_limits.window_start END \
         RETURNING hits",
    )
    .bind(bucket.to_string())
    .bind(now)
    .bind(now - window_s)
    .fetch_one(ex)
    .await?)
}

/// Forgets a bucket (after a successful sign-in, the account's failures no longer count).
pub async fn clear<'e>(ex: impl Executor<'e, Database = Any>, bucket: &str) -> Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE bucket = $1").bind(bucket.to_string()).execute(ex).await?;
    Ok(())
}
