//! Calendar arithmetic the call needs: completed years of age and whole-year validity periods,
//! both counted in Jalali months and days (not in days, which would drift with leap years).

use daftar_types::JalaliDate;

/// Completed years between `birth` and `on`, compared by Jalali month and day: a person is one
/// year older on the same month and day of each later year.
///
/// Only Esfand changes length, so a birthday of 30 Esfand is reached on 29 Esfand in a common
/// year: the last day of the month stands in for a day the month lacks. Negative when `on` is
/// before `birth`.
pub fn completed_years(birth: JalaliDate, on: JalaliDate) -> i32 {
    let birthday = (birth.month(), day_in_year(birth, on.year()));
    let before_birthday = (on.month(), on.day()) < birthday;
    on.year() - birth.year() - i32::from(before_birthday)
}

/// The same month and day `years` later (earlier if negative); a day the month lacks becomes its
/// last day (30 Esfand of a leap year → 29 Esfand of a common year). `None` outside the
/// supported range.
pub fn add_years(date: JalaliDate, years: i32) -> Option<JalaliDate> {
    let year = date.year().checked_add(years)?;
    JalaliDate::new(year, date.month(), day_in_year(date, year)).ok()
}

/// The day of `date`'s month clamped to the length of that month in `year`.
fn day_in_year(date: JalaliDate, year: i32) -> u8 {
    let last = JalaliDate::days_in_month(year, date.month()).unwrap_or(date.day());
    date.day().min(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> JalaliDate {
        JalaliDate::new(y, m, day).unwrap()
    }

    #[test]
    fn counts_completed_years() {
        assert_eq!(completed_years(d(1378, 2, 15), d(1405, 2, 15)), 27);
        assert_eq!(completed_years(d(1378, 2, 16), d(1405, 2, 15)), 26);
        assert_eq!(completed_years(d(1405, 2, 16), d(1405, 2, 15)), -1);
        assert_eq!(completed_years(d(1405, 2, 15), d(1405, 2, 15)), 0);
    }

    #[test]
    fn thirtieth_of_esfand() {
        assert!(JalaliDate::is_leap_year(1403) && !JalaliDate::is_leap_year(1404));
        // Reached on 29 Esfand of a common year, on 30 Esfand of a leap year.
        assert_eq!(completed_years(d(1403, 12, 30), d(1404, 12, 29)), 1);
        assert_eq!(completed_years(d(1403, 12, 30), d(1404, 12, 28)), 0);
        assert!(JalaliDate::is_leap_year(1408));
        assert_eq!(completed_years(d(1403, 12, 30), d(1408, 12, 29)), 4);
        assert_eq!(completed_years(d(1403, 12, 30), d(1408, 12, 30)), 5);
    }

    #[test]
    fn adds_years() {
        assert_eq!(add_years(d(1405, 2, 10), 3), Some(d(1408, 2, 10)));
        assert_eq!(add_years(d(1403, 12, 30), 1), Some(d(1404, 12, 29)));
        assert_eq!(add_years(d(1403, 12, 30), 5), Some(d(1408, 12, 30)));
        assert_eq!(add_years(JalaliDate::MAX, 1), None);
    }
}
