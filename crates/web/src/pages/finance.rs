//! Finance: the month's reconciliation and settlements, rent billing, and each office's
//! statement with its CSV and XLSX exports.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use daftar_app::audit::By;
use daftar_app::money::{self, OfficeStatement, Period, Reconciliation};
use daftar_app::{AppError, directory};
use daftar_store::orgs::OfficeRow;
use daftar_types::Lang;
use serde::Deserialize;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{FormErrors, PageError};
use crate::view::Page;

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    period: Option<String>,
}

fn period_or_current(text: Option<&str>, now: i64) -> Result<Period, AppError> {
    match text.filter(|t| !t.trim().is_empty()) {
        Some(text) => Period::parse(text),
        None => Ok(Period::containing(now)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "finance.html")]
pub struct FinancePage {
    p: Page,
    period: Period,
    report: Reconciliation,
    offices: Vec<OfficeRow>,
    errors: FormErrors,
}

impl FinancePage {
    fn period_name(&self) -> String {
        self.period.name(self.p.lang)
    }

    fn period_label(&self) -> String {
        self.period.label()
    }

    fn previous(&self) -> String {
        self.period.previous().label()
    }

    fn next(&self) -> String {
        self.period.next().label()
    }

    fn party_name(&self, key: &str) -> String {
        party_name(&self.p, &self.offices, key)
    }

    /// A month is closed once, after it has ended.
    fn may_close(&self) -> bool {
        !self.report.closed && self.period.bounds().1 <= self.p.now
    }

    fn office_name(&self, office: &OfficeRow) -> String {
        office_name(self.p.lang, office)
    }
}

fn office_name(lang: Lang, office: &OfficeRow) -> String {
    if lang == Lang::Fa { office.name_fa.clone() } else { office.name_en.clone() }
}

/// `municipality`, `agency` or `office:{id}` as a person reads it.
fn party_name(p: &Page, offices: &[OfficeRow], key: &str) -> String {
    match key.strip_prefix("office:") {
        Some(id) => offices.iter().find(|o| o.id.to_string() == id).map_or_else(
            || p.t("party-office"),
            |o| format!("{} ({})", office_name(p.lang, o), p.digits(&o.code)),
        ),
        None => p.t(&format!("party-{key}")),
    }
}

async fn finance_page(
    state: &AppState,
    caller: &Caller,
    p: Page,
    period: Period,
    errors: FormErrors,
) -> Result<FinancePage, PageError> {
    let lang = p.lang;
    let fail = |e| PageError(e, lang);
    let principal = caller.principal().ok_or(PageError(AppError::Unauthenticated, lang))?;
    let report = money::reconcile(&state.app, By::Principal(principal), period).await.map_err(fail)?;
    let offices = directory::offices(&state.app).await.map_err(fail)?;
    Ok(FinancePage { p, period, report, offices, errors })
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Query(query): Query<PeriodQuery>,
) -> Result<FinancePage, PageError> {
    let lang = p.lang;
    let period = period_or_current(query.period.as_deref(), p.now).map_err(|e| PageError(e, lang))?;
    let errors = FormErrors { lang, ..FormErrors::default() };
    finance_page(&state, &caller, p, period, errors).await
}

#[derive(Deserialize)]
pub struct PeriodForm {
    period: String,
}

async fn act(state: &AppState, caller: &Caller, action: &str, period: Period) -> Result<(), AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    match action {
        "close" => money::close_period(&state.app, principal, &caller.meta, period).await.map(|_| ()),
        _ => {
            daftar_app::authz::require(principal, daftar_app::authz::Permission::ManageInvoices)?;
            money::bill_rent(&state.app, By::Principal(principal), &caller.meta, period).await.map(|_| ())
        }
    }
}

