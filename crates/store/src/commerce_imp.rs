//! The implementation of [`crate::commerce::CommerceStore`], written once
//! and expanded for each backend (see `imp.rs` for the approach).
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
/// in the clinic's time zone (Asia/Tokyo when the zone is unknown).
pub(crate) fn start_of_day(day: Date, time_zone: &str) -> Result<Ts, StoreError> {
    let zone = TimeZone::get(time_zone)
        .or_else(|_| TimeZone::get("Asia/Tokyo"))
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

macro_rules! commerce_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn price_item_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::commerce::PriceItem>> {
                use $crate::commerce_imp::*;
                let row: Option<PriceItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PRICE_ITEM_SELECT} WHERE p.clinic_id = $1 AND p.id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            /// The clinic's contracts that `filter` (appended to `WHERE
            /// c.clinic_id = $1`, binding `key` as `$2` when given) selects,
            /// newest first, read through `conn`.
            async fn contracts_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                clinic_id: uuid::Uuid,
                filter: &'static str,
                key: Option<uuid::Uuid>,
            ) -> $crate::Result<Vec<$crate::commerce::Contract>> {
                use $crate::commerce_imp::*;
                let rows: Vec<ContractRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{CONTRACT_SELECT} WHERE c.clinic_id = $1{filter}{CONTRACT_ORDER}"),
                    clinic_id,
                    key,
                )
                .await?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let lines: Vec<LineRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{LINE_SELECT} WHERE c.clinic_id = $1{filter}"),
                    clinic_id,
                    key,
                )
                .await?;
                let documents: Vec<DocumentRow> = Self::rows_keyed(
                    &mut *conn,
                    format!("{DOCUMENT_SELECT} WHERE c.clinic_id = $1{filter}"),
                    clinic_id,
                    key,
                )
                .await?;
                let used: Vec<(uuid::Uuid, i64)> = Self::rows_keyed(
                    &mut *conn,
                    format!("{USED_SELECT} WHERE c.clinic_id = $1{filter} GROUP BY c.id"),
                    clinic_id,
                    key,
                )
                .await?;
                let paid: Vec<(uuid::Uuid, Option<i64>)> = Self::rows_keyed(
                    &mut *conn,
                    format!("{PAID_SELECT} WHERE c.clinic_id = $1{filter} GROUP BY c.id"),
                    clinic_id,
                    key,
                )
                .await?;
                assemble_contracts(rows, lines, documents, used, paid)
            }

            async fn contract_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::commerce::Contract>> {
                Ok(Self::contracts_on(conn, clinic_id, " AND c.id = $2", Some(id))
                    .await?
                    .pop())
            }

            async fn contract_document_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::commerce::ContractDocument>> {
                use $crate::commerce_imp::*;
                let row: Option<DocumentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{DOCUMENT_SELECT} WHERE c.clinic_id = $1 AND d.id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
                Ok(row.map(Into::into))
            }

            /// The status of the clinic's contract; `not_found` otherwise.
            async fn contract_status_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<String> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT status FROM contracts WHERE clinic_id = $1 AND id = $2")
                        .bind(clinic_id)
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                row.map(|(s,)| s).ok_or($crate::StoreError::NotFound)
            }

            /// Inside the write transaction (after the write lock): the
            /// contract is active and `amount` received does not take what
            /// is paid above its total (`contract_not_active`,
            /// `payment_above_balance`). Read here, not before the
            /// transaction, so two payments cannot both pass one check.
            async fn check_balance_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                clinic_id: uuid::Uuid,
                contract_id: uuid::Uuid,
                amount: jousei_core::commerce::Yen,
            ) -> $crate::Result<()> {
                use $crate::StoreError::Conflict;
                if Self::contract_status_in(tx, clinic_id, contract_id).await? != "active" {
                    return Err(Conflict("contract_not_active"));
                }
                let (total, paid): (i64, Option<i64>) = sqlx::query_as("SELECT c.total, CAST((SELECT SUM(p.amount) FROM payments p WHERE p.contract_id = c.id) AS BIGINT) FROM contracts c WHERE c.clinic_id = $1 AND c.id = $2")
                    .bind(clinic_id)
                    .bind(contract_id)
                    .fetch_one(&mut **tx)
                    .await?;
                if paid.unwrap_or(0).saturating_add(amount) > total {
                    return Err(Conflict("payment_above_balance"));
                }
                Ok(())
            }

            /// Writes a receipt with the clinic's next number and its audit
            /// entry (see `issue_receipt`).
            async fn insert_receipt(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::commerce::NewReceipt,
            ) -> $crate::Result<$crate::commerce::Receipt> {
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(number) FROM receipts WHERE clinic_id = $1")
                    .bind(clinic_id)
                    .fetch_one(&mut **tx)
                    .await?;
                let number = last.unwrap_or(0) + 1;
                let res = sqlx::query("INSERT INTO receipts (id, clinic_id, number, contract_id, payment_id, lines, tax, total, reissue_of, reverses, issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(number)
                    .bind(new.contract_id)
                    .bind(new.payment_id)
                    .bind($crate::patient_imp::to_json(&new.lines)?)
                    .bind(new.tax.to_string())
                    .bind(new.total)
                    .bind(new.reissue_of)
                    .bind(new.reverses)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut **tx)
                    .await;
                $crate::imp::map_unique(res, "receipt_number_taken")?;
                Self::append_audit(tx, actor, Some(clinic_id), "receipt_issued", "receipt", Some(id.to_string()),
                    serde_json::json!({"number": number, "contract_id": new.contract_id, "payment_id": new.payment_id,
                        "total": new.total, "tax": new.tax, "reissue_of": new.reissue_of, "reverses": new.reverses})).await?;
                Ok($crate::commerce::Receipt {
                    id,
                    clinic_id,
                    number,
                    contract_id: new.contract_id,
                    payment_id: new.payment_id,
                    lines: new.lines.clone(),
                    tax: new.tax.clone(),
                    total: new.total,
                    reissue_of: new.reissue_of,
                    reverses: new.reverses,
                    issued_at: now,
                    issued_by: actor.user_id,
                })
            }

            /// Writes a payment (positive: received, negative: refunded)
            /// with its audit entry.
            async fn insert_payment(
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                contract_id: uuid::Uuid,
                new: &$crate::commerce::NewPayment,
            ) -> $crate::Result<$crate::commerce::Payment> {
                use $crate::StoreError::Conflict;
                if !$crate::commerce_imp::PAYMENT_METHODS.contains(&new.method.as_str()) {
                    return Err(Conflict("payment_method_invalid"));
                }
                if new.amount == 0 {
                    return Err(Conflict("payment_amount_zero"));
                }
                let id = uuid::Uuid::now_v7();
                sqlx::query("INSERT INTO payments (id, clinic_id, contract_id, amount, method, note, at, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(contract_id)
                    .bind(new.amount)
                    .bind(&new.method)
                    .bind(&new.note)
                    .bind(new.at)
                    .bind(actor.user_id)
                    .bind($crate::Ts::now())
                    .execute(&mut **tx)
                    .await?;
                Self::append_audit(tx, actor, Some(clinic_id), "payment_recorded", "contract", Some(contract_id.to_string()),
                    serde_json::json!({"payment_id": id, "amount": new.amount, "method": new.method,
                        "note": new.note, "at": new.at.0})).await?;
                Ok($crate::commerce::Payment {
                    id,
                    contract_id,
                    amount: new.amount,
                    method: new.method.clone(),
                    note: new.note.clone(),
                    at: new.at,
                    by: actor.user_id,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::commerce::CommerceStore for $store {
            #[tracing::instrument(skip_all)]
            async fn clinic_profile(&self, clinic_id: uuid::Uuid) -> $crate::Result<Option<$crate::commerce::ClinicProfile>> {
                let row: Option<(String,)> = sqlx::query_as("SELECT profile FROM clinic_profiles WHERE clinic_id = $1 ORDER BY version DESC LIMIT 1")
                    .bind(clinic_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(profile,)| $crate::patient_imp::json(&profile)).transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn set_clinic_profile(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                profile: &$crate::commerce::ClinicProfile,
            ) -> $crate::Result<$crate::commerce::ClinicProfile> {
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let version = Self::next_clinic_version(&mut tx, clinic_id, "clinic_profiles").await?;
                let res = sqlx::query("INSERT INTO clinic_profiles (clinic_id, version, profile, author_id, at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(clinic_id)
                    .bind(version)
                    .bind($crate::patient_imp::to_json(profile)?)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "clinic_profile_version_taken")?;
                let mut detail = serde_json::to_value(profile).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                if let Some(fields) = detail.as_object_mut() {
                    fields.insert("version".into(), serde_json::json!(version));
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), "clinic_profile_set", "clinic", Some(clinic_id.to_string()), detail).await?;
                tx.commit().await?;
                Ok(profile.clone())
            }

            #[tracing::instrument(skip_all)]
            async fn create_price_item(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                facts: &$crate::commerce::PriceItemFacts,
            ) -> $crate::Result<$crate::commerce::PriceItem> {
                use $crate::StoreError::{Conflict, NotFound};
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let (clinics,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clinics WHERE id = $1")
                    .bind(clinic_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if clinics == 0 {
                    return Err(NotFound);
                }
                let (taken,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM price_items WHERE clinic_id = $1 AND code = $2 AND active = $3")
                    .bind(clinic_id)
                    .bind(&facts.code)
                    .bind(true)
                    .fetch_one(&mut *tx)
                    .await?;
                if taken > 0 {
                    return Err(Conflict("price_item_code_taken"));
                }
                let res = sqlx::query("INSERT INTO price_items (id, clinic_id, code, current_version, active, created_by, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(&facts.code)
                    .bind(true)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "price_item_code_taken")?;
                sqlx::query("INSERT INTO price_item_versions (price_item_id, version, facts, reason, author_id, created_at) VALUES ($1, 1, $2, NULL, $3, $4)")
                    .bind(id)
                    .bind($crate::patient_imp::to_json(facts)?)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "price_item_created", "price_item", Some(id.to_string()),
                    serde_json::to_value(facts).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?).await?;
                tx.commit().await?;
                Ok($crate::commerce::PriceItem {
                    id,
                    clinic_id,
                    version: 1,
                    active: true,
                    facts: facts.clone(),
                })
            }

            #[tracing::instrument(skip_all)]
            async fn revise_price_item(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                facts: &$crate::commerce::PriceItemFacts,
                reason: &str,
            ) -> $crate::Result<$crate::commerce::PriceItem> {
                use $crate::StoreError::{Conflict, NotFound};
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let cur = Self::price_item_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                if !cur.active {
                    return Err(Conflict("price_item_retired"));
                }
                if cur.facts.code != facts.code {
                    return Err(Conflict("price_item_code_immutable"));
                }
                let next = cur.version + 1;
                let now = $crate::Ts::now();
                sqlx::query("INSERT INTO price_item_versions (price_item_id, version, facts, reason, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id)
                    .bind(next)
                    .bind($crate::patient_imp::to_json(facts)?)
                    .bind(reason)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE price_items SET current_version = $2 WHERE id = $1")
                    .bind(id)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                let changed = $crate::patient_imp::changed_fields(&cur.facts, facts);
                Self::append_audit(&mut tx, actor, Some(clinic_id), "price_item_revised", "price_item", Some(id.to_string()),
                    serde_json::json!({"version": next, "reason": reason, "changed": changed,
                        "price": facts.price, "tax_rate": facts.tax_rate, "sessions": facts.sessions})).await?;
                tx.commit().await?;
                Ok($crate::commerce::PriceItem {
                    id,
                    clinic_id,
                    version: next,
                    active: true,
                    facts: facts.clone(),
                })
            }

            #[tracing::instrument(skip_all)]
            async fn retire_price_item(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
            ) -> $crate::Result<$crate::commerce::PriceItem> {
                use $crate::StoreError::{Conflict, NotFound};
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let cur = Self::price_item_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                if !cur.active {
                    return Err(Conflict("price_item_retired"));
                }
                sqlx::query("UPDATE price_items SET active = $2 WHERE id = $1")
                    .bind(id)
                    .bind(false)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "price_item_retired", "price_item", Some(id.to_string()),
                    serde_json::json!({"code": cur.facts.code, "version": cur.version})).await?;
                tx.commit().await?;
                Ok($crate::commerce::PriceItem { active: false, ..cur })
            }

            #[tracing::instrument(skip_all)]
            async fn price_items(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::commerce::PriceItem>> {
                use $crate::commerce_imp::*;
                let rows: Vec<PriceItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PRICE_ITEM_SELECT} WHERE p.clinic_id = $1"
                )))
                .bind(clinic_id)
                .fetch_all(&self.pool)
                .await?;
                let mut items = rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<$crate::Result<Vec<$crate::commerce::PriceItem>>>()?;
                sort_price_items(&mut items);
                Ok(items)
            }

            #[tracing::instrument(skip_all)]
            async fn price_item(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::commerce::PriceItem>> {
                let mut conn = self.pool.acquire().await?;
                Self::price_item_on(&mut *conn, clinic_id, id).await
            }

            #[tracing::instrument(skip_all)]
            async fn create_contract(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::commerce::NewContract,
            ) -> $crate::Result<$crate::commerce::Contract> {
                use $crate::StoreError::{Conflict, NotFound};
                if !$crate::commerce_imp::PAYMENT_PLANS.contains(&new.payment_plan.as_str()) {
                    return Err(Conflict("payment_plan_invalid"));
                }
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let zone: Option<(String,)> = sqlx::query_as("SELECT time_zone FROM clinics WHERE id = $1")
                    .bind(clinic_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let (zone,) = zone.ok_or(NotFound)?;
                if Self::count_in(&mut tx, "SELECT COUNT(*) FROM patients WHERE clinic_id = $1 AND id = $2", clinic_id, new.patient_id).await? == 0 {
                    return Err(NotFound);
                }
                if let Some(plan_id) = new.plan_id {
                    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM plans WHERE clinic_id = $1 AND id = $2 AND patient_id = $3")
                        .bind(clinic_id)
                        .bind(plan_id)
                        .bind(new.patient_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    if n == 0 {
                        return Err(NotFound);
                    }
                }
                for line in &new.lines {
                    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM price_item_versions v JOIN price_items p ON p.id = v.price_item_id WHERE p.clinic_id = $1 AND v.price_item_id = $2 AND v.version = $3")
                        .bind(clinic_id)
                        .bind(line.price_item_id)
                        .bind(line.price_item_version)
                        .fetch_one(&mut *tx)
                        .await?;
                    if n == 0 {
                        return Err(NotFound);
                    }
                }
                let starts_at = $crate::commerce_imp::start_of_day(new.starts_on, &zone)?;
                let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM contracts WHERE clinic_id = $1")
                    .bind(clinic_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let seq = last.unwrap_or(0) + 1;
                let number = $crate::commerce_imp::contract_number(seq);
                let res = sqlx::query("INSERT INTO contracts (id, clinic_id, patient_id, plan_id, seq, number, total, sessions, starts_on, starts_at, ends_on, payment_plan, covered, coverage, terms, status, cancelled_on, cancellation, made_by, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'active', NULL, NULL, $16, $17)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(new.patient_id)
                    .bind(new.plan_id)
                    .bind(seq)
                    .bind(&number)
                    .bind(new.total)
                    .bind(i64::from(new.sessions))
                    .bind(jiff_sqlx::Date::from(new.starts_on))
                    .bind(starts_at)
                    .bind(new.ends_on.map(jiff_sqlx::Date::from))
                    .bind(&new.payment_plan)
                    .bind(new.covered)
                    .bind(new.coverage.to_string())
                    .bind(new.terms.to_string())
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "contract_number_taken")?;
                for (ordinal, line) in (0_i64..).zip(new.lines.iter()) {
                    sqlx::query("INSERT INTO contract_lines (contract_id, ordinal, price_item_id, price_item_version, name_ja, quantity, unit_price, tax_rate, sessions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                        .bind(id)
                        .bind(ordinal)
                        .bind(line.price_item_id)
                        .bind(line.price_item_version)
                        .bind(&line.name_ja)
                        .bind(i64::from(line.quantity))
                        .bind(line.unit_price)
                        .bind(line.tax_rate.as_str())
                        .bind(i64::from(line.sessions))
                        .execute(&mut *tx)
                        .await?;
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), "contract_made", "contract", Some(id.to_string()),
                    serde_json::json!({"number": number, "patient_id": new.patient_id, "plan_id": new.plan_id,
                        "lines": new.lines, "total": new.total, "sessions": new.sessions,
                        "starts_on": new.starts_on, "ends_on": new.ends_on, "payment_plan": new.payment_plan,
                        "covered": new.covered, "coverage": new.coverage, "terms": new.terms})).await?;
                let out = Self::contract_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                tx.commit().await?;
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn contract(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::commerce::Contract>> {
                let mut conn = self.pool.acquire().await?;
                Self::contract_on(&mut *conn, clinic_id, id).await
            }

            #[tracing::instrument(skip_all)]
            async fn contracts(&self, clinic_id: uuid::Uuid) -> $crate::Result<Vec<$crate::commerce::Contract>> {
                let mut conn = self.pool.acquire().await?;
                Self::contracts_on(&mut *conn, clinic_id, "", None).await
            }

            #[tracing::instrument(skip_all)]
            async fn contracts_of_patient(&self, clinic_id: uuid::Uuid, patient_id: uuid::Uuid) -> $crate::Result<Vec<$crate::commerce::Contract>> {
                let mut conn = self.pool.acquire().await?;
                Self::contracts_on(&mut *conn, clinic_id, " AND c.patient_id = $2", Some(patient_id)).await
            }

            #[tracing::instrument(skip_all)]
            async fn keep_contract_document(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                contract_id: uuid::Uuid,
                kind: &str,
                pdf: &[u8],
                sha256: &str,
            ) -> $crate::Result<$crate::commerce::ContractDocument> {
                use $crate::StoreError::Conflict;
                if !$crate::commerce_imp::DOCUMENT_KINDS.contains(&kind) {
                    return Err(Conflict("contract_document_kind_invalid"));
                }
                let id = uuid::Uuid::now_v7();
                let now = $crate::Ts::now();
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                Self::contract_status_in(&mut tx, clinic_id, contract_id).await?;
                let (kept,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM contract_documents WHERE contract_id = $1 AND kind = $2")
                    .bind(contract_id)
                    .bind(kind)
                    .fetch_one(&mut *tx)
                    .await?;
                if kept > 0 {
                    return Err(Conflict("contract_document_exists"));
                }
                let res = sqlx::query("INSERT INTO contract_documents (id, clinic_id, contract_id, kind, sha256, pdf, made_by, made_at, handed_over_by, received_on, handed_over_at, handed_over_recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, NULL)")
                    .bind(id)
                    .bind(clinic_id)
                    .bind(contract_id)
                    .bind(kind)
                    .bind(sha256)
                    .bind(pdf)
                    .bind(actor.user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await;
                $crate::imp::map_unique(res, "contract_document_exists")?;
                Self::append_audit(&mut tx, actor, Some(clinic_id), "contract_document_kept", "contract", Some(contract_id.to_string()),
                    serde_json::json!({"document_id": id, "kind": kind, "sha256": sha256, "bytes": pdf.len()})).await?;
                tx.commit().await?;
                Ok($crate::commerce::ContractDocument {
                    id,
                    contract_id,
                    kind: kind.to_string(),
                    sha256: sha256.to_string(),
                    made_at: now,
                    handed_over_by: None,
                    received_on: None,
                    handed_over_at: None,
                    handed_over_staff_id: None,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn future_appointments_of_contract(&self, clinic_id: uuid::Uuid, contract_id: uuid::Uuid, from: $crate::Ts) -> $crate::Result<Vec<uuid::Uuid>> {
                let rows: Vec<(uuid::Uuid,)> = sqlx::query_as($crate::commerce_imp::FUTURE_APPOINTMENTS_SELECT)
                    .bind(clinic_id)
                    .bind(contract_id)
                    .bind(from)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn contract_document(&self, clinic_id: uuid::Uuid, document_id: uuid::Uuid) -> $crate::Result<Option<$crate::commerce::ContractDocument>> {
                let mut conn = self.pool.acquire().await?;
                Self::contract_document_on(&mut *conn, clinic_id, document_id).await
            }

            #[tracing::instrument(skip_all)]
            async fn contract_document_pdf(&self, clinic_id: uuid::Uuid, document_id: uuid::Uuid) -> $crate::Result<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT pdf FROM contract_documents WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic_id)
                    .bind(document_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(pdf,)| pdf))
            }

            #[tracing::instrument(skip_all)]
            async fn hand_over_document(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                document_id: uuid::Uuid,
                by: &str,
                received_on: jiff::civil::Date,
                staff_id: uuid::Uuid,
            ) -> $crate::Result<$crate::commerce::ContractDocument> {
                use $crate::StoreError::{Conflict, NotFound};
                if !$crate::commerce_imp::HANDOVER_METHODS.contains(&by) {
                    return Err(Conflict("handover_method_invalid"));
                }
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                let doc = Self::contract_document_on(&mut *tx, clinic_id, document_id).await?.ok_or(NotFound)?;
                if doc.handed_over_at.is_some() {
                    return Err(Conflict("contract_document_handed_over"));
                }
                let now = $crate::Ts::now();
                if Self::count_in(&mut tx, "SELECT COUNT(*) FROM user_clinics WHERE clinic_id = $1 AND user_id = $2", clinic_id, staff_id).await? == 0 {
                    return Err(Conflict("contract_handed_by_unknown"));
                }
                let n = sqlx::query("UPDATE contract_documents SET handed_over_by = $2, received_on = $3, handed_over_at = $4, handed_over_recorded_by = $5, handed_over_staff_id = $6 WHERE id = $1 AND handed_over_at IS NULL")
                    .bind(document_id)
                    .bind(by)
                    .bind(jiff_sqlx::Date::from(received_on))
                    .bind(now)
                    .bind(actor.user_id)
                    .bind(staff_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(Conflict("contract_document_handed_over"));
                }
                Self::append_audit(&mut tx, actor, Some(clinic_id), "contract_document_handed_over", "contract", Some(doc.contract_id.to_string()),
                    serde_json::json!({"document_id": document_id, "kind": doc.kind, "by": by, "received_on": received_on, "staff_id": staff_id})).await?;
                tx.commit().await?;
                Ok($crate::commerce::ContractDocument {
                    handed_over_by: Some(by.to_string()),
                    received_on: Some(received_on),
                    handed_over_at: Some(now),
                    handed_over_staff_id: Some(staff_id),
                    ..doc
                })
            }

            #[tracing::instrument(skip_all)]
            #[allow(clippy::too_many_arguments)]
            async fn cancel_contract(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                id: uuid::Uuid,
                notice_on: jiff::civil::Date,
                quote: &serde_json::Value,
                refund: jousei_core::commerce::Yen,
                refund_method: &str,
            ) -> $crate::Result<$crate::commerce::Contract> {
                use $crate::StoreError::{Conflict, NotFound};
                if refund < 0 {
                    return Err(Conflict("refund_negative"));
                }
                if refund > 0 && !$crate::commerce_imp::PAYMENT_METHODS.contains(&refund_method) {
                    return Err(Conflict("payment_method_invalid"));
                }
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                if Self::contract_status_in(&mut tx, clinic_id, id).await? != "active" {
                    return Err(Conflict("contract_not_active"));
                }
                // The future appointments of the contract end with it, in
                // this transaction, and the cancellation keeps their ids.
                let now = $crate::Ts::now();
                let future: Vec<(uuid::Uuid,)> = sqlx::query_as($crate::commerce_imp::FUTURE_APPOINTMENTS_SELECT)
                    .bind(clinic_id)
                    .bind(id)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
                let reason = "契約の解約 / contract cancelled";
                let mut cancelled = Vec::new();
                for (appointment,) in future {
                    Self::set_appointment_status_in(&mut tx, actor, clinic_id, appointment,
                        jousei_core::plan::appointment::AppointmentStatus::Cancelled, Some(reason)).await?;
                    cancelled.push(appointment);
                }
                let mut kept = quote.clone();
                if let Some(fields) = kept.as_object_mut() {
                    fields.insert("appointments_cancelled".into(), serde_json::json!(cancelled));
                }
                let n = sqlx::query("UPDATE contracts SET status = 'cancelled', cancelled_on = $2, cancellation = $3 WHERE id = $1 AND status = 'active'")
                    .bind(id)
                    .bind(jiff_sqlx::Date::from(notice_on))
                    .bind(kept.to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(Conflict("contract_not_active"));
                }
                let refund_payment = if refund > 0 {
                    let payment = Self::insert_payment(&mut tx, actor, clinic_id, id, &$crate::commerce::NewPayment {
                        amount: -refund,
                        method: refund_method.to_string(),
                        note: Some("解約返金 / cancellation refund".into()),
                        at: $crate::Ts::now(),
                    }).await?;
                    Some(payment.id)
                } else {
                    None
                };
                Self::append_audit(&mut tx, actor, Some(clinic_id), "contract_cancelled", "contract", Some(id.to_string()),
                    serde_json::json!({"notice_on": notice_on, "quote": quote, "refund": refund,
                        "refund_method": refund_method, "refund_payment_id": refund_payment,
                        "appointments_cancelled": cancelled})).await?;
                let out = Self::contract_on(&mut *tx, clinic_id, id).await?.ok_or(NotFound)?;
                tx.commit().await?;
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn record_payment(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                contract_id: uuid::Uuid,
                new: &$crate::commerce::NewPayment,
            ) -> $crate::Result<$crate::commerce::Payment> {
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                Self::check_balance_in(&mut tx, clinic_id, contract_id, new.amount).await?;
                let out = Self::insert_payment(&mut tx, actor, clinic_id, contract_id, new).await?;
                tx.commit().await?;
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn record_payment_with_receipt(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                contract_id: uuid::Uuid,
                new: &$crate::commerce::NewPayment,
                receipt: &$crate::commerce::NewReceipt,
            ) -> $crate::Result<($crate::commerce::Payment, $crate::commerce::Receipt)> {
                use $crate::StoreError::Conflict;
                if receipt.total != new.amount || receipt.reissue_of.is_some() || receipt.reverses.is_some() {
                    return Err(Conflict("receipt_total_mismatch"));
                }
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                Self::check_balance_in(&mut tx, clinic_id, contract_id, new.amount).await?;
                let payment = Self::insert_payment(&mut tx, actor, clinic_id, contract_id, new).await?;
                let receipt = Self::insert_receipt(&mut tx, actor, clinic_id, &$crate::commerce::NewReceipt {
                    contract_id: Some(contract_id),
                    payment_id: Some(payment.id),
                    ..receipt.clone()
                }).await?;
                tx.commit().await?;
                Ok((payment, receipt))
            }

            #[tracing::instrument(skip_all)]
            async fn payments(&self, clinic_id: uuid::Uuid, contract_id: uuid::Uuid) -> $crate::Result<Vec<$crate::commerce::Payment>> {
                use $crate::commerce_imp::*;
                let rows: Vec<PaymentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PAYMENT_SELECT} WHERE p.clinic_id = $1 AND p.contract_id = $2 ORDER BY p.at, p.id"
                )))
                .bind(clinic_id)
                .bind(contract_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn payments_between(&self, clinic_id: uuid::Uuid, from: $crate::Ts, to: $crate::Ts) -> $crate::Result<Vec<$crate::commerce::Payment>> {
                use $crate::commerce_imp::*;
                let rows: Vec<PaymentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{PAYMENT_SELECT} WHERE p.clinic_id = $1 AND p.at >= $2 AND p.at < $3 ORDER BY p.at, p.id"
                )))
                .bind(clinic_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn issue_receipt(
                &self,
                actor: &$crate::Actor,
                clinic_id: uuid::Uuid,
                new: &$crate::commerce::NewReceipt,
            ) -> $crate::Result<$crate::commerce::Receipt> {
                use $crate::StoreError::NotFound;
                let mut tx = self.begin_write().await?;
                Self::lock_writes(&mut tx).await?;
                if let Some(contract_id) = new.contract_id {
                    Self::contract_status_in(&mut tx, clinic_id, contract_id).await?;
                }
                if let Some(payment_id) = new.payment_id {
                    let row: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT contract_id FROM payments WHERE clinic_id = $1 AND id = $2")
                        .bind(clinic_id)
                        .bind(payment_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let (of,) = row.ok_or(NotFound)?;
                    if new.contract_id.is_some_and(|c| c != of) {
                        return Err(NotFound);
                    }
                }
                for earlier in [new.reissue_of, new.reverses].into_iter().flatten() {
                    if Self::count_in(&mut tx, "SELECT COUNT(*) FROM receipts WHERE clinic_id = $1 AND id = $2", clinic_id, earlier).await? == 0 {
                        return Err(NotFound);
                    }
                }
                let out = Self::insert_receipt(&mut tx, actor, clinic_id, new).await?;
                tx.commit().await?;
                Ok(out)
            }

            #[tracing::instrument(skip_all)]
            async fn receipt(&self, clinic_id: uuid::Uuid, id: uuid::Uuid) -> $crate::Result<Option<$crate::commerce::Receipt>> {
                use $crate::commerce_imp::*;
                let row: Option<ReceiptRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{RECEIPT_SELECT} WHERE r.clinic_id = $1 AND r.id = $2"
                )))
                .bind(clinic_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn receipts_of_contract(&self, clinic_id: uuid::Uuid, contract_id: uuid::Uuid) -> $crate::Result<Vec<$crate::commerce::Receipt>> {
                use $crate::commerce_imp::*;
                let rows: Vec<ReceiptRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{RECEIPT_SELECT} WHERE r.clinic_id = $1 AND r.contract_id = $2 ORDER BY r.number"
                )))
                .bind(clinic_id)
                .bind(contract_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}

pub(crate) use commerce_impl;
