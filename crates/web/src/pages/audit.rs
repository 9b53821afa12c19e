use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use daftar_store::audit::{AuditRecord, Checkpoint};

use crate::AppState;
use crate::caller::Caller;
use crate::error::PageError;
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    p: Page,
    records: i64,
    pending: i64,
    problem: Option<String>,
    checkpoint: Option<Checkpoint>,
    records_list: Vec<AuditRecord>,
}

pub async fn show(State(state): State<AppState>, caller: Caller, p: Page) -> Result<AuditPage, PageError> {
    let principal = caller.principal().ok_or(PageError(daftar_app::AppError::Unauthenticated, p.lang))?;
    let overview =
        daftar_app::audit::overview(&state.app, principal).await.map_err(|e| PageError(e, p.lang))?;
    Ok(AuditPage {
        p,
        records: overview.report.records,
        pending: overview.report.pending,
        problem: overview.report.problem.map(|problem| problem.to_string()),
        checkpoint: overview.latest,
        records_list: overview.recent,
    })
}
