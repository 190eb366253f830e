//! Stock movements and the supply dashboard.

use jiff::civil::DateTime;
use jousei_core::error::FieldError;
use jousei_core::role::Permission;
use jousei_core::supply::lot::LotState;
use jousei_core::supply::stock::MovementKind;
use jousei_store::supply::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::auth::Principal;
use crate::error::ServiceError;

use super::{clinic_now, opt};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MovementIn {
    pub lot_id: String,
    pub location_id: String,
    /// move, destroy, adjust (receive is done by receiving a lot; use by the point of care)
    pub kind: String,
    /// Vials; for adjust, the signed change
    pub quantity: String,
    pub to_location_id: Option<String>,
    pub reason: Option<String>,
    /// Login of the witness (destroy)
    pub witness: Option<String>,
}

pub async fn record_movement(
    svc: &Service,
    p: &Principal,
    input: &MovementIn,
) -> Result<(), ServiceError> {
    p.require(Permission::StockMove)?;
    let mut errs = Vec::new();
    let kind = match MovementKind::parse(&input.kind) {
        Some(k @ (MovementKind::Move | MovementKind::Destroy | MovementKind::Adjust)) => Some(k),
        _ => {
            errs.push(FieldError::new("kind", "code_unknown"));
            None
        }
    };
    let lot_id = input
        .lot_id
        .trim()
        .parse::<Uuid>()
        .map_err(|_| errs.push(FieldError::new("lot_id", "field_required")))
        .ok();
    let location_id = input
        .location_id
        .trim()
        .parse::<Uuid>()
        .map_err(|_| errs.push(FieldError::new("location_id", "field_required")))
        .ok();
    let quantity = input
        .quantity
        .trim()
        .parse::<i64>()
        .map_err(|_| errs.push(FieldError::new("quantity", "quantity_invalid")))
        .ok();
    let to_location_id = match opt(&input.to_location_id) {
        Some(t) => t
            .parse::<Uuid>()
            .map_err(|_| errs.push(FieldError::new("to_location", "destination_invalid")))
            .ok(),
        None => None,
    };
    let witness_id = match opt(&input.witness) {
        Some(login) => match svc
            .store
            .user_credentials(&login.to_ascii_lowercase())
            .await?
        {
            Some(c) => Some(c.user.id),
            None => {
                errs.push(FieldError::new("witness", "witness_invalid"));
                None
            }
        },
        None => None,
    };
    let (Some(kind), Some(lot_id), Some(location_id), Some(quantity), true) =
        (kind, lot_id, location_id, quantity, errs.is_empty())
    else {
        return Err(ServiceError::fields(errs));
    };
    let m = NewMovement {
        lot_id,
        location_id,
        kind,
        quantity,
        to_location_id,
        reason: opt(&input.reason),
        witness_id,
    };
    match svc.store.record_movement(&p.actor(), p.clinic.id, &m).await {
        Ok(()) => Ok(()),
        Err(MovementError::Invalid(e)) => Err(ServiceError::fields(e)),
        Err(MovementError::Store(e)) => Err(e.into()),
    }
}

/// Stock per product for the dashboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductStock {
    pub product_id: Uuid,
    pub code: String,
    pub name: String,
    /// Released, in date, on hand.
    pub available: i64,
    /// Quarantined, on hold, recalled, rejected or expired: never available.
    pub unavailable: i64,
}

pub fn stock_per_product(
    products: &[Product],
    stock: &[StockRow],
    now: DateTime,
) -> Vec<ProductStock> {
    products
        .iter()
        .map(|p| {
            let lines: Vec<&StockRow> = stock.iter().filter(|s| s.lot.product_id == p.id).collect();
            let available: i64 = lines
                .iter()
                .filter(|s| {
                    jousei_core::supply::lot::unavailability_at(
                        s.lot.state,
                        s.lot.expiry,
                        s.lot.expiry_time,
                        now,
                    )
                    .is_none()
                })
                .map(|s| s.vials)
                .sum();
            let total: i64 = lines.iter().map(|s| s.vials).sum();
            ProductStock {
                product_id: p.id,
                code: p.facts.code.clone(),
                name: p.facts.name.clone(),
                available,
                unavailable: total - available,
            }
        })
        .collect()
}

/// Vials of an expired lot still on hand at one location: to destroy.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExpiredStock {
    #[schema(value_type = Object)]
    pub lot: Lot,
    pub location_id: Uuid,
    pub location_code: String,
    pub vials: i64,
}

/// Vials on hand of lots past their expiry at `now` (local) that are not recalled or rejected,
/// soonest expiry first (the ledger's order).
pub fn expired_stock(stock: &[StockRow], now: DateTime) -> Vec<ExpiredStock> {
    stock
        .iter()
        .filter(|s| {
            s.vials > 0
                && jousei_core::supply::lot::shown_state_at(
                    s.lot.state,
                    s.lot.expiry,
                    s.lot.expiry_time,
                    now,
                ) == "expired"
        })
        .map(|s| ExpiredStock {
            lot: s.lot.clone(),
            location_id: s.location_id,
            location_code: s.location_code.clone(),
            vials: s.vials,
        })
        .collect()
}

/// Lots to look at now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub today: String,
    pub expiring_within_days: i64,
    #[schema(value_type = Vec<Object>)]
    pub expiring: Vec<Lot>,
    #[schema(value_type = Vec<Object>)]
    pub on_hold: Vec<Lot>,
    #[schema(value_type = Vec<Object>)]
    pub quarantined: Vec<Lot>,
    #[schema(value_type = Vec<Object>)]
    pub open_excursions: Vec<Excursion>,
    /// Stock past its expiry now (by date, or to the minute for a lot with an expiry time), per lot and location (soonest expiry
    /// first): never available, to be destroyed (a `destroy` movement with a witness).
    /// Recalled and rejected lots are followed through their own lists.
    pub expired_stock: Vec<ExpiredStock>,
    pub stock: Vec<ProductStock>,
}

pub async fn dashboard(svc: &Service, p: &Principal, days: i64) -> Result<Dashboard, ServiceError> {
    p.require(Permission::SupplyRead)?;
    let now = clinic_now(p);
    let today = now.date();
    let horizon = today
        .checked_add(jiff::Span::new().days(days.clamp(1, 365)))
        .unwrap_or(today);
    let lots = svc.store.lots(p.clinic.id).await?;
    let stock = svc.store.stock(p.clinic.id).await?;
    let products = svc.store.products(p.clinic.id).await?;
    let in_stock = |id: Uuid| stock.iter().any(|s| s.lot.id == id && s.vials > 0);
    let mut expiring: Vec<Lot> = lots
        .iter()
        .filter(|l| {
            l.state == LotState::Released
                && !jousei_core::supply::lot::is_expired_at(l.expiry, l.expiry_time, now)
                && l.expiry <= horizon
                && in_stock(l.id)
        })
        .cloned()
        .collect();
    expiring.sort_by_key(|l| l.expiry);
    Ok(Dashboard {
        today: today.to_string(),
        expiring_within_days: days,
        expiring,
        on_hold: lots
            .iter()
            .filter(|l| l.state == LotState::OnHold)
            .cloned()
            .collect(),
        quarantined: lots
            .iter()
            .filter(|l| l.state == LotState::Quarantined)
            .cloned()
            .collect(),
        open_excursions: svc.store.excursions(p.clinic.id, true).await?,
        expired_stock: expired_stock(&stock, now),
        stock: stock_per_product(&products, &stock, now),
    })
}
