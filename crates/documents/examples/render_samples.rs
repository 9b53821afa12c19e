//! Renders every sample document to `/tmp/daftar-docs/` (or the folder given as the first
//! argument) for looking at the templates: `pdftoppm -png -r 80 FILE.pdf PREFIX`.

use std::path::PathBuf;

use daftar_documents::{
    InvoiceStatus, Seal, render_certificate, render_invoice, render_licence, render_permit, render_receipt,
    samples,
};
use ed25519_dalek::SigningKey;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "/tmp/daftar-docs".to_owned()));
    std::fs::create_dir_all(&dir)?;
    // A fixed demonstration key: these files are previews, not documents.
    let key = SigningKey::from_bytes(&[7; 32]);

    let mut cancelled = samples::invoice();
    cancelled.status = InvoiceStatus::Cancelled;
    let permit = samples::permit();
    let licence = samples::licence();
    let certificate = samples::certificate();
    let files = [
        ("invoice.pdf", render_invoice(&samples::invoice())?),
        ("invoice-cancelled.pdf", render_invoice(&cancelled)?),
        ("receipt.pdf", render_receipt(&samples::receipt())?),
        ("permit.pdf", render_permit(&permit, &Seal::sign(permit.signed_payload(), &key))?),
        ("licence.pdf", render_licence(&licence, &Seal::sign(licence.signed_payload(), &key))?),
        (
            "certificate.pdf",
            render_certificate(&certificate, &Seal::sign(certificate.signed_payload(), &key))?,
        ),
    ];
    for (name, pdf) in files {
        let path = dir.join(name);
        std::fs::write(&path, pdf)?;
        println!("{}", path.display());
    }
    Ok(())
}
