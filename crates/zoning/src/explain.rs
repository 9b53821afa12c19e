//! Structured explanations: every figure and verdict names its rule, the plan clause, its inputs,
//! a symbolic formula and the same formula with numbers substituted.
//!
//! Figures are computed by evaluating an [`Expr`] tree, and the formula and arithmetic texts are
//! rendered from that same tree, so an explanation can never disagree with the number it explains.
//! Texts are language-neutral (input names, operators, numbers); a locale layer translates the
//! stable [`RuleId`] and [`Quantity`] keys and input names.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A rule of the plan. The string key is stable: locale files and stored sheets refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// Parcel data the engine cannot work with (missing frontage, non-positive area, overflow).
    ParcelData,
    /// More frontages than the machine handles.
    FrontageCount,
    /// Which zone the parcel is in, and whether that zone allows building at all.
    Zone,
    /// The parcel straddles zones.
    ZoneOverlap,
    /// Rule 1: street widening and net area.
    NetArea,
    /// Rule 2: reserve land goes to a commission.
    ReserveLand,
    /// Rule 3: floors, one fewer per unmet condition.
    Floors,
    /// Rule 4: site coverage, the maximum footprint.
    Coverage,
    /// Rule 5: floor-area ratio, the maximum total floor area.
    FloorAreaRatio,
    /// Rule 6: maximum building depth.
    Depth,
    /// Rule 7: consolidation bonus.
    Consolidation,
    /// Rule 8: parking spaces.
    Parking,
    /// Rule 9: permitted uses.
    Uses,
}

impl RuleId {
    /// The stable key, identical to the serialised form.
    pub fn key(self) -> &'static str {
        match self {
            RuleId::ParcelData => "parcel_data",
            RuleId::FrontageCount => "frontage_count",
            RuleId::Zone => "zone",
            RuleId::ZoneOverlap => "zone_overlap",
            RuleId::NetArea => "net_area",
            RuleId::ReserveLand => "reserve_land",
            RuleId::Floors => "floors",
            RuleId::Coverage => "coverage",
            RuleId::FloorAreaRatio => "floor_area_ratio",
            RuleId::Depth => "depth",
            RuleId::Consolidation => "consolidation",
            RuleId::Parking => "parking",
            RuleId::Uses => "uses",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What an explanation computes; one rule can yield several quantities (rule 7 yields both a
/// bonus area and the allowed floors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// Depth of the strip given up along one frontage.
    Setback,
    NetArea,
    BaseFloors,
    AllowedFloors,
    MaxFootprint,
    BaseMaxTotalFloorArea,
    ConsolidationBonus,
    MaxTotalFloorArea,
    MaxDepth,
    /// Plan check: levels that count as floors.
    CountedFloors,
    /// Plan check: footprint of one level.
    LevelFootprint,
    /// Plan check: depth of one level.
    LevelDepth,
    /// Plan check: floor area above the maximum total (the purchasable excess).
    ExcessFloorArea,
    RequiredParking,
    /// Plan check: whether a level's use is permitted (1) or not (0).
    UsePermitted,
}

impl Quantity {
    /// The stable key, identical to the serialised form.
    pub fn key(self) -> &'static str {
        match self {
            Quantity::Setback => "setback",
            Quantity::NetArea => "net_area",
            Quantity::BaseFloors => "base_floors",
            Quantity::AllowedFloors => "allowed_floors",
            Quantity::MaxFootprint => "max_footprint",
            Quantity::BaseMaxTotalFloorArea => "base_max_total_floor_area",
            Quantity::ConsolidationBonus => "consolidation_bonus",
            Quantity::MaxTotalFloorArea => "max_total_floor_area",
            Quantity::MaxDepth => "max_depth",
            Quantity::CountedFloors => "counted_floors",
            Quantity::LevelFootprint => "level_footprint",
            Quantity::LevelDepth => "level_depth",
            Quantity::ExcessFloorArea => "excess_floor_area",
            Quantity::RequiredParking => "required_parking",
            Quantity::UsePermitted => "use_permitted",
        }
    }
}

/// One computed figure or checked condition, with everything needed to show how it came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub rule: RuleId,
    pub quantity: Quantity,
    /// Reference into the plan text, taken from the plan data.
    pub clause: String,
    /// Named inputs in order of first use; names are stable keys for translation.
    pub inputs: Vec<(String, Decimal)>,
    /// Symbolic formula over the input names.
    pub formula: String,
    /// The formula with numbers substituted, ending in "= result".
    pub arithmetic: String,
    pub result: Decimal,
}

