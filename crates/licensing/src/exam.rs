//! Exam results as delivered by the examining body: a CSV file of national IDs and scores,
//! checked line by line so that every problem in the file is reported at once, each naming its
//! line and column.

use std::collections::BTreeMap;

use daftar_types::{IdError, Lang, NationalId, digits};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::text;

/// The header line the file must start with.
pub const EXAM_CSV_HEADER: &str = "national_id,score";
/// Scores are on 0–100 with at most this many decimals.
pub const EXAM_SCORE_DECIMALS: u32 = 2;

/// One applicant's exam score, 0–100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamResult {
    pub national_id: NationalId,
    #[serde(serialize_with = "text::normalized")]
    pub score: Decimal,
}

/// The column a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvField {
    Header,
    /// The line as a whole (wrong number of columns).
    Row,
    NationalId,
    Score,
}

impl CsvField {
    fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (CsvField::Header, Lang::Fa) => "سطر عنوان",
            (CsvField::Row, Lang::Fa) => "سطر",
            (CsvField::NationalId, Lang::Fa) => "ستون کد ملی (national_id)",
            (CsvField::Score, Lang::Fa) => "ستون نمره (score)",
            (CsvField::Header, Lang::En) => "header",
            (CsvField::Row, Lang::En) => "row",
            (CsvField::NationalId, Lang::En) => "column national_id",
            (CsvField::Score, Lang::En) => "column score",
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum CsvProblem {
    EmptyFile,
    WrongHeader {
        found: String,
    },
    ColumnCount {
        found: usize,
    },
    NationalId {
        #[serde(serialize_with = "text::display")]
        error: IdError,
    },
    MissingScore,
    NotANumber {
        found: String,
    },
    OutOfRange {
        found: String,
    },
    TooManyDecimals {
        found: String,
    },
    /// The national ID already appeared on `first_line`.
    Duplicate {
        first_line: usize,
    },
}

/// A problem on one line of an exam file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvError {
    /// 1-based line number in the file.
    pub line: usize,
    pub field: CsvField,
    pub problem: CsvProblem,
}

impl CsvError {
    fn new(line: usize, field: CsvField, problem: CsvProblem) -> CsvError {
        CsvError { line, field, problem }
    }

    /// `سطر ۴، ستون نمره (score): نمره باید بین ۰ و ۱۰۰ باشد.`
    pub fn message(&self, lang: Lang) -> String {
        let place = match lang {
            Lang::Fa => {
                format!("سطر {}، {}", digits::to_persian(&self.line.to_string()), self.field.name(lang))
            }
            Lang::En => format!("Line {}, {}", self.line, self.field.name(lang)),
        };
        format!("{place}: {}", self.problem.message(lang))
    }
}

impl CsvProblem {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (CsvProblem::EmptyFile, Lang::Fa) => {
                format!("فایل خالی است؛ سطر اول باید «{EXAM_CSV_HEADER}» باشد.")
            }
            (CsvProblem::EmptyFile, Lang::En) => {
                format!("the file is empty; its first line must be “{EXAM_CSV_HEADER}”.")
            }
            (CsvProblem::WrongHeader { found }, Lang::Fa) => {
                format!("سطر اول باید «{EXAM_CSV_HEADER}» باشد، اما «{found}» است.")
            }
            (CsvProblem::WrongHeader { found }, Lang::En) => {
                format!("the first line must be “{EXAM_CSV_HEADER}”, not “{found}”.")
            }
            (CsvProblem::ColumnCount { found }, Lang::Fa) => {
                format!(
                    "هر سطر باید ۲ ستون داشته باشد، اما این سطر {} ستون دارد.",
                    digits::to_persian(&found.to_string())
                )
            }
            (CsvProblem::ColumnCount { found }, Lang::En) => {
                format!("each line must have 2 columns, but this one has {found}.")
            }
            (CsvProblem::NationalId { error }, _) => error.message(lang),
            (CsvProblem::MissingScore, Lang::Fa) => "نمره‌ای وارد نشده است.".to_owned(),
            (CsvProblem::MissingScore, Lang::En) => "no score was entered.".to_owned(),
            (CsvProblem::NotANumber { found }, Lang::Fa) => {
                format!("«{found}» عدد نیست؛ نمره را با رقم و در صورت نیاز با ممیز بنویسید، مانند ۸۲٫۵.")
            }
            (CsvProblem::NotANumber { found }, Lang::En) => {
                format!(
                    "“{found}” is not a number; write the score with digits and a decimal point, e.g. 82.5."
                )
            }
            (CsvProblem::OutOfRange { found }, Lang::Fa) => {
                format!("نمرهٔ «{found}» پذیرفته نیست؛ نمره باید بین ۰ و ۱۰۰ باشد.")
            }
            (CsvProblem::OutOfRange { found }, Lang::En) => {
                format!("the score “{found}” is not accepted; scores are between 0 and 100.")
            }
            (CsvProblem::TooManyDecimals { found }, Lang::Fa) => {
                format!("نمرهٔ «{found}» بیش از دو رقم اعشار دارد؛ حداکثر دو رقم اعشار مجاز است.")
            }
            (CsvProblem::TooManyDecimals { found }, Lang::En) => {
                format!("the score “{found}” has more than two decimals; at most two are allowed.")
            }
            (CsvProblem::Duplicate { first_line }, Lang::Fa) => format!(
                "این کد ملی در سطر {} هم آمده است؛ هر داوطلب فقط یک نمره دارد.",
                digits::to_persian(&first_line.to_string())
            ),
            (CsvProblem::Duplicate { first_line }, Lang::En) => {
                format!(
                    "this national ID already appears on line {first_line}; each candidate has one score."
                )
            }
        }
    }
}

