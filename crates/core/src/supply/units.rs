//! Small fixed-point quantities, so no rule depends on floating point.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A temperature in tenths of a degree Celsius (−80.0 °C = −800).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeciCelsius(pub i32);

impl DeciCelsius {
    /// Parses `-80`, `-80.0`, `4.5`, `+8`, `２．５` is not accepted. At most
    /// one decimal; the plausible range for clinic storage is −200 … +100 °C.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        let v = parse_fixed(
            raw.trim()
                .trim_end_matches("°C")
                .trim_end_matches('℃')
                .trim(),
            1,
        )
        .ok_or_else(|| FieldError::new(field, "temperature_invalid"))?;
        let v = i32::try_from(v).map_err(|_| FieldError::new(field, "temperature_invalid"))?;
        if !(-2000..=1000).contains(&v) {
            return Err(FieldError::new(field, "temperature_out_of_range"));
        }
        Ok(DeciCelsius(v))
    }
}

impl std::fmt::Display for DeciCelsius {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{} °C", a / 10, a % 10)
    }
}

/// A volume in microlitres (2 mL = 2000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Microlitres(pub i64);

impl Microlitres {
    /// Parses millilitres with up to three decimals (`2`, `2.5`, `0.25`).
    pub fn parse_ml(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        let v = parse_fixed(
            raw.trim()
                .trim_end_matches("mL")
                .trim_end_matches("ml")
                .trim(),
            3,
        )
        .ok_or_else(|| FieldError::new(field, "volume_invalid"))?;
        if v <= 0 || v > 1_000_000 {
            return Err(FieldError::new(field, "volume_out_of_range"));
        }
        Ok(Microlitres(v))
    }
}

impl std::fmt::Display for Microlitres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} mL", fmt_fixed(self.0, 3))
    }
}

/// A measured or limit value with three decimals (0.5 EU/mL = `Milli(500)`).
///
/// Serialised as a decimal string with its scale explicit (`"0.5"`, `"120"`, `"0.012"`), so
/// nobody reads the thousandths as the value (issue 13: a limit of 0.5 EU/mL was shown as
/// `500`). Reading also accepts a bare integer of thousandths, the form of records written
/// before (stored certificate results and product versions are never rewritten).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Milli(pub i64);

impl Serialize for Milli {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fmt_fixed(self.0, 3))
    }
}

impl<'de> Deserialize<'de> for Milli {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Decimal(String),
            Thousandths(i64),
        }
        match Form::deserialize(d)? {
            Form::Decimal(s) => parse_fixed(s.trim(), 3).map(Milli).ok_or_else(|| {
                serde::de::Error::custom(format!("not a decimal with at most 3 decimals: {s}"))
            }),
            Form::Thousandths(v) => Ok(Milli(v)),
        }
    }
}

impl Milli {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        parse_fixed(raw.trim(), 3)
            .map(Milli)
            .ok_or_else(|| FieldError::new(field, "number_invalid"))
    }
}

impl std::fmt::Display for Milli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&fmt_fixed(self.0, 3))
    }
}

/// Parses a decimal number with at most `decimals` fraction digits into an
/// integer scaled by 10^decimals. ASCII only; `None` for anything else.
pub fn parse_fixed(s: &str, decimals: u32) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if frac.len() > decimals as usize || int.len() > 12 {
        return None;
    }
    let scale = 10i64.checked_pow(decimals)?;
    let int_v: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac_v: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..decimals as usize {
        frac_v *= 10;
    }
    let v = int_v.checked_mul(scale)?.checked_add(frac_v)?;
    Some(if neg { -v } else { v })
}

