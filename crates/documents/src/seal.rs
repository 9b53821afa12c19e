//! Ed25519 seals: what a signed document asserts, signed, embedded in the PDF and checked offline.
//!
//! A signed document (permit, licence, certificate) carries its [`Seal`] twice: printed, so a
//! person can compare the signature and key id with the verification page, and as a PDF file
//! attachment named [`SEAL_FILE_NAME`], so software can check the file alone with
//! [`verify_pdf`], without the network or the database.
//!
//! The attachment is a JSON object whose first member is `"format":"daftar-seal/1"`. PDF
//! writers store an attachment as a stream, either as it is or zlib-compressed (the typesetter
//! compresses it when that saves at least a quarter). [`verify_pdf`] therefore scans the file for
//! that prefix both in plain bytes and at the start of every zlib stream that follows a `stream`
//! keyword. This needs no PDF parser, survives cross-reference and object streams, and keeps
//! working when a tool rewrites the file as long as it keeps Flate or no filter on the attachment.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use daftar_types::{Lang, Timestamp};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use flate2::read::ZlibDecoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The attachment's file name inside the PDF.
pub const SEAL_FILE_NAME: &str = "daftar-seal.json";

/// The attachment's format tag; also the prefix [`verify_pdf`] looks for.
const FORMAT: &str = "daftar-seal/1";
const MAGIC: &[u8] = br#"{"format":"daftar-seal/1","#;

/// Prepended to the canonical payload before signing. The deployment key also signs audit
/// checkpoints; a distinct prefix makes sure a document signature can never be presented as a
/// checkpoint signature or the other way round.
const DOMAIN: &[u8] = b"daftar-document-seal/1\n";

/// The largest attachment read back; a seal is well under a kilobyte, so anything bigger is not one.
const MAX_SEAL_LEN: u64 = 64 * 1024;

/// What a signed document asserts: its identity and the facts a forger would want to change.
///
/// Fields are declared in alphabetical order and `essentials` is a sorted map, so the JSON
/// serialisation is canonical: the same payload always gives the same bytes to sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedPayload {
    /// The verification code printed on the document and typed on the verification page.
    pub code: String,
    /// Facts of the document by name, e.g. `total_area` → `1380.5`.
    pub essentials: BTreeMap<String, String>,
    pub issued_at: Timestamp,
    /// `permit`, `licence`, or the certificate's kind.
    pub kind: String,
    /// The document number.
    pub number: String,
}

impl SignedPayload {
    /// The exact bytes that are signed.
    fn signed_bytes(&self) -> Vec<u8> {
        let mut bytes = DOMAIN.to_vec();
        bytes
            .extend(serde_json::to_vec(self).expect("strings, an integer and a string map always serialise"));
        bytes
    }
}

/// A payload with its signature and the id of the key that made it.
///
/// Kept by the caller next to the document's record, so the verification page can show the same
/// signature the paper shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub payload: SignedPayload,
    /// The 16 hex digits of [`key_id`].
    pub key_id: String,
    /// The Ed25519 signature, standard base64 (88 characters).
    pub signature: String,
}

impl Seal {
    /// Signs `payload` with the deployment's key.
    pub fn sign(payload: SignedPayload, key: &SigningKey) -> Seal {
        let signature = key.sign(&payload.signed_bytes());
        Seal { key_id: key_id(&key.verifying_key()), signature: BASE64.encode(signature.to_bytes()), payload }
    }

    /// The attachment's content.
    pub(crate) fn to_file(&self) -> Vec<u8> {
        let file = SealFile {
            format: FORMAT.to_owned(),
            algorithm: "Ed25519".to_owned(),
            key_id: self.key_id.clone(),
            signature: self.signature.clone(),
            payload: self.payload.clone(),
        };
        serde_json::to_vec(&file).expect("strings, an integer and a string map always serialise")
    }
}

/// The attachment as stored; `format` comes first so that the file starts with [`MAGIC`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealFile {
    format: String,
    algorithm: String,
    key_id: String,
    signature: String,
    payload: SignedPayload,
}

