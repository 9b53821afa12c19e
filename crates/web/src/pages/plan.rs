//! The plan pages: the map, a parcel's instruction sheet, and the plan-check forms.

use std::str::FromStr;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use daftar_app::plan;
use daftar_app::{AppError, FieldError, Message};
use daftar_types::Lang;
use daftar_zoning::{Design, Explanation, InstructionSheet, Level, PlanCheck, SheetStatus, Use, Verdict};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

use crate::AppState;
use crate::error::{FormErrors, PageError};
use crate::i18n;
use crate::view::Page;

/// Rows offered on the design form.
const FORM_ROWS: usize = 8;

fn decimal(lang: Lang, value: Decimal) -> String {
    let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize();
    daftar_types::number::format_decimal_str(&rounded.to_string(), lang)
}

/// A message for a key built from engine data, or `fallback` when the locale files lack it.
fn key_or(lang: Lang, key: &str, fallback: &str) -> String {
    i18n::try_t(lang, key).unwrap_or_else(|| fallback.to_string())
}

/// An explanation as a table row.
pub struct FigureRow {
    label: String,
    value: String,
    rule: String,
    clause: String,
    formula: String,
    arithmetic: String,
}

fn figure(lang: Lang, e: &Explanation) -> FigureRow {
    let quantity = e.quantity.key();
    FigureRow {
        label: key_or(lang, &format!("quantity-{quantity}"), quantity),
        value: decimal(lang, e.result),
        rule: key_or(lang, &format!("rule-{}", e.rule.key()), e.rule.key()),
        clause: e.clause.clone(),
        formula: e.formula.clone(),
        arithmetic: localize_arithmetic(&e.arithmetic, lang),
    }
}

/// Digits in the page's language; in Persian the decimal point between digits becomes «٫».
fn localize_arithmetic(text: &str, lang: Lang) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit = |i: Option<&char>| i.is_some_and(char::is_ascii_digit);
    let text: String = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between = i > 0 && digit(chars.get(i - 1)) && digit(chars.get(i + 1));
            if lang == Lang::Fa && c == '.' && between { '٫' } else { c }
        })
        .collect();
    let text = daftar_types::digits::localize(&text, lang);
    match lang {
        Lang::Fa => text.replace("→ true", "→ درست").replace("→ false", "→ نادرست"),
        Lang::En => text,
    }
}

fn use_name(lang: Lang, u: Use) -> String {
    let code = serde_json::to_value(u).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    key_or(lang, &format!("use-{code}"), &code)
}

#[derive(Template, WebTemplate)]
#[template(path = "map.html")]
pub struct MapPage {
    p: Page,
    legend: Vec<(&'static str, &'static str, String)>,
}

pub async fn map(p: Page) -> MapPage {
    let lang = p.lang;
    let legend = [
        ("R11x", "z-r1", "legend-r1"),
        ("R12x", "z-r2", "legend-r2"),
        ("R13x", "z-r3", "legend-r3"),
        ("S", "z-s", "legend-s"),
        ("M", "z-m", "legend-m"),
        ("G", "z-g", "legend-g"),
    ]
    .into_iter()
    .map(|(code, class, key)| (code, class, i18n::t(lang, key)))
    .collect();
    MapPage { p, legend }
}

#[derive(Template, WebTemplate)]
#[template(path = "sheet.html")]
pub struct SheetPage {
    p: Page,
    key: String,
    plate: String,
    district: String,
    zone: String,
    deed_area: String,
    depth: String,
    p_value: String,
    merged: String,
    frontages: Vec<String>,
    status: String,
    status_class: &'static str,
    plan_version: String,
    effective: String,
    uses: String,
    purchasable: bool,
    notes: Vec<String>,
    figures: Vec<FigureRow>,
}

