//! jousei HTTP: the web UI (Japanese first, English second), the JSON API
//! under `/api/v1` with its OpenAPI document, sessions, roles, CSRF and
//! security headers. Handlers are thin: rules live in `jousei-core`, data
//! in `jousei-store`.

pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod backup_job;
pub mod barcodes;
pub mod care;
pub mod care_ops;
pub mod commerce;
pub mod commerce_ops;
pub mod config;
pub mod error;
pub mod form;
pub mod i18n;
pub mod ops;
pub mod pages;
pub mod patient_ops;
pub mod patients;
pub mod plan_ops;
pub mod plans;
pub mod safety;
pub mod safety_ops;
pub mod supply;
pub mod supply_ops;
pub mod throttle;

pub use app::{AppState, router, serve};
pub use config::ServerConfig;
