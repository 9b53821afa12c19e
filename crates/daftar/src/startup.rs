//! Opening the database, loading the key and running the server.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use daftar_app::config::RateLimits;
use daftar_app::outbox::DevelopmentSms;
use daftar_app::{App, Config, SystemClock};
use daftar_store::Store;
use ed25519_dalek::SigningKey;

use crate::cli::{LimitArgs, ServeArgs};

/// Connects (creating the SQLite file and its folder when needed) and migrates.
pub async fn open_store(url: &str) -> anyhow::Result<Store> {
    let url = sqlite_url_with_create(url)?;
    let store =
        Store::connect(&url).await.with_context(|| format!("cannot open the database {}", redact(&url)))?;
    store.migrate().await.context("cannot apply the migrations")?;
    Ok(store)
}

/// For SQLite, makes the folder and asks for the file to be created.
fn sqlite_url_with_create(url: &str) -> anyhow::Result<String> {
    let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return Ok(url.to_string());
    };
    let file = path.split('?').next().unwrap_or(path);
    if let Some(dir) = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn load_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the signing key {}; make one with `daftar keys init --out {}`",
            path.display(),
            path.display()
        )
    })?;
    daftar_app::keys::decode(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Writes a new key file readable only by its owner; refuses to overwrite.
pub fn write_new_key(path: &Path) -> anyhow::Result<SigningKey> {
    if path.exists() {
        bail!("{} exists already; a signing key is never overwritten", path.display());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let key = daftar_app::keys::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    options.open(path)?.write_all(daftar_app::keys::encode(&key).as_bytes())?;
    Ok(key)
}

/// An application for one-off commands: no workers, no signing (a generated key is never used
/// to sign: only servers sign checkpoints).
pub fn cli_app(store: Store) -> App {
    App::new(
        store,
        Config::default(),
        Arc::new(SystemClock),
        daftar_app::keys::generate(),
        Arc::new(DevelopmentSms),
    )
}

/// A use case's refusal as an error, printing field errors in both languages first.
pub fn explain(err: daftar_app::AppError) -> anyhow::Error {
    if let daftar_app::AppError::Invalid(fields) = &err {
        for field in fields {
            eprintln!("{}", field.text(daftar_types::Lang::En));
            eprintln!("{}", field.text(daftar_types::Lang::Fa));
        }
        return anyhow::anyhow!("refused");
    }
    err.into()
}

pub fn config(behind_tls: bool, limits: &LimitArgs) -> Config {
    Config {
        behind_tls,
        rate_limits: RateLimits {
            sign_in_per_account: limits.sign_in_per_account,
            sign_in_per_peer: limits.sign_in_per_peer,
            codes_per_national_id: limits.codes_per_national_id,
            codes_per_peer: limits.codes_per_peer,
            ..RateLimits::default()
        },
        ..Config::default()
    }
}

/// The application of a server. In development mode the sandbox payment gateway, served by
/// Daftar itself at its public address, is connected.
pub fn app(store: Store, config: Config, key: SigningKey) -> App {
    tracing::warn!("SMS provider: development (messages are written to the log and the outbox, not sent)");
    let sandbox = daftar_app::gateway::SandboxGateway::new(&config.public_url, config.gateway_secret.clone());
    let development = config.development_sms;
    let app = App::new(store, config, Arc::new(SystemClock), key, Arc::new(DevelopmentSms));
    if development {
        tracing::warn!("payment gateway: the development sandbox");
        app.with_gateway(Arc::new(sandbox))
    } else {
        app
    }
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn run(app: App, listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let workers = app.spawn_workers();
    tracing::info!(address = %listener.local_addr()?, "serving");
    daftar_web::serve(listener, app, shutdown_signal()).await?;
    for worker in workers {
        worker.abort();
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The gateway secret from its file (surrounding whitespace ignored), or a fresh one for this
/// process alone.
fn gateway_secret(path: Option<&Path>) -> anyhow::Result<daftar_app::config::Secret> {
    let Some(path) = path else {
        tracing::warn!("no gateway secret file: payment callbacks verify only on this process");
        return Ok(daftar_app::config::Secret::generate());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let secret = text.trim();
    if secret.len() < 32 {
        bail!("{}: a gateway secret needs at least 32 characters", path.display());
    }
    Ok(daftar_app::config::Secret::new(secret.as_bytes().to_vec()))
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    let store = open_store(&args.db.database_url).await?;
    let key = load_key(&args.key.signing_key)?;
    let config = Config {
        gateway_secret: gateway_secret(args.gateway_secret_file.as_deref())?,
        public_url: args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen)),
        ..config(args.behind_tls, &args.limits)
    };
    let app = app(store, config, key);
    run(app, args.listen).await?;
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(redact("postgres://daftar:secret@db/daftar"), "postgres://daftar:***@db/daftar");
        assert_eq!(redact("postgres://db/daftar"), "postgres://db/daftar");
        assert_eq!(redact("sqlite://daftar-data/daftar.db"), "sqlite://daftar-data/daftar.db");
    }

    #[test]
    fn gateway_secrets_come_from_their_file() {
        let dir = std::env::temp_dir().join(format!("daftar-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good");
        std::fs::write(&good, "  0123456789abcdef0123456789abcdef\n").unwrap();
        let secret = gateway_secret(Some(&good)).unwrap();
        assert_eq!(secret.expose(), b"0123456789abcdef0123456789abcdef");
        let short = dir.join("short");
        std::fs::write(&short, "tooshort").unwrap();
        assert!(gateway_secret(Some(&short)).is_err());
        assert!(gateway_secret(Some(&dir.join("missing"))).is_err());
        assert_ne!(gateway_secret(None).unwrap(), gateway_secret(None).unwrap(), "a fresh one each time");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn sqlite_urls_ask_for_creation() {
        let dir = std::env::temp_dir().join(format!("daftar-url-{}", std::process::id()));
        let url = format!("sqlite://{}/x.db", dir.display());
        assert_eq!(sqlite_url_with_create(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.exists());
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(sqlite_url_with_create("postgres://h/db").unwrap(), "postgres://h/db");
    }
}
