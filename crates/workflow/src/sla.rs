//! Service-level clocks in working days.
//!
//! Offices promise times in working days ("case opened in 1 day, site visit within 3 days",
//! "permit within 15 days"), so the clock skips Fridays and the official holidays the caller
//! passes in (they are announced each year, so they are data, not code). A deadline falls at
//! the end of the Tehran day of the N-th working day after the day the case entered the state:
//! a case that enters on Wednesday with one working day is due by the end of Thursday, and one
//! that enters on Thursday is due by the end of Saturday.

use std::collections::BTreeSet;

use daftar_types::{JalaliDate, Timestamp};
use serde::{Deserialize, Serialize};

use crate::definition::{DefinitionError, checked_code};

/// The longest SLA a service file may set, a year of working days: longer is a typo.
pub const MAX_SLA_DAYS: u32 = 365;

/// How long a case may take, and who is told when it takes longer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sla {
    pub working_days: u32,
    /// The role code to escalate to once the deadline has passed.
    pub escalate_to: String,
}

impl Sla {
    pub(crate) fn load(at: &str, days: u32, escalate_to: String) -> Result<Sla, DefinitionError> {
        if !(1..=MAX_SLA_DAYS).contains(&days) {
            return Err(DefinitionError::invalid(
                at,
                "sla_days",
                format!("must be from 1 to {MAX_SLA_DAYS} working days"),
            ));
        }
        Ok(Sla { working_days: days, escalate_to: checked_code(at, "escalate_to", escalate_to)? })
    }
}

/// The official holidays to skip besides Fridays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holidays(BTreeSet<JalaliDate>);

impl Holidays {
    pub fn new(days: impl IntoIterator<Item = JalaliDate>) -> Holidays {
        Holidays(days.into_iter().collect())
    }

    /// Not a Friday and not a listed holiday.
    pub fn is_working_day(&self, day: JalaliDate) -> bool {
        !day.weekday().is_weekend() && !self.0.contains(&day)
    }
}

/// Where a case stands against its clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlaStatus {
    /// `remaining` working days are left after today.
    OnTime { remaining: u32 },
    /// Today is the last working day.
    DueToday,
    /// The deadline passed at `since`; the case goes to `escalate_to`.
    Breached { since: Timestamp, escalate_to: String },
}

/// The Tehran day on which the clock runs out.
pub fn due_day(entered_at: Timestamp, sla: &Sla, holidays: &Holidays) -> JalaliDate {
    let mut day = entered_at.to_tehran().date();
    let mut counted = 0;
    while counted < sla.working_days {
        let Some(next) = day.add_days(1) else { break };
        day = next;
        if holidays.is_working_day(day) {
            counted += 1;
        }
    }
    day
}

/// The instant the clock runs out: the end of the Tehran day of the N-th working day after the
/// day of `entered_at`. From this instant on the case is breached.
pub fn deadline(entered_at: Timestamp, sla: &Sla, holidays: &Holidays) -> Timestamp {
    end_of_day(due_day(entered_at, sla, holidays))
}

/// Where a case that entered its state (or opened) at `entered_at` stands at `now`.
pub fn status(now: Timestamp, entered_at: Timestamp, sla: &Sla, holidays: &Holidays) -> SlaStatus {
    let due = due_day(entered_at, sla, holidays);
    let since = end_of_day(due);
    if now >= since {
        return SlaStatus::Breached { since, escalate_to: sla.escalate_to.clone() };
    }
    let today = now.to_tehran().date();
    match working_days_after(today, due, holidays) {
        0 => SlaStatus::DueToday,
        remaining => SlaStatus::OnTime { remaining },
    }
}

/// Working days in `(today, due]`.
fn working_days_after(today: JalaliDate, due: JalaliDate, holidays: &Holidays) -> u32 {
    let mut count = 0;
    let mut day = today;
    while day < due {
        let Some(next) = day.add_days(1) else { break };
        day = next;
        if holidays.is_working_day(day) {
            count += 1;
        }
    }
    count
}

/// The first instant of the next Tehran day. Counting to midnight rather than to an office's
/// closing hour keeps the rule simple to state and never cuts a working day short.
fn end_of_day(day: JalaliDate) -> Timestamp {
    match day.add_days(1) {
        Some(next) => next.start_of_day_tehran(),
        None => day.start_of_day_tehran().plus_seconds(86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u8, d: u8) -> JalaliDate {
        JalaliDate::new(y, m, d).unwrap()
    }

    #[test]
    fn the_last_day_of_the_calendar_does_not_overflow() {
        let sla = Sla { working_days: 5, escalate_to: "x".into() };
        let at = JalaliDate::MAX.start_of_day_tehran();
        assert_eq!(due_day(at, &sla, &Holidays::default()), JalaliDate::MAX);
        assert_eq!(deadline(at, &sla, &Holidays::default()), at.plus_seconds(86_400));
    }

    #[test]
    fn working_days_between() {
        // 1405/01/07 is a Friday.
        assert!(day(1405, 1, 7).weekday().is_weekend());
        let none = Holidays::default();
        assert_eq!(working_days_after(day(1405, 1, 5), day(1405, 1, 8), &none), 2);
        assert_eq!(working_days_after(day(1405, 1, 8), day(1405, 1, 8), &none), 0);
        assert_eq!(working_days_after(day(1405, 1, 9), day(1405, 1, 8), &none), 0);
    }
}
