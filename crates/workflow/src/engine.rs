//! The transition engine: which actions a person may take on a case now, and what taking one
//! does, including the automatic steps that follow.
//!
//! The engine is a pure function of the case as the caller last stored it, the request and the
//! facts the caller computed (inspection verdict, fees outstanding, …). It never stores
//! anything: the caller applies the [`Outcome`] in its own transaction, guarded by the version
//! number, so that two people (or one double-click) acting on the same version cannot both
//! succeed.

use std::collections::BTreeMap;

use daftar_types::{Lang, digits, number, text};
use serde::{Deserialize, Serialize};

use crate::guard::Guard;
use crate::names::Label;
use crate::workflow::{Action, State, Workflow};

/// The actor id and role code recorded for automatic steps.
pub const SYSTEM: &str = "system";

/// Who asks to take an action: a user id and the role codes they act in here (already mapped
/// by the caller from its own roles and scopes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub roles: Vec<String>,
}

impl Actor {
    pub fn new(id: impl Into<String>, roles: &[&str]) -> Actor {
        Actor { id: id.into(), roles: roles.iter().map(|r| (*r).to_owned()).collect() }
    }
}

/// What the caller knows about the case at the moment of the request: yes/no facts
/// (`inspection_passed`), numbers (`fees_outstanding`, in Rials) and the reason the person gave,
/// if any. A fact that is not given never satisfies a guard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    flags: BTreeMap<String, bool>,
    numbers: BTreeMap<String, i64>,
    reason: Option<String>,
}

impl Facts {
    pub fn new() -> Facts {
        Facts::default()
    }

    pub fn with_flag(mut self, name: &str, value: bool) -> Facts {
        self.flags.insert(name.to_owned(), value);
        self
    }

    pub fn with_number(mut self, name: &str, value: i64) -> Facts {
        self.numbers.insert(name.to_owned(), value);
        self
    }

    /// The reason typed by the person; stored normalised.
    pub fn with_reason(mut self, reason: &str) -> Facts {
        self.reason = Some(text::normalize(reason)).filter(|r| !r.is_empty());
        self
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        self.flags.get(name).copied()
    }

    pub fn number(&self, name: &str) -> Option<i64> {
        self.numbers.get(name).copied()
    }

    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

/// One past step of a case, as the two-person rule needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub action: String,
    pub actor_id: String,
    pub role: String,
}

/// Where a subtask stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubtaskState {
    Pending,
    Answered,
    /// An optional subtask found unnecessary after all; a required one cannot be withdrawn.
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubtaskStatus {
    pub code: String,
    pub state: SubtaskState,
}

/// A case as the caller stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSnapshot {
    pub state: String,
    /// Increases by one with every step; the caller's optimistic lock.
    pub version: u64,
    pub history: Vec<HistoryEntry>,
    /// The subtasks opened since the case last entered its current state.
    pub subtasks: Vec<SubtaskStatus>,
}

impl CaseSnapshot {
    /// Records an outcome as the caller's store would: new state and version, the steps in the
    /// history, and a fresh set of subtasks if the case entered its state anew.
    pub fn apply(&mut self, outcome: &Outcome) {
        self.state.clone_from(&outcome.state);
        self.version = outcome.version;
        self.history.extend(outcome.steps.iter().map(Step::history_entry));
        if outcome.entered {
            self.subtasks = outcome
                .subtasks_to_open
                .iter()
                .map(|code| SubtaskStatus { code: code.clone(), state: SubtaskState::Pending })
                .collect();
        }
    }

    /// Records an answer to (or the withdrawal of) an open subtask; `false` if no such subtask is
    /// open. Settling changes facts, not the state, so it does not bump the version: call
    /// [`Workflow::advance`] afterwards for any automatic step it allows.
    pub fn settle_subtask(&mut self, code: &str, state: SubtaskState) -> bool {
        match self.subtasks.iter_mut().find(|t| t.code == code) {
            Some(subtask) => {
                subtask.state = state;
                true
            }
            None => false,
        }
    }

    /// Who last performed `action`, looking at the newest entries first.
    fn last_performer(&self, action: &str) -> Option<&str> {
        self.history.iter().rev().find(|h| h.action == action).map(|h| h.actor_id.as_str())
    }
}

/// One transition taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: String,
    pub from: String,
    pub to: String,
    /// [`SYSTEM`] for automatic steps.
    pub actor_id: String,
    /// The role the actor acted in; [`SYSTEM`] for automatic steps.
    pub role: String,
    pub automatic: bool,
    pub reason: Option<String>,
}

