//! Agencies call the API with a key: `dk_<prefix>_<secret>`. The prefix finds the key, the
//! secret is compared by hash; neither a leaked table nor a log line holds a usable key.

use base64::Engine;
use daftar_store::{api_keys, users};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{By, entry};
use crate::authz::{Principal, Role};
use crate::error::AppResult;
use crate::{App, RequestMeta};

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Issues a key for an agency account; the full key is shown once and never stored.
pub async fn issue(
    app: &App,
    by: By<'_>,
    user_id: i64,
    label: &str,
    meta: &RequestMeta,
) -> AppResult<String> {
    let prefix = hex::encode(crate::random_bytes::<6>());
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::random_bytes::<24>());
    let mut tx = app.store().begin_write().await?;
    let id = api_keys::insert(tx.conn(), user_id, &prefix, &secret_hash(&secret), label, app.now()).await?;
    tx.audit(entry(
        app,
        by,
        meta,
        "api_key.issued",
        ("api_key", id.to_string()),
        json!({ "user_id": user_id, "prefix": prefix, "label": label }),
    ));
    app.commit(tx).await?;
    Ok(format!("dk_{prefix}_{secret}"))
}

/// An agency signed in with one of its keys.
#[derive(Debug, Clone)]
pub struct KeyHolder {
    /// Which key was used: an agency's keys are separate callers (idempotency keys, say).
    pub key_id: i64,
    pub principal: Principal,
}

/// The agency behind a key, if the key is genuine and not revoked.
pub async fn authenticate(app: &App, key: &str) -> AppResult<Option<KeyHolder>> {
    let Some((prefix, secret)) = key.strip_prefix("dk_").and_then(|rest| rest.split_once('_')) else {
        return Ok(None);
    };
    let Some(row) = api_keys::find_by_prefix(app.store().pool(), prefix).await? else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || row.secret_hash != secret_hash(secret) {
        return Ok(None);
    }
    let Some(user) =
        users::get(app.store().pool(), row.user_id).await?.filter(|u| u.is_active() && u.kind == "agency")
    else {
        return Ok(None);
    };
    let principal = Principal {
        user_id: user.id,
        kind: user.kind,
        display_name: user.display_name,
        role: Some(Role::Agency),
        membership_id: None,
        office_id: None,
        district_id: None,
    };
    Ok(Some(KeyHolder { key_id: row.id, principal }))
}
