//! Tests of the public API against `shared/domain/identifiers-and-text.md` and the University
//! of Tehran calendar table.

use daftar_types::digits;
use daftar_types::number;
use daftar_types::text::{normalize, search_key};
use daftar_types::{
    BankCard, DateError, Iban, IdError, JalaliDate, Lang, LegalEntityId, Mobile, NationalId, PostalCode,
    PostalWarning, Rials, TehranDateTime, Timestamp, Weekday,
};
use proptest::prelude::*;

// ---------------------------------------------------------------- national ID

const NATIONAL_VALID: [&str; 15] = [
    "0076229645",
    "1583250689",
    "0499370899",
    "0790419904",
    "0084575948",
    "0963695398",
    "0684159414",
    "0067749828",
    "0650451252",
    "4032152314",
    "4271467685",
    "0200203241",
    "68415941",
    "11537027",
    "787833770",
];

#[test]
fn national_id_valid_vectors() {
    for input in NATIONAL_VALID {
        let id = NationalId::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(id.as_str().len(), 10);
        assert!(id.as_str().ends_with(input), "{input} is left-padded");
    }
    assert_eq!(NationalId::parse("68415941").map(|id| id.to_string()), Ok("0068415941".into()));
    assert_eq!(NationalId::parse("787833770").map(|id| id.to_string()), Ok("0787833770".into()));
}

#[test]
fn national_id_invalid_vectors() {
    assert_eq!(NationalId::parse("0684159415"), Err(IdError::Checksum));
    assert_eq!(NationalId::parse("1230000000"), Err(IdError::ZeroMiddle));
    assert_eq!(NationalId::parse("4444444444"), Err(IdError::AllSameDigits));
    assert_eq!(NationalId::parse("9999999999"), Err(IdError::AllSameDigits));
    // Its checksum passes; only the zero rule rejects it.
    assert_eq!(NationalId::parse("1230000003"), Err(IdError::ZeroMiddle));
}

#[test]
fn national_id_rules() {
    assert_eq!(NationalId::parse(""), Err(IdError::Empty));
    assert_eq!(NationalId::parse("   "), Err(IdError::Empty));
    assert_eq!(NationalId::parse("1234567"), Err(IdError::WrongLength { expected: "10" }));
    assert_eq!(NationalId::parse("12345678901"), Err(IdError::WrongLength { expected: "10" }));
    assert_eq!(NationalId::parse("007622964a"), Err(IdError::InvalidCharacters));
    assert_eq!(NationalId::parse("+12345678"), Err(IdError::InvalidCharacters));
    assert_eq!(NationalId::parse("00000000"), Err(IdError::AllSameDigits));
    let id = NationalId::parse("0076229645").expect("valid");
    for input in ["۰۰۷۶۲۲۹۶۴۵", "٠٠٧٦٢٢٩٦٤٥", " 0076229645 ", "۰۰۷-۶۲۲۹۶۴-۵", "\u{200F}۰۰۷۶۲۲۹۶۴۵"]
    {
        assert_eq!(NationalId::parse(input).as_ref(), Ok(&id), "{input:?}");
    }
    assert_eq!(id.masked(), "007****645");
    assert_eq!(NationalId::parse("68415941").map(|id| id.masked()), Ok("006****941".into()));
}

// ---------------------------------------------------------------- legal-entity ID

#[test]
fn legal_entity_id_vectors() {
    assert_eq!(LegalEntityId::parse("10380284790").map(|id| id.to_string()), Ok("10380284790".into()));
    assert_eq!(LegalEntityId::parse("۱۰۳۸۰۲۸۴۷۹۰").map(|id| id.to_string()), Ok("10380284790".into()));
    assert_eq!(LegalEntityId::parse("11111111111"), Err(IdError::Checksum));
    assert_eq!(LegalEntityId::parse("10380284792"), Err(IdError::Checksum));
    assert_eq!(LegalEntityId::parse("10380285692"), Err(IdError::Checksum));
    assert_eq!(LegalEntityId::parse("09748208301"), Err(IdError::Checksum));
    // Its checksum passes; only the zero rule rejects it.
    assert_eq!(LegalEntityId::parse("10300000008"), Err(IdError::ZeroMiddle));
    assert_eq!(LegalEntityId::parse("00000000000"), Err(IdError::AllSameDigits));
    assert_eq!(LegalEntityId::parse("1038028479"), Err(IdError::WrongLength { expected: "11" }));
    assert_eq!(LegalEntityId::parse("1038028479x"), Err(IdError::InvalidCharacters));
}

