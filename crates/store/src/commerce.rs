//! Storage of the commercial side: the price list, contracts (with their
//! coverage under the Specified Commercial Transactions Act, the documents
//! handed over, cancellation), payments and refunds, and receipts numbered
//! without gaps. Part of [`crate::Store`].
//!
//! Nothing is ever deleted or edited in place: a price item is replaced by
//! a new version or retired; a contract's terms never change after it is
//! made (its status moves active → cancelled / completed); payments and
//! receipts are append-only, a mistake is corrected by a reversal.
//!
//! Sessions used under a contract are never stored as a counter: they are
//! the doses (administrations not voided) under the contract's plan, from
//! the contract's start, derived on every read.

use async_trait::async_trait;
use jiff::civil::Date;
use jousei_core::commerce::Yen;
use jousei_core::commerce::tax::TaxRate;
use serde::Serialize;
use uuid::Uuid;

use crate::{Actor, Result, Ts};

/// A price-list item as typed by the caller (checked by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PriceItemFacts {
    /// Short code, unique per clinic among active items (e.g. `CM-IV-5`).
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// `single`, `package` or `monthly`.
    pub kind: String,
    pub product_id: Option<Uuid>,
    /// A route code.
    pub route: Option<String>,
    /// Sessions included (1 for a single session).
    pub sessions: u32,
    /// Months the sessions may be used in (packages), or the billing
    /// period (monthly plans); none: no fixed period.
    pub period_months: Option<u32>,
    /// Tax included (総額表示).
    pub price: Yen,
    pub tax_rate: TaxRate,
    /// The usual number of sessions and period, and the main risks, shown
    /// with the price (advertising rule).
    pub usual_course: String,
    pub main_risks: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceItem {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub version: i64,
    pub active: bool,
    #[serde(flatten)]
    pub facts: PriceItemFacts,
}

/// One line of a contract: a price item as it was when sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractLine {
    pub price_item_id: Uuid,
    pub price_item_version: i64,
    pub name_ja: String,
    pub quantity: u32,
    /// Tax included, per unit.
    pub unit_price: Yen,
    pub tax_rate: TaxRate,
    pub sessions: u32,
}

/// A contract to make (checked by the caller: lines, totals, coverage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContract {
    pub patient_id: Uuid,
    /// The plan whose doses consume the sessions.
    pub plan_id: Option<Uuid>,
    pub lines: Vec<ContractLine>,
    /// Tax included.
    pub total: Yen,
    pub sessions: u32,
    pub starts_on: Date,
    /// None: no fixed end.
    pub ends_on: Option<Date>,
    /// `lump_sum`, `instalments` or `monthly`.
    pub payment_plan: String,
    /// The coverage decision and its reasons (JSON) and whether covered.
    pub covered: bool,
    pub coverage: serde_json::Value,
    /// The clinic's own cancellation terms (JSON), if any.
    pub terms: serde_json::Value,
}

/// A document kept for a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractDocument {
    pub id: Uuid,
    pub contract_id: Uuid,
    /// `summary` (概要書面) or `contract` (契約書面).
    pub kind: String,
    pub sha256: String,
    #[serde(serialize_with = "crate::ser_ts")]
    pub made_at: Ts,
    /// How it was handed over: `paper` or `electronic`; none until then.
    pub handed_over_by: Option<String>,
    /// The day the patient received it.
    pub received_on: Option<Date>,
    #[serde(serialize_with = "crate::ser_opt_ts")]
    pub handed_over_at: Option<Ts>,
    /// The member of staff who handed it over (none for handovers recorded
    /// before this was kept).
    pub handed_over_staff_id: Option<Uuid>,
}

/// A contract as recorded, with what is derived from the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contract {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    /// The clinic's contract number, e.g. `C-000123`.
    pub number: String,
    pub lines: Vec<ContractLine>,
    pub total: Yen,
    pub sessions: u32,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub payment_plan: String,
    pub covered: bool,
    pub coverage: serde_json::Value,
    pub terms: serde_json::Value,
    /// `active`, `cancelled`.
    pub status: String,
    /// The cancellation: the notice day, the quote as executed (JSON).
    pub cancelled_on: Option<Date>,
    pub cancellation: Option<serde_json::Value>,
    pub documents: Vec<ContractDocument>,
    /// Derived: doses not voided under the plan, from `starts_on` (from
    /// midnight of that day in the clinic's time zone, fixed when the
    /// contract is made; none without a plan).
    pub sessions_used: u32,
    /// Derived: payments minus refunds.
    pub paid: Yen,
    #[serde(serialize_with = "crate::ser_ts")]
    pub made_at: Ts,
    pub made_by: Option<Uuid>,
}

