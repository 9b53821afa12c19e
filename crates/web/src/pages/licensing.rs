//! Public pages of a licensing call: its rules (the call's text, the window, the conditions and
//! the sites with their rent) and, once made, its ranking with national IDs masked.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use daftar_app::licensing::{self, PublicResult};
use daftar_licensing::{CallRules, PersonRules};
use daftar_store::licensing::CallRow;
use daftar_types::Lang;

use crate::AppState;
use crate::error::PageError;
use crate::view::Page;

#[derive(Template, WebTemplate)]
#[template(path = "call.html")]
pub struct CallPage {
    p: Page,
    row: CallRow,
    rules: CallRules,
}

impl CallPage {
    fn title(&self) -> &str {
        self.rules.title(self.p.lang)
    }

    fn opens(&self) -> String {
        self.rules.window.first_day.format_long(self.p.lang)
    }

    fn closes(&self) -> String {
        self.rules.window.last_day.format_long(self.p.lang)
    }

    fn reference_date(&self) -> String {
        self.rules.reference_date.format_long(self.p.lang)
    }

    fn is_open(&self) -> bool {
        self.rules.window.accepts(daftar_types::Timestamp::from_unix(self.p.now))
    }

    fn ages(&self, rules: &PersonRules) -> String {
        let (min, max) = (self.p.num(&i64::from(rules.min_age)), self.p.num(&i64::from(rules.max_age)));
        match self.p.lang {
            Lang::Fa => format!("{min} تا {max} سال تمام در روز مبنا"),
            Lang::En => format!("{min} to {max} completed years on the reference day"),
        }
    }

    fn fields(&self, rules: &PersonRules) -> String {
        let names: Vec<String> = rules
            .degree_fields
            .iter()
            .map(|code| {
                let label = self.rules.field_label(code);
                if self.p.lang == Lang::Fa { label.fa } else { label.en }
            })
            .collect();
        names.join(if self.p.lang == Lang::Fa { "، " } else { ", " })
    }

    /// The rubric in one line, from the call's own numbers.
    fn rubric(&self) -> String {
        let r = &self.rules.points;
        let n = |v: u32| self.p.count(&v);
        let degrees: Vec<String> = r
            .degree
            .levels
            .iter()
            .map(|(level, points)| format!("{} {}", level.name(self.p.lang), n(*points)))
            .collect();
        match self.p.lang {
            Lang::Fa => format!(
                "{}؛ هر سال کامل سابقه {} تا سقف {}؛ محل مناسب ملکی {}؛ حداکثر {}",
                degrees.join(" یا "),
                n(r.experience.per_full_year),
                n(r.experience.cap),
                n(r.premises.points),
                n(r.max_total)
            ),
            Lang::En => format!(
                "{}; {} per full year of experience up to {}; suitable own premises {}; at most {}",
                degrees.join(" or "),
                n(r.experience.per_full_year),
                n(r.experience.cap),
                n(r.premises.points),
                n(r.max_total)
            ),
        }
    }

    fn site_name(&self, site: &daftar_licensing::Site) -> String {
        site.name(self.p.lang).to_string()
    }

    fn rent(&self, site: &daftar_licensing::Site) -> String {
        site.monthly_rent.format(self.p.lang)
    }
}

/// A call's public page.
pub async fn show(
    State(state): State<AppState>,
    p: Page,
    Path(code): Path<String>,
) -> Result<CallPage, PageError> {
    let (row, rules) = licensing::call(&state.app, &code).await.map_err(|e| PageError(e, p.lang))?;
    Ok(CallPage { p, row, rules })
}

#[derive(Template, WebTemplate)]
#[template(path = "call_ranking.html")]
pub struct RankingPage {
    p: Page,
    result: PublicResult,
}

/// A call's ranking, once the selection is made.
pub async fn ranking(
    State(state): State<AppState>,
    p: Page,
    Path(code): Path<String>,
) -> Result<RankingPage, PageError> {
    let result = licensing::public_ranking(&state.app, &code).await.map_err(|e| PageError(e, p.lang))?;
    Ok(RankingPage { p, result })
}
