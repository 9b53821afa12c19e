//! Use cases against a real database (SQLite, or PostgreSQL with DAFTAR_TEST_DATABASE_URL),
//! with a clock the tests move.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use daftar_app::audit::By;
use daftar_app::auth::{self, SessionState};
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
    // 3 districts, 4 offices, 12 staff, 3 citizens, the agency and its key, the fee bylaw, the
    // plan rules, the licensing call and the plan map.
    assert_eq!(report.records, 28);
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
