//! Office codes and the licence lifecycle.
//!
//! A licence is issued, becomes active when the office opens, may be renewed, suspended and
//! resumed, and ends by revocation (terminal) or by reaching its expiry date. Expiry is not a
//! stored state but a consequence of the date, so a licence never needs a job to expire it and
//! reads the same on any day it is looked at.

use std::fmt;
use std::str::FromStr;

use daftar_types::{JalaliDate, Lang, NationalId, digits};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::add_years;
use crate::call::CallRules;

/// An office's code, `D{district:02}-{seq:03}`, e.g. `D06-012`: the twelfth office licensed in
/// district 6.
///
/// The district comes first because district staff and supervisors look offices up by district;
/// fixed widths make codes sort in district and licensing order and line up in printed lists;
/// the Latin prefix keeps the code unambiguous in both scripts (Persian text shows it with
/// Persian digits, `D۰۶-۰۱۲`, and [`OfficeCode::parse`] reads both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfficeCode {
    district: u8,
    seq: u16,
}

/// Why an office code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum OfficeCodeError {
    #[error("an office code is written D, two digits of district, a dash and three digits, e.g. D06-012")]
    Format,
    #[error("the district must be from 1 to 99")]
    District,
    #[error("the sequence number must be from 1 to 999")]
    Sequence,
}

impl OfficeCodeError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (OfficeCodeError::Format, Lang::Fa) => {
                "کد دفتر به شکل D، دو رقم منطقه، خط تیره و سه رقم نوشته می‌شود، مانند D۰۶-۰۱۲.".to_owned()
            }
            (OfficeCodeError::District, Lang::Fa) => "شمارهٔ منطقه باید از ۱ تا ۹۹ باشد.".to_owned(),
            (OfficeCodeError::Sequence, Lang::Fa) => "شمارهٔ ردیف باید از ۱ تا ۹۹۹ باشد.".to_owned(),
            (OfficeCodeError::Format, Lang::En) => {
                "Write an office code as D, two digits of district, a dash and three digits, e.g. D06-012."
                    .to_owned()
            }
            (OfficeCodeError::District, Lang::En) => "The district must be from 1 to 99.".to_owned(),
            (OfficeCodeError::Sequence, Lang::En) => "The sequence number must be from 1 to 999.".to_owned(),
        }
    }
}

impl OfficeCode {
    pub fn new(district: u8, seq: u16) -> Result<OfficeCode, OfficeCodeError> {
        if !(1..=99).contains(&district) {
            return Err(OfficeCodeError::District);
        }
        if !(1..=999).contains(&seq) {
            return Err(OfficeCodeError::Sequence);
        }
        Ok(OfficeCode { district, seq })
    }

    /// Reads `D06-012`, also with Persian digits or a lowercase `d`.
    pub fn parse(input: &str) -> Result<OfficeCode, OfficeCodeError> {
        let folded = digits::fold_to_ascii(input.trim());
        let rest = folded.strip_prefix(['D', 'd']).ok_or(OfficeCodeError::Format)?;
        let (district, seq) = rest.split_once('-').ok_or(OfficeCodeError::Format)?;
        let number = |part: &str, len: usize| {
            (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u16>().ok())
                .flatten()
                .ok_or(OfficeCodeError::Format)
        };
        let district = u8::try_from(number(district, 2)?).map_err(|_| OfficeCodeError::District)?;
        OfficeCode::new(district, number(seq, 3)?)
    }

    pub fn district(self) -> u8 {
        self.district
    }

    pub fn seq(self) -> u16 {
        self.seq
    }

    /// The code as shown in `lang`: `D۰۶-۰۱۲` in Persian.
    pub fn display(self, lang: Lang) -> String {
        digits::localize(&self.to_string(), lang)
    }
}

impl fmt::Display for OfficeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "D{:02}-{:03}", self.district, self.seq)
    }
}

impl FromStr for OfficeCode {
    type Err = OfficeCodeError;

    fn from_str(s: &str) -> Result<OfficeCode, OfficeCodeError> {
        OfficeCode::parse(s)
    }
}

