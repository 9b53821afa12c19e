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

/// Queues a delivery of `body` to every active subscription of `agency` that asked for `event`
/// by name or with `*`, in one statement: a business transaction pays one round trip for its
/// notifications however many agencies listen. Returns how many were queued.
pub async fn enqueue_deliveries<'e>(
    ex: impl Executor<'e, Database = Any>,
    delivery: &NewDelivery<'_>,
    now: i64,
) -> Result<u64> {
    // `events` is a comma-separated list: the event matches as a whole item, its `_` taken
    // literally rather than as LIKE's any-character.
    let item = delivery.event.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let done = sqlx::query(
        "INSERT INTO outbox (channel, recipient, subject, body, status, next_attempt_at, created_at) \
         SELECT $1, CAST(id AS TEXT), $2, $3, 'pending', $4, $4 FROM webhook_subscriptions \
         WHERE agency = $5 AND active = 1 AND (events = '*' OR ',' || events || ',' LIKE $6 ESCAPE '\\') \
         ORDER BY id",
    )
    .bind(delivery.channel.to_string())
    .bind(delivery.event.to_string())
    .bind(delivery.body.to_string())
    .bind(now)
    .bind(delivery.agency.to_string())
    .bind(format!("%,{item},%"))
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// One event for an agency's subscribers: the outbox channel, and the body every delivery
/// carries.
pub struct NewDelivery<'a> {
    pub channel: &'a str,
    pub agency: &'a str,
    pub event: &'a str,
    pub body: &'a str,
}

/// Ends a subscription; false when it was not active.
pub async fn deactivate<'e>(ex: impl Executor<'e, Database = Any>, id: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE webhook_subscriptions SET active = 0 WHERE id = $1 AND active = 1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}
