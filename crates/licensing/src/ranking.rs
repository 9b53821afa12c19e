//! Ranking the qualified applicants, by the exam path or the board path (S7).
//!
//! The path follows from the count: more qualified applicants than the call's capacity means an
//! exam, otherwise the board reviews each one. Scores are exact decimals and the order is total
//! (the last key is unique per applicant), so the same inputs give the same ranking whatever
//! order they arrive in.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use daftar_types::{Lang, NationalId, Timestamp, digits};
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::application::{Application, Location, SiteRequest};
use crate::board::{Ballot, BoardDecision, BoardError, BoardOutcome, BoardVote, board_outcome};
use crate::call::{CallRules, SelectionRules, TieBreak};
use crate::digest::inputs_digest;
use crate::eligibility::assess_eligibility;
use crate::exam::{ExamResult, is_valid_score};
use crate::points::score_points;
use crate::text::{self, dec, int};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionPath {
    /// Qualified applicants outnumber the capacity: ranked by the final score of exam and points.
    Exam,
    /// They do not: the board reviews each; those approved are ranked by points.
    Board,
}

/// Whether a ranked applicant brings premises or needs a municipal site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteNeed {
    OwnPremises,
    MunicipalSite(SiteRequest),
}

/// A qualified applicant in rank order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedApplicant {
    /// 1 is the best.
    pub rank: u32,
    pub national_id: NationalId,
    pub points: u32,
    /// On the exam path.
    #[serde(serialize_with = "optional_decimal")]
    pub exam_score: Option<Decimal>,
    /// Exam path: `exam_weight × exam + points_weight × (points × points_scale)`; board path:
    /// the points.
    #[serde(serialize_with = "text::normalized")]
    pub final_score: Decimal,
    pub submitted_at: Timestamp,
    /// The last tie-break: SHA-256 (hex) of `{call code}:{national ID}`.
    pub tie_key: String,
    pub need: SiteNeed,
}

fn optional_decimal<S: serde::Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => text::normalized(d, serializer),
        None => serializer.serialize_none(),
    }
}

/// Why a qualified or unqualified applicant has no rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotRankedReason {
    /// Codes of the conditions not met.
    Ineligible { failed: Vec<String> },
    /// Qualified on the exam path, but without an exam score.
    AbsentFromExam,
    /// The board did not approve (rejected or no quorum).
    Board { decision: BoardDecision },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotRanked {
    pub national_id: NationalId,
    pub reason: NotRankedReason,
}

/// The ranking of a call, reproducible from its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ranking {
    pub call_version: String,
    /// See [`inputs_digest`].
    pub inputs_digest: String,
    pub path: SelectionPath,
    /// Applicants meeting every condition.
    pub qualified: u32,
    pub ranked: Vec<RankedApplicant>,
    /// By national ID.
    pub not_ranked: Vec<NotRanked>,
}

/// Inputs that contradict themselves; the ranking is not computed until they are corrected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RankError {
    #[error("applicant {national_id} has more than one application")]
    DuplicateApplication { national_id: NationalId },
    #[error("applicant {national_id} has more than one exam result")]
    DuplicateExamResult { national_id: NationalId },
    #[error("the exam score of {national_id} is not between 0 and 100 with at most two decimals")]
    InvalidExamScore { national_id: NationalId },
    #[error("the board's ballots on {applicant}: {error}")]
    Ballot { applicant: NationalId, error: BoardError },
}

