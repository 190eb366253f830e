//! Server integration tests: each test starts the real server on
//! 127.0.0.1:0 with a fresh database (SQLite by default; PostgreSQL when
//! `JOUSEI_TEST_BACKEND=postgres` and `JOUSEI_TEST_POSTGRES_URL` are set) and
//! talks to it over HTTP. One test binary for the crate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod harness;
mod tests_api;
mod tests_auth;
mod tests_backup;
mod tests_barcode;
mod tests_care_api;
mod tests_care_ui;
mod tests_coldchain_ui;
mod tests_contracts_api;
mod tests_contracts_law;
mod tests_contracts_ui;
mod tests_error_messages;
mod tests_patients_api;
mod tests_patients_ui;
mod tests_plans_api;
mod tests_plans_ui;
mod tests_safety;
mod tests_supply_api;
mod tests_supply_ui;
mod tests_throttle;

pub use harness::*;