// ---------------------------------------------------------------- IBAN

#[test]
fn iban_vectors() {
    for (input, bank) in [
        ("IR820540102680020817909002", "054"),
        ("IR550570022080013447370101", "057"),
        ("IR790610000000700796858044", "061"),
    ] {
        let iban = Iban::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(iban.as_str(), input);
        assert_eq!(iban.bank_code(), bank);
    }
}

#[test]
fn iban_rules() {
    let canonical = "IR820540102680020817909002";
    for input in [
        "ir820540102680020817909002",
        "IR82 0540 1026 8002 0817 9090 02",
        "IR82-0540-1026-8002-0817-9090-02",
        "820540102680020817909002",
        "IR۸۲۰۵۴۰۱۰۲۶۸۰۰۲۰۸۱۷۹۰۹۰۰۲",
    ] {
        assert_eq!(Iban::parse(input).map(|i| i.to_string()), Ok(canonical.into()), "{input:?}");
    }
    assert_eq!(Iban::parse("IR820540102680020817909003"), Err(IdError::Checksum));
    assert_eq!(Iban::parse("IR830540102680020817909002"), Err(IdError::Checksum));
    assert_eq!(Iban::parse("DE89370400440532013000"), Err(IdError::BadPrefix { expected: "IR" }));
    assert_eq!(Iban::parse("IR8205401026800208179090"), Err(IdError::WrongLength { expected: "24" }));
    assert_eq!(Iban::parse("IR82054010268002081790900X"), Err(IdError::InvalidCharacters));
    assert_eq!(Iban::parse(""), Err(IdError::Empty));
}

// ---------------------------------------------------------------- bank card

#[test]
fn bank_card_vectors() {
    for input in ["6037701689095443", "6219861034529007"] {
        assert_eq!(BankCard::parse(input).map(|c| c.to_string()), Ok(input.into()));
    }
    assert_eq!(BankCard::parse("6219861034529008"), Err(IdError::Checksum));
    assert_eq!(BankCard::parse("۶۰۳۷-۷۰۱۶-۸۹۰۹-۵۴۴۳").map(|c| c.to_string()), Ok("6037701689095443".into()));
    assert_eq!(BankCard::parse("6037 7016 8909 5443").map(|c| c.to_string()), Ok("6037701689095443".into()));
    assert_eq!(BankCard::parse("603770168909544"), Err(IdError::WrongLength { expected: "16" }));
}

// ---------------------------------------------------------------- mobile

#[test]
fn mobile_accepts_every_prefix_form() {
    for input in [
        "09123456789",
        "9123456789",
        "+989123456789",
        "989123456789",
        "00989123456789",
        "۰۹۱۲۳۴۵۶۷۸۹",
        "0912 345 6789",
        "0912-345-6789",
        "+98 912 345 6789",
    ] {
        let mobile = Mobile::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(mobile.as_str(), "+989123456789");
        assert_eq!(mobile.local(), "09123456789");
        assert_eq!(mobile.masked(), "0912***6789");
    }
}

#[test]
fn mobile_keeps_unknown_operator_prefixes() {
    // 999 is not assigned today; new prefixes appear over time.
    assert_eq!(Mobile::parse("09991234567").map(|m| m.to_string()), Ok("+989991234567".into()));
    // A 10-digit local number starting with 98 is not a country code.
    assert_eq!(Mobile::parse("9812345678").map(|m| m.local()), Ok("09812345678".into()));
}

#[test]
fn mobile_rejections() {
    assert_eq!(Mobile::parse("02112345678"), Err(IdError::BadPrefix { expected: "09" }));
    assert_eq!(Mobile::parse("+441234567890"), Err(IdError::BadPrefix { expected: "09" }));
    assert_eq!(Mobile::parse("0912345678"), Err(IdError::WrongLength { expected: "11" }));
    assert_eq!(Mobile::parse("091234567890"), Err(IdError::WrongLength { expected: "11" }));
    assert_eq!(Mobile::parse("0912345678a"), Err(IdError::InvalidCharacters));
    assert_eq!(Mobile::parse(""), Err(IdError::Empty));
}

// ---------------------------------------------------------------- postal code

