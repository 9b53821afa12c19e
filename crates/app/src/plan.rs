//! The detailed plan in the system: importing rule versions and the map, and answering what may
//! be built on a parcel and whether a design complies.
//!
//! Each server keeps the plan in memory (rules, an R-tree over parcels and zones) and reloads it
//! when the database's plan generation changes, so an import on one server reaches all of them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use daftar_store::StoreError;
use daftar_store::plan::{self as store_plan, RulesRow};
use daftar_types::{JalaliDate, Lang};
use daftar_zoning::dxf_reader::{self, DrawingDesign, DrawingError};
use daftar_zoning::import::{self, ImportError};
use daftar_zoning::spatial::SpatialIndex;
use daftar_zoning::sweep::{SheetCapacity, capacity};
use daftar_zoning::{
    CheckError, Design, InstructionSheet, Parcel, PlanCheck, PlanRules, SheetStatus, Zone, instruction_sheet,
    plan_check,
};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use tokio::sync::Mutex;

use crate::audit::{By, entry};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

/// The most parcels one map request returns.
pub const MAP_LIMIT: usize = 5_000;

/// The plan as one server holds it.
pub struct LoadedPlan {
    pub generation: i64,
    /// Rule versions with the Unix time they come into force, oldest first.
    versions: Vec<(i64, PlanRules)>,
    pub index: SpatialIndex,
    by_key: HashMap<String, usize>,
}

impl LoadedPlan {
    /// The rule version in force at `at` (Unix seconds).
    pub fn rules_at(&self, at: i64) -> Option<&PlanRules> {
        self.versions.iter().rev().find(|(from, _)| *from <= at).map(|(_, rules)| rules)
    }

    pub fn parcel(&self, key: &str) -> Option<&Parcel> {
        self.by_key.get(key).map(|&i| &self.index.parcels.parcels()[i])
    }

    pub fn parcel_count(&self) -> usize {
        self.by_key.len()
    }
}

#[derive(Default)]
pub(crate) struct PlanCache {
    loaded: RwLock<Option<Arc<LoadedPlan>>>,
    /// One reload at a time; the others wait for it and reuse its result.
    reloading: Mutex<()>,
}

impl PlanCache {
    fn get(&self) -> Option<Arc<LoadedPlan>> {
        self.loaded.read().ok().and_then(|guard| guard.clone())
    }

