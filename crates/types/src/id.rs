//! Iranian identifiers, parsed once at the edge and stored in canonical ASCII form.
//!
//! Each type has a private field and is built only by `parse` (or deserialisation, which runs
//! `parse`), so holding a value proves it passed the rules of
//! `shared/domain/identifiers-and-text.md`.
//!
//! Parsing trims, folds Persian and Arabic-Indic digits to ASCII and drops the separators people
//! paste along with numbers: spaces, dashes (national cards print `۰۰۷-۶۲۲۹۶۴-۵`, postal codes
//! are often written `12345-67890`) and invisible direction marks copied from right-to-left text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digits;
use crate::lang::Lang;

/// Why a string is not a valid identifier. The messages speak about the value only; the form
/// that shows them names the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum IdError {
    #[error("no value was entered")]
    Empty,
    #[error("contains characters that are not allowed")]
    InvalidCharacters,
    /// `expected` is the number of digits, in ASCII.
    #[error("must have {expected} digits")]
    WrongLength { expected: &'static str },
    #[error("the check digit does not match the other digits")]
    Checksum,
    #[error("the digits cannot all be the same")]
    AllSameDigits,
    #[error("the 4th to 9th digits cannot all be zero")]
    ZeroMiddle,
    /// `expected` is the required beginning, in ASCII (`09`, `IR`).
    #[error("must start with {expected}")]
    BadPrefix { expected: &'static str },
    #[error("the first five digits cannot include 0 or 2")]
    ZeroOrTwoInFirstFive,
}

impl IdError {
    /// A sentence for the person who typed the value.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (IdError::Empty, Lang::Fa) => "مقداری وارد نشده است.".to_owned(),
            (IdError::Empty, Lang::En) => "No value was entered.".to_owned(),
            (IdError::InvalidCharacters, Lang::Fa) => {
                "این مقدار نویسه‌های غیرمجاز دارد؛ فقط رقم وارد کنید.".to_owned()
            }
            (IdError::InvalidCharacters, Lang::En) => {
                "Contains characters that are not allowed; enter digits only.".to_owned()
            }
            (IdError::WrongLength { expected }, Lang::Fa) => {
                format!("باید {} رقم باشد.", digits::to_persian(expected))
            }
            (IdError::WrongLength { expected }, Lang::En) => {
                format!("Must have {expected} digits.")
            }
            (IdError::Checksum, Lang::Fa) => "رقم کنترل آن با بقیهٔ رقم‌ها سازگار نیست؛ \
                 احتمالاً یکی از رقم‌ها اشتباه وارد شده است."
                .to_owned(),
            (IdError::Checksum, Lang::En) => "The check digit does not match the other digits; \
                 a digit was probably mistyped."
                .to_owned(),
            (IdError::AllSameDigits, Lang::Fa) => "همهٔ رقم‌ها نمی‌توانند یکسان باشند.".to_owned(),
            (IdError::AllSameDigits, Lang::En) => "The digits cannot all be the same.".to_owned(),
            (IdError::ZeroMiddle, Lang::Fa) => "رقم‌های چهارم تا نهم نمی‌توانند همه صفر باشند.".to_owned(),
            (IdError::ZeroMiddle, Lang::En) => "The 4th to 9th digits cannot all be zero.".to_owned(),
            (IdError::BadPrefix { expected }, Lang::Fa) => {
                format!("باید با {} شروع شود.", digits::to_persian(expected))
            }
            (IdError::BadPrefix { expected }, Lang::En) => format!("Must start with {expected}."),
            (IdError::ZeroOrTwoInFirstFive, Lang::Fa) => "پنج رقم اول نباید ۰ یا ۲ داشته باشد.".to_owned(),
            (IdError::ZeroOrTwoInFirstFive, Lang::En) => {
                "The first five digits cannot include 0 or 2.".to_owned()
            }
        }
    }
}

