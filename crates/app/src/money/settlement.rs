//! Settlement and reconciliation by Jalali month.
//!
//! Every payment is divided into shares when it is recorded (a refund adds the same shares
//! negated). Closing a month gives each party (the municipality, the agencies, each office) one
//! settlement of the shares recorded that month, and marks each share with it, so a share is
//! settled exactly once. Reconciliation checks the chain: payments less refunds = the sum of
//! shares = the sum of settlements, and lists every difference it finds.

use daftar_store::StoreError;
use daftar_store::money::{self as store_money, Balance, PartyTotal, SettlementRow, StatementLine};
use daftar_store::orgs::OfficeRow;
use daftar_types::{JalaliDate, Lang, Timestamp};
use serde::Serialize;
use serde_json::json;

use crate::audit::{By, entry};
use crate::authz::{Permission, Principal, Role, require};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

/// A Jalali month, the period of settlements and statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Period {
    year: i32,
    month: u8,
}

impl Period {
    /// Reads `1405/09` (Persian or Latin digits).
    pub fn parse(text: &str) -> AppResult<Period> {
        let ascii = daftar_types::digits::fold_to_ascii(text.trim());
        let parsed = ascii.split_once('/').and_then(|(y, m)| Some((y.parse().ok()?, m.parse().ok()?)));
        match parsed {
            Some((year, month)) if JalaliDate::new(year, month, 1).is_ok() => Ok(Period { year, month }),
            _ => Err(AppError::invalid(FieldError::new(
                "period",
                Message::new("دوره", "Period"),
                Message::new("ماه را به شکل ۱۴۰۵/۰۹ بنویسید.", "Write the month as 1405/09."),
            ))),
        }
    }

    /// The month an instant falls in, in Tehran.
    pub fn containing(unix: i64) -> Period {
        let date = Timestamp::from_unix(unix).to_tehran().date();
        Period { year: date.year(), month: date.month() }
    }

    pub fn first_day(self) -> JalaliDate {
        JalaliDate::new(self.year, self.month, 1).expect("a period is a valid month")
    }

    pub fn next(self) -> Period {
        if self.month == 12 {
            Period { year: self.year + 1, month: 1 }
        } else {
            Period { month: self.month + 1, ..self }
        }
    }

    pub fn previous(self) -> Period {
        if self.month == 1 {
            Period { year: self.year - 1, month: 12 }
        } else {
            Period { month: self.month - 1, ..self }
        }
    }

    /// `1405/09`: how periods are stored and compared (padded, so text order is time order).
    pub fn label(self) -> String {
        format!("{:04}/{:02}", self.year, self.month)
    }

    /// `آذر ۱۴۰۵` / `Azar 1405`.
    pub fn name(self, lang: Lang) -> String {
        let first = self.first_day();
        format!("{} {}", first.month_name(lang), daftar_types::digits::localize(&self.year.to_string(), lang))
    }

    /// `[start, end)` in Unix seconds: from 00:00 of the first day to 00:00 of the next month's
    /// first day, Tehran time.
    pub fn bounds(self) -> (i64, i64) {
        (self.first_day().start_of_day_tehran().unix(), self.next().first_day().start_of_day_tehran().unix())
    }
}

/// Closes a month that has ended: each party's unsettled shares of the month become one
/// settlement. Closing it again, or from two servers at once, is refused by the database.
pub async fn close_period(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    period: Period,
) -> AppResult<Vec<SettlementRow>> {
    require(principal, Permission::ManageInvoices)?;
    let (from, to) = period.bounds();
    if to > app.now() {
        return Err(AppError::Conflict(Message::new(
            "این ماه هنوز تمام نشده است.",
            "This month has not ended yet.",
        )));
    }
    let label = period.label();
    let already_closed = || {
        AppError::Conflict(Message::new(
            "تسویهٔ این ماه پیش‌تر بسته شده است.",
            "This month is already settled.",
        ))
    };
    let mut tx = app.store().begin_write().await?;
    // Inside the transaction: on SQLite writers are serialised, so a second close sees the
    // first; on PostgreSQL two closes racing past this check collide on the unique settlement.
    if !store_money::settlements_of_period(tx.conn(), &label).await?.is_empty() {
        tx.rollback().await?;
        return Err(already_closed());
    }
    let groups = store_money::unsettled_by_party(tx.conn(), from, to).await?;
    // On PostgreSQL a close that committed after the check above has settled every share, so
    // this one finds nothing left: that is the same month closed twice, not an empty month.
    if groups.is_empty() && !store_money::settlements_of_period(tx.conn(), &label).await?.is_empty() {
        tx.rollback().await?;
        return Err(already_closed());
    }
    for (party_key, amount, count) in &groups {
        let id = match store_money::insert_settlement(
            tx.conn(),
            party_key,
            &label,
            *amount,
            *count,
            Some(principal.user_id),
            app.now(),
        )
        .await
        {
            Err(StoreError::UniqueViolation) => {
                tx.rollback().await?;
                return Err(already_closed());
            }
            other => other?,
        };
        let marked = store_money::settle_shares(tx.conn(), id, party_key, from, to).await?;
        if marked != u64::try_from(*count).unwrap_or(0) {
            tx.rollback().await?;
            return Err(AppError::Conflict(Message::new(
                "در همین لحظه پرداخت‌های این ماه تغییر کرد؛ دوباره امتحان کنید.",
                "This month's payments changed meanwhile; please try again.",
            )));
        }
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "settlement.closed",
        ("period", label.clone()),
        json!({ "parties": groups.iter().map(|(p, a, n)| json!({ "party": p, "amount": a, "shares": n })).collect::<Vec<_>>() }),
    ));
    app.commit(tx).await?;
    Ok(store_money::settlements_of_period(app.store().pool(), &label).await?)
}

