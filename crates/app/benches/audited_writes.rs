//! Durable audited state changes per second, through the application and against the bare
//! database, measured in the same run.
//!
//! For SQLite, and for PostgreSQL when `DAFTAR_TEST_DATABASE_URL` is set, at 1 and at 32
//! concurrent writers, for `BENCH_SECONDS` (default 5) each:
//!
//! - **app**: each writer task renames its own staff user in a loop through
//!   [`daftar_app::users::rename`], with the background workers (the audit sequencer among
//!   them) running as in production;
//! - **raw**: the same `UPDATE users …` and `INSERT INTO audit_log …` in one transaction,
//!   without the application: a plain sqlx loop on SQLite (`BEGIN IMMEDIATE`, one connection
//!   per writer), `pgbench` with a custom script on PostgreSQL.
//!
//! Run it with `bench/audited-writes.sh`, or `cargo bench -p daftar-app --bench audited_writes`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use daftar_app::audit::By;
use daftar_app::config::RateLimits;
use daftar_app::outbox::DevelopmentSms;
use daftar_app::users::NewStaff;
use daftar_app::{App, Config, Principal, RequestMeta, Role, SystemClock};
use daftar_store::scratch::{ScratchDb, TEST_DATABASE_ENV};
use daftar_store::{Backend, Store};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::Barrier;

/// The writer counts measured on each back end.
const WRITER_COUNTS: [usize; 2] = [1, 32];
/// Staff users created up front: one per writer at the highest count.
const USERS: usize = 32;
const PASSWORD: &str = "bench-writer-kooh-17";

/// What `users::set_display_name` runs, word for word.
const UPDATE_SQL: &str = "UPDATE users SET display_name = $1, search_key = $2, updated_at = $3 WHERE id = $4";
/// What `audit::insert` runs from `WriteTx::commit`, word for word.
const INSERT_SQL: &str = "INSERT INTO audit_log (at, actor_user_id, actor_role, office_id, district_id, action, \
     object_type, object_id, detail, detail_digest, peer, request_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: do nothing then.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("audited_writes: run with `cargo bench` (or bench/audited-writes.sh)");
        return;
    }
    let seconds = std::env::var("BENCH_SECONDS")
        .ok()
        .map(|s| s.parse::<f64>().expect("BENCH_SECONDS is a number of seconds"))
        .unwrap_or(5.0);
    let duration = Duration::from_secs_f64(seconds);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    let rows = runtime.block_on(run(duration));
    print_table(&rows, duration);
}

async fn run(duration: Duration) -> Vec<Row> {
    let mut rows = Vec::new();

    let sqlite = SqliteFile::new();
    rows.extend(bench_backend(Backend::Sqlite, &sqlite.url(), duration).await);
    drop(sqlite);

    match std::env::var(TEST_DATABASE_ENV).ok().filter(|u| !u.is_empty()) {
        Some(_) => {
            let scratch = ScratchDb::new().await;
            rows.extend(bench_backend(Backend::Postgres, scratch.url(), duration).await);
        }
        None => eprintln!("{TEST_DATABASE_ENV} is not set: PostgreSQL skipped"),
    }
    rows
}

/// One line of the result table.
struct Row {
    backend: Backend,
    writers: usize,
    app_ops_per_s: f64,
    raw_ops_per_s: f64,
    p50: Duration,
    p99: Duration,
    /// Audit records not yet in the hash chain when the app phase ended.
    backlog: i64,
}

async fn bench_backend(backend: Backend, url: &str, duration: Duration) -> Vec<Row> {
    let store = Store::connect(url).await.expect("the bench database accepts connections");
    store.migrate().await.expect("migrations apply to an empty database");
    let app = App::new(
        store,
        Config { rate_limits: RateLimits::unlimited(), ..Default::default() },
        Arc::new(SystemClock),
        daftar_app::keys::generate(),
        Arc::new(DevelopmentSms),
    );
    let principals = create_writers(&app).await;
    let ids: Vec<i64> = principals.iter().map(|p| p.user_id).collect();

    let mut rows = Vec::new();
    for writers in WRITER_COUNTS {
        // Each app phase starts with an empty sequencer backlog, as a quiet production system would.
        daftar_app::audit::checkpoint_now(&app).await.expect("the backlog is sequenced");
        let workers = app.spawn_workers();
        eprintln!("{} app, {writers} writer(s)…", backend.name());
        let measured = run_app(&app, &principals[..writers], duration).await;
        let backlog = pending(app.store()).await;
        for worker in &workers {
            worker.abort();
        }
        for worker in workers {
            let _ = worker.await;
        }

        eprintln!("{} raw, {writers} writer(s)…", backend.name());
        let raw_ops_per_s = match backend {
            Backend::Sqlite => raw_sqlite(url, &ids[..writers], duration).await,
            Backend::Postgres => raw_pgbench(url, &ids, writers, duration),
        };
        rows.push(Row {
            backend,
            writers,
            app_ops_per_s: measured.ops_per_s,
            raw_ops_per_s,
            p50: measured.percentile(50.0),
            p99: measured.percentile(99.0),
            backlog,
        });
    }

    // Every change measured above must have landed in a chain that verifies.
    daftar_app::audit::checkpoint_now(&app).await.expect("the backlog is sequenced");
    let report = daftar_app::audit::verify(&app, &[]).await.expect("the chain can be read");
    assert!(report.problem.is_none(), "the audit chain does not verify: {:?}", report.problem);
    eprintln!(
        "{}: audit chain verified, {} records, {} checkpoints",
        backend.name(),
        report.records,
        report.checkpoints
    );
    app.store().close().await;
    rows
}