fn sheet_page(p: Page, sheet: &InstructionSheet) -> SheetPage {
    let lang = p.lang;
    let parcel = &sheet.parcel;
    let frontages = parcel
        .frontages
        .iter()
        .enumerate()
        .map(|(i, f)| {
            i18n::t_args(
                lang,
                "parcel-frontage",
                &[
                    ("n", daftar_types::number::format_int(i64::try_from(i + 1).unwrap_or(0), lang)),
                    ("length", decimal(lang, f.length)),
                    ("existing", decimal(lang, f.existing_width)),
                    ("approved", decimal(lang, f.approved_width)),
                ],
            )
        })
        .collect();
    let status_key = match sheet.status {
        SheetStatus::Issued => "issued",
        SheetStatus::NeedsReview => "needs_review",
        SheetStatus::NoBuildingPermit => "no_building_permit",
    };
    let notes = sheet
        .notes
        .iter()
        .map(|n| {
            let base = key_or(lang, &format!("note-{}", n.message_key.replace('.', "-")), &n.message_key);
            let details: Vec<String> = n.details.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            if details.is_empty() { base } else { format!("{base} ({})", details.join("، ")) }
        })
        .collect();
    let mut figures = Vec::new();
    let (mut uses, mut purchasable) = (String::new(), false);
    if let Some(f) = &sheet.figures {
        figures.extend(f.setbacks.iter().map(|e| figure(lang, e)));
        for e in [
            &f.net_area,
            &f.base_floors,
            &f.consolidation_bonus,
            &f.allowed_floors,
            &f.max_footprint,
            &f.base_max_total_floor_area,
            &f.max_total_floor_area,
            &f.max_depth,
        ] {
            figures.push(figure(lang, e));
        }
        let ground_only = i18n::t(lang, "sheet-ground-only");
        let names: Vec<String> = f
            .permitted_uses
            .iter()
            .map(|u| {
                let name = use_name(lang, *u);
                if f.ground_floor_only_uses.contains(u) { format!("{name} ({ground_only})") } else { name }
            })
            .collect();
        uses = names.join(if lang == Lang::Fa { "، " } else { ", " });
        purchasable = f.extra_floor_purchasable;
    }
    let effective = daftar_types::JalaliDate::parse(&sheet.plan_effective_from)
        .map(|d| d.format_long(lang))
        .unwrap_or_else(|_| sheet.plan_effective_from.clone());
    SheetPage {
        key: parcel.parcel_key.clone(),
        plate: parcel.registry_plate.clone(),
        district: parcel.district.clone(),
        zone: sheet.zone_context.zone_code.clone().unwrap_or_else(|| "—".into()),
        deed_area: decimal(lang, parcel.deed_area),
        depth: decimal(lang, parcel.depth),
        p_value: daftar_types::number::format_int(parcel.regional_value_p, lang),
        merged: daftar_types::number::format_int(i64::from(parcel.merged_parcels), lang),
        frontages,
        status: i18n::t(lang, &format!("status-{status_key}")),
        status_class: match sheet.status {
            SheetStatus::Issued => "good",
            SheetStatus::NeedsReview => "warn",
            SheetStatus::NoBuildingPermit => "bad",
        },
        plan_version: sheet.plan_version.clone(),
        effective,
        uses,
        purchasable,
        notes,
        figures,
        p,
    }
}

pub async fn parcel_sheet(
    State(state): State<AppState>,
    p: Page,
    Path(key): Path<String>,
) -> Result<SheetPage, PageError> {
    let sheet = plan::sheet(&state.app, &key).await.map_err(|e| match e {
        AppError::Invalid(_) => PageError(AppError::NotFound, p.lang),
        other => PageError(other, p.lang),
    })?;
    Ok(sheet_page(p, &sheet))
}

/// One row of the design form, as typed.
#[derive(Default, Clone)]
pub struct LevelRow {
    level: String,
    use_: String,
    gross_area: String,
    footprint_area: String,
    depth: String,
    units: String,
}

#[derive(Default)]
pub struct DesignForm {
    parcel_key: String,
    parking_spaces: String,
    rows: Vec<LevelRow>,
}