#[test]
fn postal_code_rules() {
    let code = PostalCode::parse("1138713451").expect("valid");
    assert_eq!(code.as_str(), "1138713451");
    assert!(code.warnings().is_empty());
    assert_eq!(PostalCode::parse("11387-13451"), Ok(code.clone()));
    assert_eq!(PostalCode::parse("۱۱۳۸۷۱۳۴۵۱"), Ok(code));
    assert_eq!(PostalCode::parse("1038713451"), Err(IdError::ZeroOrTwoInFirstFive));
    assert_eq!(PostalCode::parse("1138213451"), Err(IdError::ZeroOrTwoInFirstFive));
    assert_eq!(PostalCode::parse("113871345"), Err(IdError::WrongLength { expected: "10" }));
    assert_eq!(PostalCode::parse("113871345x"), Err(IdError::InvalidCharacters));
}

#[test]
fn postal_code_stricter_patterns_only_warn() {
    let warnings = |s: &str| PostalCode::parse(s).map(|c| c.warnings());
    assert_eq!(warnings("8138713451"), Ok(vec![PostalWarning::OutsideTehran]));
    // Fifth digit 5, a 2 in the last five, four equal leading digits: valid but unusual.
    assert_eq!(warnings("1138513451"), Ok(vec![PostalWarning::UnusualPattern]));
    assert_eq!(warnings("1138713421"), Ok(vec![PostalWarning::UnusualPattern]));
    assert_eq!(warnings("1111713451"), Ok(vec![PostalWarning::UnusualPattern]));
    assert_eq!(warnings("4444444444"), Ok(vec![PostalWarning::OutsideTehran, PostalWarning::UnusualPattern]));
    for w in [PostalWarning::OutsideTehran, PostalWarning::UnusualPattern] {
        assert!(w.message(Lang::En).is_ascii());
        assert!(!w.message(Lang::Fa).is_ascii());
    }
}

// ---------------------------------------------------------------- serde and messages

#[test]
fn identifiers_serialise_as_canonical_strings() {
    let id = NationalId::parse("۶۸۴۱۵۹۴۱").expect("valid");
    assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("\"0068415941\""));
    assert_eq!(serde_json::from_str::<NationalId>("\"68415941\"").ok(), Some(id));
    assert!(serde_json::from_str::<NationalId>("\"0684159415\"").is_err());
    let mobile = serde_json::from_str::<Mobile>("\"09123456789\"").expect("valid");
    assert_eq!(serde_json::to_string(&mobile).ok().as_deref(), Some("\"+989123456789\""));
    assert!(serde_json::from_str::<Iban>("\"IR820540102680020817909003\"").is_err());
    assert!(serde_json::from_str::<BankCard>("\"6037701689095443\"").is_ok());
    assert!(serde_json::from_str::<PostalCode>("\"1138713451\"").is_ok());
    assert!(serde_json::from_str::<LegalEntityId>("\"10380284790\"").is_ok());
}

#[test]
fn id_error_messages() {
    assert_eq!(IdError::WrongLength { expected: "10" }.message(Lang::Fa), "باید ۱۰ رقم باشد.");
    assert_eq!(IdError::WrongLength { expected: "10" }.message(Lang::En), "Must have 10 digits.");
    assert_eq!(IdError::BadPrefix { expected: "09" }.message(Lang::Fa), "باید با ۰۹ شروع شود.");
    assert_eq!(IdError::BadPrefix { expected: "IR" }.message(Lang::En), "Must start with IR.");
    let all = [
        IdError::Empty,
        IdError::InvalidCharacters,
        IdError::WrongLength { expected: "16" },
        IdError::Checksum,
        IdError::AllSameDigits,
        IdError::ZeroMiddle,
        IdError::BadPrefix { expected: "09" },
        IdError::ZeroOrTwoInFirstFive,
    ];
    for e in all {
        let fa = e.message(Lang::Fa);
        let en = e.message(Lang::En);
        assert!(en.is_ascii() && en.ends_with('.'), "{en}");
        assert!(fa.ends_with('.') && !fa.chars().any(|c| c.is_ascii_digit()), "{fa}");
        assert!(!fa.contains("  ") && !fa.contains("\u{200C} "), "{fa}");
        assert_eq!(normalize(&fa), fa, "Persian messages are in canonical form");
    }
}

// ---------------------------------------------------------------- identifier properties

/// Strings made of the characters identifiers are typed with, so the parsers' inner branches
/// are reached far more often than with arbitrary strings.
fn id_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[+ \\-0-9IRir۰-۹٠-٩]{0,30}").expect("valid regex")
}

