//! Use cases against a real database (SQLite, or PostgreSQL with DAFTAR_TEST_DATABASE_URL),
//! with a clock the tests move.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use daftar_app::audit::By;
use daftar_app::auth::{self, SessionState};
use daftar_app::cases;
use daftar_app::money::{Billed, Period};
use daftar_app::outbox::{SendResult, SmsSender};
use daftar_app::users::NewStaff;
use daftar_app::{App, AppError, Config, ManualClock, RequestMeta, Role};
use daftar_store::scratch::ScratchDb;

const START: i64 = 1_795_000_000;

struct Harness {
    _db: ScratchDb,
    app: App,
    clock: Arc<ManualClock>,
}

async fn harness_with(sms: Arc<dyn SmsSender>) -> Harness {
    let db = ScratchDb::new().await;
    let store = db.store().await;
    let clock = Arc::new(ManualClock::new(START));
    let app = App::new(store, Config::default(), clock.clone(), daftar_app::keys::generate(), sms);
    Harness { _db: db, app, clock }
}

async fn harness() -> Harness {
    harness_with(Arc::new(daftar_app::outbox::DevelopmentSms)).await
}

fn meta(peer: &str) -> RequestMeta {
    RequestMeta { peer: Some(peer.to_string()), request_id: None }
}

/// The code in the newest queued text message.
async fn last_code(app: &App) -> String {
    let messages = daftar_store::outbox::recent(app.store().pool(), 1).await.unwrap();
    let body = &messages.first().expect("a message was queued").body;
    body.rsplit("code: ").next().unwrap().trim().to_string()
}

async fn add_admin(app: &App) -> i64 {
    let form = NewStaff {
        username: "root-admin".into(),
        display_name: "مدیر آزمون".into(),
        password: "kooh-e damavand barfi ast".into(),
        role: "admin".into(),
        office: None,
        district: None,
    };
    daftar_app::users::add_staff(app, By::System("test"), &form, &RequestMeta::default()).await.unwrap()
}

async fn principal(app: &App, token: &str) -> daftar_app::Principal {
    match auth::session(app, token).await.unwrap() {
        Some(SessionState::SignedIn(p)) => p,
        other => panic!("expected a signed-in session, got {other:?}"),
    }
}

