//! The maintenance commands.

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use daftar_app::audit::By;
use daftar_app::users::NewStaff;
use daftar_app::{AppError, RequestMeta};
use daftar_store::audit::Checkpoint;
use daftar_types::Lang;

use crate::cli::{AuditCommand, DbArgs, DemoArgs, KeysCommand, UserCommand};
use crate::startup;

pub async fn migrate(db: DbArgs) -> anyhow::Result<ExitCode> {
    startup::open_store(&db.database_url).await?;
    println!("migrations applied: {}", startup::redact(&db.database_url));
    Ok(ExitCode::SUCCESS)
}

pub fn keys(command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Init { out } => {
            let key = startup::write_new_key(&out)?;
            println!("signing key written to {}", out.display());
            println!("public key (ed25519): {}", hex::encode(key.verifying_key().as_bytes()));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_checkpoints(path: &std::path::Path) -> anyhow::Result<Vec<Checkpoint>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut list = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        list.push(
            serde_json::from_str(&line)
                .with_context(|| format!("{} line {}: not a checkpoint", path.display(), n + 1))?,
        );
    }
    Ok(list)
}

pub async fn audit(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { db, key, checkpoints } => {
            let exported = match checkpoints {
                Some(path) => read_checkpoints(&path)?,
                None => Vec::new(),
            };
            let store = startup::open_store(&db.database_url).await?;
            let key = startup::load_key(&key.signing_key)?;
            let report = daftar_store::audit::verify(&store, &key.verifying_key(), &exported).await?;
            println!(
                "records: {}, checkpoints: {} (+{} exported), last checkpoint at seq {}, pending: {}",
                report.records,
                report.checkpoints,
                exported.len(),
                report.last_checkpoint_seq,
                report.pending
            );
            match report.problem {
                None => {
                    println!("audit chain OK");
                    Ok(ExitCode::SUCCESS)
                }
                Some(problem) => {
                    println!("audit chain BROKEN: {problem}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::Checkpoint { db, key } => {
            let store = startup::open_store(&db.database_url).await?;
            let key = startup::load_key(&key.signing_key)?;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
            match daftar_store::audit::checkpoint_now(&store, &key, i64::try_from(now)?).await? {
                Some(checkpoint) => println!("{}", serde_json::to_string(&checkpoint)?),
                None => println!("the audit log is empty; nothing to sign"),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export { db } => {
            let store = startup::open_store(&db.database_url).await?;
            for checkpoint in daftar_store::audit::checkpoints(&store).await? {
                println!("{}", serde_json::to_string(&checkpoint)?);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn user(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add { db, username, name, role, office, district } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            let store = startup::open_store(&db.database_url).await?;
            let app = startup::cli_app(store);
            let form = NewStaff { username, display_name: name, password, role, office, district };
            match daftar_app::users::add_staff(&app, By::System("cli"), &form, &RequestMeta::default()).await
            {
                Ok(id) => {
                    println!("user {} added (id {id})", form.username);
                    Ok(ExitCode::SUCCESS)
                }
                Err(AppError::Invalid(fields)) => {
                    for field in fields {
                        eprintln!("{}", field.text(Lang::En));
                        eprintln!("{}", field.text(Lang::Fa));
                    }
                    Ok(ExitCode::from(2))
                }
                Err(err) => Err(err.into()),
            }
        }
    }
}

pub async fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = std::path::Path::new("daftar-data/demo");
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    let store = startup::open_store("sqlite://daftar-data/demo/daftar.db").await?;
    let key = startup::write_new_key(&dir.join("signing.key"))?;
    let config = daftar_app::Config {
        public_url: format!("http://127.0.0.1:{}", args.port),
        ..daftar_app::Config::default()
    };
    let app = startup::app(store, config, key);
    let logins = daftar_app::demo::seed(&app).await?;
    let invoice = daftar_app::demo::sample_invoice(&app).await?;
    let url = format!("http://127.0.0.1:{}/", args.port);
    println!();
    println!("Daftar demo city — {url}");
    println!("(database: daftar-data/demo/daftar.db; recreated on every `daftar demo`)");
    println!();
    for login in &logins {
        println!("  {:<38} {:<22} {}", login.role.name(Lang::En), login.name, login.credentials);
    }
    println!();
    println!("Citizens sign in with national ID and mobile; their one-time codes appear at {url}dev/outbox");
    println!("The agency's key goes in an `Authorization: Bearer …` header.");
    println!("A sample invoice to pay through the sandbox gateway: {url}invoices/{invoice}");
    let call = daftar_licensing::CallRules::demo().map_err(|e| anyhow::anyhow!("the demo call: {e}"))?;
    println!("The licensing call, its rules and sites: {url}calls/{}", call.code);
    println!();
    startup::run(app, std::net::SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    Ok(ExitCode::SUCCESS)
}

/// The public key as given: hex digits, or a file with them or with `/api/v1/keys`'s JSON.
fn public_key(given: &str) -> anyhow::Result<ed25519_dalek::VerifyingKey> {
    let text = match std::fs::read_to_string(given) {
        Ok(content) => content,
        Err(_) => given.to_string(),
    };
    let hex_text = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(json) => json["public_key_hex"].as_str().unwrap_or_default().to_string(),
        Err(_) => text.trim().to_string(),
    };
    let bytes: [u8; 32] = hex::decode(&hex_text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("the public key must be 64 hex digits (or the JSON of /api/v1/keys)")?;
    Ok(ed25519_dalek::VerifyingKey::from_bytes(&bytes)?)
}

/// Checks a signed PDF without the database: prints what its seal asserts, exit 1 if the
/// signature does not hold.
pub fn verify_document(file: &Path, given_key: &str) -> anyhow::Result<ExitCode> {
    let key = public_key(given_key)?;
    let pdf = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    match daftar_documents::verify_pdf(&pdf, &key) {
        Ok(payload) => {
            println!("signature OK (key {})", daftar_documents::key_id(&key));
            println!("kind: {}\nnumber: {}\ncode: {}", payload.kind, payload.number, payload.code);
            for (name, value) in &payload.essentials {
                println!("{name}: {value}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("signature NOT valid: {problem}");
            println!("{}", problem.message(Lang::Fa));
            Ok(ExitCode::FAILURE)
        }
    }
}
