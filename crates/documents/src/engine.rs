//! Typesetting: the embedded templates and fonts, and the hand-over of data to them.
//!
//! Data reaches a template only as JSON bytes in `sys.inputs.data`, decoded there with
//! `json(…)`. Values are never spliced into markup, so a name containing `#`, `$` or `]` is
//! printed as it is and cannot run typst code.

use std::sync::OnceLock;

use qrcode::QrCode;
use qrcode::render::svg;
use serde::Serialize;
use serde_json::Value;
use typst::diag::SourceDiagnostic;
use typst::foundations::{Bytes, Dict, IntoValue};
use typst_as_lib::{TypstAsLibError, TypstEngine};

use crate::error::DocumentError;
use crate::seal::{SEAL_FILE_NAME, Seal};
use crate::text::strip_isolates;

/// The only fonts the documents use: nothing is looked up on the host, so every server prints
/// the same pages.
const FONTS: [&[u8]; 2] =
    [include_bytes!("../fonts/Vazirmatn-Regular.ttf"), include_bytes!("../fonts/Vazirmatn-Bold.ttf")];

/// A document template; `common.typ` holds what they share.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Template {
    Invoice,
    Receipt,
    Permit,
    Licence,
    Certificate,
}

impl Template {
    fn file(self) -> &'static str {
        match self {
            Template::Invoice => "invoice.typ",
            Template::Receipt => "receipt.typ",
            Template::Permit => "permit.typ",
            Template::Licence => "licence.typ",
            Template::Certificate => "certificate.typ",
        }
    }
}

const SOURCES: [(&str, &str); 6] = [
    ("common.typ", include_str!("../templates/common.typ")),
    ("invoice.typ", include_str!("../templates/invoice.typ")),
    ("receipt.typ", include_str!("../templates/receipt.typ")),
    ("permit.typ", include_str!("../templates/permit.typ")),
    ("licence.typ", include_str!("../templates/licence.typ")),
    ("certificate.typ", include_str!("../templates/certificate.typ")),
];

/// Built once: reading the fonts and parsing the templates is the costly part of a first render.
fn engine() -> &'static TypstEngine {
    static ENGINE: OnceLock<TypstEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        TypstEngine::builder()
            .fonts(FONTS)
            .with_static_source_file_resolver(SOURCES)
            // Keep compiled templates and font data cached across renders; entries unused for
            // this many compilations are dropped, which bounds memory.
            .comemo_evict_max_age(Some(30))
            .build()
    })
}

/// Typesets `data` with `template`; the footer gets a QR code of `verify_url`, and a signed
/// document gets its seal attached.
///
/// Warnings are refused like errors. Typst warns only about the templates themselves (an unknown
/// font family, content that cannot appear where it was put), never about the text of the
/// data, and it would print such a page anyway, wrongly.
pub(crate) fn render(
    template: Template,
    data: &impl Serialize,
    verify_url: &str,
    seal: Option<&Seal>,
) -> Result<Vec<u8>, DocumentError> {
    let mut inputs = Dict::new();
    inputs.insert("data".into(), Bytes::new(json_bytes(data)?).into_value());
    inputs.insert("qr".into(), Bytes::new(qr_svg(verify_url)?.into_bytes()).into_value());
    if let Some(seal) = seal {
        inputs.insert("seal".into(), Bytes::new(seal.to_file()).into_value());
        inputs.insert("seal_name".into(), SEAL_FILE_NAME.into_value());
    }
    let compiled = engine().compile_with_input(template.file(), inputs);
    let document = compiled.output.map_err(|error| DocumentError::Typeset { details: typst_error(error) })?;
    if !compiled.warnings.is_empty() {
        return Err(DocumentError::Typeset {
            details: format!("warning: {}", diagnostics(&compiled.warnings)),
        });
    }
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| DocumentError::Export { details: diagnostics(&errors) })
}

/// The template's data as JSON, with directional isolates removed from every string.
fn json_bytes(data: &impl Serialize) -> Result<Vec<u8>, DocumentError> {
    let mut value =
        serde_json::to_value(data).map_err(|e| DocumentError::Typeset { details: e.to_string() })?;
    strip_value(&mut value);
    serde_json::to_vec(&value).map_err(|e| DocumentError::Typeset { details: e.to_string() })
}

fn strip_value(value: &mut Value) {
    match value {
        Value::String(s) => *s = strip_isolates(s),
        Value::Array(items) => items.iter_mut().for_each(strip_value),
        Value::Object(members) => members.values_mut().for_each(strip_value),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The QR code as an SVG image. Medium error correction survives a fold or a stamp over a corner.
fn qr_svg(url: &str) -> Result<String, DocumentError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| DocumentError::UrlTooLong)?;
    Ok(code.render::<svg::Color<'_>>().quiet_zone(false).module_dimensions(4, 4).build())
}

fn typst_error(error: TypstAsLibError) -> String {
    match error {
        TypstAsLibError::TypstSource(errors) => diagnostics(&errors),
        other => other.to_string(),
    }
}

fn diagnostics(errors: &[SourceDiagnostic]) -> String {
    errors.iter().map(describe).collect::<Vec<_>>().join("; ")
}

fn describe(diagnostic: &SourceDiagnostic) -> String {
    let hints = diagnostic.hints.iter().map(|hint| format!(" (hint: {})", hint.v));
    std::iter::once(diagnostic.message.to_string()).chain(hints).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolates_are_stripped_at_any_depth() {
        let data = serde_json::json!({"a": ["\u{2068}x\u{2069}", {"b": "\u{2067}y\u{2069}"}], "n": 1});
        let bytes = json_bytes(&data).expect("serialises");
        assert_eq!(String::from_utf8(bytes).ok().as_deref(), Some(r#"{"a":["x",{"b":"y"}],"n":1}"#));
    }

    #[test]
    fn qr_codes_are_svg() {
        let svg = qr_svg("https://daftar.example/verify/K7Q2").expect("a short URL fits");
        assert!(svg.contains("<svg"));
        assert_eq!(qr_svg(&"x".repeat(5000)), Err(DocumentError::UrlTooLong));
    }
}
