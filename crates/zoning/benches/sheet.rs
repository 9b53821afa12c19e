//! Throughput of the engine: one instruction sheet, one plan check, zone lookup by point, a
//! sweep of sheets over a generated city, and generating a city of a million parcels.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use daftar_zoning::check::{Design, Level, plan_check};
use daftar_zoning::plan::{Frontage, Parcel, PlanRules, Use};
use daftar_zoning::sheet::{ZoneContext, instruction_sheet};
use daftar_zoning::spatial::{SpatialIndex, ZoneIndex};
use daftar_zoning::synth::{SynthCity, SynthConfig};
use geo::{BoundingRect, polygon};
use rust_decimal_macros::dec;
use std::hint::black_box;

fn corner_parcel() -> Parcel {
    Parcel {
        parcel_key: "01-0001-001".into(),
        registry_plate: "1234/56".into(),
        district: "1".into(),
        polygon: polygon![(x: 0.0, y: 0.0), (x: 25.0, y: 0.0), (x: 25.0, y: 20.0), (x: 0.0, y: 20.0)],
        deed_area: dec!(500),
        depth: dec!(20),
        regional_value_p: 1_234_567,
        merged_parcels: 2,
        frontages: vec![
            Frontage { length: dec!(20), existing_width: dec!(8), approved_width: dec!(12) },
            Frontage { length: dec!(25), existing_width: dec!(10), approved_width: dec!(16) },
        ],
    }
}

fn bench_sheet(c: &mut Criterion) {
    let rules = PlanRules::demo();
    let parcel = corner_parcel();
    c.bench_function("instruction_sheet", |b| {
        b.iter(|| instruction_sheet(black_box(&rules), black_box(&parcel), ZoneContext::inside("R121")))
    });
    let sheet = instruction_sheet(&rules, &parcel, ZoneContext::inside("R121"));
    let design = Design {
        levels: (0..4)
            .map(|level| Level {
                level,
                use_: Use::Residential,
                gross_area: dec!(230),
                footprint_area: dec!(230),
                depth: dec!(12),
                units: vec![dec!(110), dec!(110)],
            })
            .collect(),
        parking_spaces: 8,
    };
    c.bench_function("plan_check", |b| {
        b.iter(|| plan_check(black_box(&rules), black_box(&sheet), black_box(&design)))
    });
}

fn bench_zone_lookup(c: &mut Criterion) {
    let city = SynthCity::generate(SynthConfig::new(2026, 100_000));
    let zones = ZoneIndex::new(city.zones.clone());
    let (mut min, mut max) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
    for z in zones.zones() {
        if let Some(r) = z.polygon.bounding_rect() {
            min = (min.0.min(r.min().x), min.1.min(r.min().y));
            max = (max.0.max(r.max().x), max.1.max(r.max().y));
        }
    }
    // A fixed walk over the city, so every run looks up the same points.
    let points: Vec<(f64, f64)> = (0..1024u32)
        .map(|i| {
            let (fx, fy) = (f64::from(i * 37 % 1024) / 1024.0, f64::from(i * 101 % 1024) / 1024.0);
            (min.0 + fx * (max.0 - min.0), min.1 + fy * (max.1 - min.1))
        })
        .collect();
    let mut i = 0usize;
    c.bench_function("zone_at", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            let (x, y) = points[i];
            zones.zone_at(black_box(x), black_box(y)).map(|z| z.code.len())
        })
    });
}

fn bench_sweep(c: &mut Criterion) {
    let rules = PlanRules::demo();
    let city = SynthCity::generate(SynthConfig::new(2026, 100_000));
    let index = SpatialIndex::new(city.parcels().collect(), city.zones.clone());
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.throughput(Throughput::Elements(index.parcels.len() as u64));
    group.bench_function("sheets_100k_parcels", |b| {
        b.iter(|| {
            let mut issued = 0usize;
            for p in index.parcels.parcels() {
                let sheet = instruction_sheet(&rules, p, index.zone_context_for(p));
                issued += usize::from(sheet.figures.is_some());
            }
            issued
        })
    });
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("generate_1m_parcels", |b| {
        b.iter(|| {
            let city = SynthCity::generate(SynthConfig::new(2026, 1_000_000));
            city.parcels().map(|p| p.polygon.exterior().0.len()).sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_sheet, bench_zone_lookup, bench_sweep);
criterion_main!(benches);
