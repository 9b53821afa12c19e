//! Rent of municipal sites let to offices (S6, S15): one invoice per site and Jalali month,
//! billed to the office. A month is billed once however often billing runs, because the
//! database refuses a second charge for the same site and month.

use daftar_fees::assess::AssessmentInputs;
use daftar_store::StoreError;
use daftar_store::WriteTx;
use daftar_store::money::{self as store_money, InvoiceRow};
use daftar_store::orgs::OfficeRow;
use daftar_types::Rials;
use rust_decimal::Decimal;
use serde_json::json;

use super::{Billed, Lineage, Period, insert_invoice};
use crate::audit::{By, entry};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

/// The owner type of rent invoices; the owner id is `{site}:{month}`.
pub(crate) const OWNER: &str = "office_rent";

async fn office_by_code(app: &App, code: &str) -> AppResult<OfficeRow> {
    crate::directory::offices(app).await?.into_iter().find(|o| o.code == code).ok_or_else(|| {
        AppError::invalid(FieldError::new(
            "office",
            Message::new("دفتر", "Office"),
            Message::new("چنین دفتری نیست.", "No such office."),
        ))
    })
}

/// Lets a municipal site to an office at a monthly rent, billed from `from` on.
pub async fn let_site(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    office_code: &str,
    site_code: &str,
    monthly_rent: Rials,
    from: Period,
) -> AppResult<i64> {
    let office = office_by_code(app, office_code).await?;
    if monthly_rent.get() <= 0 {
        return Err(AppError::invalid(FieldError::new(
            "monthly_rent",
            Message::new("اجارهٔ ماهانه", "Monthly rent"),
            Message::new("باید بیش از صفر باشد.", "must be more than zero."),
        )));
    }
    let mut tx = app.store().begin_write().await?;
    let id = match store_money::insert_office_site(
        tx.conn(),
        office.id,
        site_code,
        monthly_rent.get(),
        &from.label(),
        app.now(),
    )
    .await
    {
        Err(StoreError::UniqueViolation) => {
            tx.rollback().await?;
            return Err(AppError::Conflict(Message::new(
                "این محل از این ماه پیش‌تر واگذار شده است.",
                "This site is already let from this month.",
            )));
        }
        other => other?,
    };
    tx.audit(entry(
        app,
        by,
        meta,
        "rent.site_let",
        ("office_site", id.to_string()),
        json!({ "office": office.code, "site": site_code, "monthly_rent": monthly_rent.get(), "from": from.label() }),
    ));
    app.commit(tx).await?;
    Ok(id)
}

/// Bills every site let during `month` that is not billed for it yet; returns the new
/// invoices. Safe to run again, and from several servers at once.
pub async fn bill_rent(
    app: &App,
    by: By<'_>,
    meta: &RequestMeta,
    month: Period,
) -> AppResult<Vec<InvoiceRow>> {
    let label = month.label();
    let sites = store_money::sites_let_in(app.store().pool(), &label).await?;
    let mut issued = Vec::new();
    for site in sites {
        if store_money::rent_charge_exists(app.store().pool(), site.id, &label).await? {
            continue;
        }
        let mut extra = std::collections::BTreeMap::new();
        extra.insert("site_rent".to_string(), Decimal::from(site.monthly_rent));
        extra.insert("rent_months".to_string(), Decimal::ONE);
        let inputs = AssessmentInputs { service: "site_rent".into(), extra, ..AssessmentInputs::default() };
        let assessment = super::assess_in_force(app, &inputs).await?;
        let owner_id = format!("{}:{label}", site.site_code);
        let billed = Billed { owner_type: OWNER, owner_id: &owner_id, office_id: Some(site.office_id) };
        let mut tx = app.store().begin_write().await?;
        let id = insert_invoice(app, &mut tx, by, meta, billed, &assessment, Lineage::default()).await?;
        match store_money::insert_rent_charge(tx.conn(), site.id, &label, id).await {
            // Another server billed this month meanwhile: drop ours.
            Err(StoreError::UniqueViolation) => {
                tx.rollback().await?;
                continue;
            }
            other => other?,
        }
        app.commit(tx).await?;
        issued.extend(store_money::invoice(app.store().pool(), id).await?);
    }
    Ok(issued)
}

/// A rent invoice is settled: its month is paid.
pub(crate) async fn settled(app: &App, tx: &mut WriteTx, invoice: &InvoiceRow) -> AppResult<()> {
    store_money::mark_rent_paid(tx.conn(), invoice.id, app.now()).await?;
    Ok(())
}