impl DesignForm {
    fn blank(parcel_key: String) -> DesignForm {
        let mut rows = vec![LevelRow::default(); FORM_ROWS];
        rows[0] = LevelRow { level: "0".into(), use_: "residential".into(), ..LevelRow::default() };
        DesignForm { parcel_key, parking_spaces: String::new(), rows }
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> DesignForm {
        let mut form = DesignForm::default();
        let mut columns: [Vec<String>; 6] = Default::default();
        for (name, value) in pairs {
            let column = match name.as_str() {
                "parcel_key" => {
                    form.parcel_key = value.trim().to_string();
                    continue;
                }
                "parking_spaces" => {
                    form.parking_spaces = value;
                    continue;
                }
                "level" => 0,
                "use" => 1,
                "gross_area" => 2,
                "footprint_area" => 3,
                "depth" => 4,
                "units" => 5,
                _ => continue,
            };
            columns[column].push(value);
        }
        let get = |c: usize, i: usize| columns[c].get(i).cloned().unwrap_or_default();
        form.rows = (0..FORM_ROWS.max(columns[0].len()))
            .map(|i| LevelRow {
                level: get(0, i),
                use_: get(1, i),
                gross_area: get(2, i),
                footprint_area: get(3, i),
                depth: get(4, i),
                units: get(5, i),
            })
            .collect();
        form
    }

    /// The design the rows describe; empty rows are skipped.
    fn design(&self) -> Result<Design, AppError> {
        let problem = |row: usize, what: &str, fa: &str| {
            AppError::invalid(FieldError::new(
                "design",
                Message::new("طرح پیشنهادی", "Design"),
                Message::new(
                    format!("ردیف {}: {fa}", daftar_types::digits::to_persian(&row.to_string())),
                    format!("row {row}: {what}"),
                ),
            ))
        };
        let number = |text: &str| {
            Decimal::from_str(&daftar_types::digits::fold_to_ascii(text.trim()).replace(['٫', '/'], "."))
        };
        let mut levels = Vec::new();
        for (i, row) in self.rows.iter().enumerate().filter(|(_, r)| !r.gross_area.trim().is_empty()) {
            let n = i + 1;
            let level =
                daftar_types::digits::fold_to_ascii(row.level.trim()).parse::<i32>().map_err(|_| {
                    problem(
                        n,
                        "the level must be a whole number (0 is the ground floor)",
                        "شمارهٔ طبقه باید عدد صحیح باشد (همکف ۰ است)",
                    )
                })?;
            let use_: Use = serde_json::from_value(serde_json::Value::String(row.use_.clone()))
                .map_err(|_| problem(n, "choose a use", "کاربری را برگزینید"))?;
            let gross_area = number(&row.gross_area)
                .map_err(|_| problem(n, "gross area must be a number", "زیربنا باید عدد باشد"))?;
            let footprint_area = number(&row.footprint_area)
                .map_err(|_| problem(n, "footprint must be a number", "سطح اشغال باید عدد باشد"))?;
            let depth =
                number(&row.depth).map_err(|_| problem(n, "depth must be a number", "عمق باید عدد باشد"))?;
            let units = row
                .units
                .split([',', '،', ' '])
                .filter(|u| !u.trim().is_empty())
                .map(number)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    problem(
                        n,
                        "unit areas must be numbers separated by commas",
                        "مساحت واحدها باید عدد و با ویرگول جدا باشد",
                    )
                })?;
            levels.push(Level { level, use_, gross_area, footprint_area, depth, units });
        }
        let parking_spaces = match self.parking_spaces.trim() {
            "" => 0,
            text => daftar_types::digits::fold_to_ascii(text).parse::<u32>().map_err(|_| {
                problem(0, "parking spaces must be a whole number", "شمار جای پارک باید عدد صحیح باشد")
            })?,
        };
        Ok(Design { levels, parking_spaces })
    }
}

pub struct VerdictRow {
    rule: String,
    scope: String,
    verdict: String,
    class: &'static str,
    why: String,
    explanation: Option<FigureRow>,
}

pub struct CheckResult {
    overall: String,
    overall_class: &'static str,
    purchased: Option<String>,
    verdicts: Vec<VerdictRow>,
}

fn verdict_label(lang: Lang, v: Verdict) -> (String, &'static str) {
    let (key, class) = match v {
        Verdict::Accepted => ("accepted", "good"),
        Verdict::AcceptedWithPurchase => ("accepted_with_purchase", "warn"),
        Verdict::NotAccepted => ("not_accepted", "bad"),
        Verdict::NeedsReview => ("needs_review", "warn"),
        Verdict::NotApplicable => ("not_applicable", ""),
    };
    (i18n::t(lang, &format!("verdict-{key}")), class)
}