async fn create_writers(app: &App) -> Vec<Principal> {
    let mut principals = Vec::with_capacity(USERS);
    for n in 1..=USERS {
        let form = NewStaff {
            username: format!("loadtest-{n:02}"),
            display_name: format!("Load test {n}"),
            password: PASSWORD.to_string(),
            role: Role::Admin.code().to_string(),
            office: None,
            district: None,
        };
        let user_id = daftar_app::users::add_staff(app, By::System("bench"), &form, &RequestMeta::default())
            .await
            .expect("the bench user is created");
        principals.push(Principal {
            user_id,
            kind: "staff".to_string(),
            display_name: form.display_name,
            role: Some(Role::Admin),
            membership_id: None,
            office_id: None,
            district_id: None,
        });
    }
    principals
}

async fn pending(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq IS NULL")
        .fetch_one(store.pool())
        .await
        .expect("the audit log can be counted")
}

/// The outcome of one app phase.
struct Measured {
    ops_per_s: f64,
    /// Every change's latency, sorted.
    latencies: Vec<Duration>,
}

impl Measured {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (p / 100.0 * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }
}

/// Runs one writer task per principal, each renaming its own user until the time is up.
async fn run_app(app: &App, principals: &[Principal], duration: Duration) -> Measured {
    let barrier = Arc::new(Barrier::new(principals.len()));
    let mut tasks = Vec::with_capacity(principals.len());
    for (w, principal) in principals.iter().enumerate() {
        let (app, principal, barrier) = (app.clone(), principal.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let meta = RequestMeta::default();
            // One untimed change first, so that pool connections are open before the clock starts.
            daftar_app::users::rename(&app, &principal, &format!("Writer {w} warm-up"), &meta)
                .await
                .expect("rename succeeds");
            barrier.wait().await;
            let start = Instant::now();
            let deadline = start + duration;
            let mut latencies = Vec::new();
            let mut round = 0u64;
            while Instant::now() < deadline {
                round += 1;
                let began = Instant::now();
                daftar_app::users::rename(&app, &principal, &format!("Writer {w} round {round}"), &meta)
                    .await
                    .expect("rename succeeds");
                latencies.push(began.elapsed());
            }
            (start, Instant::now(), latencies)
        }));
    }
    collect(tasks).await
}

async fn collect(tasks: Vec<tokio::task::JoinHandle<(Instant, Instant, Vec<Duration>)>>) -> Measured {
    let mut first_start: Option<Instant> = None;
    let mut last_end: Option<Instant> = None;
    let mut latencies = Vec::new();
    for task in tasks {
        let (start, end, mut lat) = task.await.expect("a writer task completes");
        first_start = Some(first_start.map_or(start, |s| s.min(start)));
        last_end = Some(last_end.map_or(end, |e| e.max(end)));
        latencies.append(&mut lat);
    }
    let elapsed = match (first_start, last_end) {
        (Some(start), Some(end)) => end - start,
        _ => Duration::ZERO,
    };
    latencies.sort_unstable();
    let ops_per_s = if elapsed.is_zero() { 0.0 } else { latencies.len() as f64 / elapsed.as_secs_f64() };
    Measured { ops_per_s, latencies }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The same two statements in one `BEGIN IMMEDIATE` transaction, one task and one connection
/// per writer, with the pragmas `Store::connect` sets. Returns transactions per second.
async fn raw_sqlite(url: &str, ids: &[i64], duration: Duration) -> f64 {
    let options = SqliteConnectOptions::from_str(url)
        .expect("a SQLite URL")
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(u32::try_from(ids.len()).unwrap_or(u32::MAX))
        .connect_with(options)
        .await
        .expect("the SQLite file opens");
    let barrier = Arc::new(Barrier::new(ids.len()));
    let mut tasks = Vec::with_capacity(ids.len());
    for &id in ids {
        let (pool, barrier) = (pool.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            // Open this task's connection before the clock starts.
            drop(pool.acquire().await.expect("a connection"));
            barrier.wait().await;
            let start = Instant::now();
            let deadline = start + duration;
            let mut latencies = Vec::new();
            let mut round = 0u64;
            while Instant::now() < deadline {
                round += 1;
                let began = Instant::now();
                let name = format!("Raw writer {id} round {round}");
                let detail = serde_json::json!({ "display_name": name }).to_string();
                let digest = sha256_hex(detail.as_bytes());
                let now = now_s();
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("BEGIN IMMEDIATE");
                sqlx::query(UPDATE_SQL)
                    .bind(name.clone())
                    .bind(name.to_lowercase())
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .expect("the update runs");
                sqlx::query(INSERT_SQL)
                    .bind(now)
                    .bind(Some(id))
                    .bind(Some("admin"))
                    .bind(None::<i64>)
                    .bind(None::<i64>)
                    .bind("user.renamed")
                    .bind("user")
                    .bind(id.to_string())
                    .bind(detail)
                    .bind(digest)
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .execute(&mut *tx)
                    .await
                    .expect("the insert runs");
                tx.commit().await.expect("the commit succeeds");
                latencies.push(began.elapsed());
            }
            (start, Instant::now(), latencies)
        }));
    }
    let measured = collect(tasks).await;
    pool.close().await;
    measured.ops_per_s
}

