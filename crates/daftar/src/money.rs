//! `daftar money`: publishing fee bylaws, reconciling a month, billing rent.

use std::process::ExitCode;

use anyhow::Context;
use daftar_app::RequestMeta;
use daftar_app::audit::By;
use daftar_app::money::{Period, Reconciliation};
use daftar_types::{Lang, Rials};

use crate::cli::MoneyCommand;
use crate::startup;

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
        MoneyCommand::Reconcile { db, period } => {
            let period = Period::parse(&period).map_err(startup::explain)?;
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            let report = daftar_app::money::reconcile(&app, By::System("cli"), period)
                .await
                .map_err(startup::explain)?;
            print_reconciliation(&report);
            Ok(if report.balanced() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        MoneyCommand::BillRent { db, period } => {
            let period = Period::parse(&period).map_err(startup::explain)?;
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            let issued =
                daftar_app::money::bill_rent(&app, By::System("cli"), &RequestMeta::default(), period)
                    .await
                    .map_err(startup::explain)?;
            for invoice in &issued {
                println!(
                    "{}  {}  {}",
                    invoice.public_id,
                    invoice.owner_id,
                    Rials::new(invoice.total).format(Lang::En)
                );
            }
            println!("{} rent invoice(s) issued for {}", issued.len(), period.label());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_reconciliation(report: &Reconciliation) {
    let rials = |n: i64| Rials::new(n).format(Lang::En);
    println!(
        "period {}: {} payments, {} refunds",
        report.period,
        report.payments.len(),
        report.refunds.len()
    );
    println!("  received  {}", rials(report.received));
    println!("  shared    {}", rials(report.shared));
    if report.closed {
        println!("  settled   {}", rials(report.settled));
    } else {
        println!("  settled   (the month is not closed)");
    }
    for party in &report.by_party {
        println!("  {:<14} {} (settled {})", party.party_key, rials(party.amount), rials(party.settled));
    }
    if report.balanced() {
        println!("everything agrees");
    }
    for d in &report.differences {
        println!(
            "  DIFFERENCE {} {}: expected {}, recorded {}",
            d.kind,
            d.subject,
            rials(d.expected),
            rials(d.actual)
        );
    }
}