    fn set(&self, plan: Arc<LoadedPlan>) {
        if let Ok(mut guard) = self.loaded.write() {
            *guard = Some(plan);
        }
    }
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> AppError {
    tracing::error!(%err, "stored {what} cannot be read");
    AppError::Conflict(Message::new(
        "دادهٔ طرح در پایگاه داده خوانا نیست؛ طرح را دوباره وارد کنید.",
        "The stored plan data cannot be read; import the plan again.",
    ))
}

async fn load(app: &App, generation: i64) -> AppResult<LoadedPlan> {
    let pool = app.store().pool();
    let mut versions = Vec::new();
    for row in store_plan::all_rules(pool).await? {
        let rules = PlanRules::from_toml(&row.source).map_err(|e| corrupt("plan rules", e))?;
        versions.push((row.effective_at, rules));
    }
    let mut zones = Vec::new();
    for data in store_plan::zones(pool).await? {
        zones.push(serde_json::from_str::<Zone>(&data).map_err(|e| corrupt("zone", e))?);
    }
    let mut parcels = Vec::new();
    let mut after = String::new();
    loop {
        let page = store_plan::parcels_page(pool, &after, 10_000).await?;
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        for (_, data) in page {
            parcels.push(serde_json::from_str::<Parcel>(&data).map_err(|e| corrupt("parcel", e))?);
        }
    }
    let index = tokio::task::spawn_blocking(move || SpatialIndex::new(parcels, zones))
        .await
        .map_err(|e| corrupt("plan index", e))?;
    let by_key = index.parcels.parcels().iter().enumerate().map(|(i, p)| (p.parcel_key.clone(), i)).collect();
    Ok(LoadedPlan { generation, versions, index, by_key })
}

/// The plan as it stands in the database now.
pub async fn current(app: &App) -> AppResult<Arc<LoadedPlan>> {
    let generation = store_plan::generation(app.store().pool()).await?;
    let cache = &app.inner.plan;
    if let Some(plan) = cache.get().filter(|p| p.generation == generation) {
        return Ok(plan);
    }
    let _reloading = cache.reloading.lock().await;
    if let Some(plan) = cache.get().filter(|p| p.generation == generation) {
        return Ok(plan);
    }
    let plan = Arc::new(load(app, generation).await?);
    cache.set(plan.clone());
    Ok(plan)
}

fn rules_field(message: Message) -> AppError {
    AppError::invalid(FieldError::new("rules", Message::new("فایل ضوابط طرح", "Plan rules file"), message))
}

/// Publishes a rule version. A version is never changed once published: a change is a new
/// version with its own effective date, and sheets keep the version they were issued under.
pub async fn import_rules(app: &App, by: By<'_>, meta: &RequestMeta, source: &str) -> AppResult<String> {
    let rules = PlanRules::from_toml(source).map_err(|e| {
        let text = e.to_string();
        rules_field(Message::new(format!("درست نیست: {text}"), format!("is not valid: {text}")))
    })?;
    let effective = JalaliDate::parse(&rules.effective_from).map_err(|e| {
        rules_field(Message::new(
            format!("تاریخ اجرا: {}", e.message(Lang::Fa)),
            format!("effective date: {}", e.message(Lang::En)),
        ))
    })?;
    let row = RulesRow {
        version: rules.version.clone(),
        effective_from: effective.format_numeric(Lang::En),
        effective_at: effective.start_of_day_tehran().unix(),
        source: source.to_string(),
        imported_at: app.now(),
    };
    let mut tx = app.store().begin_write().await?;
    match store_plan::insert_rules(tx.conn(), &row).await {
        Ok(()) => {}
        Err(StoreError::UniqueViolation) => {
            tx.rollback().await?;
            return Err(rules_field(Message::new(
                format!("نسخهٔ {} پیش‌تر منتشر شده است؛ هر تغییر نسخهٔ تازه‌ای می‌خواهد.", rules.version),
                format!("version {} is already published; a change needs a new version.", rules.version),
            )));
        }
        Err(err) => return Err(err.into()),
    }
    store_plan::bump_generation(tx.conn()).await?;
    tx.audit(entry(
        app,
        by,
        meta,
        "plan.rules_published",
        ("plan_rules", rules.version.clone()),
        json!({ "version": rules.version, "effective_from": row.effective_from, "zones": rules.zones.len() }),
    ));
    app.commit(tx).await?;
    Ok(rules.version)
}

/// A map import's error: which feature, which attribute, why.
pub fn import_error(kind: &str, err: &ImportError) -> AppError {
    AppError::invalid(FieldError::new(
        "file",
        Message::new(format!("فایل {kind}"), format!("{kind} file")),
        Message::new(
            format!("عارضهٔ شمارهٔ {} (صفت {}): {}", err.index, err.field, err.reason),
            format!("feature {} ({}): {}", err.index, err.field, err.reason),
        ),
    ))
}

#[derive(Debug, Clone, Serialize)]
pub struct MapImported {
    pub zones: Option<usize>,
    pub parcels: usize,
}

/// Imports zones (replacing the whole zone map) and parcels (a parcel key already present is
/// updated), all or nothing. Sheets already issued keep their own copy of the parcel.
pub async fn import_map(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    zones: Option<Vec<Zone>>,
    parcels: Vec<Parcel>,
) -> AppResult<MapImported> {
    if let Some(zones) = &zones {
        let plan = current(app).await?;
        let rules = plan.rules_at(app.now()).ok_or_else(|| {
            rules_field(Message::new(
                "پیش از نقشهٔ پهنه‌ها، ضوابط طرح را وارد کنید.",
                "Import the plan rules before the zone map.",
            ))
        })?;
        import::check_zone_codes(rules, zones).map_err(|e| import_error("zones", &e))?;
    }
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    if let Some(zones) = &zones {
        let rows: Vec<(String, String)> = zones
            .iter()
            .map(|z| serde_json::to_string(z).map(|data| (z.code.clone(), data)))
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt("zone", e))?;
        store_plan::replace_zones(tx.conn(), &rows).await?;
    }
    for parcel in &parcels {
        let data = serde_json::to_string(parcel).map_err(|e| corrupt("parcel", e))?;
        store_plan::upsert_parcel(tx.conn(), &parcel.parcel_key, &parcel.district, &data, now).await?;
    }
    store_plan::bump_generation(tx.conn()).await?;
    let summary = MapImported { zones: zones.as_ref().map(Vec::len), parcels: parcels.len() };
    tx.audit(entry(app, by, meta, "plan.map_imported", ("plan_map", now.to_string()), json!(summary)));
    app.commit(tx).await?;
    Ok(summary)
}

fn no_such_parcel(key: &str) -> AppError {
    AppError::invalid(FieldError::new(
        "parcel_key",
        Message::new("کد نوسازی", "Parcel key"),
        Message::new(format!("قطعه‌ای با کد {key} در طرح نیست."), format!("no parcel {key} in the plan.")),
    ))
}

