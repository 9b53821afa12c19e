//! Daftar's licensing engine for City E-Services Offices: the call as versioned data, each
//! applicant's eligibility and points with explanations, ranking by exam or board, selection
//! with municipal sites, and the life of a licensed office (licence, equipment, experts).
//!
//! The library does no I/O and reads no clock or randomness: the call comes in as TOML text,
//! applications, exam results, votes and "today" as values, and results go out as values. The
//! same inputs therefore give the same result anywhere, and [`inputs_digest`] lets anyone check
//! they hold the same inputs.
//!
//! - [`call`]: the call's rules ([`CallRules::from_toml`], the demo call in [`DEMO_CALL_TOML`]).
//! - [`eligibility`]: one result per condition ([`assess_eligibility`]).
//! - [`points`]: the rubric's breakdown ([`score_points`]).
//! - [`exam`], [`board`]: the two selection paths' inputs ([`parse_exam_csv`], [`board_outcome`]).
//! - [`ranking`]: the order of the qualified applicants ([`rank()`]).
//! - [`selection`]: places and municipal sites in rank order ([`select`]); its module
//!   documentation explains why sites go by serial choice.
//! - [`licence`], [`office`], [`expert`]: office codes and the licence lifecycle, opening
//!   blockers, expert certification and who may act.
//!
//! Every explanation is structured data (codes, clauses, inputs, arithmetic) with a
//! `message(Lang)` renderer in Persian (Persian digits) and English. Scores are exact decimals;
//! binary floating point is used nowhere.

pub mod application;
pub mod board;
pub mod calendar;
pub mod call;
pub mod digest;
pub mod eligibility;
pub mod exam;
pub mod expert;
pub mod licence;
mod load;
pub mod office;
pub mod points;
pub mod ranking;
pub mod selection;
mod text;

pub use application::{
    Application, Degree, DegreeLevel, Experience, Location, Person, Premises, SiteRequest,
};
pub use board::{Ballot, BoardDecision, BoardError, BoardOutcome, BoardVote, Vote, board_outcome};
pub use calendar::{add_years, completed_years};
pub use call::{
    BoardRules, CallRules, DEMO_CALL_TOML, Declaration, DegreePoints, EquipmentItem, ExperiencePoints,
    ExpertRules, GeneralConditions, Label, LicenceRules, OfficeRules, PersonRules, PremisesPoints,
    PremisesRules, RegistrationWindow, Rubric, SelectionRules, Site, Supplier, TieBreak,
};
pub use digest::inputs_digest;
pub use eligibility::{Check, ConditionResult, Eligibility, HeldDegree, Subject, assess_eligibility};
pub use exam::{CsvError, CsvField, CsvProblem, EXAM_CSV_HEADER, ExamResult, parse_exam_csv};
pub use expert::{
    ActRefusal, Assignment, Certificate, CertificationProblem, ExpertCandidate, certify, check_may_act,
    may_act,
};
pub use licence::{
    Licence, LicenceAction, LicenceError, LicenceState, LicenceStatus, OfficeCode, OfficeCodeError,
};
pub use load::CallError;
pub use office::{Blocker, ChecklistItem, ItemStatus, opening_blockers};
pub use points::{Points, PointsItem, PointsLine, PremisesBasis, score_points};
pub use ranking::{
    NotRanked, NotRankedReason, RankError, RankedApplicant, Ranking, SelectionPath, SiteNeed, rank, tie_key,
};
pub use selection::{Placement, ReserveReason, Reserved, Selected, Selection, select};
