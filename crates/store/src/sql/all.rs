// Every file of methods, in one list for both backends: `sqlite.rs` and
// `postgres.rs` each include this file after setting `S` (the store), `Db`
// (its sqlx database) and `BACKEND` (see `imp.rs`). Paths are relative to
// this folder.

include!("store.rs");
include!("supply.rs");
include!("supply_lots.rs");
include!("supply_stock.rs");
include!("patient.rs");
include!("patient_consent.rs");
include!("plan.rs");
include!("plan_appointments.rs");
include!("care.rs");
include!("safety.rs");
include!("commerce.rs");
include!("commerce_contracts.rs");
include!("throttle.rs");
