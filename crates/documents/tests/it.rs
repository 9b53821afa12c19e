//! Renders the documents and checks them as a reader of the file would: the PDF itself, its text
//! (where poppler's tools are installed) and its signature.

use std::io::Write as _;
use std::process::{Command, Stdio};

use daftar_documents::{
    DocumentError, Person, Seal, Sum, VerifyError, render_certificate, render_invoice, render_licence,
    render_permit, render_receipt, samples, verify_pdf,
};
use daftar_types::Rials;
use ed25519_dalek::SigningKey;

fn city_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[8; 32])
}

fn signed_permit(key: &SigningKey) -> Vec<u8> {
    let permit = samples::permit();
    render_permit(&permit, &Seal::sign(permit.signed_payload(), key)).expect("the permit renders")
}

fn assert_pdf(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    assert!(pdf.len() > 10_000, "suspiciously small PDF: {} bytes", pdf.len());
}

/// Runs a poppler tool on the PDF, or `None` when poppler is not installed.
fn poppler(tool: &str, options: &[&str], pdf: &[u8]) -> Option<String> {
    let mut child = Command::new(tool)
        .args(options)
        .args(["-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(pdf).ok()?;
    let output = child.wait_with_output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The PDF's text in reading order, without the direction marks and zero-width non-joiners that
/// the extraction inserts or moves around.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let text = poppler("pdftotext", &[], pdf)?;
    Some(text.chars().filter(|c| !matches!(c, '\u{200C}' | '\u{202A}'..='\u{202E}')).collect())
}

/// The words of the PDF as drawn. Left-to-right words (codes, the signature) come out whole,
/// where the plain text would move a trailing `==` to the other end of a right-to-left line.
fn pdf_words(pdf: &[u8]) -> Option<Vec<String>> {
    let html = poppler("pdftotext", &["-bbox"], pdf)?;
    let words = html.split("</word>").filter_map(|chunk| chunk.rsplit_once('>')).map(|(_, word)| word);
    Some(words.map(|word| word.replace("&quot;", "\"").replace("&amp;", "&")).collect())
}

fn page_count(pdf: &[u8]) -> Option<usize> {
    let info = poppler("pdfinfo", &[], pdf)?;
    info.lines().find_map(|line| line.strip_prefix("Pages:")).and_then(|n| n.trim().parse().ok())
}

#[test]
fn every_document_renders_as_pdf() {
    let licence = samples::licence();
    let certificate = samples::certificate();
    let pdfs = [
        render_invoice(&samples::invoice()).expect("invoice"),
        render_receipt(&samples::receipt()).expect("receipt"),
        signed_permit(&city_key()),
        render_licence(&licence, &Seal::sign(licence.signed_payload(), &city_key())).expect("licence"),
        render_certificate(&certificate, &Seal::sign(certificate.signed_payload(), &city_key()))
            .expect("certificate"),
    ];
    for pdf in &pdfs {
        assert_pdf(pdf);
        if let Some(pages) = page_count(pdf) {
            assert!(pages >= 1);
        }
    }
}

#[test]
fn text_is_persian_with_persian_digits() {
    let pdf = render_invoice(&samples::invoice()).expect("invoice");
    let Some(text) = pdf_text(&pdf) else { return };
    for expected in
        ["صورتحساب عوارض", "شهرداری کرج", "۱٬۴۰۷٬۴۰۶٬۰۰۰", "آذر", "۱۴۰۵", "multiplier(level)", "Fee lines"]
    {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    for ascii in ["1407406000", "1,407,406,000", "1234567", "2,111,056,000"] {
        assert!(!text.contains(ascii), "{ascii:?} printed with ASCII digits in:\n{text}");
    }
}

#[test]
fn long_invoices_continue_on_more_pages() {
    let mut invoice = samples::invoice();
    let line = invoice.lines[0].clone();
    invoice.lines = vec![line.clone(); 30];
    invoice.grand_total = Rials::new(line.amount.get() * 30);
    invoice.totals.municipality = invoice.grand_total;
    invoice.totals.office = Rials::ZERO;
    invoice.totals.agency = Rials::ZERO;
    let pdf = render_invoice(&invoice).expect("invoice");
    if let Some(pages) = page_count(&pdf) {
        assert!(pages >= 2, "{pages} page(s)");
    }
}

#[test]
fn rendering_is_deterministic() {
    let invoice = samples::invoice();
    assert_eq!(render_invoice(&invoice).ok(), render_invoice(&invoice).ok());
}

#[test]
fn data_is_printed_literally_and_never_run() {
    let hostile = r##"#panic("injected") $x^2$ ] [ " \ #{1 + 1} // <label> @ref *bold*"##;
    let mut receipt = samples::receipt();
    receipt.payer = Person { name: hostile.to_owned(), masked_national_id: "#x]".to_owned() };
    receipt.gateway = hostile.to_owned();
    let pdf = render_receipt(&receipt).expect("hostile text is data, not markup");
    let Some(text) = pdf_text(&pdf) else { return };
    // Whole fragments whose characters keep their order in right-to-left text.
    for fragment in [r#"panic("injected")"#, "$x^", r#"] [ " \ #{"#, "<label> @ref"] {
        assert!(text.contains(fragment), "{fragment:?} missing from:\n{text}");
    }
}

#[test]
fn signed_documents_verify_offline() {
    let key = city_key();
    let permit = samples::permit();
    assert_eq!(verify_pdf(&signed_permit(&key), &key.verifying_key()), Ok(permit.signed_payload()));

    let licence = samples::licence();
    let pdf = render_licence(&licence, &Seal::sign(licence.signed_payload(), &key)).expect("licence");
    assert_eq!(verify_pdf(&pdf, &key.verifying_key()), Ok(licence.signed_payload()));

    let certificate = samples::certificate();
    let seal = Seal::sign(certificate.signed_payload(), &key);
    let pdf = render_certificate(&certificate, &seal).expect("certificate");
    assert_eq!(verify_pdf(&pdf, &key.verifying_key()), Ok(certificate.signed_payload()));
}

#[test]
fn the_signature_is_printed_with_its_key_id() {
    let key = city_key();
    let permit = samples::permit();
    let seal = Seal::sign(permit.signed_payload(), &key);
    let pdf = render_permit(&permit, &seal).expect("permit");
    let Some(words) = pdf_words(&pdf) else { return };
    for printed in [&seal.key_id, &seal.signature[..44], &seal.signature[44..]] {
        assert!(words.iter().any(|word| word == printed), "{printed} missing from {words:?}");
    }
}

#[test]
fn a_tampered_payload_fails() {
    let key = city_key();
    let permit = samples::permit();
    let mut seal = Seal::sign(permit.signed_payload(), &key);
    seal.payload.essentials.insert("total_area".to_owned(), "2870.5".to_owned());
    let pdf = render_permit(&permit, &seal).expect("permit");
    assert_eq!(verify_pdf(&pdf, &key.verifying_key()), Err(VerifyError::BadSignature));
}

#[test]
fn a_tampered_signature_fails() {
    let key = city_key();
    let licence = samples::licence();
    let mut seal = Seal::sign(licence.signed_payload(), &key);
    let other = Seal::sign(samples::permit().signed_payload(), &key);
    seal.signature = other.signature;
    let pdf = render_licence(&licence, &seal).expect("licence");
    assert_eq!(verify_pdf(&pdf, &key.verifying_key()), Err(VerifyError::BadSignature));
}

#[test]
fn another_keys_signature_fails() {
    let pdf = signed_permit(&other_key());
    let result = verify_pdf(&pdf, &city_key().verifying_key());
    assert!(matches!(result, Err(VerifyError::WrongKey { .. })), "{result:?}");
}

#[test]
fn an_unsigned_pdf_has_no_signature() {
    let pdf = render_invoice(&samples::invoice()).expect("invoice");
    assert_eq!(verify_pdf(&pdf, &city_key().verifying_key()), Err(VerifyError::NotSigned));
    assert_eq!(verify_pdf(b"not a pdf", &city_key().verifying_key()), Err(VerifyError::NotSigned));
}

#[test]
fn a_seal_for_another_document_is_refused() {
    let key = city_key();
    let licence_seal = Seal::sign(samples::licence().signed_payload(), &key);
    let result = render_permit(&samples::permit(), &licence_seal);
    assert!(matches!(result, Err(DocumentError::SealMismatch { .. })));
}

#[test]
fn amounts_that_do_not_add_up_are_refused() {
    let mut receipt = samples::receipt();
    receipt.amount = Rials::new(receipt.amount.get() + 1);
    assert!(matches!(
        render_receipt(&receipt),
        Err(DocumentError::DoesNotAddUp { sum: Sum::ReceiptShares, .. })
    ));

    let mut invoice = samples::invoice();
    invoice.lines.pop();
    assert!(matches!(
        render_invoice(&invoice),
        Err(DocumentError::DoesNotAddUp { sum: Sum::InvoiceLines, .. })
    ));

    let mut invoice = samples::invoice();
    invoice.totals.office = Rials::ZERO;
    assert!(matches!(
        render_invoice(&invoice),
        Err(DocumentError::DoesNotAddUp { sum: Sum::PartyTotals, .. })
    ));
}