fn check_result(lang: Lang, check: &PlanCheck) -> CheckResult {
    let (overall, overall_class) = verdict_label(lang, check.overall);
    let verdicts = check
        .verdicts
        .iter()
        .map(|v| {
            let (verdict, class) = verdict_label(lang, v.verdict);
            let reason = v.message_key.split_once('.').map_or("", |(_, why)| why);
            VerdictRow {
                rule: key_or(lang, &format!("rule-{}", v.rule.key()), v.rule.key()),
                scope: match v.level {
                    Some(level) => i18n::t_args(
                        lang,
                        "check-level-n",
                        &[("level", daftar_types::number::format_int(i64::from(level), lang))],
                    ),
                    None => i18n::t(lang, "check-whole"),
                },
                verdict,
                class,
                why: key_or(lang, &format!("why-{reason}"), reason),
                explanation: v.explanation.as_ref().map(|e| figure(lang, e)),
            }
        })
        .collect();
    let purchased = (check.purchased_area > Decimal::ZERO).then(|| decimal(lang, check.purchased_area));
    CheckResult { overall, overall_class, purchased, verdicts }
}

#[derive(Template, WebTemplate)]
#[template(path = "check.html")]
pub struct CheckPage {
    p: Page,
    form: DesignForm,
    uses: Vec<(&'static str, String)>,
    errors: FormErrors,
    result: Option<CheckResult>,
}

fn check_page(p: Page, form: DesignForm, errors: FormErrors, result: Option<CheckResult>) -> CheckPage {
    let lang = p.lang;
    let uses = [Use::Residential, Use::Commercial, Use::Office, Use::Parking, Use::Storage, Use::Services]
        .into_iter()
        .map(|u| {
            let code = match u {
                Use::Residential => "residential",
                Use::Commercial => "commercial",
                Use::Office => "office",
                Use::Parking => "parking",
                Use::Storage => "storage",
                Use::Services => "services",
            };
            (code, use_name(lang, u))
        })
        .collect();
    CheckPage { p, form, uses, errors, result }
}

#[derive(Deserialize)]
pub struct CheckQuery {
    parcel: Option<String>,
}

pub async fn check_form(p: Page, Query(q): Query<CheckQuery>) -> CheckPage {
    let errors = FormErrors { lang: p.lang, ..FormErrors::default() };
    check_page(p, DesignForm::blank(q.parcel.unwrap_or_default()), errors, None)
}

async fn answer(
    p: Page,
    form: DesignForm,
    outcome: Result<PlanCheck, AppError>,
) -> Result<Response, PageError> {
    let lang = p.lang;
    match outcome {
        Ok(check) => {
            let result = check_result(lang, &check);
            let errors = FormErrors { lang, ..FormErrors::default() };
            Ok(check_page(p, form, errors, Some(result)).into_response())
        }
        Err(err) => {
            let errors = FormErrors::from_error(err, lang)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, check_page(p, form, errors, None)).into_response())
        }
    }
}

pub async fn check_submit(
    State(state): State<AppState>,
    p: Page,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let form = DesignForm::from_pairs(pairs);
    let outcome = match form.design() {
        Ok(design) => plan::check_design(&state.app, &form.parcel_key, &design).await,
        Err(err) => Err(err),
    };
    answer(p, form, outcome).await
}

pub async fn check_dxf_submit(
    State(state): State<AppState>,
    p: Page,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let lang = p.lang;
    match crate::api::plan::read_upload(multipart).await {
        Ok(upload) => {
            let form = DesignForm::blank(upload.parcel_key.clone());
            let outcome =
                plan::check_drawing(&state.app, &upload.parcel_key, upload.bytes).await.map(|d| d.check);
            answer(p, form, outcome).await
        }
        Err(err) => {
            let errors = FormErrors::from_error(err.0, lang)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                check_page(p, DesignForm::blank(String::new()), errors, None),
            )
                .into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_reads_in_persian() {
        assert_eq!(localize_arithmetic("0.6 × 245 = 147.5", Lang::Fa), "۰٫۶ × ۲۴۵ = ۱۴۷٫۵");
        assert_eq!(localize_arithmetic("min(a, b.c) = 1.25", Lang::En), "min(a, b.c) = 1.25");
        assert_eq!(localize_arithmetic("4 ≤ 5 → true", Lang::Fa), "۴ ≤ ۵ → درست");
    }
}
