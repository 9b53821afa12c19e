//! The fee invoice (صورت‌حساب عوارض): every line with the bylaw clause and arithmetic behind it,
//! so the payer can check each amount.

use daftar_types::{JalaliDate, Rials};
use serde::{Deserialize, Serialize};

use crate::common::{
    Approver, ApproverView, DateView, Person, PersonView, amount, amount_with_unit, check_sum, identifier,
    persian_number,
};
use crate::engine::{self, Template};
use crate::error::{DocumentError, Sum};
use crate::text::{persian_expression, persian_text};

/// A fee invoice as assessed, with what happened to it since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDocument {
    /// The city whose municipality issues the invoice (`کرج`).
    pub city: String,
    pub number: String,
    pub issued_on: JalaliDate,
    pub payer: Person,
    pub case_number: String,
    /// What the invoice is for (`پروانهٔ ساختمانی — نوسازی`).
    pub subject: String,
    /// The fee bylaw the amounts were computed under.
    pub bylaw_version: String,
    pub lines: Vec<InvoiceLine>,
    pub totals: PartyTotals,
    /// The sum of all lines; the lines and the party totals must each add up to it.
    pub grand_total: Rials,
    pub cash_discount: Option<CashDiscount>,
    pub waiver: Option<Waiver>,
    pub instalments: Option<InstalmentPlan>,
    pub status: InvoiceStatus,
    pub verify_url: String,
}

/// One charged head of the bylaw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub name_fa: String,
    pub name_en: String,
    /// The bylaw clause (`ماده ۵ بند ۲`).
    pub clause: String,
    /// The Persian name of the party the amount goes to (`شهرداری`).
    pub party: String,
    /// The formula in symbols: `area × multiplier(level) × P`.
    pub formula: String,
    /// The values used, by name, in order of first use: (`area`, `380`).
    pub inputs: Vec<(String, String)>,
    /// The formula with the numbers substituted, its result and, after ` → `, the result rounded
    /// as the bylaw says: `380 × 3 × 1234567 = 1407406380 → 1407406000`.
    pub arithmetic: String,
    pub amount: Rials,
}

/// The grand total split by who receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyTotals {
    pub municipality: Rials,
    pub office: Rials,
    /// Other public agencies whose surcharges the office collects.
    pub agency: Rials,
}

/// The deduction for paying in full at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashDiscount {
    pub name_fa: String,
    pub clause: String,
    /// How the deduction was computed, written like [`InvoiceLine::arithmetic`].
    pub arithmetic: String,
    pub amount: Rials,
    /// What the payer owes when paying in full at once.
    pub cash_total: Rials,
}

/// An approved reduction of what the payer owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub amount: Rials,
    pub reason: String,
    pub approver: Approver,
}

/// Payment in parts: a down payment, then instalments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalmentPlan {
    pub down_payment: Rials,
    pub instalments: Vec<Instalment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    pub number: u32,
    pub due: JalaliDate,
    pub amount: Rials,
}

/// Where the invoice stands. A cancelled invoice is still printed (for the file), marked so that
/// nobody pays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Issued,
    Paid,
    Cancelled,
}

/// Renders the invoice as PDF.
pub fn render_invoice(invoice: &InvoiceDocument) -> Result<Vec<u8>, DocumentError> {
    check_sum(Sum::InvoiceLines, invoice.lines.iter().map(|line| line.amount), invoice.grand_total)?;
    let totals = invoice.totals;
    check_sum(Sum::PartyTotals, [totals.municipality, totals.office, totals.agency], invoice.grand_total)?;
    engine::render(Template::Invoice, &InvoiceView::new(invoice), &invoice.verify_url, None)
}

#[derive(Serialize)]
struct InvoiceView {
    city: String,
    number: String,
    issued_on: DateView,
    payer: PersonView,
    case_number: String,
    subject: String,
    bylaw_version: String,
    lines: Vec<LineView>,
    totals: Vec<TotalView>,
    grand_total: String,
    waiver: Option<WaiverView>,
    payable: String,
    cash_discount: Option<CashDiscountView>,
    instalments: Option<InstalmentsView>,
    status: InvoiceStatus,
    verify_url: String,
}

impl InvoiceView {
    fn new(invoice: &InvoiceDocument) -> Self {
        let waived = invoice.waiver.as_ref().map_or(Rials::ZERO, |waiver| waiver.amount);
        let payable = Rials::new(invoice.grand_total.get().saturating_sub(waived.get()));
        InvoiceView {
            city: persian_text(&invoice.city),
            number: identifier(&invoice.number),
            issued_on: invoice.issued_on.into(),
            payer: (&invoice.payer).into(),
            case_number: identifier(&invoice.case_number),
            subject: persian_text(&invoice.subject),
            bylaw_version: identifier(&invoice.bylaw_version),
            lines: invoice.lines.iter().zip(1..).map(|(line, row)| LineView::new(line, row)).collect(),
            totals: TotalView::all(invoice.totals),
            grand_total: amount_with_unit(invoice.grand_total),
            waiver: invoice.waiver.as_ref().map(WaiverView::new),
            payable: amount_with_unit(payable),
            cash_discount: invoice.cash_discount.as_ref().map(CashDiscountView::new),
            instalments: invoice.instalments.as_ref().map(InstalmentsView::new),
            status: invoice.status,
            verify_url: invoice.verify_url.clone(),
        }
    }
}

