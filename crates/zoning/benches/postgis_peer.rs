//! Daftar's zoning engine against PostGIS on the same generated city, loading excluded on both
//! sides:
//!
//! - lookups: Daftar's `SpatialIndex::parcel_at` over every point, against one server-side
//!   PostGIS spatial join of the same points to the parcels (its best case: no round trips);
//! - the sweep: Daftar computing every parcel's zone context and instruction sheet, against one
//!   SQL statement doing the same spatial join and the sheet arithmetic of the sample plan.
//!
//! Both sides aggregate what they computed (matches, sheets by zone and status, capacity) and the
//! aggregates are compared, so the two sides provably did the same work. A measurement, not a
//! test: run by `bench/zoning-vs-postgis.sh`, kept out of CI.
//!
//! Environment: `BENCH_PARCELS` (default 1,000,000), `BENCH_POINTS` (default 1,000,000),
//! `BENCH_THREADS` (Daftar's threads, default 2), `BENCH_RUNS` (timed runs per side, the best
//! is reported; default 3), `DAFTAR_POSTGIS_URL` (a server whose user may create databases;
//! default `postgres://postgres@127.0.0.1:5432/postgres`). The bench creates and drops its own
//! database `daftar_postgis_bench_<pid>` (`BENCH_KEEP_DATABASE=1` keeps it for inspection).

use daftar_zoning::plan::{Parcel, PlanRules, Zone};
use daftar_zoning::sheet::SheetStatus;
use daftar_zoning::spatial::SpatialIndex;
use daftar_zoning::sweep::{SheetCapacity, capacity};
use daftar_zoning::synth::{SynthCity, SynthConfig};
use geo::{BoundingRect, Polygon};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection, Row};
use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::str::FromStr;
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn Error>>;

/// The same seed as the `sheet` bench: the same city on both sides and across benches.
const SEED: u64 = 2026;
/// The demo plan's coordinate system (UTM zone 39N).
const SRID: u32 = 32639;
/// Share of lookup points that fall in streets, where no parcel is.
const STREET_POINTS_PERCENT: u64 = 10;

struct Settings {
    parcels: usize,
    points: usize,
    threads: usize,
    runs: usize,
    url: String,
    /// Keep the scratch database for inspection (`BENCH_KEEP_DATABASE=1`).
    keep_database: bool,
}

