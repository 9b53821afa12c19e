//! Signing in and out: staff by password (and TOTP when enrolled), citizens by national ID,
//! mobile number and a one-time code sent by SMS. Sessions live in the database.

use std::time::Duration;

use base64::Engine;
use daftar_store::users::{NewUser, UserRow};
use daftar_store::{StoreError, WriteTx, orgs, otp, rate_limit, sessions, users};
use daftar_types::{Lang, Mobile, NationalId};
use serde_json::json;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::audit::{By, entry};
use crate::authz::{Principal, Role};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta, outbox, passwords};

/// A one-time code is valid for five minutes and five tries.
pub const CODE_TTL_S: i64 = 300;
pub const CODE_MAX_ATTEMPTS: i64 = 5;

/// The secret in a session cookie. Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    fn generate() -> SessionToken {
        SessionToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::random_bytes::<32>()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new session.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SessionToken,
    /// The password was right; the TOTP code is still owed.
    pub awaiting_second_factor: bool,
    pub max_age_s: i64,
}

/// What a session cookie stands for.
#[derive(Debug, Clone)]
pub enum SessionState {
    AwaitingSecondFactor { user_id: i64 },
    SignedIn(Principal),
}

fn field(name: &'static str, fa: &str, en: &str) -> impl Fn(Message) -> FieldError {
    let label = Message::new(fa, en);
    move |message| FieldError::new(name, label.clone(), message)
}

fn username_field() -> impl Fn(Message) -> FieldError {
    field("username", "نام کاربری", "Username")
}

fn password_field() -> impl Fn(Message) -> FieldError {
    field("password", "گذرواژه", "Password")
}

fn code_field() -> impl Fn(Message) -> FieldError {
    field("code", "کد یک‌بارمصرف", "One-time code")
}

/// An audit entry for a sign-in event of a user, with nothing more to say.
fn user_event(app: &App, user_id: i64, meta: &RequestMeta, action: &str) -> daftar_store::AuditEntry {
    entry(app, By::User(user_id), meta, action, ("user", user_id.to_string()), json!({}))
}

/// Counts one attempt in a rate-limit bucket; refuses past `max`.
async fn limit(app: &App, bucket: String, max: i64) -> AppResult<()> {
    let window = app.config().rate_limits.window_s;
    let mut tx = app.store().begin_housekeeping().await?;
    let hits = rate_limit::hit(tx.conn(), &bucket, app.now(), window).await?;
    tx.commit().await?;
    if hits > max {
        return Err(AppError::RateLimited { retry_after_s: window });
    }
    Ok(())
}

fn peer_bucket(kind: &str, meta: &RequestMeta) -> String {
    format!("{kind}:peer:{}", meta.peer.as_deref().unwrap_or("unknown"))
}

async fn open_session(tx: &mut WriteTx, app: &App, user: &UserRow, awaiting: bool) -> AppResult<SignedIn> {
    let memberships = orgs::memberships_of(tx.conn(), user.id).await?;
    let policy = app.config().sessions;
    let (idle, absolute) = if user.kind == "citizen" {
        (policy.citizen_idle_s, policy.citizen_absolute_s)
    } else {
        (policy.staff_idle_s, policy.staff_absolute_s)
    };
    let token = SessionToken::generate();
    let now = app.now();
    sessions::insert(
        tx.conn(),
        &sessions::SessionRow {
            token_hash: token_hash(token.as_str()),
            user_id: user.id,
            membership_id: memberships.first().map(|m| m.id),
            awaiting_totp: i64::from(awaiting),
            created_at: now,
            last_seen_at: now,
            idle_timeout_s: idle,
            expires_at: now + absolute,
        },
    )
    .await?;
    Ok(SignedIn { token, awaiting_second_factor: awaiting, max_age_s: absolute })
}

