//! The unapproved-product disclosure (未承認医薬品等の表示) of a product,
//! rendered from its recorded facts by `jousei_core::supply::disclosure`:
//! a printable page and its JSON.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use jousei_core::locale::Locale;
use jousei_core::role::Permission;
use jousei_core::supply::disclosure::{Disclosure, render};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::{AppState, Signed};
use crate::error::ApiError;
use crate::pages::Layout;

pub fn router() -> Router<AppState> {
    Router::new().route("/supply/products/{id}/disclosure", get(page))
}

struct Item {
    heading: String,
    lines: Vec<String>,
    /// Pages the item points to: (title, address).
    links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "supply/disclosure.html")]
struct Page<'a> {
    l: Layout<'a>,
    product_id: Uuid,
    product_code: String,
    product_name: String,
    version_line: String,
    applies: bool,
    items: Vec<Item>,
    missing: Vec<String>,
}

#[derive(Deserialize)]
struct Lang {
    lang: Option<String>,
}

/// The disclosure of a product's current version in `locale`.
pub async fn disclosure_of(
    state: &AppState,
    p: &jousei_service::auth::Principal,
    id: Uuid,
    locale: Locale,
) -> Result<(jousei_store::supply::Product, Disclosure), ApiError> {
    p.require(Permission::SupplyRead)?;
    let product = state
        .store
        .product(p.clinic.id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let d = render(&product.facts, locale);
    Ok((product, d))
}

async fn page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<Lang>,
) -> Result<Response, ApiError> {
    // The document may be printed in the other language than the screen.
    let locale = q
        .lang
        .as_deref()
        .and_then(Locale::parse)
        .unwrap_or(ctx.locale);
    let (product, d) = disclosure_of(&state, &p, id, locale).await?;
    let mut l = Layout::new(&state, &ctx, "disclosure-title", "/supply");
    l.title = format!("{} — {}", l.t("disclosure-title"), product.facts.name);
    let missing = d
        .missing
        .iter()
        .map(|m| state.i18n.t(ctx.locale, &format!("field-{}", m.field)))
        .collect();
    let page = Page {
        version_line: state.i18n.t_args(
            ctx.locale,
            "disclosure-version",
            &[("version", product.version.to_string())],
        ),
        product_id: product.id,
        product_code: product.facts.code.clone(),
        product_name: match (locale, &product.facts.name_en) {
            (Locale::En, Some(en)) => en.clone(),
            _ => product.facts.name.clone(),
        },
        applies: d.applies,
        items: d
            .items
            .iter()
            .map(|i| Item {
                heading: i.heading.clone(),
                lines: i.text.lines().map(str::to_string).collect(),
                links: i
                    .links
                    .iter()
                    .map(|k| (k.title.clone(), k.url.to_string()))
                    .collect(),
            })
            .collect(),
        missing,
        l,
    };
    Ok(Html(page.render().map_err(ApiError::internal)?).into_response())
}
