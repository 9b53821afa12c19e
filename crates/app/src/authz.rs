//! The one place that decides who may do what.
//!
//! Use cases ask [`require`] for a [`Permission`]; the web layer asks [`route_access`] for the
//! rule of the route it is serving and [`decide`] for the verdict. A route with no rule in
//! [`ROUTES`] is refused by the web layer, and a test walks every route against every role.

use daftar_types::Lang;
use serde::Serialize;

use crate::config::Config;
use crate::error::AppError;

/// The roles of SYSTEM.md. Office roles are bound to one office, district roles to one
/// district, municipality roles to the whole city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    OfficeLicenseHolder,
    OfficeTechnicalManager,
    OfficeExpert,
    DistrictReviewer,
    DistrictPermitApprover,
    LicensingCommittee,
    BoardMember,
    ReserveLandCommission,
    Finance,
    Supervisor,
    Admin,
    Agency,
    Professional,
}

/// Where a role applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    None,
    Office,
    District,
    City,
}

impl Role {
    pub const ALL: [Role; 14] = [
        Role::Citizen,
        Role::OfficeLicenseHolder,
        Role::OfficeTechnicalManager,
        Role::OfficeExpert,
        Role::DistrictReviewer,
        Role::DistrictPermitApprover,
        Role::LicensingCommittee,
        Role::BoardMember,
        Role::ReserveLandCommission,
        Role::Finance,
        Role::Supervisor,
        Role::Admin,
        Role::Agency,
        Role::Professional,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::OfficeLicenseHolder => "office_license_holder",
            Role::OfficeTechnicalManager => "office_technical_manager",
            Role::OfficeExpert => "office_expert",
            Role::DistrictReviewer => "district_reviewer",
            Role::DistrictPermitApprover => "district_permit_approver",
            Role::LicensingCommittee => "licensing_committee",
            Role::BoardMember => "board_member",
            Role::ReserveLandCommission => "reserve_land_commission",
            Role::Finance => "finance",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Agency => "agency",
            Role::Professional => "professional",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.code() == code)
    }

    pub fn scope(self) -> ScopeKind {
        match self {
            Role::Citizen | Role::Agency | Role::Professional => ScopeKind::None,
            Role::OfficeLicenseHolder | Role::OfficeTechnicalManager | Role::OfficeExpert => {
                ScopeKind::Office
            }
            Role::DistrictReviewer | Role::DistrictPermitApprover => ScopeKind::District,
            Role::LicensingCommittee
            | Role::BoardMember
            | Role::ReserveLandCommission
            | Role::Finance
            | Role::Supervisor
            | Role::Admin => ScopeKind::City,
        }
    }

    /// Roles held by staff accounts (password sign-in), as opposed to citizens and agencies.
    pub fn is_staff(self) -> bool {
        STAFF_ROLES.contains(&self)
    }

    pub fn name(self, lang: Lang) -> &'static str {
        let (fa, en) = match self {
            Role::Citizen => ("شهروند", "Citizen"),
            Role::OfficeLicenseHolder => ("صاحب امتیاز دفتر", "Office license holder"),
            Role::OfficeTechnicalManager => ("مدیر فنی دفتر", "Office technical manager"),
            Role::OfficeExpert => ("کارشناس دفتر", "Office expert"),
            Role::DistrictReviewer => ("کارشناس بررسی منطقه", "District reviewer"),
            Role::DistrictPermitApprover => ("تأییدکنندهٔ پروانهٔ منطقه", "District permit approver"),
            Role::LicensingCommittee => ("کمیتهٔ صدور مجوز", "Licensing committee"),
            Role::BoardMember => ("عضو هیئت", "Board member"),
            Role::ReserveLandCommission => ("کمیسیون اراضی ذخیره", "Reserve-land commission"),
            Role::Finance => ("امور مالی شهرداری", "Municipal finance"),
            Role::Supervisor => ("ناظر شهرداری", "Municipal supervisor"),
            Role::Admin => ("مدیر سامانه", "System administrator"),
            Role::Agency => ("دستگاه همکار", "Partner agency"),
            Role::Professional => ("متخصص مالی و اداری", "Financial/administrative professional"),
        };
        match lang {
            Lang::Fa => fa,
            Lang::En => en,
        }
    }
}

/// Who is making a request, once signed in.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub user_id: i64,
    pub kind: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub membership_id: Option<i64>,
    pub office_id: Option<i64>,
    pub district_id: Option<i64>,
}