/// Staff sign-in with username and password.
pub async fn sign_in_staff(
    app: &App,
    username: &str,
    password: &str,
    meta: &RequestMeta,
) -> AppResult<SignedIn> {
    let username = daftar_types::text::normalize(username).to_lowercase();
    let mut problems = Vec::new();
    if username.is_empty() {
        problems.push(username_field()(Message::new("نام کاربری را بنویسید.", "Enter your username.")));
    }
    if password.is_empty() {
        problems.push(password_field()(Message::new("گذرواژه را بنویسید.", "Enter your password.")));
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let limits = app.config().rate_limits;
    limit(app, peer_bucket("sign-in", meta), limits.sign_in_per_peer).await?;
    limit(app, format!("sign-in:account:{username}"), limits.sign_in_per_account).await?;

    let user = users::find_by_username(app.store().pool(), &username).await?;
    let stored = user.as_ref().filter(|u| u.is_active()).and_then(|u| u.password_hash.clone());
    let ok = passwords::verify(password.to_string(), stored).await;
    let mut tx = app.store().begin_write().await?;
    let Some(user) = user.filter(|_| ok) else {
        tx.audit(entry(
            app,
            By::System("anonymous"),
            meta,
            "auth.sign_in_failed",
            ("username", username),
            json!({}),
        ));
        app.commit(tx).await?;
        return Err(AppError::invalid(password_field()(Message::new(
            "نام کاربری یا گذرواژه درست نیست.",
            "The username or password is not correct.",
        ))));
    };
    let signed_in = open_session(&mut tx, app, &user, user.totp_enabled()).await?;
    tx.audit(entry(
        app,
        By::User(user.id),
        meta,
        "auth.signed_in",
        ("user", user.id.to_string()),
        json!({ "method": "password", "second_factor_pending": signed_in.awaiting_second_factor }),
    ));
    app.commit(tx).await?;
    let mut tx = app.store().begin_housekeeping().await?;
    rate_limit::clear(tx.conn(), &format!("sign-in:account:{username}")).await?;
    tx.commit().await?;
    Ok(signed_in)
}

fn totp_for(app: &App, secret_base32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, Some(app.config().totp_issuer.clone()), account.to_string())
        .ok()
}

fn totp_accepts(app: &App, user: &UserRow, code: &str) -> bool {
    let code = daftar_types::digits::fold_to_ascii(code.trim());
    let account = user.username.clone().unwrap_or_default();
    user.totp_secret
        .as_deref()
        .and_then(|secret| totp_for(app, secret, &account))
        .is_some_and(|totp| totp.check(&code, u64::try_from(app.now()).unwrap_or(0)))
}

/// The second step of a staff sign-in with TOTP enrolled.
pub async fn second_factor(
    app: &App,
    token: &str,
    user_id: i64,
    code: &str,
    meta: &RequestMeta,
) -> AppResult<()> {
    limit(app, format!("totp:account:{user_id}"), app.config().rate_limits.sign_in_per_account).await?;
    let user = users::get(app.store().pool(), user_id).await?.ok_or(AppError::Unauthenticated)?;
    let mut tx = app.store().begin_write().await?;
    if !totp_accepts(app, &user, code) {
        tx.audit(user_event(app, user_id, meta, "auth.second_factor_failed"));
        app.commit(tx).await?;
        return Err(AppError::invalid(code_field()(Message::new(
            "کد برنامهٔ احراز هویت درست نیست.",
            "The authenticator code is not correct.",
        ))));
    }
    if !sessions::clear_awaiting_totp(tx.conn(), &token_hash(token)).await? {
        tx.rollback().await?;
        return Err(AppError::Unauthenticated);
    }
    tx.audit(user_event(app, user_id, meta, "auth.second_factor_passed"));
    app.commit(tx).await?;
    Ok(())
}

/// A code request that was accepted. The same answer is given whether or not a code was sent,
/// so that the form does not reveal which national IDs have which mobile numbers.
#[derive(Debug, Clone)]
pub struct CodeRequested {
    pub challenge: String,
    pub mobile_masked: String,
}

fn code_hash(challenge: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{challenge}:{code}").as_bytes()))
}

