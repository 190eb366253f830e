//! The plans area of the web UI and the JSON API: plans and the schedule.
//! Its use cases are in `jousei_service::plans`.

pub mod api;
pub mod pages;
pub mod schedule;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

/// The area's pages.
pub fn pages() -> Router<AppState> {
    Router::new()
        .merge(pages::router())
        .merge(schedule::router())
}

/// The area's JSON API (with its OpenAPI description).
pub fn api() -> OpenApiRouter<AppState> {
    api::routes()
}
