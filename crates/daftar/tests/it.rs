//! The `daftar` binary as an operator runs it.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use daftar_store::scratch::ScratchDb;

const BIN: &str = env!("CARGO_BIN_EXE_daftar");

fn daftar(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("daftar runs")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("daftar-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_healthy(port: u16) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(response) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server on port {port} did not come up");
}

fn sqlite3(db: &Path, sql: &str) {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("the sqlite3 command-line tool is installed");
    assert!(out.status.success(), "sqlite3 {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

fn verify(dir: &Path, db: &Path) -> Output {
    daftar(
        dir,
        &[
            "audit",
            "verify",
            "--database-url",
            &format!("sqlite://{}", db.display()),
            "--signing-key",
            "daftar-data/demo/signing.key",
        ],
    )
}

/// The demo database verifies; an audit record before the last checkpoint that is edited,
/// deleted or moved with `sqlite3` makes `daftar audit verify` fail and name it.
#[tokio::test]
async fn audit_verify_names_an_edited_deleted_or_reordered_record() {
    let dir = temp_dir("audit");
    let port = free_port();
    let demo = Running(
        Command::new(BIN)
            .args(["demo", "--port", &port.to_string()])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_healthy(port).await;
    drop(demo);
    let db = dir.join("daftar-data/demo/daftar.db");
    let url = format!("sqlite://{}", db.display());
    let checkpoint = daftar(
        &dir,
        &["audit", "checkpoint", "--database-url", &url, "--signing-key", "daftar-data/demo/signing.key"],
    );
    assert!(checkpoint.status.success(), "{}", String::from_utf8_lossy(&checkpoint.stderr));
    let ok = verify(&dir, &db);
    assert!(ok.status.success(), "the demo database verifies: {}", String::from_utf8_lossy(&ok.stdout));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("audit chain OK"));

    let tampering = [
        ("edit", "UPDATE audit_log SET detail = '{\"username\":\"mallory\"}' WHERE seq = 5"),
        ("delete", "DELETE FROM audit_log WHERE seq = 5"),
        (
            "reorder",
            "UPDATE audit_log SET seq = -5 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = -5",
        ),
    ];
    // Fold the write-ahead log into the file, so that a copy of the file is the whole database.
    sqlite3(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
    for (name, sql) in tampering {
        let copy = dir.join(format!("{name}.db"));
        std::fs::copy(&db, &copy).unwrap();
        sqlite3(&copy, sql);
        let out = verify(&dir, &copy);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{name} goes unnoticed: {stdout}");
        assert!(stdout.contains("BROKEN") && stdout.contains("seq 5"), "{name}: {stdout}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn add_user(dir: &Path, url: &str) {
    let mut child = Command::new(BIN)
        .args([
            "user",
            "add",
            "--database-url",
            url,
            "--username",
            "clerk",
            "--name",
            "منیژه کاظمی",
            "--role",
            "supervisor",
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"anar-e shirin-e saveh\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn serve(dir: &Path, url: &str, port: u16) -> Running {
    Running(
        Command::new(BIN)
            .args(["serve", "--database-url", url, "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Stateless servers: a session made on one process is honoured by another on the same
/// database, and ending it on one ends it on both.
#[tokio::test]
async fn two_serve_processes_accept_each_others_sessions() {
    let dir = temp_dir("serve");
    let db = ScratchDb::new().await;
    let url = db.url().to_string();
    assert!(daftar(&dir, &["keys", "init"]).status.success());
    assert!(daftar(&dir, &["migrate", "--database-url", &url]).status.success());
    add_user(&dir, &url);
    let (port_a, port_b) = (free_port(), free_port());
    let _a = serve(&dir, &url, port_a);
    let _b = serve(&dir, &url, port_b);
    wait_healthy(port_a).await;
    wait_healthy(port_b).await;

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let a = format!("http://127.0.0.1:{port_a}");
    let b = format!("http://127.0.0.1:{port_b}");
    let response = client
        .post(format!("{a}/sign-in/staff"))
        .header("origin", &a)
        .form(&[("username", "clerk"), ("password", "anar-e shirin-e saveh")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();

    let page = client.get(format!("{b}/account")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200, "server B accepts server A's session");
    assert!(page.text().await.unwrap().contains("منیژه کاظمی"));

    let out = client
        .post(format!("{b}/sign-out"))
        .header("origin", &b)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = client.get(format!("{a}/account")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(after.status(), 303, "signing out on B ends the session on A");
    let _ = std::fs::remove_dir_all(dir);
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn square(x: f64, y: f64, side: f64) -> serde_json::Value {
    serde_json::json!({ "type": "Polygon", "coordinates": [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]] })
}

/// `daftar plan import` takes a rule file and GeoJSON maps all or nothing, naming a bad
/// feature by index, field and reason; `daftar plan sweep` sums what may be built.
#[tokio::test]
async fn plan_import_and_sweep_from_the_command_line() {
    let dir = temp_dir("plan");
    let db = ScratchDb::new().await;
    let url = db.url().to_string();
    let rules = write(&dir, "rules.toml", daftar_zoning::DEMO_RULES_TOML);
    let zones = serde_json::json!({ "type": "FeatureCollection", "features": [
        { "type": "Feature", "properties": { "zone": "R122" }, "geometry": square(0.0, 0.0, 100.0) }
    ]});
    let parcel = |key: &str, x: f64, deed: serde_json::Value| {
        serde_json::json!({ "type": "Feature", "geometry": square(x, 10.0, 15.0), "properties": {
            "pkey": key, "plate": "12/3", "district": "1", "deed_area": deed, "depth": 24.5,
            "p_value": 1234567, "merged": 1, "f1_len": 10, "f1_exist": 12, "f1_appr": 12 } })
    };
    let parcels = serde_json::json!({ "type": "FeatureCollection", "features": [
        parcel("A-1", 10.0, serde_json::json!(245)), parcel("A-2", 40.0, serde_json::json!("600"))
    ]});
    let zones = write(&dir, "zones.geojson", &zones.to_string());
    let good = write(&dir, "parcels.geojson", &parcels.to_string());
    let out = daftar(
        &dir,
        &[
            "plan",
            "import",
            "--database-url",
            &url,
            "--rules",
            rules.to_str().unwrap(),
            "--zones",
            zones.to_str().unwrap(),
            "--parcels",
            good.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1 zones and 2 parcels"));

    let broken = serde_json::json!({ "type": "FeatureCollection", "features": [
        parcel("A-1", 10.0, serde_json::json!(250)), parcel("A-3", 70.0, serde_json::json!(-5))
    ]});
    let broken = write(&dir, "broken.geojson", &broken.to_string());
    let out =
        daftar(&dir, &["plan", "import", "--database-url", &url, "--parcels", broken.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("feature 1 (deed_area)"), "{stderr}");
    assert!(stderr.contains("عارضهٔ شمارهٔ 1"), "{stderr}");

    let out = daftar(&dir, &["plan", "sweep", "--database-url", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // 245 m² loses a floor: 4 × 60 % × 245 = 588; 600 m² keeps 5: 300 % × 600 = 1800.
    let r122 = stdout.lines().find(|l| l.starts_with("R122")).unwrap_or_default().to_string();
    assert!(
        r122.contains(" 2 ") && r122.trim_end().ends_with("2388"),
        "the broken import changed nothing: {stdout}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `daftar money publish` takes a bylaw file; a published version cannot be published again;
/// `daftar money reconcile` reports a Jalali month; `daftar money bill-rent` bills one.
#[tokio::test]
async fn money_commands_publish_a_bylaw_and_reconcile_a_period() {
    let dir = temp_dir("money");
    let db = ScratchDb::new().await;
    let url = db.url().to_string();
    let bylaw = write(&dir, "bylaw.toml", daftar_fees::bylaw::DEMO_BYLAW_TOML);
    let publish =
        || daftar(&dir, &["money", "publish", "--database-url", &url, "--bylaw", bylaw.to_str().unwrap()]);
    let out = publish();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("fee bylaw demo-1405.1 published"));
    let again = publish();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already published"));

    let out = daftar(&dir, &["money", "reconcile", "--database-url", &url, "--period", "۱۴۰۵/۰۹"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("period 1405/09: 0 payments") && stdout.contains("everything agrees"),
        "{stdout}"
    );
    let bad = daftar(&dir, &["money", "reconcile", "--database-url", &url, "--period", "1405/13"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("1405/09"), "the error shows the expected form");
    let rent = daftar(&dir, &["money", "bill-rent", "--database-url", &url, "--period", "1405/09"]);
    assert!(rent.status.success(), "{}", String::from_utf8_lossy(&rent.stderr));
    assert!(String::from_utf8_lossy(&rent.stdout).contains("0 rent invoice(s) issued for 1405/09"));
    let _ = std::fs::remove_dir_all(dir);
}

/// `daftar licensing publish` takes a call file; `daftar licensing rerank` recomputes a call.
#[tokio::test]
async fn licensing_commands_publish_a_call_and_rerank_it() {
    let dir = temp_dir("licensing");
    let db = ScratchDb::new().await;
    let url = db.url().to_string();
    let call = write(&dir, "call.toml", daftar_licensing::DEMO_CALL_TOML);
    let publish =
        || daftar(&dir, &["licensing", "publish", "--database-url", &url, "--call", call.to_str().unwrap()]);
    let out = publish();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("call EO-1405-1 published"));
    assert!(!publish().status.success(), "a call is published once");
    let out = daftar(&dir, &["licensing", "rerank", "--database-url", &url, "EO-1405-1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("inputs digest ") && stdout.contains("no selection on record yet"), "{stdout}");
    let unknown = daftar(&dir, &["licensing", "rerank", "--database-url", &url, "NO-SUCH"]);
    assert!(!unknown.status.success());
    let _ = std::fs::remove_dir_all(dir);
}

/// A valid national ID from a serial number.
fn national_id(serial: u32) -> String {
    let body = format!("{:09}", 100_000_000 + serial);
    let sum: u32 = body.chars().enumerate().map(|(i, c)| c.to_digit(10).unwrap() * (10 - i as u32)).sum();
    let r = sum % 11;
    format!("{body}{}", if r < 2 { r } else { 11 - r })
}

fn person(id: &str, born: i32, field: &str, years: u32) -> daftar_licensing::Person {
    use daftar_licensing::{Degree, DegreeLevel, Experience};
    daftar_licensing::Person {
        national_id: daftar_types::NationalId::parse(id).unwrap(),
        name: format!("متقاضی {id}"),
        birth_date: daftar_types::JalaliDate::new(born, 6, 1).unwrap(),
        citizen: true,
        declarations: ["no_criminal_record", "no_moral_disqualification", "no_bankruptcy"]
            .into_iter()
            .map(String::from)
            .collect(),
        degrees: vec![Degree::new(DegreeLevel::Bachelor, field, "دانشگاه تبریز")],
        experience: vec![Experience::years("urban_planning", years)],
    }
}

/// The demo city on `db`, its clock inside the demo call's registration window, with 60
/// applicants (two in three wanting a municipal site, many the same ones) and their exam scores.
async fn prepare_oversubscribed_call(db: &ScratchDb) {
    use daftar_app::licensing::{Draft, Upload, certificate_slot, photo_slot};
    use daftar_app::{App, Principal, RequestMeta, Role};
    let inside_window =
        daftar_types::JalaliDate::new(1405, 2, 5).unwrap().start_of_day_tehran().unix() + 3600;
    let app = App::new(
        db.store().await,
        daftar_app::Config::default(),
        std::sync::Arc::new(daftar_app::ManualClock::new(inside_window)),
        daftar_app::keys::generate(),
        std::sync::Arc::new(daftar_app::outbox::DevelopmentSms),
    );
    daftar_app::demo::seed(&app).await.unwrap();
    let pool = app.store().pool();
    let principal = |user_id: i64, role: Role| Principal {
        user_id,
        kind: String::new(),
        display_name: String::new(),
        role: Some(role),
        membership_id: None,
        office_id: None,
        district_id: None,
    };
    let meta = RequestMeta::default();
    let mut csv = String::from("national_id,score\n");
    for i in 0..60u32 {
        let id = national_id(40_000 + i);
        let citizen = daftar_store::users::NewUser {
            kind: "citizen",
            username: None,
            national_id: Some(&id),
            mobile: None,
            display_name: "متقاضی",
            search_key: "متقاضی",
            password_hash: None,
        };
        let user_id = daftar_store::users::insert(pool, &citizen, inside_window).await.unwrap();
        let location = if i % 3 == 0 {
            daftar_licensing::Location::OwnPremises(daftar_licensing::Premises {
                district: 3,
                area_m2: 110.into(),
                customer_area_m2: 60.into(),
                floor: 0,
                zone_use: "commercial".into(),
                sanitary: true,
                hvac: true,
                address: "تهران، میدان ونک".into(),
            })
        } else {
            daftar_licensing::Location::MunicipalSite(daftar_licensing::SiteRequest {
                preferences: vec![format!("S{:02}", 1 + i % 4), format!("S{:02}", 5 + i % 3)],
                accept_other_sites: i % 5 != 0,
            })
        };
        let application = daftar_licensing::Application {
            applicant: person(&id, 1365, "information_technology", i % 9),
            technical_manager: person(&national_id(60_000 + i), 1370, "urban_planning", 2),
            location,
            submitted_at: daftar_types::Timestamp::from_unix(0),
        };
        let mut uploads: Vec<Upload> = [false, true]
            .into_iter()
            .flat_map(|manager| {
                let person = if manager { &application.technical_manager } else { &application.applicant };
                person
                    .declarations
                    .iter()
                    .map(move |code| certificate_slot(manager, code))
                    .collect::<Vec<_>>()
            })
            .map(|slot| Upload { slot, file_name: "scan.pdf".into(), bytes: b"%PDF-1.4\n".to_vec() })
            .collect();
        if matches!(application.location, daftar_licensing::Location::OwnPremises(_)) {
            uploads.push(Upload {
                slot: photo_slot(1),
                file_name: "front.png".into(),
                bytes: b"\x89PNG\r\n\x1a\n".to_vec(),
            });
        }
        let draft = Draft { application: Some(application), form: None, uploads };
        let citizen = principal(user_id, Role::Citizen);
        daftar_app::licensing::save_application(&app, &citizen, &meta, "EO-1405-1", draft, true)
            .await
            .unwrap();
        csv.push_str(&format!("{id},{}\n", 30 + (i * 53) % 70));
    }
    let committee = daftar_store::users::find_by_username(pool, "committee").await.unwrap().unwrap();
    let committee = principal(committee.id, Role::LicensingCommittee);
    assert_eq!(
        daftar_app::licensing::import_exam(&app, &committee, &meta, "EO-1405-1", &csv).await.unwrap(),
        60
    );
}

/// Two `daftar licensing select` processes on the same call at the same moment: the database
/// lets exactly one selection through, and no rank or municipal site is given twice. Meant for
/// PostgreSQL (`DAFTAR_TEST_DATABASE_URL`); on SQLite it runs as well.
#[tokio::test]
async fn two_processes_selecting_at_once_give_no_rank_or_site_twice() {
    let dir = temp_dir("select");
    let db = ScratchDb::new().await;
    prepare_oversubscribed_call(&db).await;
    let select = || {
        Command::new(BIN)
            .args(["licensing", "select", "--database-url", db.url(), "EO-1405-1"])
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (select(), select());
    let outputs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let succeeded: Vec<&Output> = outputs.iter().filter(|o| o.status.success()).collect();
    let texts: Vec<String> = outputs
        .iter()
        .map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
        .collect();
    assert_eq!(succeeded.len(), 1, "exactly one process selects: {texts:?}");
    assert!(texts.iter().any(|t| t.contains("already made")), "the other is told why: {texts:?}");
    assert!(texts.iter().any(|t| t.contains("50 selected")), "{texts:?}");

    let store = db.store().await;
    let call = daftar_store::licensing::call(store.pool(), "EO-1405-1").await.unwrap().unwrap();
    assert!(daftar_store::licensing::selection(store.pool(), call.id).await.unwrap().is_some());
    let selected = daftar_store::licensing::selected(store.pool(), call.id).await.unwrap();
    assert_eq!(selected.len(), 50);
    let ranks: std::collections::BTreeSet<i64> = selected.iter().map(|(_, rank, _)| *rank).collect();
    assert_eq!(ranks.len(), 50, "no rank twice");
    let sites: Vec<&String> = selected.iter().filter_map(|(_, _, site)| site.as_ref()).collect();
    let distinct: std::collections::BTreeSet<&&String> = sites.iter().collect();
    assert_eq!(distinct.len(), sites.len(), "no site twice");
    assert!(!sites.is_empty() && sites.len() <= 35, "{} sites given of 35", sites.len());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_permit_pdf_is_verified_offline_with_the_published_key() {
    let dir = temp_dir("verify");
    let key = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let permit = daftar_documents::samples::permit();
    let seal = daftar_documents::Seal::sign(permit.signed_payload(), &key);
    let pdf = daftar_documents::render_permit(&permit, &seal).unwrap();
    std::fs::write(dir.join("permit.pdf"), &pdf).unwrap();
    let public = hex::encode(key.verifying_key().as_bytes());
    std::fs::write(
        dir.join("keys.json"),
        format!(r#"{{"algorithm":"ed25519","public_key_hex":"{public}"}}"#),
    )
    .unwrap();

    let ok = daftar(&dir, &["verify", "permit.pdf", "--public-key", "keys.json"]);
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{out}");
    assert!(out.contains("signature OK") && out.contains(&format!("code: {}", permit.code)), "{out}");

    let other = hex::encode(ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]).verifying_key().as_bytes());
    let refused = daftar(&dir, &["verify", "permit.pdf", "--public-key", &other]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stdout).contains("NOT valid"), "another city's key refuses it");
}
