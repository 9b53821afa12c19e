//! What every page template knows: the language, the caller, today's date, and how to say
//! things. Numbers, dates and amounts reach a page only through these helpers.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use daftar_app::authz::{Permission, Principal};
use daftar_types::Lang;
use daftar_types::jalali::Timestamp;

use crate::AppState;
use crate::caller::Caller;
use crate::i18n;

pub struct Page {
    pub lang: Lang,
    pub principal: Option<Principal>,
    pub path: String,
    pub now: i64,
    pub development_sms: bool,
    /// A one-line confirmation shown above the content.
    pub notice: Option<String>,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(Page {
            lang: caller.lang,
            principal: caller.principal().cloned(),
            path: parts.uri.path().to_string(),
            now: state.app.now(),
            development_sms: state.app.config().development_sms,
            notice: None,
        })
    }
}

impl Page {
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        i18n::t_args(self.lang, key, &[(name, value.to_string())])
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn dir(&self) -> &'static str {
        match self.lang {
            Lang::Fa => "rtl",
            Lang::En => "ltr",
        }
    }

    /// The language the switch in the header offers.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Fa => "en",
            Lang::En => "fa",
        }
    }

    pub fn today(&self) -> String {
        let now = Timestamp::from_unix(self.now).to_tehran();
        let date = now.date();
        format!("{}، {}", date.weekday().name(self.lang), date.format_long(self.lang))
            .replace('،', if self.lang == Lang::Fa { "،" } else { "," })
    }

    /// Today in ISO form, for the machine-readable `datetime` attribute.
    pub fn today_iso(&self) -> String {
        let (y, m, d) = Timestamp::from_unix(self.now).to_tehran().date().to_gregorian();
        format!("{y:04}-{m:02}-{d:02}")
    }

    pub fn datetime(&self, unix: &i64) -> String {
        Timestamp::from_unix(*unix).to_tehran().format(self.lang)
    }

    pub fn num(&self, n: &i64) -> String {
        daftar_types::number::format_int(*n, self.lang)
    }

    /// A count (ranks, points, capacities).
    pub fn count(&self, n: &u32) -> String {
        daftar_types::number::format_int(i64::from(*n), self.lang)
    }

    /// A decimal number written as text ("4500000", "0.5"), with the language's digits and
    /// separators.
    pub fn decimal(&self, s: &str) -> String {
        daftar_types::number::format_decimal_str(s, self.lang)
    }

    /// An amount in Rials, with the currency's name.
    pub fn rials(&self, amount: &i64) -> String {
        daftar_types::Rials::new(*amount).format(self.lang)
    }

    /// Digits in the page's language, for identifiers and codes shown as text.
    pub fn digits(&self, s: &str) -> String {
        daftar_types::digits::localize(s, self.lang)
    }

    pub fn can(&self, permission: &str) -> bool {
        let permission = match permission {
            "manage_users" => Permission::ManageUsers,
            "read_audit" => Permission::ReadAudit,
            "manage_own_credentials" => Permission::ManageOwnCredentials,
            "manage_invoices" => Permission::ManageInvoices,
            "read_finance" => Permission::ReadFinance,
            "manage_licensing" => Permission::ManageLicensing,
            "manage_services" => Permission::ManageServices,
            _ => return false,
        };
        self.principal.as_ref().is_some_and(|p| p.has_role(permission.roles()))
    }

    pub fn role_name(&self) -> String {
        match self.principal.as_ref().and_then(|p| p.role) {
            Some(role) => role.name(self.lang).to_string(),
            None => self.t("role-none"),
        }
    }

    pub fn role_code_name(&self, code: &str) -> String {
        daftar_app::Role::from_code(code).map_or_else(|| code.to_string(), |r| r.name(self.lang).to_string())
    }

    pub fn current(&self, path: &str) -> &'static str {
        if self.path == path { "page" } else { "false" }
    }
}