impl Principal {
    pub fn has_role(&self, roles: &[Role]) -> bool {
        self.role.is_some_and(|role| roles.contains(&role))
    }
}

/// What a use case needs to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create and list accounts, give roles.
    ManageUsers,
    /// Read the audit log and export its checkpoints.
    ReadAudit,
    /// Change one's own password and second factor: staff accounts only (citizens sign in
    /// with texted codes, agencies with keys).
    ManageOwnCredentials,
    /// Waive, cancel, re-issue, plan instalments, refund, close a month's settlements.
    ManageInvoices,
    /// Read the reconciliation and every office's statement.
    ReadFinance,
    /// Publish calls, import exam results, run the selection, issue licences and renew, suspend,
    /// resume or revoke them, manage offices' equipment and experts, open offices.
    ManageLicensing,
    /// Vote on applicants in a call's board review.
    BoardVote,
    /// Apply to a licensing call.
    Apply,
    /// Publish service versions to the catalog.
    ManageServices,
    /// Open, follow and act on cases (which ones, and which actions, the case decides).
    HandleCases,
    /// Answer the public's complaints about cases.
    AnswerComplaints,
    /// Subscribe agencies' endpoints to case events, list and end subscriptions.
    ManageWebhooks,
}

impl Permission {
    pub fn roles(self) -> &'static [Role] {
        match self {
            Permission::ManageUsers => &[Role::Admin],
            Permission::ReadAudit => &[Role::Admin, Role::Supervisor],
            Permission::ManageOwnCredentials => &STAFF_ROLES,
            // Separation of duties: the administrator manages accounts, not money.
            Permission::ManageInvoices => &[Role::Finance],
            Permission::ReadFinance => &[Role::Finance, Role::Supervisor],
            Permission::ManageLicensing => &[Role::LicensingCommittee],
            Permission::BoardVote => &[Role::BoardMember],
            Permission::Apply => &[Role::Citizen],
            Permission::ManageServices => &[Role::Admin],
            Permission::HandleCases => &[
                Role::Citizen,
                Role::OfficeLicenseHolder,
                Role::OfficeTechnicalManager,
                Role::OfficeExpert,
                Role::DistrictReviewer,
                Role::DistrictPermitApprover,
                Role::Supervisor,
                Role::Agency,
            ],
            Permission::AnswerComplaints => &[Role::Supervisor],
            // Agency accounts carry no agency code to scope their own subscriptions by.
            Permission::ManageWebhooks => &[Role::Admin],
        }
    }
}

const STAFF_ROLES: [Role; 12] = [
    Role::OfficeLicenseHolder,
    Role::OfficeTechnicalManager,
    Role::OfficeExpert,
    Role::DistrictReviewer,
    Role::DistrictPermitApprover,
    Role::LicensingCommittee,
    Role::BoardMember,
    Role::ReserveLandCommission,
    Role::Finance,
    Role::Supervisor,
    Role::Admin,
    Role::Professional,
];

/// Checks a permission inside a use case.
pub fn require(principal: &Principal, permission: Permission) -> Result<(), AppError> {
    if principal.has_role(permission.roles()) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Someone who gave a password and still owes the second factor.
    AwaitingSecondFactor,
    /// Anyone signed in, whatever the role.
    SignedIn,
    /// Holders of a permission.
    Permitted(Permission),
    /// Only while the development SMS provider is configured.
    Development,
}