/// Completes a body with the single check digit(s) that make it parse, if any.
fn complete<T>(body: &str, check_digits: usize, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    let width = check_digits;
    (0..10usize.pow(check_digits as u32)).find_map(|c| parse(&format!("{body}{c:0width$}")))
}

fn digits_strategy(n: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9]{{{n}}}")).expect("valid regex")
}

proptest! {
    #[test]
    fn parsers_never_panic(s in any::<String>(), t in id_like()) {
        for input in [&s, &t] {
            let _ = NationalId::parse(input);
            let _ = LegalEntityId::parse(input);
            let _ = Mobile::parse(input);
            let _ = PostalCode::parse(input);
            let _ = Iban::parse(input);
            let _ = BankCard::parse(input);
            let _ = Rials::parse(input);
            let _ = JalaliDate::parse(input);
        }
    }

    #[test]
    fn persian_digits_parse_like_ascii(s in id_like()) {
        let ascii = digits::fold_to_ascii(&s);
        let persian = digits::to_persian(&ascii);
        prop_assert_eq!(NationalId::parse(&persian), NationalId::parse(&ascii));
        prop_assert_eq!(LegalEntityId::parse(&persian), LegalEntityId::parse(&ascii));
        prop_assert_eq!(Mobile::parse(&persian), Mobile::parse(&ascii));
        prop_assert_eq!(PostalCode::parse(&persian), PostalCode::parse(&ascii));
        prop_assert_eq!(Iban::parse(&persian), Iban::parse(&ascii));
        prop_assert_eq!(BankCard::parse(&persian), BankCard::parse(&ascii));
        prop_assert_eq!(Rials::parse(&persian), Rials::parse(&ascii));
    }

    #[test]
    fn national_id_round_trip(body in digits_strategy(9)) {
        if let Some(id) = complete(&body, 1, |s| NationalId::parse(s).ok()) {
            prop_assert_eq!(NationalId::parse(id.as_str()), Ok(id.clone()));
            prop_assert_eq!(NationalId::parse(&digits::to_persian(id.as_str())), Ok(id));
        }
    }

    #[test]
    fn legal_entity_id_round_trip(body in digits_strategy(10)) {
        if let Some(id) = complete(&body, 1, |s| LegalEntityId::parse(s).ok()) {
            prop_assert_eq!(LegalEntityId::parse(id.as_str()), Ok(id.clone()));
            prop_assert_eq!(LegalEntityId::parse(&digits::to_persian(id.as_str())), Ok(id));
        }
    }

    #[test]
    fn iban_round_trip(bban in digits_strategy(22)) {
        // The check digits come first: try each pair in front of the account part.
        let iban = (0..100).find_map(|c| Iban::parse(&format!("IR{c:02}{bban}")).ok());
        prop_assert!(iban.is_some(), "some check digits always fit");
        if let Some(iban) = iban {
            prop_assert_eq!(Iban::parse(iban.as_str()), Ok(iban.clone()));
            prop_assert_eq!(iban.bank_code(), &bban[..3]);
        }
    }

    #[test]
    fn bank_card_round_trip(body in digits_strategy(15)) {
        let card = complete(&body, 1, |s| BankCard::parse(s).ok());
        prop_assert!(card.is_some(), "one Luhn digit always fits");
        if let Some(card) = card {
            prop_assert_eq!(BankCard::parse(card.as_str()), Ok(card.clone()));
        }
    }

    #[test]
    fn mobile_round_trip(rest in digits_strategy(9)) {
        let mobile = Mobile::parse(&format!("09{rest}"));
        prop_assert!(mobile.is_ok());
        if let Ok(mobile) = mobile {
            prop_assert_eq!(Mobile::parse(mobile.as_str()), Ok(mobile.clone()));
            prop_assert_eq!(Mobile::parse(&mobile.local()), Ok(mobile));
        }
    }

    #[test]
    fn postal_code_round_trip(code in "[13-9]{5}[0-9]{5}") {
        let parsed = PostalCode::parse(&code);
        prop_assert!(parsed.is_ok());
        if let Ok(parsed) = parsed {
            prop_assert_eq!(PostalCode::parse(parsed.as_str()), Ok(parsed));
        }
    }

    #[test]
    fn rials_format_parses_back(n in 0i64..=i64::MAX) {
        for lang in [Lang::Fa, Lang::En] {
            prop_assert_eq!(Rials::parse(&Rials::new(n).format(lang)), Ok(Rials::new(n)));
        }
    }

    #[test]
    fn normalize_is_idempotent(s in any::<String>()) {
        let once = normalize(&s);
        prop_assert_eq!(normalize(&once), once.clone());
        let key = search_key(&s);
        prop_assert_eq!(search_key(&key), key.clone());
        prop_assert_eq!(search_key(&once), key);
    }

    #[test]
    fn timestamps_round_trip_through_tehran_time(unix in -2_000_000_000i64..5_000_000_000) {
        let local = Timestamp::from_unix(unix).to_tehran();
        let back = local.to_timestamp();
        // Only the repeated hour when daylight saving time ended maps back an hour early.
        prop_assert!(back.unix() == unix || back.unix() == unix - 3600);
        prop_assert_eq!(back.to_tehran(), local);
    }

    #[test]
    fn jalali_dates_serialise_and_parse_back(days in 0i64..(3_651_773 - 226_895)) {
        let date = JalaliDate::MIN.add_days(days);
        prop_assert!(date.is_some());
        if let Some(date) = date {
            prop_assert_eq!(JalaliDate::parse(&date.to_string()), Ok(date));
            prop_assert_eq!(JalaliDate::parse(&date.format_numeric(Lang::Fa)), Ok(date));
        }
    }
}