/// Ranks a call's applications. Exam results are used on the exam path and board votes on the
/// board path; the other list is ignored (but still enters the inputs digest).
pub fn rank(
    rules: &CallRules,
    applications: &[Application],
    exam_results: &[ExamResult],
    votes: &[BoardVote],
) -> Result<Ranking, RankError> {
    let mut apps: Vec<&Application> = applications.iter().collect();
    apps.sort_by(|a, b| a.applicant.national_id.cmp(&b.applicant.national_id));
    if let Some(pair) = apps.windows(2).find(|w| w[0].applicant.national_id == w[1].applicant.national_id) {
        return Err(RankError::DuplicateApplication { national_id: pair[0].applicant.national_id.clone() });
    }

    let mut not_ranked = Vec::new();
    let mut qualified = Vec::new();
    for app in apps {
        let eligibility = assess_eligibility(rules, app);
        if eligibility.eligible() {
            qualified.push(app);
        } else {
            let failed = eligibility.failed().map(|c| c.code.clone()).collect();
            not_ranked.push(NotRanked {
                national_id: app.applicant.national_id.clone(),
                reason: NotRankedReason::Ineligible { failed },
            });
        }
    }

    let path =
        if qualified.len() > rules.capacity as usize { SelectionPath::Exam } else { SelectionPath::Board };
    let mut ranked = match path {
        SelectionPath::Exam => exam_candidates(rules, &qualified, exam_results, &mut not_ranked)?,
        SelectionPath::Board => board_candidates(rules, &qualified, votes, &mut not_ranked)?,
    };
    ranked.sort_by(|a, b| compare(&rules.selection, a, b));
    for (i, applicant) in ranked.iter_mut().enumerate() {
        applicant.rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    not_ranked.sort_by(|a, b| a.national_id.cmp(&b.national_id));

    Ok(Ranking {
        call_version: rules.version.clone(),
        inputs_digest: inputs_digest(rules, applications, exam_results, votes),
        path,
        // Bounded by the number of applications held in memory.
        qualified: u32::try_from(qualified.len()).unwrap_or(u32::MAX),
        ranked,
        not_ranked,
    })
}

fn exam_candidates(
    rules: &CallRules,
    qualified: &[&Application],
    exam_results: &[ExamResult],
    not_ranked: &mut Vec<NotRanked>,
) -> Result<Vec<RankedApplicant>, RankError> {
    let mut scores: BTreeMap<&NationalId, Decimal> = BTreeMap::new();
    for result in exam_results {
        if !is_valid_score(result.score) {
            return Err(RankError::InvalidExamScore { national_id: result.national_id.clone() });
        }
        if scores.insert(&result.national_id, result.score).is_some() {
            return Err(RankError::DuplicateExamResult { national_id: result.national_id.clone() });
        }
    }
    let s = &rules.selection;
    let mut ranked = Vec::new();
    for app in qualified {
        let id = &app.applicant.national_id;
        let Some(&exam) = scores.get(id) else {
            not_ranked.push(NotRanked { national_id: id.clone(), reason: NotRankedReason::AbsentFromExam });
            continue;
        };
        let points = score_points(rules, app).total;
        let final_score = s.exam_weight * exam + s.points_weight * (Decimal::from(points) * s.points_scale);
        ranked.push(candidate(rules, app, points, Some(exam), final_score));
    }
    Ok(ranked)
}

fn board_candidates(
    rules: &CallRules,
    qualified: &[&Application],
    votes: &[BoardVote],
    not_ranked: &mut Vec<NotRanked>,
) -> Result<Vec<RankedApplicant>, RankError> {
    let mut ballots: BTreeMap<&NationalId, Vec<Ballot>> = BTreeMap::new();
    for vote in votes {
        ballots.entry(&vote.applicant).or_default().push(vote.ballot());
    }
    let mut ranked = Vec::new();
    for app in qualified {
        let id = &app.applicant.national_id;
        let cast = ballots.get(id).map_or(&[][..], Vec::as_slice);
        let decision =
            board_outcome(rules, cast).map_err(|error| RankError::Ballot { applicant: id.clone(), error })?;
        if decision.outcome == BoardOutcome::Approved {
            let points = score_points(rules, app).total;
            ranked.push(candidate(rules, app, points, None, Decimal::from(points)));
        } else {
            not_ranked
                .push(NotRanked { national_id: id.clone(), reason: NotRankedReason::Board { decision } });
        }
    }
    Ok(ranked)
}

fn candidate(
    rules: &CallRules,
    app: &Application,
    points: u32,
    exam_score: Option<Decimal>,
    final_score: Decimal,
) -> RankedApplicant {
    let national_id = app.applicant.national_id.clone();
    RankedApplicant {
        rank: 0,
        tie_key: tie_key(&rules.code, &national_id),
        national_id,
        points,
        exam_score,
        final_score,
        submitted_at: app.submitted_at,
        need: match &app.location {
            Location::OwnPremises(_) => SiteNeed::OwnPremises,
            Location::MunicipalSite(request) => SiteNeed::MunicipalSite(request.clone()),
        },
    }
}

/// The last tie-break key. A hash rather than the national ID itself because the first digits
/// of a national ID encode the place of issue, so ordering by ID would systematically favour
/// people from some cities; salting with the call code gives every call a fresh, unpredictable
/// but reproducible order that nobody can influence.
pub fn tie_key(call_code: &str, national_id: &NationalId) -> String {
    hex::encode(Sha256::digest(format!("{call_code}:{national_id}").as_bytes()))
}

/// Higher final score first, then the call's tie-breaks in order, then the tie key; the national
/// ID settles the (astronomically unlikely) equal hashes so the order is always total.
fn compare(selection: &SelectionRules, a: &RankedApplicant, b: &RankedApplicant) -> Ordering {
    let tie_breaks = selection.tie_breaks.iter().fold(Ordering::Equal, |order, tie_break| {
        order.then_with(|| match tie_break {
            TieBreak::ExamScore => b.exam_score.cmp(&a.exam_score),
            TieBreak::Points => b.points.cmp(&a.points),
            TieBreak::SubmittedAt => a.submitted_at.cmp(&b.submitted_at),
        })
    });
    b.final_score
        .cmp(&a.final_score)
        .then(tie_breaks)
        .then_with(|| a.tie_key.cmp(&b.tie_key))
        .then_with(|| a.national_id.cmp(&b.national_id))
}

impl RankedApplicant {
    /// How the final score was computed and the rank it gave.
    pub fn message(&self, selection: &SelectionRules, lang: Lang) -> String {
        let rank = int(self.rank, lang);
        let points = int(self.points, lang);
        match (self.exam_score, lang) {
            (Some(exam), Lang::Fa) => format!(
                "امتیاز نهایی = {} × نمرهٔ آزمون {} + {} × (امتیاز {points} × {}) = {}؛ رتبهٔ {rank}.",
                dec(selection.exam_weight, lang),
                dec(exam, lang),
                dec(selection.points_weight, lang),
                dec(selection.points_scale, lang),
                dec(self.final_score, lang),
            ),
            (Some(exam), Lang::En) => format!(
                "Final score = {} × exam {} + {} × (points {points} × {}) = {}; rank {rank}.",
                dec(selection.exam_weight, lang),
                dec(exam, lang),
                dec(selection.points_weight, lang),
                dec(selection.points_scale, lang),
                dec(self.final_score, lang),
            ),
            (None, Lang::Fa) => {
                format!("هیات صلاحیت متقاضی را تأیید کرده است؛ رتبه‌بندی بر پایهٔ امتیاز {points}؛ رتبهٔ {rank}.")
            }
            (None, Lang::En) => format!("Approved by the board; ranked by points, {points}; rank {rank}."),
        }
    }
}

impl NotRankedReason {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (NotRankedReason::Ineligible { failed }, Lang::Fa) => {
                let count = int(u32::try_from(failed.len()).unwrap_or(u32::MAX), lang);
                format!("متقاضی واجد شرایط نیست؛ {count} شرط برآورده نشده است ({}).", failed.join("، "))
            }
            (NotRankedReason::Ineligible { failed }, Lang::En) => {
                format!(
                    "The applicant is not qualified; conditions not met ({}): {}.",
                    failed.len(),
                    failed.join(", ")
                )
            }
            (NotRankedReason::AbsentFromExam, Lang::Fa) => {
                "متقاضی واجد شرایط است، اما نمرهٔ آزمونی برای او ثبت نشده است.".to_owned()
            }
            (NotRankedReason::AbsentFromExam, Lang::En) => {
                "The applicant is qualified but has no exam score.".to_owned()
            }
            (NotRankedReason::Board { decision }, _) => decision.message(lang),
        }
    }
}

