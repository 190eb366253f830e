//! jousei's use cases, between the storage (`jousei-store`) and those who
//! use them: the web pages and the JSON API (`jousei-server`), the CLI and
//! its demo (`jousei`), and the FHIR interface. Each use case takes the
//! context — the [`Service`] (the store, the clock and the settings) and the
//! signed-in [`Principal`] — checks the permission, validates its input with
//! the rules of `jousei-core`, writes through one store call (one
//! transaction with its audit entry) and returns typed results or a coded
//! [`ServiceError`]: no HTTP status, no rendered message.
//!
//! One module per area, named as everywhere else (core, store, server,
//! templates): `supply`, `patients`, `plans`, `care`, `safety`, `commerce`,
//! and `account` (sign-in, users, tokens).

use std::sync::Arc;

use jousei_core::locale::Locale;
use jousei_store::{DynStore, Ts};

pub mod account;
pub mod auth;
pub mod barcodes;
pub mod care;
pub mod commerce;
pub mod error;
pub mod patients;
pub mod plans;
pub mod safety;
pub mod supply;
pub mod throttle;
pub mod time;

pub use auth::{Principal, Via};
pub use error::{ErrorKind, ServiceError, SubError};

/// Where the use cases read the time. The system clock in production; a
/// test may fix it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> jiff::Timestamp;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// The settings the use cases need (from the server's configuration).
#[derive(Debug, Clone)]
pub struct Settings {
    /// A session ends this many hours after sign-in.
    pub session_max_hours: u64,
    /// Wrong passwords per account before the throttle locks it.
    pub login_max_failures: u32,
    /// How long a lock lasts, and the window failures are counted in.
    pub login_lockout_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_max_hours: 12,
            login_max_failures: 5,
            login_lockout_secs: 900,
        }
    }
}

/// The message catalogue, for the labels of documents a use case makes
/// (a signed consent's PDF, in the consent's language). The server's Fluent
/// catalogue implements it.
pub trait Texts: Send + Sync {
    /// The message `key` in `locale`.
    fn t(&self, locale: Locale, key: &str) -> String;
    /// The message `key` in `locale` with named arguments.
    fn t_args(&self, locale: Locale, key: &str, args: &[(&str, String)]) -> String;
}

/// The context every use case runs in.
#[derive(Clone)]
pub struct Service {
    pub store: DynStore,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub texts: Arc<dyn Texts>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("clock", &self.clock)
            .field("settings", &self.settings)
            .finish()
    }
}

impl Service {
    pub fn new(store: DynStore, settings: Settings, texts: Arc<dyn Texts>) -> Self {
        Service {
            store,
            clock: Arc::new(SystemClock),
            settings: Arc::new(settings),
            texts,
        }
    }

    /// The current time, from the service's clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// The current time as stored.
    pub fn now_ts(&self) -> Ts {
        Ts::from(self.now())
    }
}