/// The rule of every route, by method and path pattern (axum's matched path).
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/", Access::Public),
    ("GET", "/healthz", Access::Public),
    ("GET", "/readyz", Access::Public),
    ("GET", "/metrics", Access::Public),
    ("GET", "/static/{*path}", Access::Public),
    ("GET", "/lang/{code}", Access::Public),
    ("GET", "/sign-in", Access::Public),
    ("POST", "/sign-in/staff", Access::Public),
    ("POST", "/sign-in/citizen", Access::Public),
    ("GET", "/sign-in/code/{challenge}", Access::Public),
    ("POST", "/sign-in/code/{challenge}", Access::Public),
    ("GET", "/sign-in/second-factor", Access::AwaitingSecondFactor),
    ("POST", "/sign-in/second-factor", Access::AwaitingSecondFactor),
    ("POST", "/sign-out", Access::SignedIn),
    ("GET", "/account", Access::SignedIn),
    ("POST", "/account/role", Access::SignedIn),
    ("POST", "/account/name", Access::SignedIn),
    ("POST", "/account/password", Access::Permitted(Permission::ManageOwnCredentials)),
    ("POST", "/account/totp", Access::Permitted(Permission::ManageOwnCredentials)),
    ("POST", "/account/totp/confirm", Access::Permitted(Permission::ManageOwnCredentials)),
    ("GET", "/admin/users", Access::Permitted(Permission::ManageUsers)),
    ("POST", "/admin/users", Access::Permitted(Permission::ManageUsers)),
    ("GET", "/audit", Access::Permitted(Permission::ReadAudit)),
    ("GET", "/dev/outbox", Access::Development),
    ("GET", "/api/v1/openapi.json", Access::Public),
    ("GET", "/api/v1/docs", Access::Public),
    ("GET", "/api/v1/docs/", Access::Public),
    ("GET", "/api/v1/docs/{*rest}", Access::Public),
    ("GET", "/api/v1/keys", Access::Public),
    ("POST", "/api/v1/auth/staff", Access::Public),
    ("POST", "/api/v1/auth/citizen/code", Access::Public),
    ("POST", "/api/v1/auth/citizen/verify", Access::Public),
    ("POST", "/api/v1/auth/sign-out", Access::SignedIn),
    ("GET", "/api/v1/me", Access::SignedIn),
    ("PUT", "/api/v1/me/name", Access::SignedIn),
    ("GET", "/api/v1/users", Access::Permitted(Permission::ManageUsers)),
    ("POST", "/api/v1/users", Access::Permitted(Permission::ManageUsers)),
    ("GET", "/api/v1/audit/checkpoints", Access::Permitted(Permission::ReadAudit)),
    ("POST", "/api/v1/webhooks", Access::Permitted(Permission::ManageWebhooks)),
    ("GET", "/api/v1/webhooks", Access::Permitted(Permission::ManageWebhooks)),
    ("DELETE", "/api/v1/webhooks/{id}", Access::Permitted(Permission::ManageWebhooks)),
    // The detailed plan is public: anyone may learn what may be built where.
    ("GET", "/api/v1/parcels/at", Access::Public),
    ("GET", "/api/v1/parcels/{parcel_key}", Access::Public),
    ("GET", "/api/v1/parcels/{parcel_key}/instruction-sheet", Access::Public),
    ("POST", "/api/v1/plan-check", Access::Public),
    ("POST", "/api/v1/plan-check/dxf", Access::Public),
    ("GET", "/api/v1/map/zones", Access::Public),
    // Tariffs are public: the public must be able to check what an office may charge.
    ("GET", "/tariffs", Access::Public),
    ("GET", "/api/v1/tariffs", Access::Public),
    // An invoice's link is its capability: whoever holds it may see and pay it.
    ("GET", "/invoices/{public_id}", Access::Public),
    ("POST", "/invoices/{public_id}/pay", Access::Public),
    ("POST", "/invoices/{public_id}/{action}", Access::Permitted(Permission::ManageInvoices)),
    ("GET", "/api/v1/invoices/{public_id}", Access::Public),
    // A call's rules and its final ranking (national IDs masked) are public.
    ("GET", "/api/v1/licensing/calls/{call}", Access::Public),
    ("GET", "/api/v1/licensing/calls/{call}/ranking", Access::Public),
    ("GET", "/calls/{call}", Access::Public),
    ("GET", "/calls/{call}/ranking", Access::Public),
    ("POST", "/api/v1/licensing/calls", Access::Permitted(Permission::ManageLicensing)),
    ("PUT", "/api/v1/licensing/calls/{call}/application", Access::Permitted(Permission::Apply)),
    ("POST", "/api/v1/licensing/calls/{call}/application", Access::Permitted(Permission::Apply)),
    ("GET", "/api/v1/licensing/calls/{call}/application", Access::Permitted(Permission::Apply)),
    ("PUT", "/api/v1/licensing/calls/{call}/application/files/{slot}", Access::Permitted(Permission::Apply)),
    ("GET", "/calls/{call}/result", Access::Permitted(Permission::Apply)),
    ("GET", "/calls/{call}/apply", Access::Permitted(Permission::Apply)),
    ("POST", "/calls/{call}/apply", Access::Permitted(Permission::Apply)),
    ("POST", "/api/v1/licensing/calls/{call}/exam", Access::Permitted(Permission::ManageLicensing)),
    ("POST", "/api/v1/licensing/calls/{call}/board", Access::Permitted(Permission::ManageLicensing)),
    ("POST", "/api/v1/licensing/calls/{call}/votes", Access::Permitted(Permission::BoardVote)),
    ("POST", "/api/v1/licensing/calls/{call}/selection", Access::Permitted(Permission::ManageLicensing)),
    ("POST", "/api/v1/licensing/calls/{call}/licences", Access::Permitted(Permission::ManageLicensing)),
    ("POST", "/api/v1/licensing/calls/{call}/experts", Access::Permitted(Permission::ManageLicensing)),
    (
        "POST",
        "/api/v1/licensing/calls/{call}/offices/{office}/open",
        Access::Permitted(Permission::ManageLicensing),
    ),
    ("POST", "/api/v1/offices/{office}/equipment", Access::Permitted(Permission::ManageLicensing)),
    // Whether an office is licensed and in force is public (the printed licence's QR code leads
    // to it); the history with its reasons, and every move, are the committee's.
    ("GET", "/licences/{office}", Access::Public),
    ("GET", "/licences/{office}/pdf", Access::Public),
    ("GET", "/licences", Access::Permitted(Permission::ManageLicensing)),
    ("POST", "/licences/{office}/{action}", Access::Permitted(Permission::ManageLicensing)),
    ("GET", "/api/v1/licences/{office}", Access::Permitted(Permission::ManageLicensing)),
    ("POST", "/api/v1/licences/{office}/{action}", Access::Permitted(Permission::ManageLicensing)),
    // A receipt's code is printed on it (QR): whoever holds the receipt may check it.
    ("GET", "/receipts/{code}", Access::Public),
    ("GET", "/api/v1/receipts/{code}", Access::Public),
    ("GET", "/invoices/{public_id}/pdf", Access::Public),
    ("GET", "/receipts/{code}/pdf", Access::Public),
    ("GET", "/finance", Access::Permitted(Permission::ReadFinance)),
    ("POST", "/finance/close", Access::Permitted(Permission::ManageInvoices)),
    ("POST", "/finance/rent", Access::Permitted(Permission::ManageInvoices)),
    ("GET", "/api/v1/finance/reconciliation", Access::Permitted(Permission::ReadFinance)),
    // Finance sees every office's statement; an office's managers see their own (checked in the
    // use case).
    ("GET", "/finance/statement", Access::SignedIn),
    ("GET", "/api/v1/finance/statements/{office}", Access::SignedIn),
    // The sandbox gateway exists only in development; its order API checks the merchant's
    // signature.
    ("POST", "/sandbox-gateway/api/orders", Access::Development),
    ("GET", "/sandbox-gateway/api/orders/{reference}", Access::Development),
    ("POST", "/sandbox-gateway/api/orders/{reference}/refund", Access::Development),
    ("GET", "/sandbox-gateway/pay/{reference}", Access::Development),
    ("POST", "/sandbox-gateway/pay/{reference}", Access::Development),
    // Authenticated by the gateway's HMAC signature inside the use case.
    ("POST", "/api/v1/payments/callback/{gateway}", Access::Public),
    ("GET", "/api/v1/map/parcels", Access::Public),
    ("GET", "/map", Access::Public),
    ("GET", "/parcels/{parcel_key}", Access::Public),
    ("GET", "/plan-check", Access::Public),
    ("POST", "/plan-check", Access::Public),
    ("POST", "/plan-check/dxf", Access::Public),
    // The catalog is public; publishing a version is the administrator's.
    ("GET", "/api/v1/services", Access::Public),
    ("POST", "/api/v1/services", Access::Permitted(Permission::ManageServices)),
    ("GET", "/services", Access::Public),
    ("POST", "/services", Access::Permitted(Permission::ManageServices)),
    // Cases: which case, and which action on it, is decided in the use case (office, district,
    // applicant, agency).
    ("POST", "/api/v1/cases", Access::Permitted(Permission::HandleCases)),
    ("GET", "/api/v1/cases", Access::Permitted(Permission::HandleCases)),
    ("GET", "/api/v1/cases/{tracking}", Access::Permitted(Permission::HandleCases)),
    ("POST", "/api/v1/cases/{tracking}/actions", Access::Permitted(Permission::HandleCases)),
    ("POST", "/api/v1/cases/{tracking}/documents", Access::Permitted(Permission::HandleCases)),
    ("GET", "/api/v1/cases/{tracking}/documents/{id}", Access::Permitted(Permission::HandleCases)),
    ("GET", "/api/v1/cases/{tracking}/issued.pdf", Access::Permitted(Permission::HandleCases)),
    ("POST", "/api/v1/cases/{tracking}/inquiries/{code}", Access::Permitted(Permission::HandleCases)),
    ("GET", "/cases", Access::Permitted(Permission::HandleCases)),
    ("GET", "/cases/new", Access::Permitted(Permission::HandleCases)),
    ("POST", "/cases/new", Access::Permitted(Permission::HandleCases)),
    ("GET", "/cases/{tracking}", Access::Permitted(Permission::HandleCases)),
    ("POST", "/cases/{tracking}/act", Access::Permitted(Permission::HandleCases)),
    ("POST", "/cases/{tracking}/documents", Access::Permitted(Permission::HandleCases)),
    ("GET", "/cases/{tracking}/documents/{id}", Access::Permitted(Permission::HandleCases)),
    ("GET", "/cases/{tracking}/issued.pdf", Access::Permitted(Permission::HandleCases)),
    // The applicant follows a case and complains with the tracking code and national ID.
    ("GET", "/api/v1/track", Access::Public),
    ("GET", "/track", Access::Public),
    ("POST", "/track/complaint", Access::Public),
    ("POST", "/api/v1/complaints", Access::Public),
    ("GET", "/api/v1/complaints", Access::Permitted(Permission::AnswerComplaints)),
    ("POST", "/api/v1/complaints/{id}/answer", Access::Permitted(Permission::AnswerComplaints)),
    // Anyone holding a permit or certificate may check it.
    ("GET", "/api/v1/verify/{code}", Access::Public),
    ("POST", "/api/v1/verify", Access::Public),
    ("GET", "/verify/{code}", Access::Public),
];

