//! Webhooks to agencies: an agency subscribes an endpoint to events of its services; each event
//! is queued in the business transaction that caused it (one outbox message per matching
//! subscription) and delivered afterwards by the outbox worker, signed with the subscription's
//! secret and retried with the outbox's backoff.
//!
//! A delivery is `POST <url>` with the JSON body `{"event", "agency", "occurred_at", "data"}`
//! and the headers `X-Daftar-Event`, `X-Daftar-Delivery` (the outbox id, the same on every
//! retry), `X-Daftar-Timestamp` (Unix seconds) and `X-Daftar-Signature: sha256=<hex>`, the
//! HMAC-SHA256 of `"{timestamp}.{body}"` keyed with the secret.

use std::time::Duration;

use base64::Engine;
use daftar_store::WriteTx;
use daftar_store::outbox::OutboxRow;
use daftar_store::webhooks::{self as store_webhooks, NewDelivery, NewSubscription, SubscriptionRow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::audit::{By, entry};
use crate::authz::{Permission, Principal, require};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::outbox::Failure;
use crate::{App, RequestMeta};

/// The outbox channel of webhook deliveries.
pub const CHANNEL: &str = "webhook";
/// How long a receiver may take to answer before the attempt counts as failed.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Subscribes to every event.
const ALL_EVENTS: &str = "*";

/// An administrator's request for a subscription.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewWebhook {
    /// The agency's code, as the service definitions name their owning agency.
    pub agency: String,
    /// An absolute `http` or `https` address.
    pub url: String,
    /// Event names (`case.opened`, …), or `["*"]` for every event.
    pub events: Vec<String>,
}

/// A subscription as listed; its secret is shown only when it is created.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub agency: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: i64,
}

impl From<&SubscriptionRow> for WebhookView {
    fn from(row: &SubscriptionRow) -> Self {
        WebhookView {
            id: row.id,
            agency: row.agency.clone(),
            url: row.url.clone(),
            events: row.events.split(',').map(str::to_string).collect(),
            created_at: row.created_at,
        }
    }
}

/// The key deliveries are signed with. Shown once, at creation; never logged.
#[derive(Clone, Serialize, ToSchema)]
#[serde(transparent)]
pub struct SigningSecret(String);

impl SigningSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

/// A new subscription with its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// Verify each delivery's `X-Daftar-Signature` with this; it is not shown again.
    pub secret: SigningSecret,
}

fn field(name: &'static str, fa: &str, en: &str, message: Message) -> FieldError {
    FieldError::new(name, Message::new(fa, en), message)
}

/// Agency codes follow the service definitions: lower-case letters, digits and `_`, starting
/// with a letter.
fn check_agency(agency: &str) -> Option<FieldError> {
    let mut bytes = agency.bytes();
    let starts_with_letter = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    (!(starts_with_letter && rest_ok && agency.len() <= 64)).then(|| {
        field(
            "agency",
            "دستگاه",
            "Agency",
            Message::new(
                "کد دستگاه: حروف کوچک لاتین، رقم و زیرخط، با حرف آغاز شود.",
                "The agency's code: lower-case Latin letters, digits and underscores, starting with a letter.",
            ),
        )
    })
}

fn check_url(url: &str) -> Option<FieldError> {
    let parsed = reqwest::Url::parse(url).ok();
    let acceptable = parsed.as_ref().is_some_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some_and(|h| !h.is_empty())
            && u.username().is_empty()
            && u.password().is_none()
    });
    (!acceptable || url.len() > 2048).then(|| {
        field(
            "url",
            "نشانی",
            "URL",
            Message::new(
                "نشانی کامل http یا https بنویسید (بدون نام کاربری و گذرواژه در آن).",
                "Enter a full http or https address (with no user name or password in it).",
            ),
        )
    })
}

fn is_event_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// The events as stored: a comma-separated list, or `*`.
fn check_events(events: &[String]) -> Result<String, FieldError> {
    let names: Vec<&str> = events.iter().map(|e| e.trim()).collect();
    if names.contains(&ALL_EVENTS) {
        return Ok(ALL_EVENTS.to_string());
    }
    if names.is_empty() || !names.iter().all(|n| is_event_name(n)) {
        return Err(field(
            "events",
            "رویدادها",
            "Events",
            Message::new(
                "دست‌کم یک نام رویداد (مانند case.opened) یا * برای همهٔ رویدادها.",
                "At least one event name (such as case.opened), or * for every event.",
            ),
        ));
    }
    let mut unique: Vec<&str> = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    Ok(unique.join(","))
}

fn new_secret() -> SigningSecret {
    let random = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::random_bytes::<32>());
    SigningSecret(format!("whsec_{random}"))
}