/// Implements the string-like traits shared by every identifier. Deserialisation runs `parse`,
/// so stored or received values get the same checks as typed ones.
macro_rules! string_identifier {
    ($name:ident) => {
        impl $name {
            /// The canonical ASCII form, as stored and exchanged.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// National ID of a person (کد ملی): 10 digits with a mod-11 check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NationalId(String);
string_identifier!(NationalId);

impl NationalId {
    /// Accepts 8 to 10 digits and left-pads them to 10, because leading zeros are often lost
    /// when the number passed through a spreadsheet.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let mut d = digits_of(input)?;
        if !(8..=10).contains(&d.len()) {
            return Err(IdError::WrongLength { expected: "10" });
        }
        while d.len() < 10 {
            d.insert(0, 0);
        }
        if d.iter().all(|&x| x == d[0]) {
            return Err(IdError::AllSameDigits);
        }
        if d[3..9].iter().all(|&x| x == 0) {
            return Err(IdError::ZeroMiddle);
        }
        let s: u32 = (0..9).map(|i| u32::from(d[i]) * (10 - i as u32)).sum();
        let r = s % 11;
        let check = if r < 2 { r } else { 11 - r };
        if u32::from(d[9]) != check {
            return Err(IdError::Checksum);
        }
        Ok(NationalId(to_ascii(&d)))
    }

    /// The first three and last three digits, for receipts and lists that must not disclose
    /// the whole number: `007****645`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// National ID of a legal entity (شناسه ملی): 11 digits with a weighted mod-11 check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegalEntityId(String);
string_identifier!(LegalEntityId);

impl LegalEntityId {
    /// Accepts exactly 11 digits: unlike personal IDs, these are not padded.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let d = digits_of(input)?;
        if d.len() != 11 {
            return Err(IdError::WrongLength { expected: "11" });
        }
        if d.iter().all(|&x| x == 0) {
            return Err(IdError::AllSameDigits);
        }
        if d[3..9].iter().all(|&x| x == 0) {
            return Err(IdError::ZeroMiddle);
        }
        const WEIGHTS: [u32; 5] = [29, 27, 23, 19, 17];
        let base = u32::from(d[9]) + 2;
        let s: u32 = (0..10).map(|i| (base + u32::from(d[i])) * WEIGHTS[i % 5]).sum();
        let check = match s % 11 {
            10 => 0,
            r => r,
        };
        if u32::from(d[10]) != check {
            return Err(IdError::Checksum);
        }
        Ok(LegalEntityId(to_ascii(&d)))
    }
}

/// Iranian mobile number, stored in international form `+989xxxxxxxxx`.
///
/// Only the leading 9 is checked: operators open new prefixes over time, so an unknown 9xx
/// prefix is never rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mobile(String);
string_identifier!(Mobile);

impl Mobile {
    /// Accepts `09xxxxxxxxx`, `9xxxxxxxxx`, `+989…`, `989…` and `00989…`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = clean(input)?;
        let national = if let Some(rest) = s.strip_prefix("+98") {
            rest
        } else if s.starts_with('+') {
            return Err(IdError::BadPrefix { expected: "09" });
        } else if let Some(rest) = s.strip_prefix("0098") {
            rest
        } else if let Some(rest) = s.strip_prefix("98").filter(|rest| rest.len() == 10) {
            rest
        } else {
            s.strip_prefix('0').unwrap_or(&s)
        };
        let d = ascii_digits(national)?;
        if d.first() != Some(&9) {
            return Err(IdError::BadPrefix { expected: "09" });
        }
        if d.len() != 10 {
            return Err(IdError::WrongLength { expected: "11" });
        }
        Ok(Mobile(format!("+98{}", to_ascii(&d))))
    }

    /// The domestic form `09xxxxxxxxx`, as people write and dial it.
    pub fn local(&self) -> String {
        format!("0{}", &self.0[3..])
    }

    /// The domestic form with the middle hidden, for SMS confirmations and lists: `0912***4567`.
    pub fn masked(&self) -> String {
        format!("0{}***{}", &self.0[3..6], &self.0[9..])
    }
}

/// Ten-digit postal code (کد پستی).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostalCode(String);
string_identifier!(PostalCode);

/// Something odd about a valid postal code, worth showing but not worth refusing the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostalWarning {
    /// Tehran codes start with 1.
    OutsideTehran,
    /// The code fails the stricter patterns found online (four equal leading digits, a 5 in
    /// fifth place, a 2 among the last five). Real codes fail them too, hence only a warning.
    UnusualPattern,
}

impl PostalWarning {
    /// A sentence for the person who typed the value.
    pub fn message(&self, lang: Lang) -> String {
        let text = match (self, lang) {
            (PostalWarning::OutsideTehran, Lang::Fa) => {
                "این کد به تهران تعلق ندارد؛ کدهای پستی تهران با ۱ شروع می‌شوند."
            }
            (PostalWarning::OutsideTehran, Lang::En) => {
                "This is not a Tehran code; Tehran postal codes start with 1."
            }
            (PostalWarning::UnusualPattern, Lang::Fa) => {
                "ترتیب رقم‌ها غیرعادی است؛ لطفاً آن را دوباره بررسی کنید."
            }
            (PostalWarning::UnusualPattern, Lang::En) => {
                "The digit pattern is unusual; please check it again."
            }
        };
        text.to_owned()
    }
}

