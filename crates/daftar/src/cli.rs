//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "daftar", version, about = "City e-services offices: permits, zoning, fees and licensing")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "DAFTAR_LOG_FORMAT")]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web pages and the API.
    Serve(ServeArgs),
    /// Create a fresh demo city in ./daftar-data/demo, print its logins and serve it.
    Demo(DemoArgs),
    /// Apply the database migrations and exit.
    Migrate(DbArgs),
    /// The audit chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// The signing key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The detailed plan: import rules and maps, sweep every parcel.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Money: publish fee bylaws, reconcile payments.
    #[command(subcommand)]
    Money(MoneyCommand),
    /// Licensing calls: publish a call, make its selection, recompute a selection.
    #[command(subcommand)]
    Licensing(LicensingCommand),
    /// Check a permit or certificate PDF offline against the city's published public key.
    Verify {
        /// The PDF to check.
        file: PathBuf,
        /// The city's public key: 64 hex digits, or a file holding them or the JSON that
        /// `/api/v1/keys` serves.
        #[arg(long)]
        public_key: String,
    },
}

#[derive(Subcommand)]
pub enum LicensingCommand {
    /// Publish a licensing call (TOML; format in crates/licensing/README.md).
    Publish {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        call: PathBuf,
    },
    /// Rank a call's applicants and select them, assigning the municipal sites: once per call
    /// (any number of processes may try at once; the database lets one succeed).
    Select {
        #[command(flatten)]
        db: DbArgs,
        /// The call's code, e.g. EO-1405-1.
        call: String,
    },
    /// Recompute a call's ranking and selection from its stored inputs and compare them with the
    /// selection on record; prints the ranking and the inputs digest. Exits 1 when they differ.
    Rerank {
        #[command(flatten)]
        db: DbArgs,
        /// The call's code, e.g. EO-1405-1.
        call: String,
    },
}

#[derive(Subcommand)]
pub enum MoneyCommand {
    /// Publish a fee bylaw version (TOML); it applies from its effective date.
    Publish {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        bylaw: PathBuf,
    },
    /// Reconcile a Jalali month: payments less refunds = the sum of their shares = the sum of
    /// settlements; print the totals by party. Exits 1 when anything differs.
    Reconcile {
        #[command(flatten)]
        db: DbArgs,
        /// The month, Jalali, e.g. 1405/09.
        #[arg(long)]
        period: String,
    },
    /// Bill a Jalali month's rent to every office on a municipal site (each month once; safe
    /// to run again, e.g. from a monthly timer).
    BillRent {
        #[command(flatten)]
        db: DbArgs,
        /// The month, Jalali, e.g. 1405/09.
        #[arg(long)]
        period: String,
    },
}

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Import a rule version and/or the zone map and parcels (GeoJSON `.geojson`/`.json`, or
    /// Shapefile `.shp` with its `.dbf` beside it). All or nothing: a bad feature stops the
    /// import and is named by index, field and reason.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// A plan rules file (TOML), published as a new version.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The zone map; replaces the current one.
        #[arg(long)]
        zones: Option<PathBuf>,
        /// Parcels; a parcel key already present is updated.
        #[arg(long)]
        parcels: Option<PathBuf>,
    },
    /// Compute every parcel's instruction sheet and print the capacity by zone and district.
    Sweep {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Args, Clone)]
pub struct DbArgs {
    /// sqlite://path/to/file.db or postgres://user@host/db. The default is an embedded SQLite
    /// file under ./daftar-data/.
    #[arg(long, env = "DAFTAR_DATABASE_URL", default_value = "sqlite://daftar-data/daftar.db")]
    pub database_url: String,
}

#[derive(Args, Clone)]
pub struct KeyArgs {
    /// The ed25519 signing key file (made by `daftar keys init`).
    #[arg(long, env = "DAFTAR_SIGNING_KEY_FILE", default_value = "daftar-data/signing.key")]
    pub signing_key: PathBuf,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Address to listen on.
    #[arg(long, env = "DAFTAR_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Send HSTS: the deployment sits behind a TLS-terminating proxy.
    #[arg(long, env = "DAFTAR_BEHIND_TLS")]
    pub behind_tls: bool,
    /// A file holding the key payment gateways sign their callbacks with. Every server of a
    /// deployment must use the same one; without it each process makes its own and only its own
    /// gateway callbacks verify.
    #[arg(long, env = "DAFTAR_GATEWAY_SECRET_FILE")]
    pub gateway_secret_file: Option<PathBuf>,
    /// The address people and gateways reach this deployment at (default: http://LISTEN).
    #[arg(long, env = "DAFTAR_PUBLIC_URL")]
    pub public_url: Option<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Clone)]
pub struct LimitArgs {
    /// Sign-in attempts allowed per account in each 15-minute window.
    #[arg(long, env = "DAFTAR_LIMIT_SIGN_IN_PER_ACCOUNT", default_value_t = 10)]
    pub sign_in_per_account: i64,
    /// Sign-in attempts allowed per peer address in each window.
    #[arg(long, env = "DAFTAR_LIMIT_SIGN_IN_PER_PEER", default_value_t = 50)]
    pub sign_in_per_peer: i64,
    /// One-time codes allowed per national ID in each window.
    #[arg(long, env = "DAFTAR_LIMIT_CODES_PER_NATIONAL_ID", default_value_t = 5)]
    pub codes_per_national_id: i64,
    /// One-time codes allowed per peer address in each window.
    #[arg(long, env = "DAFTAR_LIMIT_CODES_PER_PEER", default_value_t = 30)]
    pub codes_per_peer: i64,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the chain and its checkpoints; exit non-zero naming the first bad record.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        key: KeyArgs,
        /// Checkpoints exported earlier (JSON lines), to catch records removed from the end.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
    },
    /// Sequence pending records and sign a checkpoint now; prints it as a JSON line.
    Checkpoint {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Print every signed checkpoint as JSON lines, to keep outside the database.
    Export {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a staff account with one role. The password is read from standard input.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        /// Full name, as shown in the interface.
        #[arg(long)]
        name: String,
        /// A role code: admin, supervisor, finance, office_expert, district_reviewer, ...
        #[arg(long)]
        role: String,
        /// Office code, for office roles.
        #[arg(long)]
        office: Option<String>,
        /// District code, for district roles.
        #[arg(long)]
        district: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key file (refuses to overwrite one).
    Init {
        #[arg(long, default_value = "daftar-data/signing.key")]
        out: PathBuf,
    },
}