#[tokio::test]
async fn a_citizen_signs_in_with_a_texted_code_and_the_account_is_created() {
    let h = harness().await;
    let sent = auth::request_code(&h.app, "۰۰۷۶۲۲۹۶۴۵", "09121234567", &meta("10.0.0.1")).await.unwrap();
    assert_eq!(sent.mobile_masked, "0912***4567");
    let code = last_code(&h.app).await;
    assert_eq!(code.len(), 6);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    match auth::verify_code(&h.app, &sent.challenge, wrong, &meta("10.0.0.1")).await {
        Err(AppError::Invalid(fields)) => {
            assert_eq!(fields[0].field, "code");
            assert!(fields[0].message.en.contains("4 tries left"), "{}", fields[0].message.en);
            assert!(fields[0].message.fa.contains('۴'));
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    let signed_in = auth::verify_code(&h.app, &sent.challenge, &code, &meta("10.0.0.1")).await.unwrap();
    let p = principal(&h.app, signed_in.token.as_str()).await;
    assert_eq!(p.role, Some(Role::Citizen));
    assert!(auth::verify_code(&h.app, &sent.challenge, &code, &meta("10.0.0.1")).await.is_err(), "no replay");
}

#[tokio::test]
async fn a_code_dies_after_five_minutes_or_five_tries() {
    let h = harness().await;
    let sent = auth::request_code(&h.app, "1583250689", "09351112233", &meta("p")).await.unwrap();
    let code = last_code(&h.app).await;
    h.clock.advance(auth::CODE_TTL_S);
    assert!(
        auth::verify_code(&h.app, &sent.challenge, &code, &meta("p")).await.is_err(),
        "expired at 5 minutes"
    );

    let sent = auth::request_code(&h.app, "1583250689", "09351112233", &meta("p")).await.unwrap();
    let code = last_code(&h.app).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..auth::CODE_MAX_ATTEMPTS {
        assert!(auth::verify_code(&h.app, &sent.challenge, wrong, &meta("p")).await.is_err());
    }
    let err = auth::verify_code(&h.app, &sent.challenge, &code, &meta("p")).await.unwrap_err();
    assert!(
        matches!(err, AppError::Invalid(ref f) if f[0].message.en.contains("no longer valid")),
        "{err:?}"
    );
}

#[tokio::test]
async fn bad_identifiers_are_named_in_both_languages() {
    let h = harness().await;
    match auth::request_code(&h.app, "0684159415", "0812", &meta("p")).await {
        Err(AppError::Invalid(fields)) => {
            let names: Vec<_> = fields.iter().map(|f| f.field.as_ref()).collect();
            assert_eq!(names, ["national_id", "mobile"]);
            assert!(fields[0].text(daftar_types::Lang::Fa).starts_with("کد ملی"));
            assert!(fields[1].text(daftar_types::Lang::En).starts_with("Mobile number"));
        }
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn a_mobile_that_is_not_the_citizens_gets_no_code_and_the_same_answer() {
    let h = harness().await;
    let first = auth::request_code(&h.app, "0076229645", "09121234567", &meta("p")).await.unwrap();
    let code = last_code(&h.app).await;
    auth::verify_code(&h.app, &first.challenge, &code, &meta("p")).await.unwrap();
    let before = daftar_store::outbox::recent(h.app.store().pool(), 100).await.unwrap().len();
    let other = auth::request_code(&h.app, "0076229645", "09120000000", &meta("p")).await.unwrap();
    assert_eq!(other.mobile_masked, "0912***0000");
    let after = daftar_store::outbox::recent(h.app.store().pool(), 100).await.unwrap().len();
    assert_eq!(before, after, "no text message to a number that is not the citizen's");
}

#[tokio::test]
async fn code_requests_are_rate_limited_per_national_id_and_per_peer() {
    let h = harness().await;
    let limit = h.app.config().rate_limits.codes_per_national_id;
    for n in 0..limit {
        auth::request_code(&h.app, "0499370899", "09191234500", &meta(&format!("peer{n}"))).await.unwrap();
    }
    let err = auth::request_code(&h.app, "0499370899", "09191234500", &meta("another")).await.unwrap_err();
    assert!(matches!(err, AppError::RateLimited { .. }));
    h.clock.advance(h.app.config().rate_limits.window_s + 1);
    auth::request_code(&h.app, "0499370899", "09191234500", &meta("another")).await.unwrap();

    let per_peer = h.app.config().rate_limits.codes_per_peer;
    let ids =
        ["0790419904", "0084575948", "0963695398", "0684159414", "0067749828", "0650451252", "4032152314"];
    let mut refused = false;
    for n in 0..=per_peer {
        let id = ids[usize::try_from(n).unwrap() % ids.len()];
        if let Err(AppError::RateLimited { .. }) =
            auth::request_code(&h.app, id, "09121112233", &meta("busy-peer")).await
        {
            refused = true;
        }
    }
    assert!(refused, "one address cannot ask for codes without limit");
}

#[tokio::test]
async fn staff_sessions_end_after_30_idle_minutes_or_12_hours() {
    let h = harness().await;
    add_admin(&h.app).await;
    let wrong = auth::sign_in_staff(&h.app, "root-admin", "wrong password!", &meta("p")).await.unwrap_err();
    assert!(matches!(wrong, AppError::Invalid(ref f) if f[0].field == "password"));

    let signed_in =
        auth::sign_in_staff(&h.app, "Root-Admin", "kooh-e damavand barfi ast", &meta("p")).await.unwrap();
    let token = signed_in.token.as_str().to_string();
    assert_eq!(principal(&h.app, &token).await.role, Some(Role::Admin));
    h.clock.advance(29 * 60);
    assert!(auth::session(&h.app, &token).await.unwrap().is_some(), "29 idle minutes are fine");
    h.clock.advance(29 * 60);
    assert!(auth::session(&h.app, &token).await.unwrap().is_some(), "activity renewed it");
    h.clock.advance(31 * 60);
    assert!(auth::session(&h.app, &token).await.unwrap().is_none(), "31 idle minutes end it");

    let signed_in =
        auth::sign_in_staff(&h.app, "root-admin", "kooh-e damavand barfi ast", &meta("p")).await.unwrap();
    let token = signed_in.token.as_str().to_string();
    for _ in 0..28 {
        h.clock.advance(25 * 60);
        assert!(auth::session(&h.app, &token).await.unwrap().is_some(), "active use keeps it alive");
    }
    h.clock.advance(25 * 60);
    assert!(auth::session(&h.app, &token).await.unwrap().is_none(), "12 hours is the most, however active");
}

#[tokio::test]
async fn password_guessing_on_one_account_is_rate_limited() {
    let h = harness().await;
    add_admin(&h.app).await;
    let limit = h.app.config().rate_limits.sign_in_per_account;
    for n in 0..limit {
        let err = auth::sign_in_staff(&h.app, "root-admin", "guess-number-x", &meta(&format!("p{n}")))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(_)));
    }
    let err =
        auth::sign_in_staff(&h.app, "root-admin", "kooh-e damavand barfi ast", &meta("p")).await.unwrap_err();
    assert!(matches!(err, AppError::RateLimited { .. }), "even the right password waits out the window");
}

#[tokio::test]
async fn totp_makes_sign_in_a_two_step_affair() {
    let h = harness().await;
    add_admin(&h.app).await;
    let signed_in =
        auth::sign_in_staff(&h.app, "root-admin", "kooh-e damavand barfi ast", &meta("p")).await.unwrap();
    let admin = principal(&h.app, signed_in.token.as_str()).await;
    let enrolment = auth::begin_totp(&h.app, &admin, &meta("p")).await.unwrap();
    assert!(enrolment.otpauth_url.starts_with("otpauth://totp/"));
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(enrolment.secret_base32.clone()).to_bytes().unwrap(),
        None,
        String::new(),
    )
    .unwrap();
    let now = u64::try_from(daftar_app::Clock::now(&*h.clock)).unwrap();
    let wrong = if totp.generate(now) == "000000" { "111111" } else { "000000" };
    assert!(auth::confirm_totp(&h.app, &admin, wrong, &meta("p")).await.is_err());
    auth::confirm_totp(&h.app, &admin, &totp.generate(now), &meta("p")).await.unwrap();

    let second =
        auth::sign_in_staff(&h.app, "root-admin", "kooh-e damavand barfi ast", &meta("p")).await.unwrap();
    assert!(second.awaiting_second_factor);
    let token = second.token.as_str().to_string();
    let Some(SessionState::AwaitingSecondFactor { user_id }) = auth::session(&h.app, &token).await.unwrap()
    else {
        panic!("the session waits for the second factor");
    };
    assert!(auth::second_factor(&h.app, &token, user_id, "12345x", &meta("p")).await.is_err());
    auth::second_factor(&h.app, &token, user_id, &totp.generate(now), &meta("p")).await.unwrap();
    assert_eq!(principal(&h.app, &token).await.user_id, admin.user_id);
}

/// A provider that fails a given number of times, then delivers.
struct FlakySms {
    failures_left: AtomicUsize,
    delivered: AtomicUsize,
}

impl SmsSender for FlakySms {
    fn send<'a>(&'a self, _to: &'a str, _body: &'a str) -> SendResult<'a> {
        Box::pin(async move {
            if self.failures_left.load(Ordering::SeqCst) > 0 {
                self.failures_left.fetch_sub(1, Ordering::SeqCst);
                return Err("provider unavailable".to_string());
            }
            self.delivered.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_failing_sms_provider_never_undoes_the_change_and_is_retried_with_backoff() {
    let sms = Arc::new(FlakySms { failures_left: AtomicUsize::new(2), delivered: AtomicUsize::new(0) });
    let h = harness_with(sms.clone()).await;
    let sent = auth::request_code(&h.app, "0076229645", "09121234567", &meta("p")).await.unwrap();
    assert_eq!(daftar_app::outbox::deliver_due(&h.app).await.unwrap(), 1);
    assert_eq!(sms.delivered.load(Ordering::SeqCst), 0);
    assert_eq!(daftar_app::outbox::deliver_due(&h.app).await.unwrap(), 0, "waits for its backoff");
    h.clock.advance(daftar_app::outbox::backoff_s(1));
    assert_eq!(daftar_app::outbox::deliver_due(&h.app).await.unwrap(), 1);
    h.clock.advance(daftar_app::outbox::backoff_s(2));
    assert_eq!(daftar_app::outbox::deliver_due(&h.app).await.unwrap(), 1);
    assert_eq!(sms.delivered.load(Ordering::SeqCst), 1);
    let message = daftar_store::outbox::recent(h.app.store().pool(), 1).await.unwrap().remove(0);
    assert_eq!((message.status.as_str(), message.attempts), ("delivered", 3));
    let code = last_code(&h.app).await;
    auth::verify_code(&h.app, &sent.challenge, &code, &meta("p"))
        .await
        .expect("the challenge survived the failures");
}

#[tokio::test]
async fn only_administrators_add_staff_and_roles_need_their_scope() {
    let h = harness().await;
    daftar_app::demo::seed(&h.app).await.unwrap();
    let signed_in =
        auth::sign_in_staff(&h.app, "expert", daftar_app::demo::DEMO_PASSWORD, &meta("p")).await.unwrap();
    let expert = principal(&h.app, signed_in.token.as_str()).await;
    assert_eq!(expert.role, Some(Role::OfficeExpert));
    assert!(expert.office_id.is_some());
    let form = NewStaff {
        username: "new-expert".into(),
        display_name: "کارشناس تازه".into(),
        password: "baran-e paeezi mibarad".into(),
        role: "office_expert".into(),
        office: None,
        district: None,
    };
    let err =
        daftar_app::users::add_staff(&h.app, By::Principal(&expert), &form, &meta("p")).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden));

    let signed_in =
        auth::sign_in_staff(&h.app, "admin", daftar_app::demo::DEMO_PASSWORD, &meta("p")).await.unwrap();
    let admin = principal(&h.app, signed_in.token.as_str()).await;
    let err =
        daftar_app::users::add_staff(&h.app, By::Principal(&admin), &form, &meta("p")).await.unwrap_err();
    assert!(matches!(err, AppError::Invalid(ref f) if f[0].field == "office"), "{err:?}");
    let form = NewStaff { office: Some("OF-1003".into()), ..form };
    daftar_app::users::add_staff(&h.app, By::Principal(&admin), &form, &meta("p")).await.unwrap();
    let err =
        daftar_app::users::add_staff(&h.app, By::Principal(&admin), &form, &meta("p")).await.unwrap_err();
    assert!(matches!(err, AppError::Invalid(ref f) if f[0].field == "username"), "a taken username: {err:?}");
    let found = daftar_app::users::search(&h.app, &admin, "كارشناس").await.unwrap();
    assert_eq!(found.len(), 1, "Arabic kaf finds Persian keheh");
}

#[tokio::test]
async fn every_demo_state_change_is_in_the_verified_chain() {
    let h = harness().await;
    daftar_app::demo::seed(&h.app).await.unwrap();
    let checkpoint = daftar_app::audit::checkpoint_now(&h.app).await.unwrap().unwrap();
    let report = daftar_app::audit::verify(&h.app, &[]).await.unwrap();
    assert_eq!(report.problem, None);
    assert_eq!(report.records, checkpoint.seq);
    // 3 districts, 4 offices, 13 staff, 3 citizens, the agency and its key, the certified
    // expert, 4 services, the fee bylaw, the plan rules, the licensing call and the plan map.
    assert_eq!(report.records, 34);
}

/// The worked invoice of the sample plan (M111, P = 1,234,567), as assessment inputs.
fn worked_example() -> daftar_fees::assess::AssessmentInputs {
    let level = |level: i32, usage: &str, area: i64| daftar_fees::assess::LevelInput {
        level,
        usage: usage.to_string(),
        area: rust_decimal::Decimal::from(area),
    };
    daftar_fees::assess::AssessmentInputs {
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
    }
}

/// Publishes the demo bylaw and issues the worked invoice for `case`.
async fn worked_invoice(h: &Harness, case: &str) -> daftar_store::money::InvoiceRow {
    let meta = RequestMeta::default();
    // The demo seed may have published it already.
    let _ = daftar_app::fees::publish_bylaw(
        &h.app,
        By::System("test"),
        &meta,
        daftar_fees::bylaw::DEMO_BYLAW_TOML,
    )
    .await;
    let billed = Billed { owner_type: "case", owner_id: case, office_id: None };
    daftar_app::money::issue_invoice(&h.app, By::System("test"), &meta, billed, &worked_example())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_thousand_duplicate_callbacks_record_one_payment() {
    let h = harness().await;
    let invoice = worked_invoice(&h, "C-1").await;
    assert_eq!(invoice.total, 7_975_302_000 + 4_500_000, "the worked invoice, to the Rial");
    let amount = daftar_types::Rials::new(invoice.total);
    daftar_app::money::open_payment(
        &h.app,
        By::System("test"),
        &RequestMeta::default(),
        invoice.id,
        ("sandbox", "REF-1"),
        amount,
    )
    .await
    .unwrap();

    let now = daftar_app::Clock::now(&*h.clock);
    let body =
        serde_json::json!({ "reference": "REF-1", "status": "paid", "amount": invoice.total }).to_string();
    let signature =
        daftar_app::money::callback_signature(h.app.config().gateway_secret.expose(), now, body.as_bytes());
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let (app, body, signature) = (h.app.clone(), body.clone(), signature.clone());
        tasks.push(tokio::spawn(async move {
            daftar_app::money::record_callback(
                &app,
                &RequestMeta::default(),
                "sandbox",
                body.as_bytes(),
                &now.to_string(),
                &signature,
            )
            .await
            .unwrap()
        }));
    }
    let mut recorded = 0;
    for task in tasks {
        if task.await.unwrap() == daftar_app::money::CallbackOutcome::Recorded {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1, "exactly one callback records the payment");
    let pool = h.app.store().pool();
    let paid: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE status = 'paid'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(paid, 1);
    let shared: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment_shares")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(shared, invoice.total, "the shares add up to the payment, once");
    let office: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment_shares WHERE party = 'office'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(office, 4_500_000);
    let status: String = sqlx::query_scalar("SELECT status FROM invoices WHERE id = $1")
        .bind(invoice.id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(status, "paid");

    let month = Period::containing(now);
    let report = daftar_app::money::reconcile(&h.app, By::System("test"), month).await.unwrap();
    assert_eq!((report.payments.len(), report.received, report.shared), (1, invoice.total, invoice.total));
    assert!(report.balanced());
    assert!(report.by_party.iter().any(|p| p.party_key == "office:none" && p.amount == 4_500_000));
    // A share altered behind the application's back is flagged.
    sqlx::query("UPDATE payment_shares SET amount = amount - 1 WHERE party = 'office'")
        .execute(pool)
        .await
        .unwrap();
    let report = daftar_app::money::reconcile(&h.app, By::System("test"), month).await.unwrap();
    assert_eq!(report.differences.len(), 1);
    assert_eq!(report.differences[0].expected - report.differences[0].actual, 1);
}

#[tokio::test]
async fn callbacks_need_a_fresh_valid_signature() {
    let h = harness().await;
    let invoice = worked_invoice(&h, "C-2").await;
    daftar_app::money::open_payment(
        &h.app,
        By::System("test"),
        &RequestMeta::default(),
        invoice.id,
        ("sandbox", "REF-2"),
        daftar_types::Rials::new(invoice.cash_total),
    )
    .await
    .unwrap();
    let now = daftar_app::Clock::now(&*h.clock);
    let body = serde_json::json!({ "reference": "REF-2", "status": "paid", "amount": invoice.cash_total })
        .to_string();
    let secret = h.app.config().gateway_secret.expose().to_vec();
    let call = |ts: i64, signature: String, body: String| {
        let app = h.app.clone();
        async move {
            daftar_app::money::record_callback(
                &app,
                &RequestMeta::default(),
                "sandbox",
                body.as_bytes(),
                &ts.to_string(),
                &signature,
            )
            .await
        }
    };
    let forged = daftar_app::money::callback_signature(b"not the secret", now, body.as_bytes());
    assert!(call(now, forged, body.clone()).await.is_err(), "a forged signature");
    let stale = now - daftar_app::money::CALLBACK_WINDOW_S - 1;
    let old = daftar_app::money::callback_signature(&secret, stale, body.as_bytes());
    assert!(call(stale, old, body.clone()).await.is_err(), "outside the 300-second window");
    let tampered = body.replace("REF-2", "REF-3");
    let signature = daftar_app::money::callback_signature(&secret, now, body.as_bytes());
    assert!(call(now, signature.clone(), tampered).await.is_err(), "a body other than the one signed");
    let outcome = call(now, signature, body.clone()).await.unwrap();
    assert_eq!(outcome, daftar_app::money::CallbackOutcome::Recorded);
    let discount: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment_shares")
            .fetch_one(h.app.store().pool())
            .await
            .unwrap();
    assert_eq!(discount, invoice.cash_total, "a cash payment's shares add up to the discounted total");
    assert_eq!(invoice.total - invoice.cash_total, 398_765_000, "the cash discount of the worked invoice");
}

/// Records a paid callback for a payment opened under `reference` (no gateway is connected in
/// these tests, so there is no verify step).
async fn pay(h: &Harness, invoice_id: i64, reference: &str, amount: i64) {
    let meta = RequestMeta::default();
    daftar_app::money::open_payment(
        &h.app,
        By::System("test"),
        &meta,
        invoice_id,
        ("sandbox", reference),
        daftar_types::Rials::new(amount),
    )
    .await
    .unwrap();
    let now = daftar_app::Clock::now(&*h.clock);
    let body = serde_json::json!({ "reference": reference, "status": "paid", "amount": amount }).to_string();
    let signature =
        daftar_app::money::callback_signature(h.app.config().gateway_secret.expose(), now, body.as_bytes());
    let outcome = daftar_app::money::record_callback(
        &h.app,
        &meta,
        "sandbox",
        body.as_bytes(),
        &now.to_string(),
        &signature,
    )
    .await
    .unwrap();
    assert_eq!(outcome, daftar_app::money::CallbackOutcome::Recorded);
}

async fn finance(h: &Harness) -> daftar_app::Principal {
    daftar_app::demo::seed(&h.app).await.unwrap();
    let signed_in =
        auth::sign_in_staff(&h.app, "finance", daftar_app::demo::DEMO_PASSWORD, &meta("f")).await.unwrap();
    principal(&h.app, signed_in.token.as_str()).await
}

#[tokio::test]
async fn a_waiver_replaces_the_invoice_and_a_fully_waived_one_is_settled_at_once() {
    let h = harness().await;
    let finance = finance(&h).await;
    let invoice = worked_invoice(&h, "C-W").await;
    let m = RequestMeta::default();
    let heads = vec!["floor_area".to_string()];
    let short = daftar_app::money::waive(&h.app, &finance, &m, &invoice.public_id, &heads, "no").await;
    assert!(matches!(short, Err(AppError::Invalid(ref f)) if f[0].field == "reason"), "a reason is required");
    let unknown = vec!["no_such_head".to_string()];
    match daftar_app::money::waive(&h.app, &finance, &m, &invoice.public_id, &unknown, "council decision 12")
        .await
    {
        Err(AppError::Invalid(fields)) => {
            assert_eq!(fields[0].field, "heads");
            assert!(fields[0].message.fa.contains("no_such_head") && fields[0].message.fa.contains("ندارد"));
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    let waived =
        daftar_app::money::waive(&h.app, &finance, &m, &invoice.public_id, &heads, "council decision 12")
            .await
            .unwrap();
    assert_eq!(waived.total, 4_500_000, "only the office's tariff is left");
    assert_eq!(waived.supersedes, Some(invoice.id));
    assert_eq!(waived.waiver_approved_by, Some(finance.user_id));
    let old = daftar_app::money::invoice(&h.app, &invoice.public_id).await.unwrap();
    assert_eq!(old.invoice.status, "cancelled");
    assert_eq!(old.replaced_by.as_deref(), Some(waived.public_id.as_str()), "the history is kept");

    let all = vec!["office_service".to_string()];
    let free =
        daftar_app::money::waive(&h.app, &finance, &m, &waived.public_id, &all, "fee exemption, article 5")
            .await
            .unwrap();
    assert_eq!((free.total, free.status.as_str()), (0, "paid"), "nothing owed: settled without a payment");

    let expert = {
        let signed_in =
            auth::sign_in_staff(&h.app, "expert", daftar_app::demo::DEMO_PASSWORD, &meta("e")).await.unwrap();
        principal(&h.app, signed_in.token.as_str()).await
    };
    let other = worked_invoice(&h, "C-X").await;
    let refused =
        daftar_app::money::waive(&h.app, &expert, &m, &other.public_id, &heads, "I would like to").await;
    assert!(matches!(refused, Err(AppError::Forbidden)), "only finance waives fees");
}

#[tokio::test]
async fn instalments_are_paid_in_turn_and_their_shares_add_up() {
    let h = harness().await;
    let finance = finance(&h).await;
    let invoice = worked_invoice(&h, "C-I").await;
    let m = RequestMeta::default();
    let rials = daftar_types::Rials::new;
    let small =
        daftar_app::money::plan_instalments(&h.app, &finance, &m, &invoice.public_id, rials(1), 3).await;
    match small {
        Err(AppError::Invalid(fields)) => {
            assert_eq!(fields[0].field, "instalments");
            assert!(fields[0].message.fa.contains("پیش‌پرداخت دست‌کم"), "{}", fields[0].message.fa);
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    let down = invoice.total / 2;
    let plan = daftar_app::money::plan_instalments(&h.app, &finance, &m, &invoice.public_id, rials(down), 2)
        .await
        .unwrap();
    assert_eq!(plan.len(), 3);
    assert_eq!(plan.iter().map(|i| i.amount).sum::<i64>(), invoice.total, "the plan covers the total");
    let view = daftar_app::money::invoice(&h.app, &invoice.public_id).await.unwrap();
    assert_eq!((view.due.amount.get(), view.due.instalment), (down, Some(0)));
    let whole = daftar_app::money::open_payment(
        &h.app,
        By::System("test"),
        &m,
        invoice.id,
        ("sandbox", "X"),
        rials(invoice.cash_total),
    )
    .await;
    assert!(whole.is_err(), "with a plan, the next instalment is what is due");
    for (k, row) in plan.iter().enumerate() {
        pay(&h, invoice.id, &format!("INS-{k}"), row.amount).await;
        let view = daftar_app::money::invoice(&h.app, &invoice.public_id).await.unwrap();
        let last = k + 1 == plan.len();
        assert_eq!(view.invoice.status, if last { "paid" } else { "open" });
    }
    let pool = h.app.store().pool();
    let shared: Vec<(String, i64)> = sqlx::query_as(
        "SELECT head, CAST(SUM(amount) AS BIGINT) FROM payment_shares GROUP BY head ORDER BY head",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        shared,
        [("floor_area".to_string(), 7_975_302_000), ("office_service".to_string(), 4_500_000)]
    );
}

#[tokio::test]
async fn a_month_is_settled_once_and_reconciles_end_to_end() {
    let h = harness().await;
    let finance = finance(&h).await;
    let m = RequestMeta::default();
    let a = worked_invoice(&h, "C-S1").await;
    pay(&h, a.id, "S-1", a.cash_total).await;
    let now = daftar_app::Clock::now(&*h.clock);
    let month = Period::containing(now);
    let early = daftar_app::money::close_period(&h.app, &finance, &m, month).await;
    assert!(matches!(early, Err(AppError::Conflict(_))), "a month is closed after it ends");

    h.clock.advance(month.bounds().1 - now + 60);
    let (first, second) = tokio::join!(
        daftar_app::money::close_period(&h.app, &finance, &m, month),
        daftar_app::money::close_period(&h.app, &finance, &m, month),
    );
    assert!(first.is_ok() != second.is_ok(), "exactly one close wins: {first:?} / {second:?}");
    let settlements = first.or(second).unwrap();
    assert_eq!(settlements.iter().map(|s| s.amount).sum::<i64>(), a.cash_total);
    let report = daftar_app::money::reconcile(&h.app, By::Principal(&finance), month).await.unwrap();
    assert!(report.closed && report.balanced(), "{:?}", report.differences);
    assert_eq!((report.received, report.shared, report.settled), (a.cash_total, a.cash_total, a.cash_total));

    // A share settled and then altered behind the application's back is flagged.
    sqlx::query("UPDATE payment_shares SET amount = amount + 7 WHERE head = 'office_service'")
        .execute(h.app.store().pool())
        .await
        .unwrap();
    let report = daftar_app::money::reconcile(&h.app, By::Principal(&finance), month).await.unwrap();
    let kinds: Vec<&str> = report.differences.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, ["payment", "settlement"]);
}

// --- Cases: the permit cycle -------------------------------------------------------------

const PERMIT_PARCEL: &str = "1-000000-001";

async fn staff(h: &Harness, username: &str) -> daftar_app::Principal {
    let signed_in = auth::sign_in_staff(&h.app, username, daftar_app::demo::DEMO_PASSWORD, &meta(username))
        .await
        .unwrap();
    principal(&h.app, signed_in.token.as_str()).await
}

fn permit_request(owner: &str) -> cases::OpenCase {
    let form = [
        ("applicant_type", "person"),
        ("owner_national_id", owner),
        ("mobile", "09121234567"),
        ("renovation_code", PERMIT_PARCEL),
        ("registry_plate", "۱۲۳۴/۵۶"),
        ("district", "1"),
        ("deed_area", "500"),
        ("postal_code", "1316745891"),
        ("address", "تهران، خیابان ولیعصر، کوچهٔ بهار، پلاک ۷"),
        ("requested_floors", "2"),
    ];
    cases::OpenCase {
        service: "building_permit".into(),
        office: None,
        form: form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        owners: vec![
            cases::OwnerInput {
                identifier: owner.into(), name: "پرویز کامرانی".into(), share: "4".into()
            },
            cases::OwnerInput {
                identifier: "1583250689".into(),
                name: "شیرین یزدانی".into(),
                share: "۲".into(),
            },
        ],
    }
}

/// A request for a service about the permit, by its sole owner.
fn sole_owner_request(service: &str, form: &[(&str, &str)]) -> cases::OpenCase {
    cases::OpenCase {
        service: service.into(),
        office: None,
        form: form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        owners: vec![cases::OwnerInput {
            identifier: "0076229645".into(),
            name: "پرویز کامرانی".into(),
            share: "6".into(),
        }],
    }
}

/// What an accepted two-storey design on the demo parcel looks like, from its sheet.
async fn accepted_design(h: &Harness) -> daftar_zoning::check::Design {
    let sheet = daftar_app::plan::sheet(&h.app, PERMIT_PARCEL).await.unwrap();
    let footprint = sheet.max_footprint().unwrap().floor();
    let level = |n: i32| {
        serde_json::json!({ "level": n, "use": "residential", "gross_area": footprint.to_string(),
            "footprint_area": footprint.to_string(), "depth": "5", "units": ["80"] })
    };
    serde_json::from_value(serde_json::json!({ "levels": [level(0), level(1)], "parking_spaces": 4 }))
        .unwrap()
}

struct Crew {
    expert: daftar_app::Principal,
    holder: daftar_app::Principal,
    approver: daftar_app::Principal,
    approver2: daftar_app::Principal,
}

async fn crew(h: &Harness) -> Crew {
    daftar_app::demo::seed(&h.app).await.unwrap();
    Crew {
        expert: staff(h, "expert").await,
        holder: staff(h, "holder").await,
        approver: staff(h, "approver").await,
        approver2: staff(h, "approver2").await,
    }
}

async fn step(
    h: &Harness,
    who: &daftar_app::Principal,
    case: &cases::CaseView,
    action: &str,
    inputs: cases::ActInputs,
    reason: Option<&str>,
) -> Result<cases::CaseView, AppError> {
    let request = cases::ActRequest {
        action: action.into(),
        version: case.version,
        reason: reason.map(str::to_string),
        inputs,
    };
    cases::act(&h.app, who, &RequestMeta::default(), &case.tracking_code, &request).await
}

async fn upload(
    h: &Harness,
    who: &daftar_app::Principal,
    case: &cases::CaseView,
    kind: &str,
    name: &str,
    bytes: &[u8],
) {
    cases::upload_document(&h.app, who, &RequestMeta::default(), &case.tracking_code, kind, name, bytes)
        .await
        .unwrap();
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn visit(inspector: &str, on: &str) -> cases::ActInputs {
    cases::ActInputs { inspector: Some(inspector.into()), visit_on: Some(on.into()), ..Default::default() }
}

fn inspection(passed: bool) -> cases::ActInputs {
    cases::ActInputs {
        passed: Some(passed),
        report: Some("زمین خالی است؛ بر و کف مطابق سند است.".into()),
        checklist: [("frontage_matches".to_string(), passed)].into_iter().collect(),
        ..Default::default()
    }
}

fn tomorrow(h: &Harness) -> String {
    let now = daftar_app::Clock::now(&*h.clock);
    daftar_types::Timestamp::from_unix(now).to_tehran().date().add_days(1).unwrap().to_string()
}

/// Opens a case and takes it to the expert's review of accepted drawings.
async fn to_review(h: &Harness, c: &Crew) -> cases::CaseView {
    let m = RequestMeta::default();
    let case = cases::open_case(&h.app, &c.expert, &m, &permit_request("0076229645")).await.unwrap();
    assert_eq!((case.state.as_str(), case.version, case.service_version), ("opened", 0, 1));
    upload(h, &c.expert, &case, "deed", "deed.pdf", PDF).await;
    upload(h, &c.expert, &case, "owner_id_card", "id.pdf", PDF).await;
    let case = step(h, &c.expert, &case, "order_site_visit", Default::default(), None).await.unwrap();
    let case =
        step(h, &c.holder, &case, "schedule_site_visit", visit("expert", &tomorrow(h)), None).await.unwrap();
    let case = step(h, &c.expert, &case, "report_inspection", inspection(true), None).await.unwrap();
    assert_eq!(case.state, "inspection_reported");
    let inquiries = cases::ActInputs { inquiries: vec!["fire_inquiry".into()], ..Default::default() };
    let case = step(h, &c.expert, &case, "issue_instruction_sheet", inquiries, None).await.unwrap();
    upload(h, &c.expert, &case, "architectural_drawings", "plans.pdf", PDF).await;
    let design = cases::ActInputs { design: Some(accepted_design(h).await), ..Default::default() };
    let case = step(h, &c.expert, &case, "submit_drawings", design, None).await.unwrap();
    assert_eq!(case.state, "expert_review", "the machine check moved it on by itself");
    case
}

#[tokio::test]
async fn a_building_permit_runs_from_opening_to_the_completion_certificate() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let admin = staff(&h, "admin").await;
    let hook = daftar_app::webhooks::NewWebhook {
        agency: "fire_department".into(),
        url: "http://127.0.0.1:9/hooks".into(),
        events: vec!["case.inquiry_opened".into()],
    };
    daftar_app::webhooks::subscribe(&h.app, &admin, &hook, &m).await.unwrap();
    let case = to_review(&h, &c).await;
    let case = step(&h, &c.expert, &case, "accept_drawings", Default::default(), None).await.unwrap();
    assert_eq!(case.state, "inquiries");
    assert_eq!(case.inquiries.len(), 1, "the fire inquiry the sheet asked for");
    let queued = daftar_store::outbox::recent(h.app.store().pool(), 50).await.unwrap();
    let events: Vec<_> = queued.iter().filter(|q| q.channel == "webhook").collect();
    assert_eq!(events.len(), 1, "the fire department hears of its inquiry, and of nothing else");
    assert!(events[0].body.contains(&case.tracking_code) && events[0].body.contains("fire_inquiry"));

    // The fire department answers through its agency account.
    let agency = daftar_store::users::find_by_username(h.app.store().pool(), "fire-department")
        .await
        .unwrap()
        .unwrap();
    let agency = daftar_app::Principal {
        user_id: agency.id,
        kind: "agency".into(),
        display_name: agency.display_name,
        role: Some(Role::Agency),
        membership_id: None,
        office_id: None,
        district_id: None,
    };
    cases::answer_inquiry(&h.app, &agency, &m, &case.tracking_code, "fire_inquiry", "بی‌مانع است.", false)
        .await
        .unwrap();
    let case = cases::view(&h.app, &c.expert, &case.tracking_code).await.unwrap();
    assert_eq!(case.state, "fee_assessment", "every inquiry settled: the case moved on by itself");

    let case = step(&h, &c.expert, &case, "issue_invoice", Default::default(), None).await.unwrap();
    assert_eq!(case.state, "awaiting_payment");
    let invoice = daftar_app::money::invoice(&h.app, &case.invoices[0]).await.unwrap().invoice;
    assert!(invoice.total > 0);
    pay(&h, invoice.id, "case-ref-1", invoice.cash_total).await;
    let case = cases::view(&h.app, &c.expert, &case.tracking_code).await.unwrap();
    assert_eq!(case.state, "paid", "the payment moved the case in its own transaction");

    upload(&h, &c.expert, &case, "engineers_undertakings", "undertakings.pdf", PDF).await;
    let case = step(&h, &c.expert, &case, "submit_draft", Default::default(), None).await.unwrap();
    let case = step(&h, &c.approver, &case, "approve_first", Default::default(), None).await.unwrap();
    let same = step(&h, &c.approver, &case, "approve_second", Default::default(), None).await;
    assert!(matches!(same, Err(AppError::Conflict(_))), "the two-person rule: {same:?}");
    let case = step(&h, &c.approver2, &case, "approve_second", Default::default(), None).await.unwrap();
    assert_eq!(case.state, "permit_issued");
    let issued = case.issued.clone().expect("the permit was issued");
    let verification = cases::verify_code(&h.app, &issued.code).await.unwrap();
    assert!(verification.signature_valid);
    assert_eq!(verification.essentials["parcel_key"], PERMIT_PARCEL);
    let pdf = cases::issued_pdf(&h.app, &case.tracking_code).await.unwrap();
    assert_eq!(cases::verify_pdf(&h.app, &pdf).await.unwrap().code, issued.code);
    let mut forged = pdf.clone();
    let at = forged.windows(PERMIT_PARCEL.len()).position(|w| w == PERMIT_PARCEL.as_bytes()).unwrap();
    forged[at] = b'2';
    assert!(cases::verify_pdf(&h.app, &forged).await.is_err(), "an altered seal is refused");

    let case = step(&h, &c.expert, &case, "deliver_permit", Default::default(), None).await.unwrap();
    let supervisor = cases::ActInputs {
        supervisor: Some("مهندس کاوه شریفی، عضویت ۱-۲۳-۴۵۶۷".into()),
        ..Default::default()
    };
    let case = step(&h, &c.expert, &case, "start_works", supervisor, None).await.unwrap();
    upload(&h, &c.expert, &case, "supervisor_stage_report", "stage-1.pdf", PDF).await;
    let case = step(&h, &c.expert, &case, "file_stage_report", Default::default(), None).await.unwrap();
    let case = step(&h, &c.expert, &case, "request_completion", Default::default(), None).await.unwrap();
    assert_eq!((case.state.as_str(), case.terminal), ("completion_requested", true));

    // The completion certificate is a case of its own, about the permit.
    let form = [
        ("permit_number", issued.number.as_str()),
        ("owner_national_id", "0076229645"),
        ("mobile", "09121234567"),
        ("as_built_area", "300"),
        ("floors", "2"),
        ("works_finished_on", "1405/08/20"),
    ];
    let request = sole_owner_request("completion_certificate", &form);
    let completion = cases::open_case(&h.app, &c.expert, &m, &request).await.unwrap();
    assert_eq!(completion.parcel_key, PERMIT_PARCEL);
    for kind in ["as_built_drawings", "supervisor_final_report", "permit_copy"] {
        if completion.documents.iter().all(|d| d.kind != kind) {
            let _ =
                cases::upload_document(&h.app, &c.expert, &m, &completion.tracking_code, kind, "f.pdf", PDF)
                    .await;
        }
    }
    let completion = cases::view(&h.app, &c.expert, &completion.tracking_code).await.unwrap();
    let completion =
        step(&h, &c.holder, &completion, "schedule_inspection", visit("expert", &tomorrow(&h)), None)
            .await
            .unwrap();
    let completion =
        step(&h, &c.expert, &completion, "report_inspection", inspection(true), None).await.unwrap();
    let completion =
        step(&h, &c.approver, &completion, "approve_certificate", Default::default(), None).await.unwrap();
    assert_eq!(completion.state, "certificate_issued");
    let certificate = completion.issued.expect("the certificate was issued");
    assert!(cases::verify_code(&h.app, &certificate.code).await.unwrap().signature_valid);
}

#[tokio::test]
async fn concurrent_steps_on_one_version_let_exactly_one_through() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let case = cases::open_case(&h.app, &c.expert, &m, &permit_request("0076229645")).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..16 {
        let app = h.app.clone();
        let who = c.expert.clone();
        let tracking = case.tracking_code.clone();
        tasks.push(tokio::spawn(async move {
            let request = cases::ActRequest {
                action: "return_documents".into(),
                version: 0,
                reason: Some(format!("مدرک {n} ناخوانا است")),
                inputs: Default::default(),
            };
            cases::act(&app, &who, &RequestMeta::default(), &tracking, &request).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(AppError::Conflict(message)) => assert!(message.en.contains("changed"), "{}", message.en),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1);
    let case = cases::view(&h.app, &c.expert, &case.tracking_code).await.unwrap();
    assert_eq!((case.version, case.steps.len()), (1, 1));
    let again = step(
        &h,
        &c.expert,
        &cases::CaseView { version: 0, ..case.clone() },
        "resubmit_documents",
        Default::default(),
        None,
    )
    .await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "a repeated request on the old version is refused");
}

#[tokio::test]
async fn a_failed_inspection_schedules_a_reinspection() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let case = cases::open_case(&h.app, &c.expert, &m, &permit_request("0076229645")).await.unwrap();
    let blocked = step(&h, &c.expert, &case, "order_site_visit", Default::default(), None).await;
    assert!(matches!(blocked, Err(AppError::Conflict(_))), "documents are missing");
    upload(&h, &c.expert, &case, "deed", "deed.pdf", PDF).await;
    upload(&h, &c.expert, &case, "owner_id_card", "id.pdf", PDF).await;
    let case = step(&h, &c.expert, &case, "order_site_visit", Default::default(), None).await.unwrap();
    let wrong =
        step(&h, &c.holder, &case, "schedule_site_visit", visit("approver", &tomorrow(&h)), None).await;
    assert!(matches!(wrong, Err(AppError::Invalid(ref f)) if f[0].field == "inspector"));
    let case = step(&h, &c.holder, &case, "schedule_site_visit", visit("expert", &tomorrow(&h)), None)
        .await
        .unwrap();
    let not_inspector = step(&h, &c.holder, &case, "report_inspection", inspection(false), None).await;
    assert!(matches!(not_inspector, Err(AppError::Forbidden)));
    let case = step(&h, &c.expert, &case, "report_inspection", inspection(false), None).await.unwrap();
    assert_eq!(case.state, "site_visit_scheduled", "re-inspection ordered by itself");
    assert_eq!(case.inspections.len(), 2);
    assert_eq!(case.inspections[0].passed, Some(false));
    assert_eq!(case.inspections[1].passed, None);
    let case = step(&h, &c.expert, &case, "report_inspection", inspection(true), None).await.unwrap();
    assert_eq!(case.state, "inspection_reported");
}

#[tokio::test]
async fn a_waived_fee_moves_the_case_on_by_itself() {
    let h = harness().await;
    let c = crew(&h).await;
    let finance = staff(&h, "finance").await;
    let m = RequestMeta::default();
    let case = to_review(&h, &c).await;
    let case = step(&h, &c.expert, &case, "accept_drawings", Default::default(), None).await.unwrap();
    // The optional inquiry turned out unnecessary: the office withdraws it.
    cases::answer_inquiry(
        &h.app,
        &c.expert,
        &m,
        &case.tracking_code,
        "fire_inquiry",
        "ساختمان زیر ۳ طبقه است.",
        true,
    )
    .await
    .unwrap();
    let case = cases::view(&h.app, &c.expert, &case.tracking_code).await.unwrap();
    let case = step(&h, &c.expert, &case, "issue_invoice", Default::default(), None).await.unwrap();
    assert_eq!(case.state, "awaiting_payment");
    let invoice = daftar_app::money::invoice(&h.app, &case.invoices[0]).await.unwrap();
    let mut heads: Vec<String> = invoice.assessment.lines.iter().map(|l| l.head.clone()).collect();
    heads.dedup();
    daftar_app::money::waive(&h.app, &finance, &m, &case.invoices[0], &heads, "مصوبهٔ شورای شهر ۱۲")
        .await
        .unwrap();
    let case = cases::view(&h.app, &c.expert, &case.tracking_code).await.unwrap();
    assert_eq!(case.state, "paid", "nothing owed: confirmed without a payment");
    assert!(case.steps.iter().any(|s| s.action == "confirm_payment" && s.automatic));
}

#[tokio::test]
async fn an_office_cannot_touch_another_offices_case() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let case = cases::open_case(&h.app, &c.expert, &m, &permit_request("0076229645")).await.unwrap();
    let form = NewStaff {
        username: "tajrish-expert".into(),
        display_name: "کارشناس تجریش".into(),
        password: daftar_app::demo::DEMO_PASSWORD.into(),
        role: "office_expert".into(),
        office: Some("OF-1002".into()),
        district: None,
    };
    daftar_app::users::add_staff(&h.app, By::System("test"), &form, &m).await.unwrap();
    let other = staff(&h, "tajrish-expert").await;
    assert!(matches!(cases::view(&h.app, &other, &case.tracking_code).await, Err(AppError::Forbidden)));
    let refused = step(&h, &other, &case, "return_documents", Default::default(), Some("نه")).await;
    assert!(matches!(refused, Err(AppError::Forbidden)));
    let upload = cases::upload_document(&h.app, &other, &m, &case.tracking_code, "deed", "d.pdf", PDF).await;
    assert!(matches!(upload, Err(AppError::Forbidden)));
    let inbox = cases::inbox(&h.app, &other, None, None).await.unwrap();
    assert!(inbox.is_empty(), "an office's inbox holds its own cases only");
    let own = cases::inbox(&h.app, &c.expert, None, Some("کامرانی")).await.unwrap();
    assert_eq!(own.len(), 1, "found by the owner's name, Persian-normalised");
    let district = cases::inbox(&h.app, &c.approver, None, None).await.unwrap();
    assert_eq!(district.len(), 1, "the district sees its district's cases");
}

#[tokio::test]
async fn uploads_are_checked_by_content_size_and_name() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let case = cases::open_case(&h.app, &c.expert, &m, &permit_request("0076229645")).await.unwrap();
    let up = |kind: &'static str, name: &'static str, bytes: Vec<u8>| {
        let (app, who, tracking) = (h.app.clone(), c.expert.clone(), case.tracking_code.clone());
        async move {
            cases::upload_document(&app, &who, &RequestMeta::default(), &tracking, kind, name, &bytes).await
        }
    };
    let mut big = PDF.to_vec();
    big.resize(6 * 1024 * 1024, b' ');
    let field_of = |r: Result<i64, AppError>| match r {
        Err(AppError::Invalid(f)) => (f[0].field.to_string(), f[0].message.fa.clone()),
        other => panic!("expected a field error, got {other:?}"),
    };
    let (field, fa) = field_of(up("owner_id_card", "id.pdf", big).await);
    assert_eq!(field, "documents.owner_id_card");
    assert!(fa.contains("کارت ملی"), "{fa}");
    let (field, _) = field_of(up("deed", "deed.pdf", b"MZ\x90\x00 this is a program".to_vec()).await);
    assert_eq!(field, "documents.deed", "a program named .pdf is refused");
    let (field, _) = field_of(up("no_such_kind", "x.pdf", PDF.to_vec()).await);
    assert_eq!(field, "documents.no_such_kind");
    up("deed", "../../../etc/passwd.pdf", PDF.to_vec()).await.unwrap();
    let case = cases::view(&h.app, &c.expert, &case.tracking_code).await.unwrap();
    assert_eq!(case.documents.len(), 1, "nothing refused was kept");
    assert_eq!(case.documents[0].file_name, "passwd.pdf");
    assert_eq!(case.documents[0].mime_type, "application/pdf");
}

#[tokio::test]
async fn a_new_service_version_leaves_open_cases_on_theirs() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let old = cases::open_case(&h.app, &c.expert, &m, &permit_request("0076229645")).await.unwrap();
    let admin = staff(&h, "admin").await;
    let v2 = daftar_workflow::DEMO_SERVICES[0].1.replacen("version = 1", "version = 2", 1).replacen(
        "name_fa = \"پروانه ساختمانی\"",
        "name_fa = \"پروانهٔ ساختمانی (نسخهٔ ۲)\"",
        1,
    );
    let refused = cases::publish_service(&h.app, By::Principal(&c.expert), &m, &v2).await;
    assert!(matches!(refused, Err(AppError::Forbidden)));
    let published = cases::publish_service(&h.app, By::Principal(&admin), &m, &v2).await.unwrap();
    assert!(published.in_force);
    let again = cases::publish_service(&h.app, By::Principal(&admin), &m, &v2).await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "a version is published once");
    let broken = cases::publish_service(&h.app, By::Principal(&admin), &m, "code = 1").await;
    assert!(matches!(broken, Err(AppError::Invalid(ref f)) if f[0].field == "definition"));

    let new = cases::open_case(&h.app, &c.expert, &m, &permit_request("1583250689")).await.unwrap();
    assert_eq!(new.service_version, 2);
    assert!(new.service_name_fa.contains("نسخهٔ ۲"));
    let old = cases::view(&h.app, &c.expert, &old.tracking_code).await.unwrap();
    assert_eq!(old.service_version, 1, "the open case keeps its version");
    upload(&h, &c.expert, &old, "deed", "deed.pdf", PDF).await;
    upload(&h, &c.expert, &old, "owner_id_card", "id.pdf", PDF).await;
    let old = step(&h, &c.expert, &old, "order_site_visit", Default::default(), None).await.unwrap();
    assert_eq!((old.state.as_str(), old.service_version), ("site_visit_ordered", 1));
}

#[tokio::test]
async fn a_case_past_its_deadline_is_escalated_once() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let case = cases::open_case(&h.app, &c.expert, &m, &permit_request("0076229645")).await.unwrap();
    assert!(case.due_at.is_some());
    assert_eq!(cases::escalate_overdue(&h.app).await.unwrap(), 0);
    h.clock.advance(5 * 24 * 3600);
    assert_eq!(cases::escalate_overdue(&h.app).await.unwrap(), 1);
    assert_eq!(cases::escalate_overdue(&h.app).await.unwrap(), 0, "once per stay in a state");
    let supervisor = staff(&h, "supervisor").await;
    let inbox = cases::inbox(&h.app, &supervisor, None, None).await.unwrap();
    assert!(inbox[0].escalated && inbox[0].overdue);

    let complaint = cases::file_complaint(
        &h.app,
        &m,
        &case.tracking_code,
        "0076229645",
        "پرونده‌ام پنج روز است بی‌پاسخ مانده.",
    )
    .await
    .unwrap();
    let wrong =
        cases::file_complaint(&h.app, &m, &case.tracking_code, "1583250689", "پرونده‌ام بی‌پاسخ مانده است.")
            .await;
    assert!(matches!(wrong, Err(AppError::NotFound)), "only the applicant, by national ID");
    assert_eq!(cases::open_complaints(&h.app, &supervisor).await.unwrap().len(), 1);
    cases::answer_complaint(&h.app, &supervisor, &m, complaint.id, "پیگیری شد؛ بازدید فردا انجام می‌شود.")
        .await
        .unwrap();
    assert!(cases::open_complaints(&h.app, &supervisor).await.unwrap().is_empty());
    let tracked = cases::track(&h.app, &case.tracking_code, "0076229645").await.unwrap();
    assert_eq!(tracked.complaints[0].status, "answered");
    assert!(tracked.actions.is_empty(), "the public view offers no actions");
}

/// Takes a case from review to a delivered permit: inquiries none, fees paid, two approvals.
async fn to_delivered_permit(h: &Harness, c: &Crew) -> cases::CaseView {
    let m = RequestMeta::default();
    let case = to_review(h, c).await;
    let case = step(h, &c.expert, &case, "accept_drawings", Default::default(), None).await.unwrap();
    cases::answer_inquiry(&h.app, &c.expert, &m, &case.tracking_code, "fire_inquiry", "لازم نیست.", true)
        .await
        .unwrap();
    let case = cases::view(&h.app, &c.expert, &case.tracking_code).await.unwrap();
    let case = step(h, &c.expert, &case, "issue_invoice", Default::default(), None).await.unwrap();
    let invoice = daftar_app::money::invoice(&h.app, &case.invoices[0]).await.unwrap().invoice;
    pay(h, invoice.id, &format!("ref-{}", case.tracking_code), invoice.cash_total).await;
    let case = cases::view(&h.app, &c.expert, &case.tracking_code).await.unwrap();
    upload(h, &c.expert, &case, "engineers_undertakings", "u.pdf", PDF).await;
    let case = step(h, &c.expert, &case, "submit_draft", Default::default(), None).await.unwrap();
    let case = step(h, &c.approver, &case, "approve_first", Default::default(), None).await.unwrap();
    let case = step(h, &c.approver2, &case, "approve_second", Default::default(), None).await.unwrap();
    step(h, &c.expert, &case, "deliver_permit", Default::default(), None).await.unwrap()
}

#[tokio::test]
async fn after_the_permit_an_agency_runs_its_own_service_and_an_unextended_permit_expires() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let permit = to_delivered_permit(&h, &c).await;
    let issued = permit.issued.clone().unwrap();
    assert!(issued.delivered);
    let months = cases::ActInputs { months: Some(6), ..Default::default() };
    let extended = step(&h, &c.approver, &permit, "extend_permit", months, None).await.unwrap();
    assert_eq!(extended.state, "extended");
    let until = extended.issued.clone().unwrap().valid_until.unwrap();
    assert!(until > issued.valid_until.clone().unwrap(), "the deadline moved: {until}");

    // The fire department's safety approval runs on the same engine, acted on by the agency.
    let form = [
        ("permit_number", issued.number.as_str()),
        ("owner_national_id", "0076229645"),
        ("mobile", "09121234567"),
        ("occupancy", "residential"),
        ("floors", "2"),
        ("gross_area", "300"),
    ];
    let request = sole_owner_request("fire_safety_approval", &form);
    let fire = cases::open_case(&h.app, &c.expert, &m, &request).await.unwrap();
    for kind in ["fire_safety_plan", "permit_copy"] {
        let _ = cases::upload_document(&h.app, &c.expert, &m, &fire.tracking_code, kind, "f.pdf", PDF).await;
    }
    let fire = cases::view(&h.app, &c.expert, &fire.tracking_code).await.unwrap();
    let fire = step(&h, &c.expert, &fire, "forward_to_agency", Default::default(), None).await.unwrap();
    let agency = daftar_store::users::find_by_username(h.app.store().pool(), "fire-department")
        .await
        .unwrap()
        .unwrap();
    let agency = daftar_app::Principal {
        user_id: agency.id,
        kind: "agency".into(),
        display_name: agency.display_name,
        role: Some(Role::Agency),
        membership_id: None,
        office_id: None,
        district_id: None,
    };
    let office_refused = step(&h, &c.expert, &fire, "approve_plans", Default::default(), None).await;
    assert!(matches!(office_refused, Err(AppError::Forbidden)), "the agency's decision is the agency's");
    let fire = step(&h, &agency, &fire, "approve_plans", Default::default(), None).await.unwrap();
    assert_eq!(fire.state, "inspection_scheduled");
    let other = step(&h, &agency, &permit, "extend_permit", Default::default(), None).await;
    assert!(matches!(other, Err(AppError::Forbidden)), "an agency has no say in the municipality's service");

    // A certificate of no violation while building: a visit finds a violation, the Article 100
    // commission rules, a second visit finds none, and the certificate is sealed.
    let form = [
        ("permit_number", issued.number.as_str()),
        ("owner_national_id", "0076229645"),
        ("mobile", "09121234567"),
        ("works_stage", "skeleton"),
        ("purpose", "bank_loan"),
    ];
    let request = sole_owner_request("no_violation_certificate", &form);
    let nv = cases::open_case(&h.app, &c.expert, &m, &request).await.unwrap();
    let reviewer = staff(&h, "reviewer").await;
    let nv =
        step(&h, &c.holder, &nv, "schedule_site_visit", visit("expert", &tomorrow(&h)), None).await.unwrap();
    let found = cases::ActInputs { violation: Some(true), ..inspection(true) };
    let nv = step(&h, &c.expert, &nv, "report_site_visit", found, None).await.unwrap();
    assert_eq!(nv.state, "article_100_commission", "a violation goes to the commission by itself");
    let nv =
        step(&h, &reviewer, &nv, "record_ruling", Default::default(), Some("جریمه پرداخت شد")).await.unwrap();
    assert_eq!(nv.state, "site_visit_scheduled");
    let nv = step(&h, &c.expert, &nv, "report_site_visit", inspection(true), None).await.unwrap();
    let nv = step(&h, &reviewer, &nv, "issue_certificate", Default::default(), None).await.unwrap();
    assert_eq!(nv.state, "certificate_issued");
    let certificate = nv.issued.clone().unwrap();
    assert_eq!(cases::verify_code(&h.app, &certificate.code).await.unwrap().kind, "no_violation_certificate");

    // Time passes beyond the extended deadline: the sweep lets the permit expire.
    h.clock.advance(4 * 365 * 24 * 3600);
    cases::escalate_overdue(&h.app).await.unwrap();
    let expired = cases::view(&h.app, &c.expert, &permit.tracking_code).await.unwrap();
    assert_eq!((expired.state.as_str(), expired.terminal), ("expired", true));
    assert!(cases::verify_code(&h.app, &issued.code).await.unwrap().expired);
}

