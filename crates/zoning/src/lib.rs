//! Daftar's zoning engine: the detailed plan as data, instruction sheets, plan checks of designs
//! and drawings, import of parcel and zone maps, spatial lookup and a synthetic city.
//!
//! The library does no I/O: plan files, maps and drawings come in as text or bytes and results
//! go out as values, so the same engine serves the web application, the command line, batch
//! sweeps and tests, and a sheet computed anywhere is reproducible everywhere.
//!
//! - [`plan`]: the zone table and plan-wide numbers, from a versioned TOML file
//!   ([`PlanRules::from_toml`], the demo plan in [`DEMO_RULES_TOML`]); parcels and zones.
//! - [`sheet`]: the instruction sheet of a parcel ([`instruction_sheet`]).
//! - [`check`]: the plan check of a design against its sheet ([`plan_check`]).
//! - [`dxf_reader`]: a design from a DXF drawing that follows `DXF-LAYERS.md`.
//! - [`import`]: parcel and zone maps from GeoJSON or Shapefile (`PLAN-SCHEMA.md`).
//! - [`spatial`]: R-tree lookup of parcels and zones, and a parcel's zone context.
//! - [`synth`]: a deterministic synthetic city for demos and load tests.
//! - [`explain`]: the structured explanation every figure and verdict carries.
//!
//! Rule arithmetic is exact ([`rust_decimal::Decimal`]); floating point is confined to geometry
//! and crosses into the rules only through explicit rounding (see [`num`]).

pub mod check;
pub mod dxf_reader;
pub mod explain;
pub mod import;
pub mod num;
pub mod plan;
pub mod sheet;
pub mod spatial;
pub mod sweep;
pub mod synth;

pub use check::{CheckError, Design, DesignError, Level, PlanCheck, RuleVerdict, Verdict, plan_check};
pub use dxf_reader::{DrawingError, DrawingProblem, ProblemCode, read_design};
pub use explain::{Explanation, Quantity, RuleId};
pub use import::ImportError;
pub use plan::{DEMO_RULES_TOML, Frontage, Parcel, PlanError, PlanRules, Use, Zone, ZoneRules};
pub use sheet::{InstructionSheet, SheetStatus, ZoneContext, instruction_sheet};
pub use spatial::SpatialIndex;