/// Money in or out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub id: Uuid,
    pub contract_id: Uuid,
    /// Positive: received; negative: refunded.
    pub amount: Yen,
    /// `cash`, `card`, `transfer`.
    pub method: String,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub at: Ts,
    pub by: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub amount: Yen,
    pub method: String,
    pub note: Option<String>,
    pub at: Ts,
}

/// One line of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReceiptLine {
    pub description: String,
    /// Tax included; negative on a reversal.
    pub amount: Yen,
    pub tax_rate: TaxRate,
}

/// A receipt (simplified qualified invoice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub id: Uuid,
    pub clinic_id: Uuid,
    /// Consecutive per clinic, from 1, without gaps.
    pub number: i64,
    pub contract_id: Option<Uuid>,
    pub payment_id: Option<Uuid>,
    pub lines: Vec<ReceiptLine>,
    /// The tax per rate, computed once (JSON of `ReceiptTax`).
    pub tax: serde_json::Value,
    pub total: Yen,
    /// The receipt this one reissues (marked as a reissue when printed).
    pub reissue_of: Option<Uuid>,
    /// The receipt this one reverses (a reversal slip).
    pub reverses: Option<Uuid>,
    #[serde(serialize_with = "crate::ser_ts")]
    pub issued_at: Ts,
    pub issued_by: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReceipt {
    pub contract_id: Option<Uuid>,
    pub payment_id: Option<Uuid>,
    pub lines: Vec<ReceiptLine>,
    pub tax: serde_json::Value,
    pub total: Yen,
    pub reissue_of: Option<Uuid>,
    pub reverses: Option<Uuid>,
}

/// What the contract documents and receipts print about the clinic as a
/// business (regulatory.md §3.2: 事業者の名称・住所・電話番号・代表者;
/// the qualified-invoice registration number on receipts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ClinicProfile {
    /// The operator's legal name (e.g. 医療法人社団○○会).
    pub legal_name: String,
    pub address: String,
    pub phone: String,
    /// The representative's name (代表者).
    pub representative: String,
    /// `T` and 13 digits, when registered (checked by the caller).
    pub registration_number: Option<String>,
    /// How advance payments are protected (前受金の保全措置), or that they
    /// are not.
    pub advance_payment_protection: String,
}

#[async_trait]
pub trait CommerceStore: Send + Sync {
    /// The clinic's current business profile, if set.
    async fn clinic_profile(&self, clinic_id: Uuid) -> Result<Option<ClinicProfile>>;
    /// Sets the profile as a new version (earlier versions are kept; the
    /// documents already made keep what they printed). Audited.
    async fn set_clinic_profile(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        profile: &ClinicProfile,
    ) -> Result<ClinicProfile>;

