//! What an office needs before it may open (S8, S9): every item of the equipment checklist
//! installed, whoever supplies it, and enough certified experts.

use daftar_types::{Lang, digits};
use serde::{Deserialize, Serialize};

use crate::call::{CallRules, Label, Supplier};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Pending,
    Delivered,
    Installed,
}

impl ItemStatus {
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ItemStatus::Pending, Lang::Fa) => "در انتظار",
            (ItemStatus::Delivered, Lang::Fa) => "تحویل‌شده",
            (ItemStatus::Installed, Lang::Fa) => "نصب‌شده",
            (ItemStatus::Pending, Lang::En) => "pending",
            (ItemStatus::Delivered, Lang::En) => "delivered",
            (ItemStatus::Installed, Lang::En) => "installed",
        }
    }
}

/// One line of an office's equipment checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    pub label: Label,
    pub supplier: Supplier,
    pub status: ItemStatus,
}

impl CallRules {
    /// A new office's checklist: every item of the call, nothing delivered yet.
    pub fn equipment_checklist(&self) -> Vec<ChecklistItem> {
        self.equipment
            .iter()
            .map(|item| ChecklistItem {
                label: item.label.clone(),
                supplier: item.supplier,
                status: ItemStatus::Pending,
            })
            .collect()
    }
}

/// Something that keeps an office from opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "blocker", rename_all = "snake_case")]
pub enum Blocker {
    /// A checklist item of the call is missing from the office's checklist.
    EquipmentMissing {
        item: Label,
        supplier: Supplier,
    },
    /// Delivered or still pending.
    EquipmentNotInstalled {
        item: Label,
        supplier: Supplier,
        status: ItemStatus,
    },
    TooFewExperts {
        certified: u32,
        required: u32,
    },
}

/// Everything that keeps an office from opening, in checklist order, then staff; empty means
/// it may open. Items the office added beyond the call's list never block.
pub fn opening_blockers(
    checklist: &[ChecklistItem],
    certified_experts: u32,
    rules: &CallRules,
) -> Vec<Blocker> {
    let mut blockers: Vec<Blocker> = rules
        .equipment
        .iter()
        .filter_map(|required| {
            let Some(item) = checklist.iter().find(|i| i.label.code == required.label.code) else {
                return Some(Blocker::EquipmentMissing {
                    item: required.label.clone(),
                    supplier: required.supplier,
                });
            };
            (item.status != ItemStatus::Installed).then(|| Blocker::EquipmentNotInstalled {
                item: item.label.clone(),
                supplier: item.supplier,
                status: item.status,
            })
        })
        .collect();
    let required = rules.offices.min_certified_experts;
    if certified_experts < required {
        blockers.push(Blocker::TooFewExperts { certified: certified_experts, required });
    }
    blockers
}

impl Blocker {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Blocker::EquipmentMissing { item, supplier }, Lang::Fa) => {
                format!("«{}» (تأمین‌کننده: {}) در فهرست تجهیزات دفتر نیست.", item.fa, supplier.name(lang))
            }
            (Blocker::EquipmentMissing { item, supplier }, Lang::En) => format!(
                "“{}” (supplied by {}) is missing from the office's checklist.",
                item.en,
                supplier.name(lang)
            ),
            (Blocker::EquipmentNotInstalled { item, supplier, status }, Lang::Fa) => format!(
                "«{}» (تأمین‌کننده: {}) هنوز نصب نشده است؛ وضعیت: {}.",
                item.fa,
                supplier.name(lang),
                status.name(lang)
            ),
            (Blocker::EquipmentNotInstalled { item, supplier, status }, Lang::En) => format!(
                "“{}” (supplied by {}) is not installed yet; status: {}.",
                item.en,
                supplier.name(lang),
                status.name(lang)
            ),
            (Blocker::TooFewExperts { certified, required }, Lang::Fa) => digits::to_persian(&format!(
                "دفتر {certified} کارشناس دارای گواهی معتبر دارد؛ \
                 برای افتتاح دست‌کم {required} کارشناس لازم است."
            )),
            (Blocker::TooFewExperts { certified, required }, Lang::En) => format!(
                "Certified experts at the office: {certified}; at least {required} are needed to open."
            ),
        }
    }
}
