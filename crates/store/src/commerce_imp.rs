//! The rows, SQL and helpers of [`crate::commerce::CommerceStore`]; its
//! methods, written once for both backends, are in `sql/commerce.rs` (see
//! `imp.rs` for the layout).
//!
//! Storage (migration `20261201000006_commerce.sql`): `price_items` holds
//! what never changes (clinic, code) with the current version and whether
//! the item is active; `price_item_versions` the facts of every version as
//! JSON. A contract is a `contracts` row (terms fixed; status and
//! cancellation set once), its lines in `contract_lines` (the price item
//! versions sold), its PDFs in `contract_documents` (bytes kept once per
//! kind, handover set once). Money is `payments` (refunds negative) and
//! `receipts` (numbered per clinic). Every write runs under the write lock
//! and writes its audit entry in the same transaction.
//!
//! Numbers: a contract's number (`C-000001`) and a receipt's number (1, 2,
//! …) are the clinic's largest so far plus one, read inside the write
//! transaction after the write lock is taken, so two writers never see the
//! same largest number; `UNIQUE (clinic_id, seq)` / `UNIQUE (clinic_id,
//! number)` are the backstop. A transaction that fails rolls back its
//! number with it, so numbers have no gaps.
//!
//! Sessions used: the doses (administrations of the clinic, status
//! `recorded`) under the contract's plan that started at or after
//! `contracts.starts_at`, the instant the contract starts: midnight at the
//! start of `starts_on` in the clinic's time zone (`clinics.time_zone`,
//! Asia/Tokyo when it is not a known zone), fixed when the contract is
//! made. A contract without a plan has used no sessions. Paid: the sum of
//! the contract's payments (refunds are negative). Both are derived on
//! every read, never stored.
//!
//! The clinic's business profile (migration
//! `20261201000007_clinic_profiles.sql`): `clinic_profiles` holds every
//! version (the profile as JSON), numbered per clinic as the largest so
//! far plus one under the write lock; the current profile is the highest
//! version.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jousei_core::commerce::tax::TaxRate;
use uuid::Uuid;

use crate::commerce::{
    Contract, ContractDocument, ContractLine, Payment, PriceItem, PriceItemFacts, Receipt,
};
use crate::patient_imp::json;
use crate::{StoreError, Ts};

/// How a payment may be made (and a refund paid).
pub(crate) const PAYMENT_METHODS: [&str; 3] = ["cash", "card", "transfer"];
/// The documents kept for a contract.
pub(crate) const DOCUMENT_KINDS: [&str; 2] = ["summary", "contract"];
/// How a document may be handed over.
pub(crate) const HANDOVER_METHODS: [&str; 2] = ["paper", "electronic"];
/// How a contract may be paid.
pub(crate) const PAYMENT_PLANS: [&str; 3] = ["lump_sum", "instalments", "monthly"];

/// An item with its current version. Filters append ` WHERE p.clinic_id =
/// $1 ...`.
pub(crate) const PRICE_ITEM_SELECT: &str = "SELECT p.id, p.clinic_id, p.current_version, p.active, v.facts FROM price_items p JOIN price_item_versions v ON v.price_item_id = p.id AND v.version = p.current_version";

/// A contract. Filters append ` WHERE c.clinic_id = $1 ...`.
pub(crate) const CONTRACT_SELECT: &str = "SELECT c.id, c.clinic_id, c.patient_id, c.plan_id, c.number, c.total, c.sessions, c.starts_on, c.ends_on, c.payment_plan, c.covered, c.coverage, c.terms, c.status, c.cancelled_on, c.cancellation, c.made_at, c.made_by FROM contracts c";

pub(crate) const LINE_SELECT: &str = "SELECT l.contract_id, l.ordinal, l.price_item_id, l.price_item_version, l.name_ja, l.quantity, l.unit_price, l.tax_rate, l.sessions FROM contract_lines l JOIN contracts c ON c.id = l.contract_id";

/// A document without its bytes.
pub(crate) const DOCUMENT_SELECT: &str = "SELECT d.id, d.contract_id, d.kind, d.sha256, d.made_at, d.handed_over_by, d.received_on, d.handed_over_at, d.handed_over_staff_id FROM contract_documents d JOIN contracts c ON c.id = d.contract_id";

/// Sessions used per contract (see the module documentation).
pub(crate) const USED_SELECT: &str = "SELECT c.id, COUNT(a.id) FROM contracts c JOIN administrations a ON a.clinic_id = c.clinic_id AND a.plan_id = c.plan_id AND a.status = 'recorded' AND a.started_at >= c.starts_at";