/// One thing that does not add up.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// `payment`, `refund`, `settlement` or `unsettled`.
    pub kind: &'static str,
    /// The payment, refund or settlement id, or the party key.
    pub subject: String,
    pub expected: i64,
    pub actual: i64,
}

/// A month's money, checked end to end.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    pub period: String,
    pub payments: Vec<Balance>,
    pub refunds: Vec<Balance>,
    /// Payments less refunds.
    pub received: i64,
    pub shared: i64,
    pub by_party: Vec<PartyTotal>,
    pub settlements: Vec<SettlementRow>,
    pub settled: i64,
    pub closed: bool,
    pub differences: Vec<Difference>,
}

impl Reconciliation {
    pub fn balanced(&self) -> bool {
        self.differences.is_empty()
    }
}

fn may_read_finance(by: By<'_>) -> AppResult<()> {
    match by {
        By::Principal(principal) => require(principal, Permission::ReadFinance),
        By::System(_) => Ok(()),
        By::User(_) => Err(AppError::Forbidden),
    }
}

/// Reconciles a month: finance and the supervisor may run it; the command line runs it as the
/// system.
pub async fn reconcile(app: &App, by: By<'_>, period: Period) -> AppResult<Reconciliation> {
    may_read_finance(by)?;
    let pool = app.store().pool();
    let (from, to) = period.bounds();
    let payments = store_money::payment_balances(pool, from, to).await?;
    let refunds = store_money::refund_balances(pool, from, to).await?;
    let by_party = store_money::party_totals(pool, from, to).await?;
    let settlements = store_money::settlements_of_period(pool, &period.label()).await?;
    let closed = !settlements.is_empty();
    let mut differences = Vec::new();
    for (kind, balances) in [("payment", &payments), ("refund", &refunds)] {
        differences.extend(balances.iter().filter(|b| b.amount != b.shared).map(|b| Difference {
            kind,
            subject: b.id.to_string(),
            expected: b.amount,
            actual: b.shared,
        }));
    }
    differences.extend(settlements.iter().filter(|s| s.amount != s.settled).map(|s| Difference {
        kind: "settlement",
        subject: s.id.to_string(),
        expected: s.amount,
        actual: s.settled,
    }));
    if closed {
        differences.extend(by_party.iter().filter(|p| p.amount != p.settled).map(|p| Difference {
            kind: "unsettled",
            subject: p.party_key.clone(),
            expected: p.amount,
            actual: p.settled,
        }));
    }
    Ok(Reconciliation {
        period: period.label(),
        received: payments.iter().chain(&refunds).map(|b| b.amount).sum(),
        shared: by_party.iter().map(|p| p.amount).sum(),
        settled: settlements.iter().map(|s| s.amount).sum(),
        payments,
        refunds,
        by_party,
        settlements,
        closed,
        differences,
    })
}

/// What an office's invoices brought in during a month, share by share, and what the office is
/// owed (its service fees) or owes (rent is billed to it and paid like any invoice).
#[derive(Debug, Clone, Serialize)]
pub struct OfficeStatement {
    pub office: OfficeRow,
    pub period: String,
    pub lines: Vec<StatementLine>,
    /// Each party's total over the lines: (party, amount).
    pub by_party: Vec<(String, i64)>,
    /// The office's own shares: what the municipality pays over to it.
    pub office_due: i64,
    pub settlement: Option<SettlementRow>,
}

/// An office's statement for a month: finance and the supervisor see every office's, an office's
/// own staff see their office's.
pub async fn office_statement(
    app: &App,
    principal: &Principal,
    office_code: &str,
    period: Period,
) -> AppResult<OfficeStatement> {
    let office = crate::directory::offices(app)
        .await?
        .into_iter()
        .find(|o| o.code == office_code)
        .ok_or(AppError::NotFound)?;
    let own_office = principal.office_id == Some(office.id)
        && principal.has_role(&[Role::OfficeLicenseHolder, Role::OfficeTechnicalManager]);
    if !own_office {
        require(principal, Permission::ReadFinance)?;
    }
    let (from, to) = period.bounds();
    let pool = app.store().pool();
    let lines = store_money::office_statement(pool, office.id, from, to).await?;
    let mut by_party: Vec<(String, i64)> = Vec::new();
    for line in &lines {
        match by_party.iter_mut().find(|(p, _)| *p == line.party) {
            Some((_, total)) => *total += line.amount,
            None => by_party.push((line.party.clone(), line.amount)),
        }
    }
    let office_due = lines.iter().filter(|l| l.party == "office").map(|l| l.amount).sum();
    let key = format!("office:{}", office.id);
    let settlement = store_money::settlements_of_period(pool, &period.label())
        .await?
        .into_iter()
        .find(|s| s.party_key == key);
    Ok(OfficeStatement { office, period: period.label(), lines, by_party, office_due, settlement })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_in_either_digits_and_roll_over_the_year() {
        let p = Period::parse("۱۴۰۵/۱۲").unwrap();
        assert_eq!(p.label(), "1405/12");
        assert_eq!(p.next().label(), "1406/01");
        assert_eq!(p.next().previous(), p);
        assert!(Period::parse("1405/13").is_err());
        assert!(Period::parse("1405").is_err());
        assert_eq!(p.name(Lang::Fa), "اسفند ۱۴۰۵");
    }

    #[test]
    fn a_period_runs_from_tehran_midnight_to_tehran_midnight() {
        let (from, to) = Period::parse("1405/09").unwrap().bounds();
        assert_eq!(Period::containing(from), Period::parse("1405/09").unwrap());
        assert_eq!(Period::containing(from - 1).label(), "1405/08");
        assert_eq!(Period::containing(to).label(), "1405/10");
        assert_eq!((to - from) / 86_400, 30);
    }
}