/// Subscribes an agency's endpoint to events.
pub async fn subscribe(
    app: &App,
    principal: &Principal,
    form: &NewWebhook,
    meta: &RequestMeta,
) -> AppResult<CreatedWebhook> {
    require(principal, Permission::ManageWebhooks)?;
    let agency = form.agency.trim();
    let url = form.url.trim();
    let mut problems: Vec<FieldError> =
        [check_agency(agency), check_url(url)].into_iter().flatten().collect();
    let events = check_events(&form.events).map_err(|problem| problems.push(problem)).ok();
    let Some(events) = events.filter(|_| problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    let secret = new_secret();
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    let subscription = NewSubscription { agency, url, secret: secret.expose(), events: &events };
    let id = store_webhooks::insert(tx.conn(), &subscription, now).await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "webhook.subscribed",
        ("webhook_subscription", id.to_string()),
        json!({ "agency": agency, "url": url, "events": events }),
    ));
    app.commit(tx).await?;
    let webhook = WebhookView {
        id,
        agency: agency.to_string(),
        url: url.to_string(),
        events: events.split(',').map(str::to_string).collect(),
        created_at: now,
    };
    Ok(CreatedWebhook { webhook, secret })
}

/// The active subscriptions.
pub async fn list(app: &App, principal: &Principal) -> AppResult<Vec<WebhookView>> {
    require(principal, Permission::ManageWebhooks)?;
    let rows = store_webhooks::list_active(app.store().pool()).await?;
    Ok(rows.iter().map(WebhookView::from).collect())
}

/// Ends a subscription. Messages already queued for it are given up when their turn comes.
pub async fn unsubscribe(app: &App, principal: &Principal, id: i64, meta: &RequestMeta) -> AppResult<()> {
    require(principal, Permission::ManageWebhooks)?;
    let mut tx = app.store().begin_write().await?;
    if !store_webhooks::deactivate(tx.conn(), id).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "webhook.unsubscribed",
        ("webhook_subscription", id.to_string()),
        json!({}),
    ));
    app.commit(tx).await?;
    Ok(())
}

/// Queues `event` for every active subscription of `agency` that asked for it, in the caller's
/// business transaction: the deliveries exist exactly when the change does. Returns how many
/// were queued.
pub async fn enqueue(
    tx: &mut WriteTx,
    app: &App,
    agency: &str,
    event: &str,
    payload: &Value,
) -> Result<usize, AppError> {
    let now = app.now();
    let body = json!({ "event": event, "agency": agency, "occurred_at": now, "data": payload }).to_string();
    let delivery = NewDelivery { channel: CHANNEL, agency, event, body: &body };
    let queued = store_webhooks::enqueue_deliveries(tx.conn(), &delivery, now).await?;
    Ok(usize::try_from(queued).unwrap_or(usize::MAX))
}

/// Sends one queued delivery. A missing or ended subscription is given up at once; a receiver
/// that fails, answers other than 2xx or takes longer than [`DELIVERY_TIMEOUT`] is retried.
pub(crate) async fn deliver(app: &App, message: &OutboxRow) -> Result<(), Failure> {
    let id: i64 = message
        .recipient
        .parse()
        .map_err(|_| Failure::Permanent(format!("no subscription id in {:?}", message.recipient)))?;
    let subscription = store_webhooks::get(app.store().pool(), id)
        .await
        .map_err(|err| Failure::Transient(err.to_string()))?
        .filter(SubscriptionRow::is_active)
        .ok_or_else(|| Failure::Permanent(format!("subscription {id} has ended")))?;
    let timestamp = app.now();
    let signature =
        crate::money::callback_signature(subscription.secret.as_bytes(), timestamp, message.body.as_bytes());
    let response = app
        .http()
        .post(&subscription.url)
        .timeout(DELIVERY_TIMEOUT)
        .header("content-type", "application/json")
        .header("x-daftar-event", &message.subject)
        .header("x-daftar-delivery", message.id.to_string())
        .header("x-daftar-timestamp", timestamp.to_string())
        .header("x-daftar-signature", format!("sha256={signature}"))
        .body(message.body.clone())
        .send()
        .await
        .map_err(|err| Failure::Transient(format!("the receiver could not be reached: {err}")))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(Failure::Transient(format!("the receiver answered {}", response.status())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_addresses_without_credentials_are_accepted() {
        assert!(check_url("https://fire.example.ir/hooks/daftar").is_none());
        assert!(check_url("http://127.0.0.1:8081/hook").is_none());
        for bad in
            ["ftp://fire.example.ir/", "/hooks", "fire.example.ir/hook", "https://u:p@fire.example.ir/", ""]
        {
            assert!(check_url(bad).is_some(), "{bad} accepted");
        }
    }

    #[test]
    fn events_are_names_or_everything() {
        assert_eq!(check_events(&["case.opened".into(), "case.opened".into()]).unwrap(), "case.opened");
        assert_eq!(check_events(&["case.opened".into(), "*".into()]).unwrap(), "*");
        assert!(check_events(&[]).is_err());
        assert!(check_events(&["Case Opened".into()]).is_err());
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        let secret = new_secret();
        assert!(secret.expose().starts_with("whsec_"));
        assert!(!format!("{secret:?}").contains(secret.expose()));
        let row = SubscriptionRow {
            id: 1,
            agency: "fire".into(),
            url: "https://fire.example.ir/".into(),
            secret: secret.expose().to_string(),
            events: "*".into(),
            active: 1,
            created_at: 0,
        };
        assert!(!format!("{row:?}").contains(secret.expose()));
    }
}
