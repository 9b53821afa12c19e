//! Checking an application form against its service definition.
//!
//! Values arrive as the strings a browser or API client sent. Each is parsed with the parsers
//! the rest of Daftar uses (Persian and Arabic-Indic digits accepted everywhere, text stored
//! normalised), and every problem is reported at once, each naming its field in both
//! languages, so a person fixes the whole form in one go.

use std::collections::BTreeMap;

use daftar_types::{
    DateError, IdError, JalaliDate, Lang, LegalEntityId, Mobile, NationalId, PostalCode, digits, number, text,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::definition::{ChoiceOption, FieldKind, FieldSpec, ServiceDefinition};
use crate::names::Names;

/// A checked value in its canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum FieldValue {
    Text(String),
    Integer(i64),
    Decimal(Decimal),
    Date(JalaliDate),
    NationalId(NationalId),
    LegalEntityId(LegalEntityId),
    Mobile(Mobile),
    PostalCode(PostalCode),
    /// The option's code.
    Choice(String),
    Bool(bool),
}

/// The values of a form that passed every check, by field code. Optional fields left empty are
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatedForm {
    pub values: BTreeMap<String, FieldValue>,
}

impl ValidatedForm {
    pub fn get(&self, field: &str) -> Option<&FieldValue> {
        self.values.get(field)
    }
}

/// What is wrong with one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// The service has no such field.
    Unknown,
    Required,
    TooLong {
        max: u32,
    },
    NotInteger,
    NotDecimal,
    /// Below the minimum, written in ASCII digits.
    BelowMin {
        min: String,
    },
    AboveMax {
        max: String,
    },
    Date(DateError),
    Id(IdError),
    NotAnOption {
        options: Vec<ChoiceOption>,
    },
    NotYesNo,
}

/// A problem with one field, naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's code as submitted.
    pub field: String,
    /// The field's names; `None` for a field the service does not have.
    pub name: Option<Names>,
    pub problem: FieldProblem,
}

impl FieldError {
    /// `«Owner's national ID»: …` — the field's name, then the problem.
    pub fn message(&self, lang: Lang) -> String {
        let name = self.name.as_ref().map_or(self.field.as_str(), |n| n.get(lang));
        match lang {
            Lang::Fa => format!("«{name}»: {}", self.problem.message(lang)),
            Lang::En => format!("“{name}”: {}", self.problem.message(lang)),
        }
    }
}

impl FieldProblem {
    pub fn message(&self, lang: Lang) -> String {
        let pick = |fa: String, en: String| if lang == Lang::Fa { fa } else { en };
        let text = match self {
            FieldProblem::Date(error) => return error.message(lang),
            FieldProblem::Id(error) => return error.message(lang),
            FieldProblem::Unknown => {
                pick("این خدمت چنین فیلدی ندارد.".into(), "This service has no such field.".into())
            }
            FieldProblem::Required => {
                pick("پر کردن این فیلد الزامی است.".into(), "This field is required.".into())
            }
            FieldProblem::TooLong { max } => pick(
                format!("حداکثر {max} نویسه مجاز است."),
                format!("At most {max} characters are allowed."),
            ),
            FieldProblem::NotInteger => pick("یک عدد صحیح وارد کنید.".into(), "Enter a whole number.".into()),
            FieldProblem::NotDecimal => pick("یک عدد وارد کنید.".into(), "Enter a number.".into()),
            FieldProblem::BelowMin { min } => {
                let min = number::format_decimal_str(min, lang);
                pick(format!("نباید کمتر از {min} باشد."), format!("Must be at least {min}."))
            }
            FieldProblem::AboveMax { max } => {
                let max = number::format_decimal_str(max, lang);
                pick(format!("نباید بیشتر از {max} باشد."), format!("Must be at most {max}."))
            }
            FieldProblem::NotAnOption { options } => {
                let names = |lang| options.iter().map(|o| o.name.get(lang)).collect::<Vec<_>>();
                pick(
                    format!("یکی از این گزینه‌ها را انتخاب کنید: {}.", names(Lang::Fa).join("، ")),
                    format!("Choose one of: {}.", names(Lang::En).join(", ")),
                )
            }
            FieldProblem::NotYesNo => {
                pick("«بله» یا «خیر» را انتخاب کنید.".into(), "Choose yes or no.".into())
            }
        };
        digits::localize(&text, lang)
    }
}

/// Checks every submitted value against the service's fields: unknown fields are refused,
/// required ones must be present, and each value must parse as its kind and lie within its
/// limits. Empty strings count as absent.
pub fn validate_form(
    service: &ServiceDefinition,
    submitted: &BTreeMap<String, String>,
) -> Result<ValidatedForm, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = submitted
        .keys()
        .filter(|code| service.field(code).is_none())
        .map(|code| FieldError { field: code.clone(), name: None, problem: FieldProblem::Unknown })
        .collect();
    let mut form = ValidatedForm::default();
    for field in &service.fields {
        let raw = submitted.get(&field.code).map(|v| v.trim()).filter(|v| !v.is_empty());
        match (raw, field.required) {
            (None, false) => {}
            (None, true) => errors.push(error(field, FieldProblem::Required)),
            (Some(raw), _) => match parse(&field.kind, raw) {
                Ok(value) => {
                    form.values.insert(field.code.clone(), value);
                }
                Err(problem) => errors.push(error(field, problem)),
            },
        }
    }
    if errors.is_empty() { Ok(form) } else { Err(errors) }
}

