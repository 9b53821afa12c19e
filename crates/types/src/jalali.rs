//! The Jalali (Solar Hijri) calendar and Tehran local time.
//!
//! Day arithmetic and conversion go through ICU4X's Persian calendar, whose leap-year rule
//! matches the University of Tehran table (hand-written 2820-year rules got 1403 wrong). Time
//! zone offsets come from jiff's bundled tzdb, which knows Iran's daylight saving time before
//! 2022 and never reads the host's zoneinfo.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::LazyLock;

use icu_calendar::cal::Persian;
use icu_calendar::types::{RataDie, Weekday as IcuWeekday};
use icu_calendar::{Date, Iso};
use jiff::tz::{AmbiguousOffset, TimeZone, TimeZoneDatabase};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digits;
use crate::lang::Lang;

/// Rata Die (days since the proleptic Gregorian 0001-01-01, which is day 1) of 1970-01-01.
const UNIX_EPOCH_RD: i64 = 719_163;
/// Rata Die of 0001/01/01, the first supported day.
const MIN_RD: i64 = 226_895;
/// Rata Die of 9377/12/30, the last supported day.
const MAX_RD: i64 = 3_651_773;
const SECONDS_PER_DAY: i64 = 86_400;

static TEHRAN: LazyLock<TimeZone> = LazyLock::new(|| {
    TimeZoneDatabase::bundled().get("Asia/Tehran").expect("jiff's bundled tzdb contains Asia/Tehran")
});

/// Why a date or time was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DateError {
    #[error("no date was entered")]
    Empty,
    #[error("the date must be written as year/month/day")]
    InvalidFormat,
    #[error("the year must be between {} and {}", JalaliDate::MIN_YEAR, JalaliDate::MAX_YEAR)]
    YearOutOfRange,
    #[error("the month must be between 1 and 12")]
    InvalidMonth,
    /// `days_in_month` is the length of the month in that year.
    #[error("the day must be between 1 and {days_in_month}")]
    InvalidDay { days_in_month: u8 },
    #[error("the time must be between 00:00:00 and 23:59:59")]
    InvalidTime,
}

impl DateError {
    /// A sentence for the person who typed the date.
    pub fn message(&self, lang: Lang) -> String {
        let (min_year, max_year) = (JalaliDate::MIN_YEAR, JalaliDate::MAX_YEAR);
        let text = match (self, lang) {
            (DateError::Empty, Lang::Fa) => "تاریخی وارد نشده است.".to_owned(),
            (DateError::Empty, Lang::En) => "No date was entered.".to_owned(),
            (DateError::InvalidFormat, Lang::Fa) => {
                "تاریخ را به شکل سال/ماه/روز بنویسید، مانند 1405/09/12.".to_owned()
            }
            (DateError::InvalidFormat, Lang::En) => {
                "Write the date as year/month/day, for example 1405/09/12.".to_owned()
            }
            (DateError::YearOutOfRange, Lang::Fa) => {
                format!("سال باید بین {min_year} و {max_year} باشد.")
            }
            (DateError::YearOutOfRange, Lang::En) => {
                format!("The year must be between {min_year} and {max_year}.")
            }
            (DateError::InvalidMonth, Lang::Fa) => "ماه باید بین 1 و 12 باشد.".to_owned(),
            (DateError::InvalidMonth, Lang::En) => "The month must be between 1 and 12.".to_owned(),
            (DateError::InvalidDay { days_in_month }, Lang::Fa) => {
                format!("در این ماه، روز باید بین 1 و {days_in_month} باشد.")
            }
            (DateError::InvalidDay { days_in_month }, Lang::En) => {
                format!("In this month the day must be between 1 and {days_in_month}.")
            }
            (DateError::InvalidTime, Lang::Fa) => "ساعت باید بین 00:00:00 و 23:59:59 باشد.".to_owned(),
            (DateError::InvalidTime, Lang::En) => {
                "The time must be between 00:00:00 and 23:59:59.".to_owned()
            }
        };
        digits::localize(&text, lang)
    }
}

/// Day of the week. The Iranian week starts on Saturday, so the variants (and their order)
/// start there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weekday {
    Saturday,
    Sunday,
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
}

