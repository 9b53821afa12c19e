//! The one error type of the use cases. The web layer maps each variant to a status code and
//! renders its bilingual messages.

use std::borrow::Cow;

use daftar_store::StoreError;
use daftar_types::Lang;
use serde::Serialize;

/// A sentence in both interface languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub fa: String,
    pub en: String,
}

impl Message {
    pub fn new(fa: impl Into<String>, en: impl Into<String>) -> Message {
        Message { fa: fa.into(), en: en.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fa => &self.fa,
            Lang::En => &self.en,
        }
    }
}

/// A problem with one input field, naming the field in both languages. The field is usually a
/// fixed name; rows of a repeated group carry their index (`applicant.degrees.1.field`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: Cow<'static, str>,
    pub label: Message,
    pub message: Message,
}

impl FieldError {
    pub fn new(field: impl Into<Cow<'static, str>>, label: Message, message: Message) -> FieldError {
        FieldError { field: field.into(), label, message }
    }

    /// "Label: message", in one language.
    pub fn text(&self, lang: Lang) -> String {
        format!("{}: {}", self.label.get(lang), self.message.get(lang))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("sign-in required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {}", .0.en)]
    Conflict(Message),
    #[error("too many attempts")]
    RateLimited { retry_after_s: i64 },
    #[error("the request is too large")]
    TooLarge,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    pub fn invalid(field: FieldError) -> AppError {
        AppError::Invalid(vec![field])
    }

    /// A human explanation in both languages.
    pub fn message(&self) -> Message {
        match self {
            AppError::Invalid(fields) => {
                Message::new("برخی ورودی‌ها درست نیست.", "Some inputs are not valid.").with_fields(fields)
            }
            AppError::Unauthenticated => {
                Message::new("برای این کار باید وارد سامانه شوید.", "You need to sign in to do this.")
            }
            AppError::Forbidden => {
                Message::new("شما اجازهٔ این کار را ندارید.", "You are not allowed to do this.")
            }
            AppError::NotFound => Message::new("پیدا نشد.", "Not found."),
            AppError::Conflict(message) => message.clone(),
            AppError::RateLimited { .. } => Message::new(
                "تلاش‌های شما بیش از حد مجاز بود؛ کمی بعد دوباره امتحان کنید.",
                "Too many attempts; please try again a little later.",
            ),
            AppError::TooLarge => {
                Message::new("درخواست بزرگ‌تر از اندازهٔ مجاز است.", "The request is larger than allowed.")
            }
            AppError::Store(_) => Message::new(
                "خطای داخلی رخ داد؛ چیزی از داده‌های ذخیره‌شدهٔ شما از دست نرفته است.",
                "An internal error occurred; nothing you had saved was lost.",
            ),
        }
    }
}

impl Message {
    fn with_fields(self, fields: &[FieldError]) -> Message {
        let fa: Vec<String> = fields.iter().map(|f| f.text(Lang::Fa)).collect();
        let en: Vec<String> = fields.iter().map(|f| f.text(Lang::En)).collect();
        Message::new(format!("{} {}", self.fa, fa.join(" ")), format!("{} {}", self.en, en.join(" ")))
    }
}

pub type AppResult<T> = Result<T, AppError>;