/// `pgbench` running the same two statements in one transaction, `writers` clients, ids drawn
/// at random over the bench users. Returns pgbench's tps without initial connection time.
fn raw_pgbench(url: &str, ids: &[i64], writers: usize, duration: Duration) -> f64 {
    let (lo, hi) = (ids.iter().min().copied().unwrap_or(1), ids.iter().max().copied().unwrap_or(1));
    let now = now_s();
    let detail = serde_json::json!({ "display_name": "Raw writer" }).to_string();
    let digest = sha256_hex(detail.as_bytes());
    // The statements of `users::set_display_name` and `audit::insert`, with pgbench variables
    // and literals in place of the bound parameters.
    let script = format!(
        "\\set id random({lo}, {hi})\n\
         BEGIN;\n\
         UPDATE users SET display_name = 'Raw writer ' || :id, search_key = 'raw writer ' || :id, \
         updated_at = {now} WHERE id = :id;\n\
         INSERT INTO audit_log (at, actor_user_id, actor_role, office_id, district_id, action, \
         object_type, object_id, detail, detail_digest, peer, request_id) \
         VALUES ({now}, :id, 'admin', NULL, NULL, 'user.renamed', 'user', CAST(:id AS TEXT), \
         '{detail}', '{digest}', NULL, NULL);\n\
         END;\n"
    );
    let script_path = std::env::temp_dir().join(format!("daftar-bench-{}-{writers}.sql", std::process::id()));
    std::fs::write(&script_path, script).expect("the pgbench script is written");
    let seconds = duration.as_secs_f64().ceil().max(1.0) as u64;
    let output = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-f"])
        .arg(&script_path)
        .args(["-c", &writers.to_string(), "-j", &writers.to_string(), "-T", &seconds.to_string()])
        .arg(url)
        .output();
    let _ = std::fs::remove_file(&script_path);
    let output = output.expect("pgbench runs (Debian package postgresql-client)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "pgbench failed: {}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    stdout
        .lines()
        .filter(|line| line.starts_with("tps = ") && line.contains("without initial connection time"))
        .find_map(|line| line.trim_start_matches("tps = ").split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no tps line in pgbench's output:\n{stdout}"))
}

fn print_table(rows: &[Row], duration: Duration) {
    println!();
    println!(
        "audited writes: {:.1} s per measurement; app = users::rename through daftar_app, \
         raw = the same statements without it",
        duration.as_secs_f64()
    );
    println!(
        "{:<9} {:>7} {:>12} {:>12} {:>8} {:>12} {:>12} {:>9}",
        "backend", "writers", "app ops/s", "raw ops/s", "app/raw", "app p50 ms", "app p99 ms", "backlog"
    );
    for row in rows {
        let ratio = if row.raw_ops_per_s > 0.0 { row.app_ops_per_s / row.raw_ops_per_s } else { 0.0 };
        println!(
            "{:<9} {:>7} {:>12.0} {:>12.0} {:>7.0}% {:>12.2} {:>12.2} {:>9}",
            row.backend.name(),
            row.writers,
            row.app_ops_per_s,
            row.raw_ops_per_s,
            ratio * 100.0,
            row.p50.as_secs_f64() * 1000.0,
            row.p99.as_secs_f64() * 1000.0,
            row.backlog
        );
    }
    println!("backlog: audit records not yet chained by the sequencer when the app phase ended");
}

/// A SQLite file for one run, removed with its WAL and shared-memory files afterwards.
struct SqliteFile {
    path: PathBuf,
}

impl SqliteFile {
    fn new() -> SqliteFile {
        let path = std::env::temp_dir().join(format!("daftar-bench-{}.db", std::process::id()));
        remove_with_companions(&path);
        SqliteFile { path }
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.path.display())
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        remove_with_companions(&self.path);
    }
}

fn remove_with_companions(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