// ---------------------------------------------------------------- digits and numbers

#[test]
fn digits_and_numbers() {
    assert_eq!(digits::fold_to_ascii("۱۴۰۵/٠٩/12"), "1405/09/12");
    assert_eq!(digits::to_persian("1405"), "۱۴۰۵");
    assert_eq!(digits::localize("12", Lang::Fa), "۱۲");
    assert_eq!(number::format_int(1_250_000, Lang::Fa), "۱٬۲۵۰٬۰۰۰");
    assert_eq!(number::format_int(1_250_000, Lang::En), "1,250,000");
    assert_eq!(number::format_decimal_str("-1234.5", Lang::En), "-1,234.5");
    assert_eq!(Rials::new(1_250_000).format(Lang::Fa), "۱٬۲۵۰٬۰۰۰ ریال");
    assert_eq!(Rials::new(1_250_000).format(Lang::En), "1,250,000 Rials");
}

// ---------------------------------------------------------------- text

#[test]
fn persian_text() {
    assert_eq!(normalize("مي‌شود"), "می‌شود");
    assert_eq!(normalize("كتاب"), "کتاب");
    assert_eq!(normalize("کـــتاب"), "کتاب");
    assert_eq!(search_key("مي‌شود"), "میشود");
    assert_eq!(search_key("كـتاب‌ها"), search_key("کتابها"));
}

// ---------------------------------------------------------------- Jalali calendar

/// Rows of the University of Tehran table: (year, leap, Gregorian date of 1 Farvardin).
fn tehran_table() -> Vec<(i32, bool, (i32, u8, u8))> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/jalali_1206_1498.csv");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("jalali_year,leap,nowruz_gregorian"));
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.trim().split(',').collect();
            let gregorian: Vec<&str> = fields[2].split('-').collect();
            let num = |s: &str| s.parse::<i32>().unwrap_or_else(|e| panic!("{line}: {e}"));
            (
                num(fields[0]),
                match fields[1] {
                    "1" => true,
                    "0" => false,
                    other => panic!("leap flag {other}"),
                },
                (num(gregorian[0]), num(gregorian[1]) as u8, num(gregorian[2]) as u8),
            )
        })
        .collect()
}

#[test]
fn matches_the_university_of_tehran_table() {
    let table = tehran_table();
    assert_eq!(table.len(), 1498 - 1206 + 1);
    for (i, &(year, leap, nowruz)) in table.iter().enumerate() {
        assert_eq!(year, 1206 + i as i32);
        assert_eq!(JalaliDate::is_leap_year(year), leap, "leap flag of {year}");
        assert_eq!(JalaliDate::days_in_month(year, 12), Some(if leap { 30 } else { 29 }));
        let first = JalaliDate::first_day_of_year(year).expect("in range");
        assert_eq!(first.to_gregorian(), nowruz, "Nowruz {year}");
        assert_eq!(JalaliDate::from_gregorian(nowruz.0, nowruz.1, nowruz.2), Some(first));
    }
}