async fn run(
    state: AppState,
    caller: Caller,
    p: Page,
    action: &str,
    form: PeriodForm,
) -> Result<Response, PageError> {
    let lang = p.lang;
    let period = Period::parse(&form.period).map_err(|e| PageError(e, lang))?;
    match act(&state, &caller, action, period).await {
        Ok(()) => Ok(Redirect::to(&format!("/finance?period={}", period.label())).into_response()),
        Err(err) => {
            let errors = FormErrors::from_error(err, lang)?;
            let page = finance_page(&state, &caller, p, period, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Closes a month's settlements.
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<PeriodForm>,
) -> Result<Response, PageError> {
    run(state, caller, p, "close", form).await
}

/// Bills a month's rent to the offices on municipal sites.
pub async fn bill_rent(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<PeriodForm>,
) -> Result<Response, PageError> {
    run(state, caller, p, "rent", form).await
}

#[derive(Deserialize)]
pub struct StatementQuery {
    office: String,
    period: Option<String>,
    format: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "statement.html")]
pub struct StatementPage {
    p: Page,
    period: Period,
    statement: OfficeStatement,
    offices: Vec<OfficeRow>,
}

impl StatementPage {
    fn period_name(&self) -> String {
        self.period.name(self.p.lang)
    }

    fn office_name(&self) -> String {
        office_name(self.p.lang, &self.statement.office)
    }

    fn party_name(&self, party: &str) -> String {
        party_name(&self.p, &self.offices, party)
    }

    fn export(&self, format: &str) -> String {
        format!(
            "/finance/statement?office={}&period={}&format={format}",
            self.statement.office.code,
            self.period.label()
        )
    }
}

/// An office's statement for a month, as a page or exported (`format=csv` or `xlsx`).
pub async fn statement(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Query(query): Query<StatementQuery>,
) -> Result<Response, PageError> {
    let lang = p.lang;
    let fail = |e| PageError(e, lang);
    let principal = caller.principal().ok_or(PageError(AppError::Unauthenticated, lang))?;
    let period = period_or_current(query.period.as_deref(), p.now).map_err(fail)?;
    let statement =
        money::office_statement(&state.app, principal, &query.office, period).await.map_err(fail)?;
    let offices = directory::offices(&state.app).await.map_err(fail)?;
    let page = StatementPage { p, period, statement, offices };
    let name = format!("statement-{}-{}", page.statement.office.code, period.label().replace('/', "-"));
    match query.format.as_deref() {
        Some("csv") => Ok(download(&format!("{name}.csv"), "text/csv; charset=utf-8", export::csv(&page)?)),
        Some("xlsx") => Ok(download(
            &format!("{name}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            export::xlsx(&page)?,
        )),
        _ => Ok(page.into_response()),
    }
}

fn download(file_name: &str, content_type: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        body,
    )
        .into_response()
}

mod export {
    //! The statement as rows for a spreadsheet: headings in the page's language, dates in
    //! Jalali, amounts as plain integers in Rials so they can be summed.

    use daftar_types::Timestamp;
    use rust_xlsxwriter::{Format, Workbook};

    use super::StatementPage;
    use crate::error::PageError;

    const COLUMNS: [&str; 9] = [
        "statement-col-date",
        "statement-col-invoice",
        "statement-col-owner",
        "statement-col-head",
        "statement-col-level",
        "statement-col-party",
        "statement-col-kind",
        "statement-col-amount",
        "statement-col-settlement",
    ];

    fn rows(page: &StatementPage) -> Vec<[String; 9]> {
        let lang = page.p.lang;
        page.statement
            .lines
            .iter()
            .map(|l| {
                [
                    Timestamp::from_unix(l.recorded_at).to_tehran().date().format_numeric(lang),
                    l.invoice.clone(),
                    format!("{} {}", l.owner_type, l.owner_id),
                    l.head.clone(),
                    l.level.map(|v| v.to_string()).unwrap_or_default(),
                    page.party_name(&l.party),
                    page.p.t(if l.refund_id.is_some() { "statement-refund" } else { "statement-payment" }),
                    l.amount.to_string(),
                    l.settlement_id.map(|v| v.to_string()).unwrap_or_default(),
                ]
            })
            .collect()
    }

    fn quote(field: &str) -> String {
        if field.contains([',', '"', '\n']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_string()
        }
    }

    /// UTF-8 with a byte-order mark, so spreadsheet programs read Persian correctly.
    pub fn csv(page: &StatementPage) -> Result<Vec<u8>, PageError> {
        let mut out = String::from("\u{feff}");
        let heading: Vec<String> = COLUMNS.iter().map(|k| quote(&page.p.t(k))).collect();
        out.push_str(&heading.join(","));
        out.push_str("\r\n");
        for row in rows(page) {
            let fields: Vec<String> = row.iter().map(|f| quote(f)).collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
        Ok(out.into_bytes())
    }

    pub fn xlsx(page: &StatementPage) -> Result<Vec<u8>, PageError> {
        let fail = |e: rust_xlsxwriter::XlsxError| {
            tracing::error!(error = %e, "cannot write the statement workbook");
            PageError(daftar_app::AppError::TooLarge, page.p.lang)
        };
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        if page.p.lang == daftar_types::Lang::Fa {
            sheet.set_right_to_left(true);
        }
        let bold = Format::new().set_bold();
        let money = Format::new().set_num_format("#,##0");
        for (col, key) in COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, page.p.t(key), &bold).map_err(fail)?;
        }
        for (r, row) in rows(page).iter().enumerate() {
            let r = r as u32 + 1;
            for (col, value) in row.iter().enumerate() {
                match (col, value.parse::<f64>()) {
                    (7, Ok(amount)) => sheet.write_number_with_format(r, col as u16, amount, &money),
                    _ => sheet.write_string(r, col as u16, value),
                }
                .map_err(fail)?;
            }
        }
        sheet.autofit();
        workbook.save_to_buffer().map_err(fail)
    }
}
