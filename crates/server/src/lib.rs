//! jousei HTTP: the web UI (Japanese first, English second), the JSON API
//! under `/api/v1` with its OpenAPI document, sessions, roles, CSRF and
//! security headers. Handlers are thin: rules live in `jousei-core`, data
//! in `jousei-store`.

pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod backup_job;
pub mod barcode_ui;
pub mod care_api;
pub mod care_ops;
pub mod care_pages;
pub mod coldchain_pages;
pub mod commerce_api;
pub mod commerce_ops;
pub mod config;
pub mod contract_pages;
pub mod disclosure_page;
pub mod error;
pub mod form;
pub mod i18n;
pub mod ops;
pub mod pages;
pub mod patient_api;
pub mod patient_ops;
pub mod patient_pages;
pub mod plan_api;
pub mod plan_ops;
pub mod plan_pages;
pub mod safety_api;
pub mod safety_ops;
pub mod safety_pages;
pub mod schedule_pages;
pub mod supply_api;
pub mod supply_ops;
pub mod supply_pages;
pub mod throttle;

pub use app::{AppState, router, serve};
pub use config::ServerConfig;