/// Reads an exam file: the header `national_id,score`, then one line per candidate. National
/// IDs are checked (length, checksum) and may be written with Persian digits; scores are 0–100
/// with at most two decimals and a `.` or `٫` separator. Blank lines are skipped; a field may be
/// wrapped in double quotes, as spreadsheets do. Either every line is valid, or every problem
/// is returned.
pub fn parse_exam_csv(source: &str) -> Result<Vec<ExamResult>, Vec<CsvError>> {
    let mut lines = source.lines().enumerate().map(|(i, line)| (i + 1, line));
    let Some((_, header)) = lines.next() else {
        return Err(vec![CsvError::new(1, CsvField::Header, CsvProblem::EmptyFile)]);
    };
    let header = header.trim_start_matches('\u{FEFF}').trim();
    let columns: Vec<String> = header.split(',').map(|c| unquote(c).to_ascii_lowercase()).collect();
    if columns.join(",") != EXAM_CSV_HEADER {
        let problem = if header.is_empty() && source.trim().is_empty() {
            CsvProblem::EmptyFile
        } else {
            CsvProblem::WrongHeader { found: header.to_owned() }
        };
        return Err(vec![CsvError::new(1, CsvField::Header, problem)]);
    }

    let mut results = Vec::new();
    let mut errors = Vec::new();
    let mut first_seen: BTreeMap<NationalId, usize> = BTreeMap::new();
    for (number, line) in lines.filter(|(_, line)| !line.trim().is_empty()) {
        match parse_row(number, line) {
            Ok(result) => match first_seen.get(&result.national_id) {
                Some(&first_line) => errors.push(CsvError::new(
                    number,
                    CsvField::NationalId,
                    CsvProblem::Duplicate { first_line },
                )),
                None => {
                    first_seen.insert(result.national_id.clone(), number);
                    results.push(result);
                }
            },
            Err(row_errors) => errors.extend(row_errors),
        }
    }
    if errors.is_empty() { Ok(results) } else { Err(errors) }
}

fn unquote(field: &str) -> &str {
    let field = field.trim();
    field.strip_prefix('"').and_then(|f| f.strip_suffix('"')).unwrap_or(field).trim()
}

/// One data line; both columns are checked so that both problems are reported together.
fn parse_row(number: usize, line: &str) -> Result<ExamResult, Vec<CsvError>> {
    let fields: Vec<&str> = line.split(',').map(unquote).collect();
    let [id, score] = fields.as_slice() else {
        return Err(vec![CsvError::new(
            number,
            CsvField::Row,
            CsvProblem::ColumnCount { found: fields.len() },
        )]);
    };
    let id = NationalId::parse(id)
        .map_err(|e| CsvError::new(number, CsvField::NationalId, CsvProblem::NationalId { error: e }));
    let score = parse_score(score).map_err(|problem| CsvError::new(number, CsvField::Score, problem));
    match (id, score) {
        (Ok(national_id), Ok(score)) => Ok(ExamResult { national_id, score }),
        (id, score) => Err(id.err().into_iter().chain(score.err()).collect()),
    }
}

/// A score: digits with an optional `.` (or Persian `٫`) and at most two decimals, 0 to 100.
pub(crate) fn parse_score(text: &str) -> Result<Decimal, CsvProblem> {
    let found = text.trim();
    if found.is_empty() {
        return Err(CsvProblem::MissingScore);
    }
    let ascii = digits::fold_to_ascii(found).replace('\u{066B}', ".");
    let (whole, fraction) = ascii.split_once('.').unwrap_or((&ascii, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let has_point = ascii.contains('.');
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || (has_point && fraction.is_empty()) {
        return Err(CsvProblem::NotANumber { found: found.to_owned() });
    }
    if fraction.len() > EXAM_SCORE_DECIMALS as usize {
        return Err(CsvProblem::TooManyDecimals { found: found.to_owned() });
    }
    let score: Decimal = ascii.parse().map_err(|_| CsvProblem::OutOfRange { found: found.to_owned() })?;
    if score > Decimal::ONE_HUNDRED {
        return Err(CsvProblem::OutOfRange { found: found.to_owned() });
    }
    Ok(score)
}

/// Whether a score could have come from an exam file: 0–100 with at most two decimals.
pub(crate) fn is_valid_score(score: Decimal) -> bool {
    score >= Decimal::ZERO
        && score <= Decimal::ONE_HUNDRED
        && score.normalize().scale() <= EXAM_SCORE_DECIMALS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        assert_eq!(parse_score("82.5"), Ok(Decimal::new(825, 1)));
        assert_eq!(parse_score("۸۲٫۷۵"), Ok(Decimal::new(8275, 2)));
        assert_eq!(parse_score("100.00"), Ok(Decimal::ONE_HUNDRED));
        assert_eq!(parse_score("0"), Ok(Decimal::ZERO));
        assert!(matches!(parse_score("100.01"), Err(CsvProblem::OutOfRange { .. })));
        assert!(matches!(parse_score("82.125"), Err(CsvProblem::TooManyDecimals { .. })));
        for bad in ["-1", "+5", "1e2", "8x", ".5", "5.", "1.2.3", " 7 7"] {
            assert!(matches!(parse_score(bad), Err(CsvProblem::NotANumber { .. })), "{bad}");
        }
        assert_eq!(parse_score("  "), Err(CsvProblem::MissingScore));
        assert!(is_valid_score(Decimal::new(8250, 2)));
        assert!(!is_valid_score(Decimal::new(82125, 3)));
        assert!(!is_valid_score(Decimal::from(-1)));
    }
}
