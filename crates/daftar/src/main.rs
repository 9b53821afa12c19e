//! `daftar`: the one binary. Serves the pages and API, runs the demo, migrates, and
//! maintains the audit chain, accounts and keys.

mod cli;
mod commands;
mod licensing;
mod money;
mod plan;
mod startup;
mod telemetry;

use clap::Parser;

use crate::cli::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => startup::serve(args).await,
        Command::Demo(args) => commands::demo(args).await,
        Command::Migrate(db) => commands::migrate(db).await,
        Command::Audit(command) => commands::audit(command).await,
        Command::User(command) => commands::user(command).await,
        Command::Keys(command) => commands::keys(command),
        Command::Plan(command) => plan::run(command).await,
        Command::Money(command) => money::run(command).await,
        Command::Licensing(command) => licensing::run(command).await,
        Command::Verify { file, public_key } => commands::verify_document(&file, &public_key),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("daftar: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
