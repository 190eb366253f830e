//! Storage of supply and quality: locations, versioned products, lots and
//! their history, certificates and results, the stock ledger, temperature
//! imports and excursions. Part of [`crate::Store`].

use async_trait::async_trait;
use jiff::civil::Date;
use jousei_core::error::FieldError;
use jousei_core::supply::lot::{LotAction, LotState, Transition};
use jousei_core::supply::product::ProductFacts;
use jousei_core::supply::qc::QcResult;
use jousei_core::supply::stock::MovementKind;
use jousei_core::supply::units::DeciCelsius;
use serde::Serialize;
use uuid::Uuid;

use crate::{Actor, Result, Ts};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub code: String,
    pub name: String,
    pub min_temp: DeciCelsius,
    pub max_temp: DeciCelsius,
}

#[derive(Debug, Clone)]
pub struct NewLocation {
    pub code: String,
    pub name: String,
    pub min_temp: DeciCelsius,
    pub max_temp: DeciCelsius,
}

/// The current version of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub version: i64,
    pub facts: ProductFacts,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProductVersion {
    pub version: i64,
    pub facts: ProductFacts,
    pub reason: Option<String>,
    pub author_id: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub created_at: Ts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lot {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub product_id: Uuid,
    pub product_code: String,
    pub product_name: String,
    pub product_version: i64,
    pub lot_number: String,
    pub expiry: Date,
    /// The local time on `expiry` at which the lot expires, when its label gives one
    /// (GS1 (7003), ISBT 128 005); `None`: at the end of the day.
    pub expiry_time: Option<jiff::civil::Time>,
    pub state: LotState,
    pub held_from: Option<LotState>,
    pub supplier_ref: Option<String>,
    pub scan_raw: Option<String>,
    pub received_seq: i64,
    #[serde(serialize_with = "crate::ser_ts")]
    pub received_at: Ts,
}

#[derive(Debug, Clone)]
pub struct NewLot {
    pub product_id: Uuid,
    pub lot_number: String,
    pub expiry: Date,
    /// See [`Lot::expiry_time`].
    pub expiry_time: Option<jiff::civil::Time>,
    pub location_id: Uuid,
    pub vials: i64,
    pub supplier_ref: Option<String>,
    pub scan_raw: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LotEvent {
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: Option<String>,
    /// What the person saw when they decided (JSON), e.g. the certificate.
    pub evidence: serde_json::Value,
    pub actor_id: Option<Uuid>,
    pub actor_login: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub id: Uuid,
    pub lot_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QcResultRow {
    pub id: Uuid,
    #[serde(flatten)]
    pub result: QcResult,
    pub certificate_id: Option<Uuid>,
    pub entered_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

/// Vials of a lot at a location, derived from the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct StockRow {
    pub lot: Lot,
    pub location_id: Uuid,
    pub location_code: String,
    pub vials: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MovementRow {
    pub id: Uuid,
    pub lot_id: Uuid,
    pub lot_number: String,
    pub location_code: String,
    pub delta: i64,
    pub kind: String,
    pub reason: Option<String>,
    pub witness_login: Option<String>,
    pub actor_login: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

/// A stock movement to record; checked against the ledger inside the
/// transaction with `jousei_core::supply::stock::check_movement`.
#[derive(Debug, Clone)]
pub struct NewMovement {
    pub lot_id: Uuid,
    pub location_id: Uuid,
    pub kind: MovementKind,
    pub quantity: i64,
    pub to_location_id: Option<Uuid>,
    pub reason: Option<String>,
    pub witness_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct NewTemperatureImport {
    pub location_id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub device: Option<String>,
    /// (instant, temperature) in time order.
    pub readings: Vec<(Ts, DeciCelsius)>,
    pub excursions: Vec<NewExcursion>,
}

#[derive(Debug, Clone)]
pub struct NewExcursion {
    pub start_at: Ts,
    pub end_at: Ts,
    pub minutes: i64,
    pub extreme: DeciCelsius,
    /// `above`, `below` or `both`.
    pub direction: &'static str,
    /// The lots to hold: those stored there during the excursion whose
    /// product tolerates less than its duration (decided by the caller).
    pub lot_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemperatureImport {
    pub id: Uuid,
    pub location_id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub device: Option<String>,
    pub reading_count: i64,
    #[serde(serialize_with = "crate::ser_ts")]
    pub first_at: Ts,
    #[serde(serialize_with = "crate::ser_ts")]
    pub last_at: Ts,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Excursion {
    pub id: Uuid,
    pub location_id: Uuid,
    pub location_code: String,
    pub import_id: Uuid,
    #[serde(serialize_with = "crate::ser_ts")]
    pub start_at: Ts,
    #[serde(serialize_with = "crate::ser_ts")]
    pub end_at: Ts,
    pub minutes: i64,
    pub extreme: DeciCelsius,
    pub direction: String,
    pub acknowledged_by: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_opt_ts")]
    pub acknowledged_at: Option<Ts>,
    pub comment: Option<String>,
    /// Lot numbers put on hold by it.
    pub lots: Vec<String>,
}

/// The outcome of a logger import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub import: TemperatureImport,
    pub excursions: Vec<Excursion>,
    /// Lots put on hold by this import.
    pub held_lots: Vec<String>,
}

/// A requested lot transition, decided by the caller with
/// `jousei_core::supply::lot::transition` against `expected_state`.
#[derive(Debug, Clone)]
pub struct LotChange {
    pub lot_id: Uuid,
    pub action: LotAction,
    pub expected_state: LotState,
    pub transition: Transition,
    pub reason: Option<String>,
    pub evidence: serde_json::Value,
}

/// Errors of a movement: the domain's field errors, or storage.
#[derive(Debug, thiserror::Error)]
pub enum MovementError {
    #[error("invalid movement")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

#[async_trait]
pub trait SupplyStore: Send + Sync {
    async fn create_location(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        new: &NewLocation,
    ) -> Result<Location>;
    async fn locations(&self, clinic_id: Uuid) -> Result<Vec<Location>>;

    /// `product_code_taken` when the code exists in the clinic.
    async fn create_product(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        facts: &ProductFacts,
    ) -> Result<Product>;
    /// A new version; the earlier ones stay readable. `reason` is required.
    async fn revise_product(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        product_id: Uuid,
        facts: &ProductFacts,
        reason: &str,
    ) -> Result<Product>;
    async fn products(&self, clinic_id: Uuid) -> Result<Vec<Product>>;
    async fn product(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Product>>;
    async fn product_versions(&self, clinic_id: Uuid, id: Uuid) -> Result<Vec<ProductVersion>>;
    async fn product_by_gtin(&self, clinic_id: Uuid, gtin: &str) -> Result<Option<Product>>;
    async fn product_by_code(&self, clinic_id: Uuid, code: &str) -> Result<Option<Product>>;

    /// Receives a lot (quarantined) and its vials at a location.
    /// `lot_exists` when the product already has that lot number.
    async fn receive_lot(&self, actor: &Actor, clinic_id: Uuid, new: &NewLot) -> Result<Lot>;
    async fn lots(&self, clinic_id: Uuid) -> Result<Vec<Lot>>;
    async fn lot(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Lot>>;
    async fn lot_events(&self, clinic_id: Uuid, lot_id: Uuid) -> Result<Vec<LotEvent>>;
    /// Applies a decided transition if the lot is still in the expected
    /// state (`lot_state_changed` otherwise).
    async fn change_lot(&self, actor: &Actor, clinic_id: Uuid, change: &LotChange) -> Result<Lot>;

    async fn add_certificate(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        lot_id: Uuid,
        new: &NewCertificate,
    ) -> Result<Certificate>;
    async fn certificates(&self, clinic_id: Uuid, lot_id: Uuid) -> Result<Vec<Certificate>>;
    async fn certificate_data(
        &self,
        clinic_id: Uuid,
        id: Uuid,
    ) -> Result<Option<(Certificate, Vec<u8>)>>;
    /// Appends results (never edits): a retest is a newer result.
    async fn add_qc_results(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        lot_id: Uuid,
        results: &[QcResult],
        certificate_id: Option<Uuid>,
    ) -> Result<()>;
    async fn qc_results(&self, clinic_id: Uuid, lot_id: Uuid) -> Result<Vec<QcResultRow>>;

    /// Non-zero stock per lot and location.
    async fn stock(&self, clinic_id: Uuid) -> Result<Vec<StockRow>>;
    async fn movements(
        &self,
        clinic_id: Uuid,
        lot_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<MovementRow>>;
    /// Records a movement after checking it against the ledger in the same
    /// transaction (so two people cannot take the last vial twice).
    async fn record_movement(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        m: &NewMovement,
    ) -> std::result::Result<(), MovementError>;

    /// Stores a logger file's readings and excursions, and puts each
    /// excursion's lots on hold (those quarantined or released).
    /// `temperature_import_duplicate` when the same file was imported.
    async fn import_temperatures(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        new: &NewTemperatureImport,
    ) -> Result<ImportOutcome>;
    async fn temperature_imports(
        &self,
        clinic_id: Uuid,
        location_id: Option<Uuid>,
    ) -> Result<Vec<TemperatureImport>>;
    async fn temperature_readings(
        &self,
        clinic_id: Uuid,
        import_id: Uuid,
    ) -> Result<Vec<(Ts, DeciCelsius)>>;
    async fn excursions(&self, clinic_id: Uuid, open_only: bool) -> Result<Vec<Excursion>>;
    /// Unacknowledged excursions that hold the lot.
    async fn open_excursions_of_lot(&self, clinic_id: Uuid, lot_id: Uuid) -> Result<i64>;
    /// Acknowledges an excursion with a comment (required).
    async fn acknowledge_excursion(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        comment: &str,
    ) -> Result<()>;
}