/// The rule for a route, or `None` when the route has none (which the web layer refuses).
pub fn route_access(method: &str, path: &str) -> Option<Access> {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, access)| *access)
        .or_else(|| (method == "HEAD").then(|| route_access("GET", path)).flatten())
}

/// The caller as the web layer knows it.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    Anonymous,
    AwaitingSecondFactor,
    SignedIn(&'a Principal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Sign in first.
    Unauthenticated,
    /// Signed in, but not allowed.
    Forbidden,
    /// The route is off in this deployment.
    Hidden,
}

pub fn decide(access: Access, caller: Caller<'_>, config: &Config) -> Decision {
    match (access, caller) {
        (Access::Public, _) => Decision::Allow,
        (Access::Development, _) if config.development_sms => Decision::Allow,
        (Access::Development, _) => Decision::Hidden,
        (Access::AwaitingSecondFactor, Caller::AwaitingSecondFactor) => Decision::Allow,
        (Access::AwaitingSecondFactor, Caller::SignedIn(_)) => Decision::Forbidden,
        (_, Caller::Anonymous | Caller::AwaitingSecondFactor) => Decision::Unauthenticated,
        (Access::SignedIn, Caller::SignedIn(_)) => Decision::Allow,
        (Access::Permitted(permission), Caller::SignedIn(principal)) => {
            if principal.has_role(permission.roles()) { Decision::Allow } else { Decision::Forbidden }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn routes_are_unique() {
        for (i, (m, p, _)) in ROUTES.iter().enumerate() {
            assert!(!ROUTES[i + 1..].iter().any(|(m2, p2, _)| m == m2 && p == p2), "{m} {p} has two rules");
        }
    }

    #[test]
    fn head_follows_get_and_unknown_routes_have_no_rule() {
        assert_eq!(route_access("HEAD", "/"), Some(Access::Public));
        assert_eq!(route_access("GET", "/nowhere"), None);
        assert_eq!(route_access("DELETE", "/"), None);
    }

    #[test]
    fn permissions_need_their_roles() {
        let config = Config::default();
        let admin = Principal {
            user_id: 1,
            kind: "staff".into(),
            display_name: "a".into(),
            role: Some(Role::Admin),
            membership_id: Some(1),
            office_id: None,
            district_id: None,
        };
        let expert = Principal { role: Some(Role::OfficeExpert), ..admin.clone() };
        let users = Access::Permitted(Permission::ManageUsers);
        assert_eq!(decide(users, Caller::SignedIn(&admin), &config), Decision::Allow);
        assert_eq!(decide(users, Caller::SignedIn(&expert), &config), Decision::Forbidden);
        assert_eq!(decide(users, Caller::Anonymous, &config), Decision::Unauthenticated);
        assert_eq!(decide(users, Caller::AwaitingSecondFactor, &config), Decision::Unauthenticated);
        let hidden = Config { development_sms: false, ..Config::default() };
        assert_eq!(decide(Access::Development, Caller::Anonymous, &hidden), Decision::Hidden);
    }
}