fn no_rules() -> AppError {
    AppError::Conflict(Message::new(
        "هنوز ضوابطی از طرح تفصیلی در سامانه نیست.",
        "No detailed-plan rules are in force yet.",
    ))
}

/// A parcel and the zone it lies in.
#[derive(Debug, Clone, Serialize)]
pub struct ParcelInfo {
    pub parcel: Parcel,
    pub zone_code: Option<String>,
}

pub async fn parcel(app: &App, key: &str) -> AppResult<ParcelInfo> {
    let plan = current(app).await?;
    let parcel = plan.parcel(key).ok_or(AppError::NotFound)?;
    let context = plan.index.zone_context_for(parcel);
    Ok(ParcelInfo { parcel: parcel.clone(), zone_code: context.zone_code })
}

/// The parcel containing a point (projected metres of the plan's coordinate system).
pub async fn parcel_at(app: &App, x: f64, y: f64) -> AppResult<ParcelInfo> {
    if !x.is_finite() || !y.is_finite() {
        return Err(AppError::NotFound);
    }
    let plan = current(app).await?;
    let parcel = plan.index.parcel_at(x, y).ok_or(AppError::NotFound)?;
    let context = plan.index.zone_context_for(parcel);
    Ok(ParcelInfo { parcel: parcel.clone(), zone_code: context.zone_code })
}

/// The planning instruction sheet of a parcel under the rules in force today.
pub async fn sheet(app: &App, key: &str) -> AppResult<InstructionSheet> {
    let plan = current(app).await?;
    let parcel = plan.parcel(key).ok_or_else(|| no_such_parcel(key))?;
    let rules = plan.rules_at(app.now()).ok_or_else(no_rules)?;
    Ok(instruction_sheet(rules, parcel, plan.index.zone_context_for(parcel)))
}

fn design_error(err: &CheckError) -> AppError {
    let text = err.to_string();
    AppError::invalid(FieldError::new(
        "design",
        Message::new("طرح پیشنهادی", "Design"),
        Message::new(format!("قابل بررسی نیست: {text}"), format!("cannot be checked: {text}")),
    ))
}

/// Checks a design against the sheet of its parcel under today's rules.
pub async fn check_design(app: &App, key: &str, design: &Design) -> AppResult<PlanCheck> {
    check_on(app, &*current(app).await?, key, design)
}

fn check_on(app: &App, plan: &LoadedPlan, key: &str, design: &Design) -> AppResult<PlanCheck> {
    let parcel = plan.parcel(key).ok_or_else(|| no_such_parcel(key))?;
    let rules = plan.rules_at(app.now()).ok_or_else(no_rules)?;
    let sheet = instruction_sheet(rules, parcel, plan.index.zone_context_for(parcel));
    plan_check(rules, &sheet, design).map_err(|e| design_error(&e))
}

/// Bilingual text for a drawing problem.
fn drawing_problem_message(code: &str) -> (&'static str, &'static str) {
    match code {
        "unreadable" => ("فایل DXF خوانا نیست", "the file is not a readable DXF drawing"),
        "not_metres" => ("واحد نقشه متر نیست", "the drawing's units are not metres"),
        "missing_layer" => ("لایهٔ لازم در نقشه نیست", "a required layer is missing"),
        "bad_layer_name" => {
            ("نام لایه با قرارداد لایه‌ها نمی‌خواند", "a layer name does not follow the convention")
        }
        "duplicate_parcel" => ("بیش از یک مرز قطعه کشیده شده است", "more than one parcel outline"),
        "open_polyline" => ("چندخطی باز است و باید بسته باشد", "a polyline that must be closed is open"),
        "bad_outline" => ("محدوده نادرست است", "an outline is not a valid shape"),
        "unsupported_entity" => ("این نوع عنصر در قرارداد نیست", "an entity of an unsupported kind"),
        "bad_frontage" => ("خط بر اصلی نادرست است", "the frontage line is missing or ambiguous"),
        "level_with_several_uses" => ("یک طبقه چند کاربری دارد", "one level has several uses"),
        "units_without_level" => {
            ("واحدها بی‌طبقه کشیده شده‌اند", "unit outlines on a level without a level layer")
        }
        "missing_units" => ("طبقهٔ مسکونی واحد ندارد", "a residential level has no unit outlines"),
        "stall_not_rectangle" => ("جای پارک مستطیل نیست", "a parking stall is not a rectangle"),
        "stall_too_small" => ("جای پارک کوچک‌تر از اندازهٔ مجاز است", "a parking stall is too small"),
        "no_levels" => ("هیچ طبقه‌ای در نقشه نیست", "the drawing has no levels"),
        _ => ("طبقات نقشه طرح درستی نمی‌سازند", "the levels do not form a valid design"),
    }
}

