//! Agencies' webhook subscriptions. Deliveries themselves are outbox messages.

use sqlx::{Any, Executor};

use crate::Result;

#[derive(Clone, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: i64,
    pub agency: String,
    pub url: String,
    /// The key deliveries are signed with; never logged.
    pub secret: String,
    /// Event names separated by commas, or `*` for every event.
    pub events: String,
    pub active: i64,
    pub created_at: i64,
}

impl std::fmt::Debug for SubscriptionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionRow")
            .field("id", &self.id)
            .field("agency", &self.agency)
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .field("events", &self.events)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl SubscriptionRow {
    pub fn is_active(&self) -> bool {
        crate::flag(self.active)
    }
}

pub struct NewSubscription<'a> {
    pub agency: &'a str,
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a str,
}

const COLUMNS: &str = "id, agency, url, secret, events, active, created_at";

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    subscription: &NewSubscription<'_>,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO webhook_subscriptions (agency, url, secret, events, active, created_at) \
         VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
    )
    .bind(subscription.agency.to_string())
    .bind(subscription.url.to_string())
    .bind(subscription.secret.to_string())
    .bind(subscription.events.to_string())
    .bind(now)
    .fetch_one(ex)
    .await?)
}

pub async fn get<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<Option<SubscriptionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(ex).await?)
}

/// The active subscriptions, oldest first.
pub async fn list_active<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<SubscriptionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_subscriptions WHERE active = 1 ORDER BY id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?)
}

/// An agency's active subscriptions, whatever their events.
pub async fn active_for_agency<'e>(
    ex: impl Executor<'e, Database = Any>,
    agency: &str,
) -> Result<Vec<SubscriptionRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM webhook_subscriptions WHERE agency = $1 AND active = 1 ORDER BY id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(agency.to_string()).fetch_all(ex).await?)
}

/// Ends a subscription; false when it was not active.
pub async fn deactivate<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE webhook_subscriptions SET active = 0 WHERE id = $1 AND active = 1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}