/// Names a public key in print and in seals: the first 16 hex digits of the SHA-256 of its 32
/// bytes. Short enough to read aloud, long enough that two deployment keys never collide.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    hex::encode(&digest[..8])
}

/// Why a PDF's seal was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The file carries no seal: not a signed document, or the attachment was removed.
    #[error("the file carries no digital signature")]
    NotSigned,
    /// A seal is there but cannot be read (damaged, or more than one).
    #[error("the digital signature in the file is damaged")]
    Malformed,
    /// The seal was made by another key, e.g. another city's or a retired one.
    #[error("the document was signed with key {found}, not with key {expected}")]
    WrongKey { expected: String, found: String },
    /// The signature does not match the payload: the document was altered or forged.
    #[error("the digital signature does not match the document")]
    BadSignature,
}

impl VerifyError {
    /// A sentence for the person checking the document.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (VerifyError::NotSigned, Lang::Fa) => "این فایل امضای دیجیتال ندارد.".to_owned(),
            (VerifyError::NotSigned, Lang::En) => "This file carries no digital signature.".to_owned(),
            (VerifyError::Malformed, Lang::Fa) => "امضای دیجیتال این فایل آسیب دیده است.".to_owned(),
            (VerifyError::Malformed, Lang::En) => "The digital signature in this file is damaged.".to_owned(),
            (VerifyError::WrongKey { expected, found }, Lang::Fa) => {
                format!("این سند با کلید {found} امضا شده است، نه با کلید {expected} این شهرداری.")
            }
            (VerifyError::WrongKey { expected, found }, Lang::En) => {
                format!("The document was signed with key {found}, not with this city's key {expected}.")
            }
            (VerifyError::BadSignature, Lang::Fa) => {
                "امضای دیجیتال با محتوای سند نمی‌خواند: سند دست‌کاری یا جعل شده است.".to_owned()
            }
            (VerifyError::BadSignature, Lang::En) => {
                "The digital signature does not match the document: it was altered or forged.".to_owned()
            }
        }
    }
}

/// Checks the seal embedded in a PDF against `key` and returns what it asserts. Works on the
/// file alone; the caller should still compare the returned payload with what the document
/// prints, or show it, since the signature covers the payload and not the page drawing.
pub fn verify_pdf(pdf: &[u8], key: &VerifyingKey) -> Result<SignedPayload, VerifyError> {
    let mut candidates = seal_candidates(pdf);
    let file = match (candidates.next(), candidates.next()) {
        (None, _) => return Err(VerifyError::NotSigned),
        (Some(file), None) => file,
        (Some(_), Some(_)) => return Err(VerifyError::Malformed),
    };
    let file: SealFile = serde_json::from_slice(&file).map_err(|_| VerifyError::Malformed)?;
    if file.format != FORMAT || file.algorithm != "Ed25519" {
        return Err(VerifyError::Malformed);
    }
    let expected = key_id(key);
    if file.key_id != expected {
        return Err(VerifyError::WrongKey { expected, found: file.key_id });
    }
    let bytes = BASE64.decode(&file.signature).map_err(|_| VerifyError::Malformed)?;
    let signature = Signature::from_slice(&bytes).map_err(|_| VerifyError::Malformed)?;
    key.verify_strict(&file.payload.signed_bytes(), &signature).map_err(|_| VerifyError::BadSignature)?;
    Ok(file.payload)
}

/// Every seal file found in the PDF, stored plainly or zlib-compressed.
fn seal_candidates(pdf: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let plain = find_all(pdf, MAGIC).map(|at| json_value_at(&pdf[at..]));
    let compressed = find_all(pdf, b"stream").filter_map(|at| inflated_seal(stream_data(pdf, at)?));
    plain.chain(compressed)
}

/// The bytes of the JSON value at the start of `bytes`, without what follows it (`endstream`).
fn json_value_at(bytes: &[u8]) -> Vec<u8> {
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<serde::de::IgnoredAny>();
    let end = match values.next() {
        Some(Ok(_)) => values.byte_offset(),
        _ => bytes.len().min(MAX_SEAL_LEN as usize),
    };
    bytes[..end].to_vec()
}

