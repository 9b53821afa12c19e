//! The web layer over real HTTP: a server on a random loopback port, the demo city seeded,
//! on SQLite (or PostgreSQL with DAFTAR_TEST_DATABASE_URL).

use std::collections::HashMap;
use std::sync::Arc;

use daftar_app::authz::{self, Caller, Decision, Principal};
use daftar_app::config::RateLimits;
use daftar_app::{App, Config, Role};
use daftar_store::scratch::ScratchDb;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Client, Method, StatusCode, redirect};

const PASSWORD: &str = daftar_app::demo::DEMO_PASSWORD;

struct Server {
    _db: ScratchDb,
    app: App,
    base: String,
    agency_key: String,
    client: Client,
}

async fn start(config: Config) -> Server {
    start_with_clock(config, Arc::new(daftar_app::SystemClock)).await
}

async fn start_with_clock(config: Config, clock: Arc<dyn daftar_app::Clock>) -> Server {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = Config { public_url: base.clone(), ..config };
    let sandbox = daftar_app::gateway::SandboxGateway::new(&base, config.gateway_secret.clone());
    let app = App::new(
        store,
        config,
        clock,
        daftar_app::keys::generate(),
        Arc::new(daftar_app::outbox::DevelopmentSms),
    )
    .with_gateway(Arc::new(sandbox));
    let logins = daftar_app::demo::seed(&app).await.unwrap();
    let agency_key = logins.iter().find(|l| l.role == Role::Agency).unwrap().credentials.clone();
    app.spawn_workers();
    tokio::spawn(daftar_web::serve(listener, app.clone(), std::future::pending()));
    let client = Client::builder().redirect(redirect::Policy::none()).build().unwrap();
    Server { _db: db, app, base, agency_key, client }
}

