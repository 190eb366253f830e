//! Stock, first-expiry-first-out.

use super::*;

pub struct StockView {
    pub lot_id: Uuid,
    pub lot_number: String,
    pub location: String,
    pub expiry: String,
    pub expired: bool,
    pub state: &'static str,
    pub state_label: String,
    pub vials: i64,
    /// Why it is not available (for unavailable lines).
    pub why: String,
}

pub struct ProductStockView {
    pub id: Uuid,
    pub name: String,
    pub available: i64,
    pub unavailable: i64,
    /// Available lines, first to pick first.
    pub fefo: Vec<StockView>,
    pub held: Vec<StockView>,
}

#[derive(Template)]
#[template(path = "supply/stock.html")]
pub(crate) struct StockPage<'a> {
    l: Layout<'a>,
    products: Vec<ProductStockView>,
    by_location: Vec<StockView>,
}

pub(crate) async fn stock_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let l = Layout::new(&state, &ctx, "sui-stock-title", "/supply/stock");
    let now = ops::clinic_now(&p);
    let rows = state.store.stock(p.clinic.id).await?;
    let products = state.store.products(p.clinic.id).await?;
    let locations = state.store.locations(p.clinic.id).await?;
    let view = |s: &StockRow| {
        let why = unavailability_at(s.lot.state, s.lot.expiry, s.lot.expiry_time, now);
        let shown = shown_state_at(s.lot.state, s.lot.expiry, s.lot.expiry_time, now);
        StockView {
            lot_id: s.lot.id,
            lot_number: s.lot.lot_number.clone(),
            location: locations
                .iter()
                .find(|x| x.id == s.location_id)
                .map(|x| format!("{} {}", x.code, x.name))
                .unwrap_or_else(|| s.location_code.clone()),
            expiry: match s.lot.expiry_time {
                Some(t) => format!("{} {}", s.lot.expiry, t.strftime("%H:%M")),
                None => s.lot.expiry.to_string(),
            },
            expired: jousei_core::supply::lot::is_expired_at(s.lot.expiry, s.lot.expiry_time, now),
            state: shown,
            state_label: l.t(&format!("state-{shown}")),
            vials: s.vials,
            why: why
                .map(|c| message(&state.i18n, ctx.locale, c, &[]))
                .unwrap_or_default(),
        }
    };
    let per_product = ops::stock_per_product(&products, &rows, now);
    let product_views = products
        .iter()
        .filter_map(|prod| {
            let mine: Vec<&StockRow> = rows
                .iter()
                .filter(|s| s.lot.product_id == prod.id && s.vials > 0)
                .collect();
            if mine.is_empty() {
                return None;
            }
            let lines: Vec<StockLine> = mine
                .iter()
                .map(|s| StockLine {
                    lot_id: s.lot.id,
                    lot_number: s.lot.lot_number.clone(),
                    location_id: s.location_id,
                    state: s.lot.state,
                    expiry: s.lot.expiry,
                    expiry_time: s.lot.expiry_time,
                    received_seq: s.lot.received_seq,
                    vials: s.vials,
                })
                .collect();
            let order = fefo(&lines, now);
            let fefo_rows = order
                .iter()
                .filter_map(|line| {
                    mine.iter()
                        .find(|s| s.lot.id == line.lot_id && s.location_id == line.location_id)
                })
                .map(|s| view(s))
                .collect();
            let held = mine
                .iter()
                .filter(|s| {
                    unavailability_at(s.lot.state, s.lot.expiry, s.lot.expiry_time, now).is_some()
                })
                .map(|s| view(s))
                .collect();
            let totals = per_product.iter().find(|x| x.product_id == prod.id);
            Some(ProductStockView {
                id: prod.id,
                name: product_label(&l, prod),
                available: totals.map(|t| t.available).unwrap_or(0),
                unavailable: totals.map(|t| t.unavailable).unwrap_or(0),
                fefo: fefo_rows,
                held,
            })
        })
        .collect();
    let mut sorted: Vec<&StockRow> = rows.iter().filter(|s| s.vials > 0).collect();
    sorted.sort_by(|a, b| {
        (&a.location_code, a.lot.expiry, &a.lot.lot_number).cmp(&(
            &b.location_code,
            b.lot.expiry,
            &b.lot.lot_number,
        ))
    });
    let by_location = sorted.into_iter().map(view).collect();
    render(&StockPage {
        l,
        products: product_views,
        by_location,
    })
}
