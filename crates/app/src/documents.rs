//! Printed documents: an invoice and a receipt as PDF, from what is on record. Typesetting runs
//! on a blocking thread: a page takes a few milliseconds of CPU.

use daftar_documents::{
    self as docs, DocumentError, InstalmentPlan, InvoiceDocument, InvoiceStatus, PartyTotals, Person,
    ReceiptDocument,
};
use daftar_fees::bylaw::Party;
use daftar_store::money::InvoiceRow;
use daftar_types::{JalaliDate, Lang, Rials, Timestamp};

use crate::App;
use crate::error::{AppError, AppResult, Message};
use crate::money::{self, InvoiceView, Receipt};

fn party_name(party: Party) -> &'static str {
    match party {
        Party::Municipality => "شهرداری",
        Party::Office => "دفتر خدمات",
        Party::Agency => "دستگاه همکار",
    }
}

fn render_failed(error: &DocumentError) -> AppError {
    tracing::error!(error = error.message(Lang::En), "a document could not be typeset");
    AppError::Conflict(Message::new(
        format!("چاپ سند ممکن نشد: {}", error.message(Lang::Fa)),
        format!("The document could not be printed: {}", error.message(Lang::En)),
    ))
}

pub(crate) async fn render<T: Send + 'static>(
    document: T,
    render: fn(&T) -> Result<Vec<u8>, DocumentError>,
) -> AppResult<Vec<u8>> {
    tokio::task::spawn_blocking(move || render(&document))
        .await
        .map_err(|e| AppError::Conflict(Message::new("چاپ سند ممکن نشد.", format!("Printing failed: {e}"))))?
        .map_err(|e| render_failed(&e))
}

/// Who pays an invoice, as printed: the office for rent, else the case's file.
async fn payer(app: &App, invoice: &InvoiceRow) -> AppResult<Person> {
    let office = match invoice.office_id {
        Some(id) => crate::directory::offices(app).await?.into_iter().find(|o| o.id == id),
        None => None,
    };
    let name = match (invoice.owner_type.as_str(), office) {
        ("office_rent", Some(office)) => office.name_fa,
        _ => format!("پروندهٔ {}", invoice.owner_id),
    };
    Ok(Person { name, masked_national_id: String::new() })
}

fn subject(invoice: &InvoiceRow) -> String {
    match invoice.owner_type.as_str() {
        "office_rent" => format!("اجاره‌بهای محل دفتر ({})", invoice.owner_id),
        _ => format!("عوارض و هزینه‌های خدمت ({})", invoice.owner_id),
    }
}

fn invoice_document(app: &App, view: &InvoiceView, payer: Person) -> InvoiceDocument {
    let (invoice, assessment) = (&view.invoice, &view.assessment);
    let lines = assessment
        .lines
        .iter()
        .map(|l| docs::InvoiceLine {
            name_fa: l.name_fa.clone(),
            name_en: l.name_en.clone(),
            clause: l.clause.clone(),
            party: party_name(l.party).to_string(),
            formula: l.formula.clone(),
            inputs: l.inputs.clone(),
            arithmetic: match l.waived_from {
                Some(was) => format!("{} (بخشوده از {})", l.arithmetic, was.get()),
                None => l.arithmetic.clone(),
            },
            amount: l.amount,
        })
        .collect();
    let discount = &assessment.cash_discount;
    let cash_discount = (discount.amount.get() > 0).then(|| docs::CashDiscount {
        name_fa: discount.name_fa.clone(),
        clause: discount.clause.clone(),
        arithmetic: discount.arithmetic.clone(),
        amount: discount.amount,
        cash_total: assessment.cash_total(),
    });
    let instalments = instalment_plan(view);
    let status = match invoice.status.as_str() {
        "paid" => InvoiceStatus::Paid,
        "cancelled" => InvoiceStatus::Cancelled,
        _ => InvoiceStatus::Issued,
    };
    InvoiceDocument {
        city: app.config().city_name.clone(),
        number: invoice.public_id.clone(),
        issued_on: Timestamp::from_unix(invoice.created_at).to_tehran().date(),
        payer,
        case_number: invoice.owner_id.clone(),
        subject: subject(invoice),
        bylaw_version: invoice.bylaw_version.clone(),
        lines,
        totals: PartyTotals {
            municipality: assessment.municipal_total,
            office: assessment.office_total,
            agency: assessment.agency_total,
        },
        grand_total: assessment.total,
        cash_discount,
        // A waiver is printed line by line (each waived line shows what it was); the total
        // already excludes it.
        waiver: None,
        instalments,
        status,
        verify_url: format!(
            "{}/invoices/{}",
            app.config().public_url.trim_end_matches('/'),
            invoice.public_id
        ),
    }
}

fn instalment_plan(view: &InvoiceView) -> Option<InstalmentPlan> {
    let (down, rest) = view.instalments.split_first()?;
    let date = |text: &str| JalaliDate::parse(text).ok();
    let instalments = rest
        .iter()
        .filter_map(|i| {
            Some(docs::Instalment {
                number: u32::try_from(i.number).ok()?,
                due: date(&i.due_on)?,
                amount: Rials::new(i.amount),
            })
        })
        .collect();
    Some(InstalmentPlan { down_payment: Rials::new(down.amount), instalments })
}

/// An invoice as a PDF that prints every line's formula, inputs and arithmetic.
pub async fn invoice_pdf(app: &App, public_id: &str) -> AppResult<Vec<u8>> {
    let view = money::invoice(app, public_id).await?;
    let payer = payer(app, &view.invoice).await?;
    render(invoice_document(app, &view, payer), docs::render_invoice).await
}

fn receipt_document(app: &App, receipt: &Receipt, payer: Person) -> AppResult<ReceiptDocument> {
    let code = receipt.payment.receipt_code.clone().ok_or(AppError::NotFound)?;
    Ok(ReceiptDocument {
        city: app.config().city_name.clone(),
        verify_url: format!("{}/receipts/{code}", app.config().public_url.trim_end_matches('/')),
        code,
        invoice_number: receipt.invoice.public_id.clone(),
        paid_at: Timestamp::from_unix(receipt.payment.paid_at.unwrap_or(receipt.payment.created_at)),
        payer,
        gateway: if receipt.payment.gateway == "sandbox" {
            "درگاه آزمایشی".to_string()
        } else {
            receipt.payment.gateway.clone()
        },
        gateway_reference: receipt.payment.gateway_ref.clone(),
        amount: Rials::new(receipt.payment.amount),
        shares: receipt
            .shares
            .iter()
            .map(|(party, amount)| docs::Share { party: party_name(*party).to_string(), amount: *amount })
            .collect(),
    })
}

/// A receipt as a PDF with a QR code of its public verification page.
pub async fn receipt_pdf(app: &App, code: &str) -> AppResult<Vec<u8>> {
    let receipt = money::receipt(app, code).await?;
    let payer = payer(app, &receipt.invoice).await?;
    render(receipt_document(app, &receipt, payer)?, docs::render_receipt).await
}