impl Serialize for OfficeCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OfficeCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        OfficeCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The stored state of a licence. Expiry is derived from the date: see [`LicenceStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceState {
    /// Issued; the office has not opened yet.
    Issued,
    Active,
    Suspended,
    /// Terminal.
    Revoked,
}

/// A licence as it stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceStatus {
    Issued,
    Active,
    Suspended,
    Revoked,
    /// The validity ended before it was renewed; only revocation is still possible.
    Expired,
}

impl LicenceStatus {
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (LicenceStatus::Issued, Lang::Fa) => "صادرشده",
            (LicenceStatus::Active, Lang::Fa) => "فعال",
            (LicenceStatus::Suspended, Lang::Fa) => "تعلیق‌شده",
            (LicenceStatus::Revoked, Lang::Fa) => "لغوشده",
            (LicenceStatus::Expired, Lang::Fa) => "منقضی",
            (LicenceStatus::Issued, Lang::En) => "issued",
            (LicenceStatus::Active, Lang::En) => "active",
            (LicenceStatus::Suspended, Lang::En) => "suspended",
            (LicenceStatus::Revoked, Lang::En) => "revoked",
            (LicenceStatus::Expired, Lang::En) => "expired",
        }
    }
}

/// A move of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceAction {
    Activate,
    Renew,
    Suspend,
    Resume,
    Revoke,
}

impl LicenceAction {
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (LicenceAction::Activate, Lang::Fa) => "فعال‌سازی",
            (LicenceAction::Renew, Lang::Fa) => "تمدید",
            (LicenceAction::Suspend, Lang::Fa) => "تعلیق",
            (LicenceAction::Resume, Lang::Fa) => "رفع تعلیق",
            (LicenceAction::Revoke, Lang::Fa) => "لغو",
            (LicenceAction::Activate, Lang::En) => "activate",
            (LicenceAction::Renew, Lang::En) => "renew",
            (LicenceAction::Suspend, Lang::En) => "suspend",
            (LicenceAction::Resume, Lang::En) => "resume",
            (LicenceAction::Revoke, Lang::En) => "revoke",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum LicenceError {
    #[error("cannot {} a licence that is {}", action.name(Lang::En), status.name(Lang::En))]
    IllegalMove { action: LicenceAction, status: LicenceStatus },
    #[error("the validity period ends beyond the supported calendar range")]
    OutOfRange,
}

impl LicenceError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (LicenceError::IllegalMove { action, status }, Lang::Fa) => {
                format!("{} مجوزی که {} است ممکن نیست.", action.name(lang), status.name(lang))
            }
            (LicenceError::IllegalMove { action, status }, Lang::En) => {
                format!("Cannot {} a licence that is {}.", action.name(lang), status.name(lang))
            }
            (LicenceError::OutOfRange, Lang::Fa) => "پایان اعتبار مجوز خارج از بازهٔ تقویم است.".to_owned(),
            (LicenceError::OutOfRange, Lang::En) => {
                "The licence's validity would end outside the supported calendar.".to_owned()
            }
        }
    }
}

/// An office's operating licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licence {
    office: OfficeCode,
    holder: NationalId,
    issued_on: JalaliDate,
    /// The first day the licence is no longer valid.
    expires_on: JalaliDate,
    state: LicenceState,
}

impl Licence {
    /// Issues a licence valid for the call's `licence.validity_years` from `issued_on`.
    pub fn issue(
        rules: &CallRules,
        office: OfficeCode,
        holder: NationalId,
        issued_on: JalaliDate,
    ) -> Result<Licence, LicenceError> {
        let expires_on =
            add_years(issued_on, i32::from(rules.licence.validity_years)).ok_or(LicenceError::OutOfRange)?;
        Ok(Licence { office, holder, issued_on, expires_on, state: LicenceState::Issued })
    }

    pub fn office(&self) -> OfficeCode {
        self.office
    }

    pub fn holder(&self) -> &NationalId {
        &self.holder
    }

    pub fn issued_on(&self) -> JalaliDate {
        self.issued_on
    }

    /// The first day the licence is no longer valid.
    pub fn expires_on(&self) -> JalaliDate {
        self.expires_on
    }

    pub fn state(&self) -> LicenceState {
        self.state
    }

    /// The status on `today`: revocation is final; otherwise a licence past its validity is
    /// expired whatever its stored state.
    pub fn status(&self, today: JalaliDate) -> LicenceStatus {
        match self.state {
            LicenceState::Revoked => LicenceStatus::Revoked,
            _ if today >= self.expires_on => LicenceStatus::Expired,
            LicenceState::Issued => LicenceStatus::Issued,
            LicenceState::Active => LicenceStatus::Active,
            LicenceState::Suspended => LicenceStatus::Suspended,
        }
    }

    /// Whether the office may serve on `today`.
    pub fn is_in_force(&self, today: JalaliDate) -> bool {
        self.status(today) == LicenceStatus::Active
    }

    /// Issued → active, when the office opens.
    pub fn activate(&mut self, today: JalaliDate) -> Result<(), LicenceError> {
        self.move_to(today, LicenceAction::Activate, &[LicenceStatus::Issued], LicenceState::Active)
    }

    /// Adds the call's validity period to the current expiry, so renewing early loses no days.
    /// Only an active licence is renewed: a suspended one must be resumed first, an expired one
    /// goes through a new call.
    pub fn renew(&mut self, rules: &CallRules, today: JalaliDate) -> Result<(), LicenceError> {
        self.check(today, LicenceAction::Renew, &[LicenceStatus::Active])?;
        self.expires_on = add_years(self.expires_on, i32::from(rules.licence.validity_years))
            .ok_or(LicenceError::OutOfRange)?;
        Ok(())
    }

    pub fn suspend(&mut self, today: JalaliDate) -> Result<(), LicenceError> {
        self.move_to(today, LicenceAction::Suspend, &[LicenceStatus::Active], LicenceState::Suspended)
    }

    pub fn resume(&mut self, today: JalaliDate) -> Result<(), LicenceError> {
        self.move_to(today, LicenceAction::Resume, &[LicenceStatus::Suspended], LicenceState::Active)
    }

    /// From any status but revoked; an expired licence can still be revoked, e.g. for a breach
    /// found after expiry.
    pub fn revoke(&mut self, today: JalaliDate) -> Result<(), LicenceError> {
        use LicenceStatus::{Active, Expired, Issued, Suspended};
        self.move_to(
            today,
            LicenceAction::Revoke,
            &[Issued, Active, Suspended, Expired],
            LicenceState::Revoked,
        )
    }

    fn move_to(
        &mut self,
        today: JalaliDate,
        action: LicenceAction,
        from: &[LicenceStatus],
        to: LicenceState,
    ) -> Result<(), LicenceError> {
        self.check(today, action, from)?;
        self.state = to;
        Ok(())
    }

    fn check(
        &self,
        today: JalaliDate,
        action: LicenceAction,
        from: &[LicenceStatus],
    ) -> Result<(), LicenceError> {
        let status = self.status(today);
        if from.contains(&status) { Ok(()) } else { Err(LicenceError::IllegalMove { action, status }) }
    }
}