/// Paid per contract.
pub(crate) const PAID_SELECT: &str = "SELECT c.id, CAST(SUM(p.amount) AS BIGINT) FROM contracts c JOIN payments p ON p.contract_id = c.id";

/// The contract's future appointments that cancelling it cancels (binds:
/// clinic `$1`, contract `$2`, from `$3`): those of its plan still booked
/// and starting from `$3`, unless another active contract of the clinic
/// covers the same plan (its sessions still need them). Earliest first.
pub(crate) const FUTURE_APPOINTMENTS_SELECT: &str = "SELECT a.id FROM appointments a JOIN contracts c ON c.clinic_id = a.clinic_id AND c.plan_id = a.plan_id WHERE c.clinic_id = $1 AND c.id = $2 AND a.status = 'booked' AND a.starts_at >= $3 AND NOT EXISTS (SELECT 1 FROM contracts o WHERE o.clinic_id = c.clinic_id AND o.plan_id = c.plan_id AND o.id <> c.id AND o.status = 'active') ORDER BY a.starts_at, a.id";

/// Newest first.
pub(crate) const CONTRACT_ORDER: &str = " ORDER BY c.seq DESC";

pub(crate) const PAYMENT_SELECT: &str =
    "SELECT p.id, p.contract_id, p.amount, p.method, p.note, p.at, p.recorded_by FROM payments p";

pub(crate) const RECEIPT_SELECT: &str = "SELECT r.id, r.clinic_id, r.number, r.contract_id, r.payment_id, r.lines, r.tax, r.total, r.reissue_of, r.reverses, r.issued_at, r.issued_by FROM receipts r";

/// The text of a contract number.
pub(crate) fn contract_number(seq: i64) -> String {
    format!("C-{seq:06}")
}

/// The instant a contract starting on `day` starts: the start of that day
/// in the clinic's time zone (a corrupt zone is an error, never a fallback).
pub(crate) fn start_of_day(day: Date, time_zone: &str) -> Result<Ts, StoreError> {
    let zone = TimeZone::get(time_zone)
        .map_err(|e| StoreError::Corrupt(format!("time zone {time_zone}: {e}")))?;
    let start = day
        .to_zoned(zone)
        .and_then(|z| z.start_of_day())
        .map_err(|e| StoreError::Corrupt(format!("start of {day}: {e}")))?;
    Ok(Ts::from(start.timestamp()))
}

fn count(n: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} {n}")))
}

