//! A service definition: one TOML file per service and version, describing what the citizen
//! submits (documents and form fields), what it costs (a reference into the fee bylaw), how
//! long it may take and how a case moves (the workflow).
//!
//! Services are data so that the municipality can hand a new service to the offices, and
//! another agency can publish its own, without a new release (S10, S13). Each definition is
//! versioned: a case records the version it was opened under and keeps it, as fee and zoning
//! rules do.

use std::collections::BTreeSet;

use daftar_types::{JalaliDate, text};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::guard::is_code;
use crate::names::Names;
use crate::sla::Sla;
use crate::workflow::{RawWorkflow, Workflow};

/// Why a service file was refused. `at` names where, e.g. `workflow.actions.approve_second`
/// or `fields.deed_area`, and `field` the key inside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("the service file is not valid: {0}")]
    Toml(String),
    #[error("{at}: {field}: {problem}")]
    Invalid { at: String, field: String, problem: String },
    #[error("{at}: `{code}` appears twice")]
    Duplicate { at: String, code: String },
    #[error("{at}: {field}: unknown state `{state}`")]
    UnknownState { at: String, field: &'static str, state: String },
    #[error("workflow.states.{state}: cannot be reached from the initial state `{initial}`")]
    Unreachable { state: String, initial: String },
    #[error("workflow.states.{state}: is terminal, yet action `{action}` leaves it")]
    TerminalWithExits { state: String, action: String },
    #[error("workflow.states.{state}: no path leads from it to a terminal state")]
    NoWayOut { state: String },
    #[error("workflow.actions: automatic actions form a cycle: {}", states.join(" → "))]
    AutoCycle { states: Vec<String> },
}

impl DefinitionError {
    pub(crate) fn invalid(at: &str, field: &str, problem: impl Into<String>) -> DefinitionError {
        DefinitionError::Invalid { at: at.to_owned(), field: field.to_owned(), problem: problem.into() }
    }
}

/// The public body that owns a service (the municipality, the water company, the fire
/// department, …) or answers a subtask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: String,
    pub name: Names,
}

/// A document the applicant uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSpec {
    pub code: String,
    pub name: Names,
    pub required: bool,
    /// MIME types accepted, e.g. `application/pdf`.
    pub mime_types: Vec<String>,
    pub max_bytes: u64,
}

/// A field of the application form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    pub code: String,
    pub name: Names,
    pub required: bool,
    pub kind: FieldKind,
}

/// What a form field holds, and its limits. Identifier kinds are checked with the same parsers
/// as everywhere else in Daftar, so a form accepts exactly what the rest of the system does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text, stored normalised; `max_length` counts characters after normalisation.
    Text {
        max_length: u32,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Decimal {
        min: Option<Decimal>,
        max: Option<Decimal>,
    },
    /// A Jalali date.
    Date,
    NationalId,
    LegalEntityId,
    Mobile,
    PostalCode,
    /// One of a fixed list of options, submitted by code.
    Choice {
        options: Vec<ChoiceOption>,
    },
    Bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceOption {
    pub code: String,
    pub name: Names,
}

/// A service, one version of it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDefinition {
    pub code: String,
    /// Increases with each published change; cases keep the version they were opened under.
    pub version: u32,
    /// The first day new cases use this version.
    pub effective_from: JalaliDate,
    pub name: Names,
    pub agency: Agency,
    pub documents: Vec<DocumentSpec>,
    pub fields: Vec<FieldSpec>,
    /// The service code under which the fee bylaw prices this service; `None` for a service
    /// without fees.
    pub fee_service: Option<String>,
    /// The time the whole service may take, from opening the case.
    pub sla: Sla,
    pub workflow: Workflow,
}

