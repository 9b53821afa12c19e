use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use daftar_store::outbox::OutboxRow;

use crate::AppState;
use crate::error::PageError;
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    p: Page,
    messages: Vec<OutboxRow>,
}

impl OutboxPage {
    fn status_key(&self, status: &str) -> &'static str {
        match status {
            "delivered" => "status-delivered",
            "failed" => "status-failed",
            _ => "status-pending",
        }
    }
}

pub async fn show(State(state): State<AppState>, p: Page) -> Result<OutboxPage, PageError> {
    let messages = daftar_app::outbox::recent_development_messages(&state.app)
        .await
        .map_err(|e| PageError(e, p.lang))?;
    Ok(OutboxPage { p, messages })
}