impl Step {
    pub fn history_entry(&self) -> HistoryEntry {
        HistoryEntry { action: self.action.clone(), actor_id: self.actor_id.clone(), role: self.role.clone() }
    }
}

/// What a request did to a case, for the caller to store in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub state: String,
    /// The case's version plus the number of steps.
    pub version: u64,
    /// The requested step first, then the automatic steps that followed it.
    pub steps: Vec<Step>,
    /// Whether the case entered `state` anew (rather than staying put or taking no step): the
    /// state's SLA clock starts now and the previous state's subtasks are closed.
    pub entered: bool,
    /// Subtask codes to open in the new state, required ones and optional ones whose fact
    /// holds; empty unless `entered`.
    pub subtasks_to_open: Vec<String>,
    pub terminal: bool,
}

/// Why a request was refused. Each has a sentence for the person in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The case changed since the caller read it, or the same request was sent twice.
    #[error("the case is at version {current}, not {expected}")]
    StaleVersion { expected: u64, current: u64 },
    #[error("the service has no action `{action}`")]
    UnknownAction { action: String },
    /// The stored state is not part of this service version: a data error in the caller.
    #[error("the service has no state `{state}`")]
    UnknownState { state: String },
    #[error("action `{}` is not available in state `{}`", action.code, state.code)]
    NotAvailable { action: Label, state: Label },
    #[error("action `{}` is taken automatically", action.code)]
    Automatic { action: Label },
    #[error("none of the actor's roles may take action `{}`", action.code)]
    RoleNotAllowed { action: Label, allowed: Vec<String> },
    #[error("action `{}` needs a reason", action.code)]
    ReasonRequired { action: Label },
    #[error("action `{}`: guard `{guard}` does not hold: {problem:?}", action.code)]
    GuardFailed { action: Label, guard: Guard, problem: GuardProblem },
    #[error("the subtasks of state `{}` are not settled", state.code)]
    SubtasksUnsettled { state: Label, pending: Vec<Label> },
}

/// Why a guard does not hold, naming the fact (or the earlier action) it looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardProblem {
    FactMissing {
        fact: String,
    },
    /// The yes/no fact has the other value.
    FactIs {
        fact: String,
        value: bool,
    },
    FactNotZero {
        fact: String,
        value: i64,
    },
    /// The actor also performed `action`, which the two-person rule forbids.
    SameActor {
        action: String,
    },
}

impl TransitionError {
    /// A sentence for the person who made the request.
    pub fn message(&self, lang: Lang) -> String {
        let text = match lang {
            Lang::Fa => self.message_fa(),
            Lang::En => self.message_en(),
        };
        digits::localize(&text, lang)
    }

    fn message_fa(&self) -> String {
        let fa = Lang::Fa;
        match self {
            TransitionError::StaleVersion { .. } => {
                "این پرونده پس از بارگذاری صفحه تغییر کرده یا این درخواست پیش‌تر ثبت شده است؛ \
                 صفحه را دوباره بارگذاری کنید."
                    .to_owned()
            }
            TransitionError::UnknownAction { action } => format!("اقدامی با کد «{action}» در این خدمت نیست."),
            TransitionError::UnknownState { state } => {
                format!("وضعیت «{state}» در این نسخهٔ خدمت تعریف نشده است.")
            }
            TransitionError::NotAvailable { action, state } => {
                format!("«{}» در وضعیت «{}» امکان‌پذیر نیست.", action.name(fa), state.name(fa))
            }
            TransitionError::Automatic { action } => {
                format!("«{}» به‌طور خودکار انجام می‌شود و دستی انجام‌شدنی نیست.", action.name(fa))
            }
            TransitionError::RoleNotAllowed { action, .. } => {
                format!("نقش شما اجازهٔ «{}» را ندارد.", action.name(fa))
            }
            TransitionError::ReasonRequired { action } => {
                format!("برای «{}» باید دلیل را بنویسید.", action.name(fa))
            }
            TransitionError::GuardFailed { action, guard, problem } => {
                format!("«{}» انجام‌شدنی نیست: {}", action.name(fa), problem.sentence_fa(guard))
            }
            TransitionError::SubtasksUnsettled { state, pending } => format!(
                "پرونده تا پاسخ این موارد از «{}» خارج نمی‌شود: {}.",
                state.name(fa),
                list(pending, fa, "، ")
            ),
        }
    }