impl Explanation {
    /// Evaluates `expr` and records it. `None` when the arithmetic overflows or divides by zero,
    /// which callers turn into "needs review" rather than a panic.
    pub fn evaluate(
        rule: RuleId,
        quantity: Quantity,
        clause: impl Into<String>,
        expr: &Expr,
    ) -> Option<Explanation> {
        let result = expr.eval()?;
        let mut inputs = Vec::new();
        expr.collect_inputs(&mut inputs);
        Some(Explanation {
            rule,
            quantity,
            clause: clause.into(),
            inputs,
            formula: expr.render(false),
            arithmetic: {
                let mut text = String::with_capacity(64);
                expr.render_into(true, &mut text);
                text.push_str(" = ");
                push_decimal(&mut text, result);
                text
            },
            result,
        })
    }

    /// An explanation that is a comparison, e.g. `counted_floors ≤ allowed_floors +
    /// purchasable_floors`; its result is the left side (the measured quantity). `None` on
    /// overflow.
    pub fn comparison(
        rule: RuleId,
        quantity: Quantity,
        clause: impl Into<String>,
        test: &Test,
    ) -> Option<Explanation> {
        let (left, right) = (test.left.eval()?, test.right.eval()?);
        let mut inputs = Vec::new();
        test.left.collect_inputs(&mut inputs);
        test.right.collect_inputs(&mut inputs);
        Some(Explanation {
            rule,
            quantity,
            clause: clause.into(),
            inputs,
            formula: test.render(false),
            arithmetic: format!("{} → {}", test.render(true), test.op.holds(left, right)),
            result: left,
        })
    }

    /// Appends the comparison that decided a verdict to both texts, keeping the computed
    /// `result`: "ceil(…) = 15; 15 ≥ 15 → true". `None` on overflow.
    pub fn with_test(mut self, test: &Test) -> Option<Explanation> {
        let (left, right) = (test.left.eval()?, test.right.eval()?);
        test.left.collect_inputs(&mut self.inputs);
        test.right.collect_inputs(&mut self.inputs);
        self.formula = format!("{}; {}", self.formula, test.render(false));
        self.arithmetic =
            format!("{}; {} → {}", self.arithmetic, test.render(true), test.op.holds(left, right));
        Some(self)
    }
}

/// A comparison between two expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub left: Expr,
    pub op: CmpOp,
    pub right: Expr,
}

impl Test {
    pub fn new(left: Expr, op: CmpOp, right: Expr) -> Test {
        Test { left, op, right }
    }

    /// Whether the comparison holds; `None` on overflow.
    pub fn holds(&self) -> Option<bool> {
        Some(self.op.holds(self.left.eval()?, self.right.eval()?))
    }

    fn render(&self, numbers: bool) -> String {
        format!("{} {} {}", self.left.render(numbers), self.op.symbol(), self.right.render(numbers))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Le,
    Ge,
}

impl CmpOp {
    fn holds(self, left: Decimal, right: Decimal) -> bool {
        match self {
            CmpOp::Le => left <= right,
            CmpOp::Ge => left >= right,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Le => "≤",
            CmpOp::Ge => "≥",
        }
    }
}

/// A small arithmetic expression over named decimal inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Var(String, Decimal),
    /// A number that is part of the formula itself (the 0 of "at least 0"), not an input.
    Const(Decimal),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Min(Box<Expr>, Box<Expr>),
    Max(Box<Expr>, Box<Expr>),
    /// Iverson bracket `[a < b]`: 1 when the condition holds, else 0.
    Less(Box<Expr>, Box<Expr>),
    /// Rounds up to the next integer.
    Ceil(Box<Expr>),
}

/// Shorthand for a constant of the formula.
pub fn konst(value: Decimal) -> Expr {
    Expr::Const(value)
}

/// Shorthand for a named input.
pub fn var(name: impl Into<String>, value: Decimal) -> Expr {
    Expr::Var(name.into(), value)
}

impl std::ops::Add for Expr {
    type Output = Expr;
    fn add(self, rhs: Expr) -> Expr {
        Expr::Add(Box::new(self), Box::new(rhs))
    }
}

impl std::ops::Sub for Expr {
    type Output = Expr;
    fn sub(self, rhs: Expr) -> Expr {
        Expr::Sub(Box::new(self), Box::new(rhs))
    }
}

impl std::ops::Mul for Expr {
    type Output = Expr;
    fn mul(self, rhs: Expr) -> Expr {
        Expr::Mul(Box::new(self), Box::new(rhs))
    }
}

impl std::ops::Div for Expr {
    type Output = Expr;
    fn div(self, rhs: Expr) -> Expr {
        Expr::Div(Box::new(self), Box::new(rhs))
    }
}

