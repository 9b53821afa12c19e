//! Delivery of queued messages. Messages are queued inside business transactions
//! ([`queue_sms`]); the worker here delivers them afterwards, with retries and backoff, so a
//! failing provider never undoes a business change.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use daftar_store::WriteTx;
use daftar_store::outbox::{self as store_outbox, NewMessage, OutboxRow};

use crate::App;

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a worker holds a message it is delivering before another may retry it.
const LEASE_S: i64 = 60;

pub type SendResult<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// An SMS provider. Real providers are HTTP APIs; the development one writes to the log.
pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendResult<'a>;
}

/// Writes each message to the log; the message itself stays readable in the outbox.
pub struct DevelopmentSms;

impl SmsSender for DevelopmentSms {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendResult<'a> {
        Box::pin(async move {
            tracing::info!(target: "daftar::sms", to, body, "development SMS");
            Ok(())
        })
    }
}

/// Queues an SMS in the caller's transaction.
pub async fn queue_sms(tx: &mut WriteTx, app: &App, to: &str, body: &str) -> daftar_store::Result<i64> {
    let message = NewMessage { channel: "sms", recipient: to, subject: "", body };
    store_outbox::enqueue(tx.conn(), &message, app.now()).await
}

/// Seconds to wait after the n-th failed attempt: 5 s doubling, at most an hour.
pub fn backoff_s(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    (5_i64 << exponent).min(3600)
}

/// Why a delivery failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Retried with backoff, up to [`MAX_ATTEMPTS`].
    Transient(String),
    /// Given up at once: no attempt can succeed.
    Permanent(String),
}

async fn deliver(app: &App, message: &OutboxRow) -> Result<(), Failure> {
    match message.channel.as_str() {
        "sms" => app.sms().send(&message.recipient, &message.body).await.map_err(Failure::Transient),
        crate::webhooks::CHANNEL => crate::webhooks::deliver(app, message).await,
        other => Err(Failure::Permanent(format!("no provider for channel {other}"))),
    }
}

/// Delivers due messages once; returns how many were attempted.
pub async fn deliver_due(app: &App) -> daftar_store::Result<usize> {
    let due = store_outbox::claim_due(app.store(), app.now(), LEASE_S, 50).await?;
    for message in &due {
        match deliver(app, message).await {
            Ok(()) => store_outbox::mark_delivered(app.store(), message.id, app.now()).await?,
            Err(failure) => {
                let (error, retryable) = match failure {
                    Failure::Transient(error) => (error, message.attempts < MAX_ATTEMPTS),
                    Failure::Permanent(error) => (error, false),
                };
                let retry_at = retryable.then(|| app.now() + backoff_s(message.attempts));
                tracing::warn!(id = message.id, attempts = message.attempts, %error, "delivery failed");
                store_outbox::mark_failed(app.store(), message.id, &error, retry_at).await?;
            }
        }
    }
    Ok(due.len())
}

pub async fn run_worker(app: App) {
    loop {
        match deliver_due(&app).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "outbox worker failed; retrying"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), app.inner.outbox_wake.notified()).await;
    }
}

/// The newest queued messages, for the development outbox page. Only offered while the
/// development SMS provider is configured; real deployments never show message bodies.
pub async fn recent_development_messages(app: &App) -> crate::error::AppResult<Vec<OutboxRow>> {
    if !app.config().development_sms {
        return Err(crate::error::AppError::NotFound);
    }
    Ok(store_outbox::recent(app.store().pool(), 50).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(super::backoff_s(1), 5);
        assert_eq!(super::backoff_s(2), 10);
        assert_eq!(super::backoff_s(5), 80);
        assert_eq!(super::backoff_s(30), 3600);
    }
}
