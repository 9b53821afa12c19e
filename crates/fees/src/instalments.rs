//! Paying an invoice by instalments: a down payment, then equal monthly instalments in whole
//! Rials, with no interest.

use daftar_types::{JalaliDate, Rials};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bylaw::InstalmentRules;

/// One monthly instalment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    /// 1 for the first instalment after the down payment.
    pub number: u32,
    pub due: JalaliDate,
    pub amount: Rials,
}

/// A payment plan: the down payment plus the instalments sum exactly to `total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub total: Rials,
    pub down_payment: Rials,
    pub instalments: Vec<Instalment>,
}

/// Why a payment plan was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstalmentError {
    #[error("there is nothing to pay")]
    NothingToPay,
    #[error("the down payment cannot be negative")]
    NegativeDownPayment,
    #[error("the down payment must be at least {} Rials", minimum.get())]
    DownPaymentTooSmall { minimum: Rials },
    #[error("the down payment covers the whole amount: pay in full instead")]
    DownPaymentCoversTotal,
    #[error("choose from 1 to {max} monthly instalments")]
    Months { max: u32 },
    #[error("{} Rials cannot be divided into {months} instalments of at least one Rial", rest.get())]
    TooManyForAmount { rest: Rials, months: u32 },
    #[error("an instalment would fall after the last supported date")]
    DateOutOfRange,
}

impl InstalmentError {
    /// The error for a person, in Persian or English.
    pub fn message(&self, lang: daftar_types::Lang) -> String {
        use daftar_types::Lang;
        use daftar_types::digits::to_persian;
        match (self, lang) {
            (InstalmentError::NothingToPay, Lang::Fa) => "مبلغی برای پرداخت نیست".to_owned(),
            (InstalmentError::NegativeDownPayment, Lang::Fa) => "پیش‌پرداخت نمی‌تواند منفی باشد".to_owned(),
            (InstalmentError::DownPaymentTooSmall { minimum }, Lang::Fa) => {
                format!("پیش‌پرداخت دست‌کم باید {} باشد", minimum.format(Lang::Fa))
            }
            (InstalmentError::DownPaymentCoversTotal, Lang::Fa) => {
                "پیش‌پرداخت همهٔ مبلغ را می‌پوشاند؛ یکجا پرداخت کنید".to_owned()
            }
            (InstalmentError::Months { max }, Lang::Fa) => {
                format!("تعداد اقساط باید از ۱ تا {} ماه باشد", to_persian(&max.to_string()))
            }
            (InstalmentError::TooManyForAmount { rest, months }, Lang::Fa) => format!(
                "{} را نمی‌توان به {} قسط دست‌کم یک‌ریالی بخش کرد",
                rest.format(Lang::Fa),
                to_persian(&months.to_string())
            ),
            (InstalmentError::DateOutOfRange, Lang::Fa) => {
                "سررسید قسطی بیرون از بازهٔ تقویم می‌افتد".to_owned()
            }
            (error, Lang::En) => error.to_string(),
        }
    }
}

/// The smallest down payment the rules allow on `total`: the percentage rounded up to a whole
/// Rial.
pub fn minimum_down_payment(rules: &InstalmentRules, total: Rials) -> Option<Rials> {
    let exact = Decimal::from(total.get()).checked_mul(rules.min_down_percent)? / Decimal::ONE_HUNDRED;
    i64::try_from(exact.ceil()).ok().map(Rials::new)
}

/// The same day `months` Jalali months later; a day that month does not have becomes its last
/// day (31 Shahrivar + 1 month = 30 Mehr; 30 Bahman + 1 month = 29 or 30 Esfand). Counting is
/// always from `date`, so a schedule starting on the 31st returns to the 31st when it can.
pub fn add_months(date: JalaliDate, months: u32) -> Option<JalaliDate> {
    let index = i64::from(date.month() - 1) + i64::from(months);
    let year = i32::try_from(i64::from(date.year()) + index / 12).ok()?;
    let month = u8::try_from(index % 12 + 1).ok()?;
    let day = date.day().min(JalaliDate::days_in_month(year, month)?);
    JalaliDate::new(year, month, day).ok()
}

/// Plans `total` as a down payment and `months` equal monthly instalments, the first due on
/// `first_due` and each later one a month after it ([`add_months`]). The remainder after the
/// down payment is divided into whole Rials; the Rials left over go on the last instalment, so
/// the schedule sums exactly to `total`.
pub fn plan_instalments(
    rules: &InstalmentRules,
    total: Rials,
    down_payment: Rials,
    months: u32,
    first_due: JalaliDate,
) -> Result<Schedule, InstalmentError> {
    if total.get() <= 0 {
        return Err(InstalmentError::NothingToPay);
    }
    if down_payment.get() < 0 {
        return Err(InstalmentError::NegativeDownPayment);
    }
    let minimum = minimum_down_payment(rules, total).ok_or(InstalmentError::NothingToPay)?;
    if down_payment < minimum {
        return Err(InstalmentError::DownPaymentTooSmall { minimum });
    }
    if down_payment >= total {
        return Err(InstalmentError::DownPaymentCoversTotal);
    }
    if months == 0 || months > rules.max_months {
        return Err(InstalmentError::Months { max: rules.max_months });
    }
    let rest = total.get() - down_payment.get();
    let count = i64::from(months);
    if rest < count {
        return Err(InstalmentError::TooManyForAmount { rest: Rials::new(rest), months });
    }
    let (each, left_over) = (rest / count, rest % count);
    let instalments = (0..months)
        .map(|k| {
            let amount = if k + 1 == months { each + left_over } else { each };
            let due = add_months(first_due, k).ok_or(InstalmentError::DateOutOfRange)?;
            Ok(Instalment { number: k + 1, due, amount: Rials::new(amount) })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Schedule { total, down_payment, instalments })
}