impl Expr {
    pub fn min(self, other: Expr) -> Expr {
        Expr::Min(Box::new(self), Box::new(other))
    }

    pub fn max(self, other: Expr) -> Expr {
        Expr::Max(Box::new(self), Box::new(other))
    }

    pub fn less(self, other: Expr) -> Expr {
        Expr::Less(Box::new(self), Box::new(other))
    }

    pub fn ceil(self) -> Expr {
        Expr::Ceil(Box::new(self))
    }

    /// Exact evaluation; `None` on overflow or division by zero.
    pub fn eval(&self) -> Option<Decimal> {
        Some(match self {
            Expr::Var(_, v) | Expr::Const(v) => *v,
            Expr::Add(a, b) => a.eval()?.checked_add(b.eval()?)?,
            Expr::Sub(a, b) => a.eval()?.checked_sub(b.eval()?)?,
            Expr::Mul(a, b) => a.eval()?.checked_mul(b.eval()?)?,
            Expr::Div(a, b) => a.eval()?.checked_div(b.eval()?)?,
            Expr::Min(a, b) => a.eval()?.min(b.eval()?),
            Expr::Max(a, b) => a.eval()?.max(b.eval()?),
            Expr::Less(a, b) => {
                if a.eval()? < b.eval()? {
                    Decimal::ONE
                } else {
                    Decimal::ZERO
                }
            }
            Expr::Ceil(a) => a.eval()?.ceil(),
        })
    }

    fn collect_inputs(&self, out: &mut Vec<(String, Decimal)>) {
        match self {
            Expr::Var(name, value) => {
                if !out.iter().any(|(n, _)| n == name) {
                    out.push((name.clone(), *value));
                }
            }
            Expr::Add(a, b)
            | Expr::Sub(a, b)
            | Expr::Mul(a, b)
            | Expr::Div(a, b)
            | Expr::Min(a, b)
            | Expr::Max(a, b)
            | Expr::Less(a, b) => {
                a.collect_inputs(out);
                b.collect_inputs(out);
            }
            Expr::Ceil(a) => a.collect_inputs(out),
            Expr::Const(_) => {}
        }
    }

    /// Binding strength when rendered; a negative number binds like a sum so that it gets
    /// parentheses wherever a sum would ("2 × (-3)", "a − (-3)").
    fn precedence(&self, numbers: bool) -> u8 {
        match self {
            Expr::Add(..) | Expr::Sub(..) => 1,
            Expr::Mul(..) | Expr::Div(..) => 2,
            Expr::Var(_, v) if numbers && v.is_sign_negative() => 1,
            Expr::Const(v) if v.is_sign_negative() => 1,
            _ => 3,
        }
    }

    /// Renders with names (`numbers == false`) or with values substituted.
    pub fn render(&self, numbers: bool) -> String {
        let mut out = String::new();
        self.render_into(numbers, &mut out);
        out
    }

    /// [`Expr::render`] appended to `out`: one buffer for the whole tree, as sheets render
    /// dozens of formulas and a string per node would dominate their cost.
    pub fn render_into(&self, numbers: bool, out: &mut String) {
        let wrap = |e: &Expr, min_prec: u8, out: &mut String| {
            if e.precedence(numbers) < min_prec {
                out.push('(');
                e.render_into(numbers, out);
                out.push(')');
            } else {
                e.render_into(numbers, out);
            }
        };
        let binary = |a: &Expr, op: &str, b: &Expr, prec: u8, out: &mut String| {
            wrap(a, prec, out);
            out.push_str(op);
            wrap(b, prec + 1, out);
        };
        let call = |name: &str, a: &Expr, sep: &str, b: &Expr, close: &str, out: &mut String| {
            out.push_str(name);
            a.render_into(numbers, out);
            out.push_str(sep);
            b.render_into(numbers, out);
            out.push_str(close);
        };
        match self {
            Expr::Var(name, value) => {
                if numbers {
                    push_decimal(out, *value);
                } else {
                    out.push_str(name);
                }
            }
            Expr::Const(value) => push_decimal(out, *value),
            Expr::Add(a, b) => binary(a, " + ", b, 1, out),
            Expr::Sub(a, b) => binary(a, " − ", b, 1, out),
            Expr::Mul(a, b) => binary(a, " × ", b, 2, out),
            Expr::Div(a, b) => binary(a, " / ", b, 2, out),
            Expr::Min(a, b) => call("min(", a, ", ", b, ")", out),
            Expr::Max(a, b) => call("max(", a, ", ", b, ")", out),
            Expr::Less(a, b) => call("[", a, " < ", b, "]", out),
            Expr::Ceil(a) => {
                out.push_str("ceil(");
                a.render_into(numbers, out);
                out.push(')');
            }
        }
    }
}

