//! Durable case transitions per second over HTTP, 64 concurrent clients, next to the bare
//! database running the same statements in the same run.
//!
//! For SQLite, and for PostgreSQL when `DAFTAR_TEST_DATABASE_URL` is set, for `BENCH_SECONDS`
//! (default 10) each:
//!
//! - **http**: a real server on loopback; each client owns one building-permit case and posts
//!   `return_documents` / `resubmit_documents` to `/api/v1/cases/{tracking}/actions` in turn,
//!   each a committed transition (authorisation, version check, the step, the audit row),
//!   answered with its new state and version (`Prefer: return=minimal`);
//! - **raw**: per transition the case's row locked (PostgreSQL) or the write lock taken
//!   (SQLite), the state and version updated, the step and the audit row inserted, in one
//!   transaction: a plain sqlx loop on SQLite, `pgbench` with a custom script on PostgreSQL.
//!
//! Run it with `bench/case-transitions.sh`.

use std::path::PathBuf;
use std::process::Command;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use daftar_app::config::RateLimits;
use daftar_app::outbox::DevelopmentSms;
use daftar_app::{App, Config, RequestMeta, SystemClock};
use daftar_store::scratch::{ScratchDb, TEST_DATABASE_ENV};
use daftar_store::{Backend, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::Barrier;

const CLIENTS: usize = 64;

const LOCK_SQL: &str = "SELECT version FROM cases WHERE id = $1";
const UPDATE_SQL: &str = "UPDATE cases SET state = $1, version = version + 1, updated_at = $2 WHERE id = $3";
const STEP_SQL: &str = "INSERT INTO case_steps (case_id, seq, action, from_state, to_state, actor_id, role, \
     automatic, reason, at) SELECT id, version, 'bench', 'opened', $1, '1', 'office_intake', 0, NULL, $2 \
     FROM cases WHERE id = $3";
const AUDIT_SQL: &str = "INSERT INTO audit_log (at, actor_user_id, actor_role, office_id, district_id, action, \
     object_type, object_id, detail, detail_digest, peer, request_id) \
     VALUES ($1, 1, 'office_expert', NULL, NULL, 'case.step', 'case', $2, '{}', \
     '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', NULL, NULL)";

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("case_transitions: run with `cargo bench` (or bench/case-transitions.sh)");
        return;
    }
    let seconds = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(10.0);
    let duration = Duration::from_secs_f64(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        let file = std::env::temp_dir().join(format!("daftar-cases-bench-{}.db", std::process::id()));
        let url = format!("sqlite://{}?mode=rwc", file.display());
        rows.push(bench(Backend::Sqlite, &url, duration).await);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        if std::env::var(TEST_DATABASE_ENV).ok().is_some_and(|u| !u.is_empty()) {
            let scratch = ScratchDb::new().await;
            rows.push(bench(Backend::Postgres, scratch.url(), duration).await);
        }
        rows
    });
    println!();
    println!("case transitions over HTTP, {CLIENTS} clients, {seconds:.0} s each");
    println!(
        "{:<9} {:>12} {:>12} {:>8} {:>10} {:>10} {:>12} {:>12}",
        "backend", "http ops/s", "raw ops/s", "http/raw", "p50 ms", "p99 ms", "http mean", "raw mean"
    );
    for row in rows {
        println!(
            "{:<9} {:>12.0} {:>12.0} {:>7.0}% {:>10.1} {:>10.1} {:>12.1} {:>12.1}",
            row.backend.name(),
            row.http.ops_per_s,
            row.raw.ops_per_s,
            100.0 * row.http.ops_per_s / row.raw.ops_per_s.max(1.0),
            row.http.percentile(50.0).as_secs_f64() * 1000.0,
            row.http.percentile(99.0).as_secs_f64() * 1000.0,
            row.http.mean_ms(),
            row.raw.mean_ms,
        );
    }
    // With every client waiting for its answer before it asks again, the mean latency is the
    // clients over the rate (Little's law): below 50 ms takes more than CLIENTS / 0.05 s.
    println!(
        "(a closed loop of {CLIENTS} clients averages under 50 ms only above {:.0} ops/s)",
        CLIENTS as f64 / 0.05
    );
}

struct Row {
    backend: Backend,
    http: Measured,
    raw: Raw,
}

/// The bare database: transitions per second and their mean latency.
struct Raw {
    ops_per_s: f64,
    mean_ms: f64,
}

struct Measured {
    ops_per_s: f64,
    latencies: Vec<Duration>,
}

impl Measured {
    fn mean_ms(&self) -> f64 {
        let total: Duration = self.latencies.iter().sum();
        total.as_secs_f64() * 1000.0 / self.latencies.len().max(1) as f64
    }

