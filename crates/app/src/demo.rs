//! The demo city: a municipality with three districts, four offices, one account for each
//! role, a few citizens, the sample fee bylaw, and a detailed plan (the sample rules over a
//! synthetic map).
//! Everything is created through the ordinary use cases, so the demo database has a full audit
//! trail from its first row.

use daftar_store::orgs::{self, NewOffice};
use daftar_store::users::{self, NewUser};
use daftar_zoning::synth::{SynthCity, SynthConfig};
use serde_json::json;

use crate::audit::{By, entry};
use crate::authz::Role;
use crate::error::AppResult;
use crate::users::NewStaff;
use crate::{App, RequestMeta, api_keys};

/// Every demo staff account shares this password (it passes the password policy).
pub const DEMO_PASSWORD: &str = "nowruz-saffron-1405";

/// The demo city's synthetic map: its seed and size.
pub const DEMO_CITY_SEED: u64 = 1405;
pub const DEMO_CITY_PARCELS: usize = 3_000;

/// A way into the demo, printed when it starts.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: Role,
    pub name: String,
    /// Username and password, national ID and mobile, or an API key.
    pub credentials: String,
}

const DISTRICTS: [(&str, &str, &str); 3] =
    [("1", "منطقهٔ یک", "District 1"), ("2", "منطقهٔ دو", "District 2"), ("3", "منطقهٔ سه", "District 3")];

const OFFICES: [(&str, &str, &str, usize); 4] = [
    ("OF-1001", "دفتر خدمات الکترونیک شهر ونک", "Vanak city e-services office", 0),
    ("OF-1002", "دفتر خدمات الکترونیک شهر تجریش", "Tajrish city e-services office", 0),
    ("OF-1003", "دفتر خدمات الکترونیک شهر آزادی", "Azadi city e-services office", 1),
    ("OF-1004", "دفتر خدمات الکترونیک شهر نارمک", "Narmak city e-services office", 2),
];

/// A demo staff account: username, name, role, and the index of its office or district.
struct DemoStaff(&'static str, &'static str, Role, Option<usize>, Option<usize>);

const STAFF: [DemoStaff; 13] = [
    DemoStaff("admin", "مریم احمدی", Role::Admin, None, None),
    DemoStaff("supervisor", "علی رضایی", Role::Supervisor, None, None),
    DemoStaff("finance", "زهرا کریمی", Role::Finance, None, None),
    DemoStaff("committee", "حسین موسوی", Role::LicensingCommittee, None, None),
    DemoStaff("board", "فاطمه حسینی", Role::BoardMember, None, None),
    DemoStaff("commission", "محمد جعفری", Role::ReserveLandCommission, None, None),
    DemoStaff("reviewer", "نرگس صادقی", Role::DistrictReviewer, None, Some(0)),
    DemoStaff("approver", "رضا قاسمی", Role::DistrictPermitApprover, None, Some(0)),
    // A permit needs two different approvers.
    DemoStaff("approver2", "مهدی زارعی", Role::DistrictPermitApprover, None, Some(0)),
    DemoStaff("holder", "سارا محمدی", Role::OfficeLicenseHolder, Some(0), None),
    DemoStaff("techmanager", "امیر نوری", Role::OfficeTechnicalManager, Some(0), None),
    DemoStaff("expert", "لیلا اکبری", Role::OfficeExpert, Some(0), None),
    DemoStaff("professional", "کاوه شریفی", Role::Professional, None, None),
];

/// (national ID, mobile, name)
const CITIZENS: [(&str, &str, &str); 3] = [
    ("0076229645", "+989121234567", "پرویز کامرانی"),
    ("1583250689", "+989351112233", "شیرین یزدانی"),
    ("0499370899", "+989191234500", "بهرام تهرانی"),
];