/// The data of the stream whose `stream` keyword starts at `at`: it begins after the end of line
/// that must follow the keyword. `None` for the keyword `endstream` and for stray matches.
fn stream_data(pdf: &[u8], at: usize) -> Option<&[u8]> {
    if pdf[..at].ends_with(b"end") {
        return None;
    }
    let after = &pdf[at + b"stream".len()..];
    after.strip_prefix(b"\r\n").or_else(|| after.strip_prefix(b"\n"))
}

/// The inflated stream, if it is zlib data that starts with the seal prefix.
fn inflated_seal(data: &[u8]) -> Option<Vec<u8>> {
    let mut decoder = ZlibDecoder::new(data).take(MAX_SEAL_LEN);
    let mut head = vec![0; MAGIC.len()];
    decoder.read_exact(&mut head).ok()?;
    if head != MAGIC {
        return None;
    }
    // A truncated stream still yields what was read; the JSON check then rejects it.
    let _ = decoder.read_to_end(&mut head);
    Some(head)
}

/// The offsets of every occurrence of `needle` in `haystack`.
fn find_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    haystack.windows(needle.len()).enumerate().filter(move |(_, w)| *w == needle).map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;

    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn payload() -> SignedPayload {
        SignedPayload {
            code: "K7Q2-M9XD".to_owned(),
            essentials: BTreeMap::from([("b".to_owned(), "۲".to_owned()), ("a".to_owned(), "1".to_owned())]),
            issued_at: Timestamp::from_unix(1_796_000_000),
            kind: "permit".to_owned(),
            number: "1405-000123".to_owned(),
        }
    }

    fn fake_pdf(stream: &[u8]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.7\n1 0 obj\n<< /Length 9 >>\nstream\n".to_vec();
        pdf.extend_from_slice(stream);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        pdf
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).expect("writes to memory");
        encoder.finish().expect("writes to memory")
    }

    #[test]
    fn payload_serialisation_is_canonical() {
        let json = serde_json::to_string(&payload()).expect("serialises");
        assert_eq!(
            json,
            r#"{"code":"K7Q2-M9XD","essentials":{"a":"1","b":"۲"},"issued_at":1796000000,"kind":"permit","number":"1405-000123"}"#
        );
    }

    #[test]
    fn key_id_is_16_hex_digits() {
        let id = key_id(&key(1).verifying_key());
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, key_id(&key(2).verifying_key()));
    }

    #[test]
    fn seal_file_starts_with_the_magic_prefix() {
        assert!(Seal::sign(payload(), &key(1)).to_file().starts_with(MAGIC));
    }

    #[test]
    fn finds_plain_and_compressed_seals() {
        let seal = Seal::sign(payload(), &key(1));
        let verifying = key(1).verifying_key();
        for stream in [seal.to_file(), deflate(&seal.to_file())] {
            assert_eq!(verify_pdf(&fake_pdf(&stream), &verifying), Ok(payload()));
        }
    }

    #[test]
    fn two_seals_are_refused() {
        let file = Seal::sign(payload(), &key(1)).to_file();
        let mut pdf = fake_pdf(&file);
        pdf.extend(fake_pdf(&deflate(&file)));
        assert_eq!(verify_pdf(&pdf, &key(1).verifying_key()), Err(VerifyError::Malformed));
    }

    #[test]
    fn damaged_seals_are_malformed() {
        let file = Seal::sign(payload(), &key(1)).to_file();
        let truncated = &file[..file.len() - 10];
        assert_eq!(verify_pdf(&fake_pdf(truncated), &key(1).verifying_key()), Err(VerifyError::Malformed));
        let mut seal = Seal::sign(payload(), &key(1));
        seal.signature = "not base64!".to_owned();
        assert_eq!(
            verify_pdf(&fake_pdf(&seal.to_file()), &key(1).verifying_key()),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn messages_exist_in_both_languages() {
        let errors = [
            VerifyError::NotSigned,
            VerifyError::Malformed,
            VerifyError::WrongKey { expected: "a".to_owned(), found: "b".to_owned() },
            VerifyError::BadSignature,
        ];
        for error in errors {
            assert!(error.message(Lang::Fa).chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)));
            assert!(error.message(Lang::En).is_ascii());
        }
    }
}
