//! jousei domain crate: types, rules and state machines. No I/O, no async.
//!
//! Everything here is pure: given facts, return decisions. Storage, HTTP and
//! the command line live in other crates and depend on this one.

pub mod audit;
pub mod barcode;
pub mod calendar;
pub mod care;
pub mod codes;
pub mod commerce;
pub mod error;
pub mod locale;
pub mod password;
pub mod patient;
pub mod plan;
pub mod role;
pub mod safety;
pub mod supply;
pub mod text;
