//! Staff passwords: argon2id hashes, a length rule and a refusal of guessable passwords
//! (zxcvbn), without composition rules (NIST SP 800-63B).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::{AppError, FieldError, Message};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

fn label() -> Message {
    Message::new("گذرواژه", "Password")
}

/// Checks a new password; `context` holds words a guesser would try first (the username, the
/// person's name).
pub fn check_policy(password: &str, context: &[&str]) -> Result<(), AppError> {
    let chars = password.chars().count();
    let problem = if chars < MIN_CHARS {
        Some(Message::new(
            format!("دست‌کم {} نویسه لازم است.", daftar_types::digits::to_persian(&MIN_CHARS.to_string())),
            format!("Use at least {MIN_CHARS} characters."),
        ))
    } else if chars > MAX_CHARS {
        Some(Message::new(
            format!("حداکثر {} نویسه مجاز است.", daftar_types::digits::to_persian(&MAX_CHARS.to_string())),
            format!("Use at most {MAX_CHARS} characters."),
        ))
    } else if (zxcvbn::zxcvbn(password, context).score() as u8) < 2 {
        Some(Message::new(
            "این گذرواژه رایج یا به‌آسانی حدس‌زدنی است؛ عبارتی بلندتر و کمتر آشنا برگزینید.",
            "This password is common or easy to guess; choose a longer, less familiar phrase.",
        ))
    } else {
        None
    };
    match problem {
        Some(message) => Err(AppError::invalid(FieldError::new("password", label(), message))),
        None => Ok(()),
    }
}

/// Hashes with argon2id and a random salt; slow on purpose, so run it off the async threads.
pub async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .expect("argon2 hashing with default parameters does not fail")
            .to_string()
    })
    .await
    .expect("the hashing task does not panic")
}

/// Verifies against a stored hash; with no hash (unknown user) it still spends the same time,
/// so response times do not reveal which usernames exist.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => Argon2::default().verify_password(password.as_bytes(), stored.as_str()).is_ok(),
        None => {
            let _ = Argon2::default().hash_password(password.as_bytes());
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_common_passwords_are_refused() {
        assert!(check_policy("short", &[]).is_err());
        assert!(check_policy(&"x".repeat(129), &[]).is_err());
        assert!(check_policy("password", &[]).is_err());
        assert!(check_policy("12345678", &[]).is_err());
        assert!(check_policy("qwertyuiop", &[]).is_err());
        assert!(check_policy("mahsa1370", &["mahsa"]).is_err());
        assert!(check_policy("kooh-e damavand barfi ast", &[]).is_ok());
    }

    #[tokio::test]
    async fn hashes_verify() {
        let hashed = hash("correct horse battery".into()).await;
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(hashed.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(hashed)).await);
        assert!(!verify("anything".into(), None).await);
    }
}