    fn message_en(&self) -> String {
        let en = Lang::En;
        match self {
            TransitionError::StaleVersion { .. } => {
                "The case changed after this page was loaded, or this request was already made; \
                 reload the page."
                    .to_owned()
            }
            TransitionError::UnknownAction { action } => format!("This service has no action “{action}”."),
            TransitionError::UnknownState { state } => {
                format!("The state “{state}” is not defined in this version of the service.")
            }
            TransitionError::NotAvailable { action, state } => {
                format!("“{}” is not possible while the case is at “{}”.", action.name(en), state.name(en))
            }
            TransitionError::Automatic { action } => {
                format!("“{}” happens automatically; it cannot be taken by hand.", action.name(en))
            }
            TransitionError::RoleNotAllowed { action, .. } => {
                format!("Your role may not take “{}”.", action.name(en))
            }
            TransitionError::ReasonRequired { action } => {
                format!("“{}” needs a reason; please write it.", action.name(en))
            }
            TransitionError::GuardFailed { action, guard, problem } => {
                format!("“{}” cannot be taken: {}", action.name(en), problem.sentence_en(guard))
            }
            TransitionError::SubtasksUnsettled { state, pending } => format!(
                "The case cannot leave “{}” until these are settled: {}.",
                state.name(en),
                list(pending, en, ", ")
            ),
        }
    }
}

impl GuardProblem {
    fn sentence_fa(&self, guard: &Guard) -> String {
        match self {
            GuardProblem::FactMissing { fact } => {
                format!("شرط «{guard}» به دادهٔ «{fact}» نیاز دارد که هنوز ثبت نشده است.")
            }
            GuardProblem::FactIs { fact, value } => {
                let value = if *value { "بله" } else { "خیر" };
                format!("شرط «{guard}» برقرار نیست؛ مقدار «{fact}» «{value}» است.")
            }
            GuardProblem::FactNotZero { fact, value } => format!(
                "شرط «{guard}» برقرار نیست؛ «{fact}» برابر {} است، نه صفر.",
                number::format_int(*value, Lang::Fa)
            ),
            GuardProblem::SameActor { action } => format!(
                "شرط «{guard}» برقرار نیست؛ کسی که «{action}» را انجام داده \
                 نمی‌تواند این مرحله را هم انجام دهد (قاعدهٔ دو نفر)."
            ),
        }
    }

    fn sentence_en(&self, guard: &Guard) -> String {
        match self {
            GuardProblem::FactMissing { fact } => {
                format!("the condition {guard} needs “{fact}”, which has not been recorded yet.")
            }
            GuardProblem::FactIs { fact, value } => {
                let value = if *value { "yes" } else { "no" };
                format!("the condition {guard} does not hold; “{fact}” is {value}.")
            }
            GuardProblem::FactNotZero { fact, value } => format!(
                "the condition {guard} does not hold; “{fact}” is {}, not zero.",
                number::format_int(*value, Lang::En)
            ),
            GuardProblem::SameActor { action } => format!(
                "the condition {guard} does not hold; whoever performed “{action}” may not also take this \
                 step (two-person rule)."
            ),
        }
    }
}

fn list(labels: &[Label], lang: Lang, separator: &str) -> String {
    labels.iter().map(|l| l.name(lang)).collect::<Vec<_>>().join(separator)
}

/// An action an actor may take in the case's current state, for a UI to offer: enabled when
/// `blocked` is `None`, otherwise shown with the reason it cannot be taken yet. Whether a reason
/// must be typed is on the action (`requires_reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableAction<'a> {
    pub action: &'a Action,
    pub blocked: Option<TransitionError>,
}

/// What guards look at while the engine evaluates one step.
struct Context<'a> {
    state: &'a State,
    facts: &'a Facts,
    case: &'a CaseSnapshot,
    /// Steps already taken in this request, not yet in the case's history.
    steps: &'a [Step],
    subtasks: &'a [SubtaskStatus],
    actor_id: &'a str,
}

impl Workflow {
    /// A new case in the initial state, before any step.
    pub fn new_case(&self) -> CaseSnapshot {
        CaseSnapshot {
            state: self.initial().to_owned(),
            version: 0,
            history: Vec::new(),
            subtasks: Vec::new(),
        }
    }