/// Formats a scaled integer, trimming trailing zeros of the fraction.
pub fn fmt_fixed(v: i64, decimals: u32) -> String {
    let scale = 10i64.pow(decimals);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let int = a / scale.unsigned_abs();
    let frac = a % scale.unsigned_abs();
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let mut f = format!("{frac:0width$}", width = decimals as usize);
    while f.ends_with('0') {
        f.pop();
    }
    format!("{sign}{int}.{f}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_parsing() {
        assert_eq!(parse_fixed("-80", 1), Some(-800));
        assert_eq!(parse_fixed("-80.5", 1), Some(-805));
        assert_eq!(parse_fixed("2.5", 3), Some(2500));
        assert_eq!(parse_fixed(".5", 3), Some(500));
        assert_eq!(parse_fixed("2.5555", 3), None);
        assert_eq!(parse_fixed("1e3", 3), None);
        assert_eq!(parse_fixed("", 3), None);
        assert_eq!(parse_fixed("-", 3), None);
        assert_eq!(parse_fixed("２", 3), None);
        assert_eq!(fmt_fixed(2500, 3), "2.5");
        assert_eq!(fmt_fixed(-805, 1), "-80.5");
        assert_eq!(fmt_fixed(3000, 3), "3");
    }

    #[test]
    fn temperatures() {
        assert_eq!(DeciCelsius::parse("-80 °C", "t").map(|t| t.0), Ok(-800));
        assert_eq!(DeciCelsius::parse("4.5℃", "t").map(|t| t.0), Ok(45));
        assert_eq!(
            DeciCelsius::parse("-300", "t").map_err(|e| e.code),
            Err("temperature_out_of_range")
        );
        assert_eq!(
            DeciCelsius::parse("cold", "t").map_err(|e| e.code),
            Err("temperature_invalid")
        );
        assert_eq!(DeciCelsius(-800).to_string(), "-80.0 °C");
        assert_eq!(DeciCelsius(-5).to_string(), "-0.5 °C");
    }

    #[test]
    fn volumes() {
        assert_eq!(Microlitres::parse_ml("2", "v").map(|v| v.0), Ok(2000));
        assert_eq!(Microlitres::parse_ml("0.25 mL", "v").map(|v| v.0), Ok(250));
        assert_eq!(
            Microlitres::parse_ml("0", "v").map_err(|e| e.code),
            Err("volume_out_of_range")
        );
        assert_eq!(Microlitres(2500).to_string(), "2.5 mL");
    }

    #[test]
    fn milli_is_a_decimal_string_with_its_scale_explicit() {
        let limit = crate::supply::qc::Criterion::AtMost {
            limit: Milli(500),
            unit: "EU/mL".into(),
        };
        assert_eq!(
            serde_json::to_string(&limit).ok().as_deref(),
            Some(r#"{"kind":"at_most","limit":"0.5","unit":"EU/mL"}"#)
        );
        assert_eq!(
            serde_json::to_string(&Milli(120_000)).ok().as_deref(),
            Some(r#""120""#)
        );
        assert_eq!(
            serde_json::from_str::<Milli>(r#""0.012""#).ok(),
            Some(Milli(12))
        );
        // Records written before: thousandths as a bare integer.
        let old: crate::supply::qc::Criterion =
            serde_json::from_str(r#"{"kind":"at_most","limit":500,"unit":"EU/mL"}"#).unwrap();
        assert_eq!(old, limit);
        assert!(serde_json::from_str::<Milli>(r#""0.5555""#).is_err());
        assert!(serde_json::from_str::<Milli>(r#""half""#).is_err());
    }

    proptest::proptest! {
        #[test]
        fn milli_serde_round_trips(v in -1_000_000_000i64..1_000_000_000) {
            let s = serde_json::to_string(&Milli(v)).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<Milli>(&s).ok(), Some(Milli(v)));
        }
        #[test]
        fn fixed_round_trips(v in -1_000_000_000i64..1_000_000_000) {
            proptest::prop_assert_eq!(parse_fixed(&fmt_fixed(v, 3), 3), Some(v));
        }
        #[test]
        fn parse_never_panics(s in ".{0,30}") {
            let _ = parse_fixed(&s, 3);
        }
    }
}