fn drawing_error(err: &DrawingError) -> AppError {
    AppError::Invalid(
        err.reasons
            .iter()
            .map(|problem| {
                let (fa, en) = drawing_problem_message(problem.code.key());
                let layer = problem.layer.as_deref().map(|l| format!(" [{l}]")).unwrap_or_default();
                FieldError::new(
                    "drawing",
                    Message::new("نقشهٔ DXF", "DXF drawing"),
                    Message::new(
                        format!("{fa}{layer}: {}", problem.detail),
                        format!("{en}{layer}: {}", problem.detail),
                    ),
                )
            })
            .collect(),
    )
}

/// A drawing's check: the design read from it, and the verdicts.
#[derive(Debug, Clone, Serialize)]
pub struct DrawingCheck {
    pub design: Design,
    pub drawn_parcel_area: Decimal,
    pub check: PlanCheck,
}

/// Reads a DXF drawing of a design on a parcel and checks it like a design given as numbers.
pub async fn check_drawing(app: &App, key: &str, bytes: Vec<u8>) -> AppResult<DrawingCheck> {
    let plan = current(app).await?;
    let rules = plan.rules_at(app.now()).ok_or_else(no_rules)?;
    let parking = rules.parking.clone();
    let drawn: DrawingDesign = tokio::task::spawn_blocking(move || dxf_reader::read_design(&bytes, &parking))
        .await
        .map_err(|e| corrupt("drawing reader", e))?
        .map_err(|e| drawing_error(&e))?;
    let check = check_on(app, &plan, key, &drawn.design)?;
    Ok(DrawingCheck { design: drawn.design, drawn_parcel_area: drawn.parcel_area, check })
}

/// Parcels whose envelope meets the box, at most [`MAP_LIMIT`].
pub async fn parcels_in_box(
    app: &App,
    min: (f64, f64),
    max: (f64, f64),
) -> AppResult<(Vec<ParcelInfo>, bool)> {
    let plan = current(app).await?;
    let found = plan.index.parcels_in_box(min, max);
    let truncated = found.len() > MAP_LIMIT;
    let parcels = found
        .into_iter()
        .take(MAP_LIMIT)
        .map(|p| ParcelInfo { parcel: p.clone(), zone_code: plan.index.zone_context_for(p).zone_code })
        .collect();
    Ok((parcels, truncated))
}

pub async fn zones(app: &App) -> AppResult<Vec<Zone>> {
    Ok(current(app).await?.index.zones.zones().to_vec())
}

/// Totals of one group in a sweep.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Capacity {
    pub parcels: u64,
    pub issued: u64,
    pub needs_review: u64,
    pub no_building: u64,
    pub net_area: Decimal,
    pub max_total_floor_area: Decimal,
}

impl Capacity {
    fn add(&mut self, sheet: &SheetCapacity) {
        self.parcels += 1;
        match sheet.status {
            SheetStatus::Issued => self.issued += 1,
            SheetStatus::NeedsReview => self.needs_review += 1,
            SheetStatus::NoBuildingPermit => self.no_building += 1,
        }
        if sheet.status == SheetStatus::Issued {
            self.net_area += sheet.net_area.unwrap_or_default();
            self.max_total_floor_area += sheet.max_total_floor_area.unwrap_or_default();
        }
    }
}

/// Every parcel's sheet under today's rules, summed by zone and by district.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sweep {
    pub plan_version: String,
    pub by_zone: BTreeMap<String, Capacity>,
    pub by_district: BTreeMap<String, Capacity>,
    pub total: Capacity,
}

pub async fn sweep(app: &App, progress: impl Fn(u64) + Send + 'static) -> AppResult<Sweep> {
    let plan = current(app).await?;
    let now = app.now();
    tokio::task::spawn_blocking(move || {
        let rules = plan.rules_at(now).ok_or_else(no_rules)?;
        let mut sweep = Sweep { plan_version: rules.version.clone(), ..Sweep::default() };
        for (n, parcel) in plan.index.parcels.parcels().iter().enumerate() {
            let context = plan.index.zone_context_for(parcel);
            let zone = context.zone_code.clone().unwrap_or_else(|| "-".to_string());
            let sheet = capacity(rules, parcel, context);
            sweep.by_zone.entry(zone).or_default().add(&sheet);
            sweep.by_district.entry(parcel.district.clone()).or_default().add(&sheet);
            sweep.total.add(&sheet);
            if n % 10_000 == 0 {
                progress(n as u64);
            }
        }
        Ok(sweep)
    })
    .await
    .map_err(|e| corrupt("sweep", e))?
}
