//! `daftar licensing`: publishing a call, making its selection, and recomputing the selection
//! so anyone holding the database can check the published result.

use std::process::ExitCode;

use anyhow::Context;
use daftar_app::RequestMeta;
use daftar_app::audit::By;

use crate::cli::LicensingCommand;
use crate::startup;

pub async fn run(command: LicensingCommand) -> anyhow::Result<ExitCode> {
    match command {
        LicensingCommand::Publish { db, call } => {
            let source =
                std::fs::read_to_string(&call).with_context(|| format!("cannot read {}", call.display()))?;
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            let code = daftar_app::licensing::publish_call(
                &app,
                By::System("cli"),
                &RequestMeta::default(),
                &source,
            )
            .await
            .map_err(startup::explain)?;
            println!("call {code} published");
            Ok(ExitCode::SUCCESS)
        }
        LicensingCommand::Select { db, call } => {
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            let row =
                daftar_app::licensing::run_selection(&app, By::System("cli"), &RequestMeta::default(), &call)
                    .await
                    .map_err(startup::explain)?;
            let selection: serde_json::Value = serde_json::from_str(&row.selection)?;
            let count = |list: &str| selection[list].as_array().map_or(0, Vec::len);
            let sites = selection["selected"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["placement"]["placement"] == "site")
                .count();
            println!(
                "call {call}: {} selected ({sites} on municipal sites), {} in reserve; inputs digest {}",
                count("selected"),
                count("reserve"),
                row.inputs_digest
            );
            Ok(ExitCode::SUCCESS)
        }
        LicensingCommand::Rerank { db, call } => {
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            let rerun = daftar_app::licensing::rerank(&app, &call).await.map_err(startup::explain)?;
            for r in &rerun.ranking.ranked {
                let picked = rerun.selection.selected.iter().find(|s| s.national_id == r.national_id);
                let outcome = match picked.map(|s| &s.placement) {
                    Some(daftar_licensing::Placement::Site { code, .. }) => format!("selected, site {code}"),
                    Some(daftar_licensing::Placement::OwnPremises) => "selected, own premises".to_string(),
                    None => "reserve".to_string(),
                };
                println!(
                    "{:>3}  {}  {:>8}  {outcome}",
                    r.rank,
                    r.national_id.masked(),
                    r.final_score.normalize()
                );
            }
            println!("inputs digest {}", rerun.digest);
            match (&rerun.stored_digest, rerun.identical) {
                (Some(_), true) => {
                    println!("identical to the selection on record");
                    Ok(ExitCode::SUCCESS)
                }
                (Some(stored), false) => {
                    println!("DIFFERS from the selection on record (digest {stored})");
                    Ok(ExitCode::FAILURE)
                }
                (None, _) => {
                    println!("no selection on record yet");
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}