    // Price list
    /// `price_item_code_taken` when an active item of the clinic has the code.
    async fn create_price_item(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        facts: &PriceItemFacts,
    ) -> Result<PriceItem>;
    /// A new version (the code may not change: `price_item_code_immutable`).
    async fn revise_price_item(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        facts: &PriceItemFacts,
        reason: &str,
    ) -> Result<PriceItem>;
    /// Retires an item (it stays on contracts that sold it).
    async fn retire_price_item(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
    ) -> Result<PriceItem>;
    /// Every item, active first, then by code.
    async fn price_items(&self, clinic_id: Uuid) -> Result<Vec<PriceItem>>;
    async fn price_item(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<PriceItem>>;

    // Contracts
    /// Makes a contract with the next contract number of the clinic
    /// (`C-000001`, …, without gaps). `not_found` for a patient or plan of
    /// another clinic or a plan of another patient.
    async fn create_contract(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        new: &NewContract,
    ) -> Result<Contract>;
    async fn contract(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Contract>>;
    /// Every contract, newest first.
    async fn contracts(&self, clinic_id: Uuid) -> Result<Vec<Contract>>;
    async fn contracts_of_patient(
        &self,
        clinic_id: Uuid,
        patient_id: Uuid,
    ) -> Result<Vec<Contract>>;
    /// Keeps a rendered document (`summary` or `contract`) with its bytes;
    /// a document of a kind is kept once per contract
    /// (`contract_document_exists`).
    async fn keep_contract_document(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        contract_id: Uuid,
        kind: &str,
        pdf: &[u8],
        sha256: &str,
    ) -> Result<ContractDocument>;
    async fn contract_document_pdf(
        &self,
        clinic_id: Uuid,
        document_id: Uuid,
    ) -> Result<Option<Vec<u8>>>;
    /// The appointments cancelling the contract cancels: those of its plan
    /// still booked and starting at or after `from`, earliest first; none
    /// when another active contract covers the same plan (or it has none).
    async fn future_appointments_of_contract(
        &self,
        clinic_id: Uuid,
        contract_id: Uuid,
        from: Ts,
    ) -> Result<Vec<Uuid>>;
    /// A kept document (without its bytes).
    async fn contract_document(
        &self,
        clinic_id: Uuid,
        document_id: Uuid,
    ) -> Result<Option<ContractDocument>>;
    /// Records the handover (`paper` or `electronic`), the day received and
    /// the member of the clinic's staff who handed it over
    /// (`contract_handed_by_unknown` otherwise), once
    /// (`contract_document_handed_over`). The day is checked by the caller
    /// (`cooling_off::check_received`).
    async fn hand_over_document(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        document_id: Uuid,
        by: &str,
        received_on: Date,
        staff_id: Uuid,
    ) -> Result<ContractDocument>;
    /// Cancels an active contract (`contract_not_active` otherwise) with the
    /// notice day and the quote as executed; the refund, when positive, is
    /// recorded as a negative payment, and the contract's future
    /// appointments (see [`CommerceStore::future_appointments_of_contract`],
    /// from now) are cancelled with their events, all in the same
    /// transaction. The kept quote lists them as `appointments_cancelled`.
    #[allow(clippy::too_many_arguments)]
    async fn cancel_contract(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        id: Uuid,
        notice_on: Date,
        quote: &serde_json::Value,
        refund: Yen,
        refund_method: &str,
    ) -> Result<Contract>;

    // Money
    /// Records a payment (positive: received) under the write lock, with
    /// the contract active (`contract_not_active`) and what is paid not
    /// above the total (`payment_above_balance`), both checked inside the
    /// transaction.
    async fn record_payment(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        contract_id: Uuid,
        new: &NewPayment,
    ) -> Result<Payment>;
    /// A payment and its receipt in one transaction: the checks of
    /// [`CommerceStore::record_payment`] inside it, then the payment, then
    /// the receipt (the clinic's next number) naming the contract and the
    /// payment. Both are kept or neither. The receipt's total must be the
    /// payment's amount and it is neither a reissue nor a reversal
    /// (`receipt_total_mismatch`).
    async fn record_payment_with_receipt(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        contract_id: Uuid,
        new: &NewPayment,
        receipt: &NewReceipt,
    ) -> Result<(Payment, Receipt)>;
    async fn payments(&self, clinic_id: Uuid, contract_id: Uuid) -> Result<Vec<Payment>>;
    /// Payments of the clinic in `[from, to)`, for the daily sales report.
    async fn payments_between(&self, clinic_id: Uuid, from: Ts, to: Ts) -> Result<Vec<Payment>>;
    /// Issues a receipt with the clinic's next number (1, 2, …), never
    /// skipping or repeating one even when issued concurrently.
    async fn issue_receipt(
        &self,
        actor: &Actor,
        clinic_id: Uuid,
        new: &NewReceipt,
    ) -> Result<Receipt>;
    async fn receipt(&self, clinic_id: Uuid, id: Uuid) -> Result<Option<Receipt>>;
    async fn receipts_of_contract(
        &self,
        clinic_id: Uuid,
        contract_id: Uuid,
    ) -> Result<Vec<Receipt>>;
}
