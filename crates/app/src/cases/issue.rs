//! What a case issues: the building permit and the certificates, each sealed with the city's
//! Ed25519 key when issued and stored with its seal, printed as PDF on demand, and verified by
//! its code (the QR target) or offline from the PDF alone.

use std::collections::BTreeMap;

use daftar_documents::{
    self as docs, Approver, CertificateDocument, Field, PermitDocument, Person, Seal, SignedPayload,
};
use daftar_store::WriteTx;
use daftar_store::cases::{self as store, CaseRow, IssuedRow};
use daftar_types::{JalaliDate, Lang, NationalId, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::catalog;
use super::facts::CaseFacts;
use crate::App;
use crate::error::{AppError, AppResult, Message};

const DEADLINES_TOML: &str = include_str!("../../data/completion-deadlines.toml");

#[derive(Deserialize)]
struct DeadlineTable {
    version: String,
    bands: Vec<DeadlineBand>,
}

#[derive(Deserialize)]
struct DeadlineBand {
    up_to_m2: Option<Decimal>,
    months: u32,
}

/// Months to complete a building of `total_area` m², and the table's version.
fn completion_months(total_area: Decimal) -> (u32, String) {
    let table: DeadlineTable = toml::from_str(DEADLINES_TOML).expect("the embedded deadline table is valid");
    let band = table.bands.iter().find(|b| b.up_to_m2.is_none_or(|limit| total_area <= limit));
    (band.map_or(60, |b| b.months), table.version)
}

/// The same day `months` later (the month's last day when it is shorter).
fn add_months(day: JalaliDate, months: u32) -> JalaliDate {
    let index = i64::from(day.month()) - 1 + i64::from(months);
    let year = day.year() + i32::try_from(index / 12).unwrap_or(0);
    let month = u8::try_from(index % 12 + 1).unwrap_or(12);
    let last = JalaliDate::days_in_month(year, month).unwrap_or(29);
    JalaliDate::new(year, month, day.day().min(last)).unwrap_or(day)
}

fn usage_fa(code: &str) -> &str {
    match code {
        "residential" => "مسکونی",
        "commercial" => "تجاری",
        "office" => "اداری",
        "parking" => "پارکینگ",
        "storage" => "انباری",
        "services" => "خدماتی",
        other => other,
    }
}

fn person(identifier: &str, name: &str) -> Person {
    let masked =
        NationalId::parse(identifier).map(|id| id.masked()).unwrap_or_else(|_| identifier.to_owned());
    Person { name: name.to_owned(), masked_national_id: masked }
}

/// Twelve characters of an alphabet without look-alikes, grouped in fours: what the QR code
/// carries and a person can type.
fn verification_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let bytes = crate::random_bytes::<12>();
    let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
}

fn verify_url(app: &App, code: &str) -> String {
    format!("{}/verify/{code}", app.config().public_url.trim_end_matches('/'))
}

/// The officials who took `actions` on the case, by name and post, in order.
async fn signatories(
    app: &App,
    tx: &mut WriteTx,
    case_id: i64,
    actions: &[&str],
) -> AppResult<Vec<Approver>> {
    let steps = store::steps(tx.conn(), case_id).await?;
    let mut approvers = Vec::new();
    for action in actions {
        let step = steps.iter().rev().find(|s| s.action == *action);
        let user = match step.and_then(|s| s.actor_id.parse::<i64>().ok()) {
            Some(id) => daftar_store::users::get(tx.conn(), id).await?,
            None => None,
        };
        let post = match step.map(|s| s.role.as_str()) {
            Some("permit_approver") => "مسئول صدور پروانهٔ منطقه",
            Some("municipal_reviewer") => "کارشناس شهرسازی منطقه",
            _ => "شهرداری",
        };
        approvers.push(Approver {
            name: user.map_or_else(|| app.config().city_name.clone(), |u| u.display_name),
            role: post.to_owned(),
        });
    }
    Ok(approvers)
}

async fn parts(
    app: &App,
    tx: &mut WriteTx,
    case_id: i64,
) -> AppResult<(CaseRow, CaseFacts, Vec<store::OwnerRow>)> {
    let case = store::case_by_id(tx.conn(), case_id, "").await?.ok_or(AppError::NotFound)?;
    let recorded = CaseFacts::parse(&case)?;
    let owners = store::owners(tx.conn(), case_id).await?;
    let _ = app;
    Ok((case, recorded, owners))
}

