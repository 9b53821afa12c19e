use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use daftar_app::fees::{self, Tariffs};
use daftar_types::{JalaliDate, Lang};
use serde::Deserialize;

use crate::AppState;
use crate::error::PageError;
use crate::i18n;
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "tariffs.html")]
pub struct TariffsPage {
    p: Page,
    query: String,
    tariffs: Option<Tariffs>,
    effective: String,
    rounding: String,
    discount: String,
    instalments: String,
}

impl TariffsPage {
    fn service_name(&self, code: &str) -> String {
        i18n::try_t(self.p.lang, &format!("service-{code}")).unwrap_or_else(|| code.to_string())
    }

    fn party_key(&self, party: &str) -> &'static str {
        match party {
            "office" => "party-office",
            "agency" => "party-agency",
            _ => "party-municipality",
        }
    }
}

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

pub async fn show(
    State(state): State<AppState>,
    p: Page,
    Query(search): Query<Search>,
) -> Result<TariffsPage, PageError> {
    let lang = p.lang;
    let tariffs = fees::tariffs(&state.app, &search.q).await.map_err(|e| PageError(e, lang))?;
    let number = |text: &str| daftar_types::number::format_decimal_str(text, lang);
    let (effective, rounding, discount, instalments) = match &tariffs {
        Some(t) => (
            JalaliDate::parse(&t.effective_from).map(|d| d.format_long(lang)).unwrap_or_default(),
            number(&t.rounding_rials),
            format!("{}{}", number(&t.cash_discount_percent), if lang == Lang::Fa { "٪" } else { "%" }),
            i18n::t_args(
                lang,
                "tariffs-instalments-text",
                &[
                    ("down", number(&t.instalment_min_down_percent)),
                    ("months", number(&t.instalment_max_months.to_string())),
                ],
            ),
        ),
        None => Default::default(),
    };
    Ok(TariffsPage { p, query: search.q, tariffs, effective, rounding, discount, instalments })
}