#[tokio::test]
async fn a_returned_case_comes_back_and_a_rejected_one_ends() {
    let h = harness().await;
    let c = crew(&h).await;
    let m = RequestMeta::default();
    let case = cases::open_case(&h.app, &c.expert, &m, &permit_request("0076229645")).await.unwrap();
    let no_reason = step(&h, &c.expert, &case, "return_documents", Default::default(), None).await;
    assert!(matches!(no_reason, Err(AppError::Invalid(ref f)) if f[0].field == "reason"));
    let case = step(&h, &c.expert, &case, "return_documents", Default::default(), Some("سند ناخوانا است"))
        .await
        .unwrap();
    assert_eq!(case.state, "documents_correction");
    assert_eq!(case.due_at, None, "waiting on the applicant: no clock");
    let reviewer = staff(&h, "reviewer").await;
    let citizen = {
        let sent = auth::request_code(&h.app, "0076229645", "09121234567", &meta("c")).await.unwrap();
        let code = last_code(&h.app).await;
        let signed_in = auth::verify_code(&h.app, &sent.challenge, &code, &meta("c")).await.unwrap();
        principal(&h.app, signed_in.token.as_str()).await
    };
    let case = step(&h, &citizen, &case, "resubmit_documents", Default::default(), None).await.unwrap();
    assert_eq!(case.state, "opened");
    let case =
        step(&h, &reviewer, &case, "reject", Default::default(), Some("کاربری ملک با درخواست نمی‌خواند"))
            .await
            .unwrap();
    assert_eq!((case.state.as_str(), case.terminal), ("rejected", true));
    let late = cases::upload_document(&h.app, &c.expert, &m, &case.tracking_code, "deed", "d.pdf", PDF).await;
    assert!(matches!(late, Err(AppError::Conflict(_))), "a closed case takes no documents");
}

