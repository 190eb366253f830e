//! The patients area of the web UI and the JSON API: the registry, questionnaire, screening and consents.
//! Its use cases are in `jousei_service::patients`.

pub mod api;
pub mod pages;

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
