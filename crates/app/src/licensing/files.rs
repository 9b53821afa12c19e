//! Files attached to an application: certificates for the declarations and photos of the
//! premises. A file is accepted only when its content is a PDF, JPEG or PNG (told by its first
//! bytes, never by its name or the browser's word) and no larger than [`FILE_LIMIT`]; its name
//! is kept only as a label, stripped of folders and control characters.

use sha2::{Digest, Sha256};

use crate::cases::{clean_name, sniff};
use crate::error::{AppError, FieldError, Message};

/// The largest file accepted, in bytes.
pub const FILE_LIMIT: usize = 5 * 1024 * 1024;

/// A file as it arrived, for one slot of the application (`applicant.declaration.no_bankruptcy`,
/// `premises.photo`, …).
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

/// Checks every upload; the errors name each file's slot, in both languages.
pub fn check(uploads: Vec<Upload>) -> Result<Vec<Checked>, AppError> {
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for upload in uploads {
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

    #[test]
    fn only_pdf_jpeg_and_png_are_accepted_and_names_lose_their_folders() {
        let upload = |bytes: &[u8], name: &str| Upload {
            slot: "p.photo.1".into(),
            file_name: name.into(),
            bytes: bytes.to_vec(),
        };
        let ok = check(vec![upload(b"\x89PNG\r\n\x1a\n....", "..\\..\\.htaccess"), upload(b"%PDF-1.7", "/")])
            .unwrap();
        assert_eq!((ok[0].content_type, ok[0].file_name.as_str()), ("image/png", "htaccess"));
        assert_eq!((ok[1].content_type, ok[1].file_name.as_str()), ("application/pdf", "file"));
        assert!(check(vec![upload(b"0\nSECTION\n", "drawing.dxf")]).is_err(), "a drawing is no certificate");
    }

    #[test]
    fn oversized_and_unknown_files_are_named_by_slot() {
        let big = Upload {
            slot: "premises.photo.1".into(),
            file_name: "a.jpg".into(),
            bytes: vec![0xFF; FILE_LIMIT + 1],
        };
        let exe = Upload {
            slot: "applicant.declaration.no_bankruptcy".into(),
            file_name: "x.pdf".into(),
            bytes: b"MZ".to_vec(),
        };
        match check(vec![big, exe]) {
            Err(AppError::Invalid(fields)) => {
                let slots: Vec<&str> = fields.iter().map(|f| f.field.as_ref()).collect();
                assert_eq!(slots, ["premises.photo.1", "applicant.declaration.no_bankruptcy"]);
                assert!(fields[1].text(daftar_types::Lang::Fa).contains("PDF"));
            }
            other => panic!("{other:?}"),
        }
    }
}
