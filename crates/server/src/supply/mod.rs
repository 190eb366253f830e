//! The supply area of the web UI and the JSON API: lots, stock, locations, products, the cold chain and the disclosure page.
//! Its use cases are in `jousei_service::supply`.

pub mod api;
pub mod coldchain;
pub mod disclosure;
pub mod pages;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

/// The area's pages.
pub fn pages() -> Router<AppState> {
    Router::new()
        .merge(pages::router())
        .merge(coldchain::router())
        .merge(disclosure::router())
}

/// The area's JSON API (with its OpenAPI description).
pub fn api() -> OpenApiRouter<AppState> {
    api::routes()
}
