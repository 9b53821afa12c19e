//! Daftar's fee engine: the municipal fee bylaw as data, invoices whose every line explains
//! itself, instalment schedules and the split of each payment between the parties.
//!
//! The library does no I/O: the bylaw comes in as TOML text, a case as values, and results go
//! out as values, so an invoice computed anywhere is reproducible everywhere.
//!
//! - [`bylaw`]: the versioned bylaw ([`Bylaw::from_toml`], the demo bylaw in [`DEMO_BYLAW_TOML`]).
//! - [`assess`](mod@assess): the invoice of a case ([`assess()`]), with exact arithmetic and one explained
//!   line per head (and per level for per-level heads).
//! - [`instalments`]: a down payment and equal monthly instalments ([`plan_instalments`]).
//! - [`split`]: who receives how much of a payment ([`split_payment`]).
//!
//! Money is whole Rials ([`Rials`]); quantities and exact line amounts are
//! [`rust_decimal::Decimal`]. Binary floating point is used nowhere.

pub mod assess;
pub mod bylaw;
mod expr;
pub mod instalments;
pub mod split;

pub use assess::{
    AssessError, Assessment, AssessmentInputs, InvoiceLine, LevelInput, WaiveError, assess, waive,
};
pub use bylaw::{
    Band, Bylaw, BylawError, CashDiscount, Condition, DEMO_BYLAW_TOML, ExtraInput, Formula, Head,
    InstalmentRules, Party, Per, Rounding, RoundingMode, Table,
};
pub use daftar_types::Rials;
pub use expr::{EvalError, MAX_DEPTH, MAX_SOURCE_CHARS};
pub use instalments::{
    Instalment, InstalmentError, Schedule, add_months, minimum_down_payment, plan_instalments,
};
pub use split::{
    Share, SplitError, outstanding_after, party_totals, shares_owed, split_cash_payment, split_outstanding,
    split_payment,
};
