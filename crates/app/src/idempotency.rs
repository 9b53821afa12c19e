//! Idempotency keys: a client that may retry a POST names it with a key, and the same request
//! under the same key runs once. Its response is kept and replayed for 24 hours; the same key
//! with a different request, or while the first is still running, is refused.

use std::time::Duration;

use daftar_store::idempotency::{self as store_idempotency, Claim};
use sha2::{Digest, Sha256};

pub use daftar_store::idempotency::StoredResponse;

use crate::App;
use crate::authz::Principal;
use crate::error::{AppError, AppResult, FieldError, Message};

/// The request header that carries the key.
pub const HEADER: &str = "Idempotency-Key";
/// How long a key and its response are kept.
pub const KEY_TTL_S: i64 = 24 * 3600;
/// An unfinished request older than this has outlived every server's request timeout: its
/// process stopped, and the key is free again.
pub const ABANDONED_AFTER_S: i64 = 120;
const MAX_KEY_LEN: usize = 255;

/// Whose keys these are: each API key of an agency, and each signed-in user, has its own, so
/// two callers never share a key.
pub fn scope(principal: &Principal, api_key_id: Option<i64>) -> String {
    match api_key_id {
        Some(id) => format!("api_key:{id}"),
        None => format!("user:{}", principal.user_id),
    }
}

fn key_error(fa: &str, en: &str) -> AppError {
    AppError::invalid(FieldError::new(
        HEADER,
        Message::new("سرآیند Idempotency-Key", HEADER),
        Message::new(fa, en),
    ))
}

/// A key is 1 to 255 visible ASCII characters.
pub fn check_key(key: &[u8]) -> AppResult<&str> {
    let visible = key.iter().all(|b| b.is_ascii_graphic());
    match std::str::from_utf8(key) {
        Ok(text) if visible && !key.is_empty() && key.len() <= MAX_KEY_LEN => Ok(text),
        _ => Err(key_error(
            "باید ۱ تا ۲۵۵ نویسهٔ اَسکی دیدنی (بدون فاصله) باشد.",
            "must be 1 to 255 visible ASCII characters (no spaces).",
        )),
    }
}

/// The SHA-256 (hex) of what makes two requests the same: method, path and body.
pub fn request_digest(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b"\n");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// Claims a key for a request. `Ok(None)`: the request runs, then [`finish`] or [`release`].
/// `Ok(Some(response))`: the same request already ran; replay its response. A different
/// request under the key is an invalid header; the same one still running is a conflict.
pub async fn begin(app: &App, scope: &str, key: &str, digest: &str) -> AppResult<Option<StoredResponse>> {
    let now = app.now();
    let claim = store_idempotency::claim(
        app.store(),
        scope,
        key,
        digest,
        now,
        now - KEY_TTL_S,
        now - ABANDONED_AFTER_S,
    )
    .await?;
    match claim {
        Claim::Claimed => Ok(None),
        Claim::Done(response) => Ok(Some(response)),
        Claim::Mismatch => Err(key_error(
            "این کلید پیش‌تر برای درخواست دیگری (با مسیر یا بدنهٔ دیگر) به کار رفته است.",
            "was already used for a different request (another path or body).",
        )),
        Claim::InProgress => Err(AppError::Conflict(Message::new(
            "درخواستی با همین سرآیند Idempotency-Key هنوز در حال انجام است؛ کمی بعد دوباره بفرستید.",
            "A request with the same Idempotency-Key header is still running; send it again shortly.",
        ))),
    }
}

/// Keeps the response of a claimed request for replay.
pub async fn finish(app: &App, scope: &str, key: &str, response: &StoredResponse) -> AppResult<()> {
    Ok(store_idempotency::complete(app.store(), scope, key, response).await?)
}

/// Frees the key of a request that failed, so that a retry runs.
pub async fn release(app: &App, scope: &str, key: &str) -> AppResult<()> {
    Ok(store_idempotency::release(app.store(), scope, key).await?)
}

/// Forgets keys older than [`KEY_TTL_S`]; returns how many.
pub async fn sweep(app: &App) -> AppResult<u64> {
    let mut tx = app.store().begin_housekeeping().await?;
    let deleted = store_idempotency::delete_expired(tx.conn(), app.now() - KEY_TTL_S).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// Sweeps expired keys every ten minutes.
pub async fn run_sweeper(app: App) {
    loop {
        if let Err(err) = sweep(&app).await {
            tracing::warn!(error = %err, "idempotency key sweep failed");
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(check_key(b"order-42_retry.1").is_ok());
        assert!(check_key(&[b'k'; 255]).is_ok());
        assert!(check_key(&[b'k'; 256]).is_err());
        assert!(check_key(b"").is_err());
        assert!(check_key(b"two words").is_err());
        assert!(check_key("کلید".as_bytes()).is_err());
    }

    #[test]
    fn the_digest_tells_method_path_and_body_apart() {
        let base = request_digest("POST", "/api/v1/users", b"{}");
        assert_eq!(base, request_digest("POST", "/api/v1/users", b"{}"));
        assert_ne!(base, request_digest("POST", "/api/v1/users", b"{ }"));
        assert_ne!(base, request_digest("POST", "/api/v1/user", b"s{}"));
        assert_ne!(base, request_digest("PUT", "/api/v1/users", b"{}"));
    }
}
