//! `daftar money`: publishing fee bylaws and reconciling payments.

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use daftar_app::RequestMeta;
use daftar_app::audit::By;
use daftar_types::{JalaliDate, Lang, Rials};

use crate::cli::MoneyCommand;
use crate::startup;

fn jalali(text: &str, what: &str) -> anyhow::Result<JalaliDate> {
    JalaliDate::parse(text).map_err(|e| anyhow!("--{what}: {}", e.message(Lang::En)))
}

pub async fn run(command: MoneyCommand) -> anyhow::Result<ExitCode> {
    match command {
        MoneyCommand::Publish { db, bylaw } => {
            let source = std::fs::read_to_string(&bylaw)
                .with_context(|| format!("cannot read {}", bylaw.display()))?;
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            match daftar_app::fees::publish_bylaw(&app, By::System("cli"), &RequestMeta::default(), &source)
                .await
            {
                Ok(version) => {
                    println!("fee bylaw {version} published");
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => Err(startup::explain(err)),
            }
        }
        MoneyCommand::Reconcile { db, from, to } => {
            let (first, last) = (jalali(&from, "from")?, jalali(&to, "to")?);
            let end = last.add_days(1).ok_or_else(|| anyhow!("--to is the last day of the calendar"))?;
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            let report = daftar_app::money::reconcile(
                &app,
                By::System("cli"),
                first.start_of_day_tehran().unix(),
                end.start_of_day_tehran().unix(),
            )
            .await
            .map_err(startup::explain)?;
            let rials = |n: i64| Rials::new(n).format(Lang::En);
            println!(
                "payments {} to {}: {}",
                first.format_numeric(Lang::En),
                last.format_numeric(Lang::En),
                report.payments
            );
            println!("  paid    {}", rials(report.paid));
            println!("  shared  {}", rials(report.shared));
            for (party, amount) in &report.by_party {
                println!("  {party:<14} {}", rials(*amount));
            }
            if report.differences.is_empty() {
                println!("every payment equals the sum of its shares");
                Ok(ExitCode::SUCCESS)
            } else {
                for d in &report.differences {
                    println!(
                        "  DIFFERENCE payment {} (invoice {}): paid {}, shared {}",
                        d.payment_id,
                        d.invoice_id,
                        rials(d.amount),
                        rials(d.shared)
                    );
                }
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