/// [`crate::num::fmt_decimal`] appended to `out`.
fn push_decimal(out: &mut String, value: Decimal) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(out, "{}", value.normalize());
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn far_formula_renders_and_evaluates_from_one_tree() {
        let e = var("far", dec!(3)).min(var("base_floors", dec!(4)) * var("coverage", dec!(0.6)))
            * var("net_area", dec!(245));
        let x = Explanation::evaluate(RuleId::FloorAreaRatio, Quantity::MaxTotalFloorArea, "r5", &e)
            .expect("no overflow");
        assert_eq!(x.formula, "min(far, base_floors × coverage) × net_area");
        assert_eq!(x.arithmetic, "min(3, 4 × 0.6) × 245 = 588");
        assert_eq!(x.result, dec!(588));
        assert_eq!(x.inputs.len(), 4);
    }

    #[test]
    fn parentheses_follow_precedence() {
        let e = var("share", dec!(0.6)) * (var("depth", dec!(24.5)) - var("setback", dec!(0)))
            + var("allowance", dec!(2));
        assert_eq!(e.render(false), "share × (depth − setback) + allowance");
        assert_eq!(e.render(true), "0.6 × (24.5 − 0) + 2");
        let d = var("a", dec!(1)) - (var("b", dec!(2)) - var("c", dec!(3)));
        assert_eq!(d.render(false), "a − (b − c)");
        assert_eq!(d.eval(), Some(dec!(2)));
        let n = var("a", dec!(2)) * var("b", dec!(-3));
        assert_eq!(n.render(true), "2 × (-3)");
        assert_eq!(n.render(false), "a × b");
        let q = var("a", dec!(8)) / (var("b", dec!(2)) * var("c", dec!(2)));
        assert_eq!(q.render(false), "a / (b × c)");
        assert_eq!(q.eval(), Some(dec!(2)));
    }

    #[test]
    fn constants_are_not_inputs() {
        let e = (var("a", dec!(5)) - var("b", dec!(8))).max(konst(dec!(0)));
        assert_eq!(e.render(false), "max(a − b, 0)");
        let x = Explanation::evaluate(RuleId::NetArea, Quantity::Setback, "r1", &e).expect("ok");
        assert_eq!(x.inputs.len(), 2);
        assert_eq!(x.result, dec!(0));
    }

    #[test]
    fn overflow_and_division_by_zero_are_none() {
        assert_eq!((var("a", Decimal::MAX) * var("b", dec!(2))).eval(), None);
        assert_eq!((var("a", dec!(1)) / var("b", dec!(0))).eval(), None);
    }

    #[test]
    fn iverson_bracket_and_ceiling() {
        let e = var("x", dec!(245)).less(var("min", dec!(300)));
        assert_eq!(e.eval(), Some(dec!(1)));
        assert_eq!(e.render(false), "[x < min]");
        assert_eq!(var("x", dec!(14.2)).ceil().eval(), Some(dec!(15)));
    }

    #[test]
    fn comparisons_render_both_texts() {
        let t = Test::new(
            var("counted_floors", dec!(5)),
            CmpOp::Le,
            var("allowed_floors", dec!(4)) + var("purchasable_floors", dec!(1)),
        );
        let x =
            Explanation::comparison(RuleId::Floors, Quantity::CountedFloors, "r3", &t).expect("no overflow");
        assert_eq!(x.formula, "counted_floors ≤ allowed_floors + purchasable_floors");
        assert_eq!(x.arithmetic, "5 ≤ 4 + 1 → true");
        assert_eq!(x.result, dec!(5));
        assert_eq!(x.inputs.len(), 3);
        assert_eq!(t.holds(), Some(true));
    }

    #[test]
    fn tests_extend_both_texts() {
        let e = (var("a", dec!(10)) + var("b", dec!(4.2))).ceil();
        let x = Explanation::evaluate(RuleId::Parking, Quantity::RequiredParking, "r8", &e)
            .and_then(|x| {
                x.with_test(&Test::new(
                    var("parking_spaces", dec!(15)),
                    CmpOp::Ge,
                    var("required_parking", dec!(15)),
                ))
            })
            .expect("no overflow");
        assert_eq!(x.formula, "ceil(a + b); parking_spaces ≥ required_parking");
        assert_eq!(x.arithmetic, "ceil(10 + 4.2) = 15; 15 ≥ 15 → true");
        assert_eq!(x.inputs.len(), 4);
        assert_eq!(x.result, dec!(15));
    }
}