/// Sends a one-time code to a citizen's mobile number.
pub async fn request_code(
    app: &App,
    national_id: &str,
    mobile: &str,
    meta: &RequestMeta,
) -> AppResult<CodeRequested> {
    let national_id = NationalId::parse(national_id);
    let mobile = Mobile::parse(mobile);
    let mut problems = Vec::new();
    if let Err(err) = &national_id {
        problems.push(field("national_id", "کد ملی", "National ID")(Message::new(
            err.message(Lang::Fa),
            err.message(Lang::En),
        )));
    }
    if let Err(err) = &mobile {
        problems.push(field("mobile", "شمارهٔ همراه", "Mobile number")(Message::new(
            err.message(Lang::Fa),
            err.message(Lang::En),
        )));
    }
    let (Ok(national_id), Ok(mobile)) = (national_id, mobile) else {
        return Err(AppError::Invalid(problems));
    };
    let limits = app.config().rate_limits;
    limit(app, peer_bucket("code", meta), limits.codes_per_peer).await?;
    limit(app, format!("code:national-id:{}", national_id.as_str()), limits.codes_per_national_id).await?;

    let existing = users::find_by_national_id(app.store().pool(), national_id.as_str()).await?;
    let matches = existing.as_ref().is_none_or(|u| u.mobile.as_deref() == Some(mobile.as_str()));
    let challenge = hex::encode(crate::random_bytes::<16>());
    let code = format!("{:06}", u32::from_le_bytes(crate::random_bytes::<4>()) % 1_000_000);
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    otp::insert(
        tx.conn(),
        &otp::NewChallenge {
            public_id: &challenge,
            national_id: national_id.as_str(),
            mobile: mobile.as_str(),
            code_hash: &code_hash(&challenge, &code),
            expires_at: now + CODE_TTL_S,
        },
        now,
    )
    .await?;
    if matches {
        let body =
            format!("دفتر: کد ورود شما {code}\nاین کد تا ۵ دقیقه معتبر است.\nDaftar sign-in code: {code}");
        outbox::queue_sms(&mut tx, app, mobile.as_str(), &body).await?;
    }
    tx.audit(entry(
        app,
        By::System("anonymous"),
        meta,
        "auth.code_requested",
        ("otp_challenge", challenge.clone()),
        json!({ "national_id": national_id.masked(), "mobile": mobile.masked(), "sent": matches }),
    ));
    app.commit(tx).await?;
    app.queued_message();
    Ok(CodeRequested { challenge, mobile_masked: mobile.masked() })
}

/// Checks a one-time code; on success signs the citizen in, creating the account on first use.
pub async fn verify_code(app: &App, challenge: &str, code: &str, meta: &RequestMeta) -> AppResult<SignedIn> {
    let code = daftar_types::digits::fold_to_ascii(code.trim());
    let expired = || {
        AppError::invalid(code_field()(Message::new(
            "این کد دیگر معتبر نیست؛ کد تازه‌ای بگیرید.",
            "This code is no longer valid; request a new one.",
        )))
    };
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid(code_field()(Message::new(
            "کد ۶ رقمی پیامک‌شده را بنویسید.",
            "Enter the 6-digit code from the text message.",
        ))));
    }
    let found = otp::find(app.store().pool(), challenge).await?.ok_or_else(expired)?;
    let mut tx = app.store().begin_housekeeping().await?;
    let counted = otp::count_attempt(tx.conn(), found.id, CODE_MAX_ATTEMPTS, app.now()).await?;
    tx.commit().await?;
    if !counted {
        return Err(expired());
    }
    if code_hash(&found.public_id, &code) != found.code_hash {
        let left = CODE_MAX_ATTEMPTS - found.attempts - 1;
        return Err(AppError::invalid(code_field()(Message::new(
            format!(
                "کد درست نیست؛ {} بار دیگر می‌توانید امتحان کنید.",
                daftar_types::digits::to_persian(&left.to_string())
            ),
            format!("The code is not correct; {left} tries left."),
        ))));
    }
    for _ in 0..2 {
        match sign_in_citizen(app, &found, meta).await {
            Err(AppError::Store(StoreError::UniqueViolation)) => continue,
            other => return other,
        }
    }
    Err(AppError::Conflict(Message::new("دوباره امتحان کنید.", "Please try again.")))
}