#[derive(Serialize)]
struct LineView {
    row: String,
    name_fa: String,
    name_en: String,
    clause: String,
    party: String,
    formula: String,
    inputs: Vec<String>,
    arithmetic: ArithmeticView,
    amount: String,
}

/// Arithmetic split at the rounding step, which is printed on a line of its own: the font has no
/// arrow, and a labelled line says "rounded" more plainly to a payer than a symbol would.
#[derive(Serialize)]
struct ArithmeticView {
    exact: String,
    rounded: Option<String>,
}

impl ArithmeticView {
    fn new(arithmetic: &str) -> Self {
        let (exact, rounded) = match arithmetic.rsplit_once('→') {
            Some((exact, rounded)) => (exact.trim(), Some(persian_expression(rounded.trim()))),
            None => (arithmetic, None),
        };
        ArithmeticView { exact: persian_expression(exact), rounded }
    }
}

impl LineView {
    fn new(line: &InvoiceLine, row: i64) -> Self {
        LineView {
            row: persian_number(row),
            name_fa: persian_text(&line.name_fa),
            name_en: line.name_en.clone(),
            clause: persian_expression(&line.clause),
            party: persian_text(&line.party),
            formula: persian_expression(&line.formula),
            inputs: line
                .inputs
                .iter()
                .map(|(name, value)| persian_expression(&format!("{name} = {value}")))
                .collect(),
            arithmetic: ArithmeticView::new(&line.arithmetic),
            amount: amount(line.amount),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_gets_its_own_line() {
        let split = ArithmeticView::new("380 × 3 × 1234567 = 1407406380 → 1407406000");
        assert_eq!(split.exact, "۳۸۰ × ۳ × ۱٬۲۳۴٬۵۶۷ = ۱٬۴۰۷٬۴۰۶٬۳۸۰");
        assert_eq!(split.rounded.as_deref(), Some("۱٬۴۰۷٬۴۰۶٬۰۰۰"));
        let whole = ArithmeticView::new("3500000");
        assert_eq!((whole.exact.as_str(), whole.rounded), ("۳٬۵۰۰٬۰۰۰", None));
    }
}

#[derive(Serialize)]
struct TotalView {
    label_fa: &'static str,
    label_en: &'static str,
    amount: String,
}

impl TotalView {
    /// The parties that receive something; a zero share is left out rather than printed as ۰.
    fn all(totals: PartyTotals) -> Vec<TotalView> {
        [
            ("سهم شهرداری", "Municipality", totals.municipality),
            ("سهم دفتر خدمات الکترونیک", "E-services office", totals.office),
            ("سهم سایر دستگاه‌ها", "Other agencies", totals.agency),
        ]
        .into_iter()
        .filter(|(_, _, total)| *total != Rials::ZERO)
        .map(|(label_fa, label_en, total)| TotalView { label_fa, label_en, amount: amount_with_unit(total) })
        .collect()
    }
}

#[derive(Serialize)]
struct WaiverView {
    /// The waived amount as a deduction: `‎−۵۰٬۰۰۰٬۰۰۰ ریال`.
    deduction: String,
    reason: String,
    approver: ApproverView,
}

impl WaiverView {
    fn new(waiver: &Waiver) -> Self {
        WaiverView {
            deduction: amount_with_unit(Rials::new(waiver.amount.get().saturating_neg())),
            reason: persian_text(&waiver.reason),
            approver: (&waiver.approver).into(),
        }
    }
}

#[derive(Serialize)]
struct CashDiscountView {
    name_fa: String,
    clause: String,
    arithmetic: ArithmeticView,
    amount: String,
    cash_total: String,
}

impl CashDiscountView {
    fn new(discount: &CashDiscount) -> Self {
        CashDiscountView {
            name_fa: persian_text(&discount.name_fa),
            clause: persian_expression(&discount.clause),
            arithmetic: ArithmeticView::new(&discount.arithmetic),
            amount: amount_with_unit(discount.amount),
            cash_total: amount_with_unit(discount.cash_total),
        }
    }
}

#[derive(Serialize)]
struct InstalmentsView {
    down_payment: String,
    rows: Vec<InstalmentView>,
}

#[derive(Serialize)]
struct InstalmentView {
    number: String,
    due: DateView,
    amount: String,
}

impl InstalmentsView {
    fn new(plan: &InstalmentPlan) -> Self {
        InstalmentsView {
            down_payment: amount_with_unit(plan.down_payment),
            rows: plan
                .instalments
                .iter()
                .map(|instalment| InstalmentView {
                    number: persian_number(i64::from(instalment.number)),
                    due: instalment.due.into(),
                    amount: amount(instalment.amount),
                })
                .collect(),
        }
    }
}
