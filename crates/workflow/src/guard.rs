//! Guards: the conditions an action needs, as a small closed set.
//!
//! A closed set rather than an expression language keeps every condition explainable in one
//! sentence to the person who is refused, and lets the loader check each one (an unknown
//! action in `distinct_actor_of` is a load error, not a surprise at run time). Facts such as
//! "the inspection passed" or "fees outstanding" are computed by the caller and passed in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One condition of an action, written in a service file as `fact_true(inspection_passed)`,
/// `fact_false(inspection_passed)`, `fact_zero(fees_outstanding)`, `subtasks_settled` or
/// `distinct_actor_of(approve_first)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// The yes/no fact is given and is true.
    FactTrue(String),
    /// The yes/no fact is given and is false. Lets a failure take its own path, e.g. a failed
    /// inspection going back for re-inspection.
    FactFalse(String),
    /// The numeric fact is given and is zero, e.g. nothing left to pay.
    FactZero(String),
    /// Every required subtask of the current state is answered and no optional one that was
    /// opened is still pending.
    SubtasksSettled,
    /// The actor differs from whoever last performed the named action in this case: the
    /// two-person rule.
    DistinctActorOf(String),
}

impl Guard {
    /// Reads the written form. The argument may be quoted (`fact_true("x")`); it must be a code
    /// of lowercase letters, digits and `_`.
    pub fn parse(text: &str) -> Result<Guard, String> {
        let text = text.trim();
        if text == "subtasks_settled" {
            return Ok(Guard::SubtasksSettled);
        }
        let Some((name, rest)) = text.split_once('(') else {
            return Err(format!("`{text}` is not a guard; {}", Self::FORMS));
        };
        let Some(argument) = rest.strip_suffix(')') else {
            return Err(format!("`{text}` lacks its closing parenthesis"));
        };
        let argument = unquote(argument.trim());
        if !is_code(argument) {
            return Err(format!(
                "`{text}`: the argument must be a code of lowercase letters, digits and `_`"
            ));
        }
        let argument = argument.to_owned();
        match name.trim() {
            "fact_true" => Ok(Guard::FactTrue(argument)),
            "fact_false" => Ok(Guard::FactFalse(argument)),
            "fact_zero" => Ok(Guard::FactZero(argument)),
            "distinct_actor_of" => Ok(Guard::DistinctActorOf(argument)),
            other => Err(format!("`{other}` is not a guard; {}", Self::FORMS)),
        }
    }

    const FORMS: &str = "use fact_true(fact), fact_false(fact), fact_zero(fact), subtasks_settled \
                         or distinct_actor_of(action)";
}

/// The written form, as in service files.
impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Guard::FactTrue(fact) => write!(f, "fact_true({fact})"),
            Guard::FactFalse(fact) => write!(f, "fact_false({fact})"),
            Guard::FactZero(fact) => write!(f, "fact_zero({fact})"),
            Guard::SubtasksSettled => f.write_str("subtasks_settled"),
            Guard::DistinctActorOf(action) => write!(f, "distinct_actor_of({action})"),
        }
    }
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text)
}

/// Codes are what programs and service files use to refer to things, so they are kept to one
/// unambiguous spelling: a lowercase ASCII letter, then lowercase letters, digits and `_`.
pub(crate) fn is_code(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_forms_round_trip() {
        for text in [
            "fact_true(inspection_passed)",
            "fact_false(inspection_passed)",
            "fact_zero(fees_outstanding)",
            "subtasks_settled",
            "distinct_actor_of(approve_first)",
        ] {
            let guard = Guard::parse(text).unwrap();
            assert_eq!(guard.to_string(), text);
        }
    }

    #[test]
    fn quotes_and_spaces_are_accepted() {
        assert_eq!(
            Guard::parse(r#" fact_true( "inspection_passed" ) "#),
            Ok(Guard::FactTrue("inspection_passed".into()))
        );
    }

    #[test]
    fn malformed_guards_are_explained() {
        assert!(Guard::parse("fact_maybe(x)").unwrap_err().contains("`fact_maybe` is not a guard"));
        assert!(Guard::parse("fact_true(x").unwrap_err().contains("closing parenthesis"));
        assert!(Guard::parse("fact_true(X-1)").unwrap_err().contains("argument must be a code"));
        assert!(Guard::parse("always").unwrap_err().contains("`always` is not a guard"));
    }

    #[test]
    fn codes() {
        assert!(is_code("building_permit"));
        assert!(is_code("a1"));
        assert!(!is_code(""));
        assert!(!is_code("1a"));
        assert!(!is_code("_a"));
        assert!(!is_code("Building"));
        assert!(!is_code("a-b"));
    }
}