async fn sign_in_citizen(
    app: &App,
    challenge: &otp::ChallengeRow,
    meta: &RequestMeta,
) -> AppResult<SignedIn> {
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    if !otp::consume(tx.conn(), challenge.id, now).await? {
        tx.rollback().await?;
        return Err(AppError::invalid(code_field()(Message::new(
            "این کد پیش‌تر به کار رفته است.",
            "This code has already been used.",
        ))));
    }
    let user = match users::find_by_national_id(tx.conn(), &challenge.national_id).await? {
        Some(user) if user.mobile.as_deref() == Some(challenge.mobile.as_str()) && user.is_active() => user,
        Some(_) => {
            tx.rollback().await?;
            return Err(AppError::Forbidden);
        }
        None => {
            let masked = NationalId::parse(&challenge.national_id).map(|n| n.masked()).unwrap_or_default();
            let new = NewUser {
                kind: "citizen",
                username: None,
                national_id: Some(&challenge.national_id),
                mobile: Some(&challenge.mobile),
                display_name: &masked,
                search_key: &daftar_types::text::search_key(&masked),
                password_hash: None,
            };
            let id = users::insert(tx.conn(), &new, now).await?;
            tx.audit(entry(
                app,
                By::User(id),
                meta,
                "user.created",
                ("user", id.to_string()),
                json!({ "kind": "citizen" }),
            ));
            users::get(tx.conn(), id).await?.ok_or(AppError::NotFound)?
        }
    };
    let signed_in = open_session(&mut tx, app, &user, false).await?;
    tx.audit(entry(
        app,
        By::User(user.id),
        meta,
        "auth.signed_in",
        ("user", user.id.to_string()),
        json!({ "method": "sms_code" }),
    ));
    app.commit(tx).await?;
    Ok(signed_in)
}

/// Resolves a session cookie. Expired sessions resolve to nothing.
pub async fn session(app: &App, token: &str) -> AppResult<Option<SessionState>> {
    let hash = token_hash(token);
    let now = app.now();
    let Some(holder) = sessions::find(app.store().pool(), &hash).await? else {
        return Ok(None);
    };
    let row = &holder.session;
    if !row.is_live(now) || !holder.is_active() {
        return Ok(None);
    }
    if now - row.last_seen_at > 60 {
        let mut tx = app.store().begin_housekeeping().await?;
        sessions::touch(tx.conn(), &hash, now).await?;
        tx.commit().await?;
    }
    if row.awaiting_totp() {
        return Ok(Some(SessionState::AwaitingSecondFactor { user_id: row.user_id }));
    }
    let role = match holder.kind.as_str() {
        "citizen" => Some(Role::Citizen),
        "agency" => Some(Role::Agency),
        _ => holder.role.as_deref().and_then(Role::from_code),
    };
    Ok(Some(SessionState::SignedIn(Principal {
        user_id: row.user_id,
        kind: holder.kind.clone(),
        display_name: holder.display_name.clone(),
        role,
        membership_id: holder.acting_membership_id,
        office_id: holder.office_id,
        district_id: holder.district_id,
    })))
}

pub async fn sign_out(app: &App, token: &str, user_id: i64, meta: &RequestMeta) -> AppResult<()> {
    let mut tx = app.store().begin_write().await?;
    sessions::delete(tx.conn(), &token_hash(token)).await?;
    tx.audit(user_event(app, user_id, meta, "auth.signed_out"));
    app.commit(tx).await?;
    Ok(())
}

/// Makes another of the user's memberships the active one for this session.
pub async fn switch_role(
    app: &App,
    token: &str,
    principal: &Principal,
    membership_id: i64,
    meta: &RequestMeta,
) -> AppResult<()> {
    let memberships = orgs::memberships_of(app.store().pool(), principal.user_id).await?;
    let Some(membership) = memberships.iter().find(|m| m.id == membership_id) else {
        return Err(AppError::Forbidden);
    };
    let mut tx = app.store().begin_write().await?;
    sessions::set_membership(tx.conn(), &token_hash(token), Some(membership.id)).await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "auth.role_switched",
        ("user", principal.user_id.to_string()),
        json!({ "membership_id": membership.id, "role": membership.role, "scope": membership.scope_key }),
    ));
    app.commit(tx).await?;
    Ok(())
}

