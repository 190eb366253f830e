//! The supply dashboard.

use super::*;

pub struct ExcursionRow {
    pub location: String,
    pub start: String,
    pub end: String,
    pub minutes: i64,
    pub extreme: String,
    pub direction: String,
    pub lots: String,
}

/// Expired vials on hand at one location.
pub struct ExpiredRow {
    pub lot: LotRow,
    pub location: String,
    pub vials: i64,
}

pub struct StockBar {
    pub code: String,
    pub name: String,
    pub available: i64,
    pub unavailable: i64,
}

#[derive(Template)]
#[template(path = "supply/dashboard.html")]
pub(crate) struct DashboardPage<'a> {
    l: Layout<'a>,
    days: i64,
    expiring: Vec<LotRow>,
    on_hold: Vec<LotRow>,
    quarantined: Vec<LotRow>,
    expired: Vec<ExpiredRow>,
    excursions: Vec<ExcursionRow>,
    stock: Vec<StockBar>,
    chart: String,
    expiring_heading: String,
    can_write: bool,
}

#[derive(Deserialize)]
pub(crate) struct DashboardQuery {
    days: Option<String>,
}

/// A horizontal stacked bar chart of available and never-available vials
/// per product (SVG, no inline style: colours come from the stylesheet).
pub(crate) fn stock_chart(l: &Layout<'_>, bars: &[StockBar]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let label_w = 150_i64;
    let bar_w = 420_i64;
    let row_h = 30_i64;
    let max = bars
        .iter()
        .map(|b| b.available + b.unavailable)
        .max()
        .unwrap_or(1)
        .max(1);
    let height = row_h * i64::try_from(bars.len()).unwrap_or(0) + 34;
    let title = escape_xml(&l.t("sui-chart-title"));
    let mut s = format!(
        "<svg class=\"stock-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-labelledby=\"stock-chart-title\" data-testid=\"stock-chart\"><title id=\"stock-chart-title\">{title}</title>",
        w = label_w + bar_w + 70
    );
    for (i, b) in bars.iter().enumerate() {
        let y = row_h * i64::try_from(i).unwrap_or(0) + 4;
        let aw = b.available * bar_w / max;
        let uw = b.unavailable * bar_w / max;
        let _ = write!(
            s,
            "<g><text class=\"chart-label\" x=\"0\" y=\"{ty}\">{code}</text><rect class=\"bar-available\" x=\"{label_w}\" y=\"{y}\" width=\"{aw}\" height=\"20\"><title>{al}: {a}</title></rect><rect class=\"bar-unavailable\" x=\"{ux}\" y=\"{y}\" width=\"{uw}\" height=\"20\"><title>{ul}: {u}</title></rect><text class=\"chart-value\" x=\"{vx}\" y=\"{ty}\">{a} / {t}</text></g>",
            ty = y + 15,
            code = escape_xml(&b.code),
            al = escape_xml(&l.t("sui-available")),
            ul = escape_xml(&l.t("sui-unavailable")),
            a = b.available,
            u = b.unavailable,
            t = b.available + b.unavailable,
            ux = label_w + aw,
            vx = label_w + aw + uw + 6,
        );
    }
    let ly = row_h * i64::try_from(bars.len()).unwrap_or(0) + 12;
    let _ = write!(
        s,
        "<g class=\"chart-legend\"><rect class=\"bar-available\" x=\"{label_w}\" y=\"{ly}\" width=\"14\" height=\"14\"/><text x=\"{x1}\" y=\"{ty}\">{al}</text><rect class=\"bar-unavailable\" x=\"{x2}\" y=\"{ly}\" width=\"14\" height=\"14\"/><text x=\"{x3}\" y=\"{ty}\">{ul}</text></g></svg>",
        x1 = label_w + 20,
        x2 = label_w + 180,
        x3 = label_w + 200,
        ty = ly + 12,
        al = escape_xml(&l.t("sui-available")),
        ul = escape_xml(&l.t("sui-unavailable-short")),
    );
    s
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, ApiError> {
    let days = q
        .days
        .as_deref()
        .and_then(|d| d.trim().parse::<i64>().ok())
        .unwrap_or(30)
        .clamp(1, 365);
    let d = ops::dashboard(&state, &p, days).await?;
    let l = Layout::new(&state, &ctx, "sui-dashboard-title", "/supply");
    let now = ops::clinic_now(&p);
    let zone = p.clinic.time_zone.clone();
    let rows = |v: &[Lot]| {
        v.iter()
            .map(|x| lot_row(&l, x, now, &zone))
            .collect::<Vec<_>>()
    };
    let excursions = d
        .open_excursions
        .iter()
        .map(|e| ExcursionRow {
            location: e.location_code.clone(),
            start: local_time(e.start_at.0, &zone),
            end: local_time(e.end_at.0, &zone),
            minutes: e.minutes,
            extreme: temp(e.extreme),
            direction: l.t(&format!(
                "sui-direction-{}",
                if e.direction == "above" {
                    "above"
                } else {
                    "below"
                }
            )),
            lots: e.lots.join(", "),
        })
        .collect();
    let stock: Vec<StockBar> = d
        .stock
        .iter()
        .map(|s| StockBar {
            code: s.code.clone(),
            name: s.name.clone(),
            available: s.available,
            unavailable: s.unavailable,
        })
        .collect();
    let page = DashboardPage {
        chart: stock_chart(&l, &stock),
        expiring_heading: state.i18n.t_args(
            ctx.locale,
            "sui-expiring",
            &[("days", days.to_string())],
        ),
        expiring: rows(&d.expiring),
        on_hold: rows(&d.on_hold),
        quarantined: rows(&d.quarantined),
        expired: d
            .expired_stock
            .iter()
            .map(|e| ExpiredRow {
                lot: lot_row(&l, &e.lot, now, &zone),
                location: e.location_code.clone(),
                vials: e.vials,
            })
            .collect(),
        excursions,
        stock,
        days,
        can_write: p.can(Permission::LotReceive),
        l,
    };
    render(&page)
}
