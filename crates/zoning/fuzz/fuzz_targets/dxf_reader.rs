//! Any bytes given to the drawing reader must yield a design or a rejection, never a panic,
//! a hang or unbounded memory.

#![no_main]

use daftar_zoning::dxf_reader::read_design;
use daftar_zoning::plan::PlanRules;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static RULES: OnceLock<PlanRules> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let rules = RULES.get_or_init(PlanRules::demo);
    let _ = read_design(data, &rules.parking);
});