impl RankError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (RankError::DuplicateApplication { national_id }, Lang::Fa) => {
                format!(
                    "برای کد ملی {} بیش از یک درخواست ثبت شده است.",
                    digits::to_persian(national_id.as_str())
                )
            }
            (RankError::DuplicateExamResult { national_id }, Lang::Fa) => {
                format!(
                    "برای کد ملی {} بیش از یک نمرهٔ آزمون ثبت شده است.",
                    digits::to_persian(national_id.as_str())
                )
            }
            (RankError::InvalidExamScore { national_id }, Lang::Fa) => format!(
                "نمرهٔ آزمون کد ملی {} باید بین ۰ و ۱۰۰ و حداکثر با دو رقم اعشار باشد.",
                digits::to_persian(national_id.as_str())
            ),
            (RankError::Ballot { applicant, error }, Lang::Fa) => format!(
                "رأی‌های هیات دربارهٔ کد ملی {}: {}",
                digits::to_persian(applicant.as_str()),
                error.message(lang)
            ),
            (RankError::Ballot { applicant, error }, Lang::En) => {
                format!("The board's ballots on {applicant}: {}", error.message(lang))
            }
            (RankError::DuplicateApplication { national_id }, Lang::En) => {
                format!("Applicant {national_id} has more than one application.")
            }
            (RankError::DuplicateExamResult { national_id }, Lang::En) => {
                format!("Applicant {national_id} has more than one exam result.")
            }
            (RankError::InvalidExamScore { national_id }, Lang::En) => format!(
                "The exam score of {national_id} must be between 0 and 100 with at most two decimals."
            ),
        }
    }
}
