//! The inputs digest: one hash that pins down everything a call's result was computed from, so
//! that anyone holding the published inputs can check they have the same ones and reproduce the
//! ranking.
//!
//! The hashed text is line-oriented UTF-8, each line ending in `\n`:
//!
//! ```text
//! daftar-licensing-inputs/1
//! rules <JSON of the call rules>
//! application <JSON>      one line per application, lines sorted
//! exam_result <JSON>      one line per exam result, lines sorted
//! board_vote <JSON>       one line per ballot, lines sorted
//! ```
//!
//! JSON is compact serde JSON: struct fields in declaration order, maps by key, decimals as
//! strings without trailing zeros (so `82.5` and `82.50` hash alike). Sorting the lines makes the
//! digest independent of the order of each list; order within an application (site preferences)
//! is meaningful and kept.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::application::Application;
use crate::board::BoardVote;
use crate::call::CallRules;
use crate::exam::ExamResult;

const FORMAT: &str = "daftar-licensing-inputs/1";

/// SHA-256, in lowercase hex, of the canonical text of the inputs described in the module
/// documentation.
pub fn inputs_digest(
    rules: &CallRules,
    applications: &[Application],
    exam_results: &[ExamResult],
    votes: &[BoardVote],
) -> String {
    let mut text = format!("{FORMAT}\nrules {}\n", json(rules));
    push_sorted(&mut text, "application", applications);
    push_sorted(&mut text, "exam_result", exam_results);
    push_sorted(&mut text, "board_vote", votes);
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn push_sorted<T: Serialize>(text: &mut String, tag: &str, items: &[T]) {
    let mut lines: Vec<String> = items.iter().map(json).collect();
    lines.sort();
    for line in lines {
        text.push_str(tag);
        text.push(' ');
        text.push_str(&line);
        text.push('\n');
    }
}

fn json<T: Serialize>(value: &T) -> String {
    // Every type hashed here is plain data whose maps have string keys, which serde_json always
    // serialises.
    serde_json::to_string(value).expect("the inputs serialise to JSON")
}