    fn percentile(&self, p: f64) -> Duration {
        let Some(last) = self.latencies.len().checked_sub(1) else { return Duration::ZERO };
        self.latencies[((p / 100.0 * last as f64).round() as usize).min(last)]
    }
}

type Timed = (Instant, Instant, Vec<Duration>);

async fn collect(tasks: Vec<tokio::task::JoinHandle<Timed>>) -> Measured {
    let (mut first, mut last, mut latencies) = (None::<Instant>, None::<Instant>, Vec::new());
    for task in tasks {
        let (start, end, mut lat) = task.await.expect("a client task completes");
        first = Some(first.map_or(start, |s| s.min(start)));
        last = Some(last.map_or(end, |e| e.max(end)));
        latencies.append(&mut lat);
    }
    latencies.sort_unstable();
    let elapsed = match (first, last) {
        (Some(s), Some(e)) => (e - s).as_secs_f64(),
        _ => 0.0,
    };
    Measured { ops_per_s: if elapsed > 0.0 { latencies.len() as f64 / elapsed } else { 0.0 }, latencies }
}

async fn bench(backend: Backend, url: &str, duration: Duration) -> Row {
    let store = Store::connect(url).await.expect("the bench database opens");
    store.migrate().await.expect("migrations apply");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    // Unsafe requests must come from the server's own origin.
    let config =
        Config { rate_limits: RateLimits::unlimited(), public_url: base.clone(), ..Config::default() };
    let app = App::new(
        store,
        config,
        Arc::new(SystemClock),
        daftar_app::keys::generate(),
        Arc::new(DevelopmentSms),
    );
    daftar_app::demo::seed(&app).await.expect("the demo city is seeded");
    let meta = RequestMeta::default();
    let signed_in = daftar_app::auth::sign_in_staff(&app, "expert", daftar_app::demo::DEMO_PASSWORD, &meta)
        .await
        .expect("the expert signs in");
    let cookie = format!("daftar_session={}", signed_in.token.as_str());
    let principal = match daftar_app::auth::session(&app, signed_in.token.as_str()).await {
        Ok(Some(daftar_app::auth::SessionState::SignedIn(p))) => p,
        _ => panic!("a signed-in session"),
    };
    let mut cases = Vec::new();
    for _ in 0..CLIENTS {
        let case = daftar_app::cases::open_case(&app, &principal, &meta, &open_request())
            .await
            .expect("a case opens");
        cases.push(case.tracking_code);
    }
    let workers = app.spawn_workers();
    let server = tokio::spawn(daftar_web::serve(listener, app.clone(), std::future::pending()));
    eprintln!("{}: http, {CLIENTS} clients…", backend.name());
    // The clients run on a runtime of their own, as they would in another process: the
    // server's workers serve requests, not the load generator.
    let clients =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the clients' runtime");
    let http = clients
        .spawn(async move { run_http(&base, &cookie, &cases, duration).await })
        .await
        .expect("the clients finish");
    clients.shutdown_background();
    server.abort();
    for worker in workers {
        worker.abort();
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM cases ORDER BY id")
        .fetch_all(app.store().pool())
        .await
        .expect("the cases are listed");
    app.store().close().await;
    eprintln!("{}: raw, {CLIENTS} clients…", backend.name());
    let raw = match backend {
        Backend::Sqlite => raw_sqlite(url, &ids, duration).await,
        Backend::Postgres => raw_pgbench(url, &ids, duration),
    };
    Row { backend, http, raw }
}

fn open_request() -> daftar_app::cases::OpenCase {
    let form = [
        ("applicant_type", "person"),
        ("owner_national_id", "0076229645"),
        ("mobile", "09121234567"),
        ("renovation_code", "1-000000-001"),
        ("registry_plate", "1234/56"),
        ("district", "1"),
        ("deed_area", "500"),
        ("postal_code", "1316745891"),
        ("address", "تهران"),
        ("requested_floors", "2"),
    ];
    daftar_app::cases::OpenCase {
        service: "building_permit".into(),
        office: None,
        form: form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        owners: vec![daftar_app::cases::OwnerInput {
            identifier: "0076229645".into(),
            name: "مالک".into(),
            share: "6".into(),
        }],
    }
}

async fn run_http(base: &str, cookie: &str, cases: &[String], duration: Duration) -> Measured {
    let client = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build().expect("an HTTP client");
    let barrier = Arc::new(Barrier::new(cases.len()));
    let mut tasks = Vec::new();
    for tracking in cases {
        let (client, barrier) = (client.clone(), barrier.clone());
        let url = format!("{base}/api/v1/cases/{tracking}/actions");
        let (cookie, origin) = (cookie.to_owned(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut version = 0_i64;
            let step = |version: i64| {
                let action = if version % 2 == 0 { "return_documents" } else { "resubmit_documents" };
                let body =
                    serde_json::json!({ "action": action, "version": version, "reason": "سند ناخوانا است" });
                client
                    .post(&url)
                    .header("cookie", cookie.clone())
                    .header("origin", origin.clone())
                    .header("prefer", "return=minimal")
                    .json(&body)
                    .send()
            };
            let warm_up = step(version).await.expect("a response");
            assert!(warm_up.status().is_success(), "the warm-up step: {}", warm_up.status());
            version += 1;
            barrier.wait().await;
            let start = Instant::now();
            let mut latencies = Vec::new();
            while start.elapsed() < duration {
                let began = Instant::now();
                let response = step(version).await.expect("a response");
                assert!(response.status().is_success(), "a transition: {}", response.status());
                response.bytes().await.expect("the body");
                latencies.push(began.elapsed());
                version += 1;
            }
            (start, Instant::now(), latencies)
        }));
    }
    collect(tasks).await
}