/// Seeds an empty database with the demo city and returns the logins.
pub async fn seed(app: &App) -> AppResult<Vec<DemoLogin>> {
    let meta = RequestMeta::default();
    let by = By::System("demo");
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    for (code, fa, en) in DISTRICTS {
        let id = orgs::insert_district(tx.conn(), code, fa, en).await?;
        tx.audit(entry(
            app,
            by,
            &meta,
            "district.created",
            ("district", id.to_string()),
            json!({ "code": code }),
        ));
    }
    let districts = orgs::districts(tx.conn()).await?;
    for (code, fa, en, district) in OFFICES {
        let office =
            NewOffice { code, name_fa: fa, name_en: en, district_id: districts[district].id, status: "open" };
        let id = orgs::insert_office(tx.conn(), &office, now).await?;
        tx.audit(entry(
            app,
            by,
            &meta,
            "office.created",
            ("office", id.to_string()),
            json!({ "code": code }),
        ));
    }
    app.commit(tx).await?;

    let mut logins = Vec::new();
    for DemoStaff(username, name, role, office, district) in STAFF {
        let form = NewStaff {
            username: username.to_string(),
            display_name: name.to_string(),
            password: DEMO_PASSWORD.to_string(),
            role: role.code().to_string(),
            office: office.map(|i| OFFICES[i].0.to_string()),
            district: district.map(|i| DISTRICTS[i].0.to_string()),
        };
        crate::users::add_staff(app, by, &form, &meta).await?;
        logins.push(DemoLogin {
            role,
            name: name.to_string(),
            credentials: format!("{username} / {DEMO_PASSWORD}"),
        });
    }

    let mut tx = app.store().begin_write().await?;
    for (national_id, mobile, name) in CITIZENS {
        let citizen = NewUser {
            kind: "citizen",
            username: None,
            national_id: Some(national_id),
            mobile: Some(mobile),
            display_name: name,
            search_key: &daftar_types::text::search_key(name),
            password_hash: None,
        };
        let id = users::insert(tx.conn(), &citizen, now).await?;
        tx.audit(entry(
            app,
            by,
            &meta,
            "user.created",
            ("user", id.to_string()),
            json!({ "kind": "citizen" }),
        ));
        let local = format!("0{}", &mobile[3..]);
        logins.push(DemoLogin {
            role: Role::Citizen,
            name: name.to_string(),
            credentials: format!("{national_id} / {local}"),
        });
    }
    let agency_name = "سازمان آتش‌نشانی و خدمات ایمنی";
    let agency = NewUser {
        kind: "agency",
        username: Some("fire-department"),
        national_id: None,
        mobile: None,
        display_name: agency_name,
        search_key: &daftar_types::text::search_key(agency_name),
        password_hash: None,
    };
    let agency_id = users::insert(tx.conn(), &agency, now).await?;
    tx.audit(entry(
        app,
        by,
        &meta,
        "user.created",
        ("user", agency_id.to_string()),
        json!({ "kind": "agency" }),
    ));
    app.commit(tx).await?;
    let key = api_keys::issue(app, by, agency_id, "demo", &meta).await?;
    logins.push(DemoLogin { role: Role::Agency, name: agency_name.to_string(), credentials: key });

    certify_demo_expert(app, &meta).await?;
    for (_, source) in daftar_workflow::DEMO_SERVICES {
        crate::cases::publish_service(app, by, &meta, source).await?;
    }
    crate::fees::publish_bylaw(app, by, &meta, daftar_fees::bylaw::DEMO_BYLAW_TOML).await?;
    crate::plan::import_rules(app, by, &meta, daftar_zoning::DEMO_RULES_TOML).await?;
    crate::licensing::publish_call(app, by, &meta, daftar_licensing::DEMO_CALL_TOML).await?;
    let city = SynthCity::generate(SynthConfig::new(DEMO_CITY_SEED, DEMO_CITY_PARCELS));
    crate::plan::import_map(app, by, &meta, Some(city.zones.clone()), city.parcels().collect()).await?;
    Ok(logins)
}

/// The demo expert's national ID, under which her certificate is held.
pub const DEMO_EXPERT_NATIONAL_ID: &str = "0042157838";

/// Makes the demo office expert a certified expert assigned to her office (certified today, for
/// three years), so that she may review drawings at once.
async fn certify_demo_expert(app: &App, meta: &RequestMeta) -> AppResult<()> {
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    let user = users::find_by_username(tx.conn(), "expert").await?.ok_or(crate::AppError::NotFound)?;
    users::set_national_id(tx.conn(), user.id, DEMO_EXPERT_NATIONAL_ID, now).await?;
    let expert_id = daftar_store::licensing::insert_expert(
        tx.conn(),
        DEMO_EXPERT_NATIONAL_ID,
        &user.display_name,
        "[]",
        now,
    )
    .await?;
    let today = daftar_types::Timestamp::from_unix(now).to_tehran().date();
    let office = orgs::offices(tx.conn()).await?.into_iter().find(|o| o.code == OFFICES[0].0);
    let row = daftar_store::licensing::ExpertRow {
        id: expert_id,
        national_id: DEMO_EXPERT_NATIONAL_ID.to_string(),
        name: user.display_name.clone(),
        data: "[]".to_string(),
        training_completed_on: Some(today.to_string()),
        exam_score: Some("80".to_string()),
        certified_on: Some(today.to_string()),
        expires_on: today.add_days(3 * 365).map(|d| d.to_string()),
        office_id: office.map(|o| o.id),
        created_at: now,
    };
    daftar_store::licensing::update_expert(tx.conn(), &row).await?;
    tx.audit(entry(
        app,
        By::System("demo"),
        meta,
        "licensing.expert_updated",
        ("expert", user.id.to_string()),
        json!({ "certified": true, "office": OFFICES[0].0 }),
    ));
    app.commit(tx).await?;
    Ok(())
}

/// Issues the sample plan's worked invoice (the M111 building, P = 1,234,567) for a demo case of
/// the Vanak office, so that paying through the sandbox gateway can be tried at once, and bills
/// this month's rent of the Narmak office's municipal site; returns the invoice's public id.
pub async fn sample_invoice(app: &App) -> AppResult<String> {
    let level = |level: i32, usage: &str, area: i64| daftar_fees::assess::LevelInput {
        level,
        usage: usage.to_string(),
        area: rust_decimal::Decimal::from(area),
    };
    let inputs = daftar_fees::assess::AssessmentInputs {
        service: "building_permit".into(),
        levels: vec![
            level(-1, "parking", 380),
            level(0, "commercial", 200),
            level(1, "office", 200),
            level(2, "residential", 240),
            level(3, "residential", 240),
        ],
        p: 1_234_567,
        ..Default::default()
    };
    let (by, meta) = (By::System("demo"), RequestMeta::default());
    let office = crate::directory::offices(app).await?.into_iter().find(|o| o.code == OFFICES[0].0);
    let billed =
        crate::money::Billed { owner_type: "case", owner_id: "demo-1", office_id: office.map(|o| o.id) };
    let invoice = crate::money::issue_invoice(app, by, &meta, billed, &inputs).await?;
    // The Narmak office works from a municipal site: this month's rent is billed to it.
    let month = crate::money::Period::containing(app.now());
    let rent = daftar_types::Rials::new(65_000_000);
    crate::money::let_site(app, by, &meta, OFFICES[3].0, "S-01", rent, month).await?;
    crate::money::bill_rent(app, by, &meta, month).await?;
    Ok(invoice.public_id)
}
