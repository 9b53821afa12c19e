//! The workflow of a service: states, actions, guards and parallel subtasks, read from the
//! `[workflow]` part of a service file and checked as a graph when loaded.
//!
//! Every check that can be made on the data alone is made here, once, so that a service an
//! administrator publishes cannot strand a case: each state is reachable, each non-terminal
//! state has a way to a terminal one, automatic actions cannot loop, and no action leaves a
//! state with open subtasks without the `subtasks_settled` guard.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::definition::{Agency, DefinitionError, RawAgency, agency, checked_code, names};
use crate::guard::Guard;
use crate::names::{Label, Names};
use crate::sla::Sla;

/// Whether a case can leave a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateKind {
    #[default]
    Normal,
    /// The case is finished (issued, rejected, withdrawn, …): no action leaves it.
    Terminal,
}

/// A state a case can be in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub code: String,
    pub name: Names,
    pub kind: StateKind,
    /// How long the case may stay here; `None` while the case waits on the applicant, whose
    /// time is not the office's to account for.
    pub sla: Option<Sla>,
}

impl State {
    pub fn label(&self) -> Label {
        Label::new(&self.code, &self.name)
    }

    pub fn is_terminal(&self) -> bool {
        self.kind == StateKind::Terminal
    }
}

/// A step a person (or, for `auto` actions, the system) takes to move a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub code: String,
    pub name: Names,
    /// The states the action can be taken in.
    pub from: Vec<String>,
    pub to: String,
    /// Role codes allowed to take the action; empty for automatic actions. The caller maps its
    /// own roles to these codes, which keeps this crate independent of any user model.
    pub roles: Vec<String>,
    /// All must hold, checked in order; the first that fails is reported.
    pub guards: Vec<Guard>,
    /// The person must say why (returns, rejections, expert decisions), so the history
    /// explains itself.
    pub requires_reason: bool,
    /// Taken by the system as soon as its guards hold, so that a case never waits for someone to
    /// click through a step with nothing left to decide (e.g. a fully waived invoice).
    pub auto: bool,
}

impl Action {
    pub fn label(&self) -> Label {
        Label::new(&self.code, &self.name)
    }

    pub fn allows_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Work handed out in parallel while a case is in a state, typically an inquiry to another
/// agency (fire, water, power, …). The case cannot leave the state until it is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtask {
    pub code: String,
    pub name: Names,
    /// The state in which the subtask is opened.
    pub state: String,
    /// Who answers it.
    pub agency: Agency,
    /// An optional subtask is opened only when the yes/no fact `opens_if` is true when the case
    /// enters the state (e.g. the parcel lies in a heritage zone), and may be withdrawn.
    pub optional: bool,
    pub opens_if: Option<String>,
}

impl Subtask {
    pub fn label(&self) -> Label {
        Label::new(&self.code, &self.name)
    }
}

/// A validated workflow. Built only by loading a service file, so holding one proves the checks
/// of this module passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    initial: String,
    states: Vec<State>,
    actions: Vec<Action>,
    subtasks: Vec<Subtask>,
}

impl Workflow {
    /// The state every new case starts in.
    pub fn initial(&self) -> &str {
        &self.initial
    }

    /// In the order of the service file.
    pub fn states(&self) -> &[State] {
        &self.states
    }