#[test]
fn every_day_from_1300_to_1500_round_trips() {
    let mut previous: Option<(JalaliDate, (i32, u8, u8))> = None;
    let mut count = 0;
    for year in 1300..=1500 {
        for month in 1..=12 {
            let days = JalaliDate::days_in_month(year, month).expect("valid month");
            assert_eq!(
                days,
                match month {
                    1..=6 => 31,
                    7..=11 => 30,
                    _ => days,
                }
            );
            for day in 1..=days {
                let date = JalaliDate::new(year, month, day).expect("valid day");
                assert_eq!((date.year(), date.month(), date.day()), (year, month, day));
                let g = date.to_gregorian();
                assert_eq!(JalaliDate::from_gregorian(g.0, g.1, g.2), Some(date));
                if let Some((prev, prev_g)) = previous {
                    assert_eq!(prev.add_days(1), Some(date));
                    assert_eq!(date.add_days(-1), Some(prev));
                    assert!(prev < date);
                    assert_eq!(next_gregorian_day(prev_g), g, "after {prev:?}");
                    assert_eq!(next_weekday(prev.weekday()), date.weekday());
                }
                previous = Some((date, g));
                count += 1;
            }
        }
    }
    assert_eq!(count, 73_414);
}

fn next_gregorian_day((y, m, d): (i32, u8, u8)) -> (i32, u8, u8) {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    match (d < len, m < 12) {
        (true, _) => (y, m, d + 1),
        (false, true) => (y, m + 1, 1),
        (false, false) => (y + 1, 1, 1),
    }
}

fn next_weekday(day: Weekday) -> Weekday {
    use Weekday::*;
    match day {
        Saturday => Sunday,
        Sunday => Monday,
        Monday => Tuesday,
        Tuesday => Wednesday,
        Wednesday => Thursday,
        Thursday => Friday,
        Friday => Saturday,
    }
}

#[test]
fn known_facts() {
    let d = |y, m, d| JalaliDate::new(y, m, d).expect("valid");
    assert_eq!(JalaliDate::from_gregorian(2025, 3, 20), Some(d(1403, 12, 30)));
    assert_eq!(JalaliDate::from_gregorian(2026, 12, 3), Some(d(1405, 9, 12)));
    assert_eq!(d(1405, 9, 12).to_gregorian(), (2026, 12, 3));
    assert!(JalaliDate::is_leap_year(1403));
    assert!(!JalaliDate::is_leap_year(1404));
    for (year, nowruz) in
        [(1403, (2024, 3, 20)), (1404, (2025, 3, 21)), (1405, (2026, 3, 21)), (1408, (2029, 3, 20))]
    {
        assert_eq!(JalaliDate::first_day_of_year(year).map(|d| d.to_gregorian()), Ok(nowruz));
    }
    assert_eq!(d(1405, 9, 12).weekday(), Weekday::Thursday);
    assert_eq!(d(1405, 9, 14).weekday(), Weekday::Saturday);
    assert!(d(1405, 9, 13).weekday().is_weekend());
    assert_eq!(Weekday::Tuesday.name(Lang::Fa), "سه‌شنبه");
    assert_eq!(Weekday::Friday.name(Lang::En), "Friday");
}

#[test]
fn validation() {
    assert!(JalaliDate::new(1403, 12, 30).is_ok());
    assert_eq!(JalaliDate::new(1404, 12, 30), Err(DateError::InvalidDay { days_in_month: 29 }));
    assert_eq!(JalaliDate::new(1404, 7, 31), Err(DateError::InvalidDay { days_in_month: 30 }));
    assert_eq!(JalaliDate::new(1404, 1, 0), Err(DateError::InvalidDay { days_in_month: 31 }));
    assert_eq!(JalaliDate::new(1404, 13, 1), Err(DateError::InvalidMonth));
    assert_eq!(JalaliDate::new(1404, 0, 1), Err(DateError::InvalidMonth));
    assert_eq!(JalaliDate::new(0, 1, 1), Err(DateError::YearOutOfRange));
    assert_eq!(JalaliDate::new(9378, 1, 1), Err(DateError::YearOutOfRange));
    assert_eq!(JalaliDate::days_in_month(1404, 13), None);
    assert_eq!(JalaliDate::days_in_month(1404, 6), Some(31));
    assert_eq!(JalaliDate::days_in_month(1404, 7), Some(30));
    assert_eq!(JalaliDate::MAX.add_days(1), None);
    assert_eq!(JalaliDate::MIN.add_days(-1), None);
    assert_eq!(JalaliDate::MIN.add_days(i64::MAX), None);
    assert_eq!(JalaliDate::from_gregorian(2025, 2, 29), None);
    assert_eq!(JalaliDate::from_gregorian(622, 3, 20), None);
}