/// Changes a staff password after checking the current one. Every session of the user ends,
/// this one included: whoever knew the old password is signed out.
pub async fn change_password(
    app: &App,
    principal: &Principal,
    current: &str,
    new: &str,
    meta: &RequestMeta,
) -> AppResult<()> {
    crate::authz::require(principal, crate::authz::Permission::ManageOwnCredentials)?;
    let user = users::get(app.store().pool(), principal.user_id).await?.ok_or(AppError::NotFound)?;
    if user.password_hash.is_none() {
        return Err(AppError::Forbidden);
    }
    if !passwords::verify(current.to_string(), user.password_hash.clone()).await {
        return Err(AppError::invalid(field("current_password", "گذرواژهٔ کنونی", "Current password")(
            Message::new("درست نیست.", "It is not correct."),
        )));
    }
    let context: Vec<&str> = [user.username.as_deref().unwrap_or(""), user.display_name.as_str()].to_vec();
    passwords::check_policy(new, &context)?;
    let hash = passwords::hash(new.to_string()).await;
    let mut tx = app.store().begin_write().await?;
    users::set_password_hash(tx.conn(), user.id, &hash, app.now()).await?;
    sessions::delete_for_user(tx.conn(), user.id).await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "user.password_changed",
        ("user", user.id.to_string()),
        json!({}),
    ));
    app.commit(tx).await?;
    Ok(())
}

/// A TOTP secret offered to the user, not yet in force.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
}

/// Starts TOTP enrolment: a fresh secret, in force once [`confirm_totp`] sees a valid code.
pub async fn begin_totp(app: &App, principal: &Principal, meta: &RequestMeta) -> AppResult<TotpEnrolment> {
    crate::authz::require(principal, crate::authz::Permission::ManageOwnCredentials)?;
    if users::get(app.store().pool(), principal.user_id).await?.is_some_and(|u| u.totp_enabled()) {
        return Err(AppError::Conflict(Message::new(
            "تأیید دومرحله‌ای پیش‌تر فعال شده است.",
            "Two-step verification is already on.",
        )));
    }
    let user = users::get(app.store().pool(), principal.user_id).await?.ok_or(AppError::NotFound)?;
    let account = user.username.clone().ok_or(AppError::Forbidden)?;
    let secret = Secret::Raw(crate::random_bytes::<20>().to_vec()).to_encoded().to_string();
    let totp = totp_for(app, &secret, &account).ok_or(AppError::Forbidden)?;
    let mut tx = app.store().begin_write().await?;
    users::set_totp(tx.conn(), user.id, Some(&secret), false, app.now()).await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "user.totp_enrolment_started",
        ("user", user.id.to_string()),
        json!({}),
    ));
    app.commit(tx).await?;
    Ok(TotpEnrolment { secret_base32: secret, otpauth_url: totp.get_url() })
}

pub async fn confirm_totp(app: &App, principal: &Principal, code: &str, meta: &RequestMeta) -> AppResult<()> {
    crate::authz::require(principal, crate::authz::Permission::ManageOwnCredentials)?;
    let user = users::get(app.store().pool(), principal.user_id).await?.ok_or(AppError::NotFound)?;
    if !totp_accepts(app, &user, code) {
        return Err(AppError::invalid(code_field()(Message::new(
            "کد برنامهٔ احراز هویت درست نیست.",
            "The authenticator code is not correct.",
        ))));
    }
    let mut tx = app.store().begin_write().await?;
    users::set_totp(tx.conn(), user.id, user.totp_secret.as_deref(), true, app.now()).await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "user.totp_enabled",
        ("user", user.id.to_string()),
        json!({}),
    ));
    app.commit(tx).await?;
    Ok(())
}

/// Deletes dead sessions every ten minutes.
pub async fn run_session_cleanup(app: App) {
    loop {
        let result = async {
            let mut tx = app.store().begin_housekeeping().await?;
            sessions::delete_expired(tx.conn(), app.now()).await?;
            tx.commit().await
        }
        .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "session cleanup failed");
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

/// An enrolment begun but not yet confirmed, so the page can show it again after a wrong code.
pub async fn pending_totp(app: &App, principal: &Principal) -> AppResult<Option<TotpEnrolment>> {
    let user = users::get(app.store().pool(), principal.user_id).await?.ok_or(AppError::NotFound)?;
    if user.totp_enabled() {
        return Ok(None);
    }
    let (Some(secret), Some(account)) = (user.totp_secret, user.username) else {
        return Ok(None);
    };
    Ok(totp_for(app, &secret, &account)
        .map(|totp| TotpEnrolment { otpauth_url: totp.get_url(), secret_base32: secret }))
}