fn tax_rate(s: &str) -> Result<TaxRate, StoreError> {
    TaxRate::parse(s).ok_or_else(|| StoreError::Corrupt(format!("tax rate {s}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct PriceItemRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub current_version: i64,
    pub active: bool,
    pub facts: String,
}

impl TryFrom<PriceItemRow> for PriceItem {
    type Error = StoreError;
    fn try_from(r: PriceItemRow) -> Result<Self, StoreError> {
        let facts: PriceItemFacts = json(&r.facts)?;
        Ok(PriceItem {
            id: r.id,
            clinic_id: r.clinic_id,
            version: r.current_version,
            active: r.active,
            facts,
        })
    }
}

/// Active first, then by code (sorted here: the databases' text collations
/// differ).
pub(crate) fn sort_price_items(items: &mut [PriceItem]) {
    items.sort_by(|a, b| (!a.active, &a.facts.code, a.id).cmp(&(!b.active, &b.facts.code, b.id)));
}

#[derive(sqlx::FromRow)]
pub(crate) struct ContractRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub patient_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub number: String,
    pub total: i64,
    pub sessions: i64,
    pub starts_on: jiff_sqlx::Date,
    pub ends_on: Option<jiff_sqlx::Date>,
    pub payment_plan: String,
    pub covered: bool,
    pub coverage: String,
    pub terms: String,
    pub status: String,
    pub cancelled_on: Option<jiff_sqlx::Date>,
    pub cancellation: Option<String>,
    pub made_at: Ts,
    pub made_by: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct LineRow {
    pub contract_id: Uuid,
    pub ordinal: i64,
    pub price_item_id: Uuid,
    pub price_item_version: i64,
    pub name_ja: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub tax_rate: String,
    pub sessions: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct DocumentRow {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub kind: String,
    pub sha256: String,
    pub made_at: Ts,
    pub handed_over_by: Option<String>,
    pub received_on: Option<jiff_sqlx::Date>,
    pub handed_over_at: Option<Ts>,
    pub handed_over_staff_id: Option<Uuid>,
}

impl From<DocumentRow> for ContractDocument {
    fn from(r: DocumentRow) -> Self {
        ContractDocument {
            id: r.id,
            contract_id: r.contract_id,
            kind: r.kind,
            sha256: r.sha256,
            made_at: r.made_at,
            handed_over_by: r.handed_over_by,
            received_on: r.received_on.map(|d| d.to_jiff()),
            handed_over_at: r.handed_over_at,
            handed_over_staff_id: r.handed_over_staff_id,
        }
    }
}

/// Contracts with their lines (in order), documents (oldest first) and
/// derived sessions used and paid, in the order of `rows`.
pub(crate) fn assemble_contracts(
    rows: Vec<ContractRow>,
    mut lines: Vec<LineRow>,
    documents: Vec<DocumentRow>,
    used: Vec<(Uuid, i64)>,
    paid: Vec<(Uuid, Option<i64>)>,
) -> Result<Vec<Contract>, StoreError> {
    lines.sort_by_key(|l| (l.contract_id, l.ordinal));
    let mut lines_of: HashMap<Uuid, Vec<ContractLine>> = HashMap::new();
    for l in lines {
        lines_of
            .entry(l.contract_id)
            .or_default()
            .push(ContractLine {
                price_item_id: l.price_item_id,
                price_item_version: l.price_item_version,
                name_ja: l.name_ja,
                quantity: count(l.quantity, "quantity")?,
                unit_price: l.unit_price,
                tax_rate: tax_rate(&l.tax_rate)?,
                sessions: count(l.sessions, "sessions")?,
            });
    }
    let mut documents_of: HashMap<Uuid, Vec<ContractDocument>> = HashMap::new();
    for d in documents {
        documents_of
            .entry(d.contract_id)
            .or_default()
            .push(d.into());
    }
    let used: HashMap<Uuid, i64> = used.into_iter().collect();
    let paid: HashMap<Uuid, i64> = paid
        .into_iter()
        .map(|(id, sum)| (id, sum.unwrap_or(0)))
        .collect();
    rows.into_iter()
        .map(|r| {
            let mut documents = documents_of.remove(&r.id).unwrap_or_default();
            documents.sort_by_key(|d| (d.made_at, d.id));
            Ok(Contract {
                id: r.id,
                clinic_id: r.clinic_id,
                patient_id: r.patient_id,
                plan_id: r.plan_id,
                number: r.number,
                lines: lines_of.remove(&r.id).unwrap_or_default(),
                total: r.total,
                sessions: count(r.sessions, "sessions")?,
                starts_on: r.starts_on.to_jiff(),
                ends_on: r.ends_on.map(|d| d.to_jiff()),
                payment_plan: r.payment_plan,
                covered: r.covered,
                coverage: json(&r.coverage)?,
                terms: json(&r.terms)?,
                status: r.status,
                cancelled_on: r.cancelled_on.map(|d| d.to_jiff()),
                cancellation: r.cancellation.as_deref().map(json).transpose()?,
                documents,
                sessions_used: count(used.get(&r.id).copied().unwrap_or(0), "sessions used")?,
                paid: paid.get(&r.id).copied().unwrap_or(0),
                made_at: r.made_at,
                made_by: r.made_by,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct PaymentRow {
    pub id: Uuid,
    pub contract_id: Uuid,
    pub amount: i64,
    pub method: String,
    pub note: Option<String>,
    pub at: Ts,
    pub recorded_by: Option<Uuid>,
}

impl From<PaymentRow> for Payment {
    fn from(r: PaymentRow) -> Self {
        Payment {
            id: r.id,
            contract_id: r.contract_id,
            amount: r.amount,
            method: r.method,
            note: r.note,
            at: r.at,
            by: r.recorded_by,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReceiptRow {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub number: i64,
    pub contract_id: Option<Uuid>,
    pub payment_id: Option<Uuid>,
    pub lines: String,
    pub tax: String,
    pub total: i64,
    pub reissue_of: Option<Uuid>,
    pub reverses: Option<Uuid>,
    pub issued_at: Ts,
    pub issued_by: Option<Uuid>,
}

impl TryFrom<ReceiptRow> for Receipt {
    type Error = StoreError;
    fn try_from(r: ReceiptRow) -> Result<Self, StoreError> {
        Ok(Receipt {
            id: r.id,
            clinic_id: r.clinic_id,
            number: r.number,
            contract_id: r.contract_id,
            payment_id: r.payment_id,
            lines: json(&r.lines)?,
            tax: json(&r.tax)?,
            total: r.total,
            reissue_of: r.reissue_of,
            reverses: r.reverses,
            issued_at: r.issued_at,
            issued_by: r.issued_by,
        })
    }
}
