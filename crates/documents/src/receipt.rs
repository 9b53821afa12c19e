//! The payment receipt (رسید پرداخت): what was paid, through which gateway, and how the payment
//! was split between the parties.

use daftar_types::{Lang, Rials, Timestamp};
use serde::{Deserialize, Serialize};

use crate::common::{Person, PersonView, amount, amount_with_unit, check_sum, identifier};
use crate::engine::{self, Template};
use crate::error::{DocumentError, Sum};
use crate::text::persian_text;

/// A confirmed payment of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDocument {
    pub city: String,
    /// The receipt's own code.
    pub code: String,
    pub invoice_number: String,
    pub paid_at: Timestamp,
    pub payer: Person,
    /// The gateway's Persian name (`درگاه پرداخت شاپرک`).
    pub gateway: String,
    /// The gateway's reference for the payment, which the bank can trace.
    pub gateway_reference: String,
    pub amount: Rials,
    /// How `amount` is split; the shares must add up to it.
    pub shares: Vec<Share>,
    pub verify_url: String,
}

/// One party's part of a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// The party's Persian name (`شهرداری`).
    pub party: String,
    pub amount: Rials,
}

/// Renders the receipt as PDF.
pub fn render_receipt(receipt: &ReceiptDocument) -> Result<Vec<u8>, DocumentError> {
    check_sum(Sum::ReceiptShares, receipt.shares.iter().map(|share| share.amount), receipt.amount)?;
    engine::render(Template::Receipt, &ReceiptView::new(receipt), &receipt.verify_url, None)
}

#[derive(Serialize)]
struct ReceiptView {
    city: String,
    code: String,
    invoice_number: String,
    paid_at: String,
    payer: PersonView,
    gateway: String,
    gateway_reference: String,
    amount: String,
    shares: Vec<ShareView>,
    /// `amount` without the unit, under the shares' column.
    total: String,
    verify_url: String,
}

#[derive(Serialize)]
struct ShareView {
    party: String,
    amount: String,
}

impl ReceiptView {
    fn new(receipt: &ReceiptDocument) -> Self {
        ReceiptView {
            city: persian_text(&receipt.city),
            code: identifier(&receipt.code),
            invoice_number: identifier(&receipt.invoice_number),
            paid_at: receipt.paid_at.to_tehran().format(Lang::Fa),
            payer: (&receipt.payer).into(),
            gateway: persian_text(&receipt.gateway),
            gateway_reference: identifier(&receipt.gateway_reference),
            amount: amount_with_unit(receipt.amount),
            shares: receipt
                .shares
                .iter()
                .map(|share| ShareView { party: persian_text(&share.party), amount: amount(share.amount) })
                .collect(),
            total: amount(receipt.amount),
            verify_url: receipt.verify_url.clone(),
        }
    }
}