impl ServiceDefinition {
    /// Reads and checks a service file. Errors name the section and key at fault, e.g.
    /// ``workflow.actions.approve_second: guards: `distinct_actor_of(aprove_first)` names an
    /// unknown action``.
    pub fn from_toml(source: &str) -> Result<ServiceDefinition, DefinitionError> {
        let raw: RawService = toml::from_str(source).map_err(|e| DefinitionError::Toml(e.to_string()))?;
        let code = checked_code("service", "code", raw.code)?;
        if raw.version == 0 {
            return Err(DefinitionError::invalid("service", "version", "versions start at 1"));
        }
        let effective_from = JalaliDate::parse(&raw.effective_from).map_err(|e| {
            DefinitionError::invalid("service", "effective_from", format!("\"{}\": {e}", raw.effective_from))
        })?;
        Ok(ServiceDefinition {
            code,
            version: raw.version,
            effective_from,
            name: names("service", raw.name_fa, raw.name_en)?,
            agency: agency("agency", raw.agency)?,
            documents: load_documents(raw.documents)?,
            fields: load_fields(raw.fields)?,
            fee_service: raw.fee_service.map(|s| checked_code("service", "fee_service", s)).transpose()?,
            sla: Sla::load("service", raw.sla_days, raw.escalate_to)?,
            workflow: Workflow::from_raw(raw.workflow)?,
        })
    }

    pub fn field(&self, code: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.code == code)
    }

    pub fn document(&self, code: &str) -> Option<&DocumentSpec> {
        self.documents.iter().find(|d| d.code == code)
    }

    /// Every role code the service mentions (actions and escalations, the overall SLA's
    /// included), for the caller to check against its own role mapping.
    pub fn role_codes(&self) -> BTreeSet<&str> {
        let mut roles = self.workflow.role_codes();
        roles.insert(&self.sla.escalate_to);
        roles
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    code: String,
    version: u32,
    effective_from: String,
    name_fa: String,
    name_en: String,
    fee_service: Option<String>,
    sla_days: u32,
    escalate_to: String,
    agency: RawAgency,
    #[serde(default)]
    documents: Vec<RawDocument>,
    #[serde(default)]
    fields: Vec<RawField>,
    workflow: RawWorkflow,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAgency {
    code: String,
    name_fa: String,
    name_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    code: String,
    name_fa: String,
    name_en: String,
    #[serde(default)]
    required: bool,
    mime_types: Vec<String>,
    max_bytes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    code: String,
    name_fa: String,
    name_en: String,
    kind: String,
    #[serde(default)]
    required: bool,
    max_length: Option<u32>,
    min: Option<toml::Value>,
    max: Option<toml::Value>,
    #[serde(default)]
    options: Vec<RawOption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    code: String,
    name_fa: String,
    name_en: String,
}

/// A code as written in the file, trimmed and checked.
pub(crate) fn checked_code(at: &str, field: &str, value: String) -> Result<String, DefinitionError> {
    let value = value.trim();
    if !is_code(value) {
        return Err(DefinitionError::invalid(
            at,
            field,
            format!(
                "\"{value}\" is not a code: use lowercase letters, digits and `_`, starting with a letter"
            ),
        ));
    }
    Ok(value.to_owned())
}

/// Both names, normalised the way all Persian text is stored.
pub(crate) fn names(at: &str, fa: String, en: String) -> Result<Names, DefinitionError> {
    let (fa, en) = (text::normalize(&fa), text::normalize(&en));
    if fa.is_empty() {
        return Err(DefinitionError::invalid(at, "name_fa", "is empty"));
    }
    if en.is_empty() {
        return Err(DefinitionError::invalid(at, "name_en", "is empty"));
    }
    Ok(Names { fa, en })
}

pub(crate) fn agency(at: &str, raw: RawAgency) -> Result<Agency, DefinitionError> {
    Ok(Agency { code: checked_code(at, "code", raw.code)?, name: names(at, raw.name_fa, raw.name_en)? })
}

fn load_documents(raw: Vec<RawDocument>) -> Result<Vec<DocumentSpec>, DefinitionError> {
    let mut documents: Vec<DocumentSpec> = Vec::with_capacity(raw.len());
    for (index, document) in raw.into_iter().enumerate() {
        let code = checked_code(&format!("documents[{index}]"), "code", document.code)?;
        let at = format!("documents.{code}");
        if documents.iter().any(|d| d.code == code) {
            return Err(DefinitionError::Duplicate { at: "documents".into(), code });
        }
        if document.mime_types.is_empty() {
            return Err(DefinitionError::invalid(&at, "mime_types", "names no type"));
        }
        if let Some(bad) = document.mime_types.iter().find(|m| !is_mime_type(m)) {
            return Err(DefinitionError::invalid(&at, "mime_types", format!("\"{bad}\" is not a MIME type")));
        }
        if document.max_bytes == 0 {
            return Err(DefinitionError::invalid(&at, "max_bytes", "must be at least 1"));
        }
        documents.push(DocumentSpec {
            name: names(&at, document.name_fa, document.name_en)?,
            code,
            required: document.required,
            mime_types: document.mime_types,
            max_bytes: document.max_bytes,
        });
    }
    Ok(documents)
}

/// `type/subtype`, in the lowercase form browsers send.
fn is_mime_type(text: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
    };
    text.split_once('/').is_some_and(|(kind, sub)| part(kind) && part(sub))
}

