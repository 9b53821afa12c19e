//! Building audit entries, the sequencer worker, verification and checkpoints.

use std::time::Duration;

use daftar_store::audit::{self as chain, Actor, AuditEntry, Checkpoint, CheckpointPolicy, VerifyReport};
use serde_json::Value;

use crate::authz::Principal;
use crate::{App, RequestMeta};

/// Who acts in a use case: a signed-in person, or the system itself (the command line, the
/// demo seeder, a background job), named for the record.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    Principal(&'a Principal),
    /// A user acting without a session yet (signing in) or a citizen account being created.
    User(i64),
    System(&'static str),
}

impl By<'_> {
    fn actor(self) -> Actor {
        match self {
            By::Principal(p) => Actor {
                user_id: Some(p.user_id),
                role: p.role.map(|r| r.code().to_string()),
                office_id: p.office_id,
                district_id: p.district_id,
            },
            By::User(id) => Actor { user_id: Some(id), ..Actor::default() },
            By::System(name) => Actor { role: Some(format!("system:{name}")), ..Actor::default() },
        }
    }
}

/// An audit entry for `action` on `object_type`/`object_id`, with what changed in `detail`.
pub fn entry(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    action: &str,
    object: (&str, String),
    detail: Value,
) -> AuditEntry {
    AuditEntry {
        at: app.now(),
        actor: by.actor(),
        action: action.to_string(),
        object_type: object.0.to_string(),
        object_id: object.1,
        detail,
        peer: meta.peer.clone(),
        request_id: meta.request_id.clone(),
    }
}

/// Records a refused request. It is its own transaction: a denial changes nothing else.
pub async fn record_denial(
    app: &App,
    principal: Option<&Principal>,
    meta: &RequestMeta,
    method: &str,
    path: &str,
) -> Result<(), daftar_store::StoreError> {
    let by = principal.map_or(By::System("anonymous"), By::Principal);
    let mut tx = app.store().begin_write().await?;
    tx.audit(entry(
        app,
        by,
        meta,
        "authz.denied",
        ("route", format!("{method} {path}")),
        serde_json::json!({ "method": method, "path": path }),
    ));
    app.commit(tx).await?;
    Ok(())
}

/// Sequences committed audit records into the hash chain, signing checkpoints as it goes.
pub async fn run_sequencer(app: App) {
    loop {
        match chain::sequence_pending(
            app.store(),
            app.signing_key(),
            CheckpointPolicy::default(),
            app.now(),
            false,
        )
        .await
        {
            Ok(n) if n >= chain::SEQUENCER_BATCH => continue,
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "audit sequencer failed; retrying"),
        }
        // Commits during the gap leave the wake-up pending, so the next run follows at once.
        tokio::time::sleep(Duration::from_millis(chain::SEQUENCER_GAP_MS)).await;
        let _ = tokio::time::timeout(
            Duration::from_millis(chain::SEQUENCER_PERIOD_MS),
            app.inner.audit_wake.notified(),
        )
        .await;
    }
}

pub async fn checkpoint_now(app: &App) -> Result<Option<Checkpoint>, daftar_store::StoreError> {
    chain::checkpoint_now(app.store(), app.signing_key(), app.now()).await
}

pub async fn verify(app: &App, exported: &[Checkpoint]) -> Result<VerifyReport, daftar_store::StoreError> {
    chain::verify(app.store(), &app.verifying_key(), exported).await
}

/// What the audit page shows.
pub struct Overview {
    pub report: VerifyReport,
    pub latest: Option<Checkpoint>,
    pub recent: Vec<daftar_store::audit::AuditRecord>,
}

/// The state of the chain and its newest records, for those who may read the audit log.
pub async fn overview(app: &App, principal: &Principal) -> crate::error::AppResult<Overview> {
    crate::authz::require(principal, crate::authz::Permission::ReadAudit)?;
    Ok(Overview {
        report: verify(app, &[]).await?,
        latest: chain::latest_checkpoint(app.store()).await?,
        recent: chain::recent(app.store(), 100).await?,
    })
}

/// Every signed checkpoint, for export to auditors who keep their own copies.
pub async fn checkpoints(app: &App, principal: &Principal) -> crate::error::AppResult<Vec<Checkpoint>> {
    crate::authz::require(principal, crate::authz::Permission::ReadAudit)?;
    Ok(chain::checkpoints(app.store()).await?)
}