/// One request a webhook receiver got.
struct Delivery {
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Delivery {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// A webhook endpoint on a loopback port that records every request and answers 500 to the
/// first `failures` of them, 204 afterwards.
struct Receiver {
    url: String,
    deliveries: Arc<std::sync::Mutex<Vec<Delivery>>>,
}

async fn receiver(failures: usize) -> Receiver {
    use axum::http::StatusCode;
    let deliveries = Arc::new(std::sync::Mutex::new(Vec::new()));
    let remaining_failures = Arc::new(AtomicUsize::new(failures));
    let recorded = deliveries.clone();
    let endpoint =
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
            recorded.lock().unwrap().push(Delivery { headers, body: body.to_vec() });
            let failing = remaining_failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if failing { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NO_CONTENT }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().route("/hook", endpoint)).await });
    Receiver { url, deliveries }
}

async fn signed_in_admin(app: &App) -> daftar_app::Principal {
    add_admin(app).await;
    let signed_in =
        auth::sign_in_staff(app, "root-admin", "kooh-e damavand barfi ast", &meta("p")).await.unwrap();
    principal(app, signed_in.token.as_str()).await
}

async fn subscribe(
    app: &App,
    admin: &daftar_app::Principal,
    agency: &str,
    url: &str,
    events: &[&str],
) -> String {
    let form = daftar_app::webhooks::NewWebhook {
        agency: agency.into(),
        url: url.into(),
        events: events.iter().map(|e| e.to_string()).collect(),
    };
    let created = daftar_app::webhooks::subscribe(app, admin, &form, &meta("p")).await.unwrap();
    created.secret.expose().to_string()
}

