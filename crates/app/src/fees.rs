//! The fee bylaw in the system: publishing versions and the public tariff look-up.

use daftar_fees::bylaw::{Bylaw, Table};
use daftar_store::StoreError;
use daftar_store::fees as store_fees;
use daftar_store::plan::RulesRow;
use daftar_types::Lang;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::audit::{By, entry};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

fn bylaw_field(message: Message) -> AppError {
    AppError::invalid(FieldError::new("bylaw", Message::new("فایل آیین‌نامهٔ مالی", "Fee bylaw file"), message))
}

/// A fee engine error as a field error of the form or request that caused it.
pub(crate) fn engine_error(field: &'static str, label: Message, fa: String, en: String) -> AppError {
    AppError::invalid(FieldError::new(field, label, Message::new(fa, en)))
}

pub(crate) fn assess_error(error: &daftar_fees::AssessError) -> AppError {
    engine_error(
        "assessment",
        Message::new("محاسبهٔ عوارض", "Fee assessment"),
        error.message(Lang::Fa),
        error.message(Lang::En),
    )
}

/// A published bylaw version by name: what an invoice is re-assessed or waived under.
pub async fn bylaw_version(app: &App, version: &str) -> AppResult<Bylaw> {
    let row = store_fees::bylaw_version(app.store().pool(), version).await?.ok_or(AppError::NotFound)?;
    Bylaw::from_toml(&row.source).map_err(|e| {
        tracing::error!(error = %e, version, "a stored fee bylaw cannot be read");
        unreadable_bylaw()
    })
}

fn unreadable_bylaw() -> AppError {
    AppError::Conflict(Message::new(
        "آیین‌نامهٔ مالی ذخیره‌شده خوانا نیست.",
        "The stored fee bylaw cannot be read.",
    ))
}

/// Publishes a bylaw version. A published version never changes; old cases keep theirs.
pub async fn publish_bylaw(app: &App, by: By<'_>, meta: &RequestMeta, source: &str) -> AppResult<String> {
    let bylaw = Bylaw::from_toml(source).map_err(|e| {
        let text = e.to_string();
        bylaw_field(Message::new(format!("درست نیست: {text}"), format!("is not valid: {text}")))
    })?;
    let row = RulesRow {
        version: bylaw.version.clone(),
        effective_from: bylaw.effective_from.format_numeric(Lang::En),
        effective_at: bylaw.effective_from.start_of_day_tehran().unix(),
        source: source.to_string(),
        imported_at: app.now(),
    };
    let mut tx = app.store().begin_write().await?;
    match store_fees::insert_bylaw(tx.conn(), &row).await {
        Ok(()) => {}
        Err(StoreError::UniqueViolation) => {
            tx.rollback().await?;
            return Err(bylaw_field(Message::new(
                format!("نسخهٔ {} پیش‌تر منتشر شده است.", bylaw.version),
                format!("version {} is already published.", bylaw.version),
            )));
        }
        Err(err) => return Err(err.into()),
    }
    tx.audit(entry(
        app,
        by,
        meta,
        "fees.bylaw_published",
        ("fee_bylaw", bylaw.version.clone()),
        json!({ "version": bylaw.version, "effective_from": row.effective_from, "heads": bylaw.heads.len() }),
    ));
    app.commit(tx).await?;
    Ok(bylaw.version)
}

/// The bylaw in force now.
pub async fn bylaw_in_force(app: &App) -> AppResult<Option<Bylaw>> {
    let Some(row) = store_fees::bylaw_in_force(app.store().pool(), app.now()).await? else {
        return Ok(None);
    };
    Bylaw::from_toml(&row.source).map(Some).map_err(|e| {
        tracing::error!(error = %e, version = row.version, "a stored fee bylaw cannot be read");
        unreadable_bylaw()
    })
}

/// One row of a head's lookup table.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TableRow {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TableView {
    pub name: String,
    pub rows: Vec<TableRow>,
}

/// A fee head as the public reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeadView {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub clause: String,
    /// Who receives it: `municipality`, `office` or `agency`.
    pub party: String,
    /// `level` (one line per level) or `case`.
    pub per: String,
    pub formula: String,
    pub applies_when: Option<String>,
    pub tables: Vec<TableView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceTariff {
    pub service: String,
    pub heads: Vec<HeadView>,
}

/// The tariff of every service under the bylaw in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tariffs {
    pub version: String,
    /// Jalali yyyy/mm/dd.
    pub effective_from: String,
    pub title: String,
    pub rounding_rials: String,
    pub cash_discount_percent: String,
    pub instalment_min_down_percent: String,
    pub instalment_max_months: u32,
    pub services: Vec<ServiceTariff>,
}

fn table_view(name: &str, table: &Table) -> TableView {
    let rows = match table {
        Table::Bands(bands) => bands
            .iter()
            .map(|(band, value)| TableRow { key: band.to_string(), value: value.normalize().to_string() })
            .collect(),
        Table::Words(words) => words
            .iter()
            .map(|(key, value)| TableRow { key: key.clone(), value: value.normalize().to_string() })
            .collect(),
    };
    TableView { name: name.to_string(), rows }
}

fn matches(query: &str, service: &str, head: &HeadView) -> bool {
    if query.is_empty() {
        return true;
    }
    [service, &head.code, &head.name_fa, &head.name_en, &head.clause]
        .iter()
        .any(|text| daftar_types::text::search_key(text).contains(query))
}

/// Public tariffs, filtered by a query matched after Persian normalisation (any service, head
/// name or code containing it). No sign-in: the public must be able to check what is owed.
pub async fn tariffs(app: &App, query: &str) -> AppResult<Option<Tariffs>> {
    let Some(bylaw) = bylaw_in_force(app).await? else {
        return Ok(None);
    };
    let query = daftar_types::text::search_key(query);
    let mut services: Vec<ServiceTariff> = Vec::new();
    for head in &bylaw.heads {
        let view = HeadView {
            code: head.code.clone(),
            name_fa: head.name_fa.clone(),
            name_en: head.name_en.clone(),
            clause: head.clause.clone(),
            party: head.party.key().to_string(),
            per: format!("{:?}", head.per).to_lowercase(),
            formula: head.formula.to_string(),
            applies_when: head.when.as_ref().map(ToString::to_string),
            tables: head.tables.iter().map(|(name, table)| table_view(name, table)).collect(),
        };
        for service in &head.services {
            if !matches(&query, service, &view) {
                continue;
            }
            match services.iter_mut().find(|s| &s.service == service) {
                Some(existing) => existing.heads.push(view.clone()),
                None => services.push(ServiceTariff { service: service.clone(), heads: vec![view.clone()] }),
            }
        }
    }
    Ok(Some(Tariffs {
        version: bylaw.version.clone(),
        effective_from: bylaw.effective_from.format_numeric(Lang::En),
        title: bylaw.title.clone(),
        rounding_rials: bylaw.rounding.round_to.to_string(),
        cash_discount_percent: bylaw.cash_discount.percent.normalize().to_string(),
        instalment_min_down_percent: bylaw.instalments.min_down_percent.normalize().to_string(),
        instalment_max_months: bylaw.instalments.max_months,
        services,
    }))
}