fn test_config() -> Config {
    Config { rate_limits: RateLimits::unlimited(), ..Config::default() }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An unsafe request as a same-site browser form would send it.
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).header(ORIGIN, self.base.clone())
    }

    async fn sign_in_staff(&self, username: &str) -> String {
        let response = self
            .post("/sign-in/staff")
            .form(&[("username", username), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{username} signs in");
        session_cookie(response.headers()).expect("a session cookie")
    }

    /// A JSON POST as a signed-in client would send it.
    async fn post_json(&self, path: &str, cookie: &str, body: &serde_json::Value) -> reqwest::Response {
        self.post(path).header(COOKIE, cookie.to_string()).json(body).send().await.unwrap()
    }

    /// A GET as a signed-in browser would send it.
    fn get_as(&self, path: &str, cookie: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).header(COOKIE, cookie.to_string())
    }

    async fn latest_code(&self) -> String {
        let messages = daftar_store::outbox::recent(self.app.store().pool(), 1).await.unwrap();
        messages[0].body.rsplit("code: ").next().unwrap().trim().to_string()
    }

    async fn sign_in_citizen(&self, national_id: &str, mobile: &str) -> String {
        let response = self
            .post("/sign-in/citizen")
            .form(&[("national_id", national_id), ("mobile", mobile)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()[LOCATION].to_str().unwrap().to_string();
        let path = location.split('?').next().unwrap().to_string();
        let code = self.latest_code().await;
        let response = self.post(&path).form(&[("code", code.as_str())]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "the code signs the citizen in");
        session_cookie(response.headers()).unwrap()
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("daftar_session=") && !v.starts_with("daftar_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

fn has_persian_jalali_date(html: &str) -> bool {
    let months = [
        "فروردین",
        "اردیبهشت",
        "خرداد",
        "تیر",
        "مرداد",
        "شهریور",
        "مهر",
        "آبان",
        "آذر",
        "دی",
        "بهمن",
        "اسفند",
    ];
    months.iter().any(|m| {
        html.split(m).skip(1).any(|after| {
            let year: String = after.trim_start().chars().take(4).collect();
            year.chars().count() == 4 && year.chars().all(|c| ('۰'..='۹').contains(&c))
        })
    })
}

#[tokio::test]
async fn the_home_page_is_persian_right_to_left_with_a_jalali_date() {
    let s = start(test_config()).await;
    let response = s.client.get(s.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"lang="fa""#) && html.contains(r#"dir="rtl""#));
    assert!(has_persian_jalali_date(&html), "a Jalali date in Persian digits");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.get("strict-transport-security").is_none(), "no HSTS without TLS");
    assert!(headers.contains_key("x-request-id"));

    let response = s.client.get(s.url("/lang/en?back=/sign-in")).send().await.unwrap();
    assert_eq!(response.headers()[LOCATION], "/sign-in");
    let lang_cookie = response.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let html = s
        .client
        .get(s.url("/sign-in"))
        .header(COOKIE, lang_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"lang="en""#) && html.contains(r#"dir="ltr""#) && html.contains("National ID"));
}

#[tokio::test]
async fn hsts_is_sent_behind_tls() {
    let s = start(Config { behind_tls: true, ..test_config() }).await;
    let response = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert!(response.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
}

/// A concrete request path for a route pattern.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{*path}", "app.css")
        .replace("{code}", "en")
        .replace("{challenge}", "00ff")
        .replace("{*rest}", "index.html")
        .replace("{parcel_key}", "1-000000-001")
        .replace("{gateway}", "sandbox")
        .replace("{public_id}", "00")
        .replace("{reference}", "SBX-0")
        .replace("{action}", "cancel")
        .replace("{office}", "OF-1001")
        .replace("{call}", "no-such-call")
        .replace("{slot}", "p.photo.1")
        .replace("{tracking}", "000000000000")
        .replace("{id}", "0")
}

/// Every route against every role: the status must be what the rule in `authz::ROUTES` says.
/// A route added without a rule fails the first assertion.
#[tokio::test]
async fn every_route_answers_every_role_as_its_rule_says() {
    let s = start(test_config()).await;
    let routes = daftar_web::route_list();
    let missing: Vec<_> = routes.iter().filter(|(m, p)| authz::route_access(m, p).is_none()).collect();
    assert!(missing.is_empty(), "routes without an access rule: {missing:?}");
    let stale: Vec<_> = authz::ROUTES
        .iter()
        .filter(|(m, p, _)| !routes.contains(&(*m, *p)))
        .map(|(m, p, _)| (m, p))
        .collect();
    assert!(stale.is_empty(), "rules for routes that do not exist: {stale:?}");

    let staff: HashMap<Role, &str> = [
        (Role::Admin, "admin"),
        (Role::Supervisor, "supervisor"),
        (Role::Finance, "finance"),
        (Role::LicensingCommittee, "committee"),
        (Role::BoardMember, "board"),
        (Role::ReserveLandCommission, "commission"),
        (Role::DistrictReviewer, "reviewer"),
        (Role::DistrictPermitApprover, "approver"),
        (Role::OfficeLicenseHolder, "holder"),
        (Role::OfficeTechnicalManager, "techmanager"),
        (Role::OfficeExpert, "expert"),
        (Role::Professional, "professional"),
    ]
    .into_iter()
    .collect();
    let mut callers: Vec<Option<Role>> = vec![None];
    callers.extend(Role::ALL.into_iter().map(Some));
    let config = s.app.config().clone();
    let mut checked = 0;
    for role in &callers {
        let mut credential = None;
        let mut stale = true;
        for (method, pattern) in &routes {
            // Signing out ends the session: the route after it gets a new one.
            if stale {
                credential = match role {
                    None => None,
                    Some(Role::Citizen) => {
                        Some(("cookie", s.sign_in_citizen("0076229645", "09121234567").await))
                    }
                    Some(Role::Agency) => Some(("bearer", s.agency_key.clone())),
                    Some(staff_role) => Some(("cookie", s.sign_in_staff(staff[staff_role]).await)),
                };
            }
            stale = pattern.contains("sign-out");
            let principal = role.map(|role| Principal {
                user_id: 0,
                kind: String::new(),
                display_name: String::new(),
                role: Some(role),
                membership_id: None,
                office_id: None,
                district_id: None,
            });
            let expected = authz::decide(
                authz::route_access(method, pattern).unwrap(),
                principal.as_ref().map_or(Caller::Anonymous, Caller::SignedIn),
                &config,
            );
            let mut request = s
                .client
                .request(Method::from_bytes(method.as_bytes()).unwrap(), s.url(&concrete(pattern)))
                .header(ORIGIN, s.base.clone());
            if *method != "GET" {
                request = request.header("content-type", "application/x-www-form-urlencoded").body("");
            }
            match &credential {
                Some(("cookie", cookie)) => request = request.header(COOKIE, cookie.clone()),
                Some((_, key)) => request = request.bearer_auth(key),
                None => {}
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let to_sign_in = response
                .headers()
                .get(LOCATION)
                .is_some_and(|l| l.to_str().unwrap_or("").starts_with("/sign-in?next="));
            let ok = match expected {
                Decision::Allow => {
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED && !to_sign_in
                }
                Decision::Unauthenticated => status == StatusCode::UNAUTHORIZED || to_sign_in,
                Decision::Forbidden => status == StatusCode::FORBIDDEN,
                Decision::Hidden => status == StatusCode::NOT_FOUND,
            };
            assert!(ok, "{method} {pattern} as {role:?}: expected {expected:?}, got {status}");
            checked += 1;
        }
    }
    assert_eq!(checked, routes.len() * (Role::ALL.len() + 1));
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let s = start(test_config()).await;
    let form = [("username", "admin"), ("password", PASSWORD)];
    let url = s.url("/sign-in/staff");
    let evil = s.client.post(&url).header(ORIGIN, "http://evil.example").form(&form).send().await.unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    let fetch_meta =
        s.client.post(&url).header("sec-fetch-site", "cross-site").header(ORIGIN, s.base.clone()).form(&form);
    assert_eq!(fetch_meta.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let bare = s.client.post(&url).form(&form).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN, "no Origin, Referer or Fetch Metadata");
    let referer = s.client.post(&url).header("referer", s.url("/sign-in")).form(&form).send().await.unwrap();
    assert_eq!(referer.status(), StatusCode::SEE_OTHER);

    // An agency key carries no ambient credential: no Origin needed.
    let agency = s.client.get(s.url("/api/v1/me")).bearer_auth(&s.agency_key).send().await.unwrap();
    assert_eq!(agency.status(), StatusCode::OK);
    let body: serde_json::Value = agency.json().await.unwrap();
    assert_eq!(body["active_role"], "agency");
    let rename = s
        .client
        .put(s.url("/api/v1/me/name"))
        .bearer_auth(&s.agency_key)
        .json(&serde_json::json!({ "display_name": "سازمان آتش‌نشانی" }))
        .send()
        .await
        .unwrap();
    assert_eq!(rename.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_session_cookie_is_httponly_samesite_and_secure() {
    let s = start(test_config()).await;
    let response =
        s.post("/sign-in/staff").form(&[("username", "admin"), ("password", PASSWORD)]).send().await.unwrap();
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let session = session_cookie(response.headers()).unwrap();
    let page = s.client.get(s.url("/admin/users")).header(COOKIE, &session).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("مریم احمدی") && html.contains("نام کاربری"));
    let search = s.client.get(s.url("/admin/users?q=%D9%84%D9%8A%D9%84%D8%A7")).header(COOKIE, &session);
    let html = search.send().await.unwrap().text().await.unwrap();
    assert!(html.contains("لیلا اکبری"), "Arabic yeh in the query finds Persian yeh");

    let out = s.post("/sign-out").header(COOKIE, &session).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = s.client.get(s.url("/account")).header(COOKIE, &session).send().await.unwrap();
    assert!(after.headers()[LOCATION].to_str().unwrap().starts_with("/sign-in?next=/account"));
}

#[tokio::test]
async fn forms_show_errors_beside_their_fields_and_keep_what_was_typed() {
    let s = start(test_config()).await;
    let response = s
        .post("/sign-in/citizen")
        .form(&[("national_id", "0684159415"), ("mobile", "0912")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="national_id""#) && html.contains(r#"value="0684159415""#));
    assert!(html.contains(r#"aria-invalid="true""#));
    assert!(html.contains("کد ملی:"), "the summary names the field in Persian");

    let admin = s.sign_in_staff("admin").await;
    let response = s
        .post("/admin/users")
        .header(COOKIE, &admin)
        .form(&[
            ("display_name", "رضا"),
            ("username", "Bad Name"),
            ("password", "123"),
            ("role", "office_expert"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    for field in ["username", "password", "office"] {
        assert!(html.contains(&format!(r#"name="{field}""#)), "{field} is still on the form");
    }
    assert!(html.contains("گذرواژه:") && html.contains("نام کاربری:") && html.contains("دفتر:"));
    assert!(html.contains(r#"value="رضا""#), "what was typed is kept");
}

#[tokio::test]
async fn the_api_explains_bad_input_in_both_languages() {
    let s = start(test_config()).await;
    let bad_json = s
        .post("/api/v1/auth/citizen/code")
        .header("content-type", "application/json")
        .body("{\"national_id\": 5");
    let response = bad_json.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid");
    assert!(body["message_fa"].as_str().unwrap().contains("JSON"));

    let missing =
        s.post("/api/v1/auth/citizen/code").json(&serde_json::json!({ "national_id": "0076229645" }));
    let body: serde_json::Value = missing.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "mobile");

    let wrong = s
        .post("/api/v1/auth/citizen/code")
        .json(&serde_json::json!({ "national_id": "1230000003", "mobile": "09121234567" }));
    let body: serde_json::Value = wrong.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "national_id");
    assert!(body["fields"][0]["message_fa"].as_str().unwrap().starts_with("کد ملی"));
    assert!(body["fields"][0]["message_en"].as_str().unwrap().starts_with("National ID"));

    let big = vec![b'a'; 3 * 1024 * 1024];
    let response = s
        .post("/api/v1/auth/staff")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_citizen_signs_in_through_the_api_with_the_development_code() {
    let s = start(test_config()).await;
    let sent: serde_json::Value = s
        .post("/api/v1/auth/citizen/code")
        .json(&serde_json::json!({ "national_id": "۱۵۸۳۲۵۰۶۸۹", "mobile": "۰۹۳۵۱۱۱۲۲۳۳" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = s.latest_code().await;
    let response = s
        .post("/api/v1/auth/citizen/verify")
        .json(&serde_json::json!({ "challenge": sent["challenge"], "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_cookie(response.headers()).unwrap();
    let me: serde_json::Value =
        s.client.get(s.url("/api/v1/me")).header(COOKIE, &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["active_role"], "citizen");
    assert_eq!(me["display_name"], "شیرین یزدانی");
    assert_eq!(me["national_id"], "158****689");

    let outbox = s.client.get(s.url("/dev/outbox")).send().await.unwrap().text().await.unwrap();
    assert!(outbox.contains(&code), "the development outbox shows the code");
}

#[tokio::test]
async fn the_development_outbox_is_hidden_in_production() {
    let s = start(Config { development_sms: false, ..test_config() }).await;
    assert_eq!(s.client.get(s.url("/dev/outbox")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn denials_are_recorded_in_the_audit_log() {
    let s = start(test_config()).await;
    let expert = s.sign_in_staff("expert").await;
    let response = s.client.get(s.url("/audit")).header(COOKIE, &expert).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("اجازه"));
    let recent = daftar_store::audit::recent(s.app.store(), 5).await.unwrap();
    let denial = recent.iter().find(|r| r.action == "authz.denied").expect("a denial record");
    assert_eq!(denial.object_id, "GET /audit");
    assert_eq!(denial.actor_role.as_deref(), Some("office_expert"));

    let supervisor = s.sign_in_staff("supervisor").await;
    let page = s.client.get(s.url("/audit")).header(COOKIE, &supervisor).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("authz.denied"));
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let s = start(test_config()).await;
    let doc: serde_json::Value =
        s.client.get(s.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in daftar_web::route_list() {
        if path.starts_with("/api/v1/") && !path.starts_with("/api/v1/docs") && path != "/api/v1/openapi.json"
        {
            let operation =
                &paths.get(path).unwrap_or_else(|| panic!("{path} is not documented"))[method.to_lowercase()];
            assert!(operation.is_object(), "{method} {path} is not documented");
        }
    }
    let docs = s.client.get(s.url("/api/v1/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let keys: serde_json::Value =
        s.client.get(s.url("/api/v1/keys")).send().await.unwrap().json().await.unwrap();
    assert_eq!(keys["public_key_hex"].as_str().unwrap(), hex::encode(s.app.verifying_key().as_bytes()));
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let s = start(test_config()).await;
    assert_eq!(s.client.get(s.url("/healthz")).send().await.unwrap().text().await.unwrap(), "ok");
    assert_eq!(s.client.get(s.url("/readyz")).send().await.unwrap().text().await.unwrap(), "ready");
    let _ = s.client.get(s.url("/")).send().await.unwrap();
    let metrics = s.client.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("daftar_http_requests_total"), "{metrics}");
    let missing = s.client.get(s.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("پیدا نشد"));
}

const PARCEL: &str = "1-000000-001";

#[tokio::test]
async fn the_plan_answers_what_may_be_built_and_whether_a_design_complies() {
    let s = start(test_config()).await;
    let parcel: serde_json::Value =
        s.client.get(s.url(&format!("/api/v1/parcels/{PARCEL}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(parcel["parcel"]["parcel_key"], PARCEL);
    let zone = parcel["zone_code"].as_str().unwrap().to_string();
    let corner = &parcel["parcel"]["polygon"]["exterior"][0];
    let (x, y) = (corner["x"].as_f64().unwrap() + 1.0, corner["y"].as_f64().unwrap() + 1.0);
    let at: serde_json::Value = s
        .client
        .get(s.url(&format!("/api/v1/parcels/at?x={x}&y={y}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at["parcel"]["parcel_key"], PARCEL, "the point inside the parcel finds it");
    let outside = s.client.get(s.url("/api/v1/parcels/at?x=0&y=0")).send().await.unwrap();
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);

    let sheet: serde_json::Value = s
        .client
        .get(s.url(&format!("/api/v1/parcels/{PARCEL}/instruction-sheet")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sheet["plan_version"], "demo-1405.1");
    assert_eq!(sheet["zone_context"]["zone_code"], zone.as_str());
    let figures = &sheet["figures"];
    assert!(figures["max_total_floor_area"]["arithmetic"].as_str().unwrap().contains('='));
    let footprint: f64 = figures["max_footprint"]["result"].as_str().unwrap().parse().unwrap();

    let level = |n: i32| {
        serde_json::json!({ "level": n, "use": "residential", "gross_area": footprint.floor().to_string(),
        "footprint_area": footprint.floor().to_string(), "depth": "5", "units": ["80"] })
    };
    let design = serde_json::json!({ "parcel_key": PARCEL, "design": { "levels": [level(0), level(1)], "parking_spaces": 4 } });
    let check: serde_json::Value =
        s.post("/api/v1/plan-check").json(&design).send().await.unwrap().json().await.unwrap();
    assert_eq!(check["overall"], "accepted", "{check}");
    assert!(
        check["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["explanation"].is_object() || v["verdict"] == "not_applicable")
    );

    let gap = serde_json::json!({ "parcel_key": PARCEL, "design": { "levels": [level(0), level(2)], "parking_spaces": 4 } });
    let response = s.post("/api/v1/plan-check").json(&gap).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "design");
    let unknown = serde_json::json!({ "parcel_key": "no-such", "design": { "levels": [level(0)], "parking_spaces": 1 } });
    let body: serde_json::Value =
        s.post("/api/v1/plan-check").json(&unknown).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "parcel_key");
}

#[tokio::test]
async fn drawings_are_read_or_rejected_whole() {
    let s = start(test_config()).await;
    let upload = |bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("parcel_key", PARCEL)
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("design.dxf"))
    };
    let drawing = include_bytes!("../../zoning/fuzz/seeds/dxf_reader/compliant.dxf").to_vec();
    let response = s.post("/api/v1/plan-check/dxf").multipart(upload(drawing)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["check"]["overall"].is_string() && !body["design"]["levels"].as_array().unwrap().is_empty());

    let response =
        s.post("/api/v1/plan-check/dxf").multipart(upload(b"not a drawing".to_vec())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "drawing");
    assert!(body["fields"][0]["message_fa"].as_str().unwrap().starts_with("نقشهٔ DXF"));

    let page = s.post("/plan-check/dxf").multipart(upload(b"0\nSECTION\n".to_vec())).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("drawing-error"));
}

#[tokio::test]
async fn the_map_and_plan_pages_render_in_persian() {
    let s = start(test_config()).await;
    let zones: serde_json::Value =
        s.client.get(s.url("/api/v1/map/zones")).send().await.unwrap().json().await.unwrap();
    assert!(!zones["features"].as_array().unwrap().is_empty());
    let parcels: serde_json::Value = s
        .client
        .get(s.url("/api/v1/map/parcels?bbox=530000,3950000,530100,3950100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!parcels["features"].as_array().unwrap().is_empty());
    assert_eq!(parcels["truncated"], false);
    let bad = s.client.get(s.url("/api/v1/map/parcels?bbox=1,2,3")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let map = s.client.get(s.url("/map")).send().await.unwrap().text().await.unwrap();
    assert!(map.contains("/static/leaflet/leaflet.js") && map.contains("/static/map.js"));
    let sheet = s.client.get(s.url(&format!("/parcels/{PARCEL}"))).send().await.unwrap();
    assert_eq!(sheet.status(), StatusCode::OK);
    let html = sheet.text().await.unwrap();
    assert!(
        html.contains("دستور نقشهٔ قطعهٔ")
            && html.contains("بیشینهٔ زیربنای کل")
            && html.contains("demo-1405.1")
    );
    assert!(html.contains('٫') || html.contains("۰"), "Persian digits in the figures");
    assert_eq!(s.client.get(s.url("/parcels/none")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    let form = [
        ("parcel_key", PARCEL),
        ("level", "0"),
        ("use", "residential"),
        ("gross_area", "100"),
        ("footprint_area", "100"),
        ("depth", "8"),
        ("units", "90"),
        ("parking_spaces", "1"),
    ];
    let result = s.post("/plan-check").form(&form).send().await.unwrap().text().await.unwrap();
    assert!(result.contains("نتیجهٔ کنترل"), "the result is shown");
    let bad = [("parcel_key", PARCEL), ("level", "zero"), ("use", "residential"), ("gross_area", "100")];
    let response = s.post("/plan-check").form(&bad).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("ردیف ۱") && html.contains(r#"value="zero""#),
        "the error names the row; input kept"
    );
}

#[tokio::test]
async fn tariffs_are_public_and_searchable_in_persian() {
    let s = start(test_config()).await;
    let all: serde_json::Value =
        s.client.get(s.url("/api/v1/tariffs")).send().await.unwrap().json().await.unwrap();
    assert_eq!(all["version"], "demo-1405.1");
    let permit =
        all["services"].as_array().unwrap().iter().find(|s| s["service"] == "building_permit").unwrap();
    let floor = permit["heads"].as_array().unwrap().iter().find(|h| h["code"] == "floor_area").unwrap();
    assert_eq!(floor["party"], "municipality");
    assert!(floor["formula"].as_str().unwrap().contains('P'));
    let office = permit["heads"].as_array().unwrap().iter().find(|h| h["code"] == "office_service").unwrap();
    assert_eq!(office["party"], "office", "receipts can tell the office's share from the city's");

    // Arabic yeh and kaf in the query still find «زیربنا».
    let found: serde_json::Value =
        s.client.get(s.url("/api/v1/tariffs?q=زيربنا")).send().await.unwrap().json().await.unwrap();
    let heads: Vec<&str> = found["services"][0]["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert_eq!(heads, ["floor_area"]);

    let page = s.client.get(s.url("/tariffs?q=پارکینگ")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("عوارض کسری پارکینگ") && !html.contains("عوارض زیربنا"));
    assert!(html.contains("شهرداری"));
}

#[tokio::test]
async fn gateway_callbacks_are_signed_verified_and_recorded_once_over_http() {
    let s = start(test_config()).await;
    let app = &s.app;
    let meta = daftar_app::RequestMeta::default();
    let inputs = daftar_fees::assess::AssessmentInputs {
        service: "building_permit".into(),
        levels: vec![daftar_fees::assess::LevelInput {
            level: 0,
            usage: "residential".into(),
            area: 100.into(),
        }],
        p: 1_000_000,
        ..Default::default()
    };
    let by = daftar_app::audit::By::System("test");
    let billed = daftar_app::money::Billed { owner_type: "case", owner_id: "C-9", office_id: None };
    let invoice = daftar_app::money::issue_invoice(app, by, &meta, billed, &inputs).await.unwrap();
    let pay_url = daftar_app::money::start_payment(app, &meta, &invoice.public_id).await.unwrap();
    let reference = pay_url.rsplit('/').next().unwrap().to_string();
    let body = serde_json::json!({ "reference": reference, "status": "paid", "amount": invoice.cash_total })
        .to_string();
    let now = daftar_app::Clock::now(&daftar_app::SystemClock);
    let signature =
        daftar_app::money::callback_signature(app.config().gateway_secret.expose(), now, body.as_bytes());
    let send = |signature: String| {
        s.client
            .post(s.url("/api/v1/payments/callback/sandbox"))
            .header("x-daftar-timestamp", now.to_string())
            .header("x-daftar-signature", signature)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
    };
    let forged = send("00".repeat(32)).await.unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no Origin needed, but a valid signature is"
    );
    let unconfirmed = send(signature.clone()).await.unwrap();
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY, "the gateway has not been paid yet");
    let paid = s
        .client
        .post(&pay_url)
        .header(ORIGIN, s.base.clone())
        .form(&[("action", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::SEE_OTHER, "the gateway's own callback records the payment");
    let again: serde_json::Value = send(signature).await.unwrap().json().await.unwrap();
    assert_eq!(again["outcome"], "already_recorded");
}

/// Pays an invoice as a person would: the invoice page's button, the gateway's page, back.
async fn pay_through_sandbox(s: &Server, public_id: &str) {
    // Daftar opens an order at the gateway and sends the payer there.
    let to_gateway = s.post(&format!("/invoices/{public_id}/pay")).send().await.unwrap();
    assert_eq!(to_gateway.status(), StatusCode::SEE_OTHER);
    let pay_url = to_gateway.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(pay_url.starts_with(&s.url("/sandbox-gateway/pay/SBX-")), "{pay_url}");
    let gateway_page = s.client.get(&pay_url).send().await.unwrap().text().await.unwrap();
    assert!(gateway_page.contains("درگاه پرداخت آزمایشی"));
    // The payer pays; the gateway calls Daftar back (signed), Daftar verifies with the gateway,
    // records the payment, and the payer comes back to the invoice.
    let paid = s
        .client
        .post(&pay_url)
        .header(ORIGIN, s.base.clone())
        .form(&[("action", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    let back = paid.headers()[LOCATION].to_str().unwrap().to_string();
    assert_eq!(back, s.url(&format!("/invoices/{public_id}")));
    let page = s.client.get(&back).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("پرداخت‌شده"), "the invoice shows as paid");
}

#[tokio::test]
async fn an_invoice_is_paid_through_the_sandbox_gateway_and_reconciles() {
    let s = start(test_config()).await;
    let meta = daftar_app::RequestMeta::default();
    let by = daftar_app::audit::By::System("test");
    let office = daftar_app::directory::offices(&s.app)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.code == "OF-1001")
        .unwrap();
    let inputs = daftar_fees::assess::AssessmentInputs {
        service: "building_permit".into(),
        levels: vec![
            daftar_fees::assess::LevelInput { level: -1, usage: "parking".into(), area: 380.into() },
            daftar_fees::assess::LevelInput { level: 0, usage: "commercial".into(), area: 200.into() },
        ],
        p: 1_234_567,
        ..Default::default()
    };
    let billed =
        daftar_app::money::Billed { owner_type: "case", owner_id: "C-77", office_id: Some(office.id) };
    let invoice = daftar_app::money::issue_invoice(&s.app, by, &meta, billed, &inputs).await.unwrap();
    let page = s
        .client
        .get(s.url(&format!("/invoices/{}", invoice.public_id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("عوارض زیربنا") && page.contains("حق‌الزحمهٔ دفتر") && page.contains("پرداخت از درگاه")
    );
    pay_through_sandbox(&s, &invoice.public_id).await;

    // Rent: finance bills this month's rent of the office's municipal site, the office pays it.
    let now = daftar_app::Clock::now(&daftar_app::SystemClock);
    let month = daftar_app::money::Period::containing(now);
    daftar_app::money::let_site(
        &s.app,
        by,
        &meta,
        "OF-1001",
        "S-07",
        daftar_types::Rials::new(65_000_000),
        month,
    )
    .await
    .unwrap();
    let finance = s.sign_in_staff("finance").await;
    let billed = s
        .post("/finance/rent")
        .header(COOKIE, &finance)
        .form(&[("period", month.label())])
        .send()
        .await
        .unwrap();
    assert_eq!(billed.status(), StatusCode::SEE_OTHER);
    let again = s
        .post("/finance/rent")
        .header(COOKIE, &finance)
        .form(&[("period", month.label())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let rents = daftar_store::money::invoices_of_owner(
        s.app.store().pool(),
        "office_rent",
        &format!("S-07:{}", month.label()),
    )
    .await
    .unwrap();
    assert_eq!(rents.len(), 1, "a month is billed once");
    let rent = &rents[0];
    assert_eq!((rent.total, rent.cash_total), (65_000_000, 65_000_000), "a month's rent, not discounted");
    pay_through_sandbox(&s, &rent.public_id).await;

    // The receipt is public and itemised by party.
    let view = daftar_app::money::invoice(&s.app, &invoice.public_id).await.unwrap();
    let code = view.payments[0].receipt_code.clone().expect("a receipt code");
    let receipt =
        s.client.get(s.url(&format!("/receipts/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(receipt.contains("معتبر") && receipt.contains("دفتر خدمات") && receipt.contains("شهرداری"));
    for path in [format!("/invoices/{}/pdf", invoice.public_id), format!("/receipts/{code}/pdf")] {
        let pdf = s.client.get(s.url(&path)).send().await.unwrap();
        assert_eq!(pdf.headers()[CONTENT_TYPE], "application/pdf", "{path}");
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"), "{path}");
    }

    // The office's statement shows both payments; finance reconciles the month.
    let statement: serde_json::Value = s
        .get_as(&format!("/api/v1/finance/statements/OF-1001?period={}", month.label()), &finance)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(statement["office_due"], 4_500_000);
    let invoices: std::collections::BTreeSet<&str> =
        statement["lines"].as_array().unwrap().iter().map(|l| l["invoice"].as_str().unwrap()).collect();
    assert_eq!(invoices, [invoice.public_id.as_str(), rent.public_id.as_str()].into_iter().collect());
    let csv = s
        .get_as(&format!("/finance/statement?office=OF-1001&period={}&format=csv", month.label()), &finance)
        .send()
        .await
        .unwrap();
    assert!(csv.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("مبلغ (ریال)") && csv.contains(&rent.public_id));
    let xlsx = s
        .get_as(&format!("/finance/statement?office=OF-1001&period={}&format=xlsx", month.label()), &finance)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX workbook is a zip file");
    let holder = s.sign_in_staff("holder").await;
    let own = s
        .get_as(&format!("/finance/statement?office=OF-1001&period={}", month.label()), &holder)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK, "an office's licence holder sees its own statement");
    let other = s
        .get_as(&format!("/finance/statement?office=OF-1002&period={}", month.label()), &holder)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN, "but not another office's");

    let report: serde_json::Value = s
        .get_as(&format!("/api/v1/finance/reconciliation?period={}", month.label()), &finance)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["payments"].as_array().unwrap().len(), 2);
    assert_eq!(report["received"], invoice.cash_total + rent.cash_total);
    assert_eq!(report["shared"], report["received"]);
    assert_eq!(report["balanced"], true);
    let page =
        s.client.get(s.url("/finance")).header(COOKIE, &finance).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("همه‌چیز می‌خواند"));

    // A refund goes back through the gateway, negates the shares and keeps the books balanced.
    let refunded = s
        .post(&format!("/invoices/{}/refund", invoice.public_id))
        .header(COOKIE, &finance)
        .form(&[("reason", "case withdrawn by the owner")])
        .send()
        .await
        .unwrap();
    assert_eq!(refunded.status(), StatusCode::SEE_OTHER);
    let order = daftar_store::sandbox::order(s.app.store().pool(), &view.payments[0].gateway_ref)
        .await
        .unwrap()
        .unwrap();
    assert!(order.refunded_at.is_some(), "the gateway returned the money");
    let report =
        daftar_app::money::reconcile(&s.app, daftar_app::audit::By::System("test"), month).await.unwrap();
    assert!(report.balanced(), "{:?}", report.differences);
    assert_eq!(report.received, rent.cash_total);
    let receipt =
        s.client.get(s.url(&format!("/receipts/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(receipt.contains("بازپرداخت شده"));

    // Paying again is refused: the invoice is closed.
    let again = s.post(&format!("/invoices/{}/pay", invoice.public_id)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

/// A valid national ID from a serial number (the check digit computed as the domain note says).
fn national_id(serial: u32) -> String {
    let body = format!("{:09}", 100_000_000 + serial);
    let sum: u32 = body.chars().enumerate().map(|(i, c)| c.to_digit(10).unwrap() * (10 - i as u32)).sum();
    let r = sum % 11;
    format!("{body}{}", if r < 2 { r } else { 11 - r })
}

/// Publishes the demo call under `code` with its window open from today for three days; returns
/// the window's last day.
async fn publish_open_call(
    s: &Server,
    committee: &str,
    clock: &dyn daftar_app::Clock,
    code: &str,
) -> daftar_types::JalaliDate {
    let today = daftar_types::Timestamp::from_unix(clock.now()).to_tehran().date();
    let last = today.add_days(2).unwrap();
    let day = |d: daftar_types::JalaliDate| d.format_numeric(daftar_types::Lang::En);
    let call = daftar_licensing::DEMO_CALL_TOML
        .replace("first_day = \"1405/02/01\"", &format!("first_day = \"{}\"", day(today)))
        .replace("last_day = \"1405/02/15\"", &format!("last_day = \"{}\"", day(last)))
        .replace("reference_date = \"1405/02/15\"", &format!("reference_date = \"{}\"", day(last)))
        .replace("code = \"EO-1405-1\"", &format!("code = \"{code}\""));
    let published =
        s.post("/api/v1/licensing/calls").header(COOKIE, committee).body(call).send().await.unwrap();
    assert_eq!(published.status(), StatusCode::CREATED, "{}", published.text().await.unwrap());
    last
}

/// Attaches, through the API, a certificate for every declaration made and a photo when the
/// applicant offers premises.
async fn attach_files(s: &Server, call: &str, cookie: &str, application: &daftar_licensing::Application) {
    use daftar_app::licensing::{certificate_slot, photo_slot};
    let mut slots = Vec::new();
    for (manager, person) in [(false, &application.applicant), (true, &application.technical_manager)] {
        slots.extend(person.declarations.iter().map(|code| certificate_slot(manager, code)));
    }
    if matches!(application.location, daftar_licensing::Location::OwnPremises(_)) {
        slots.push(photo_slot(1));
    }
    for slot in slots {
        let bytes: &[u8] =
            if slot.starts_with("p.") { b"\x89PNG\r\n\x1a\nphoto" } else { b"%PDF-1.4\ncertificate" };
        let attached = s
            .client
            .put(s.url(&format!("/api/v1/licensing/calls/{call}/application/files/{slot}?name=scan")))
            .header(ORIGIN, s.base.clone())
            .header(COOKIE, cookie)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(attached.status(), StatusCode::OK, "{slot}: {}", attached.text().await.unwrap());
    }
}

/// Moves the clock past the window's close (24:00 of its last day, Tehran time).
fn close_window(clock: &daftar_app::ManualClock, last: daftar_types::JalaliDate) {
    let closes = last.add_days(1).unwrap().start_of_day_tehran().unix();
    clock.advance(closes - daftar_app::Clock::now(clock));
}

fn licensing_person(id: &str, born: (i32, u8, u8), field: &str, years: u32) -> daftar_licensing::Person {
    use daftar_licensing::{Degree, DegreeLevel, Experience};
    daftar_licensing::Person {
        national_id: daftar_types::NationalId::parse(id).unwrap(),
        name: format!("متقاضی {id}"),
        birth_date: daftar_types::JalaliDate::new(born.0, born.1, born.2).unwrap(),
        citizen: true,
        declarations: ["no_criminal_record", "no_moral_disqualification", "no_bankruptcy"]
            .into_iter()
            .map(String::from)
            .collect(),
        degrees: vec![Degree::new(DegreeLevel::Master, field, "دانشگاه تهران")],
        experience: vec![Experience::years("urban_planning", years)],
    }
}

/// The whole call over HTTP: publish → 60 applicants register inside the window → exam → 50
/// selected (sites by serial choice) → licences → experts certified → an office opens.
#[tokio::test]
async fn a_whole_licensing_call_over_http() {
    let clock = Arc::new(daftar_app::ManualClock::new(daftar_app::Clock::now(&daftar_app::SystemClock)));
    let s = start_with_clock(test_config(), clock.clone()).await;
    let committee = s.sign_in_staff("committee").await;
    let last = publish_open_call(&s, &committee, &*clock, "EO-TEST").await;
    let rules: serde_json::Value =
        s.client.get(s.url("/api/v1/licensing/calls/EO-TEST")).send().await.unwrap().json().await.unwrap();
    let sites: Vec<String> = rules["rules"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sites.len(), 35);
    let page = s.client.get(s.url("/calls/EO-TEST")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("فراخوان واگذاری مجوز") && page.contains("باز است") && page.contains("ریال"));

    let mut ids = Vec::new();
    for i in 0..60u32 {
        let id = national_id(i * 7 + 11);
        let cookie = s.sign_in_citizen(&id, &format!("0912{:07}", 1_000_000 + i)).await;
        let location = if i % 3 == 0 {
            daftar_licensing::Location::OwnPremises(daftar_licensing::Premises {
                district: 1 + (i % 5) as u8,
                area_m2: 120.into(),
                customer_area_m2: 70.into(),
                floor: 0,
                zone_use: "commercial".into(),
                sanitary: true,
                hvac: true,
                address: "تهران، خیابان انقلاب، پلاک ۱۲".to_owned(),
            })
        } else {
            let first = sites[(i as usize) % sites.len()].clone();
            daftar_licensing::Location::MunicipalSite(daftar_licensing::SiteRequest {
                preferences: vec![first, sites[(i as usize + 1) % sites.len()].clone()],
                accept_other_sites: true,
            })
        };
        let application = daftar_licensing::Application {
            applicant: licensing_person(&id, (1370, 1 + (i % 12) as u8, 10), "architecture", i % 12),
            technical_manager: licensing_person(&national_id(900_000 + i), (1372, 5, 5), "urban_planning", 3),
            location,
            submitted_at: daftar_types::Timestamp::from_unix(0),
        };
        let body = serde_json::to_value(&application).unwrap();
        let path = "/api/v1/licensing/calls/EO-TEST/application";
        let draft = s
            .client
            .put(s.url(path))
            .header(ORIGIN, s.base.clone())
            .header(COOKIE, &cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(draft.status(), StatusCode::OK, "{}", draft.text().await.unwrap());
        if i == 0 {
            let bare = s.post_json(path, &cookie, &body).await;
            assert_eq!(bare.status(), StatusCode::UNPROCESSABLE_ENTITY, "no certificates yet");
            let refusal: serde_json::Value = bare.json().await.unwrap();
            assert_eq!(refusal["fields"][0]["field"], "a.decl.no_bankruptcy.certificate", "{refusal}");
        }
        attach_files(&s, "EO-TEST", &cookie, &application).await;
        let submitted: serde_json::Value = s.post_json(path, &cookie, &body).await.json().await.unwrap();
        assert_eq!(submitted["status"], "submitted", "{submitted}");
        assert!(submitted["receipt_code"].as_str().is_some_and(|c| c.len() == 16));
        let again = s
            .client
            .put(s.url(path))
            .header(ORIGIN, s.base.clone())
            .header(COOKIE, &cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::CONFLICT, "a submission is final");
        ids.push((id, cookie));
    }

    // The window closes at 24:00 of its last day, Tehran time.
    close_window(&clock, last);
    let late = s.sign_in_citizen(&national_id(5_000), "09129999999").await;
    let late_id = national_id(5_000);
    let late_app = serde_json::to_value(daftar_licensing::Application {
        applicant: licensing_person(&late_id, (1370, 1, 1), "architecture", 1),
        technical_manager: licensing_person(&national_id(5_001), (1370, 1, 1), "urban_planning", 1),
        location: daftar_licensing::Location::MunicipalSite(daftar_licensing::SiteRequest {
            preferences: vec![],
            accept_other_sites: true,
        }),
        submitted_at: daftar_types::Timestamp::from_unix(0),
    })
    .unwrap();
    let refused = s
        .post("/api/v1/licensing/calls/EO-TEST/application")
        .header(COOKIE, &late)
        .json(&late_app)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT, "at 24:00 of the last day the window is closed");
    // Days have passed: sessions from registration have expired.
    let committee = s.sign_in_staff("committee").await;
    let first_applicant = s.sign_in_citizen(&ids[0].0, "09121000000").await;

    // Exam results for everyone, then the selection: once.
    let csv: String = std::iter::once("national_id,score".to_string())
        .chain(ids.iter().enumerate().map(|(k, (id, _))| format!("{id},{}", 40 + (k * 37) % 60)))
        .collect::<Vec<_>>()
        .join("\n");
    let imported = s
        .post("/api/v1/licensing/calls/EO-TEST/exam")
        .header(COOKIE, &committee)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK, "{}", imported.text().await.unwrap());
    let (a, b) = tokio::join!(
        s.post("/api/v1/licensing/calls/EO-TEST/selection").header(COOKIE, &committee).send(),
        s.post("/api/v1/licensing/calls/EO-TEST/selection").header(COOKIE, &committee).send(),
    );
    let statuses = [a.unwrap().status(), b.unwrap().status()];
    assert!(statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT), "{statuses:?}");
    let ranking: serde_json::Value = s
        .client
        .get(s.url("/api/v1/licensing/calls/EO-TEST/ranking"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ranks = ranking["ranks"].as_array().unwrap();
    let rerun = daftar_app::licensing::rerank(&s.app, "EO-TEST").await.unwrap();
    assert_eq!(ranks.len(), 60, "{:?}", rerun.ranking.not_ranked);
    assert!(ranks.iter().all(|r| r["masked_national_id"].as_str().unwrap().contains("****")));
    let chosen: Vec<_> = ranks.iter().filter(|r| r["selected"] == true).collect();
    assert_eq!(chosen.len(), 50);
    let mut given: Vec<&str> = chosen.iter().filter_map(|r| r["site"].as_str()).collect();
    let count = given.len();
    given.sort_unstable();
    given.dedup();
    assert_eq!(given.len(), count, "no site is given twice");
    let digest = ranking["inputs_digest"].as_str().unwrap().to_string();
    let page = s.client.get(s.url("/calls/EO-TEST/ranking")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&digest) && page.contains("****") && page.contains("برگزیده"));
    let mine: serde_json::Value = s
        .get_as("/api/v1/licensing/calls/EO-TEST/application", &first_applicant)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["inputs_digest"], digest.as_str(), "the applicant sees the digest of the inputs");
    assert!(mine["rank"].as_u64().is_some() && mine["eligible"] == true, "{mine}");
    assert!(mine["conditions"].as_array().unwrap().len() >= 5);

    // Licences, then an office's experts and equipment; it opens only when both are complete.
    let licences: serde_json::Value = s
        .post("/api/v1/licensing/calls/EO-TEST/licences")
        .header(COOKIE, &committee)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let offices: Vec<String> =
        licences["offices"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_string()).collect();
    assert_eq!(offices.len(), 50);
    let office = &offices[0];
    let open_path = format!("/api/v1/licensing/calls/EO-TEST/offices/{office}/open");
    let early = s.post(&open_path).header(COOKIE, &committee).send().await.unwrap();
    assert_eq!(early.status(), StatusCode::CONFLICT, "no experts, no equipment yet");
    for k in 0..3u32 {
        let expert = national_id(700_000 + k);
        let degrees = serde_json::json!([{ "level": "bachelor", "field": "architecture", "university": "دانشگاه شیراز" }]);
        for step in [
            serde_json::json!({ "national_id": expert, "step": "register", "name": format!("کارشناس {k}"), "degrees": degrees }),
            serde_json::json!({ "national_id": expert, "step": "training_completed" }),
            serde_json::json!({ "national_id": expert, "step": "exam", "score": "82.5" }),
            serde_json::json!({ "national_id": expert, "step": "certify" }),
            serde_json::json!({ "national_id": expert, "step": "assign", "office": office }),
        ] {
            let done = s.post_json("/api/v1/licensing/calls/EO-TEST/experts", &committee, &step).await;
            assert_eq!(done.status(), StatusCode::NO_CONTENT, "{step}: {}", done.text().await.unwrap());
        }
    }
    let still = s.post(&open_path).header(COOKIE, &committee).send().await.unwrap();
    assert_eq!(still.status(), StatusCode::CONFLICT, "the equipment is not installed");
    let items: Vec<String> = rules["rules"]["equipment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"]["code"].as_str().unwrap().to_string())
        .collect();
    for item in &items {
        let body = serde_json::json!({ "item": item, "status": "installed" });
        let set = s
            .post(&format!("/api/v1/offices/{office}/equipment"))
            .header(COOKIE, &committee)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(set.status(), StatusCode::NO_CONTENT);
    }
    let opened = s.post(&open_path).header(COOKIE, &committee).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::NO_CONTENT, "{}", opened.text().await.unwrap());
    let status = daftar_app::directory::offices(&s.app)
        .await
        .unwrap()
        .into_iter()
        .find(|o| &o.code == office)
        .unwrap()
        .status;
    assert_eq!(status, "open");

    // Offices on municipal sites pay their rent monthly from now on.
    let month = daftar_app::money::Period::containing(daftar_app::Clock::now(&*clock));
    let sites_let = daftar_store::money::sites_let_in(s.app.store().pool(), &month.label()).await.unwrap();
    assert_eq!(sites_let.len(), count);

    // Anyone can recompute the selection from the stored inputs and get the same result.
    let rerun = daftar_app::licensing::rerank(&s.app, "EO-TEST").await.unwrap();
    assert!(rerun.identical && rerun.digest == digest);

    licence_lifecycle(&s, &committee, office, &*clock).await;
}

/// Whether the office may act today, as the permit cycle asks.
async fn office_may_act(s: &Server, office: &str, clock: &dyn daftar_app::Clock) -> bool {
    let id = daftar_app::directory::offices(&s.app)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.code == office)
        .unwrap()
        .id;
    let today = daftar_types::Timestamp::from_unix(clock.now()).to_tehran().date();
    let mut conn = s.app.store().pool().acquire().await.unwrap();
    daftar_app::licensing::office_may_act(&mut conn, id, today).await.unwrap()
}

/// An open office's licence is suspended, resumed, renewed and revoked, each with a reason; a
/// suspended or revoked licence's office may not act; the public sees the status, the committee
/// the history; the licence prints as a sealed PDF.
async fn licence_lifecycle(s: &Server, committee: &str, office: &str, clock: &dyn daftar_app::Clock) {
    let api = format!("/api/v1/licences/{office}");
    let change = |action: &str, reason: &str| {
        s.post(&format!("{api}/{action}"))
            .header(COOKIE, committee)
            .json(&serde_json::json!({ "reason": reason }))
            .send()
    };
    assert!(office_may_act(s, office, clock).await, "an open office with an active licence acts");
    let unexplained = change("suspend", "  ").await.unwrap();
    assert_eq!(unexplained.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = unexplained.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "reason");
    assert!(body["fields"][0]["message_fa"].as_str().unwrap().starts_with("دلیل"), "{body}");

    let suspended = change("suspend", "شکایت دربارهٔ دریافت بیش از تعرفه").await.unwrap();
    assert_eq!(suspended.status(), StatusCode::OK);
    let suspended: serde_json::Value = suspended.json().await.unwrap();
    assert_eq!(suspended["status"], "suspended");
    assert!(!office_may_act(s, office, clock).await, "a suspended licence's office may not act");
    let citizen = s.sign_in_citizen("0076229645", "09121234567").await;
    let open =
        serde_json::json!({ "service": "building_permit", "office": office, "form": {}, "owners": [] });
    let refused = s.post_json("/api/v1/cases", &citizen, &open).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT, "no case opens at a suspended office");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["message_fa"].as_str().unwrap().contains("معلق"), "{body}");
    let public =
        s.client.get(s.url(&format!("/licences/{office}"))).send().await.unwrap().text().await.unwrap();
    assert!(
        public.contains("تعلیق‌شده") && !public.contains("شکایت"),
        "the public sees the status, not the reasons"
    );
    assert_eq!(change("renew", "تمدید").await.unwrap().status(), StatusCode::CONFLICT, "resume first");

    assert_eq!(change("resume", "رسیدگی به شکایت تمام شد").await.unwrap().status(), StatusCode::OK);
    assert!(office_may_act(s, office, clock).await);
    let reopened = s.post_json("/api/v1/cases", &citizen, &open).await;
    assert_eq!(
        reopened.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "once resumed only the empty form is refused"
    );
    let renewed: serde_json::Value = change("renew", "درخواست دارنده").await.unwrap().json().await.unwrap();
    let expiry =
        |v: &serde_json::Value| daftar_types::JalaliDate::parse(v["expires_on"].as_str().unwrap()).unwrap();
    assert_eq!(expiry(&renewed).year(), expiry(&suspended).year() + 3, "renewal adds the call's validity");

    // The committee's page: a move without a reason comes back with the error beside the field.
    let page =
        s.get_as(&format!("/licences/{office}"), committee).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("شکایت دربارهٔ دریافت بیش از تعرفه") && page.contains("لغو"));
    let revoke = |reason: &str| {
        s.post(&format!("/licences/{office}/revoke"))
            .header(COOKIE, committee)
            .form(&[("reason", reason)])
            .send()
    };
    let bare = revoke("").await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.text().await.unwrap().contains("class=\"error\""));
    let revoked = revoke("واگذاری پروانه به غیر").await.unwrap();
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert!(!office_may_act(s, office, clock).await, "a revoked licence's office may not act");
    let view: serde_json::Value = s.get_as(&api, committee).send().await.unwrap().json().await.unwrap();
    assert_eq!(view["status"], "revoked");
    let moves: Vec<&str> =
        view["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(moves, ["suspend", "resume", "renew", "revoke"]);
    let register = s.get_as("/licences", committee).send().await.unwrap().text().await.unwrap();
    assert!(register.contains(office) && register.contains("لغوشده"));

    let pdf = s.client.get(s.url(&format!("/licences/{office}/pdf"))).send().await.unwrap();
    assert_eq!(pdf.headers()[CONTENT_TYPE], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    let sealed = daftar_documents::verify_pdf(&bytes, &s.app.verifying_key()).unwrap();
    assert_eq!(sealed.essentials["office_code"], office);
}

/// The board path over HTTP: five applicants for fifty places, so no exam; five seated members
/// vote with a quorum of three; the selection follows the board; each applicant's result and
/// the public ranking explain it.
#[tokio::test]
async fn the_board_path_over_http() {
    let clock = Arc::new(daftar_app::ManualClock::new(daftar_app::Clock::now(&daftar_app::SystemClock)));
    let s = start_with_clock(test_config(), clock.clone()).await;
    let committee = s.sign_in_staff("committee").await;
    let last = publish_open_call(&s, &committee, &*clock, "EO-BOARD").await;

    // Four more board members besides the demo's, each seated on a numbered seat.
    let admin = s.sign_in_staff("admin").await;
    let mut members = vec!["board".to_string()];
    for k in 2..=5 {
        let username = format!("board{k}");
        let body = serde_json::json!({
            "username": username, "display_name": format!("عضو هیئت {k}"),
            "password": PASSWORD, "role": "board_member",
        });
        let created = s.post("/api/v1/users").header(COOKIE, &admin).json(&body).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{}", created.text().await.unwrap());
        members.push(username);
    }
    let seat = |seat: u8, username: &str| {
        s.post("/api/v1/licensing/calls/EO-BOARD/board")
            .header(COOKIE, &committee)
            .json(&serde_json::json!({ "seat": seat, "username": username }))
            .send()
    };
    for (k, username) in members.iter().enumerate() {
        assert_eq!(seat(k as u8 + 1, username).await.unwrap().status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(seat(6, "board").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY, "five seats");
    assert_eq!(seat(1, "board2").await.unwrap().status(), StatusCode::CONFLICT, "a seat is taken once");
    assert_eq!(seat(2, "finance").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY, "not a member");

    let mut applicants = Vec::new();
    for i in 0..5u32 {
        let id = national_id(300 + i);
        let mobile = format!("0913{:07}", 2_000_000 + i);
        let cookie = s.sign_in_citizen(&id, &mobile).await;
        let application = daftar_licensing::Application {
            applicant: licensing_person(&id, (1368, 3, 3), "architecture", i),
            technical_manager: licensing_person(&national_id(800_000 + i), (1372, 5, 5), "urban_planning", 3),
            location: daftar_licensing::Location::MunicipalSite(daftar_licensing::SiteRequest {
                preferences: vec!["S01".into()],
                accept_other_sites: true,
            }),
            submitted_at: daftar_types::Timestamp::from_unix(0),
        };
        attach_files(&s, "EO-BOARD", &cookie, &application).await;
        let submitted: serde_json::Value = s
            .post("/api/v1/licensing/calls/EO-BOARD/application")
            .header(COOKIE, &cookie)
            .json(&application)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(submitted["status"], "submitted", "{submitted}");
        applicants.push((id, mobile));
    }
    close_window(&clock, last);

    // Ballots by seat: 0 approved unanimously; 1 approved 2–1 with two abstaining; 2 rejected;
    // 3 tied 1–1 with one abstention (no majority); 4 has only two members present (no quorum).
    use daftar_licensing::Vote::{Abstain as A, Approve as Y, Reject as N};
    let ballots: [&[daftar_licensing::Vote]; 5] =
        [&[Y, Y, Y, Y, Y], &[Y, Y, N, A, A], &[N, N, Y], &[Y, N, A], &[Y, Y]];
    for (member, username) in members.iter().enumerate() {
        let cookie = s.sign_in_staff(username).await;
        for ((applicant, _), votes) in applicants.iter().zip(ballots) {
            let Some(vote) = votes.get(member) else { continue };
            let body = serde_json::json!({ "applicant": applicant, "vote": vote });
            let cast = s.post_json("/api/v1/licensing/calls/EO-BOARD/votes", &cookie, &body).await;
            assert_eq!(cast.status(), StatusCode::NO_CONTENT, "{}", cast.text().await.unwrap());
        }
    }
    let board = s.sign_in_staff("board").await;
    let body = serde_json::json!({ "applicant": applicants[0].0, "vote": "reject" });
    let twice = s.post_json("/api/v1/licensing/calls/EO-BOARD/votes", &board, &body).await;
    assert_eq!(twice.status(), StatusCode::CONFLICT, "a member votes once on an applicant");

    let committee = s.sign_in_staff("committee").await;
    let selected: serde_json::Value = s
        .post("/api/v1/licensing/calls/EO-BOARD/selection")
        .header(COOKIE, &committee)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chosen: Vec<&str> = selected["selection"]["selected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["national_id"].as_str().unwrap())
        .collect();
    let mut expected = vec![applicants[0].0.as_str(), applicants[1].0.as_str()];
    expected.sort_unstable();
    let mut got = chosen.clone();
    got.sort_unstable();
    assert_eq!(got, expected, "the board's approvals, and only they, are selected");
    let rerun = daftar_app::licensing::rerank(&s.app, "EO-BOARD").await.unwrap();
    assert!(rerun.identical, "the board path is reproducible from its ballots");
    assert_eq!(serde_json::to_value(rerun.ranking.path).unwrap(), "board");

    let ranking = s.client.get(s.url("/calls/EO-BOARD/ranking")).send().await.unwrap().text().await.unwrap();
    assert!(ranking.contains("برگزیده") && ranking.contains(selected["inputs_digest"].as_str().unwrap()));
    let result = async |k: usize| -> serde_json::Value {
        let (id, mobile) = &applicants[k];
        let cookie = s.sign_in_citizen(id, mobile).await;
        let path = "/api/v1/licensing/calls/EO-BOARD/application";
        s.get_as(path, &cookie).send().await.unwrap().json().await.unwrap()
    };
    let approved = result(0).await;
    let (id, mobile) = &applicants[2];
    let cookie = s.sign_in_citizen(id, mobile).await;
    let page = s.get_as("/calls/EO-BOARD/result", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("برگزیده نشده") && page.contains("۲ مخالف") && page.contains("کد رهگیری"),
        "{page}"
    );
    assert!(approved["selected"] == true && approved["rank"].as_u64().is_some(), "{approved}");
    assert!(approved["explanation"].as_str().unwrap().contains("هیات"), "{approved}");
    for (k, tally) in [(2, "۱ موافق، ۲ مخالف"), (3, "۱ موافق، ۱ مخالف، ۱ ممتنع"), (4, "به حد نصاب نرسید")]
    {
        let refused = result(k).await;
        assert!(refused["selected"] == false && refused["rank"].is_null(), "{refused}");
        assert!(refused["explanation"].as_str().unwrap().contains(tally), "{k}: {refused}");
    }
}

/// Registration as a page: a draft is saved and resumed with its certificates; a bad
/// submission comes back with its errors named in Persian and loses nothing saved; a file that is
/// not a PDF, JPEG or PNG by content is refused, and names lose their folders; the final
/// submission shows the receipt.
#[tokio::test]
async fn an_applicant_registers_through_the_form() {
    let clock = Arc::new(daftar_app::ManualClock::new(daftar_app::Clock::now(&daftar_app::SystemClock)));
    let s = start_with_clock(test_config(), clock.clone()).await;
    let committee = s.sign_in_staff("committee").await;
    publish_open_call(&s, &committee, &*clock, "EO-FORM").await;
    let id = national_id(77);
    let cookie = s.sign_in_citizen(&id, "09125550077").await;
    let form = s.get_as("/calls/EO-FORM/apply", &cookie).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    assert!(
        html.contains("ذخیرهٔ پیش‌نویس")
            && html.contains("dir=\"rtl\"")
            && html.contains("multipart/form-data")
    );
    let manager = national_id(78);
    let mut fields: Vec<(&str, &str)> = vec![
        ("a.name", "مریم احمدی"),
        ("a.birth_date", "۱۳۶۸/۰۳/۰۳"),
        ("a.citizen", "on"),
        ("a.decl.no_criminal_record", "on"),
        ("a.deg.0.level", "master"),
        ("a.deg.0.field", "architecture"),
        ("a.deg.0.university", "دانشگاه تهران"),
        ("a.exp.0.field", "urban_planning"),
        ("a.exp.0.years", "۴"),
        ("m.national_id", &manager),
        ("m.name", "علی رضایی"),
        ("m.birth_date", "1372/05/05"),
        ("m.citizen", "on"),
        ("m.deg.0.level", "bachelor"),
        ("m.deg.0.field", "urban_planning"),
        ("location", "site"),
        ("s.pref.1", "S02"),
        ("s.pref.2", "S01"),
        ("action", "save"),
    ];
    let pdf = b"%PDF-1.4\n% certificate\n".to_vec();
    let post = |fields: Vec<(&str, &str)>, files: Vec<(&str, &str, Vec<u8>)>| {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (slot, file_name, bytes) in files {
            form = form.part(
                slot.to_string(),
                reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
            );
        }
        s.post("/calls/EO-FORM/apply").header(COOKIE, &cookie).multipart(form).send()
    };
    // A first sitting: only a name and a certificate; the draft is kept and names what is missing.
    let certificate = "a.decl.no_criminal_record.certificate";
    let partial = vec![("a.name", "مریم احمدی"), ("action", "save")];
    let early = post(partial, vec![(certificate, "../../etc/سوء پیشینه.pdf", pdf.clone())]).await.unwrap();
    assert_eq!(early.status(), StatusCode::OK);
    let html = early.text().await.unwrap();
    assert!(html.contains("موارد زیر را کامل کنید") && html.contains("تاریخ تولد (متقاضی)"), "{html}");
    let saved = post(fields.clone(), Vec::new()).await.unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    assert!(saved.text().await.unwrap().contains("پیش‌نویس ذخیره شد"));
    let resumed = s.get_as("/calls/EO-FORM/apply", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(
        resumed.contains("مریم احمدی") && resumed.contains("value=\"S02\" selected"),
        "the draft is resumed"
    );
    assert!(
        resumed.contains("<bdi>سوء پیشینه.pdf</bdi>") && !resumed.contains("etc/"),
        "the name lost its folders"
    );
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&pdf))
    };
    let stored = daftar_store::blobs::get(s.app.store().pool(), &sha256).await.unwrap();
    assert_eq!(stored.as_deref(), Some(&pdf[..]), "the certificate is stored under its SHA-256");

    // A bad submission: every error named beside its field, what was typed kept, the draft intact.
    let mut bad = fields.clone();
    bad.retain(|(k, _)| *k != "a.birth_date" && *k != "action");
    bad.extend([
        ("a.birth_date", "1368/13/40"),
        ("m.exp.0.years", "چند"),
        ("m.exp.0.field", "urban_planning"),
        ("action", "submit"),
    ]);
    let refused = post(bad, Vec::new()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("تاریخ تولد (متقاضی)") && html.contains("سال‌های سابقه (مدیر فنی)"), "{html}");
    assert!(html.contains("1368/13/40"), "what was typed is kept");
    let kept = s.get_as("/calls/EO-FORM/apply", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(
        kept.contains("۱۳۶۸/۰۳/۰۳") && !kept.contains("1368/13/40"),
        "the saved draft is intact, as typed"
    );

    // A program named like a certificate is refused by its content, named by its field.
    let exe = post(
        fields.clone(),
        vec![("m.decl.no_bankruptcy.certificate", "gavahi.pdf", b"MZ\x90\x00".to_vec())],
    )
    .await
    .unwrap();
    assert_eq!(exe.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = exe.text().await.unwrap();
    assert!(
        html.contains("باید PDF، JPEG یا PNG باشد")
            && html.contains("id=\"m.decl.no_bankruptcy.certificate-error\"")
    );
    let too_big = vec![0xFF, 0xD8, 0xFF]
        .into_iter()
        .chain(std::iter::repeat_n(0, daftar_app::licensing::FILE_LIMIT))
        .collect();
    let big = post(fields.clone(), vec![("p.photo.1", "photo.jpg", too_big)]).await.unwrap();
    assert_eq!(big.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(big.text().await.unwrap().contains("بزرگ‌تر از ۵ مگابایت"));

    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "submit"));
    let mut undocumented = fields.clone();
    undocumented.push(("a.decl.no_bankruptcy", "on"));
    let refused = post(undocumented, Vec::new()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "a declaration needs its certificate");
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("id=\"a.decl.no_bankruptcy.certificate-error\"")
            && html.contains("گواهی این مورد را پیوست کنید")
    );
    let submitted = post(fields, Vec::new()).await.unwrap();
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    assert_eq!(submitted.headers()[LOCATION], "/calls/EO-FORM/result");
    let result = s.get_as("/calls/EO-FORM/result", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(result.contains("کد رهگیری") && result.contains("واجد شرایط"), "{result}");
    let again = s.get_as("/calls/EO-FORM/apply", &cookie).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER, "a submitted application is final");
}

// --- The building-permit journey over HTTP ----------------------------------------------------

struct Api<'a> {
    s: &'a Server,
    cookie: String,
}

impl Api<'_> {
    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, serde_json::Value) {
        let response = request.header(COOKIE, self.cookie.clone()).send().await.unwrap();
        let status = response.status();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    async fn get(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.send(self.s.client.get(self.s.url(path))).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
        self.send(self.s.post(path).json(&body)).await
    }

    /// Takes a step on the case as last seen; returns the case after it.
    async fn step(
        &self,
        case: &serde_json::Value,
        action: &str,
        inputs: serde_json::Value,
    ) -> serde_json::Value {
        let tracking = case["tracking_code"].as_str().unwrap();
        let body = serde_json::json!({ "action": action, "version": case["version"], "inputs": inputs,
            "reason": "طبق ضوابط" });
        let (status, after) = self.post(&format!("/api/v1/cases/{tracking}/actions"), body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {after}");
        after
    }

    async fn upload(&self, case: &serde_json::Value, kind: &str, name: &str, bytes: &[u8]) -> StatusCode {
        let tracking = case["tracking_code"].as_str().unwrap();
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_string())
            .part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()));
        self.send(self.s.post(&format!("/api/v1/cases/{tracking}/documents")).multipart(form)).await.0
    }
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn tomorrow() -> String {
    let now = daftar_types::Timestamp::from_unix(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64,
    );
    now.to_tehran().date().add_days(1).unwrap().to_string()
}

#[tokio::test]
async fn a_building_permit_journey_over_http_from_opening_to_the_completion_certificate() {
    let s = start(test_config()).await;
    let expert = Api { s: &s, cookie: s.sign_in_staff("expert").await };
    let holder = Api { s: &s, cookie: s.sign_in_staff("holder").await };
    let approver = Api { s: &s, cookie: s.sign_in_staff("approver").await };
    let approver2 = Api { s: &s, cookie: s.sign_in_staff("approver2").await };
    let citizen = Api { s: &s, cookie: s.sign_in_citizen("0076229645", "09121234567").await };

    let services: serde_json::Value =
        s.client.get(s.url("/api/v1/services")).send().await.unwrap().json().await.unwrap();
    assert_eq!(services.as_array().unwrap().len(), 4, "the demo catalog: {services}");
    let form = serde_json::json!({
        "applicant_type": "person", "owner_national_id": "0076229645", "mobile": "09121234567",
        "renovation_code": PARCEL, "registry_plate": "1234/56", "district": "1", "deed_area": "500",
        "postal_code": "1316745891", "address": "تهران، خیابان ولیعصر، پلاک ۷", "requested_floors": "2" });
    let open = serde_json::json!({ "service": "building_permit", "form": form,
        "owners": [{ "identifier": "0076229645", "name": "پرویز کامرانی", "share": "6" }] });
    let (status, bad) = expert
        .post(
            "/api/v1/cases",
            serde_json::json!({ "service": "building_permit",
        "form": { "mobile": "123" }, "owners": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad["fields"].as_array().unwrap().iter().any(|f| f["field"] == "form.mobile"), "{bad}");
    let (status, case) = expert.post("/api/v1/cases", open).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let tracking = case["tracking_code"].as_str().unwrap().to_string();

    assert_eq!(expert.upload(&case, "deed", "سند.pdf", PDF).await, StatusCode::CREATED);
    assert_eq!(
        citizen.upload(&case, "owner_id_card", "../id.pdf", PDF).await,
        StatusCode::CREATED,
        "the applicant uploads too"
    );
    assert_eq!(
        expert.upload(&case, "deed", "x.pdf", b"GIF89a not a pdf").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let case = expert.get(&format!("/api/v1/cases/{tracking}")).await;
    let case = expert.step(&case, "order_site_visit", serde_json::json!({})).await;
    let case = holder
        .step(
            &case,
            "schedule_site_visit",
            serde_json::json!({ "inspector": "expert", "visit_on": tomorrow() }),
        )
        .await;
    let case = expert
        .step(
            &case,
            "report_inspection",
            serde_json::json!({ "passed": false, "report": "بر ملک با سند نمی‌خواند." }),
        )
        .await;
    assert_eq!(case["state"], "site_visit_scheduled", "a failed inspection: re-inspection");
    let case = expert
        .step(&case, "report_inspection", serde_json::json!({ "passed": true, "report": "بر ملک اصلاح شد." }))
        .await;
    let case = expert.step(&case, "issue_instruction_sheet", serde_json::json!({ "inquiries": [] })).await;
    assert_eq!(
        case["facts"]["sheet"]["plan_version"], "demo-1405.1",
        "the sheet is pinned with its plan version"
    );

    let sheet: serde_json::Value = s
        .client
        .get(s.url(&format!("/api/v1/parcels/{PARCEL}/instruction-sheet")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let footprint: f64 = sheet["figures"]["max_footprint"]["result"].as_str().unwrap().parse().unwrap();
    let level = |n: i32| {
        serde_json::json!({ "level": n, "use": "residential", "gross_area": footprint.floor().to_string(),
        "footprint_area": footprint.floor().to_string(), "depth": "5", "units": ["80"] })
    };
    let design = serde_json::json!({ "levels": [level(0), level(1)], "parking_spaces": 4 });
    assert_eq!(citizen.upload(&case, "architectural_drawings", "plans.pdf", PDF).await, StatusCode::CREATED);
    let case = citizen.step(&case, "submit_drawings", serde_json::json!({ "design": design })).await;
    assert_eq!(case["state"], "expert_review");
    let case = expert.step(&case, "accept_drawings", serde_json::json!({})).await;
    assert_eq!(case["state"], "fee_assessment", "no inquiry was needed");
    let stale = expert
        .post(
            &format!("/api/v1/cases/{tracking}/actions"),
            serde_json::json!({ "action": "issue_invoice", "version": 0 }),
        )
        .await;
    assert_eq!(stale.0, StatusCode::CONFLICT, "a stale version is refused");
    let case = expert.step(&case, "issue_invoice", serde_json::json!({})).await;
    assert_eq!(case["state"], "awaiting_payment");

    // The citizen sees the case among theirs and pays the itemised invoice through the gateway.
    let mine = citizen.get("/api/v1/cases").await;
    assert_eq!(mine[0]["tracking_code"], tracking.as_str());
    let invoice = case["invoices"][0].as_str().unwrap().to_string();
    pay_through_sandbox(&s, &invoice).await;
    let case = expert.get(&format!("/api/v1/cases/{tracking}")).await;
    assert_eq!(case["state"], "paid", "the payment moved the case");

    assert_eq!(expert.upload(&case, "engineers_undertakings", "u.pdf", PDF).await, StatusCode::CREATED);
    let case = expert.step(&case, "submit_draft", serde_json::json!({})).await;
    let case = approver.step(&case, "approve_first", serde_json::json!({})).await;
    let (status, _) = approver
        .post(
            &format!("/api/v1/cases/{tracking}/actions"),
            serde_json::json!({ "action": "approve_second", "version": case["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the same approver cannot sign twice");
    let case = approver2.step(&case, "approve_second", serde_json::json!({})).await;
    assert_eq!(case["state"], "permit_issued");
    let code = case["issued"]["code"].as_str().unwrap().to_string();
    let number = case["issued"]["number"].as_str().unwrap().to_string();

    let pdf = s
        .client
        .get(s.url(&format!("/api/v1/cases/{tracking}/issued.pdf")))
        .header(COOKIE, citizen.cookie.clone())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let checked: serde_json::Value =
        s.post("/api/v1/verify").body(pdf.to_vec()).send().await.unwrap().json().await.unwrap();
    assert_eq!(checked["code"], code.as_str());
    assert_eq!(checked["signature_valid"], true);
    let page = s.client.get(s.url(&format!("/verify/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("امضای دیجیتال این سند معتبر است") && page.contains("پروانهٔ ساختمانی"), "{page}");
    let case_page =
        s.get_as(&format!("/cases/{tracking}"), &expert.cookie).send().await.unwrap().text().await.unwrap();
    assert!(
        case_page.contains("پروانه صادر شد") && case_page.contains("تحویل پروانه"),
        "the office sees the next step"
    );

    let brief = s
        .post(&format!("/api/v1/cases/{tracking}/actions"))
        .header(COOKIE, expert.cookie.clone())
        .header("prefer", "return=minimal")
        .json(&serde_json::json!({ "action": "deliver_permit", "version": case["version"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(brief.headers()["preference-applied"], "return=minimal");
    let brief: serde_json::Value = brief.json().await.unwrap();
    assert_eq!(brief["state"], "permit_delivered");
    assert_eq!(brief["version"], case["version"].as_i64().unwrap() + 1);
    assert!(brief.get("facts").is_none(), "the minimal answer is only where the case stands");
    let case = expert.get(&format!("/api/v1/cases/{tracking}")).await;
    let case = citizen
        .step(&case, "start_works", serde_json::json!({ "supervisor": "مهندس کاوه شریفی، ۱-۲۳-۴۵۶۷" }))
        .await;
    assert_eq!(expert.upload(&case, "supervisor_stage_report", "stage.pdf", PDF).await, StatusCode::CREATED);
    let case = expert.step(&case, "file_stage_report", serde_json::json!({})).await;
    let case = citizen.step(&case, "request_completion", serde_json::json!({})).await;
    assert_eq!(case["state"], "completion_requested");

    let tracked: serde_json::Value = s
        .client
        .get(s.url(&format!("/api/v1/track?tracking={tracking}&national_id=0076229645")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tracked["state"], "completion_requested", "followed without signing in");

    let completion = serde_json::json!({ "service": "completion_certificate", "form": {
        "permit_number": number, "owner_national_id": "0076229645", "mobile": "09121234567",
        "as_built_area": "300", "floors": "2", "works_finished_on": "1405/08/20" },
        "owners": [{ "identifier": "0076229645", "name": "پرویز کامرانی", "share": "6" }] });
    let (status, completion) = expert.post("/api/v1/cases", completion).await;
    assert_eq!(status, StatusCode::CREATED, "{completion}");
    for kind in ["as_built_drawings", "supervisor_final_report", "permit_copy"] {
        expert.upload(&completion, kind, "f.pdf", PDF).await;
    }
    let completion =
        expert.get(&format!("/api/v1/cases/{}", completion["tracking_code"].as_str().unwrap())).await;
    let completion = holder
        .step(
            &completion,
            "schedule_inspection",
            serde_json::json!({ "inspector": "expert", "visit_on": tomorrow() }),
        )
        .await;
    let completion = expert
        .step(
            &completion,
            "report_inspection",
            serde_json::json!({ "passed": true, "report": "مطابق نقشهٔ چون‌ساخت است." }),
        )
        .await;
    let completion = approver.step(&completion, "approve_certificate", serde_json::json!({})).await;
    assert_eq!(completion["state"], "certificate_issued");
    let certificate = completion["issued"]["code"].as_str().unwrap();
    let verified: serde_json::Value = s
        .client
        .get(s.url(&format!("/api/v1/verify/{certificate}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verified["kind"], "completion_certificate");
    assert_eq!(verified["signature_valid"], true);
}

/// A new staff account's form, as the administrator posts it.
fn staff_form(username: &str) -> serde_json::Value {
    serde_json::json!({
        "username": username,
        "display_name": "کارشناس آزمون",
        "password": "kooh-e damavand barfi ast",
        "role": "office_expert",
        "office": "OF-1001",
    })
}

fn replayed(response: &reqwest::Response) -> bool {
    response.headers().get("idempotent-replayed").is_some_and(|v| v == "true")
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response_and_refuses_another_request() {
    let s = start(test_config()).await;
    let admin = s.sign_in_staff("admin").await;
    let create = |body: serde_json::Value, key: &str| {
        s.post("/api/v1/users").header(COOKIE, &admin).header("Idempotency-Key", key).json(&body)
    };

    let first = create(staff_form("idem.first"), "create-idem-first").send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(!replayed(&first));
    let first_type = first.headers()[CONTENT_TYPE].clone();
    let first_body = first.bytes().await.unwrap();

    let again = create(staff_form("idem.first"), "create-idem-first").send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED, "the retry is answered, not refused as a duplicate");
    assert!(replayed(&again));
    assert_eq!(again.headers()[CONTENT_TYPE], first_type);
    assert_eq!(again.bytes().await.unwrap(), first_body, "byte for byte");

    // Without the header the same request runs again, as it always has.
    let plain =
        s.post("/api/v1/users").header(COOKIE, &admin).json(&staff_form("idem.first")).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::UNPROCESSABLE_ENTITY, "the username is taken");
    assert!(!replayed(&plain));

    // The same key with another body, or on another path, is refused naming the header.
    for response in [
        create(staff_form("idem.other"), "create-idem-first").send().await.unwrap(),
        s.post("/api/v1/plan-check")
            .header(COOKIE, &admin)
            .header("Idempotency-Key", "create-idem-first")
            .json(&serde_json::json!({ "parcel_key": "no-such" }))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid");
        assert_eq!(body["fields"][0]["field"], "Idempotency-Key");
        assert!(body["message_fa"].as_str().unwrap().contains("Idempotency-Key"), "{body}");
        assert!(body["fields"][0]["message_en"].as_str().unwrap().contains("different request"), "{body}");
    }

    // Keys are the caller's own: an agency key using the same key runs its request.
    let agency = s
        .client
        .post(s.url("/api/v1/plan-check"))
        .bearer_auth(&s.agency_key)
        .header("Idempotency-Key", "create-idem-first")
        .json(
            &serde_json::json!({ "parcel_key": "no-such", "design": { "levels": [], "parking_spaces": 0 } }),
        )
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = agency.json().await.unwrap();
    assert_ne!(body["fields"][0]["field"], "Idempotency-Key", "{body}");

    // A GET ignores the header.
    let me =
        s.get_as("/api/v1/me", &admin).header("Idempotency-Key", "create-idem-first").send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert!(!replayed(&me));

    for bad in ["two words", "", &"k".repeat(256), "کلید"] {
        let response = s
            .post("/api/v1/users")
            .header(COOKIE, &admin)
            .header("Idempotency-Key", reqwest::header::HeaderValue::from_bytes(bad.as_bytes()).unwrap())
            .json(&staff_form("idem.bad"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "key {bad:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["fields"][0]["field"], "Idempotency-Key");
    }
    let users: serde_json::Value =
        s.get_as("/api/v1/users?q=idem", &admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1, "only the first request created an account: {users}");
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_once() {
    let s = start(test_config()).await;
    let admin = s.sign_in_staff("admin").await;
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let request = s
                .post("/api/v1/users")
                .header(COOKIE, &admin)
                .header("Idempotency-Key", "one-account-please")
                .json(&staff_form("idem.race"));
            tokio::spawn(request.send())
        })
        .collect();
    let mut ran = 0;
    let mut bodies = Vec::new();
    for request in requests {
        let response = request.await.unwrap().unwrap();
        match (response.status(), replayed(&response)) {
            (StatusCode::CREATED, false) => ran += 1,
            (StatusCode::CREATED, true) | (StatusCode::CONFLICT, false) => {}
            (status, replay) => panic!("unexpected {status} (replayed: {replay})"),
        }
        if response.status() == StatusCode::CREATED {
            bodies.push(response.bytes().await.unwrap());
        } else {
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(body["message_en"].as_str().unwrap().contains("Idempotency-Key"), "{body}");
        }
    }
    assert_eq!(ran, 1, "exactly one request ran");
    assert!(bodies.windows(2).all(|pair| pair[0] == pair[1]), "every replay is the first response");
}

#[tokio::test]
async fn a_server_error_frees_the_key_for_a_retry() {
    let s = start(test_config()).await;
    let admin = s.sign_in_staff("admin").await;
    let create = || {
        s.post("/api/v1/users")
            .header(COOKIE, &admin)
            .header("Idempotency-Key", "retry-after-failure")
            .json(&staff_form("idem.retry"))
    };
    // Every business write commits its audit row: without the table, the write fails.
    let pool = s.app.store().pool();
    sqlx::raw_sql("ALTER TABLE audit_log RENAME TO audit_log_away").execute(pool).await.unwrap();
    let failed = create().send().await.unwrap();
    sqlx::raw_sql("ALTER TABLE audit_log_away RENAME TO audit_log").execute(pool).await.unwrap();
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let retried = create().send().await.unwrap();
    assert_eq!(retried.status(), StatusCode::CREATED, "the failure was not kept; the retry ran");
    assert!(!replayed(&retried));
    assert!(replayed(&create().send().await.unwrap()), "the success is kept");
}

#[tokio::test]
async fn the_administrator_manages_webhook_subscriptions() {
    let s = start(test_config()).await;
    let admin = s.sign_in_staff("admin").await;
    let subscribe = |body: serde_json::Value| s.post("/api/v1/webhooks").header(COOKIE, &admin).json(&body);

    let bad = subscribe(
        serde_json::json!({ "agency": "Fire Dept", "url": "ftp://fire.example.ir/", "events": [] }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = bad.json().await.unwrap();
    let fields: Vec<_> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].clone()).collect();
    assert_eq!(fields, ["agency", "url", "events"], "{body}");
    let relative = subscribe(serde_json::json!({ "agency": "fire", "url": "/hooks", "events": ["*"] }));
    assert_eq!(relative.send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);

    let created = subscribe(serde_json::json!({
        "agency": "fire",
        "url": "https://fire.example.ir/hooks/daftar",
        "events": ["case.opened", "case.closed"],
    }))
    .send()
    .await
    .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: serde_json::Value = created.json().await.unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["events"], serde_json::json!(["case.opened", "case.closed"]));

    let listed: serde_json::Value =
        s.get_as("/api/v1/webhooks", &admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["url"], "https://fire.example.ir/hooks/daftar");
    assert!(listed[0].get("secret").is_none(), "the secret is shown once");

    let agency = s
        .client
        .post(s.url("/api/v1/webhooks"))
        .bearer_auth(&s.agency_key)
        .json(&serde_json::json!({ "agency": "fire", "url": "https://x.example/", "events": ["*"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(agency.status(), StatusCode::FORBIDDEN);

    let path = format!("/api/v1/webhooks/{}", created["id"]);
    let delete = || s.client.delete(s.url(&path)).header(COOKIE, &admin).header(ORIGIN, s.base.clone());
    assert_eq!(delete().send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(delete().send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let listed: serde_json::Value =
        s.get_as("/api/v1/webhooks", &admin).send().await.unwrap().json().await.unwrap();
    assert!(listed.as_array().unwrap().is_empty());
    let actions: Vec<String> =
        daftar_store::audit::recent(s.app.store(), 10).await.unwrap().into_iter().map(|r| r.action).collect();
    assert!(
        actions.contains(&"webhook.subscribed".to_string())
            && actions.contains(&"webhook.unsubscribed".to_string())
    );
}

#[tokio::test]
async fn post_operations_document_the_idempotency_key_header() {
    let s = start(test_config()).await;
    let doc: serde_json::Value =
        s.client.get(s.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let users = &doc["paths"]["/api/v1/users"];
    let names = |operation: &serde_json::Value| -> Vec<String> {
        operation["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert!(names(&users["post"]).contains(&"Idempotency-Key".to_string()));
    assert!(!names(&users["get"]).contains(&"Idempotency-Key".to_string()));
    let header =
        users["post"]["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "Idempotency-Key");
    assert_eq!(header.unwrap()["in"], "header");
}