fn env_usize(name: &str, default: usize) -> Res<usize> {
    match std::env::var(name) {
        Ok(v) => Ok(v.replace(['_', ','], "").trim().parse().map_err(|e| format!("{name}={v}: {e}"))?),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> Res<Settings> {
        Ok(Settings {
            parcels: env_usize("BENCH_PARCELS", 1_000_000)?.max(1),
            points: env_usize("BENCH_POINTS", 1_000_000)?.max(1),
            threads: env_usize("BENCH_THREADS", 2)?.max(1),
            runs: env_usize("BENCH_RUNS", 3)?.max(1),
            url: std::env::var("DAFTAR_POSTGIS_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
            keep_database: env_usize("BENCH_KEEP_DATABASE", 0)? != 0,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic lookup points
// ---------------------------------------------------------------------------------------------

/// splitmix64, for reproducible points.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }
}

/// Points inside random parcels (away from their edges, so no point sits on a shared boundary),
/// and some on street centre lines, where no parcel is.
fn lookup_points(city: &SynthCity, parcels: &[Parcel], n: usize) -> Vec<(f64, f64)> {
    let mut rng = Rng(SEED ^ 0x5EED_0F90_1D00);
    let (ox, oy) = city.config.origin;
    let y_max = city.horizontal_streets.last().map_or(0.0, |s| s.position_cm as f64 / 100.0);
    (0..n)
        .map(|_| {
            if rng.next_u64() % 100 < STREET_POINTS_PERCENT {
                let street = &city.vertical_streets[rng.below(city.vertical_streets.len())];
                (ox + street.position_cm as f64 / 100.0, oy + rng.unit() * y_max)
            } else {
                let p = &parcels[rng.below(parcels.len())];
                match p.polygon.bounding_rect() {
                    Some(r) => {
                        let (fx, fy) = (0.05 + 0.9 * rng.unit(), 0.05 + 0.9 * rng.unit());
                        (r.min().x + fx * r.width(), r.min().y + fy * r.height())
                    }
                    None => (ox, oy),
                }
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Loading PostGIS (untimed)
// ---------------------------------------------------------------------------------------------

/// Appends bytes as lowercase hex.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

fn push_u32(out: &mut String, v: u32) {
    push_hex(out, &v.to_le_bytes());
}

fn push_len(out: &mut String, n: usize) {
    push_u32(out, u32::try_from(n).unwrap_or(u32::MAX));
}

/// Little-endian WKB geometry header, with the SRID flag when `srid` is given.
fn push_header(out: &mut String, kind: u32, srid: Option<u32>) {
    push_hex(out, &[1]);
    match srid {
        Some(s) => {
            push_u32(out, kind | 0x2000_0000);
            push_u32(out, s);
        }
        None => push_u32(out, kind),
    }
}

/// The rings of a polygon in WKB: exact, unlike decimal text.
fn push_rings(out: &mut String, p: &Polygon<f64>) {
    push_len(out, 1 + p.interiors().len());
    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
        push_len(out, ring.0.len());
        for c in &ring.0 {
            push_hex(out, &c.x.to_le_bytes());
            push_hex(out, &c.y.to_le_bytes());
        }
    }
}

fn ewkb_polygon(out: &mut String, p: &Polygon<f64>) {
    push_header(out, 3, Some(SRID));
    push_rings(out, p);
}

fn ewkb_multipolygon(out: &mut String, z: &Zone) {
    push_header(out, 6, Some(SRID));
    push_len(out, z.polygon.0.len());
    for p in &z.polygon.0 {
        push_header(out, 3, None);
        push_rings(out, p);
    }
}

fn ewkb_point(out: &mut String, x: f64, y: f64) {
    push_header(out, 1, Some(SRID));
    push_hex(out, &x.to_le_bytes());
    push_hex(out, &y.to_le_bytes());
}

/// A COPY text field: `\N` for NULL. Keys and codes hold no tabs, newlines or backslashes.
fn push_opt<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("\\N"),
    }
}

async fn copy_rows<T>(
    conn: &mut PgConnection,
    statement: &str,
    rows: &[T],
    mut row: impl FnMut(&mut String, usize, &T),
) -> Res<()> {
    const CHUNK: usize = 8 << 20;
    let mut copy = conn.copy_in_raw(statement).await?;
    let mut buf = String::with_capacity(CHUNK + 4096);
    for (i, r) in rows.iter().enumerate() {
        row(&mut buf, i, r);
        buf.push('\n');
        if buf.len() >= CHUNK {
            copy.send(std::mem::take(&mut buf).into_bytes()).await?;
            buf.reserve(CHUNK + 4096);
        }
    }
    if !buf.is_empty() {
        copy.send(buf.into_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

const SCHEMA: &str = "
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE zone_rules (
    code text NOT NULL,
    building_zone boolean NOT NULL,
    floors integer NOT NULL,
    coverage numeric NOT NULL,
    far numeric NOT NULL,
    min_parcel_area numeric,
    min_street_width numeric
);
CREATE TABLE zones (
    id integer NOT NULL,
    code text NOT NULL,
    geom geometry(MultiPolygon, 32639) NOT NULL
);
CREATE TABLE parcels (
    id integer NOT NULL,
    parcel_key text NOT NULL,
    geom geometry(Polygon, 32639) NOT NULL,
    deed_area numeric NOT NULL,
    depth numeric NOT NULL,
    regional_value_p bigint NOT NULL,
    merged_parcels integer NOT NULL,
    frontage_count integer NOT NULL,
    f1_length numeric,
    f1_existing_width numeric,
    f1_approved_width numeric,
    f2_length numeric,
    f2_existing_width numeric,
    f2_approved_width numeric
);
CREATE TABLE points (
    id integer NOT NULL,
    geom geometry(Point, 32639) NOT NULL
);
";

/// Each GiST index built the way that answered its join fastest here: the parcels' with
/// `buffering = on` (the classic build; its tree answered the point lookups up to a quarter
/// faster than the default sorted build of PostgreSQL 15), the zones' with the default sorted
/// build (three times fewer pages visited per probe than the classic build on this tiling).
const INDEXES: &str = "
ALTER TABLE zone_rules ADD PRIMARY KEY (code);
ALTER TABLE zones ADD PRIMARY KEY (id);
ALTER TABLE parcels ADD PRIMARY KEY (id);
ALTER TABLE points ADD PRIMARY KEY (id);
CREATE INDEX zones_geom ON zones USING gist (geom);
CREATE INDEX parcels_geom ON parcels USING gist (geom) WITH (buffering = on);
";

async fn load(
    conn: &mut PgConnection,
    rules: &PlanRules,
    parcels: &[Parcel],
    zones: &[Zone],
    points: &[(f64, f64)],
) -> Res<Duration> {
    sqlx::raw_sql(SCHEMA).execute(&mut *conn).await?;

    copy_rows(conn, "COPY zone_rules FROM STDIN", &rules.zones, |b, _, z| {
        let _ = write!(b, "{}\t{}\t{}\t{}\t{}\t", z.code, z.building_zone, z.floors, z.coverage(), z.far());
        push_opt(b, z.min_parcel_area);
        b.push('\t');
        push_opt(b, z.min_street_width);
    })
    .await?;
    copy_rows(conn, "COPY zones FROM STDIN", zones, |b, i, z| {
        let _ = write!(b, "{i}\t{}\t", z.code);
        ewkb_multipolygon(b, z);
    })
    .await?;
    copy_rows(conn, "COPY parcels FROM STDIN", parcels, |b, i, p| {
        let _ = write!(b, "{i}\t{}\t", p.parcel_key);
        ewkb_polygon(b, &p.polygon);
        let _ = write!(
            b,
            "\t{}\t{}\t{}\t{}\t{}",
            p.deed_area,
            p.depth,
            p.regional_value_p,
            p.merged_parcels,
            p.frontages.len()
        );
        for k in 0..2 {
            let f = p.frontages.get(k);
            for v in [f.map(|f| f.length), f.map(|f| f.existing_width), f.map(|f| f.approved_width)] {
                b.push('\t');
                push_opt(b, v);
            }
        }
    })
    .await?;
    copy_rows(conn, "COPY points FROM STDIN", points, |b, i, &(x, y)| {
        let _ = write!(b, "{i}\t");
        ewkb_point(b, x, y);
    })
    .await?;

    let started = Instant::now();
    sqlx::raw_sql(INDEXES).execute(&mut *conn).await?;
    let index_time = started.elapsed();
    for table in ["zone_rules", "zones", "parcels", "points"] {
        sqlx::raw_sql(AssertSqlSafe(format!("VACUUM (ANALYZE) {table}"))).execute(&mut *conn).await?;
    }
    // Write the loaded pages out now, so that the checkpoint they call for does not run during a
    // timed run (of either side). Needs a superuser or pg_checkpoint; without it, carry on.
    if let Err(e) = sqlx::raw_sql("CHECKPOINT").execute(&mut *conn).await {
        eprintln!("  CHECKPOINT refused ({e}): background writes may overlap the first runs");
    }
    Ok(index_time)
}

// ---------------------------------------------------------------------------------------------
// The compared work
// ---------------------------------------------------------------------------------------------

/// Point → parcel: every point joined to the parcel polygon that holds it (boundary included,
/// as `parcel_at`), through the GiST index; only a count and a checksum cross the wire.
const LOOKUP_SQL: &str = "
SELECT count(*), coalesce(sum(p.id::bigint), 0)::bigint
FROM points t
JOIN parcels p ON ST_Intersects(p.geom, t.geom)
";

/// The sweep: each parcel's zone (the zone polygon holding its point-on-surface), the share of
/// its area outside that zone, and the sample plan's sheet arithmetic (rules 1–7 with the
/// parcel-data, zone, overlap, green-zone, reserve-land, net-area and depth checks), summed by
/// zone and status. Mirrors `instruction_sheet`: the zone table is the `zone_rules` table, the
/// plan-wide numbers are the same `PlanRules` written into the statement as literals.
///
/// The `OFFSET 0` fences keep PostgreSQL from inlining the named intermediate figures into every
/// expression that uses them (it would evaluate `ST_CoveredBy` and the net area many times over)
/// while the spatial join and the first figures still run in parallel workers: the fastest form
/// of this statement found on PostgreSQL 15 / PostGIS 3.3.
fn sweep_sql(rules: &PlanRules) -> String {
    let setback_share = rules.net_area.setback_share;
    let reserve_min = rules.reserve_land.min_deed_area;
    let lost = rules.floors.floors_lost_per_unmet_condition;
    let min_floors = rules.floors.min_floors_in_building_zone;
    let depth_share = rules.depth.share;
    let depth_allowance = rules.depth.allowance;
    let bonus_per_extra = rules.consolidation.bonus_percent_per_extra_parcel / Decimal::ONE_HUNDRED;
    let bonus_floors = rules.consolidation.bonus_floors;
    let max_outside = rules.zone_overlap.max_outside_share();
    let max_frontages = rules.frontages.max_count;
    format!(
        "
SELECT zone, status, count(*)::bigint,
       coalesce(sum(max_footprint) FILTER (WHERE figures), 0)::text,
       coalesce(sum(max_total_floor_area) FILTER (WHERE figures), 0)::text,
       coalesce(sum(allowed_floors) FILTER (WHERE figures), 0)::text,
       coalesce(sum(max_depth) FILTER (WHERE figures), 0)::text
FROM (
    SELECT zone, figures,
        CASE
            WHEN data_problem OR building_zone IS NULL THEN 'needs_review'
            WHEN NOT building_zone THEN
                CASE WHEN overlap THEN 'needs_review' ELSE 'no_building_permit' END
            WHEN NOT figures OR overlap OR max_depth <= 0 THEN 'needs_review'
            ELSE 'issued'
        END AS status,
        coverage * net_area AS max_footprint,
        least(far, base_floors * coverage) * net_area + bonus AS max_total_floor_area,
        base_floors + {bonus_floors} * (bonus > 0)::integer AS allowed_floors,
        max_depth
    FROM (
        SELECT h.*,
            greatest(
                floors
                    - {lost} * (net_area < coalesce(min_parcel_area, 0))::integer
                    - {lost} * (main_approved_width < coalesce(min_street_width, 0))::integer,
                {min_floors}) AS base_floors,
            least({bonus_per_extra} * (merged_parcels - 1), {bonus_floors} * coverage)
                * net_area AS bonus,
            {depth_share} * (depth - main_setback) + {depth_allowance} AS max_depth,
            coalesce(NOT data_problem AND building_zone AND NOT reserve AND net_area > 0, false)
                AS figures
        FROM (
            SELECT g.*,
                deed_area - f1_length * d1 - coalesce(f2_length * d2, 0) + coalesce(d1 * d2, 0)
                    AS net_area,
                CASE WHEN second_is_main THEN f2_approved_width ELSE f1_approved_width END
                    AS main_approved_width,
                CASE WHEN second_is_main THEN d2 ELSE d1 END AS main_setback
            FROM (
                SELECT
                    coalesce(z.code, '-') AS zone,
                    r.building_zone, r.floors, r.coverage, r.far, r.min_parcel_area,
                    r.min_street_width,
                    p.deed_area, p.depth, p.merged_parcels,
                    p.f1_length, p.f1_approved_width, p.f2_length, p.f2_approved_width,
                    greatest(p.f1_approved_width - p.f1_existing_width, 0) * {setback_share} AS d1,
                    greatest(p.f2_approved_width - p.f2_existing_width, 0) * {setback_share} AS d2,
                    coalesce(p.f2_approved_width > p.f1_approved_width
                        OR (p.f2_approved_width = p.f1_approved_width
                            AND p.f2_length > p.f1_length), false) AS second_is_main,
                    p.frontage_count > {max_frontages} OR p.frontage_count = 0
                        OR p.deed_area <= 0 OR p.depth <= 0 OR p.merged_parcels = 0
                        OR coalesce(p.f1_length <= 0 OR p.f1_existing_width < 0
                            OR p.f1_approved_width < 0, false)
                        OR coalesce(p.f2_length <= 0 OR p.f2_existing_width < 0
                            OR p.f2_approved_width < 0, false) AS data_problem,
                    p.deed_area >= {reserve_min} AS reserve,
                    CASE
                        WHEN z.id IS NULL THEN 1
                        WHEN ST_CoveredBy(p.geom, z.geom) THEN 0
                        ELSE greatest(1 - round((ST_Area(ST_Intersection(p.geom, z.geom))
                            / ST_Area(p.geom))::numeric, 4), 0)
                    END > {max_outside} AS overlap
                FROM parcels p
                LEFT JOIN zones z ON ST_Intersects(z.geom, ST_PointOnSurface(p.geom))
                LEFT JOIN zone_rules r ON r.code = z.code
                OFFSET 0
            ) g
        ) h
    ) s
    OFFSET 0
) sheet
GROUP BY zone, status
ORDER BY zone, status
"
    )
}

fn status_key(s: SheetStatus) -> &'static str {
    match s {
        SheetStatus::Issued => "issued",
        SheetStatus::NeedsReview => "needs_review",
        SheetStatus::NoBuildingPermit => "no_building_permit",
    }
}

/// Sheets of one zone and status, and the sums of their figures (sheets with figures only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Tally {
    sheets: u64,
    max_footprint: Decimal,
    max_total_floor_area: Decimal,
    allowed_floors: Decimal,
    max_depth: Decimal,
}

type Tallies = BTreeMap<(String, String), Tally>;

/// One thread's share of the sweep, keyed cheaply: the zone codes are few.
#[derive(Default)]
struct LocalTallies(Vec<(Option<String>, SheetStatus, Tally)>);

impl LocalTallies {
    fn add(&mut self, zone: Option<&str>, sheet: &SheetCapacity) {
        let slot = match self.0.iter().position(|(z, s, _)| z.as_deref() == zone && *s == sheet.status) {
            Some(i) => i,
            None => {
                self.0.push((zone.map(str::to_owned), sheet.status, Tally::default()));
                self.0.len() - 1
            }
        };
        let t = &mut self.0[slot].2;
        t.sheets += 1;
        if let (Some(footprint), Some(total), Some(floors), Some(depth)) =
            (sheet.max_footprint, sheet.max_total_floor_area, sheet.allowed_floors, sheet.max_depth)
        {
            t.max_footprint += footprint;
            t.max_total_floor_area += total;
            t.allowed_floors += floors;
            t.max_depth += depth;
        }
    }

    fn merge_into(self, out: &mut Tallies) {
        for (zone, status, t) in self.0 {
            let key = (zone.unwrap_or_else(|| "-".to_owned()), status_key(status).to_owned());
            let e = out.entry(key).or_default();
            e.sheets += t.sheets;
            e.max_footprint += t.max_footprint;
            e.max_total_floor_area += t.max_total_floor_area;
            e.allowed_floors += t.allowed_floors;
            e.max_depth += t.max_depth;
        }
    }
}

/// Every parcel's zone context and sheet figures (`sweep::capacity`: the sheet's arithmetic
/// without its explanation texts), split evenly over `threads` threads.
fn daftar_sweep(rules: &PlanRules, index: &SpatialIndex, threads: usize) -> Tallies {
    let parcels = index.parcels.parcels();
    let chunk = parcels.len().div_ceil(threads).max(1);
    let locals: Vec<LocalTallies> = std::thread::scope(|s| {
        let handles: Vec<_> = parcels
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut local = LocalTallies::default();
                    for p in part {
                        let context = index.zone_context_for(p);
                        let zone = context.zone_code.clone();
                        local.add(zone.as_deref(), &capacity(rules, p, context));
                    }
                    local
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut out = Tallies::new();
    for l in locals {
        l.merge_into(&mut out);
    }
    out
}

/// Matches and the sum of the matched parcels' positions (the `id` loaded into PostGIS).
fn daftar_lookups(index: &SpatialIndex, points: &[(f64, f64)], threads: usize) -> (u64, i64) {
    let base = index.parcels.parcels().as_ptr().addr();
    let size = std::mem::size_of::<Parcel>();
    let chunk = points.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = points
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let (mut n, mut sum) = (0u64, 0i64);
                    for &(x, y) in part {
                        if let Some(p) = index.parcel_at(x, y) {
                            n += 1;
                            sum += i64::try_from((std::ptr::from_ref(p).addr() - base) / size).unwrap_or(0);
                        }
                    }
                    (n, sum)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    })
}

async fn postgis_lookups(conn: &mut PgConnection) -> Res<(u64, i64)> {
    let row = sqlx::query(LOOKUP_SQL).fetch_one(&mut *conn).await?;
    let n: i64 = row.try_get(0)?;
    Ok((u64::try_from(n)?, row.try_get(1)?))
}

async fn postgis_sweep(conn: &mut PgConnection, sql: &str) -> Res<Tallies> {
    let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
    let mut out = Tallies::new();
    for row in rows {
        let dec = |i: usize| -> Res<Decimal> { Ok(Decimal::from_str(&row.try_get::<String, _>(i)?)?) };
        let sheets: i64 = row.try_get(2)?;
        out.insert(
            (row.try_get(0)?, row.try_get(1)?),
            Tally {
                sheets: u64::try_from(sheets)?,
                max_footprint: dec(3)?,
                max_total_floor_area: dec(4)?,
                allowed_floors: dec(5)?,
                max_depth: dec(6)?,
            },
        );
    }
    Ok(out)
}

/// Parallel workers the planner gives a statement.
async fn workers_planned(conn: &mut PgConnection, sql: &str) -> Res<u32> {
    let rows = sqlx::query(AssertSqlSafe(format!("EXPLAIN {sql}"))).fetch_all(&mut *conn).await?;
    for row in rows {
        let line: String = row.try_get(0)?;
        if let Some(rest) = line.trim().strip_prefix("Workers Planned:") {
            return Ok(rest.trim().parse()?);
        }
    }
    Ok(0)
}

async fn setting(conn: &mut PgConnection, name: &str) -> Res<String> {
    let row = sqlx::query(AssertSqlSafe(format!("SHOW {name}"))).fetch_one(&mut *conn).await?;
    Ok(row.try_get(0)?)
}

/// The fastest of several timed runs, with its result.
struct Best<T>(Option<(Duration, T)>);

impl<T> Best<T> {
    fn new() -> Best<T> {
        Best(None)
    }

    /// Times one run of `f`; returns its duration.
    fn time(&mut self, f: impl FnOnce() -> Res<T>) -> Res<Duration> {
        let started = Instant::now();
        let value = f()?;
        let took = started.elapsed();
        if self.0.as_ref().is_none_or(|(b, _)| took < *b) {
            self.0 = Some((took, value));
        }
        Ok(took)
    }

    fn into_inner(self) -> Res<(Duration, T)> {
        self.0.ok_or_else(|| "no run".into())
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn fmt_rate(r: f64) -> String {
    if r >= 1e6 { format!("{:.2} M/s", r / 1e6) } else { format!("{:.0} k/s", r / 1e3) }
}

/// The 1-minute load average, to show whether the machine was busy with other work.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn total(t: &Tallies) -> Tally {
    let mut sum = Tally::default();
    for v in t.values() {
        sum.sheets += v.sheets;
        sum.max_footprint += v.max_footprint;
        sum.max_total_floor_area += v.max_total_floor_area;
        sum.allowed_floors += v.allowed_floors;
        sum.max_depth += v.max_depth;
    }
    sum
}

struct Measure {
    what: String,
    daftar: Duration,
    postgis: Duration,
    items: usize,
    goal: f64,
}

fn print_table(s: &Settings, rows: &[Measure]) {
    println!();
    println!("| {:<38} | {:>20} | {:>20} | {:>9} | {:>6} |", "measure", "Daftar", "PostGIS", "ratio", "goal");
    println!("|{:-<40}|{:->22}|{:->22}|{:->11}|{:->8}|", "", "", "", "", "");
    for m in rows {
        let (rd, rp) = (rate(m.items, m.daftar), rate(m.items, m.postgis));
        let ratio = rd / rp;
        let cell = |d: Duration, r: f64| format!("{:.3} s, {}", d.as_secs_f64(), fmt_rate(r));
        println!(
            "| {:<38} | {:>20} | {:>20} | {:>8.1}× | {:>5}× |{}",
            m.what,
            cell(m.daftar, rd),
            cell(m.postgis, rp),
            ratio,
            m.goal,
            if ratio >= m.goal { "" } else { " missed" }
        );
    }
    println!();
    println!(
        "parcels {}, points {}; Daftar on {} thread(s); best of {} run(s) each side",
        thousands(s.parcels as u64),
        thousands(s.points as u64),
        s.threads,
        s.runs
    );
}

// ---------------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; this bench takes its parameters from the environment.
    if let Err(e) = run() {
        eprintln!("postgis_peer: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let s = Settings::from_env()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let admin_options = PgConnectOptions::from_str(&s.url)?;
    let db = format!("daftar_postgis_bench_{}", std::process::id());

    let mut admin = rt.block_on(PgConnection::connect_with(&admin_options))?;
    rt.block_on(sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut admin))?;
    let outcome = compare(&s, &rt, admin_options.clone().database(&db));
    let dropped = if s.keep_database {
        eprintln!("kept the database {db} (BENCH_KEEP_DATABASE): drop it when done");
        Ok(Default::default())
    } else {
        rt.block_on(
            sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")))
                .execute(&mut admin),
        )
    };
    rt.block_on(admin.close())?;
    outcome?;
    dropped?;
    Ok(())
}

fn compare(s: &Settings, rt: &tokio::runtime::Runtime, options: PgConnectOptions) -> Res<()> {
    let rules = PlanRules::demo();
    eprintln!("generating the city: {} parcels (seed {SEED})", thousands(s.parcels as u64));
    let city = SynthCity::generate(SynthConfig::new(SEED, s.parcels));
    let parcels: Vec<Parcel> = city.parcels().collect();
    let zones = city.zones.clone();
    let points = lookup_points(&city, &parcels, s.points);

    let mut conn = rt.block_on(PgConnection::connect_with(&options))?;
    eprintln!("loading PostGIS ({} zones) …", zones.len());
    let started = Instant::now();
    let pg_index_time = rt.block_on(load(&mut conn, &rules, &parcels, &zones, &points))?;
    eprintln!(
        "  loaded in {:.1} s (GiST and keys {:.1} s)",
        started.elapsed().as_secs_f64(),
        pg_index_time.as_secs_f64()
    );

    let started = Instant::now();
    let index = SpatialIndex::new(parcels, zones);
    let daftar_index_time = started.elapsed();
    drop(city);

    let gather = rt.block_on(setting(&mut conn, "max_parallel_workers_per_gather"))?;
    let jit = rt.block_on(setting(&mut conn, "jit"))?;
    let shared_buffers = rt.block_on(setting(&mut conn, "shared_buffers"))?;
    let load_before = load_average();
    let lookup_workers = rt.block_on(workers_planned(&mut conn, LOOKUP_SQL))?;
    let sweep_sql = sweep_sql(&rules);
    let sweep_workers = rt.block_on(workers_planned(&mut conn, &sweep_sql))?;

    // The two sides take turns, run after run, so that a busy moment of the machine does not
    // fall on one side only; the fastest run of each side is reported.
    let (mut d_lookup, mut p_lookup) = (Best::new(), Best::new());
    for run in 1..=s.runs {
        let d = d_lookup.time(|| Ok(daftar_lookups(&index, &points, s.threads)))?;
        let p = p_lookup.time(|| rt.block_on(postgis_lookups(&mut conn)))?;
        eprintln!("lookups, run {run}: Daftar {:.3} s, PostGIS {:.3} s", d.as_secs_f64(), p.as_secs_f64());
    }
    let (mut d_sweep, mut p_sweep) = (Best::new(), Best::new());
    for run in 1..=s.runs {
        let d = d_sweep.time(|| Ok(daftar_sweep(&rules, &index, s.threads)))?;
        let p = p_sweep.time(|| rt.block_on(postgis_sweep(&mut conn, &sweep_sql)))?;
        eprintln!("sweep, run {run}: Daftar {:.3} s, PostGIS {:.3} s", d.as_secs_f64(), p.as_secs_f64());
    }
    let ((d_lookup, d_matches), (p_lookup, p_matches)) = (d_lookup.into_inner()?, p_lookup.into_inner()?);
    let ((d_sweep, d_tallies), (p_sweep, p_tallies)) = (d_sweep.into_inner()?, p_sweep.into_inner()?);
    rt.block_on(conn.close())?;
    let load_after = load_average();

    print_table(
        s,
        &[
            Measure {
                what: format!("(a) point → parcel, {} points", thousands(s.points as u64)),
                daftar: d_lookup,
                postgis: p_lookup,
                items: s.points,
                goal: 10.0,
            },
            Measure {
                what: format!("(b) sheet sweep, {} parcels", thousands(s.parcels as u64)),
                daftar: d_sweep,
                postgis: p_sweep,
                items: s.parcels,
                goal: 20.0,
            },
        ],
    );
    println!(
        "index build (excluded): Daftar R-trees {:.3} s; PostGIS GiST + keys {:.3} s",
        daftar_index_time.as_secs_f64(),
        pg_index_time.as_secs_f64()
    );
    println!(
        "PostGIS: max_parallel_workers_per_gather = {gather}, jit = {jit}, shared_buffers = \
         {shared_buffers}; workers planned: lookups {lookup_workers}, sweep {sweep_workers} (plus the \
         leader)"
    );
    println!("machine: {} cores; load average {load_before} before, {load_after} after", cores());
    println!(
        "per sheet on one Daftar thread: {:.2} µs",
        d_sweep.as_secs_f64() * 1e6 * s.threads as f64 / s.parcels as f64
    );

    let lookups_agree = d_matches == p_matches;
    println!(
        "lookups: Daftar {} matches (id sum {}), PostGIS {} matches (id sum {}): {}",
        thousands(d_matches.0),
        d_matches.1,
        thousands(p_matches.0),
        p_matches.1,
        if lookups_agree { "agree" } else { "DIFFER" }
    );
    let (dt, pt) = (total(&d_tallies), total(&p_tallies));
    println!(
        "capacity (sum of max total floor area): Daftar {} m², PostGIS {} m², difference {} m²",
        dt.max_total_floor_area,
        pt.max_total_floor_area,
        dt.max_total_floor_area - pt.max_total_floor_area
    );
    println!("sheets by status:");
    let mut by_status: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for ((_, st), t) in &d_tallies {
        by_status.entry(st).or_default().0 += t.sheets;
    }
    for ((_, st), t) in &p_tallies {
        by_status.entry(st).or_default().1 += t.sheets;
    }
    for (st, (d, p)) in &by_status {
        println!("  {st:<20} Daftar {:>10}  PostGIS {:>10}", thousands(*d), thousands(*p));
    }
    let sweep_agree = d_tallies == p_tallies;
    if !sweep_agree {
        println!("sweep: per zone and status the two sides DIFFER:");
        let keys: std::collections::BTreeSet<_> = d_tallies.keys().chain(p_tallies.keys()).collect();
        for k in keys {
            let (d, p) = (d_tallies.get(k), p_tallies.get(k));
            if d != p {
                println!("  {k:?}: Daftar {d:?}, PostGIS {p:?}");
            }
        }
    } else {
        println!(
            "sweep: {} (zone, status) groups agree exactly on sheets, footprint, total floor area, floors and depth",
            d_tallies.len()
        );
    }
    if lookups_agree && sweep_agree { Ok(()) } else { Err("the two sides disagree".into()) }
}
