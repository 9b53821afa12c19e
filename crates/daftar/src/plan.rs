//! `daftar plan`: importing the detailed plan and sweeping it.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use daftar_app::RequestMeta;
use daftar_app::audit::By;
use daftar_app::plan::{self, Capacity};
use daftar_zoning::import::{self, ImportError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::PlanCommand;
use crate::startup;

fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} ({per_sec}, {eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// Reads every record, advancing the bar; stops at the first bad one.
fn collect<T>(
    records: impl ExactSizeIterator<Item = Result<T, ImportError>>,
    what: &str,
) -> Result<Vec<T>, ImportError> {
    let bar = progress(records.len(), what);
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        out.push(record?);
        bar.inc(1);
    }
    bar.finish();
    Ok(out)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn is_shapefile(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("shp"))
}

fn shapefile_parts(path: &Path) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    Ok((read(path)?, read(&path.with_extension("dbf"))?))
}

fn geojson_text(path: &Path) -> anyhow::Result<String> {
    String::from_utf8(read(path)?).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

fn load_zones(path: &Path) -> anyhow::Result<Result<Vec<daftar_zoning::Zone>, ImportError>> {
    Ok(if is_shapefile(path) {
        let (shp, dbf) = shapefile_parts(path)?;
        collect(import::zones_from_shapefile_iter(&shp, &dbf), "zones")
    } else {
        collect(import::zones_from_geojson_iter(&geojson_text(path)?), "zones")
    })
}

fn load_parcels(path: &Path) -> anyhow::Result<Result<Vec<daftar_zoning::Parcel>, ImportError>> {
    Ok(if is_shapefile(path) {
        let (shp, dbf) = shapefile_parts(path)?;
        collect(import::parcels_from_shapefile_iter(&shp, &dbf), "parcels")
    } else {
        collect(import::parcels_from_geojson_iter(&geojson_text(path)?), "parcels")
    })
}

fn print_capacity(title: &str, rows: &std::collections::BTreeMap<String, Capacity>, total: &Capacity) {
    println!();
    println!(
        "{title:<10} {:>9} {:>9} {:>8} {:>8} {:>14} {:>16}",
        "parcels", "issued", "review", "no-build", "net area m²", "max floor m²"
    );
    let line = |name: &str, c: &Capacity| {
        println!(
            "{name:<10} {:>9} {:>9} {:>8} {:>8} {:>14} {:>16}",
            c.parcels,
            c.issued,
            c.needs_review,
            c.no_building,
            c.net_area.round_dp(0),
            c.max_total_floor_area.round_dp(0)
        );
    };
    for (name, capacity) in rows {
        line(name, capacity);
    }
    line("total", total);
}

pub async fn run(command: PlanCommand) -> anyhow::Result<ExitCode> {
    match command {
        PlanCommand::Import { db, rules, zones, parcels } => {
            if rules.is_none() && zones.is_none() && parcels.is_none() {
                bail!("nothing to import: give --rules, --zones and/or --parcels");
            }
            let by = By::System("cli");
            let meta = RequestMeta::default();
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            if let Some(path) = rules {
                let source = String::from_utf8(read(&path)?).context("the rules file is not UTF-8 text")?;
                let version = plan::import_rules(&app, by, &meta, &source).await.map_err(startup::explain)?;
                println!("plan rules {version} published");
            }
            let zones = match zones {
                Some(path) => {
                    Some(load_zones(&path)?.map_err(|e| startup::explain(plan::import_error("zones", &e)))?)
                }
                None => None,
            };
            let parcels = match parcels {
                Some(path) => {
                    load_parcels(&path)?.map_err(|e| startup::explain(plan::import_error("parcels", &e)))?
                }
                None => Vec::new(),
            };
            if zones.is_some() || !parcels.is_empty() {
                let spinner = ProgressBar::new_spinner();
                spinner.set_message("writing to the database");
                spinner.enable_steady_tick(std::time::Duration::from_millis(120));
                let done =
                    plan::import_map(&app, by, &meta, zones, parcels).await.map_err(startup::explain)?;
                spinner.finish_and_clear();
                match done.zones {
                    Some(z) => println!("imported {z} zones and {} parcels", done.parcels),
                    None => println!("imported {} parcels", done.parcels),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        PlanCommand::Sweep { db } => {
            let app = startup::cli_app(startup::open_store(&db.database_url).await?);
            let count = plan::current(&app).await.map_err(startup::explain)?.parcel_count();
            let bar = progress(count, "sheets");
            let ticker = bar.clone();
            let started = std::time::Instant::now();
            let sweep = plan::sweep(&app, move |n| ticker.set_position(n)).await.map_err(startup::explain)?;
            bar.finish_and_clear();
            let elapsed = started.elapsed().as_secs_f64();
            println!(
                "plan {}: {} parcels in {elapsed:.2} s ({:.0} sheets/s)",
                sweep.plan_version,
                sweep.total.parcels,
                sweep.total.parcels as f64 / elapsed.max(1e-9)
            );
            print_capacity("zone", &sweep.by_zone, &sweep.total);
            print_capacity("district", &sweep.by_district, &sweep.total);
            Ok(ExitCode::SUCCESS)
        }
    }
}
