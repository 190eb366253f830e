//! jousei HTTP: the web UI (Japanese first, English second), the JSON API
//! under `/api/v1` with its OpenAPI document, sessions, roles, CSRF and
//! security headers. Handlers are thin: rules live in `jousei-core`, data
//! in `jousei-store`.

pub mod account;
pub mod admin;
pub mod api;
pub mod app;
pub mod assets;
pub mod backup_job;
pub mod barcodes;
pub mod care;
pub mod commerce;
pub mod config;
pub mod error;
pub mod form;
pub mod i18n;
pub mod pages;
pub mod patients;
pub mod plans;
pub mod safety;
pub mod supply;

pub use app::{AppState, router, serve};
pub use config::ServerConfig;
