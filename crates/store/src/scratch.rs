//! Throw-away databases for test suites and benchmarks, on whichever back end
//! `DAFTAR_TEST_DATABASE_URL` names (a PostgreSQL server URL whose user may create
//! databases); without it, a SQLite file in the temporary folder. Each scratch database is
//! new and empty, and is dropped when the value is dropped, so runs never share state.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor};

/// The variable that selects PostgreSQL for the test suite.
pub const TEST_DATABASE_ENV: &str = "DAFTAR_TEST_DATABASE_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub struct ScratchDb {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

fn unique_suffix() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos)
}

impl ScratchDb {
    /// Creates an empty database (not migrated).
    pub async fn new() -> ScratchDb {
        match std::env::var(TEST_DATABASE_ENV).ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let name = format!("daftar_test_{}", unique_suffix());
                let mut conn = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach {TEST_DATABASE_ENV}: {e}"));
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("the test user may create databases");
                let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
                ScratchDb { url: format!("{base}/{name}"), cleanup: Cleanup::Database { admin_url, name } }
            }
            None => {
                let path = std::env::temp_dir().join(format!("daftar-test-{}.db", unique_suffix()));
                ScratchDb {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite file, when the scratch database is one.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match &self.cleanup {
            Cleanup::File(path) => Some(path),
            Cleanup::Database { .. } => None,
        }
    }

    /// Connects and migrates.
    pub async fn store(&self) -> crate::Store {
        let store = crate::Store::connect(&self.url).await.expect("the scratch database accepts connections");
        store.migrate().await.expect("migrations apply to an empty database");
        store
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop may run inside or outside a runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async {
                            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                                let _ = conn.execute(sqlx::AssertSqlSafe(sql)).await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}
