//! Commerce: the money side of a clinic under Japanese law.
//!
//! - [`coverage`]: whether a contract is a 特定継続的役務提供 (specified
//!   continuous service) under the Specified Commercial Transactions Act
//!   (特定商取引法), with its reasons (regulatory.md §3.1).
//! - [`cooling_off`]: the 8-day cooling-off (クーリング・オフ), counted from
//!   the day the contract document was received (regulatory.md §3.3).
//! - [`cancellation`]: what a clinic may charge, at most, when a covered
//!   contract is cancelled on a given date, with its arithmetic
//!   (regulatory.md §3.3, 法49条).
//! - [`tax`]: consumption tax inside tax-included prices (総額表示), computed
//!   once per rate per receipt for simplified qualified invoices
//!   (適格簡易請求書, regulatory.md §10).
//!
//! Pure rules: no I/O, no clock. Money is integer yen ([`Yen`]); there are
//! no floating-point numbers anywhere in these rules. Every decision comes
//! with stable snake_case codes and the figures behind it, so that a screen,
//! the API or the command line can render it in Japanese or English.

pub mod cancellation;
pub mod cooling_off;
pub mod coverage;
pub mod tax;

use jiff::civil::Date;

use crate::locale::Locale;

/// An amount of money in whole yen. Amounts are tax-included unless a name
/// says otherwise.
pub type Yen = i64;

/// The largest amount these rules accept (¥1 trillion). Far above any
/// clinic contract; it keeps every intermediate product exact in `i64`.
pub const MAX_YEN: Yen = 1_000_000_000_000;

/// `amount` with thousands separators: `100,000円` in Japanese, `¥100,000`
/// in English.
pub fn format_yen(amount: Yen, locale: Locale) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    match locale {
        Locale::Ja => format!("{sign}{grouped}円"),
        Locale::En => format!("{sign}¥{grouped}"),
    }
}

/// A calendar date as people read it: `2026年2月4日` or `2026-02-04`.
pub fn format_date(date: Date, locale: Locale) -> String {
    match locale {
        Locale::Ja => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Locale::En => date.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn yen_is_grouped_by_thousands() {
        assert_eq!(format_yen(0, Locale::En), "¥0");
        assert_eq!(format_yen(999, Locale::Ja), "999円");
        assert_eq!(format_yen(1_000, Locale::En), "¥1,000");
        assert_eq!(format_yen(100_000, Locale::Ja), "100,000円");
        assert_eq!(format_yen(1_234_567, Locale::En), "¥1,234,567");
        assert_eq!(format_yen(-5_000, Locale::En), "-¥5,000");
        assert_eq!(format_yen(-5_000, Locale::Ja), "-5,000円");
        assert_eq!(format_yen(MAX_YEN, Locale::En), "¥1,000,000,000,000");
    }

    #[test]
    fn dates_read_naturally() {
        assert_eq!(format_date(date(2026, 2, 4), Locale::Ja), "2026年2月4日");
        assert_eq!(format_date(date(2026, 2, 4), Locale::En), "2026-02-04");
    }
}
