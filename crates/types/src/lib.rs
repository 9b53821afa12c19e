//! Shared domain types of Daftar.
//!
//! Values are parsed once at the edge (forms, APIs, imports) into types that cannot hold invalid
//! data, so the rest of the system never re-validates. The crate does no I/O: no files, network,
//! clock or randomness, which keeps it usable from every layer and deterministic in tests.

pub mod digits;
pub mod id;
pub mod jalali;
pub mod lang;
pub mod money;
pub mod number;
pub mod text;

pub use id::{BankCard, Iban, IdError, LegalEntityId, Mobile, NationalId, PostalCode, PostalWarning};
pub use jalali::{DateError, JalaliDate, TehranDateTime, Timestamp, Weekday};
pub use lang::Lang;
pub use money::{MoneyError, Rials};