fn form_text(case: &CaseRow, field: &str) -> String {
    let form: serde_json::Value = serde_json::from_str(&case.form).unwrap_or_default();
    match form.pointer(&format!("/values/{field}/value")) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

async fn store_issued(
    app: &App,
    tx: &mut WriteTx,
    case: &CaseRow,
    kind: &str,
    document: &impl Serialize,
    seal: &Seal,
    valid_until: Option<JalaliDate>,
) -> AppResult<()> {
    let row = IssuedRow {
        id: 0,
        case_id: case.id,
        kind: kind.to_owned(),
        number: seal.payload.number.clone(),
        code: seal.payload.code.clone(),
        document: serde_json::to_string(document).expect("documents serialise"),
        seal: serde_json::to_string(seal).expect("seals serialise"),
        issued_at: app.now(),
        valid_until: valid_until.map(|d| d.to_string()),
        delivered_at: None,
    };
    store::insert_issued(tx.conn(), &row).await?;
    Ok(())
}

fn number(app: &App, case: &CaseRow) -> String {
    format!("{}-{:06}", super::tehran_day(app.now()).year(), case.id)
}

/// Issues the building permit when the second approver signs: number, completion deadline from
/// the data table, the approved levels, sealed.
pub(crate) async fn issue_permit(app: &App, tx: &mut WriteTx, case_id: i64) -> AppResult<()> {
    let (case, recorded, owners) = parts(app, tx, case_id).await?;
    let plan_check = recorded.plan_check.as_ref().ok_or_else(|| {
        AppError::Conflict(Message::new("پروانه بی کنترل نقشه صادر نمی‌شود.", "A permit needs a plan check."))
    })?;
    let total = recorded.total_area();
    let (months, table) = completion_months(total);
    let today = super::tehran_day(app.now());
    let deadline = add_months(today, months);
    let [first, second]: [Approver; 2] =
        signatories(app, tx, case_id, &["approve_first", "approve_second"]).await?.try_into().map_err(
            |_| AppError::Conflict(Message::new("تأییدکنندگان کامل نیستند.", "The approvers are missing.")),
        )?;
    let districts = crate::directory::districts(app).await?;
    let code = verification_code();
    let permit = PermitDocument {
        city: app.config().city_name.clone(),
        number: number(app, &case),
        code: code.clone(),
        issued_at: Timestamp::from_unix(app.now()),
        case_number: case.tracking_code.clone(),
        owners: owners
            .iter()
            .map(|o| docs::Owner {
                person: person(&o.identifier, &o.name),
                share: format!("{} دانگ", o.share),
            })
            .collect(),
        parcel: docs::Parcel {
            key: case.parcel_key.clone(),
            registry_plate: form_text(&case, "registry_plate"),
            address: form_text(&case, "address"),
            district: districts
                .iter()
                .find(|d| d.id == case.district_id)
                .map(|d| d.name_fa.clone())
                .unwrap_or_default(),
        },
        zone: recorded
            .sheet
            .as_ref()
            .and_then(|s| s.pointer("/zone/code"))
            .and_then(|z| z.as_str())
            .unwrap_or_default()
            .to_owned(),
        levels: plan_check
            .levels
            .iter()
            .map(|l| docs::Level {
                level: l.level,
                usage: usage_fa(&l.usage).to_owned(),
                area: l.area.normalize().to_string(),
            })
            .collect(),
        total_area: total.normalize().to_string(),
        completion_deadline: deadline,
        conditions: vec![
            format!("نسخهٔ ضوابط طرح تفصیلی: {}", plan_check.plan_version),
            format!("مهلت پایان کار بر پایهٔ جدول {table}: {months} ماه"),
            "شروع عملیات ساختمانی با معرفی مهندس ناظر اعلام شود.".to_owned(),
        ],
        approvers: [first, second],
        verify_url: verify_url(app, &code),
    };
    let seal = Seal::sign(permit.signed_payload(), app.signing_key());
    store_issued(app, tx, &case, docs::PERMIT_KIND, &permit, &seal, Some(deadline)).await
}

/// Issues a certificate (completion, no violation) when it is approved.
pub(crate) async fn issue_certificate(app: &App, tx: &mut WriteTx, case_id: i64) -> AppResult<()> {
    let (case, _, owners) = parts(app, tx, case_id).await?;
    let definition = catalog::definition_of(app, case.service_id).await?;
    let signatory = signatories(app, tx, case_id, &["approve_certificate", "issue_certificate"]).await?;
    let signatory = signatory
        .into_iter()
        .find(|a| a.role != "شهرداری")
        .unwrap_or(Approver { name: app.config().city_name.clone(), role: "شهرداری".to_owned() });
    let holder = owners
        .first()
        .map(|o| person(&o.identifier, &o.name))
        .unwrap_or_else(|| person(&case.applicant_national_id, ""));
    let mut fields = vec![
        Field { label: "کد نوسازی".to_owned(), value: case.parcel_key.clone() },
        Field { label: "شمارهٔ پرونده".to_owned(), value: case.tracking_code.clone() },
    ];
    for spec in &definition.fields {
        let value = form_text(&case, &spec.code);
        if !value.is_empty() && !matches!(spec.code.as_str(), "owner_national_id" | "mobile") {
            fields.push(Field { label: spec.name.get(Lang::Fa).to_owned(), value });
        }
    }
    let code = verification_code();
    let certificate = CertificateDocument {
        city: app.config().city_name.clone(),
        kind: definition.code.clone(),
        title_fa: definition.name.get(Lang::Fa).to_owned(),
        title_en: definition.name.get(Lang::En).to_owned(),
        number: number(app, &case),
        code: code.clone(),
        issued_at: Timestamp::from_unix(app.now()),
        holder,
        fields,
        valid_until: None,
        signatory,
        verify_url: verify_url(app, &code),
    };
    let seal = Seal::sign(certificate.signed_payload(), app.signing_key());
    store_issued(app, tx, &case, &definition.code, &certificate, &seal, None).await
}

/// Moves the permit's completion deadline by the months granted.
pub(crate) async fn extend(app: &App, tx: &mut WriteTx, case_id: i64) -> AppResult<()> {
    let (_, recorded, _) = parts(app, tx, case_id).await?;
    let issued = store::issued_of_case(tx.conn(), case_id).await?.ok_or(AppError::NotFound)?;
    let permit: PermitDocument = serde_json::from_str(&issued.document).map_err(|_| unreadable())?;
    let until = add_months(permit.completion_deadline, recorded.extended_months);
    store::set_valid_until(tx.conn(), case_id, &until.to_string()).await?;
    Ok(())
}

fn unreadable() -> AppError {
    AppError::Conflict(Message::new("سند صادرشده خوانا نیست.", "The issued document is unreadable."))
}

/// The issued document of a case as PDF, with its seal attached.
pub async fn issued_pdf(app: &App, tracking: &str) -> AppResult<Vec<u8>> {
    let case = store::case_by_tracking(app.store().pool(), tracking, "").await?.ok_or(AppError::NotFound)?;
    let issued = store::issued_of_case(app.store().pool(), case.id).await?.ok_or(AppError::NotFound)?;
    let seal: Seal = serde_json::from_str(&issued.seal).map_err(|_| unreadable())?;
    let rendered = if issued.kind == docs::PERMIT_KIND {
        let permit: PermitDocument = serde_json::from_str(&issued.document).map_err(|_| unreadable())?;
        tokio::task::spawn_blocking(move || docs::render_permit(&permit, &seal)).await
    } else {
        let certificate: CertificateDocument =
            serde_json::from_str(&issued.document).map_err(|_| unreadable())?;
        tokio::task::spawn_blocking(move || docs::render_certificate(&certificate, &seal)).await
    };
    rendered
        .map_err(|e| AppError::Conflict(Message::new("چاپ سند ممکن نشد.", format!("Printing failed: {e}"))))?
        .map_err(|e| {
            AppError::Conflict(Message::new(
                format!("چاپ سند ممکن نشد: {}", e.message(Lang::Fa)),
                format!("The document could not be printed: {}", e.message(Lang::En)),
            ))
        })
}

/// What the verification page shows of an issued document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub kind: String,
    pub number: String,
    pub code: String,
    pub issued_at: i64,
    /// The signed facts (owners masked), by name.
    pub essentials: BTreeMap<String, String>,
    /// Whether the stored seal is this city's signature over these facts.
    pub signature_valid: bool,
    pub key_id: String,
    /// For a permit: the completion deadline in force, extensions included.
    pub valid_until: Option<String>,
    pub delivered: bool,
    /// Whether the deadline in force has passed.
    pub expired: bool,
}

