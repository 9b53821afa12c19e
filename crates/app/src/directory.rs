//! The municipality's public directory: its districts and offices.

use daftar_store::orgs::{self, DistrictRow, OfficeRow};

use crate::App;
use crate::error::AppResult;

pub async fn districts(app: &App) -> AppResult<Vec<DistrictRow>> {
    Ok(orgs::districts(app.store().pool()).await?)
}

pub async fn offices(app: &App) -> AppResult<Vec<OfficeRow>> {
    Ok(orgs::offices(app.store().pool()).await?)
}
