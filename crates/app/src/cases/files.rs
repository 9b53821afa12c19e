//! Documents uploaded to a case. The type is decided from the bytes, never from the name or the
//! browser's word; the name is kept only as a label, cleaned of paths; the bytes are stored
//! once under their SHA-256 in the database, outside any web root.

use daftar_store::cases::{self as store, DocumentRow};
use daftar_types::Lang;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{acting_roles, catalog};
use crate::audit::{By, entry};
use crate::authz::Principal;
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

/// The type of a file from its first bytes: PDF, PNG, JPEG or a DXF drawing (ASCII or binary).
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if bytes.starts_with(b"AutoCAD Binary DXF") {
        return Some("image/vnd.dxf");
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    let mut lines = head.lines().map(str::trim);
    if lines.next() == Some("0") && lines.next() == Some("SECTION") {
        return Some("image/vnd.dxf");
    }
    None
}

/// A display name safe to show and to offer back as a download name: the last path part,
/// without control or reserved characters, at most 100 characters.
pub(crate) fn clean_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    (!cleaned.is_empty()).then_some(cleaned)
}

fn refused(document: &str, fa: String, en: String) -> AppError {
    AppError::invalid(FieldError::new(
        format!("documents.{document}"),
        Message::new("مدرک", "Document"),
        Message::new(fa, en),
    ))
}

/// Uploads a document of a kind the case's service asks for. Whoever may act on the case may
/// upload, except after it ended.
pub async fn upload_document(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    tracking: &str,
    kind: &str,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<i64> {
    let pool = app.store().pool();
    let case = store::case_by_tracking(pool, tracking, "").await?.ok_or(AppError::NotFound)?;
    let definition = catalog::definition_of(app, case.service_id).await?;
    acting_roles(app, principal, &case, &definition).await?;
    if case.terminal != 0 {
        return Err(AppError::Conflict(Message::new("این پرونده بسته شده است.", "This case is closed.")));
    }
    let spec = definition.document(kind).ok_or_else(|| {
        refused(kind, "این خدمت چنین مدرکی نمی‌خواهد.".into(), "the service asks for no such document.".into())
    })?;
    let name = clean_name(file_name).ok_or_else(|| {
        refused(kind, "نام فایل پذیرفتنی نیست.".into(), "the file name is not acceptable.".into())
    })?;
    let mime = sniff(bytes).unwrap_or("application/octet-stream");
    spec.check(mime, bytes.len() as u64)
        .map_err(|e| refused(kind, e.message(Lang::Fa), e.message(Lang::En)))?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let mut tx = app.store().begin_write().await?;
    daftar_store::blobs::put(tx.conn(), &sha256, bytes).await?;
    let row = DocumentRow {
        id: 0,
        case_id: case.id,
        kind: kind.to_owned(),
        file_name: name.clone(),
        mime_type: mime.to_owned(),
        size: bytes.len() as i64,
        sha256: sha256.clone(),
        uploaded_by: Some(principal.user_id),
        uploaded_at: app.now(),
    };
    let id = store::insert_document(tx.conn(), &row).await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "case.document_uploaded",
        ("case", case.tracking_code.clone()),
        json!({ "kind": kind, "name": name, "sha256": sha256, "size": bytes.len() }),
    ));
    app.commit(tx).await?;
    Ok(id)
}

/// A document's bytes, with its name and type, for someone who may see the case.
pub async fn document_bytes(
    app: &App,
    principal: &Principal,
    tracking: &str,
    document_id: i64,
) -> AppResult<(DocumentRow, Vec<u8>)> {
    let pool = app.store().pool();
    let case = store::case_by_tracking(pool, tracking, "").await?.ok_or(AppError::NotFound)?;
    let definition = catalog::definition_of(app, case.service_id).await?;
    acting_roles(app, principal, &case, &definition).await?;
    let document = store::documents(pool, case.id)
        .await?
        .into_iter()
        .find(|d| d.id == document_id)
        .ok_or(AppError::NotFound)?;
    let bytes = daftar_store::blobs::get(pool, &document.sha256).await?.ok_or(AppError::NotFound)?;
    Ok((document, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"  0\r\nSECTION\r\n  2\r\nHEADER"), Some("image/vnd.dxf"));
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert_eq!(sniff(b"<html><script>"), None);
    }

    #[test]
    fn names_lose_their_paths_and_tricks() {
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(clean_name("C:\\Users\\x\\سند.pdf").as_deref(), Some("سند.pdf"));
        assert_eq!(clean_name("..").as_deref(), None);
        assert_eq!(clean_name(".htaccess").as_deref(), Some("htaccess"));
        assert_eq!(clean_name("a\u{0}b<c>.pdf").as_deref(), Some("abc.pdf"));
        assert_eq!(clean_name("dir/").as_deref(), None);
    }
}
