//! Commercial use cases (issue 8), shared by the JSON API: the price list
//! (tax-included prices with the usual course and main risks), contracts
//! with their coverage under the Specified Commercial Transactions Act and
//! the cooling-off derived from the contract document's receipt, sessions
//! used derived from the doses, payments and refunds, receipts numbered
//! without gaps with the tax computed once per rate, and the cancellation
//! quote and its execution with the arithmetic kept.

use jiff::civil::Date;
use jiff::{Span, Timestamp};
use jousei_core::commerce::cancellation::{self, CancellationFacts, ClinicTerms, Quote};
use jousei_core::commerce::cooling_off;
use jousei_core::commerce::coverage::{
    self, Commitment, CoverageFacts, Method, Purpose, ServicePeriod,
};
use jousei_core::commerce::tax::{self, TaxRate};
use jousei_core::commerce::{MAX_YEN, Yen};
use jousei_core::error::FieldError;
use jousei_core::role::Permission;
use jousei_core::supply::disclosure::efficacy_words;
use jousei_core::supply::product::Route;
use jousei_store::commerce::{
    ClinicProfile, Contract, ContractDocument, ContractLine, NewContract, NewPayment, NewReceipt,
    Payment, PriceItem, PriceItemFacts, Receipt, ReceiptLine,
};
use jousei_store::plan::Appointment;
use jousei_store::{StoreError, Ts};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::error::ErrorKind;
use crate::error::ServiceError;
use crate::patients::note_read;
use crate::supply::clinic_today;

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn yen(raw: &str, field: &'static str, errs: &mut Vec<FieldError>) -> Option<Yen> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '¥' | '円' | '，'))
        .collect();
    match cleaned.parse::<Yen>() {
        Ok(v) if (1..=MAX_YEN).contains(&v) => Some(v),
        _ => {
            errs.push(FieldError::new(field, "yen_invalid"));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Price list

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PriceItemIn {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// single, package, monthly, or discount (an amount off a contract,
    /// 0 sessions; its conditions in `usual_course`)
    pub kind: String,
    pub product_id: Option<Uuid>,
    pub route: Option<String>,
    pub sessions: u32,
    pub period_months: Option<u32>,
    /// Tax included, yen.
    pub price: String,
    /// standard (10%) or reduced (8%)
    pub tax_rate: String,
    /// The usual number of sessions and period (shown with the price).
    pub usual_course: String,
    /// The main risks and side effects (shown with the price).
    pub main_risks: String,
}

/// A price item as shown: tax included, with the tax in it.
#[derive(Debug, Clone, Serialize)]
pub struct PriceItemView {
    #[serde(flatten)]
    pub item: PriceItem,
    pub tax: Yen,
}

fn price_facts(
    state_products: &[Uuid],
    input: &PriceItemIn,
) -> Result<PriceItemFacts, ServiceError> {
    let mut errs = Vec::new();
    let code = input.code.trim();
    if code.len() < 2
        || code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        errs.push(FieldError::new("code", "price_item_code_invalid"));
    }
    for (field, v) in [("name_ja", &input.name_ja), ("name_en", &input.name_en)] {
        if v.trim().is_empty() {
            errs.push(FieldError::new(field, "field_required"));
        } else if v.chars().count() > 200 {
            errs.push(FieldError::new(field, "field_too_long"));
        }
    }
    let kind = input.kind.trim();
    if !matches!(kind, "single" | "package" | "monthly" | "discount") {
        errs.push(FieldError::new("kind", "price_item_kind_invalid"));
    }
    let discount = kind == "discount";
    if discount {
        // A discount takes an amount off a contract; it has no sessions.
        if input.sessions != 0 {
            errs.push(FieldError::new("sessions", "price_item_discount_sessions"));
        }
    } else if input.sessions == 0
        || input.sessions > 100
        || (kind == "single" && input.sessions != 1)
    {
        errs.push(FieldError::new("sessions", "price_item_sessions_invalid"));
    }
    let period = input.period_months.filter(|m| *m > 0);
    if kind == "package" && period.is_none() {
        errs.push(FieldError::new(
            "period_months",
            "price_item_period_required",
        ));
    }
    if period.is_some_and(|m| m > 120) {
        errs.push(FieldError::new(
            "period_months",
            "price_item_period_required",
        ));
    }
    if let Some(pid) = input.product_id
        && !state_products.contains(&pid)
    {
        errs.push(FieldError::new("product_id", "plan_product_unknown"));
    }
    let route = match opt(&input.route) {
        Some(r) => match Route::parse(r) {
            Some(r) => Some(r.as_str().to_string()),
            None => {
                errs.push(FieldError::new("route", "plan_route_invalid"));
                None
            }
        },
        None => None,
    };
    let price = yen(&input.price, "price", &mut errs);
    let tax_rate = TaxRate::parse(&input.tax_rate);
    if tax_rate.is_none() {
        errs.push(FieldError::new("tax_rate", "tax_rate_invalid"));
    }
    for (field, v) in [
        ("usual_course", &input.usual_course),
        ("main_risks", &input.main_risks),
    ] {
        // A discount states its conditions (in `usual_course`); it has no
        // risks of its own.
        if discount && field == "main_risks" {
            continue;
        }
        if v.trim().is_empty() {
            // The advertising rule: a price comes with the usual course and
            // the main risks (regulatory.md §2.1).
            errs.push(FieldError::new(field, "price_item_disclosure_required"));
        } else if v.chars().count() > 2000 {
            errs.push(FieldError::new(field, "field_too_long"));
        }
    }
    for (field, v) in [
        ("name_ja", &input.name_ja),
        ("usual_course", &input.usual_course),
    ] {
        if !efficacy_words(v).is_empty() {
            errs.push(FieldError::new(field, "price_item_efficacy_claim"));
        }
    }
    match (price, tax_rate) {
        (Some(price), Some(tax_rate)) if errs.is_empty() => Ok(PriceItemFacts {
            code: code.to_string(),
            name_ja: input.name_ja.trim().to_string(),
            name_en: input.name_en.trim().to_string(),
            kind: kind.to_string(),
            product_id: input.product_id,
            route,
            sessions: input.sessions,
            period_months: period,
            price,
            tax_rate,
            usual_course: input.usual_course.trim().to_string(),
            main_risks: input.main_risks.trim().to_string(),
        }),
        _ => Err(ServiceError::fields(errs)),
    }
}

fn price_view(item: PriceItem) -> PriceItemView {
    PriceItemView {
        tax: tax::tax_included(item.facts.price, item.facts.tax_rate),
        item,
    }
}

async fn product_ids(svc: &Service, p: &Principal) -> Result<Vec<Uuid>, ServiceError> {
    Ok(svc
        .store
        .products(p.clinic.id)
        .await?
        .into_iter()
        .map(|x| x.id)
        .collect())
}

pub async fn create_price_item(
    svc: &Service,
    p: &Principal,
    input: &PriceItemIn,
) -> Result<PriceItemView, ServiceError> {
    p.require(Permission::ManagePrices)?;
    let facts = price_facts(&product_ids(svc, p).await?, input)?;
    Ok(price_view(
        svc.store
            .create_price_item(&p.actor(), p.clinic.id, &facts)
            .await?,
    ))
}

pub async fn revise_price_item(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    input: &PriceItemIn,
    reason: &str,
) -> Result<PriceItemView, ServiceError> {
    p.require(Permission::ManagePrices)?;
    let facts = price_facts(&product_ids(svc, p).await?, input);
    let reason_ok = !reason.trim().is_empty();
    let facts = match (facts, reason_ok) {
        (Ok(f), true) => f,
        (Ok(_), false) => {
            return Err(ServiceError::fields(vec![FieldError::new(
                "reason",
                "reason_required",
            )]));
        }
        (Err(e), _) => return Err(e),
    };
    Ok(price_view(
        svc.store
            .revise_price_item(&p.actor(), p.clinic.id, id, &facts, reason.trim())
            .await?,
    ))
}

pub async fn retire_price_item(
    svc: &Service,
    p: &Principal,
    id: Uuid,
) -> Result<PriceItemView, ServiceError> {
    p.require(Permission::ManagePrices)?;
    Ok(price_view(
        svc.store
            .retire_price_item(&p.actor(), p.clinic.id, id)
            .await?,
    ))
}

pub async fn price_items(svc: &Service, p: &Principal) -> Result<Vec<PriceItemView>, ServiceError> {
    p.require(Permission::ViewHome)?;
    Ok(svc
        .store
        .price_items(p.clinic.id)
        .await?
        .into_iter()
        .map(price_view)
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Contracts

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LineIn {
    pub price_item_id: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContractIn {
    pub patient_id: String,
    /// The plan whose doses use the sessions.
    pub plan_id: Option<String>,
    pub lines: Vec<LineIn>,
    /// YYYY-MM-DD
    pub starts_on: String,
    /// lump_sum, instalments, monthly
    pub payment_plan: String,
    /// beauty, medical or unclear (unclear counts as beauty).
    pub purpose: String,
    /// drug, listed_other or other
    pub method: String,
    /// The clinic's own cancellation terms, when they charge less.
    #[schema(value_type = Option<Object>)]
    pub terms: Option<ClinicTerms>,
}

/// A contract with its cooling-off standing today.
#[derive(Debug, Clone, Serialize)]
pub struct ContractView {
    #[serde(flatten)]
    pub contract: Contract,
    pub sessions_left: u32,
    pub cooling_off: cooling_off::Status,
    /// What is still to pay (total − paid, not below zero).
    pub balance: Yen,
}

pub fn contract_view(p: &Principal, c: Contract) -> ContractView {
    let received = c
        .documents
        .iter()
        .find(|d| d.kind == "contract")
        .and_then(|d| d.received_on);
    ContractView {
        sessions_left: c.sessions.saturating_sub(c.sessions_used),
        // A contract the Act does not cover has no cooling-off at all.
        cooling_off: if c.covered {
            cooling_off::status(received, clinic_today(p))
        } else {
            cooling_off::Status::NotApplicable
        },
        balance: (c.total - c.paid).max(0),
        contract: c,
    }
}

pub async fn create_contract(
    svc: &Service,
    p: &Principal,
    input: &ContractIn,
) -> Result<ContractView, ServiceError> {
    p.require(Permission::ContractWrite)?;
    let clinic = p.clinic.id;
    let mut errs = Vec::new();
    let patient = match Uuid::parse_str(input.patient_id.trim()) {
        Ok(id) => svc.store.patient(clinic, id).await?,
        Err(_) => None,
    };
    if patient.is_none() {
        errs.push(FieldError::new("patient_id", "care_patient_unknown"));
    }
    let plan_id = match opt(&input.plan_id) {
        Some(raw) => {
            let plan = match Uuid::parse_str(raw) {
                Ok(id) => svc.store.plan(clinic, id).await?,
                Err(_) => None,
            };
            match plan {
                Some(pl) if Some(pl.patient_id) == patient.as_ref().map(|x| x.id) => Some(pl.id),
                _ => {
                    errs.push(FieldError::new("plan_id", "care_plan_unknown"));
                    None
                }
            }
        }
        None => None,
    };
    let items = svc.store.price_items(clinic).await?;
    let mut lines = Vec::new();
    let mut commitments = Vec::new();
    if input.lines.is_empty() {
        errs.push(FieldError::new("lines", "contract_lines_required"));
    }
    for l in &input.lines {
        let item = Uuid::parse_str(l.price_item_id.trim())
            .ok()
            .and_then(|id| items.iter().find(|i| i.id == id && i.active));
        match item {
            Some(i) if i.facts.kind == "discount" && l.quantity == 1 => {
                lines.push(ContractLine {
                    price_item_id: i.id,
                    price_item_version: i.version,
                    name_ja: i.facts.name_ja.clone(),
                    quantity: 1,
                    unit_price: -i.facts.price,
                    tax_rate: i.facts.tax_rate,
                    sessions: 0,
                });
            }
            Some(i) if i.facts.kind == "discount" => {
                errs.push(FieldError::new("lines", "contract_discount_quantity"));
            }
            Some(i) if (1..=20).contains(&l.quantity) => {
                commitments.push(match i.facts.kind.as_str() {
                    // A monthly item bought for N periods: N periods long.
                    "monthly" => Commitment::Monthly {
                        months: i.facts.period_months.unwrap_or(1),
                        quantity: l.quantity,
                    },
                    "package" => Commitment::Package {
                        months: i.facts.period_months,
                    },
                    _ => Commitment::Single,
                });
                lines.push(ContractLine {
                    price_item_id: i.id,
                    price_item_version: i.version,
                    name_ja: i.facts.name_ja.clone(),
                    quantity: l.quantity,
                    unit_price: i.facts.price,
                    tax_rate: i.facts.tax_rate,
                    sessions: i.facts.sessions,
                });
            }
            Some(_) => errs.push(FieldError::new("lines", "contract_quantity_invalid")),
            None => errs.push(FieldError::new("lines", "contract_item_unknown")),
        }
    }
    let starts_on = input
        .starts_on
        .trim()
        .parse::<Date>()
        .map_err(|_| errs.push(FieldError::new("starts_on", "date_invalid")))
        .ok();
    let payment_plan = input.payment_plan.trim();
    if !matches!(payment_plan, "lump_sum" | "instalments" | "monthly") {
        errs.push(FieldError::new(
            "payment_plan",
            "contract_payment_plan_invalid",
        ));
    }
    let purpose = Purpose::parse(&input.purpose);
    if purpose.is_none() {
        errs.push(FieldError::new("purpose", "contract_purpose_invalid"));
    }
    let method = Method::parse(&input.method);
    if method.is_none() {
        errs.push(FieldError::new("method", "contract_method_invalid"));
    }
    let (Some(patient), Some(starts_on), Some(purpose), Some(method)) =
        (patient, starts_on, purpose, method)
    else {
        return Err(ServiceError::fields(errs));
    };
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    let total: Yen = lines
        .iter()
        .map(|l| l.unit_price * Yen::from(l.quantity))
        .sum();
    let sessions: u32 = lines.iter().map(|l| l.sessions * l.quantity).sum();
    if sessions == 0 {
        return Err(ServiceError::fields(vec![FieldError::new(
            "lines",
            "contract_sessions_required",
        )]));
    }
    if total < 1 {
        return Err(ServiceError::fields(vec![FieldError::new(
            "lines",
            "contract_discount_too_large",
        )]));
    }
    let period = coverage::contract_period(&commitments);
    let decided = coverage::decide(&CoverageFacts {
        purpose,
        method,
        total,
        period,
    })
    .map_err(ServiceError::fields)?;
    let ends_on = match period {
        ServicePeriod::Months { months } => Some(months),
        ServicePeriod::NoFixedEnd => None,
    }
    .and_then(|m| {
        starts_on
            .checked_add(Span::new().months(i64::from(m)))
            .ok()
            .and_then(|d| d.yesterday().ok())
    });
    let new = NewContract {
        patient_id: patient.id,
        plan_id,
        lines,
        total,
        sessions,
        starts_on,
        ends_on,
        payment_plan: payment_plan.to_string(),
        covered: decided.covered,
        coverage: serde_json::to_value(&decided).map_err(ServiceError::internal)?,
        terms: serde_json::to_value(input.terms).map_err(ServiceError::internal)?,
    };
    let c = svc.store.create_contract(&p.actor(), clinic, &new).await?;
    Ok(contract_view(p, c))
}

async fn contract_of(svc: &Service, p: &Principal, id: Uuid) -> Result<Contract, ServiceError> {
    svc.store
        .contract(p.clinic.id, id)
        .await?
        .ok_or_else(ServiceError::not_found)
}

pub async fn contract(
    svc: &Service,
    p: &Principal,
    id: Uuid,
) -> Result<ContractView, ServiceError> {
    p.require(Permission::ContractRead)?;
    let c = contract_of(svc, p, id).await?;
    note_read(svc, p, c.patient_id, "contract").await?;
    Ok(contract_view(p, c))
}

pub async fn contracts_of_patient(
    svc: &Service,
    p: &Principal,
    patient_id: Uuid,
) -> Result<Vec<ContractView>, ServiceError> {
    p.require(Permission::ContractRead)?;
    let list = svc
        .store
        .contracts_of_patient(p.clinic.id, patient_id)
        .await?;
    note_read(svc, p, patient_id, "contract").await?;
    Ok(list.into_iter().map(|c| contract_view(p, c)).collect())
}

// ---------------------------------------------------------------------------------------------
// Cancellation

fn quote_facts(c: &Contract, notice: Date) -> CancellationFacts {
    let received = c
        .documents
        .iter()
        .find(|d| d.kind == "contract")
        .and_then(|d| d.received_on);
    CancellationFacts {
        total: c.total,
        sessions: c.sessions.max(1),
        used: c.sessions_used.min(c.sessions),
        contracted_on: None,
        document_received: received.filter(|r| *r <= notice),
        notice,
        paid: Some(c.paid.max(0)),
        terms: serde_json::from_value(c.terms.clone()).ok().flatten(),
        covered: c.covered,
    }
}

fn notice_date(raw: &str) -> Result<Date, ServiceError> {
    raw.trim()
        .parse::<Date>()
        .map_err(|_| ServiceError::fields(vec![FieldError::new("notice", "date_invalid")]))
}

/// A cancellation quote with what cancelling also ends.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteView {
    #[serde(flatten)]
    pub quote: Quote,
    /// The contract's future appointments (its plan's, still booked, from
    /// now) that cancelling cancels in the same step; empty when another
    /// active contract covers the plan.
    pub appointments_to_cancel: Vec<Appointment>,
}

/// The quote for a cancellation noticed on `notice` (no change), with the
/// appointments cancelling would cancel, shown before confirming.
pub async fn quote(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    notice: &str,
) -> Result<QuoteView, ServiceError> {
    p.require(Permission::ContractRead)?;
    let c = contract_of(svc, p, id).await?;
    let notice = notice_date(notice)?;
    let quote = cancellation::quote(&quote_facts(&c, notice)).map_err(ServiceError::fields)?;
    let mut appointments_to_cancel = Vec::new();
    if c.status == "active" {
        for a in svc
            .store
            .future_appointments_of_contract(p.clinic.id, id, svc.now_ts())
            .await?
        {
            if let Some(a) = svc.store.appointment(p.clinic.id, a).await? {
                appointments_to_cancel.push(a);
            }
        }
    }
    Ok(QuoteView {
        quote,
        appointments_to_cancel,
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CancelIn {
    /// The day the patient sent the notice (YYYY-MM-DD).
    pub notice: String,
    /// How the refund is paid: cash, card, transfer.
    pub refund_method: String,
}

/// Executes a cancellation: the quote is computed again, kept with the
/// contract, the refund recorded, and the contract stops (no more doses
/// count against it).
pub async fn cancel(
    svc: &Service,
    p: &Principal,
    id: Uuid,
    input: &CancelIn,
) -> Result<ContractView, ServiceError> {
    p.require(Permission::ContractWrite)?;
    let c = contract_of(svc, p, id).await?;
    let notice = notice_date(&input.notice)?;
    if notice > clinic_today(p) {
        return Err(ServiceError::fields(vec![FieldError::new(
            "notice",
            "contract_notice_in_future",
        )]));
    }
    if !matches!(input.refund_method.trim(), "cash" | "card" | "transfer") {
        return Err(ServiceError::fields(vec![FieldError::new(
            "refund_method",
            "payment_method_invalid",
        )]));
    }
    let q = cancellation::quote(&quote_facts(&c, notice)).map_err(ServiceError::fields)?;
    let c = svc
        .store
        .cancel_contract(
            &p.actor(),
            p.clinic.id,
            id,
            notice,
            &serde_json::to_value(&q).map_err(ServiceError::internal)?,
            q.refund.unwrap_or(0),
            input.refund_method.trim(),
        )
        .await?;
    Ok(contract_view(p, c))
}

// ---------------------------------------------------------------------------------------------
// Payments and receipts

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentIn {
    /// Yen received.
    pub amount: String,
    /// cash, card, transfer
    pub method: String,
    pub note: Option<String>,
}

/// A payment with its receipt.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentReceipt {
    pub payment: Payment,
    pub receipt: Receipt,
}

fn receipt_of(lines: Vec<ReceiptLine>) -> Result<(serde_json::Value, Yen), ServiceError> {
    let t = tax::receipt_tax(lines.iter().map(|l| (l.tax_rate, l.amount)))
        .map_err(|e| ServiceError::fields(vec![e]))?;
    Ok((
        serde_json::to_value(&t).map_err(ServiceError::internal)?,
        t.total,
    ))
}

/// Records a payment and issues its receipt (the next number of the
/// clinic). The receipt's lines follow the contract's lines in proportion
/// when it mixes tax rates; with one rate, one line.
pub async fn pay(
    svc: &Service,
    p: &Principal,
    contract_id: Uuid,
    input: &PaymentIn,
) -> Result<PaymentReceipt, ServiceError> {
    p.require(Permission::PaymentRecord)?;
    let c = contract_of(svc, p, contract_id).await?;
    let mut errs = Vec::new();
    let amount = yen(&input.amount, "amount", &mut errs);
    let method = input.method.trim();
    if !matches!(method, "cash" | "card" | "transfer") {
        errs.push(FieldError::new("method", "payment_method_invalid"));
    }
    if c.status != "active" {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "contract_not_active",
        ));
    }
    let Some(amount) = amount.filter(|_| errs.is_empty()) else {
        return Err(ServiceError::fields(errs));
    };
    // The balance is checked by the store inside the transaction that
    // writes the payment and its receipt (a check here could be passed by
    // two payments at once).
    // One line per tax rate of the contract, in proportion (the last rate
    // takes the rounding remainder so the lines add up to the payment).
    let mut rates: Vec<(TaxRate, Yen)> = Vec::new();
    for l in &c.lines {
        let v = l.unit_price * Yen::from(l.quantity);
        match rates.iter_mut().find(|(r, _)| *r == l.tax_rate) {
            Some((_, sum)) => *sum += v,
            None => rates.push((l.tax_rate, v)),
        }
    }
    let mut lines = Vec::new();
    let mut left = amount;
    for (i, (rate, part)) in rates.iter().enumerate() {
        let share = if i + 1 == rates.len() {
            left
        } else {
            let s = i128::from(amount) * i128::from(*part) / i128::from(c.total.max(1));
            Yen::try_from(s).unwrap_or(0)
        };
        left -= share;
        lines.push(ReceiptLine {
            description: format!(
                "{}（契約 {}）",
                c.lines
                    .first()
                    .map(|l| l.name_ja.as_str())
                    .unwrap_or("施術"),
                c.number
            ),
            amount: share,
            tax_rate: *rate,
        });
    }
    let (tax, total) = receipt_of(lines.clone())?;
    let written = svc
        .store
        .record_payment_with_receipt(
            &p.actor(),
            p.clinic.id,
            contract_id,
            &NewPayment {
                amount,
                method: method.to_string(),
                note: opt(&input.note).map(str::to_string),
                at: svc.now_ts(),
            },
            &NewReceipt {
                contract_id: Some(contract_id),
                payment_id: None,
                lines,
                tax,
                total,
                reissue_of: None,
                reverses: None,
            },
        )
        .await;
    match written {
        Ok((payment, receipt)) => Ok(PaymentReceipt { payment, receipt }),
        Err(StoreError::Conflict("payment_above_balance")) => {
            Err(ServiceError::fields(vec![FieldError::new(
                "amount",
                "payment_above_balance",
            )]))
        }
        Err(e) => Err(e.into()),
    }
}

/// A reissue (marked as such) or a reversal slip (every line negated) of a
/// receipt; the original is never changed.
pub async fn reissue_or_reverse(
    svc: &Service,
    p: &Principal,
    receipt_id: Uuid,
    reverse: bool,
) -> Result<Receipt, ServiceError> {
    p.require(Permission::PaymentRecord)?;
    let r = svc
        .store
        .receipt(p.clinic.id, receipt_id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    if r.reverses.is_some() && reverse {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "receipt_is_reversal",
        ));
    }
    let lines: Vec<ReceiptLine> = if reverse {
        r.lines
            .iter()
            .map(|l| ReceiptLine {
                amount: -l.amount,
                ..l.clone()
            })
            .collect()
    } else {
        r.lines.clone()
    };
    let (tax, total) = receipt_of(lines.clone())?;
    Ok(svc
        .store
        .issue_receipt(
            &p.actor(),
            p.clinic.id,
            &NewReceipt {
                contract_id: r.contract_id,
                payment_id: r.payment_id,
                lines,
                tax,
                total,
                reissue_of: (!reverse).then_some(r.id),
                reverses: reverse.then_some(r.id),
            },
        )
        .await?)
}

pub async fn receipts(
    svc: &Service,
    p: &Principal,
    contract_id: Uuid,
) -> Result<Vec<Receipt>, ServiceError> {
    p.require(Permission::ContractRead)?;
    contract_of(svc, p, contract_id).await?;
    Ok(svc
        .store
        .receipts_of_contract(p.clinic.id, contract_id)
        .await?)
}

/// The daily sales: payments and refunds of a local day.
#[derive(Debug, Clone, Serialize)]
pub struct DailySales {
    pub date: Date,
    pub received: Yen,
    pub refunded: Yen,
    pub net: Yen,
    pub payments: Vec<Payment>,
}

pub async fn daily_sales(
    svc: &Service,
    p: &Principal,
    day: &str,
) -> Result<DailySales, ServiceError> {
    p.require(Permission::ContractRead)?;
    let date = if day.trim().is_empty() {
        clinic_today(p)
    } else {
        day.trim()
            .parse::<Date>()
            .map_err(|_| ServiceError::fields(vec![FieldError::new("date", "date_invalid")]))?
    };
    let tz = crate::plans::clinic_tz(p);
    let at = |d: Date| -> Result<Ts, ServiceError> {
        d.to_zoned(tz.clone())
            .map(|z| Ts::from(z.timestamp()))
            .map_err(ServiceError::internal)
    };
    let next = date.tomorrow().map_err(ServiceError::internal)?;
    let payments = svc
        .store
        .payments_between(p.clinic.id, at(date)?, at(next)?)
        .await?;
    let received = payments
        .iter()
        .filter(|x| x.amount > 0)
        .map(|x| x.amount)
        .sum();
    let refunded: Yen = payments
        .iter()
        .filter(|x| x.amount < 0)
        .map(|x| -x.amount)
        .sum();
    Ok(DailySales {
        date,
        received,
        refunded,
        net: received - refunded,
        payments,
    })
}

// ---------------------------------------------------------------------------------------------
// The clinic's business profile and the contract documents

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileIn {
    pub legal_name: String,
    pub address: String,
    pub phone: String,
    pub representative: String,
    /// `T` and 13 digits (適格請求書発行事業者の登録番号), when registered.
    pub registration_number: Option<String>,
    /// How advance payments are protected, or that they are not.
    pub advance_payment_protection: String,
}

pub async fn profile(svc: &Service, p: &Principal) -> Result<Option<ClinicProfile>, ServiceError> {
    p.require(Permission::ViewHome)?;
    Ok(svc.store.clinic_profile(p.clinic.id).await?)
}

/// Sets the clinic's business profile (admins). The registration number
/// is checked for its form (`T` and 13 digits).
pub async fn set_profile(
    svc: &Service,
    p: &Principal,
    input: &ProfileIn,
) -> Result<ClinicProfile, ServiceError> {
    p.require(Permission::ManageSettings)?;
    let mut errs = Vec::new();
    for (field, v) in [
        ("legal_name", &input.legal_name),
        ("address", &input.address),
        ("phone", &input.phone),
        ("representative", &input.representative),
        (
            "advance_payment_protection",
            &input.advance_payment_protection,
        ),
    ] {
        if v.trim().is_empty() {
            errs.push(FieldError::new(field, "field_required"));
        } else if v.chars().count() > 500 {
            errs.push(FieldError::new(field, "field_too_long"));
        }
    }
    let reg = opt(&input.registration_number).map(|r| r.to_uppercase());
    if let Some(r) = &reg {
        let digits = r.strip_prefix('T').unwrap_or("");
        if digits.len() != 13 || !digits.chars().all(|c| c.is_ascii_digit()) {
            errs.push(FieldError::new(
                "registration_number",
                "registration_number_invalid",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    let profile = ClinicProfile {
        legal_name: input.legal_name.trim().to_string(),
        address: input.address.trim().to_string(),
        phone: input.phone.trim().to_string(),
        representative: input.representative.trim().to_string(),
        registration_number: reg,
        advance_payment_protection: input.advance_payment_protection.trim().to_string(),
    };
    Ok(svc
        .store
        .set_clinic_profile(&p.actor(), p.clinic.id, &profile)
        .await?)
}

fn payment_plan_ja(plan: &str) -> &'static str {
    match plan {
        "lump_sum" => "一括払い",
        "instalments" => "分割払い（支払日は別紙の支払予定のとおり）",
        _ => "月額払い",
    }
}

/// The document's content: every item regulatory.md §3.2 lists, in
/// Japanese (the language of the contract).
fn document_content(
    kind: &str,
    clinic: &str,
    profile: &ClinicProfile,
    c: &Contract,
    patient: &str,
    made_by: &str,
    made_on: Date,
) -> Result<jousei_documents::ContractDocument, ServiceError> {
    let contract = kind == "contract";
    let yen = |v: Yen| jousei_core::commerce::format_yen(v, jousei_core::locale::Locale::Ja);
    let t = tax::receipt_tax(
        c.lines
            .iter()
            .map(|l| (l.tax_rate, l.unit_price * Yen::from(l.quantity))),
    )
    .map_err(|e| ServiceError::fields(vec![e]))?;
    let terms: Option<ClinicTerms> = serde_json::from_value(c.terms.clone()).ok().flatten();
    let before = terms
        .and_then(|x| x.before_start_fee)
        .map_or(20_000, |f| f.min(20_000));
    let cap = terms
        .and_then(|x| x.after_start_fee_cap)
        .map_or(50_000, |f| f.min(50_000));
    let pct = terms
        .and_then(|x| x.after_start_fee_percent)
        .map_or(20, |f| f.min(20));
    let mut business = vec![
        (
            "名称".to_string(),
            format!("{}（{}）", profile.legal_name, clinic),
        ),
        ("住所".into(), profile.address.clone()),
        ("電話番号".into(), profile.phone.clone()),
        ("代表者".into(), profile.representative.clone()),
    ];
    if contract {
        business.push(("契約締結担当者".into(), made_by.to_string()));
        business.push((
            "契約締結年月日".into(),
            jousei_core::commerce::format_date(made_on, jousei_core::locale::Locale::Ja),
        ));
    }
    let service = vec![
        ("ご契約者".to_string(), patient.to_string()),
        (
            "役務の内容".into(),
            c.lines
                .iter()
                .map(|l| format!("{} × {}", l.name_ja, l.quantity))
                .collect::<Vec<_>>()
                .join("、"),
        ),
        (
            "提供の方法".into(),
            "医師（または医師の指示を受けた看護師）による施術".into(),
        ),
        ("回数の総計".into(), format!("{}回", c.sessions)),
        (
            "提供期間".into(),
            match c.ends_on {
                Some(e) => format!(
                    "{} から {} まで",
                    jousei_core::commerce::format_date(
                        c.starts_on,
                        jousei_core::locale::Locale::Ja
                    ),
                    jousei_core::commerce::format_date(e, jousei_core::locale::Locale::Ja)
                ),
                None => format!(
                    "{} から（期間の定めなし・回数のみ）",
                    jousei_core::commerce::format_date(
                        c.starts_on,
                        jousei_core::locale::Locale::Ja
                    )
                ),
            },
        ),
        ("購入が必要な商品（関連商品）".into(), "ありません".into()),
    ];
    let mut money = vec![(
        if contract {
            "対価の総額（税込）"
        } else {
            "対価の概算額（税込）"
        }
        .to_string(),
        yen(c.total),
    )];
    for r in &t.by_rate {
        money.push((format!("うち消費税（{}%）", r.percent), yen(r.tax)));
    }
    for l in &c.lines {
        money.push((
            format!("内訳：{}", l.name_ja),
            format!(
                "{} × {} = {}",
                yen(l.unit_price),
                l.quantity,
                yen(l.unit_price * Yen::from(l.quantity))
            ),
        ));
    }
    money.push((
        "支払の方法・時期".into(),
        payment_plan_ja(&c.payment_plan).to_string(),
    ));
    money.push((
        "前受金の保全措置".into(),
        profile.advance_payment_protection.clone(),
    ));
    money.push((
        "割賦販売法に基づく抗弁権の接続".into(),
        "クレジット契約で支払う場合、役務の提供に問題があるときは、その事由をもってクレジット会社への支払を拒むことができる場合があります。".into(),
    ));
    let title = if contract {
        "契約書面"
    } else {
        "概要書面（契約前にお渡しする書面）"
    };
    Ok(jousei_documents::ContractDocument {
        lang: "ja".into(),
        title: title.into(),
        clinic: clinic.to_string(),
        kind: format!("契約番号 {}", c.number),
        read_notice: "この書面の内容を十分にお読みください。".into(),
        sections: vec![
            ("事業者".into(), business),
            ("役務の内容".into(), service),
            ("お支払い".into(), money),
        ],
        cooling_off_heading: "クーリング・オフについて".into(),
        cooling_off_text: [
            "契約書面を受け取った日を含めて8日間は、書面または電磁的記録（電子メール等）により、無条件で契約を解除（クーリング・オフ）できます。",
            "クーリング・オフの効力は、書面または電磁的記録を発した時に生じます。",
            "すでに施術を受けていても、支払った金額の全額が返還され、損害賠償や違約金を請求されることはありません。",
            "事業者が事実と違うことを告げたり威迫したりしたためにクーリング・オフをしなかった場合は、改めて書面を受け取った日から8日間はクーリング・オフができます。",
        ]
        .join("\n"),
        texts: vec![
            (
                "中途解約について".into(),
                format!(
                    "クーリング・オフ期間の経過後も、将来に向かって契約を解除（中途解約）できます。\n施術の開始前：解約手数料は{}を上限とします。\n施術の開始後：提供済みの施術の対価（契約の単価による）に加え、{}または契約残額の{}%のいずれか低い額を上限とします。\nこれを超える額を受け取っている場合は返還します。",
                    yen(before),
                    yen(cap),
                    pct
                ),
            ),
            (
                "特約".into(),
                if terms.is_some() {
                    "解約手数料について、上記のとおり法定の上限より低い額を定めています。".into()
                } else {
                    "ありません。".into()
                },
            ),
        ],
        note: "この書面は jousei により契約の記録から作成され、作成時の内容のまま保管されます。".into(),
        footer: format!("{} {} {}", profile.legal_name, profile.address, profile.phone),
        date: Timestamp::now(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentIn {
    /// `summary` (概要書面, before the contract) or `contract` (契約書面).
    pub kind: String,
}

/// Makes a contract document as PDF and keeps it (once per kind).
pub async fn make_document(
    svc: &Service,
    p: &Principal,
    contract_id: Uuid,
    input: &DocumentIn,
) -> Result<ContractDocument, ServiceError> {
    p.require(Permission::ContractWrite)?;
    let kind = input.kind.trim();
    if !matches!(kind, "summary" | "contract") {
        return Err(ServiceError::fields(vec![FieldError::new(
            "kind",
            "contract_document_kind_invalid",
        )]));
    }
    let c = contract_of(svc, p, contract_id).await?;
    let Some(profile) = svc.store.clinic_profile(p.clinic.id).await? else {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "clinic_profile_missing",
        ));
    };
    let patient = svc
        .store
        .patient(p.clinic.id, c.patient_id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let made_by = match c.made_by {
        Some(id) => svc
            .store
            .user_by_id(id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let made_on = crate::plans::local_date(c.made_at, &crate::plans::clinic_tz(p));
    let doc = document_content(
        kind,
        &p.clinic.name,
        &profile,
        &c,
        &format!("{}（{}）", patient.facts.name, patient.number),
        &made_by,
        made_on,
    )?;
    let pdf = tokio::task::spawn_blocking(move || jousei_documents::contract_pdf(&doc))
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)?;
    Ok(svc
        .store
        .keep_contract_document(
            &p.actor(),
            p.clinic.id,
            contract_id,
            kind,
            &pdf.bytes,
            &pdf.sha256,
        )
        .await?)
}

pub async fn document_pdf(
    svc: &Service,
    p: &Principal,
    document_id: Uuid,
) -> Result<Vec<u8>, ServiceError> {
    p.require(Permission::ContractRead)?;
    svc.store
        .contract_document_pdf(p.clinic.id, document_id)
        .await?
        .ok_or_else(ServiceError::not_found)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HandoverIn {
    /// `paper` or `electronic`.
    pub method: String,
    /// The day the patient received it (YYYY-MM-DD).
    pub received_on: String,
    /// For `electronic`: the patient consented beforehand to receiving it
    /// electronically (required).
    pub electronic_consent: bool,
    /// The member of the clinic's staff who handed it over (a user id);
    /// the person recording the handover when left out.
    pub handed_by: Option<String>,
}

pub async fn hand_over(
    svc: &Service,
    p: &Principal,
    document_id: Uuid,
    input: &HandoverIn,
) -> Result<ContractDocument, ServiceError> {
    p.require(Permission::ContractWrite)?;
    let mut errs = Vec::new();
    let method = input.method.trim();
    match method {
        "paper" => {}
        "electronic" if input.electronic_consent => {}
        "electronic" => errs.push(FieldError::new(
            "electronic_consent",
            "contract_electronic_consent_required",
        )),
        _ => errs.push(FieldError::new("method", "handover_method_invalid")),
    }
    let doc = svc
        .store
        .contract_document(p.clinic.id, document_id)
        .await?
        .ok_or_else(ServiceError::not_found)?;
    let c = contract_of(svc, p, doc.contract_id).await?;
    let tz = crate::plans::clinic_tz(p);
    // Not before the contract was concluded (the contract document; the
    // summary is handed over before it) or the document made, not after
    // today: a backdated day would end the cooling-off before it began.
    let received = input.received_on.trim().parse::<Date>().ok();
    match received {
        None => errs.push(FieldError::new("received_on", "date_invalid")),
        Some(d) => {
            let concluded =
                (doc.kind == "contract").then(|| crate::plans::local_date(c.made_at, &tz));
            let made = crate::plans::local_date(doc.made_at, &tz);
            if let Err(e) = cooling_off::check_received(d, concluded, made, clinic_today(p)) {
                errs.push(e);
            }
        }
    }
    let staff_id = match opt(&input.handed_by) {
        None => Some(p.user.id),
        Some(raw) => {
            let staff = svc.store.users_in_clinic(p.clinic.id).await?;
            let found = Uuid::parse_str(raw)
                .ok()
                .filter(|id| staff.iter().any(|(u, _)| u.id == *id && u.active));
            if found.is_none() {
                errs.push(FieldError::new("handed_by", "contract_handed_by_unknown"));
            }
            found
        }
    };
    let (Some(received), Some(staff_id)) = (received, staff_id) else {
        return Err(ServiceError::fields(errs));
    };
    if !errs.is_empty() {
        return Err(ServiceError::fields(errs));
    }
    Ok(svc
        .store
        .hand_over_document(
            &p.actor(),
            p.clinic.id,
            document_id,
            method,
            received,
            staff_id,
        )
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Reports

/// One contract in a report.
#[derive(Debug, Clone, Serialize)]
pub struct ContractLineReport {
    pub id: Uuid,
    pub number: String,
    pub patient_id: Uuid,
    pub total: Yen,
    pub paid: Yen,
    pub balance: Yen,
    pub sessions: u32,
    pub sessions_used: u32,
    /// Paid for sessions given (at the contract's unit price, rounded down).
    pub earned: Yen,
    /// Paid in advance for sessions not yet given (前受金).
    pub unearned: Yen,
    pub cooling_off: cooling_off::Status,
}

/// Active contracts: what is paid in advance and what is earned (役務消化),
/// those in their cooling-off, and the balances due.
#[derive(Debug, Clone, Serialize)]
pub struct ContractReport {
    pub today: Date,
    pub active: usize,
    pub paid: Yen,
    pub earned: Yen,
    pub unearned: Yen,
    pub balance_due: Yen,
    pub contracts: Vec<ContractLineReport>,
}

pub async fn contract_report(svc: &Service, p: &Principal) -> Result<ContractReport, ServiceError> {
    p.require(Permission::ContractRead)?;
    let list = svc.store.contracts(p.clinic.id).await?;
    let mut contracts = Vec::new();
    for c in list.into_iter().filter(|c| c.status == "active") {
        let used = c.sessions_used.min(c.sessions);
        let given_value = cancellation::provided_value(c.total, c.sessions.max(1), used);
        let earned = c.paid.clamp(0, given_value);
        let v = contract_view(p, c);
        contracts.push(ContractLineReport {
            id: v.contract.id,
            number: v.contract.number.clone(),
            patient_id: v.contract.patient_id,
            total: v.contract.total,
            paid: v.contract.paid,
            balance: v.balance,
            sessions: v.contract.sessions,
            sessions_used: v.contract.sessions_used,
            earned,
            unearned: (v.contract.paid - earned).max(0),
            cooling_off: v.cooling_off,
        });
    }
    Ok(ContractReport {
        today: clinic_today(p),
        active: contracts.len(),
        paid: contracts.iter().map(|c| c.paid).sum(),
        earned: contracts.iter().map(|c| c.earned).sum(),
        unearned: contracts.iter().map(|c| c.unearned).sum(),
        balance_due: contracts.iter().map(|c| c.balance).sum(),
        contracts,
    })
}
