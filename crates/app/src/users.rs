//! Accounts and roles, as the administrator manages them.

use daftar_store::StoreError;
use daftar_store::orgs::{self, MembershipRow};
use daftar_store::users::{self, NewUser, UserRow};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::audit::{By, entry};
use crate::authz::{Permission, Principal, Role, ScopeKind, require};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta, passwords};

/// The administrator's form for a new staff account.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    #[schema(format = Password)]
    pub password: String,
    /// A role code, e.g. `office_expert`.
    pub role: String,
    /// The office code, for office roles.
    #[serde(default)]
    pub office: Option<String>,
    /// The district code, for district roles.
    #[serde(default)]
    pub district: Option<String>,
}

/// An account as others see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub kind: String,
    pub username: Option<String>,
    /// Masked for citizens.
    pub national_id: Option<String>,
    pub display_name: String,
    pub totp_enabled: bool,
    pub active: bool,
    pub roles: Vec<MembershipView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipView {
    pub id: i64,
    pub role: String,
    pub office_id: Option<i64>,
    pub district_id: Option<i64>,
}

impl From<MembershipRow> for MembershipView {
    fn from(m: MembershipRow) -> Self {
        MembershipView { id: m.id, role: m.role, office_id: m.office_id, district_id: m.district_id }
    }
}

fn view(user: UserRow, roles: Vec<MembershipRow>) -> UserView {
    UserView {
        id: user.id,
        kind: user.kind.clone(),
        username: user.username.clone(),
        national_id: user
            .national_id
            .as_deref()
            .and_then(|n| daftar_types::NationalId::parse(n).ok())
            .map(|n| n.masked()),
        display_name: user.display_name.clone(),
        totp_enabled: user.totp_enabled(),
        active: user.is_active(),
        roles: roles.into_iter().map(MembershipView::from).collect(),
    }
}

fn field(name: &'static str, fa: &str, en: &str, message: Message) -> FieldError {
    FieldError::new(name, Message::new(fa, en), message)
}

/// Usernames are lower-case ASCII letters, digits, dots, dashes and underscores, 3–40 long:
/// they are typed at the sign-in form on any keyboard.
fn check_username(username: &str) -> Option<Message> {
    let ok_chars =
        username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !(3..=40).contains(&username.len()) || !ok_chars {
        return Some(Message::new(
            "۳ تا ۴۰ نویسه از حروف کوچک لاتین، رقم، نقطه، خط تیره یا زیرخط.",
            "3 to 40 characters: lower-case Latin letters, digits, dots, dashes or underscores.",
        ));
    }
    None
}

/// Resolves the role and its scope from the form, or names what is wrong.
async fn resolve_scope(app: &App, form: &NewStaff) -> AppResult<(Role, Option<i64>, Option<i64>)> {
    let role_label = ("role", "نقش", "Role");
    let Some(role) = Role::from_code(form.role.trim()).filter(|r| r.is_staff() && *r != Role::Citizen) else {
        return Err(AppError::invalid(field(
            role_label.0,
            role_label.1,
            role_label.2,
            Message::new("یکی از نقش‌های فهرست را برگزینید.", "Choose one of the listed roles."),
        )));
    };
    let pool = app.store().pool();
    match role.scope() {
        ScopeKind::Office => {
            let code = form.office.as_deref().unwrap_or("").trim();
            let office = orgs::offices(pool).await?.into_iter().find(|o| o.code == code);
            match office {
                Some(office) => Ok((role, Some(office.id), None)),
                None => Err(AppError::invalid(field(
                    "office",
                    "دفتر",
                    "Office",
                    Message::new("برای این نقش دفتر را برگزینید.", "Choose the office for this role."),
                ))),
            }
        }
        ScopeKind::District => {
            let code = form.district.as_deref().unwrap_or("").trim();
            let district = orgs::districts(pool).await?.into_iter().find(|d| d.code == code);
            match district {
                Some(district) => Ok((role, None, Some(district.id))),
                None => Err(AppError::invalid(field(
                    "district",
                    "منطقه",
                    "District",
                    Message::new("برای این نقش منطقه را برگزینید.", "Choose the district for this role."),
                ))),
            }
        }
        ScopeKind::City | ScopeKind::None => Ok((role, None, None)),
    }
}