/// A business transaction that queues `event` for the fire department; returns how many
/// deliveries it queued.
async fn case_event(app: &App, event: &str) -> usize {
    let mut tx = app.store().begin_write().await.unwrap();
    let payload = serde_json::json!({ "case": "BP-1405-0001", "state": "opened" });
    let queued = daftar_app::webhooks::enqueue(&mut tx, app, "fire", event, &payload).await.unwrap();
    tx.audit(daftar_app::audit::entry(
        app,
        By::System("test"),
        &RequestMeta::default(),
        event,
        ("case", "BP-1405-0001".into()),
        payload,
    ));
    tx.commit().await.unwrap();
    queued
}

/// The signature a receiver expects, computed from the secret as an agency would.
fn expected_signature(secret: &str, delivery: &Delivery) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.", delivery.header("x-daftar-timestamp")).as_bytes());
    mac.update(&delivery.body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_webhook_is_delivered_signed_and_only_for_subscribed_events() {
    let h = harness().await;
    let admin = signed_in_admin(&h.app).await;
    let receiver = receiver(0).await;
    let secret = subscribe(&h.app, &admin, "fire", &receiver.url, &["case.opened"]).await;
    subscribe(&h.app, &admin, "police", &receiver.url, &["*"]).await;

    assert_eq!(case_event(&h.app, "case.opened").await, 1);
    assert_eq!(case_event(&h.app, "case.closed").await, 0, "the fire department did not ask for it");
    assert_eq!(daftar_app::outbox::deliver_due(&h.app).await.unwrap(), 1);

    let deliveries = std::mem::take(&mut *receiver.deliveries.lock().unwrap());
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.header("x-daftar-event"), "case.opened");
    assert_eq!(delivery.header("x-daftar-timestamp"), START.to_string());
    assert_eq!(delivery.header("content-type"), "application/json");
    assert_eq!(delivery.header("x-daftar-signature"), expected_signature(&secret, delivery));
    let body: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(body["event"], "case.opened");
    assert_eq!(body["agency"], "fire");
    assert_eq!(body["data"]["case"], "BP-1405-0001");

    let id: i64 = delivery.header("x-daftar-delivery").parse().unwrap();
    let row = daftar_store::outbox::get(h.app.store().pool(), id).await.unwrap().unwrap();
    assert_eq!((row.channel.as_str(), row.status.as_str()), ("webhook", "delivered"));
    assert!(
        !row.body.contains(&secret) && !format!("{row:?}").contains(&secret),
        "the secret stays out of the outbox"
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_and_an_ended_subscription_is_given_up() {
    let h = harness().await;
    let admin = signed_in_admin(&h.app).await;
    let receiver = receiver(2).await;
    let secret = subscribe(&h.app, &admin, "fire", &receiver.url, &["*"]).await;
    assert_eq!(case_event(&h.app, "case.opened").await, 1);
    let outbox = || async { daftar_store::outbox::recent(h.app.store().pool(), 1).await.unwrap().remove(0) };

    assert_eq!(daftar_app::outbox::deliver_due(&h.app).await.unwrap(), 1);
    let row = outbox().await;
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    assert!(row.last_error.as_deref().unwrap_or_default().contains("500"), "{:?}", row.last_error);
    assert_eq!(row.next_attempt_at, START + daftar_app::outbox::backoff_s(1));
    assert_eq!(daftar_app::outbox::deliver_due(&h.app).await.unwrap(), 0, "not before its backoff");

    h.clock.advance(daftar_app::outbox::backoff_s(1));
    daftar_app::outbox::deliver_due(&h.app).await.unwrap();
    assert_eq!(outbox().await.attempts, 2);
    h.clock.advance(daftar_app::outbox::backoff_s(2));
    daftar_app::outbox::deliver_due(&h.app).await.unwrap();
    let row = outbox().await;
    assert_eq!((row.status.as_str(), row.attempts), ("delivered", 3));
    {
        let deliveries = receiver.deliveries.lock().unwrap();
        assert_eq!(deliveries.len(), 3);
        for delivery in deliveries.iter() {
            assert_eq!(
                delivery.header("x-daftar-delivery"),
                row.id.to_string(),
                "one delivery id for every try"
            );
            assert_eq!(delivery.header("x-daftar-signature"), expected_signature(&secret, delivery));
        }
        assert_ne!(deliveries[0].header("x-daftar-timestamp"), deliveries[2].header("x-daftar-timestamp"));
    }

    // A delivery whose subscription has ended is given up without calling anyone.
    assert_eq!(case_event(&h.app, "case.opened").await, 1);
    let views = daftar_app::webhooks::list(&h.app, &admin).await.unwrap();
    daftar_app::webhooks::unsubscribe(&h.app, &admin, views[0].id, &meta("p")).await.unwrap();
    daftar_app::outbox::deliver_due(&h.app).await.unwrap();
    let row = outbox().await;
    assert_eq!((row.status.as_str(), row.attempts), ("failed", 1));
    assert_eq!(receiver.deliveries.lock().unwrap().len(), 3);
    let none = daftar_app::webhooks::list(&h.app, &admin).await.unwrap();
    assert!(none.is_empty());
    assert_eq!(case_event(&h.app, "case.opened").await, 0, "nothing is queued for an ended subscription");
}

#[tokio::test]
async fn idempotency_keys_expire_after_a_day_and_abandoned_claims_are_taken_over() {
    use daftar_app::idempotency::{self, StoredResponse};
    let h = harness().await;
    let first = idempotency::request_digest("POST", "/api/v1/users", b"{\"a\":1}");
    let other = idempotency::request_digest("POST", "/api/v1/users", b"{\"a\":2}");
    let response =
        StoredResponse { status: 201, content_type: Some("application/json".into()), body: b"{}".to_vec() };

    assert_eq!(idempotency::begin(&h.app, "user:1", "k1", &first).await.unwrap(), None);
    idempotency::finish(&h.app, "user:1", "k1", &response).await.unwrap();
    assert_eq!(idempotency::begin(&h.app, "user:1", "k1", &first).await.unwrap(), Some(response.clone()));
    assert!(matches!(idempotency::begin(&h.app, "user:1", "k1", &other).await, Err(AppError::Invalid(_))));
    assert_eq!(
        idempotency::begin(&h.app, "user:2", "k1", &other).await.unwrap(),
        None,
        "another caller's key"
    );

    // A claim whose request never finished blocks the key only until it is plainly abandoned.
    assert_eq!(idempotency::begin(&h.app, "user:1", "k2", &first).await.unwrap(), None);
    assert!(matches!(idempotency::begin(&h.app, "user:1", "k2", &first).await, Err(AppError::Conflict(_))));
    h.clock.advance(idempotency::ABANDONED_AFTER_S);
    assert_eq!(idempotency::begin(&h.app, "user:1", "k2", &first).await.unwrap(), None, "taken over");

    h.clock.advance(idempotency::KEY_TTL_S);
    assert_eq!(idempotency::sweep(&h.app).await.unwrap(), 3, "every key is a day old");
    assert_eq!(
        idempotency::begin(&h.app, "user:1", "k1", &other).await.unwrap(),
        None,
        "the key is free again"
    );
}