    /// In the order of the service file, which is also the order in which automatic actions are
    /// tried.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    pub fn subtasks(&self) -> &[Subtask] {
        &self.subtasks
    }

    pub fn state(&self, code: &str) -> Option<&State> {
        self.states.iter().find(|s| s.code == code)
    }

    pub fn action(&self, code: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.code == code)
    }

    /// The subtasks opened in `state`.
    pub fn subtasks_of<'a>(&'a self, state: &'a str) -> impl Iterator<Item = &'a Subtask> {
        self.subtasks.iter().filter(move |t| t.state == state)
    }

    /// The actions that can be taken in `state`, automatic ones included.
    pub fn actions_from<'a>(&'a self, state: &'a str) -> impl Iterator<Item = &'a Action> {
        self.actions.iter().filter(move |a| a.from.iter().any(|f| f == state))
    }

    /// Every role code the workflow mentions, in actions and escalations, so that a caller can
    /// check at start-up that it maps each one to a role of its own.
    pub fn role_codes(&self) -> BTreeSet<&str> {
        let acting = self.actions.iter().flat_map(|a| a.roles.iter());
        let escalating = self.states.iter().filter_map(|s| s.sla.as_ref()).map(|sla| &sla.escalate_to);
        acting.chain(escalating).map(String::as_str).collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkflow {
    initial: String,
    states: Vec<RawState>,
    actions: Vec<RawAction>,
    #[serde(default)]
    subtasks: Vec<RawSubtask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    code: String,
    name_fa: String,
    name_en: String,
    #[serde(default)]
    kind: StateKind,
    sla_days: Option<u32>,
    escalate_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    code: String,
    name_fa: String,
    name_en: String,
    from: Vec<String>,
    to: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    guards: Vec<String>,
    #[serde(default)]
    requires_reason: bool,
    #[serde(default)]
    auto: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubtask {
    code: String,
    name_fa: String,
    name_en: String,
    state: String,
    agency: RawAgency,
    #[serde(default)]
    optional: bool,
    opens_if: Option<String>,
}

impl Workflow {
    pub(crate) fn from_raw(raw: RawWorkflow) -> Result<Workflow, DefinitionError> {
        let states = load_states(raw.states)?;
        let known: BTreeSet<&str> = states.iter().map(|s| s.code.as_str()).collect();
        if !known.contains(raw.initial.as_str()) {
            return Err(DefinitionError::UnknownState {
                at: "workflow".into(),
                field: "initial",
                state: raw.initial,
            });
        }
        let subtasks = load_subtasks(raw.subtasks, &known, &raw.initial)?;
        let actions = load_actions(raw.actions, &known)?;
        let workflow = Workflow { initial: raw.initial, states, actions, subtasks };
        workflow.check_graph()?;
        Ok(workflow)
    }

    fn check_graph(&self) -> Result<(), DefinitionError> {
        self.check_terminal_exits()?;
        self.check_reachable()?;
        self.check_way_out()?;
        self.check_auto_cycles()?;
        self.check_subtask_exits()
    }

    fn check_terminal_exits(&self) -> Result<(), DefinitionError> {
        for state in self.states.iter().filter(|s| s.is_terminal()) {
            if let Some(action) = self.actions_from(&state.code).next() {
                return Err(DefinitionError::TerminalWithExits {
                    state: state.code.clone(),
                    action: action.code.clone(),
                });
            }
        }
        Ok(())
    }

    fn check_reachable(&self) -> Result<(), DefinitionError> {
        let edges = self.edges(|_| true);
        let reached = closure(&self.initial, &edges);
        match self.states.iter().find(|s| !reached.contains(s.code.as_str())) {
            Some(state) => {
                Err(DefinitionError::Unreachable { state: state.code.clone(), initial: self.initial.clone() })
            }
            None => Ok(()),
        }
    }

    /// Every state must have a path to a terminal state, or a case could be trapped in it (or in
    /// a loop of states) forever.
    fn check_way_out(&self) -> Result<(), DefinitionError> {
        let mut backwards: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (from, to) in self.edge_list(|_| true) {
            backwards.entry(to).or_default().push(from);
        }
        let mut can_finish = BTreeSet::new();
        for terminal in self.states.iter().filter(|s| s.is_terminal()) {
            can_finish.extend(closure(&terminal.code, &backwards));
        }
        match self.states.iter().find(|s| !can_finish.contains(s.code.as_str())) {
            Some(state) => Err(DefinitionError::NoWayOut { state: state.code.clone() }),
            None => Ok(()),
        }
    }

    /// Automatic actions must not form a cycle, or a case whose facts satisfy every guard on it
    /// would advance forever. Without cycles, an automatic chain visits each state at most once.
    fn check_auto_cycles(&self) -> Result<(), DefinitionError> {
        let edges = self.edges(|a| a.auto);
        let mut finished = BTreeSet::new();
        for state in &self.states {
            let mut path = Vec::new();
            if let Some(cycle) = find_cycle(&state.code, &edges, &mut path, &mut finished) {
                return Err(DefinitionError::AutoCycle { states: cycle });
            }
        }
        Ok(())
    }

    /// Leaving a state with subtasks before they are settled would close a case while another
    /// agency still works on it, so every such exit must carry the guard.
    fn check_subtask_exits(&self) -> Result<(), DefinitionError> {
        for subtask in &self.subtasks {
            let mut unguarded = self
                .actions_from(&subtask.state)
                .filter(|a| a.to != subtask.state && !a.guards.contains(&Guard::SubtasksSettled));
            if let Some(action) = unguarded.next() {
                return Err(DefinitionError::Invalid {
                    at: format!("workflow.actions.{}", action.code),
                    field: "guards".into(),
                    problem: format!(
                        "it leaves `{}`, which opens subtasks, so it needs the guard `subtasks_settled`",
                        subtask.state
                    ),
                });
            }
        }
        Ok(())
    }

    fn edge_list(&self, include: impl Fn(&Action) -> bool) -> Vec<(&str, &str)> {
        self.actions
            .iter()
            .filter(|a| include(a))
            .flat_map(|a| a.from.iter().map(move |f| (f.as_str(), a.to.as_str())))
            .collect()
    }

    fn edges(&self, include: impl Fn(&Action) -> bool) -> BTreeMap<&str, Vec<&str>> {
        let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (from, to) in self.edge_list(include) {
            edges.entry(from).or_default().push(to);
        }
        edges
    }
}

/// The states reachable from `start` (itself included).
fn closure<'a>(start: &'a str, edges: &BTreeMap<&'a str, Vec<&'a str>>) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::from([start]);
    let mut queue = vec![start];
    while let Some(state) = queue.pop() {
        for &next in edges.get(state).into_iter().flatten() {
            if seen.insert(next) {
                queue.push(next);
            }
        }
    }
    seen
}