fn load_fields(raw: Vec<RawField>) -> Result<Vec<FieldSpec>, DefinitionError> {
    let mut fields: Vec<FieldSpec> = Vec::with_capacity(raw.len());
    for (index, field) in raw.into_iter().enumerate() {
        let code = checked_code(&format!("fields[{index}]"), "code", field.code.clone())?;
        let at = format!("fields.{code}");
        if fields.iter().any(|f| f.code == code) {
            return Err(DefinitionError::Duplicate { at: "fields".into(), code });
        }
        let name = names(&at, field.name_fa.clone(), field.name_en.clone())?;
        let required = field.required;
        let kind = field_kind(&at, field)?;
        fields.push(FieldSpec { code, name, required, kind });
    }
    Ok(fields)
}

fn field_kind(at: &str, raw: RawField) -> Result<FieldKind, DefinitionError> {
    let kind = raw.kind.as_str();
    refuse_unused(at, kind, &raw)?;
    Ok(match kind {
        "text" => FieldKind::Text { max_length: max_length(at, raw.max_length)? },
        "integer" => {
            let min = raw.min.as_ref().map(|v| integer(at, "min", v)).transpose()?;
            let max = raw.max.as_ref().map(|v| integer(at, "max", v)).transpose()?;
            check_order(at, min, max)?;
            FieldKind::Integer { min, max }
        }
        "decimal" => {
            let min = raw.min.as_ref().map(|v| decimal(at, "min", v)).transpose()?;
            let max = raw.max.as_ref().map(|v| decimal(at, "max", v)).transpose()?;
            check_order(at, min, max)?;
            FieldKind::Decimal { min, max }
        }
        "date" => FieldKind::Date,
        "national_id" => FieldKind::NationalId,
        "legal_entity_id" => FieldKind::LegalEntityId,
        "mobile" => FieldKind::Mobile,
        "postal_code" => FieldKind::PostalCode,
        "choice" => FieldKind::Choice { options: options(at, raw.options)? },
        "bool" => FieldKind::Bool,
        other => {
            return Err(DefinitionError::invalid(
                at,
                "kind",
                format!(
                    "\"{other}\" is not one of text, integer, decimal, date, national_id, \
                     legal_entity_id, mobile, postal_code, choice, bool"
                ),
            ));
        }
    })
}