/// Creates a staff account with one role. `by` is the administrator, or the system when the
/// command line or the demo seeder calls it.
pub async fn add_staff(app: &App, by: By<'_>, form: &NewStaff, meta: &RequestMeta) -> AppResult<i64> {
    if let By::Principal(principal) = by {
        require(principal, Permission::ManageUsers)?;
    }
    let username = form.username.trim().to_lowercase();
    let display_name = daftar_types::text::normalize(&form.display_name);
    let mut problems = Vec::new();
    if let Some(message) = check_username(&username) {
        problems.push(field("username", "نام کاربری", "Username", message));
    }
    if display_name.is_empty() || display_name.chars().count() > 120 {
        problems.push(field(
            "display_name",
            "نام و نام خانوادگی",
            "Full name",
            Message::new("نام را بنویسید (حداکثر ۱۲۰ نویسه).", "Enter the name (at most 120 characters)."),
        ));
    }
    if let Err(AppError::Invalid(mut fields)) =
        passwords::check_policy(&form.password, &[&username, &display_name])
    {
        problems.append(&mut fields);
    }
    let scope = resolve_scope(app, form).await;
    if let Err(AppError::Invalid(mut fields)) = scope {
        problems.append(&mut fields);
        return Err(AppError::Invalid(problems));
    }
    let (role, office_id, district_id) = scope?;
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let hash = passwords::hash(form.password.clone()).await;
    let now = app.now();
    let mut tx = app.store().begin_write().await?;
    let new = NewUser {
        kind: "staff",
        username: Some(&username),
        national_id: None,
        mobile: None,
        display_name: &display_name,
        search_key: &daftar_types::text::search_key(&display_name),
        password_hash: Some(&hash),
    };
    let id = match users::insert(tx.conn(), &new, now).await {
        Ok(id) => id,
        Err(StoreError::UniqueViolation) => {
            tx.rollback().await?;
            return Err(AppError::invalid(field(
                "username",
                "نام کاربری",
                "Username",
                Message::new("این نام کاربری پیش‌تر گرفته شده است.", "This username is already taken."),
            )));
        }
        Err(err) => return Err(err.into()),
    };
    orgs::insert_membership(tx.conn(), id, role.code(), office_id, district_id, now).await?;
    tx.audit(entry(
        app,
        by,
        meta,
        "user.created",
        ("user", id.to_string()),
        json!({ "kind": "staff", "username": username, "role": role.code(),
                "office_id": office_id, "district_id": district_id }),
    ));
    app.commit(tx).await?;
    Ok(id)
}

/// Accounts whose name, username or national ID matches `query` (Persian-normalised).
pub async fn search(app: &App, principal: &Principal, query: &str) -> AppResult<Vec<UserView>> {
    require(principal, Permission::ManageUsers)?;
    let key = daftar_types::text::search_key(query);
    let rows = users::search(app.store().pool(), &key, 200).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut by_user: std::collections::HashMap<i64, Vec<MembershipRow>> = std::collections::HashMap::new();
    for m in orgs::memberships_of_users(app.store().pool(), &ids).await? {
        by_user.entry(m.user_id).or_default().push(m);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let roles = by_user.remove(&row.id).unwrap_or_default();
            view(row, roles)
        })
        .collect())
}

/// The signed-in user's own account.
pub async fn me(app: &App, principal: &Principal) -> AppResult<UserView> {
    let row = users::get(app.store().pool(), principal.user_id).await?.ok_or(AppError::NotFound)?;
    let roles = orgs::memberships_of(app.store().pool(), row.id).await?;
    Ok(view(row, roles))
}

/// Renames the signed-in user.
pub async fn rename(
    app: &App,
    principal: &Principal,
    display_name: &str,
    meta: &RequestMeta,
) -> AppResult<()> {
    let name = daftar_types::text::normalize(display_name);
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::invalid(field(
            "display_name",
            "نام و نام خانوادگی",
            "Full name",
            Message::new("نام را بنویسید (حداکثر ۱۲۰ نویسه).", "Enter the name (at most 120 characters)."),
        )));
    }
    let mut tx = app.store().begin_write().await?;
    users::set_display_name(
        tx.conn(),
        principal.user_id,
        &name,
        &daftar_types::text::search_key(&name),
        app.now(),
    )
    .await?;
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "user.renamed",
        ("user", principal.user_id.to_string()),
        json!({ "display_name": name }),
    ));
    app.commit(tx).await?;
    Ok(())
}