fn verification(app: &App, issued: IssuedRow, seal: &Seal) -> Verification {
    let resigned = Seal::sign(seal.payload.clone(), app.signing_key());
    let today = super::tehran_day(app.now());
    Verification {
        expired: issued
            .valid_until
            .as_deref()
            .and_then(|d| JalaliDate::parse(d).ok())
            .is_some_and(|d| d < today),
        kind: issued.kind,
        number: issued.number,
        code: issued.code,
        issued_at: issued.issued_at,
        essentials: seal.payload.essentials.clone(),
        signature_valid: resigned == *seal,
        key_id: seal.key_id.clone(),
        valid_until: issued.valid_until,
        delivered: issued.delivered_at.is_some(),
    }
}

/// Looks an issued document up by its verification code or number (what the QR code carries).
pub async fn verify_code(app: &App, code: &str) -> AppResult<Verification> {
    let code = daftar_types::digits::fold_to_ascii(code.trim()).to_uppercase();
    let issued = store::issued_by_code(app.store().pool(), &code).await?.ok_or(AppError::NotFound)?;
    let seal: Seal = serde_json::from_str(&issued.seal).map_err(|_| unreadable())?;
    Ok(verification(app, issued, &seal))
}

/// Checks a PDF: its embedded seal against the city's key, then that the document is on record
/// with the same signed facts.
pub async fn verify_pdf(app: &App, pdf: &[u8]) -> AppResult<Verification> {
    let payload: SignedPayload = docs::verify_pdf(pdf, &app.verifying_key())
        .map_err(|e| AppError::Conflict(Message::new(e.message(Lang::Fa), e.message(Lang::En))))?;
    let found = verify_code(app, &payload.code).await?;
    if found.essentials != payload.essentials || found.number != payload.number {
        return Err(AppError::Conflict(Message::new(
            "این سند با آنچه در سامانه ثبت است نمی‌خواند.",
            "This document differs from the one on record.",
        )));
    }
    Ok(found)
}
