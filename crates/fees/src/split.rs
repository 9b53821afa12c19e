//! Who receives how much of a payment: the payer's money divided line by line between the
//! municipality, the office and the agencies, so every receipt itemises each party's share.
//!
//! A partial payment (a down payment or an instalment) is divided in proportion to the amounts
//! still owed per line, by the largest-remainder rule: each line first gets the whole-Rial floor
//! of its exact share, then the Rials left over go one each to the lines with the largest
//! fractional remainders, ties to the earlier line. Shares therefore always sum exactly to the
//! amount paid, no line ever receives more than it is owed, and the same input always gives the
//! same output. Splitting each payment against what is still owed after the earlier ones (see
//! [`split_outstanding`] and [`outstanding_after`]) makes the last payment settle every line
//! exactly.

use daftar_types::Rials;
use serde::{Deserialize, Serialize};

use crate::assess::Assessment;
use crate::bylaw::Party;

/// One line's part of a payment (or of what is owed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Share {
    /// The head's code, e.g. `floor_area`.
    pub head: String,
    pub level: Option<i32>,
    pub party: Party,
    pub amount: Rials,
}

/// Why a payment could not be divided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("the amount paid cannot be negative")]
    NegativePayment,
    #[error("the amount owed on a line cannot be negative")]
    NegativeLine,
    #[error("{} Rials paid exceeds the {} Rials owed", paid.get(), owed.get())]
    MoreThanOwed { paid: Rials, owed: Rials },
    #[error("the amounts are too large")]
    TooLarge,
    #[error("the payments do not belong to this invoice's lines")]
    UnknownLine,
}

impl SplitError {
    /// The error for a person, in Persian or English.
    pub fn message(&self, lang: daftar_types::Lang) -> String {
        use daftar_types::Lang;
        match (self, lang) {
            (SplitError::NegativePayment, Lang::Fa) => "مبلغ پرداخت نمی‌تواند منفی باشد".to_owned(),
            (SplitError::NegativeLine, Lang::Fa) => "بدهی یک ردیف نمی‌تواند منفی باشد".to_owned(),
            (SplitError::MoreThanOwed { paid, owed }, Lang::Fa) => {
                format!("{} پرداختی از {} بدهی بیشتر است", paid.format(Lang::Fa), owed.format(Lang::Fa))
            }
            (SplitError::TooLarge, Lang::Fa) => "مبالغ از حد مجاز بزرگ‌ترند".to_owned(),
            (SplitError::UnknownLine, Lang::Fa) => "پرداخت‌ها با ردیف‌های این صورت‌حساب نمی‌خوانند".to_owned(),
            (error, Lang::En) => error.to_string(),
        }
    }
}

/// What each line of the invoice is owed in full.
pub fn shares_owed(assessment: &Assessment) -> Vec<Share> {
    assessment
        .lines
        .iter()
        .map(|l| Share { head: l.head.clone(), level: l.level, party: l.party, amount: l.amount })
        .collect()
}

/// Divides a payment against the whole invoice (the first payment, or a payment in full
/// without the cash discount).
pub fn split_payment(assessment: &Assessment, paid: Rials) -> Result<Vec<Share>, SplitError> {
    split_outstanding(&shares_owed(assessment), paid)
}

/// Divides a payment in proportion to what each line is still owed.
pub fn split_outstanding(outstanding: &[Share], paid: Rials) -> Result<Vec<Share>, SplitError> {
    if paid.get() < 0 {
        return Err(SplitError::NegativePayment);
    }
    if outstanding.iter().any(|s| s.amount.get() < 0) {
        return Err(SplitError::NegativeLine);
    }
    let weights: Vec<i64> = outstanding.iter().map(|s| s.amount.get()).collect();
    let owed = weights.iter().try_fold(0i64, |acc, w| acc.checked_add(*w)).ok_or(SplitError::TooLarge)?;
    if paid.get() > owed {
        return Err(SplitError::MoreThanOwed { paid, owed: Rials::new(owed) });
    }
    let amounts = largest_remainder(&weights, owed, paid.get());
    Ok(outstanding
        .iter()
        .zip(amounts)
        .map(|(s, amount)| Share { amount: Rials::new(amount), ..s.clone() })
        .collect())
}

/// What each line is still owed after `payments` (each a split of one payment).
pub fn outstanding_after(assessment: &Assessment, payments: &[Vec<Share>]) -> Result<Vec<Share>, SplitError> {
    let mut owed = shares_owed(assessment);
    for payment in payments {
        if payment.len() != owed.len() {
            return Err(SplitError::UnknownLine);
        }
        for (line, share) in owed.iter_mut().zip(payment) {
            if (&line.head, line.level) != (&share.head, share.level) {
                return Err(SplitError::UnknownLine);
            }
            line.amount = line.amount.checked_sub(share.amount).ok_or(SplitError::TooLarge)?;
        }
    }
    Ok(owed)
}

