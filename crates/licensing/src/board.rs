//! The board path (S7): when qualified applicants do not outnumber the offices needed, a board
//! reviews each applicant. A decision needs a quorum of members present; those present either
//! vote or abstain, and a simple majority of those voting approves.

use std::collections::BTreeSet;

use daftar_types::{Lang, NationalId, digits};
use serde::{Deserialize, Serialize};

use crate::call::CallRules;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    Approve,
    Reject,
    /// Present, counted for the quorum, but not voting.
    Abstain,
}

/// One member's ballot on one applicant. Members are numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ballot {
    pub member: u8,
    pub vote: Vote,
}

/// A ballot as recorded for the whole call: which applicant it is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BoardVote {
    pub applicant: NationalId,
    pub member: u8,
    pub vote: Vote,
}

impl BoardVote {
    pub fn ballot(&self) -> Ballot {
        Ballot { member: self.member, vote: self.vote }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardOutcome {
    Approved,
    Rejected,
    /// Too few members present to decide.
    NoQuorum,
}

/// The outcome with the tally it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BoardDecision {
    pub outcome: BoardOutcome,
    pub approve: u8,
    pub reject: u8,
    pub abstain: u8,
    pub members: u8,
    pub quorum: u8,
}

/// Ballots that cannot be counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum BoardError {
    #[error("member {member} is not a member of the board (members are 1 to {members})")]
    UnknownMember { member: u8, members: u8 },
    #[error("member {member} cast more than one ballot")]
    DuplicateBallot { member: u8 },
}

impl BoardError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (BoardError::UnknownMember { member, members }, Lang::Fa) => digits::to_persian(&format!(
                "عضو {member} عضو هیات نیست؛ اعضای هیات از ۱ تا {members} شماره‌گذاری شده‌اند."
            )),
            (BoardError::DuplicateBallot { member }, Lang::Fa) => {
                digits::to_persian(&format!("عضو {member} بیش از یک رأی داده است."))
            }
            (BoardError::UnknownMember { member, members }, Lang::En) => {
                format!("Member {member} is not on the board; members are numbered 1 to {members}.")
            }
            (BoardError::DuplicateBallot { member }, Lang::En) => {
                format!("Member {member} cast more than one ballot.")
            }
        }
    }
}

/// Counts one applicant's ballots: no quorum if fewer members than the quorum are present
/// (abstaining counts as present); otherwise approved when approvals outnumber rejections. A tie,
/// or every present member abstaining, is not a majority and rejects.
pub fn board_outcome(rules: &CallRules, ballots: &[Ballot]) -> Result<BoardDecision, BoardError> {
    let board = &rules.board;
    let mut seen = BTreeSet::new();
    for ballot in ballots {
        if ballot.member == 0 || ballot.member > board.members {
            return Err(BoardError::UnknownMember { member: ballot.member, members: board.members });
        }
        if !seen.insert(ballot.member) {
            return Err(BoardError::DuplicateBallot { member: ballot.member });
        }
    }
    // At most `members` (≤ 99) distinct ballots, so the counts fit in a u8.
    let count = |vote: Vote| ballots.iter().filter(|b| b.vote == vote).count() as u8;
    let (approve, reject, abstain) = (count(Vote::Approve), count(Vote::Reject), count(Vote::Abstain));
    let outcome = if approve + reject + abstain < board.quorum {
        BoardOutcome::NoQuorum
    } else if approve > reject {
        BoardOutcome::Approved
    } else {
        BoardOutcome::Rejected
    };
    Ok(BoardDecision { outcome, approve, reject, abstain, members: board.members, quorum: board.quorum })
}

impl BoardDecision {
    /// The tally and the outcome: `Board: 3 approve, 1 reject, 1 abstain; quorum 3 of 5: approved.`
    pub fn message(&self, lang: Lang) -> String {
        let text = match lang {
            Lang::Fa => format!(
                "هیات: {} موافق، {} مخالف، {} ممتنع؛ حد نصاب {} نفر از {} عضو: {}.",
                self.approve,
                self.reject,
                self.abstain,
                self.quorum,
                self.members,
                match self.outcome {
                    BoardOutcome::Approved => "تأیید شد",
                    BoardOutcome::Rejected => "تأیید نشد",
                    BoardOutcome::NoQuorum => "به حد نصاب نرسید",
                }
            ),
            Lang::En => format!(
                "Board: {} approve, {} reject, {} abstain; quorum {} of {} members: {}.",
                self.approve,
                self.reject,
                self.abstain,
                self.quorum,
                self.members,
                match self.outcome {
                    BoardOutcome::Approved => "approved",
                    BoardOutcome::Rejected => "not approved",
                    BoardOutcome::NoQuorum => "no quorum",
                }
            ),
        };
        digits::localize(&text, lang)
    }
}
