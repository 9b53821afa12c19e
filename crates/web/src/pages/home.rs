use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use daftar_app::directory;
use daftar_types::Lang;

use crate::AppState;
use crate::error::PageError;
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct Home {
    p: Page,
    office_name: Option<String>,
    district_name: Option<String>,
}

pub async fn show(State(state): State<AppState>, p: Page) -> Result<Home, PageError> {
    let (mut office_name, mut district_name) = (None, None);
    if let Some(principal) = &p.principal {
        let pick = |fa: &str, en: &str| if p.lang == Lang::Fa { fa.to_string() } else { en.to_string() };
        if let Some(id) = principal.office_id {
            let offices = directory::offices(&state.app).await.map_err(|e| PageError(e, p.lang))?;
            office_name = offices.iter().find(|o| o.id == id).map(|o| pick(&o.name_fa, &o.name_en));
        }
        if let Some(id) = principal.district_id {
            let districts = directory::districts(&state.app).await.map_err(|e| PageError(e, p.lang))?;
            district_name = districts.iter().find(|d| d.id == id).map(|d| pick(&d.name_fa, &d.name_en));
        }
    }
    Ok(Home { p, office_name, district_name })
}
