//! Files attached to an application: certificates for the declarations and photos of the
//! premises. A file is accepted only when its content is a PDF, JPEG or PNG (told by its first
//! bytes, never by its name or the browser's word) and no larger than [`FILE_LIMIT`]; its name
//! is kept only as a label, stripped of folders and control characters.

use std::collections::BTreeSet;

use daftar_licensing::{Application, CallRules, Location};
use sha2::{Digest, Sha256};

use crate::cases::{clean_name, sniff};
use crate::error::{AppError, FieldError, Message};

/// The largest file accepted, in bytes.
pub const FILE_LIMIT: usize = 5 * 1024 * 1024;

/// Photos of the premises an application may carry (`p.photo.1` …).
pub const PHOTOS: u32 = 3;

/// The slot of the certificate of a declaration: the applicant's (`a.decl.{code}.certificate`)
/// or the technical manager's (`m.decl.{code}.certificate`).
pub fn certificate_slot(manager: bool, code: &str) -> String {
    format!("{}.decl.{code}.certificate", if manager { "m" } else { "a" })
}

pub fn photo_slot(n: u32) -> String {
    format!("p.photo.{n}")
}

/// Every slot an application to a call has.
fn slots(rules: &CallRules) -> Vec<String> {
    let codes = rules.general.declarations.iter().map(|d| d.label.code.as_str());
    let certificates =
        [false, true].into_iter().flat_map(|m| codes.clone().map(move |c| certificate_slot(m, c)));
    certificates.chain((1..=PHOTOS).map(photo_slot)).collect()
}

/// What a submission lacks: the certificate of every declaration made, and a photo when the
/// applicant offers premises; one error per slot, in both languages.
pub fn missing(application: &Application, attached: &BTreeSet<String>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (manager, person) in [(false, &application.applicant), (true, &application.technical_manager)] {
        for code in &person.declarations {
            let slot = certificate_slot(manager, code);
            if !attached.contains(&slot) {
                errors.push(file_error(
                    &slot,
                    "گواهی این مورد را پیوست کنید.",
                    "attach the certificate of this declaration.",
                ));
            }
        }
    }
    let has_photo = (1..=PHOTOS).any(|n| attached.contains(&photo_slot(n)));
    if matches!(application.location, Location::OwnPremises(_)) && !has_photo {
        errors.push(file_error(
            &photo_slot(1),
            "دست‌کم یک عکس از محل پیوست کنید.",
            "attach at least one photo of the premises.",
        ));
    }
    errors
}

/// A file as it arrived, for one slot of the application.
#[derive(Debug, Clone)]
pub struct Upload {
    pub slot: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file that passed the checks.
#[derive(Debug, Clone)]
pub struct Checked {
    pub slot: String,
    pub file_name: String,
    pub content_type: &'static str,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// The types an application accepts, told from the content.
const ACCEPTED: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

fn file_error(slot: &str, fa: &str, en: &str) -> FieldError {
    FieldError::new(slot.to_string(), Message::new("فایل پیوست", "Attached file"), Message::new(fa, en))
}

/// Checks every upload against the call's slots; the errors name each file's slot, in both
/// languages.
pub fn check(rules: &CallRules, uploads: Vec<Upload>) -> Result<Vec<Checked>, AppError> {
    let slots = slots(rules);
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for upload in uploads {
        if !slots.contains(&upload.slot) {
            errors.push(file_error(
                &upload.slot,
                "جایی برای این فایل در درخواست نیست.",
                "has no place in the application.",
            ));
            continue;
        }
        if upload.bytes.len() > FILE_LIMIT {
            errors.push(file_error(&upload.slot, "بزرگ‌تر از ۵ مگابایت است.", "is larger than 5 MB."));
            continue;
        }
        let Some(content_type) = sniff(&upload.bytes).filter(|t| ACCEPTED.contains(t)) else {
            errors.push(file_error(
                &upload.slot,
                "باید PDF، JPEG یا PNG باشد.",
                "must be a PDF, JPEG or PNG file.",
            ));
            continue;
        };
        checked.push(Checked {
            file_name: clean_name(&upload.file_name).unwrap_or_else(|| "file".to_string()),
            content_type,
            sha256: hex::encode(Sha256::digest(&upload.bytes)),
            slot: upload.slot,
            bytes: upload.bytes,
        });
    }
    if errors.is_empty() { Ok(checked) } else { Err(AppError::Invalid(errors)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(slot: &str, bytes: &[u8], name: &str) -> Upload {
        Upload { slot: slot.into(), file_name: name.into(), bytes: bytes.to_vec() }
    }

    #[test]
    fn only_pdf_jpeg_and_png_are_accepted_and_names_lose_their_folders() {
        let rules = CallRules::demo().unwrap();
        let png = upload("p.photo.1", b"\x89PNG\r\n\x1a\n....", "..\\..\\.htaccess");
        let pdf = upload("a.decl.no_bankruptcy.certificate", b"%PDF-1.7", "/");
        let ok = check(&rules, vec![png, pdf]).unwrap();
        assert_eq!((ok[0].content_type, ok[0].file_name.as_str()), ("image/png", "htaccess"));
        assert_eq!((ok[1].content_type, ok[1].file_name.as_str()), ("application/pdf", "file"));
        let drawing = upload("p.photo.2", b"0\nSECTION\n", "drawing.dxf");
        assert!(check(&rules, vec![drawing]).is_err(), "a drawing is no photo");
    }

    #[test]
    fn oversized_unknown_and_misplaced_files_are_named_by_slot() {
        let rules = CallRules::demo().unwrap();
        let big = upload("p.photo.1", &[0xFF; FILE_LIMIT + 1], "a.jpg");
        let exe = upload("m.decl.no_bankruptcy.certificate", b"MZ", "x.pdf");
        let stray = upload("../../etc/passwd", b"%PDF-1.7", "x.pdf");
        match check(&rules, vec![big, exe, stray]) {
            Err(AppError::Invalid(fields)) => {
                let slots: Vec<&str> = fields.iter().map(|f| f.field.as_ref()).collect();
                assert_eq!(slots, ["p.photo.1", "m.decl.no_bankruptcy.certificate", "../../etc/passwd"]);
                assert!(fields[0].text(daftar_types::Lang::Fa).contains("۵ مگابایت"));
                assert!(fields[1].text(daftar_types::Lang::En).contains("PDF, JPEG or PNG"));
            }
            other => panic!("{other:?}"),
        }
    }
}
