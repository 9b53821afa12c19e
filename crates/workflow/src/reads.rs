//! What a step can look at, worked out from the workflow alone.
//!
//! Facts, the history and open subtasks live in the caller's store, and reading them costs a
//! query each inside the step's transaction. The engine consults only what the guards of the
//! action taken, the automatic actions that may follow it and the optional subtasks of the
//! states it may enter name; [`Workflow::reads`] lists exactly that, so the caller reads no
//! more. Giving the engine more than it lists never changes an outcome, and giving it only
//! what it lists gives the same outcome as giving it everything (a property test holds the
//! engine to that).

use std::collections::BTreeSet;

use crate::guard::Guard;
use crate::workflow::{Action, Workflow};

/// What the engine may consult for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// The yes/no and numeric facts by name.
    pub facts: BTreeSet<String>,
    /// The actions whose last performer a two-person rule compares with the actor; the rest of
    /// the history is never looked at.
    pub performers_of: BTreeSet<String>,
    /// Whether the subtasks open in the case's state are looked at.
    pub subtasks: bool,
}

impl Reads {
    pub fn needs_fact(&self, name: &str) -> bool {
        self.facts.contains(name)
    }

    pub fn needs_history(&self) -> bool {
        !self.performers_of.is_empty()
    }

    fn add_guards(&mut self, action: &Action) {
        for guard in &action.guards {
            match guard {
                Guard::FactTrue(fact) | Guard::FactFalse(fact) | Guard::FactZero(fact) => {
                    self.facts.insert(fact.clone());
                }
                Guard::SubtasksSettled => self.subtasks = true,
                Guard::DistinctActorOf(other) => {
                    self.performers_of.insert(other.clone());
                }
            }
        }
    }
}

impl Workflow {
    /// What [`Workflow::fire`] of `action` in `state` (or, with `None`, [`Workflow::advance`]
    /// from `state`) may consult: the action's guards, then, for every state the chain of
    /// automatic actions may reach, the guards of its automatic actions and the facts that open
    /// its optional subtasks.
    pub fn reads(&self, state: &str, action: Option<&str>) -> Reads {
        let mut reads = Reads::default();
        let start = match action.and_then(|code| self.action(code)) {
            Some(action) => {
                reads.add_guards(action);
                action.to.as_str()
            }
            None => state,
        };
        let mut seen = BTreeSet::new();
        let mut pending = vec![start];
        while let Some(state) = pending.pop() {
            if !seen.insert(state) {
                continue;
            }
            reads.facts.extend(self.subtasks_of(state).filter_map(|t| t.opens_if.clone()));
            for automatic in self.actions_from(state).filter(|a| a.auto) {
                reads.add_guards(automatic);
                pending.push(&automatic.to);
            }
        }
        reads
    }

    /// What [`Workflow::available_actions`] in `state` may consult: the guards of the manual
    /// actions offered there.
    pub fn reads_offered(&self, state: &str) -> Reads {
        let mut reads = Reads::default();
        for action in self.actions_from(state).filter(|a| !a.auto) {
            reads.add_guards(action);
        }
        reads
    }
}
