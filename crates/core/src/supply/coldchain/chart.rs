//! The summary of a series of readings and its SVG chart.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::{Excursion, Reading};
use crate::supply::units::{DeciCelsius, fmt_fixed};

// ---------------------------------------------------------------------------
// Summary and chart
// ---------------------------------------------------------------------------

/// What a chart or a list header shows about a set of readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub count: usize,
    pub first: Timestamp,
    pub last: Timestamp,
    pub min: DeciCelsius,
    pub max: DeciCelsius,
}

/// Count, first and last time, lowest and highest temperature; `None` for
/// no readings. The input need not be sorted.
pub fn summary(readings: &[Reading]) -> Option<Summary> {
    let first = readings.first()?;
    let mut s = Summary {
        count: readings.len(),
        first: first.at,
        last: first.at,
        min: first.temp,
        max: first.temp,
    };
    for r in readings {
        s.first = s.first.min(r.at);
        s.last = s.last.max(r.at);
        s.min = s.min.min(r.temp);
        s.max = s.max.max(r.temp);
    }
    Some(s)
}

const MARGIN_LEFT: f64 = 56.0;
const MARGIN_RIGHT: f64 = 12.0;
pub(super) const MARGIN_TOP: f64 = 12.0;
pub(super) const MARGIN_BOTTOM: f64 = 28.0;

/// Time steps the x axis may use, in seconds.
const TIME_STEPS: &[i64] = &[
    60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172_800, 604_800, 1_209_600,
    2_592_000, 7_776_000, 31_536_000,
];