impl Weekday {
    /// The name as written in dates: `سه‌شنبه`, `Tuesday`.
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Weekday::Saturday, Lang::Fa) => "شنبه",
            (Weekday::Sunday, Lang::Fa) => "یکشنبه",
            (Weekday::Monday, Lang::Fa) => "دوشنبه",
            (Weekday::Tuesday, Lang::Fa) => "سه‌شنبه",
            (Weekday::Wednesday, Lang::Fa) => "چهارشنبه",
            (Weekday::Thursday, Lang::Fa) => "پنجشنبه",
            (Weekday::Friday, Lang::Fa) => "جمعه",
            (Weekday::Saturday, Lang::En) => "Saturday",
            (Weekday::Sunday, Lang::En) => "Sunday",
            (Weekday::Monday, Lang::En) => "Monday",
            (Weekday::Tuesday, Lang::En) => "Tuesday",
            (Weekday::Wednesday, Lang::En) => "Wednesday",
            (Weekday::Thursday, Lang::En) => "Thursday",
            (Weekday::Friday, Lang::En) => "Friday",
        }
    }

    /// Friday is the weekly holiday.
    pub fn is_weekend(self) -> bool {
        self == Weekday::Friday
    }
}

impl From<IcuWeekday> for Weekday {
    fn from(day: IcuWeekday) -> Self {
        match day {
            IcuWeekday::Saturday => Weekday::Saturday,
            IcuWeekday::Sunday => Weekday::Sunday,
            IcuWeekday::Monday => Weekday::Monday,
            IcuWeekday::Tuesday => Weekday::Tuesday,
            IcuWeekday::Wednesday => Weekday::Wednesday,
            IcuWeekday::Thursday => Weekday::Thursday,
            IcuWeekday::Friday => Weekday::Friday,
        }
    }
}

const MONTHS_FA: [&str; 12] =
    ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"];
const MONTHS_EN: [&str; 12] = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
];

/// A day of the Jalali calendar, between 0001/01/01 and 9377/12/30 (the range in which every
/// day has a Gregorian counterpart in jiff's time zone range).
///
/// Stored as a day number, so comparison, hashing and day arithmetic need no calendar lookup
/// and every operation on a valid value is total.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct JalaliDate {
    rd: i64,
}

impl JalaliDate {
    pub const MIN_YEAR: i32 = 1;
    pub const MAX_YEAR: i32 = 9377;
    /// 0001/01/01.
    pub const MIN: JalaliDate = JalaliDate { rd: MIN_RD };
    /// 9377/12/30.
    pub const MAX: JalaliDate = JalaliDate { rd: MAX_RD };

