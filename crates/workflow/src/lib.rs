//! Daftar's workflow engine: every service an e-services office handles — the building permit
//! first, then whatever the municipality or another agency hands over — is a versioned data
//! file run by one engine.
//!
//! A service file ([`ServiceDefinition::from_toml`]) declares the documents and form fields the
//! applicant submits, the fee-bylaw service that prices it, its overall SLA and its workflow:
//! states with SLAs, actions with roles and [`Guard`]s, parallel subtasks (inquiries to other
//! agencies) and automatic actions. Loading checks the workflow as a graph, so a published
//! service cannot strand a case.
//!
//! The library does no I/O and reads no clock: the caller passes the stored case, the facts it
//! computed and the current time, and stores what comes back. That keeps every decision
//! reproducible and lets the caller commit the step, its notifications and its audit record in
//! one transaction of its own.
//!
//! - [`catalog`]: the published services ([`Catalog::demo`], [`Catalog::in_force`]).
//! - [`definition`] and [`workflow`]: the service file and its checks.
//! - [`engine`]: [`Workflow::fire`], [`Workflow::advance`], [`Workflow::available_actions`].
//! - [`reads`]: what a step may consult ([`Workflow::reads`]), so the caller reads no more.
//! - [`sla`]: deadlines and breaches in working days ([`deadline`], [`status`]).
//! - [`form`]: checking an application form ([`validate_form`]).
//! - [`documents`]: checking uploads ([`DocumentSpec::check`], [`ServiceDefinition::missing_documents`]).

pub mod catalog;
pub mod definition;
pub mod documents;
pub mod engine;
pub mod form;
pub mod guard;
pub mod names;
pub mod reads;
pub mod sla;
pub mod workflow;

pub use catalog::{Catalog, CatalogError, DEMO_SERVICES};
pub use definition::{
    Agency, ChoiceOption, DefinitionError, DocumentSpec, FieldKind, FieldSpec, ServiceDefinition,
};
pub use documents::{DocumentError, DocumentProblem};
pub use engine::{
    Actor, AvailableAction, CaseSnapshot, Facts, GuardProblem, HistoryEntry, Outcome, SYSTEM, Step,
    SubtaskState, SubtaskStatus, TransitionError,
};
pub use form::{FieldError, FieldProblem, FieldValue, ValidatedForm, validate_form};
pub use guard::Guard;
pub use names::{Label, Names};
pub use reads::Reads;
pub use sla::{Holidays, MAX_SLA_DAYS, Sla, SlaStatus, deadline, due_day, status};
pub use workflow::{Action, State, StateKind, Subtask, Workflow};