/// Temperature steps the y axis may use, in tenths of a degree.
const TEMP_STEPS: &[i64] = &[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/// Renders the readings as a small SVG line chart: the allowed band
/// `[min, max]` shaded, the given excursions highlighted as vertical bands,
/// y labels in °C and x labels in `zone`. Hand-written, deterministic, and
/// without `style` attributes (the site's Content-Security-Policy forbids
/// inline styles): colours are presentation attributes, and every element
/// has a `class` for the stylesheet. No recorded text enters the chart (only
/// numbers and dates jousei formats), so nothing in it needs escaping.
///
/// `width` and `height` are clamped to 240…4000 and 120…2000. When there are
/// more readings than twice the plot width in pixels, each pixel column
/// keeps its lowest and highest reading (in time order), so no spike is
/// lost; otherwise every reading is a point of the line.
pub fn chart_svg(
    readings: &[Reading],
    min: DeciCelsius,
    max: DeciCelsius,
    excursions: &[Excursion],
    width: u32,
    height: u32,
    zone: &TimeZone,
) -> String {
    let w = f64::from(width.clamp(240, 4000));
    let h = f64::from(height.clamp(120, 2000));
    let (pw, ph) = (
        w - MARGIN_LEFT - MARGIN_RIGHT,
        h - MARGIN_TOP - MARGIN_BOTTOM,
    );
    let (band_lo, band_hi) = (i64::from(min.0.min(max.0)), i64::from(min.0.max(max.0)));
    let mut sorted = readings.to_vec();
    sorted.sort_by_key(|r| r.at);
    let stats = summary(&sorted);

    // Temperature domain: the band and the data, padded.
    let (mut lo, mut hi) = (band_lo, band_hi);
    if let Some(s) = stats {
        lo = lo.min(i64::from(s.min.0));
        hi = hi.max(i64::from(s.max.0));
    }
    let pad = ((hi - lo) / 10).max(10);
    let (lo, hi) = (lo - pad, hi + pad);
    let y = |t: i64| MARGIN_TOP + ph * (hi - t) as f64 / (hi - lo) as f64;

    // Time domain.
    let (t0, t1) = stats.map_or((0, 0), |s| (s.first.as_second(), s.last.as_second()));
    let span = t1 - t0;
    let x = |ts: Timestamp| {
        if span == 0 {
            MARGIN_LEFT + pw / 2.0
        } else {
            MARGIN_LEFT + pw * (ts.as_second() - t0) as f64 / span as f64
        }
    };

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"coldchain-chart\" \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         font-family=\"sans-serif\" font-size=\"11\">"
    );
    let title = match stats {
        Some(s) => format!(
            "{} – {} °C · {} – {} · n={}",
            fmt_fixed(i64::from(s.min.0), 1),
            fmt_fixed(i64::from(s.max.0), 1),
            local_label(s.first, zone, "%Y-%m-%d %H:%M"),
            local_label(s.last, zone, "%Y-%m-%d %H:%M"),
            s.count
        ),
        None => "n=0".to_string(),
    };
    let _ = write!(svg, "<title>{title}</title>");
    let _ = write!(
        svg,
        "<rect class=\"plot\" x=\"{MARGIN_LEFT:.1}\" y=\"{MARGIN_TOP:.1}\" width=\"{pw:.1}\" \
         height=\"{ph:.1}\" fill=\"#ffffff\" stroke=\"#9e9e9e\"/>"
    );
    let (by0, by1) = (y(band_hi), y(band_lo));
    let _ = write!(
        svg,
        "<rect class=\"band\" x=\"{MARGIN_LEFT:.1}\" y=\"{by0:.1}\" width=\"{pw:.1}\" \
         height=\"{:.1}\" fill=\"#2e7d32\" fill-opacity=\"0.12\"/>",
        by1 - by0
    );
    for (class, t) in [("limit limit-max", band_hi), ("limit limit-min", band_lo)] {
        let ly = y(t);
        let _ = write!(
            svg,
            "<line class=\"{class}\" x1=\"{MARGIN_LEFT:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" \
             y2=\"{ly:.1}\" stroke=\"#2e7d32\" stroke-dasharray=\"4 3\"/>",
            MARGIN_LEFT + pw
        );
    }

    // Y axis.
    svg.push_str("<g class=\"y-axis\" fill=\"#424242\" text-anchor=\"end\">");
    let step = TEMP_STEPS
        .iter()
        .copied()
        .find(|s| (hi - lo) / s <= 6)
        .unwrap_or(1000);
    let mut t = lo.div_euclid(step) * step;
    if t < lo {
        t += step;
    }
    while t <= hi {
        let ty = y(t);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{MARGIN_LEFT:.1}\" y1=\"{ty:.1}\" x2=\"{:.1}\" \
             y2=\"{ty:.1}\" stroke=\"#eeeeee\"/><text x=\"{:.1}\" y=\"{:.1}\">{} °C</text>",
            MARGIN_LEFT + pw,
            MARGIN_LEFT - 4.0,
            ty + 4.0,
            fmt_fixed(t, 1)
        );
        t += step;
    }
    svg.push_str("</g>");

    // X axis.
    svg.push_str("<g class=\"x-axis\" fill=\"#424242\" text-anchor=\"middle\">");
    if let Some(s) = stats {
        for (tick, label) in time_ticks(s.first, s.last, pw, zone) {
            let tx = x(tick);
            let _ = write!(
                svg,
                "<line class=\"tick\" x1=\"{tx:.1}\" y1=\"{:.1}\" x2=\"{tx:.1}\" y2=\"{:.1}\" \
                 stroke=\"#9e9e9e\"/><text x=\"{tx:.1}\" y=\"{:.1}\">{}</text>",
                MARGIN_TOP + ph,
                MARGIN_TOP + ph + 4.0,
                MARGIN_TOP + ph + 16.0,
                label
            );
        }
    }
    svg.push_str("</g>");

    // Excursions.
    svg.push_str("<g class=\"excursions\">");
    if stats.is_some() {
        for e in excursions {
            let x0 = x(e.start).clamp(MARGIN_LEFT, MARGIN_LEFT + pw);
            let x1 = x(e.end).clamp(MARGIN_LEFT, MARGIN_LEFT + pw);
            let ew = (x1 - x0).max(1.0);
            let class = if e.ongoing {
                "excursion ongoing"
            } else {
                "excursion"
            };
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{x0:.1}\" y=\"{MARGIN_TOP:.1}\" width=\"{ew:.1}\" \
                 height=\"{ph:.1}\" fill=\"#c62828\" fill-opacity=\"0.2\"/>"
            );
        }
    }
    svg.push_str("</g>");

    // The readings.
    let points = chart_points(&sorted, pw, &x);
    match points.as_slice() {
        [] => {}
        [only] => {
            let _ = write!(
                svg,
                "<circle class=\"reading\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#1565c0\"/>",
                x(only.at),
                y(i64::from(only.temp.0))
            );
        }
        many => {
            svg.push_str("<path class=\"readings\" d=\"");
            for (n, r) in many.iter().enumerate() {
                let _ = write!(
                    svg,
                    "{}{:.1} {:.1}",
                    if n == 0 { "M" } else { " L" },
                    x(r.at),
                    y(i64::from(r.temp.0))
                );
            }
            svg.push_str(
                "\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" \
                 stroke-linejoin=\"round\"/>",
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Every reading, or the lowest and highest per pixel column when there are
/// more than two per column.
fn chart_points(sorted: &[Reading], pw: f64, x: &dyn Fn(Timestamp) -> f64) -> Vec<Reading> {
    let columns = pw.max(1.0) as usize;
    if sorted.len() <= 2 * columns {
        return sorted.to_vec();
    }
    let mut out = Vec::with_capacity(2 * columns);
    let mut bucket: Option<(usize, Reading, Reading, usize, usize)> = None;
    let flush = |out: &mut Vec<Reading>, b: (usize, Reading, Reading, usize, usize)| {
        let (_, lo, hi, lo_i, hi_i) = b;
        match lo_i.cmp(&hi_i) {
            std::cmp::Ordering::Less => out.extend([lo, hi]),
            std::cmp::Ordering::Greater => out.extend([hi, lo]),
            std::cmp::Ordering::Equal => out.push(lo),
        }
    };
    for (i, r) in sorted.iter().enumerate() {
        let col = ((x(r.at) - MARGIN_LEFT).max(0.0) as usize).min(columns - 1);
        match &mut bucket {
            Some((c, lo, hi, lo_i, hi_i)) if *c == col => {
                if r.temp < lo.temp {
                    (*lo, *lo_i) = (*r, i);
                }
                if r.temp > hi.temp {
                    (*hi, *hi_i) = (*r, i);
                }
            }
            _ => {
                if let Some(b) = bucket.take() {
                    flush(&mut out, b);
                }
                bucket = Some((col, *r, *r, i, i));
            }
        }
    }
    if let Some(b) = bucket {
        flush(&mut out, b);
    }
    out
}

/// Tick instants on local-time boundaries of a step chosen so that ticks are
/// at least ~100 px apart, with their labels.
fn time_ticks(
    first: Timestamp,
    last: Timestamp,
    pw: f64,
    zone: &TimeZone,
) -> Vec<(Timestamp, String)> {
    let span = last.as_second() - first.as_second();
    if span == 0 {
        return vec![(first, local_label(first, zone, "%m/%d %H:%M"))];
    }
    let max_ticks = ((pw / 100.0) as i64).max(2);
    let step = TIME_STEPS
        .iter()
        .copied()
        .find(|s| span / s < max_ticks)
        .unwrap_or(31_536_000);
    let format = if step >= 86400 {
        "%m/%d"
    } else if span <= 86400 {
        "%H:%M"
    } else {
        "%m/%d %H:%M"
    };
    let offset = i64::from(zone.to_offset(first).seconds());
    let local0 = first.as_second() + offset;
    let mut tick = (local0 + step - 1).div_euclid(step) * step - offset;
    let mut out = Vec::new();
    while tick <= last.as_second() && out.len() < 64 {
        if let Ok(ts) = Timestamp::from_second(tick) {
            out.push((ts, local_label(ts, zone, format)));
        }
        tick += step;
    }
    out
}

fn local_label(ts: Timestamp, zone: &TimeZone, format: &str) -> String {
    ts.to_zoned(zone.clone()).strftime(format).to_string()
}
