//! The service catalog as published data: each version of a service is its definition file,
//! stored once and never changed, so a case keeps the rules it was opened under.

use std::sync::Arc;

use daftar_store::StoreError;
use daftar_store::cases::{self as store, ServiceRow};
use daftar_types::{JalaliDate, Lang};
use daftar_workflow::{Catalog, ServiceDefinition};
use serde::Serialize;
use serde_json::json;

use crate::audit::{By, entry};
use crate::authz::{Permission, require};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

/// The workflow role codes this application can give people (see `cases::workflow_roles`).
const KNOWN_ROLES: [&str; 9] = [
    "citizen",
    "office_manager",
    "office_intake",
    "office_expert",
    "inspector",
    "municipal_reviewer",
    "permit_approver",
    "district_supervisor",
    "agency_officer",
];

/// A published version of a service, as the catalog lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceSummary {
    pub code: String,
    pub version: i64,
    pub effective_from: String,
    pub name_fa: String,
    pub name_en: String,
    pub agency: String,
    pub agency_name_fa: String,
    /// Whether new cases use this version today.
    pub in_force: bool,
    pub documents: Vec<String>,
    pub fields: Vec<String>,
    pub sla_days: u32,
}

fn definition_error(text: String) -> AppError {
    AppError::invalid(FieldError::new(
        "definition",
        Message::new("فایل تعریف خدمت", "Service definition file"),
        Message::new(format!("پذیرفته نشد: {text}"), format!("was not accepted: {text}")),
    ))
}

/// Publishes a service version from its definition file. New cases use it from its effective
/// date; cases opened under earlier versions keep theirs.
pub async fn publish_service(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    source: &str,
) -> AppResult<ServiceSummary> {
    if let By::Principal(principal) = by {
        require(principal, Permission::ManageServices)?;
    }
    let definition = ServiceDefinition::from_toml(source).map_err(|e| definition_error(e.to_string()))?;
    if let Some(unknown) = definition.role_codes().into_iter().find(|r| !KNOWN_ROLES.contains(r)) {
        return Err(definition_error(format!("role `{unknown}` is not one this system gives")));
    }
    let mut tx = app.store().begin_write().await?;
    let inserted = store::insert_service(
        tx.conn(),
        &definition.code,
        i64::from(definition.version),
        &definition.effective_from.to_string(),
        source,
        app.now(),
    )
    .await;
    match inserted {
        Err(StoreError::UniqueViolation) => {
            tx.rollback().await?;
            return Err(AppError::Conflict(Message::new(
                "این نسخه از خدمت پیش‌تر منتشر شده است؛ شمارهٔ نسخه را بالا ببرید.",
                "This version of the service was published before; raise the version number.",
            )));
        }
        other => other?,
    };
    tx.audit(entry(
        app,
        by,
        meta,
        "service.published",
        ("service", format!("{}@{}", definition.code, definition.version)),
        json!({ "effective_from": definition.effective_from.to_string() }),
    ));
    app.commit(tx).await?;
    let today = super::tehran_day(app.now());
    let in_force =
        catalog(app).await?.in_force(&definition.code, today).map(|d| d.version) == Some(definition.version);
    Ok(summary(&definition, in_force))
}

fn summary(definition: &ServiceDefinition, in_force: bool) -> ServiceSummary {
    ServiceSummary {
        code: definition.code.clone(),
        version: i64::from(definition.version),
        effective_from: definition.effective_from.to_string(),
        name_fa: definition.name.get(Lang::Fa).to_owned(),
        name_en: definition.name.get(Lang::En).to_owned(),
        agency: definition.agency.code.clone(),
        agency_name_fa: definition.agency.name.get(Lang::Fa).to_owned(),
        in_force,
        documents: definition.documents.iter().map(|d| d.code.clone()).collect(),
        fields: definition.fields.iter().map(|f| f.code.clone()).collect(),
        sla_days: definition.sla.working_days,
    }
}

/// Every published version, each marked whether new cases use it today.
pub async fn service_catalog(app: &App) -> AppResult<Vec<ServiceSummary>> {
    let catalog = catalog(app).await?;
    let today = super::tehran_day(app.now());
    Ok(catalog
        .services()
        .iter()
        .map(|d| summary(d, catalog.in_force(&d.code, today).map(|f| f.version) == Some(d.version)))
        .collect())
}

/// The definition of a published version, as a case uses it.
pub async fn service_definition(app: &App, code: &str, version: i64) -> AppResult<Arc<ServiceDefinition>> {
    let rows = store::services(app.store().pool()).await?;
    let row = rows.iter().find(|r| r.code == code && r.version == version).ok_or(AppError::NotFound)?;
    definition_of(app, row.id).await
}

async fn catalog(app: &App) -> AppResult<Catalog> {
    let mut definitions = Vec::new();
    for row in store::services(app.store().pool()).await? {
        definitions.push((*definition_of(app, row.id).await?).clone());
    }
    Catalog::new(definitions).map_err(|e| definition_error(e.to_string()))
}

/// The service version new cases use today.
pub(crate) async fn in_force(app: &App, code: &str) -> AppResult<(ServiceRow, Arc<ServiceDefinition>)> {
    let today: JalaliDate = super::tehran_day(app.now());
    let rows = store::services(app.store().pool()).await?;
    let row = rows
        .into_iter()
        .filter(|r| r.code == code && JalaliDate::parse(&r.effective_from).is_ok_and(|d| d <= today))
        .max_by_key(|r| (JalaliDate::parse(&r.effective_from).ok(), r.version))
        .ok_or_else(|| {
            AppError::invalid(FieldError::new(
                "service",
                Message::new("خدمت", "Service"),
                Message::new("چنین خدمتی امروز ارائه نمی‌شود.", "no such service is offered today."),
            ))
        })?;
    let definition = definition_of(app, row.id).await?;
    Ok((row, definition))
}

pub(crate) async fn service_row(app: &App, id: i64) -> AppResult<ServiceRow> {
    store::service(app.store().pool(), id).await?.ok_or(AppError::NotFound)
}

/// A stored version's definition, parsed once per process: a stored version never changes.
pub(crate) async fn definition_of(app: &App, service_id: i64) -> AppResult<Arc<ServiceDefinition>> {
    if let Some(found) = app.service_cache().get(service_id) {
        return Ok(found);
    }
    let row = service_row(app, service_id).await?;
    let definition =
        ServiceDefinition::from_toml(&row.source).map_err(|e| definition_error(e.to_string()))?;
    Ok(app.service_cache().insert(service_id, definition))
}
