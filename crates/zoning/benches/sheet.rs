//! Throughput of the engine: one instruction sheet, zone lookup by point, and a sweep over a
//! generated city.

use criterion::{Criterion, criterion_group, criterion_main};
use daftar_zoning::plan::{Frontage, Parcel, PlanRules};
use daftar_zoning::sheet::{ZoneContext, instruction_sheet};
use geo::polygon;
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
}

criterion_group!(benches, bench_sheet);
criterion_main!(benches);
