//! The storage seam of Daftar.
//!
//! One SQL text runs on SQLite (the embedded default) and PostgreSQL (production) through
//! sqlx's `Any` driver. The few places where the back ends must differ (how a write
//! transaction begins and how a row is locked) live here and nowhere else.
//!
//! Every state change goes through [`WriteTx`], which refuses to commit without at least one
//! audit entry: the audit row is written in the same transaction as the change it describes.

pub mod api_keys;
pub mod audit;
pub mod blobs;
pub mod cases;
pub mod fees;
pub mod idempotency;
pub mod licensing;
pub mod money;
pub mod orgs;
pub mod otp;
pub mod outbox;
pub mod plan;
pub mod rate_limit;
pub mod sandbox;
pub mod scratch;
pub mod sessions;
pub mod users;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use audit::AuditEntry;

/// How long a pooled connection may sit unused before it is checked with a ping on checkout.
const PING_AFTER_IDLE: Duration = Duration::from_secs(10);

/// Which database sits behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("a write transaction was committed without an audit entry")]
    MissingAudit,
    #[error("unique constraint violated")]
    UniqueViolation,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a driver error for a unique constraint to [`StoreError::UniqueViolation`] so that
    /// callers can turn races decided by the database into domain answers.
    pub(crate) fn classify(err: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            return StoreError::UniqueViolation;
        }
        StoreError::Database(err)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A connection pool and the knowledge of which back end it talks to.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite admits one writer at a time. `BEGIN IMMEDIATE` makes that safe across processes;
    /// queueing this process's writers here first avoids SQLite's sleep-and-retry busy loop,
    /// which collapses throughput under many concurrent writers.
    write_gate: Option<Arc<Mutex<()>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Connects and configures durability: SQLite in WAL with `synchronous=FULL`, PostgreSQL
    /// with `synchronous_commit=on`.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options: AnyConnectOptions = url.parse()?;
        let pool_options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 32,
            })
            .acquire_timeout(Duration::from_secs(30))
            // A connection in steady use is known to be alive: pinging it on every checkout
            // would cost a round trip per query. One left idle a while is pinged first, since a
            // restarted or failed-over database may have closed it.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_AFTER_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            });
        let pool = match backend {
            Backend::Sqlite => {
                pool_options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                pool_options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("SET synchronous_commit = on; SET TIME ZONE 'UTC';").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
        };
        let write_gate = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Store { pool, backend, write_gate })
    }

    /// Applies the embedded migrations of this back end.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// True when every embedded migration has been applied (for `/readyz`).
    pub async fn is_migrated(&self) -> Result<bool> {
        let expected = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").iter().count(),
            Backend::Postgres => sqlx::migrate!("migrations/postgres").iter().count(),
        };
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await
            .unwrap_or(0);
        Ok(usize::try_from(applied).unwrap_or(0) >= expected)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for reads. Writes go through [`Store::begin_write`].
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// One connection of the pool, for several reads in a row (or a check a caller may also
    /// run inside its own transaction, on that transaction's connection).
    pub async fn acquire(&self) -> Result<PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a write transaction. On SQLite the database write lock is taken at once
    /// (`BEGIN IMMEDIATE`), so a transaction never fails half-way on a lock upgrade.
    pub async fn begin_write(&self) -> Result<WriteTx> {
        self.begin(true).await
    }

    /// Begins a transaction for the machinery that is not a business state change: the audit
    /// sequencer and the outbox worker (they *are* the audit and delivery machinery) and session
    /// bookkeeping. It commits without an audit entry.
    pub async fn begin_housekeeping(&self) -> Result<WriteTx> {
        self.begin(false).await
    }

    async fn begin(&self, require_audit: bool) -> Result<WriteTx> {
        let gate = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, backend: self.backend, require_audit, audit: Vec::new(), _gate: gate })
    }

    /// The suffix that locks selected rows until commit. SQLite's `BEGIN IMMEDIATE` already
    /// holds the database write lock, so it needs none.
    pub fn for_update(&self) -> &'static str {
        lock_suffix(self.backend)
    }
}

fn lock_suffix(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    }
}

/// A write transaction that must carry its audit entries.
pub struct WriteTx {
    tx: Transaction<'static, sqlx::Any>,
    backend: Backend,
    require_audit: bool,
    audit: Vec<AuditEntry>,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn for_update(&self) -> &'static str {
        lock_suffix(self.backend)
    }

    /// Records what this transaction changes; written when the transaction commits.
    pub fn audit(&mut self, entry: AuditEntry) {
        self.audit.push(entry);
    }

    /// Writes the audit rows and commits. A business transaction without an entry is refused
    /// and rolled back.
    pub async fn commit(mut self) -> Result<()> {
        if self.require_audit && self.audit.is_empty() {
            self.tx.rollback().await?;
            return Err(StoreError::MissingAudit);
        }
        let entries = std::mem::take(&mut self.audit);
        for entry in &entries {
            audit::insert(&mut self.tx, entry).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// Converts a database flag (0/1 INTEGER on both back ends) to bool.
pub(crate) fn flag(value: i64) -> bool {
    value != 0
}