#[test]
fn parsing_dates() {
    let expected = JalaliDate::new(1405, 9, 12);
    for input in
        ["1405/09/12", "۱۴۰۵/۰۹/۱۲", "1405-9-12", "1405.09.12", " ١٤٠٥/٩/١٢ ", "۱۴۰۵/\u{200F}۰۹/\u{200F}۱۲"]
    {
        assert_eq!(JalaliDate::parse(input), expected, "{input:?}");
    }
    assert_eq!(JalaliDate::parse(""), Err(DateError::Empty));
    assert_eq!(JalaliDate::parse("05/09/12"), Err(DateError::InvalidFormat));
    assert_eq!(JalaliDate::parse("12/09/1405"), Err(DateError::InvalidFormat));
    assert_eq!(JalaliDate::parse("1405/09"), Err(DateError::InvalidFormat));
    assert_eq!(JalaliDate::parse("1405/009/12"), Err(DateError::InvalidFormat));
    assert_eq!(JalaliDate::parse("1405/+9/12"), Err(DateError::InvalidFormat));
    assert_eq!(JalaliDate::parse("1404/12/30"), Err(DateError::InvalidDay { days_in_month: 29 }));
    assert_eq!("1405/09/12".parse::<JalaliDate>(), expected);
}

#[test]
fn formatting_dates() {
    let date = JalaliDate::new(1405, 9, 12).expect("valid");
    assert_eq!(date.format_long(Lang::Fa), "۱۲ آذر ۱۴۰۵");
    assert_eq!(date.format_long(Lang::En), "12 Azar 1405");
    assert_eq!(date.format_numeric(Lang::Fa), "۱۴۰۵/۰۹/۱۲");
    assert_eq!(date.format_numeric(Lang::En), "1405/09/12");
    assert_eq!(date.to_string(), "1405/09/12");
    assert_eq!(date.month_name(Lang::Fa), "آذر");
    let names: Vec<&str> =
        (1..=12).map(|m| JalaliDate::new(1405, m, 1).map_or("?", |d| d.month_name(Lang::En))).collect();
    assert_eq!(
        names,
        [
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
            "Esfand"
        ]
    );
    assert_eq!(JalaliDate::new(1405, 1, 1).map(|d| d.month_name(Lang::Fa)), Ok("فروردین"));
    assert_eq!(JalaliDate::new(1405, 12, 1).map(|d| d.month_name(Lang::Fa)), Ok("اسفند"));
    assert_eq!(JalaliDate::new(1405, 1, 1).map(|d| d.format_numeric(Lang::Fa)), Ok("۱۴۰۵/۰۱/۰۱".into()));
    assert_eq!(JalaliDate::MIN.to_string(), "0001/01/01");
}

#[test]
fn dates_serialise_as_strings() {
    let date = JalaliDate::new(1405, 1, 2).expect("valid");
    assert_eq!(serde_json::to_string(&date).ok().as_deref(), Some("\"1405/01/02\""));
    assert_eq!(serde_json::from_str::<JalaliDate>("\"۱۴۰۵/۰۱/۰۲\"").ok(), Some(date));
    assert!(serde_json::from_str::<JalaliDate>("\"1404/12/30\"").is_err());
}

#[test]
fn date_error_messages() {
    assert_eq!(
        DateError::InvalidDay { days_in_month: 29 }.message(Lang::Fa),
        "در این ماه، روز باید بین ۱ و ۲۹ باشد."
    );
    assert_eq!(
        DateError::InvalidDay { days_in_month: 29 }.message(Lang::En),
        "In this month the day must be between 1 and 29."
    );
    for e in [
        DateError::Empty,
        DateError::InvalidFormat,
        DateError::YearOutOfRange,
        DateError::InvalidMonth,
        DateError::InvalidDay { days_in_month: 30 },
        DateError::InvalidTime,
    ] {
        let fa = e.message(Lang::Fa);
        assert!(!fa.chars().any(|c| c.is_ascii_digit()), "{fa}");
        assert_eq!(normalize(&fa), fa);
        assert!(e.message(Lang::En).is_ascii());
    }
}

// ---------------------------------------------------------------- Tehran time

fn tehran(y: i32, m: u8, d: u8, hour: u8, minute: u8, second: u8) -> TehranDateTime {
    let date = JalaliDate::new(y, m, d).expect("valid date");
    TehranDateTime::new(date, hour, minute, second).expect("valid time")
}