/// A limit written for a kind that ignores it is almost certainly a mistake in the kind.
fn refuse_unused(at: &str, kind: &str, raw: &RawField) -> Result<(), DefinitionError> {
    let misplaced = if raw.max_length.is_some() && kind != "text" {
        Some("max_length")
    } else if (raw.min.is_some() || raw.max.is_some()) && !matches!(kind, "integer" | "decimal") {
        Some(if raw.min.is_some() { "min" } else { "max" })
    } else if !raw.options.is_empty() && kind != "choice" {
        Some("options")
    } else {
        None
    };
    match misplaced {
        Some(key) => Err(DefinitionError::invalid(at, key, format!("does not apply to a {kind} field"))),
        None => Ok(()),
    }
}

fn max_length(at: &str, value: Option<u32>) -> Result<u32, DefinitionError> {
    match value {
        Some(n) if n > 0 => Ok(n),
        Some(_) => Err(DefinitionError::invalid(at, "max_length", "must be at least 1")),
        None => Err(DefinitionError::invalid(at, "max_length", "a text field needs it")),
    }
}

fn check_order<T: PartialOrd>(at: &str, min: Option<T>, max: Option<T>) -> Result<(), DefinitionError> {
    match (min, max) {
        (Some(min), Some(max)) if min > max => Err(DefinitionError::invalid(at, "min", "is above `max`")),
        _ => Ok(()),
    }
}

fn integer(at: &str, field: &str, value: &toml::Value) -> Result<i64, DefinitionError> {
    value.as_integer().ok_or_else(|| DefinitionError::invalid(at, field, "must be a whole number"))
}

/// Decimals are integers or quoted strings, never TOML floats, so every limit is read exactly.
fn decimal(at: &str, field: &str, value: &toml::Value) -> Result<Decimal, DefinitionError> {
    match value {
        toml::Value::Integer(n) => Ok(Decimal::from(*n)),
        toml::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| DefinitionError::invalid(at, field, format!("\"{s}\" is not a decimal number"))),
        toml::Value::Float(_) => Err(DefinitionError::invalid(
            at,
            field,
            "write decimals as quoted strings (\"0.5\"), not as floating-point numbers",
        )),
        _ => Err(DefinitionError::invalid(at, field, "must be a number")),
    }
}

fn options(at: &str, raw: Vec<RawOption>) -> Result<Vec<ChoiceOption>, DefinitionError> {
    if raw.is_empty() {
        return Err(DefinitionError::invalid(at, "options", "a choice field needs at least one option"));
    }
    let mut options: Vec<ChoiceOption> = Vec::with_capacity(raw.len());
    for option in raw {
        let code = checked_code(at, "options", option.code)?;
        if options.iter().any(|o| o.code == code) {
            return Err(DefinitionError::Duplicate { at: format!("{at}.options"), code });
        }
        let name = names(&format!("{at}.options.{code}"), option.name_fa, option.name_en)?;
        options.push(ChoiceOption { code, name });
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types() {
        assert!(is_mime_type("application/pdf"));
        assert!(is_mime_type("image/vnd.dxf"));
        assert!(is_mime_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        assert!(!is_mime_type("pdf"));
        assert!(!is_mime_type("application/"));
        assert!(!is_mime_type("Application/PDF"));
    }

    #[test]
    fn decimals_refuse_floats() {
        let float = toml::Value::Float(0.5);
        assert!(decimal("fields.x", "min", &float).unwrap_err().to_string().contains("quoted strings"));
        assert_eq!(decimal("f", "min", &toml::Value::String("12.5".into())), Ok(Decimal::new(125, 1)));
        assert_eq!(decimal("f", "min", &toml::Value::Integer(3)), Ok(Decimal::from(3)));
    }

    #[test]
    fn names_are_normalised() {
        let loaded = names("x", "  كد  ملي ".into(), "National ID".into()).unwrap();
        assert_eq!(loaded.fa, "کد ملی");
        assert_eq!(names("x", " ".into(), "a".into()).unwrap_err().to_string(), "x: name_fa: is empty");
    }
}
