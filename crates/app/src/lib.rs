//! Daftar's use cases.
//!
//! Every state change here authorises its caller (through [`authz`]), runs in one database
//! transaction and appends its audit row in that transaction. The web layer (pages and API
//! alike) and the command line call these functions; none of them holds SQL or rules.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod cases;
pub mod clock;
pub mod config;
pub mod demo;
pub mod directory;
pub mod documents;
pub mod error;
pub mod fees;
pub mod gateway;
pub mod idempotency;
pub mod keys;
pub mod licensing;
pub mod money;
pub mod outbox;
pub mod passwords;
pub mod plan;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use daftar_store::Store;
use ed25519_dalek::SigningKey;
use tokio::sync::Notify;

pub use authz::{Principal, Role};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use error::{AppError, FieldError, Message};

/// Everything a use case needs, shared by all requests and background workers.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: Config,
    clock: Arc<dyn Clock>,
    signing_key: SigningKey,
    sms: Arc<dyn outbox::SmsSender>,
    /// Wakes the audit sequencer right after a commit, so records enter the chain promptly.
    audit_wake: Notify,
    /// Wakes the outbox worker when a message is queued.
    outbox_wake: Notify,
    plan: plan::PlanCache,
    gateway: Option<Arc<dyn gateway::Gateway>>,
    services: ServiceCache,
    /// The client for outgoing calls (webhook deliveries), sharing connections between them.
    http: reqwest::Client,
}

impl App {
    pub fn new(
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
        signing_key: SigningKey,
        sms: Arc<dyn outbox::SmsSender>,
    ) -> App {
        App {
            inner: Arc::new(Inner {
                store,
                config,
                clock,
                signing_key,
                sms,
                audit_wake: Notify::new(),
                outbox_wake: Notify::new(),
                plan: plan::PlanCache::default(),
                gateway: None,
                services: ServiceCache::default(),
                http: reqwest::Client::new(),
            }),
        }
    }

    /// Connects a payment gateway. Call before the app is shared (cloned).
    pub fn with_gateway(mut self, gateway: Arc<dyn gateway::Gateway>) -> App {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.gateway = Some(gateway),
            None => tracing::error!("a gateway can only be connected before the app is shared"),
        }
        self
    }

    pub(crate) fn gateway(&self) -> Option<&dyn gateway::Gateway> {
        self.inner.gateway.as_deref()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The current time as Unix seconds (UTC).
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.inner.signing_key
    }

    pub fn verifying_key(&self) -> ed25519_dalek::VerifyingKey {
        self.inner.signing_key.verifying_key()
    }

    pub(crate) fn service_cache(&self) -> &ServiceCache {
        &self.inner.services
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn sms(&self) -> &dyn outbox::SmsSender {
        self.inner.sms.as_ref()
    }

    /// Commits a business transaction (with its audit rows) and wakes the audit sequencer, so
    /// the records enter the chain promptly.
    pub(crate) async fn commit(&self, tx: daftar_store::WriteTx) -> Result<(), daftar_store::StoreError> {
        tx.commit().await?;
        self.committed();
        Ok(())
    }

    /// Called after every committed write.
    pub(crate) fn committed(&self) {
        self.inner.audit_wake.notify_one();
    }

    pub(crate) fn queued_message(&self) {
        self.inner.outbox_wake.notify_one();
    }

    /// Starts the background workers of this process: the audit sequencer, the outbox
    /// worker, session cleanup and the sweep of expired idempotency keys. Several processes may
    /// run them against one database.
    pub fn spawn_workers(&self) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(audit::run_sequencer(self.clone())),
            tokio::spawn(outbox::run_worker(self.clone())),
            tokio::spawn(auth::run_session_cleanup(self.clone())),
            tokio::spawn(cases::run_sla_worker(self.clone())),
            tokio::spawn(idempotency::run_sweeper(self.clone())),
        ]
    }
}

/// Parsed service definitions by their stored id. A stored version never changes, so an
/// entry never goes stale, whichever server published it.
#[derive(Default)]
pub(crate) struct ServiceCache(
    std::sync::RwLock<std::collections::HashMap<i64, Arc<daftar_workflow::ServiceDefinition>>>,
);

impl ServiceCache {
    pub(crate) fn get(&self, id: i64) -> Option<Arc<daftar_workflow::ServiceDefinition>> {
        self.0.read().ok()?.get(&id).cloned()
    }

    pub(crate) fn insert(
        &self,
        id: i64,
        definition: daftar_workflow::ServiceDefinition,
    ) -> Arc<daftar_workflow::ServiceDefinition> {
        let definition = Arc::new(definition);
        if let Ok(mut map) = self.0.write() {
            map.insert(id, definition.clone());
        }
        definition
    }
}

/// Where a request came from, for the audit record.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub peer: Option<String>,
    pub request_id: Option<String>,
}

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes
}