#[test]
fn midnight_in_tehran() {
    // 2026-12-03 00:00 in Tehran (+03:30) is 2026-12-02 20:30 UTC.
    let midnight = Timestamp::from_unix(1_796_243_400);
    assert_eq!(midnight.to_tehran(), tehran(1405, 9, 12, 0, 0, 0));
    assert_eq!(midnight.plus_seconds(-1).to_tehran(), tehran(1405, 9, 11, 23, 59, 59));
    let date = JalaliDate::new(1405, 9, 12).expect("valid");
    assert_eq!(date.start_of_day_tehran(), midnight);
    assert_eq!(tehran(1405, 9, 12, 19, 36, 5).to_timestamp().unix(), 1_796_243_400 + 70_565);
}

#[test]
fn historical_daylight_saving_time() {
    // 1400/03/11 = 2021-06-01, when Tehran kept +04:30.
    let midnight = tehran(1400, 3, 11, 0, 0, 0).to_timestamp();
    assert_eq!(midnight.unix(), 1_622_489_400); // 2021-05-31T19:30:00Z
    assert_eq!(midnight.plus_seconds(-1).to_tehran().date(), JalaliDate::new(1400, 3, 10).expect("valid"));
    // Clocks jumped from 24:00 of 1400/01/01 to 01:00: the next day began at 01:00.
    let second_day = JalaliDate::new(1400, 1, 2).expect("valid");
    let start = second_day.start_of_day_tehran();
    assert_eq!(start.unix(), 1_616_358_600); // 2021-03-21T20:30:00Z
    assert_eq!(start.to_tehran(), tehran(1400, 1, 2, 1, 0, 0));
    assert_eq!(start.plus_seconds(-1).to_tehran(), tehran(1400, 1, 1, 23, 59, 59));
    // Since 2022 there is no daylight saving time.
    assert_eq!(tehran(1402, 3, 11, 0, 0, 0).to_timestamp().unix(), 1_685_565_000); // 2023-05-31T20:30Z
}

#[test]
fn every_day_starts_on_its_own_date_in_tehran() {
    let mut date = JalaliDate::new(1300, 1, 1).expect("valid");
    let last = JalaliDate::new(1500, 12, 29).expect("valid");
    while date <= last {
        let start = date.start_of_day_tehran();
        assert_eq!(start.to_tehran().date(), date);
        assert!(start.to_tehran().hour() <= 1, "{date:?}");
        let before = start.plus_seconds(-1).to_tehran();
        assert_eq!(before.date().add_days(1), Some(date));
        date = match date.add_days(1) {
            Some(next) => next,
            None => break,
        };
    }
}

#[test]
fn formatting_times() {
    let t = tehran(1405, 9, 12, 19, 36, 5);
    assert_eq!(t.format(Lang::Fa), "۱۲ آذر ۱۴۰۵، ساعت ۱۹:۳۶");
    assert_eq!(t.format(Lang::En), "12 Azar 1405, 19:36");
    assert_eq!(tehran(1405, 9, 12, 7, 5, 0).format(Lang::En), "12 Azar 1405, 07:05");
    assert_eq!((t.hour(), t.minute(), t.second()), (19, 36, 5));
    let date = JalaliDate::new(1405, 9, 12).expect("valid");
    assert_eq!(TehranDateTime::new(date, 24, 0, 0), Err(DateError::InvalidTime));
    assert_eq!(TehranDateTime::new(date, 23, 60, 0), Err(DateError::InvalidTime));
    assert_eq!(TehranDateTime::new(date, 23, 59, 60), Err(DateError::InvalidTime));
}

#[test]
fn timestamps() {
    let t = Timestamp::from_unix(1_700_000_000);
    assert_eq!(t.unix(), 1_700_000_000);
    assert_eq!(t.plus_seconds(60).unix(), 1_700_000_060);
    assert_eq!(Timestamp::from_unix(i64::MAX).plus_seconds(1).unix(), i64::MAX);
    assert!(t < t.plus_seconds(1));
    assert_eq!(serde_json::to_string(&t).ok().as_deref(), Some("1700000000"));
    assert_eq!(serde_json::from_str::<Timestamp>("1700000000").ok(), Some(t));
    // Out-of-range instants saturate instead of failing.
    assert_eq!(Timestamp::from_unix(i64::MIN).to_tehran().date(), JalaliDate::MIN);
    assert_eq!(Timestamp::from_unix(i64::MAX).to_tehran(), tehran(9377, 12, 30, 23, 59, 59));
}