    /// Takes `action` on `case` for `actor`, then every automatic action whose guards then hold.
    ///
    /// Checks, in order: the version (a stale or repeated request is refused before anything
    /// else), the action and state, that the action is not automatic, the actor's roles, the
    /// reason, then the guards. The reason, if any, comes in `facts`.
    pub fn fire(
        &self,
        case: &CaseSnapshot,
        action: &str,
        actor: &Actor,
        expected_version: u64,
        facts: &Facts,
    ) -> Result<Outcome, TransitionError> {
        check_version(case, expected_version)?;
        let state = self.current_state(case)?;
        let action =
            self.action(action).ok_or_else(|| TransitionError::UnknownAction { action: action.into() })?;
        let role = self.check_request(state, action, actor, facts)?;
        let context =
            Context { state, facts, case, steps: &[], subtasks: &case.subtasks, actor_id: &actor.id };
        self.check_guards(action, &context)?;

        let mut run = Run::new(self, case, facts, state);
        run.take(action, &actor.id, role, facts.reason().map(str::to_owned));
        run.advance();
        Ok(run.finish())
    }

    /// Takes the automatic actions whose guards hold now, after facts changed outside a
    /// transition (a payment, a waiver, an inquiry answered). An outcome without steps means
    /// nothing was due.
    pub fn advance(
        &self,
        case: &CaseSnapshot,
        expected_version: u64,
        facts: &Facts,
    ) -> Result<Outcome, TransitionError> {
        check_version(case, expected_version)?;
        let state = self.current_state(case)?;
        let mut run = Run::new(self, case, facts, state);
        run.advance();
        Ok(run.finish())
    }

    /// The manual actions of the current state that `actor` has a role for, each with the reason
    /// it is blocked, if it is. Empty in a terminal state.
    pub fn available_actions<'a>(
        &'a self,
        case: &CaseSnapshot,
        actor: &Actor,
        facts: &Facts,
    ) -> Vec<AvailableAction<'a>> {
        let Some(state) = self.state(&case.state) else {
            return Vec::new();
        };
        let context =
            Context { state, facts, case, steps: &[], subtasks: &case.subtasks, actor_id: &actor.id };
        self.actions_from(&state.code)
            .filter(|a| !a.auto && actor.roles.iter().any(|r| a.allows_role(r)))
            .map(|action| AvailableAction { action, blocked: self.check_guards(action, &context).err() })
            .collect()
    }

    fn current_state(&self, case: &CaseSnapshot) -> Result<&State, TransitionError> {
        self.state(&case.state).ok_or_else(|| TransitionError::UnknownState { state: case.state.clone() })
    }

    /// Everything about a manual request except its guards; returns the role the actor acts in.
    fn check_request<'a>(
        &self,
        state: &State,
        action: &Action,
        actor: &'a Actor,
        facts: &Facts,
    ) -> Result<&'a str, TransitionError> {
        if !action.from.contains(&state.code) {
            return Err(TransitionError::NotAvailable { action: action.label(), state: state.label() });
        }
        if action.auto {
            return Err(TransitionError::Automatic { action: action.label() });
        }
        let role = actor.roles.iter().find(|r| action.allows_role(r)).ok_or_else(|| {
            TransitionError::RoleNotAllowed { action: action.label(), allowed: action.roles.clone() }
        })?;
        if action.requires_reason && facts.reason().is_none() {
            return Err(TransitionError::ReasonRequired { action: action.label() });
        }
        Ok(role)
    }

    fn check_guards(&self, action: &Action, context: &Context<'_>) -> Result<(), TransitionError> {
        action.guards.iter().try_for_each(|guard| self.check_guard(action, guard, context))
    }

    fn check_guard(
        &self,
        action: &Action,
        guard: &Guard,
        context: &Context<'_>,
    ) -> Result<(), TransitionError> {
        let problem = match guard {
            Guard::FactTrue(fact) => flag_problem(context.facts, fact, true),
            Guard::FactFalse(fact) => flag_problem(context.facts, fact, false),
            Guard::FactZero(fact) => match context.facts.number(fact) {
                None => Some(GuardProblem::FactMissing { fact: fact.clone() }),
                Some(0) => None,
                Some(value) => Some(GuardProblem::FactNotZero { fact: fact.clone(), value }),
            },
            Guard::SubtasksSettled => return self.check_subtasks(context),
            Guard::DistinctActorOf(other) => (last_performer(context, other) == Some(context.actor_id))
                .then(|| GuardProblem::SameActor { action: other.clone() }),
        };
        match problem {
            Some(problem) => {
                Err(TransitionError::GuardFailed { action: action.label(), guard: guard.clone(), problem })
            }
            None => Ok(()),
        }
    }

    /// Required subtasks must be answered; optional ones that were opened must be answered or
    /// withdrawn.
    fn check_subtasks(&self, context: &Context<'_>) -> Result<(), TransitionError> {
        let status = |code: &str| context.subtasks.iter().find(|t| t.code == code).map(|t| t.state);
        let pending: Vec<Label> = self
            .subtasks_of(&context.state.code)
            .filter(|subtask| match (subtask.optional, status(&subtask.code)) {
                (false, state) => state != Some(SubtaskState::Answered),
                (true, state) => state == Some(SubtaskState::Pending),
            })
            .map(|subtask| subtask.label())
            .collect();
        if pending.is_empty() {
            Ok(())
        } else {
            Err(TransitionError::SubtasksUnsettled { state: context.state.label(), pending })
        }
    }

    /// The subtasks a case opens on entering `state`: every required one, and each optional one
    /// whose `opens_if` fact is true.
    fn subtasks_opened_in(&self, state: &str, facts: &Facts) -> Vec<String> {
        self.subtasks_of(state)
            .filter(|t| !t.optional || t.opens_if.as_deref().and_then(|fact| facts.flag(fact)) == Some(true))
            .map(|t| t.code.clone())
            .collect()
    }
}