/// Depth-first search for a cycle through `state`; returns the states of the cycle, its first
/// state repeated at the end. `finished` holds states already known to lead to no cycle.
fn find_cycle<'a>(
    state: &'a str,
    edges: &BTreeMap<&'a str, Vec<&'a str>>,
    path: &mut Vec<&'a str>,
    finished: &mut BTreeSet<&'a str>,
) -> Option<Vec<String>> {
    if let Some(start) = path.iter().position(|&s| s == state) {
        let mut cycle: Vec<String> = path[start..].iter().map(|s| (*s).to_owned()).collect();
        cycle.push(state.to_owned());
        return Some(cycle);
    }
    if finished.contains(state) {
        return None;
    }
    path.push(state);
    for &next in edges.get(state).into_iter().flatten() {
        if let Some(cycle) = find_cycle(next, edges, path, finished) {
            return Some(cycle);
        }
    }
    path.pop();
    finished.insert(state);
    None
}

fn load_states(raw: Vec<RawState>) -> Result<Vec<State>, DefinitionError> {
    if raw.is_empty() {
        return Err(DefinitionError::invalid("workflow", "states", "the workflow has no states"));
    }
    let mut states: Vec<State> = Vec::with_capacity(raw.len());
    for (index, state) in raw.into_iter().enumerate() {
        let at = format!("workflow.states[{index}]");
        let code = checked_code(&at, "code", state.code)?;
        let at = format!("workflow.states.{code}");
        if states.iter().any(|s| s.code == code) {
            return Err(DefinitionError::Duplicate { at: "workflow.states".into(), code });
        }
        let sla = match (state.sla_days, state.escalate_to) {
            (Some(days), Some(role)) => Some(Sla::load(&at, days, role)?),
            (None, None) => None,
            (Some(_), None) => {
                return Err(DefinitionError::invalid(&at, "escalate_to", "a state with an SLA needs it"));
            }
            (None, Some(_)) => {
                return Err(DefinitionError::invalid(&at, "sla_days", "`escalate_to` needs it"));
            }
        };
        let name = names(&at, state.name_fa, state.name_en)?;
        states.push(State { code, name, kind: state.kind, sla });
    }
    Ok(states)
}