impl PostalCode {
    /// Enforces only the hard rules (10 digits, no 0 or 2 among the first five); see
    /// [`PostalCode::warnings`] for the rest.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let d = digits_of(input)?;
        if d.len() != 10 {
            return Err(IdError::WrongLength { expected: "10" });
        }
        if d[..5].iter().any(|&x| x == 0 || x == 2) {
            return Err(IdError::ZeroOrTwoInFirstFive);
        }
        Ok(PostalCode(to_ascii(&d)))
    }

    /// Soft warnings; an empty list for an ordinary Tehran code.
    pub fn warnings(&self) -> Vec<PostalWarning> {
        let b = self.0.as_bytes();
        let mut warnings = Vec::new();
        if b[0] != b'1' {
            warnings.push(PostalWarning::OutsideTehran);
        }
        if b[1..4].iter().all(|&x| x == b[0]) || b[4] == b'5' || b[5..].contains(&b'2') {
            warnings.push(PostalWarning::UnusualPattern);
        }
        warnings
    }
}

/// Iranian IBAN (شبا): `IR` followed by 24 digits, ISO 7064 MOD 97-10 checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iban(String);
string_identifier!(Iban);

impl Iban {
    /// Accepts the `IR` prefix in either case, or the 24 digits alone because bank forms
    /// print `IR` outside the input box.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = clean(input)?.to_ascii_uppercase();
        let number = match s.strip_prefix("IR") {
            Some(rest) => rest,
            None if s.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                return Err(IdError::BadPrefix { expected: "IR" });
            }
            None => &s,
        };
        let d = ascii_digits(number)?;
        if d.len() != 24 {
            return Err(IdError::WrongLength { expected: "24" });
        }
        // Move the check digits and the country code ("IR" = 18 27) to the end.
        let remainder = d[2..]
            .iter()
            .chain(&[1, 8, 2, 7])
            .chain(&d[..2])
            .fold(0u32, |r, &x| (r * 10 + u32::from(x)) % 97);
        if remainder != 1 {
            return Err(IdError::Checksum);
        }
        Ok(Iban(format!("IR{}", to_ascii(&d))))
    }

    /// The three-digit bank code (characters 5 to 7), e.g. `054` for Parsian.
    pub fn bank_code(&self) -> &str {
        &self.0[4..7]
    }
}

/// 16-digit bank card number (Shetab), Luhn checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BankCard(String);
string_identifier!(BankCard);

impl BankCard {
    /// Accepts the number with or without the spaces or dashes printed on the card.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let d = digits_of(input)?;
        if d.len() != 16 {
            return Err(IdError::WrongLength { expected: "16" });
        }
        let sum: u32 = d
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &x)| {
                let x = u32::from(x);
                match (i % 2 == 1, x * 2) {
                    (false, _) => x,
                    (true, doubled) if doubled > 9 => doubled - 9,
                    (true, doubled) => doubled,
                }
            })
            .sum();
        if !sum.is_multiple_of(10) {
            return Err(IdError::Checksum);
        }
        Ok(BankCard(to_ascii(&d)))
    }
}

/// Trims, folds digits to ASCII and removes separators and invisible marks.
fn clean(input: &str) -> Result<String, IdError> {
    let cleaned: String = digits::fold_to_ascii(input).chars().filter(|&c| !is_separator(c)).collect();
    if cleaned.is_empty() { Err(IdError::Empty) } else { Ok(cleaned) }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}'
            // Zero-width and bidirectional marks that come along when copying from RTL text.
            | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}')
}

/// The digit values of a string that must hold digits only.
fn ascii_digits(s: &str) -> Result<Vec<u8>, IdError> {
    s.bytes()
        .map(|b| if b.is_ascii_digit() { Ok(b - b'0') } else { Err(IdError::InvalidCharacters) })
        .collect()
}

fn digits_of(input: &str) -> Result<Vec<u8>, IdError> {
    ascii_digits(&clean(input)?)
}

fn to_ascii(d: &[u8]) -> String {
    d.iter().map(|&x| char::from(b'0' + x)).collect()
}
