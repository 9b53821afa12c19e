//! Experts (کارشناس, S9): who may be certified, how long a certificate lasts, and when an expert
//! may act for an office: only while certified and assigned to that office.

use daftar_types::{JalaliDate, Lang, NationalId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::application::{Degree, DegreeLevel};
use crate::calendar::add_years;
use crate::call::CallRules;
use crate::licence::OfficeCode;
use crate::text::{self, dec};

/// What certification looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpertCandidate {
    pub national_id: NationalId,
    pub degrees: Vec<Degree>,
    pub training_completed: bool,
    /// `None` until the exam is taken.
    pub exam_score: Option<Decimal>,
}

/// A reason a candidate cannot be certified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum CertificationProblem {
    NoEligibleDegree {
        min_level: DegreeLevel,
    },
    TrainingNotCompleted,
    ExamNotTaken,
    ExamFailed {
        #[serde(serialize_with = "text::normalized")]
        score: Decimal,
        #[serde(serialize_with = "text::normalized")]
        pass_mark: Decimal,
    },
}

impl CertificationProblem {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (CertificationProblem::NoEligibleDegree { min_level }, Lang::Fa) => {
                format!("کارشناس مدرک {} یا بالاتر ندارد.", min_level.name(lang))
            }
            (CertificationProblem::NoEligibleDegree { min_level }, Lang::En) => {
                format!("The expert holds no {} or higher degree.", min_level.name(lang))
            }
            (CertificationProblem::TrainingNotCompleted, Lang::Fa) => {
                "دورهٔ آموزشی گذرانده نشده است.".to_owned()
            }
            (CertificationProblem::TrainingNotCompleted, Lang::En) => {
                "The training course has not been completed.".to_owned()
            }
            (CertificationProblem::ExamNotTaken, Lang::Fa) => "آزمون داده نشده است.".to_owned(),
            (CertificationProblem::ExamNotTaken, Lang::En) => "The exam has not been taken.".to_owned(),
            (CertificationProblem::ExamFailed { score, pass_mark }, Lang::Fa) => format!(
                "نمرهٔ آزمون {} است و از حد قبولی {} کمتر است.",
                dec(*score, lang),
                dec(*pass_mark, lang)
            ),
            (CertificationProblem::ExamFailed { score, pass_mark }, Lang::En) => format!(
                "The exam score {} is below the pass mark {}.",
                dec(*score, lang),
                dec(*pass_mark, lang)
            ),
        }
    }
}

/// An expert's certificate, valid from `issued_on` up to the day before `expires_on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub expert: NationalId,
    pub issued_on: JalaliDate,
    /// The first day the certificate is no longer valid.
    pub expires_on: JalaliDate,
}

impl Certificate {
    pub fn is_valid_on(&self, day: JalaliDate) -> bool {
        self.issued_on <= day && day < self.expires_on
    }
}

/// Certifies a candidate on `issued_on` if every requirement is met; otherwise lists every
/// requirement not met, so the candidate learns all of them at once.
pub fn certify(
    rules: &CallRules,
    candidate: &ExpertCandidate,
    issued_on: JalaliDate,
) -> Result<Certificate, Vec<CertificationProblem>> {
    let r = &rules.experts;
    let mut problems = Vec::new();
    if !candidate.degrees.iter().any(|d| d.level >= r.min_degree) {
        problems.push(CertificationProblem::NoEligibleDegree { min_level: r.min_degree });
    }
    if !candidate.training_completed {
        problems.push(CertificationProblem::TrainingNotCompleted);
    }
    match candidate.exam_score {
        None => problems.push(CertificationProblem::ExamNotTaken),
        Some(score) if score < r.exam_pass_mark => {
            problems.push(CertificationProblem::ExamFailed { score, pass_mark: r.exam_pass_mark });
        }
        Some(_) => {}
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // A certificate issued at the very end of the calendar lasts to its last day.
    let expires_on = add_years(issued_on, i32::from(r.certificate_validity_years)).unwrap_or(JalaliDate::MAX);
    Ok(Certificate { expert: candidate.national_id.clone(), issued_on, expires_on })
}

/// An expert's assignment to an office, from `from` to `until` inclusive (open-ended if `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub expert: NationalId,
    pub office: OfficeCode,
    pub from: JalaliDate,
    pub until: Option<JalaliDate>,
}

impl Assignment {
    pub fn is_active_on(&self, day: JalaliDate) -> bool {
        self.from <= day && self.until.is_none_or(|until| day <= until)
    }
}

/// Why an expert may not act for an office on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActRefusal {
    /// The certificate is someone else's.
    NotCertified,
    CertificateNotYetValid,
    CertificateExpired,
    /// No assignment of this expert to this office.
    NotAssigned,
    AssignmentNotActive,
}

impl ActRefusal {
    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ActRefusal::NotCertified, Lang::Fa) => "این کارشناس گواهی صلاحیت ندارد.",
            (ActRefusal::CertificateNotYetValid, Lang::Fa) => "گواهی صلاحیت کارشناس هنوز معتبر نشده است.",
            (ActRefusal::CertificateExpired, Lang::Fa) => "اعتبار گواهی صلاحیت کارشناس تمام شده است.",
            (ActRefusal::NotAssigned, Lang::Fa) => "کارشناس به این دفتر تخصیص داده نشده است.",
            (ActRefusal::AssignmentNotActive, Lang::Fa) => {
                "تخصیص کارشناس به این دفتر در این تاریخ برقرار نیست."
            }
            (ActRefusal::NotCertified, Lang::En) => "The expert holds no certificate.",
            (ActRefusal::CertificateNotYetValid, Lang::En) => "The expert's certificate is not valid yet.",
            (ActRefusal::CertificateExpired, Lang::En) => "The expert's certificate has expired.",
            (ActRefusal::NotAssigned, Lang::En) => "The expert is not assigned to this office.",
            (ActRefusal::AssignmentNotActive, Lang::En) => {
                "The expert's assignment to this office is not in force on this day."
            }
        }
    }
}

/// Whether the holder of `certificate` may act for `office` on `today`, and if not, why.
pub fn check_may_act(
    certificate: &Certificate,
    assignment: &Assignment,
    office: OfficeCode,
    today: JalaliDate,
) -> Result<(), ActRefusal> {
    if assignment.expert != certificate.expert {
        return Err(ActRefusal::NotCertified);
    }
    if today < certificate.issued_on {
        return Err(ActRefusal::CertificateNotYetValid);
    }
    if today >= certificate.expires_on {
        return Err(ActRefusal::CertificateExpired);
    }
    if assignment.office != office {
        return Err(ActRefusal::NotAssigned);
    }
    if !assignment.is_active_on(today) {
        return Err(ActRefusal::AssignmentNotActive);
    }
    Ok(())
}

/// True only while the expert is certified (not expired) and assigned to `office`.
pub fn may_act(
    certificate: &Certificate,
    assignment: &Assignment,
    office: OfficeCode,
    today: JalaliDate,
) -> bool {
    check_may_act(certificate, assignment, office, today).is_ok()
}