    /// Validates a year, month and day, e.g. 30 Esfand exists only in leap years.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err(DateError::YearOutOfRange);
        }
        let days_in_month = Self::days_in_month(year, month).ok_or(DateError::InvalidMonth)?;
        let date =
            Date::try_new_persian(year, month, day).map_err(|_| DateError::InvalidDay { days_in_month })?;
        Ok(JalaliDate { rd: date.to_rata_die().to_i64_date() })
    }

    /// Reads `1405/09/12`, `۱۴۰۵/۰۹/۱۲`, `1405-9-12` or `1405.09.12`: a four-digit year, then
    /// month and day of one or two digits, in any kind of digits. Direction marks that come
    /// along when copying from right-to-left text are ignored.
    pub fn parse(input: &str) -> Result<Self, DateError> {
        let folded: String =
            digits::fold_to_ascii(input).chars().filter(|&c| !is_direction_mark(c)).collect();
        let folded = folded.trim();
        if folded.is_empty() {
            return Err(DateError::Empty);
        }
        let parts: Vec<&str> = folded.split(['/', '-', '.']).collect();
        let [year, month, day] = parts.as_slice() else {
            return Err(DateError::InvalidFormat);
        };
        let number = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
            if lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse::<u16>().map_err(|_| DateError::InvalidFormat)
            } else {
                Err(DateError::InvalidFormat)
            }
        };
        let year = number(year, 4..=4)?;
        let month = number(month, 1..=2)?;
        let day = number(day, 1..=2)?;
        // Two-digit values always fit in a u8.
        Self::new(i32::from(year), month as u8, day as u8)
    }

    /// The Jalali date of a proleptic Gregorian date; `None` if the Gregorian date does not
    /// exist or lies outside the supported range.
    pub fn from_gregorian(year: i32, month: u8, day: u8) -> Option<Self> {
        let iso = Date::try_new_iso(year, month, day).ok()?;
        Self::from_rd(iso.to_rata_die().to_i64_date())
    }

    /// The proleptic Gregorian `(year, month, day)`.
    pub fn to_gregorian(self) -> (i32, u8, u8) {
        let iso = Date::from_rata_die(RataDie::new(self.rd), Iso);
        (iso.year().extended_year(), iso.month().ordinal, iso.day_of_month().0)
    }

    pub fn year(self) -> i32 {
        self.icu().year().extended_year()
    }

    /// 1 (Farvardin) to 12 (Esfand).
    pub fn month(self) -> u8 {
        self.icu().month().ordinal
    }

    pub fn day(self) -> u8 {
        self.icu().day_of_month().0
    }

    /// Whether Esfand of `year` has 30 days. `false` for years outside ICU's range (±9999).
    pub fn is_leap_year(year: i32) -> bool {
        Date::try_new_persian(year, 1, 1).is_ok_and(|date| date.is_in_leap_year())
    }

    /// 31 for months 1–6, 30 for 7–11, 29 or 30 for Esfand; `None` for a month outside 1–12 or
    /// a year outside ICU's range.
    pub fn days_in_month(year: i32, month: u8) -> Option<u8> {
        Date::try_new_persian(year, month, 1).ok().map(|date| date.days_in_month())
    }

    /// 1 Farvardin (Nowruz) of `year`.
    pub fn first_day_of_year(year: i32) -> Result<Self, DateError> {
        Self::new(year, 1, 1)
    }

    /// The date `days` days later (earlier if negative); `None` outside the supported range.
    pub fn add_days(self, days: i64) -> Option<Self> {
        Self::from_rd(self.rd.checked_add(days)?)
    }

    pub fn weekday(self) -> Weekday {
        self.icu().weekday().into()
    }

    pub fn month_name(self, lang: Lang) -> &'static str {
        let names = match lang {
            Lang::Fa => &MONTHS_FA,
            Lang::En => &MONTHS_EN,
        };
        names[usize::from(self.month() - 1)]
    }

    /// Day, month name and year, as in letters and notices: `۱۲ آذر ۱۴۰۵`, `12 Azar 1405`.
    pub fn format_long(self, lang: Lang) -> String {
        let text = format!("{} {} {}", self.day(), self.month_name(lang), self.year());
        digits::localize(&text, lang)
    }

    /// Zero-padded `yyyy/mm/dd`, the official style of legal documents: `۱۴۰۵/۰۹/۱۲`,
    /// `1405/09/12`.
    pub fn format_numeric(self, lang: Lang) -> String {
        digits::localize(&self.to_string(), lang)
    }

    /// The first instant of this day in Tehran, e.g. the end of a window that closes at 24:00
    /// of the day before. On the days when daylight saving time started at midnight (before
    /// 2022) the day began at 01:00 local time, and that is the instant returned.
    pub fn start_of_day_tehran(self) -> Timestamp {
        TehranDateTime { date: self, hour: 0, minute: 0, second: 0 }.to_timestamp()
    }

    fn from_rd(rd: i64) -> Option<Self> {
        (MIN_RD..=MAX_RD).contains(&rd).then_some(JalaliDate { rd })
    }

    fn icu(self) -> Date<Persian> {
        Date::from_rata_die(RataDie::new(self.rd), Persian)
    }
}

fn is_direction_mark(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

impl Hash for JalaliDate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rd.hash(state);
    }
}

impl fmt::Debug for JalaliDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JalaliDate({self})")
    }
}

/// `yyyy/mm/dd` with ASCII digits, the form used in storage and APIs.
impl fmt::Display for JalaliDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.icu();
        write!(
            f,
            "{:04}/{:02}/{:02}",
            date.year().extended_year(),
            date.month().ordinal,
            date.day_of_month().0
        )
    }
}

impl FromStr for JalaliDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, DateError> {
        Self::parse(s)
    }
}

impl Serialize for JalaliDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for JalaliDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An instant, as UTC Unix seconds: the form stored in databases (BIGINT) and compared.
/// Convert to Tehran local time only for display and for reading typed local times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix(seconds: i64) -> Self {
        Timestamp(seconds)
    }

    pub const fn unix(self) -> i64 {
        self.0
    }

    /// Saturates at the ends of `i64` rather than wrapping.
    pub const fn plus_seconds(self, seconds: i64) -> Self {
        Timestamp(self.0.saturating_add(seconds))
    }

    /// The wall-clock date and time in Tehran. Instants before 0001/01/01 or after 9377/12/30
    /// (Tehran time) saturate to the first or last second of that range.
    pub fn to_tehran(self) -> TehranDateTime {
        let offset = TEHRAN.to_offset(jiff_timestamp(self.0)).seconds();
        let local = self.0.saturating_add(i64::from(offset));
        let rd = local.div_euclid(SECONDS_PER_DAY) + UNIX_EPOCH_RD;
        if rd < MIN_RD {
            return TehranDateTime::midnight(JalaliDate::MIN);
        }
        if rd > MAX_RD {
            return TehranDateTime { date: JalaliDate::MAX, hour: 23, minute: 59, second: 59 };
        }
        // Below 86 400, so hour, minute and second each fit in a u8.
        let second_of_day = local.rem_euclid(SECONDS_PER_DAY);
        TehranDateTime {
            date: JalaliDate { rd },
            hour: (second_of_day / 3600) as u8,
            minute: (second_of_day / 60 % 60) as u8,
            second: (second_of_day % 60) as u8,
        }
    }
}