fn check_version(case: &CaseSnapshot, expected: u64) -> Result<(), TransitionError> {
    if case.version == expected {
        Ok(())
    } else {
        Err(TransitionError::StaleVersion { expected, current: case.version })
    }
}

fn flag_problem(facts: &Facts, fact: &str, wanted: bool) -> Option<GuardProblem> {
    match facts.flag(fact) {
        None => Some(GuardProblem::FactMissing { fact: fact.to_owned() }),
        Some(value) if value == wanted => None,
        Some(value) => Some(GuardProblem::FactIs { fact: fact.to_owned(), value }),
    }
}

fn last_performer<'a>(context: &'a Context<'_>, action: &str) -> Option<&'a str> {
    let in_request = context.steps.iter().rev().find(|s| s.action == action).map(|s| s.actor_id.as_str());
    in_request.or_else(|| context.case.last_performer(action))
}

/// The steps of one request, taken one after another on a working copy of the case.
struct Run<'w> {
    workflow: &'w Workflow,
    case: &'w CaseSnapshot,
    facts: &'w Facts,
    state: &'w State,
    subtasks: Vec<SubtaskStatus>,
    steps: Vec<Step>,
    entered: bool,
}

impl<'w> Run<'w> {
    fn new(workflow: &'w Workflow, case: &'w CaseSnapshot, facts: &'w Facts, state: &'w State) -> Run<'w> {
        Run {
            workflow,
            case,
            facts,
            state,
            subtasks: case.subtasks.clone(),
            steps: Vec::new(),
            entered: false,
        }
    }

    fn take(&mut self, action: &'w Action, actor_id: &str, role: &str, reason: Option<String>) {
        self.steps.push(Step {
            action: action.code.clone(),
            from: self.state.code.clone(),
            to: action.to.clone(),
            actor_id: actor_id.to_owned(),
            role: role.to_owned(),
            automatic: action.auto,
            reason,
        });
        if action.to == self.state.code {
            return;
        }
        // Loading checked that every action's target exists.
        if let Some(next) = self.workflow.state(&action.to) {
            self.state = next;
            self.entered = true;
            self.subtasks = self
                .workflow
                .subtasks_opened_in(&next.code, self.facts)
                .into_iter()
                .map(|code| SubtaskStatus { code, state: SubtaskState::Pending })
                .collect();
        }
    }

    /// Takes automatic actions, the first in file order whose guards hold, until none does.
    /// Automatic actions form no cycle (checked on load) and never stay in their state, so the
    /// chain visits each state at most once; the bound makes that explicit.
    fn advance(&mut self) {
        for _ in 0..self.workflow.states().len() {
            let Some(action) = self.next_automatic() else { return };
            self.take(action, SYSTEM, SYSTEM, None);
        }
    }

    fn next_automatic(&self) -> Option<&'w Action> {
        let context = Context {
            state: self.state,
            facts: self.facts,
            case: self.case,
            steps: &self.steps,
            subtasks: &self.subtasks,
            actor_id: SYSTEM,
        };
        let workflow = self.workflow;
        workflow.actions_from(&self.state.code).find(|a| a.auto && workflow.check_guards(a, &context).is_ok())
    }

    fn finish(self) -> Outcome {
        let subtasks_to_open =
            if self.entered { self.subtasks.into_iter().map(|t| t.code).collect() } else { Vec::new() };
        Outcome {
            state: self.state.code.clone(),
            version: self.case.version.saturating_add(self.steps.len() as u64),
            steps: self.steps,
            entered: self.entered,
            subtasks_to_open,
            terminal: self.state.is_terminal(),
        }
    }
}
