//! Selection (S6, S7): who gets a licence and which municipal site, in rank order.
//!
//! Applicants are taken in rank order while places remain. One who brings premises is selected.
//! One who needs a municipal site is selected only if a site can be assigned: the first site on
//! the applicant's own list of preferences still free (serial choice in rank order); if every
//! listed site is taken, any remaining site when the applicant said they accept one, otherwise
//! the applicant waits on the reserve list and the next applicant is considered. When no site is
//! left at all, site-needers wait on the reserve list while applicants with premises further down
//! may still be selected.
//!
//! Serial choice is used rather than an assignment that optimises some global measure (most
//! first choices, least total rent): it is strategy-proof, since listing one's true preferences
//! is never worse than any other list; it respects rank, since nobody loses a site to a
//! lower-ranked applicant; and every outcome has a one-line explanation ("the sites you listed
//! before this one went to applicants ranked above you"). An optimal assignment can move a
//! higher-ranked applicant to a worse site for the benefit of others, rewards tactical lists and
//! cannot be explained to one applicant without the whole matrix.

use std::collections::BTreeMap;

use daftar_types::{Lang, NationalId, Rials, digits};
use serde::Serialize;

use crate::CallRules;
use crate::call::Site;
use crate::ranking::{RankedApplicant, SiteNeed};
use crate::text::int;

/// Where a selected applicant's office will be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "placement", rename_all = "snake_case")]
pub enum Placement {
    OwnPremises,
    Site {
        code: String,
        monthly_rent: Rials,
        /// 1-based position in the applicant's list; `None` for a site outside the list, given
        /// because the applicant accepts any other site.
        preference: Option<u32>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selected {
    pub rank: u32,
    pub national_id: NationalId,
    pub placement: Placement,
}

/// Why a ranked applicant is on the reserve list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReserveReason {
    /// Every place of the call was filled by applicants ranked higher.
    NoPlaceLeft,
    /// Every municipal site was taken by applicants ranked higher.
    NoSiteLeft,
    /// Every site the applicant listed was taken, and they accept no other.
    PreferencesTaken,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reserved {
    pub rank: u32,
    pub national_id: NationalId,
    pub reason: ReserveReason,
}

/// The outcome of a call: the selected applicants and the reserve list, both in rank order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selection {
    pub call_version: String,
    pub selected: Vec<Selected>,
    pub reserve: Vec<Reserved>,
    /// Codes of the sites nobody was given, in code order.
    pub free_sites: Vec<String>,
}

/// Selects in rank order up to the call's capacity, assigning `sites` (usually the call's, less
/// any withdrawn since) by serial choice. The result depends only on the ranks, the applicants'
/// needs and the set of sites, not on the order of either slice; a site listed twice counts once.
pub fn select(rules: &CallRules, ranked: &[RankedApplicant], sites: &[Site]) -> Selection {
    let mut order: Vec<&RankedApplicant> = ranked.iter().collect();
    order.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.national_id.cmp(&b.national_id)));
    // Keyed by code: ordered, so "any other site" deterministically means the first free code.
    let mut free: BTreeMap<&str, &Site> = sites.iter().map(|s| (s.code.as_str(), s)).collect();

    let mut selected = Vec::new();
    let mut reserve = Vec::new();
    for applicant in order {
        let placement = if selected.len() >= rules.capacity as usize {
            Err(ReserveReason::NoPlaceLeft)
        } else {
            place(&applicant.need, &mut free)
        };
        let (rank, national_id) = (applicant.rank, applicant.national_id.clone());
        match placement {
            Ok(placement) => selected.push(Selected { rank, national_id, placement }),
            Err(reason) => reserve.push(Reserved { rank, national_id, reason }),
        }
    }
    Selection {
        call_version: rules.version.clone(),
        selected,
        reserve,
        free_sites: free.keys().map(|code| (*code).to_owned()).collect(),
    }
}

/// The placement of one applicant, taking the site out of `free`.
fn place(need: &SiteNeed, free: &mut BTreeMap<&str, &Site>) -> Result<Placement, ReserveReason> {
    let SiteNeed::MunicipalSite(request) = need else {
        return Ok(Placement::OwnPremises);
    };
    if free.is_empty() {
        return Err(ReserveReason::NoSiteLeft);
    }
    let listed = request.preferences.iter().enumerate().find(|(_, code)| free.contains_key(code.as_str()));
    let (code, preference) = match listed {
        Some((i, code)) => (code.as_str(), u32::try_from(i + 1).ok()),
        None if request.accept_other_sites => match free.keys().next() {
            Some(&code) => (code, None),
            None => return Err(ReserveReason::NoSiteLeft),
        },
        None => return Err(ReserveReason::PreferencesTaken),
    };
    let site = free.remove(code).ok_or(ReserveReason::NoSiteLeft)?;
    Ok(Placement::Site { code: site.code.clone(), monthly_rent: site.monthly_rent, preference })
}

impl Placement {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Placement::OwnPremises, Lang::Fa) => "دفتر در محل خود متقاضی دایر می‌شود.".to_owned(),
            (Placement::OwnPremises, Lang::En) => {
                "The office opens in the applicant's own premises.".to_owned()
            }
            (Placement::Site { code, monthly_rent, preference }, Lang::Fa) => {
                let choice = match preference {
                    Some(n) => format!("اولویت {} متقاضی", int(*n, lang)),
                    None => "محلی خارج از فهرست متقاضی که پذیرش آن را اعلام کرده بود".to_owned(),
                };
                format!(
                    "محل شهرداری {} ({choice}) با اجارهٔ ماهانهٔ {} واگذار می‌شود.",
                    digits::to_persian(code),
                    monthly_rent.format(lang)
                )
            }
            (Placement::Site { code, monthly_rent, preference }, Lang::En) => {
                let choice = match preference {
                    Some(n) => format!("the applicant's choice {n}"),
                    None => "a site outside the applicant's list, which they accepted".to_owned(),
                };
                format!(
                    "Municipal site {code} ({choice}) is assigned at a monthly rent of {}.",
                    monthly_rent.format(lang)
                )
            }
        }
    }
}

impl ReserveReason {
    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ReserveReason::NoPlaceLeft, Lang::Fa) => {
                "همهٔ ظرفیت فراخوان به متقاضیان با رتبهٔ بالاتر رسیده است؛ متقاضی در فهرست ذخیره است."
            }
            (ReserveReason::NoSiteLeft, Lang::Fa) => {
                "همهٔ محل‌های شهرداری به متقاضیان با رتبهٔ بالاتر واگذار شده است؛ متقاضی در فهرست ذخیره است."
            }
            (ReserveReason::PreferencesTaken, Lang::Fa) => {
                "همهٔ محل‌هایی که متقاضی انتخاب کرده بود به متقاضیان با رتبهٔ بالاتر واگذار شده \
                 و او محل دیگری را نپذیرفته است؛ متقاضی در فهرست ذخیره است."
            }
            (ReserveReason::NoPlaceLeft, Lang::En) => {
                "Every place of the call went to applicants ranked higher; \
                 the applicant is on the reserve list."
            }
            (ReserveReason::NoSiteLeft, Lang::En) => {
                "Every municipal site went to applicants ranked higher; the applicant is on the reserve list."
            }
            (ReserveReason::PreferencesTaken, Lang::En) => {
                "Every site the applicant listed went to applicants ranked higher, and no other site \
                 is accepted; the applicant is on the reserve list."
            }
        }
    }
}