/// Saturates at the ends of jiff's range (about ±9999 years), which covers every supported date.
fn jiff_timestamp(unix: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(unix).unwrap_or(if unix < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    })
}

/// A wall-clock date and time in Tehran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TehranDateTime {
    date: JalaliDate,
    hour: u8,
    minute: u8,
    second: u8,
}

impl TehranDateTime {
    pub fn new(date: JalaliDate, hour: u8, minute: u8, second: u8) -> Result<Self, DateError> {
        if hour > 23 || minute > 59 || second > 59 {
            return Err(DateError::InvalidTime);
        }
        Ok(TehranDateTime { date, hour, minute, second })
    }

    fn midnight(date: JalaliDate) -> Self {
        TehranDateTime { date, hour: 0, minute: 0, second: 0 }
    }

    pub fn date(self) -> JalaliDate {
        self.date
    }

    pub fn hour(self) -> u8 {
        self.hour
    }

    pub fn minute(self) -> u8 {
        self.minute
    }

    pub fn second(self) -> u8 {
        self.second
    }

    /// The instant this wall-clock time denotes. A time skipped when clocks moved forward (before
    /// 2022) is read with the offset before the change, so it lands just after the gap; a time
    /// repeated when clocks moved back gives the earlier instant. This is the usual "compatible"
    /// choice (jiff, RFC 5545, JavaScript).
    pub fn to_timestamp(self) -> Timestamp {
        let local = (self.date.rd - UNIX_EPOCH_RD) * SECONDS_PER_DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        let civil = TimeZone::UTC.to_datetime(jiff_timestamp(local));
        let offset = match TEHRAN.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset,
            AmbiguousOffset::Gap { before, .. } | AmbiguousOffset::Fold { before, .. } => before,
        };
        Timestamp(local - i64::from(offset.seconds()))
    }

    /// Date and minute for display: `۱۲ آذر ۱۴۰۵، ساعت ۱۹:۳۶`, `12 Azar 1405, 19:36`.
    pub fn format(self, lang: Lang) -> String {
        let date = self.date.format_long(lang);
        let time = format!("{:02}:{:02}", self.hour, self.minute);
        match lang {
            Lang::Fa => format!("{date}، ساعت {}", digits::to_persian(&time)),
            Lang::En => format!("{date}, {time}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rd_of(date: Result<Date<impl icu_calendar::AsCalendar>, icu_calendar::RangeError>) -> i64 {
        date.map(|d| d.to_rata_die().to_i64_date()).unwrap_or(i64::MIN)
    }

    #[test]
    fn day_number_constants_match_icu() {
        assert_eq!(UNIX_EPOCH_RD, rd_of(Date::try_new_iso(1970, 1, 1)));
        assert_eq!(MIN_RD, rd_of(Date::try_new_persian(1, 1, 1)));
        assert_eq!(MAX_RD, rd_of(Date::try_new_persian(9377, 12, 30)));
    }

    #[test]
    fn the_supported_range_fits_jiff() {
        assert_eq!(JalaliDate::MIN.to_gregorian(), (622, 3, 21));
        assert_eq!(JalaliDate::MAX.to_gregorian(), (9999, 3, 20));
        let first = JalaliDate::MIN.start_of_day_tehran();
        // Tehran's local mean time before standard time: +03:25:44.
        assert_eq!(first.unix(), (MIN_RD - UNIX_EPOCH_RD) * SECONDS_PER_DAY - 12_344);
        assert_eq!(first.to_tehran(), TehranDateTime::midnight(JalaliDate::MIN));
    }

    #[test]
    fn rd_is_checked() {
        assert_eq!(JalaliDate::from_rd(MIN_RD - 1), None);
        assert_eq!(JalaliDate::from_rd(MAX_RD + 1), None);
        assert_eq!(JalaliDate::from_rd(MAX_RD), Some(JalaliDate::MAX));
    }
}