fn error(field: &FieldSpec, problem: FieldProblem) -> FieldError {
    FieldError { field: field.code.clone(), name: Some(field.name.clone()), problem }
}

fn parse(kind: &FieldKind, raw: &str) -> Result<FieldValue, FieldProblem> {
    match kind {
        FieldKind::Text { max_length } => parse_text(raw, *max_length),
        FieldKind::Integer { min, max } => parse_integer(raw, *min, *max),
        FieldKind::Decimal { min, max } => parse_decimal(raw, *min, *max),
        FieldKind::Date => JalaliDate::parse(raw).map(FieldValue::Date).map_err(FieldProblem::Date),
        FieldKind::NationalId => NationalId::parse(raw).map(FieldValue::NationalId).map_err(FieldProblem::Id),
        FieldKind::LegalEntityId => {
            LegalEntityId::parse(raw).map(FieldValue::LegalEntityId).map_err(FieldProblem::Id)
        }
        FieldKind::Mobile => Mobile::parse(raw).map(FieldValue::Mobile).map_err(FieldProblem::Id),
        FieldKind::PostalCode => PostalCode::parse(raw).map(FieldValue::PostalCode).map_err(FieldProblem::Id),
        FieldKind::Choice { options } => match options.iter().find(|o| o.code == raw) {
            Some(option) => Ok(FieldValue::Choice(option.code.clone())),
            None => Err(FieldProblem::NotAnOption { options: options.clone() }),
        },
        FieldKind::Bool => parse_bool(raw).map(FieldValue::Bool).ok_or(FieldProblem::NotYesNo),
    }
}

fn parse_text(raw: &str, max_length: u32) -> Result<FieldValue, FieldProblem> {
    let text = text::normalize(raw);
    if text.chars().count() > max_length as usize {
        return Err(FieldProblem::TooLong { max: max_length });
    }
    Ok(FieldValue::Text(text))
}

fn parse_integer(raw: &str, min: Option<i64>, max: Option<i64>) -> Result<FieldValue, FieldProblem> {
    let ascii = digits::fold_to_ascii(raw);
    let value: i64 =
        plain_number(&ascii, false).and_then(|s| s.parse().ok()).ok_or(FieldProblem::NotInteger)?;
    check_range(value, min, max)?;
    Ok(FieldValue::Integer(value))
}

fn parse_decimal(raw: &str, min: Option<Decimal>, max: Option<Decimal>) -> Result<FieldValue, FieldProblem> {
    // The Persian decimal separator (٫) is what a Persian keyboard types.
    let ascii = digits::fold_to_ascii(raw).replace('\u{066B}', ".");
    let value: Decimal =
        plain_number(&ascii, true).and_then(|s| s.parse().ok()).ok_or(FieldProblem::NotDecimal)?;
    check_range(value, min, max)?;
    Ok(FieldValue::Decimal(value.normalize()))
}

/// An optional minus sign, digits and (if allowed) one decimal point with digits on both
/// sides. Stricter than Rust's parsers, which also take `+`, exponents or a bare `.5`.
fn plain_number(text: &str, decimal: bool) -> Option<&str> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let digits_only = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let ok = match unsigned.split_once('.') {
        Some((whole, fraction)) => decimal && digits_only(whole) && digits_only(fraction),
        None => digits_only(unsigned),
    };
    ok.then_some(text)
}

fn check_range<T: PartialOrd + ToString>(
    value: T,
    min: Option<T>,
    max: Option<T>,
) -> Result<(), FieldProblem> {
    if let Some(min) = min.filter(|min| value < *min) {
        return Err(FieldProblem::BelowMin { min: min.to_string() });
    }
    if let Some(max) = max.filter(|max| value > *max) {
        return Err(FieldProblem::AboveMax { max: max.to_string() });
    }
    Ok(())
}

/// Accepts what checkboxes, APIs and people send.
fn parse_bool(raw: &str) -> Option<bool> {
    match raw.to_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "بله" | "۱" => Some(true),
        "false" | "0" | "no" | "off" | "خیر" | "۰" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_only() {
        assert_eq!(plain_number("-12", false), Some("-12"));
        assert_eq!(plain_number("12.5", true), Some("12.5"));
        for bad in ["", "-", "+1", "1e3", ".5", "5.", "1.2.3", "1 000"] {
            assert_eq!(plain_number(bad, true), None, "{bad}");
        }
        assert_eq!(plain_number("12.5", false), None);
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("بله"), Some(true));
        assert_eq!(parse_bool("ON"), Some(true));
        assert_eq!(parse_bool("خیر"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn decimals_take_the_persian_separator() {
        assert_eq!(parse_decimal("۱۲٫۵۰", None, None), Ok(FieldValue::Decimal(Decimal::new(125, 1))));
        assert_eq!(parse_decimal("abc", None, None), Err(FieldProblem::NotDecimal));
        assert_eq!(
            parse_decimal("5", Some(Decimal::new(75, 1)), None),
            Err(FieldProblem::BelowMin { min: "7.5".into() })
        );
    }

    #[test]
    fn range_messages_localise_numbers() {
        let problem = FieldProblem::AboveMax { max: "1500".into() };
        assert_eq!(problem.message(Lang::En), "Must be at most 1,500.");
        assert_eq!(problem.message(Lang::Fa), "نباید بیشتر از ۱٬۵۰۰ باشد.");
    }
}
