//! The care area of the web UI and the JSON API: the chair: the check, the dose, corrections, lookback, the blood-donation notice.
//! Its use cases are in `jousei_service::care`.

pub mod api;
pub mod pages;
pub mod view;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

/// The area's pages.
pub fn pages() -> Router<AppState> {
    Router::new().merge(pages::router())
}

/// The area's JSON API (with its OpenAPI description).
pub fn api() -> OpenApiRouter<AppState> {
    api::routes()
}