/// Divides a payment in full at once, with the cash discount: the discount comes off the lines
/// of its party in proportion to their amounts (largest remainder again); the other parties'
/// lines are paid in full. The shares sum to [`Assessment::cash_total`].
pub fn split_cash_payment(assessment: &Assessment) -> Result<Vec<Share>, SplitError> {
    let owed = shares_owed(assessment);
    let party = assessment.cash_discount.party;
    let discounted: Vec<&Share> = owed.iter().filter(|s| s.party == party).collect();
    let base = assessment.party_total(party);
    let discount = assessment.cash_discount.amount;
    if discount.get() < 0 || discount > base {
        return Err(SplitError::MoreThanOwed { paid: discount, owed: base });
    }
    let weights: Vec<i64> = discounted.iter().map(|s| s.amount.get()).collect();
    let mut cuts = largest_remainder(&weights, base.get(), discount.get()).into_iter();
    Ok(owed
        .iter()
        .map(|s| {
            let cut = if s.party == party { cuts.next().unwrap_or(0) } else { 0 };
            Share { amount: Rials::new(s.amount.get() - cut), ..s.clone() }
        })
        .collect())
}

/// Each party's total of some shares, in the order municipality, office, agency, omitting
/// parties with no share.
pub fn party_totals(shares: &[Share]) -> Result<Vec<(Party, Rials)>, SplitError> {
    [Party::Municipality, Party::Office, Party::Agency]
        .into_iter()
        .filter(|p| shares.iter().any(|s| s.party == *p))
        .map(|p| {
            let total = shares
                .iter()
                .filter(|s| s.party == p)
                .try_fold(Rials::ZERO, |acc, s| acc.checked_add(s.amount))
                .ok_or(SplitError::TooLarge)?;
            Ok((p, total))
        })
        .collect()
}

/// Divides `amount` (0 ≤ amount ≤ total = Σ weights, weights ≥ 0) in proportion to `weights`.
fn largest_remainder(weights: &[i64], total: i64, amount: i64) -> Vec<i64> {
    if total == 0 {
        return vec![0; weights.len()];
    }
    let (total, amount) = (i128::from(total), i128::from(amount));
    // weight × amount ≤ 2^126, so the products cannot overflow i128.
    let mut parts: Vec<(i128, i128)> =
        weights.iter().map(|w| (i128::from(*w) * amount / total, i128::from(*w) * amount % total)).collect();
    let given: i128 = parts.iter().map(|(floor, _)| floor).sum();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    // Largest remainder first; equal remainders keep line order (the sort is stable).
    order.sort_by(|a, b| parts[*b].1.cmp(&parts[*a].1));
    let left = usize::try_from(amount - given).unwrap_or(0);
    for index in order.into_iter().take(left) {
        parts[index].0 += 1;
    }
    // Each part lies between 0 and its weight, which is an i64.
    parts.into_iter().map(|(part, _)| i64::try_from(part).unwrap_or(i64::MAX)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn largest_remainder_by_hand() {
        assert_eq!(largest_remainder(&[1, 1, 1], 3, 2), [1, 1, 0]);
        assert_eq!(largest_remainder(&[10, 20, 30], 60, 7), [1, 2, 4]);
        assert_eq!(largest_remainder(&[0, 5], 5, 5), [0, 5]);
        assert_eq!(largest_remainder(&[0, 0], 0, 0), [0, 0]);
        assert_eq!(largest_remainder(&[], 0, 0), Vec::<i64>::new());
    }

    proptest! {
        #[test]
        fn parts_sum_to_the_amount_and_stay_within_weights(
            weights in prop::collection::vec(0..i64::MAX / 64, 1..40),
            share in 0u32..=1000,
        ) {
            let total: i64 = weights.iter().sum();
            let amount = i64::try_from(i128::from(total) * i128::from(share) / 1000).unwrap_or(0);
            let parts = largest_remainder(&weights, total, amount);
            prop_assert_eq!(parts.iter().map(|p| i128::from(*p)).sum::<i128>(), i128::from(amount));
            for (part, weight) in parts.iter().zip(&weights) {
                prop_assert!(*part >= 0 && part <= weight);
            }
            prop_assert_eq!(parts, largest_remainder(&weights, total, amount));
        }
    }
}