fn load_subtasks(
    raw: Vec<RawSubtask>,
    known: &BTreeSet<&str>,
    initial: &str,
) -> Result<Vec<Subtask>, DefinitionError> {
    let mut subtasks: Vec<Subtask> = Vec::with_capacity(raw.len());
    for (index, subtask) in raw.into_iter().enumerate() {
        let at = format!("workflow.subtasks[{index}]");
        let code = checked_code(&at, "code", subtask.code)?;
        let at = format!("workflow.subtasks.{code}");
        if subtasks.iter().any(|t| t.code == code) {
            return Err(DefinitionError::Duplicate { at: "workflow.subtasks".into(), code });
        }
        if !known.contains(subtask.state.as_str()) {
            return Err(DefinitionError::UnknownState { at, field: "state", state: subtask.state });
        }
        if subtask.state == initial {
            return Err(DefinitionError::invalid(
                &at,
                "state",
                "the initial state cannot open subtasks: a new case does not enter it through an action",
            ));
        }
        let opens_if = match (subtask.optional, subtask.opens_if) {
            (true, Some(fact)) => Some(checked_code(&at, "opens_if", fact)?),
            (false, None) => None,
            (true, None) => {
                return Err(DefinitionError::invalid(
                    &at,
                    "opens_if",
                    "an optional subtask needs the fact that says when this case needs it",
                ));
            }
            (false, Some(_)) => {
                return Err(DefinitionError::invalid(
                    &at,
                    "opens_if",
                    "only optional subtasks have it; a required one always opens",
                ));
            }
        };
        let name = names(&at, subtask.name_fa, subtask.name_en)?;
        let agency = agency(&format!("{at}.agency"), subtask.agency)?;
        subtasks.push(Subtask {
            code,
            name,
            state: subtask.state,
            agency,
            optional: subtask.optional,
            opens_if,
        });
    }
    Ok(subtasks)
}

fn load_actions(raw: Vec<RawAction>, known: &BTreeSet<&str>) -> Result<Vec<Action>, DefinitionError> {
    let codes: Vec<String> = raw.iter().map(|a| a.code.clone()).collect();
    let mut actions: Vec<Action> = Vec::with_capacity(raw.len());
    for (index, action) in raw.into_iter().enumerate() {
        let at = format!("workflow.actions[{index}]");
        let code = checked_code(&at, "code", action.code)?;
        let at = format!("workflow.actions.{code}");
        if actions.iter().any(|a| a.code == code) {
            return Err(DefinitionError::Duplicate { at: "workflow.actions".into(), code });
        }
        let from = action_states(&at, action.from, known)?;
        if !known.contains(action.to.as_str()) {
            return Err(DefinitionError::UnknownState { at, field: "to", state: action.to });
        }
        let roles = action_roles(&at, action.roles, action.auto)?;
        let guards = action_guards(&at, &action.guards, &codes)?;
        let name = names(&at, action.name_fa, action.name_en)?;
        actions.push(Action {
            code,
            name,
            from,
            to: action.to,
            roles,
            guards,
            requires_reason: action.requires_reason,
            auto: action.auto,
        });
    }
    Ok(actions)
}

fn action_states(
    at: &str,
    from: Vec<String>,
    known: &BTreeSet<&str>,
) -> Result<Vec<String>, DefinitionError> {
    if from.is_empty() {
        return Err(DefinitionError::invalid(at, "from", "names no state"));
    }
    for (index, state) in from.iter().enumerate() {
        if !known.contains(state.as_str()) {
            return Err(DefinitionError::UnknownState { at: at.into(), field: "from", state: state.clone() });
        }
        if from[..index].contains(state) {
            return Err(DefinitionError::Duplicate { at: format!("{at}.from"), code: state.clone() });
        }
    }
    Ok(from)
}

fn action_roles(at: &str, roles: Vec<String>, auto: bool) -> Result<Vec<String>, DefinitionError> {
    if auto && !roles.is_empty() {
        return Err(DefinitionError::invalid(
            at,
            "roles",
            "an automatic action is taken by the system, so it lists no roles",
        ));
    }
    if !auto && roles.is_empty() {
        return Err(DefinitionError::invalid(at, "roles", "names no role that may take the action"));
    }
    let mut checked: Vec<String> = Vec::with_capacity(roles.len());
    for role in roles {
        let role = checked_code(at, "roles", role)?;
        if checked.contains(&role) {
            return Err(DefinitionError::Duplicate { at: format!("{at}.roles"), code: role });
        }
        checked.push(role);
    }
    Ok(checked)
}

fn action_guards(at: &str, written: &[String], actions: &[String]) -> Result<Vec<Guard>, DefinitionError> {
    let mut guards = Vec::with_capacity(written.len());
    for text in written {
        let guard = Guard::parse(text).map_err(|problem| DefinitionError::invalid(at, "guards", problem))?;
        if let Guard::DistinctActorOf(other) = &guard
            && !actions.contains(other)
        {
            return Err(DefinitionError::invalid(at, "guards", format!("`{guard}` names an unknown action")));
        }
        guards.push(guard);
    }
    Ok(guards)
}