async fn raw_sqlite(url: &str, ids: &[i64], duration: Duration) -> Raw {
    let options = SqliteConnectOptions::from_str(url)
        .expect("a SQLite URL")
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(CLIENTS as u32)
        .connect_with(options)
        .await
        .expect("the SQLite file opens");
    let barrier = Arc::new(Barrier::new(ids.len()));
    let mut tasks = Vec::new();
    for &id in ids {
        let (pool, barrier) = (pool.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            drop(pool.acquire().await.expect("a connection"));
            barrier.wait().await;
            let start = Instant::now();
            let mut latencies = Vec::new();
            let mut round = 0_u64;
            while start.elapsed() < duration {
                round += 1;
                let state = if round.is_multiple_of(2) { "opened" } else { "documents_correction" };
                let began = Instant::now();
                let now = i64::try_from(round).unwrap_or(0);
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("BEGIN IMMEDIATE");
                let _: i64 =
                    sqlx::query_scalar(LOCK_SQL).bind(id).fetch_one(&mut *tx).await.expect("the lock");
                sqlx::query(UPDATE_SQL)
                    .bind(state)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .expect("update");
                sqlx::query(STEP_SQL).bind(state).bind(now).bind(id).execute(&mut *tx).await.expect("step");
                sqlx::query(AUDIT_SQL).bind(now).bind(id.to_string()).execute(&mut *tx).await.expect("audit");
                tx.commit().await.expect("commit");
                latencies.push(began.elapsed());
            }
            (start, Instant::now(), latencies)
        }));
    }
    let measured = collect(tasks).await;
    pool.close().await;
    Raw { ops_per_s: measured.ops_per_s, mean_ms: measured.mean_ms() }
}

fn raw_pgbench(url: &str, ids: &[i64], duration: Duration) -> Raw {
    let (lo, hi) = (ids.iter().min().copied().unwrap_or(1), ids.iter().max().copied().unwrap_or(1));
    let script = format!(
        "\\set id random({lo}, {hi})\n\
         BEGIN;\n\
         SELECT version FROM cases WHERE id = :id FOR UPDATE;\n\
         UPDATE cases SET state = 'documents_correction', version = version + 1, updated_at = 1 WHERE id = :id;\n\
         INSERT INTO case_steps (case_id, seq, action, from_state, to_state, actor_id, role, automatic, reason, at) \
         SELECT id, version, 'bench', 'opened', 'documents_correction', '1', 'office_intake', 0, NULL, 1 FROM cases WHERE id = :id;\n\
         INSERT INTO audit_log (at, actor_user_id, actor_role, office_id, district_id, action, object_type, object_id, \
         detail, detail_digest, peer, request_id) VALUES (1, 1, 'office_expert', NULL, NULL, 'case.step', 'case', \
         CAST(:id AS TEXT), '{{}}', '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', NULL, NULL);\n\
         END;\n"
    );
    let path: PathBuf = std::env::temp_dir().join(format!("daftar-cases-bench-{}.sql", std::process::id()));
    std::fs::write(&path, script).expect("the pgbench script is written");
    let seconds = duration.as_secs_f64().ceil().max(1.0) as u64;
    let output = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-f"])
        .arg(&path)
        .args(["-c", &CLIENTS.to_string(), "-j", "2", "-T", &seconds.to_string()])
        .arg(url)
        .output();
    let _ = std::fs::remove_file(&path);
    let output = output.expect("pgbench runs (Debian package postgresql-client)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "pgbench failed: {}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let figure = |prefix: &str| -> f64 {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(prefix)?.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no `{prefix}` line in pgbench's output:\n{stdout}"))
    };
    Raw { ops_per_s: figure("tps = "), mean_ms: figure("latency average = ") }
}
