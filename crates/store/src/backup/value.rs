//! The portable value encoding of a backup archive.
//!
//! A row is one JSON array per line (NDJSON), one element per column in the
//! order the manifest names them. SQLite has no uuid, time, date or boolean
//! type and PostgreSQL has no untyped values, so a value is written as its
//! database gave it and converted to the target column's type on restore:
//!
//! | value | JSON |
//! |---|---|
//! | NULL | `null` |
//! | integer | a number (`i64`) |
//! | boolean | `true` / `false` |
//! | text | a string |
//! | real | `{"r": 1.5}` |
//! | bytes | `{"x": "hex"}` |
//! | uuid | `{"u": "0193…"}` |
//! | instant (UTC) | `{"t": "2026-12-07T10:00:00.000000Z"}` |
//! | calendar date | `{"d": "2026-12-07"}` |

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::Value as Json;
use uuid::Uuid;

/// A value read from either database.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Bool(bool),
    Uuid(Uuid),
    Ts(Timestamp),
    Date(Date),
}

/// The type of a column as the target database declares it: what a value
/// must be converted to before it is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Uuid,
    Timestamp,
    Date,
    Bool,
    /// An integer of 16, 32 or 64 bits (PostgreSQL is strict about the width).
    Int(u8),
    Real,
    Text,
    Blob,
    Json,
}

impl ColType {
    /// From a PostgreSQL `udt_name`; `None` for a type backups do not know.
    pub fn from_pg(udt: &str) -> Option<ColType> {
        Some(match udt {
            "uuid" => ColType::Uuid,
            "timestamptz" => ColType::Timestamp,
            "date" => ColType::Date,
            "bool" => ColType::Bool,
            "int2" => ColType::Int(16),
            "int4" => ColType::Int(32),
            "int8" => ColType::Int(64),
            "float4" | "float8" => ColType::Real,
            "text" | "varchar" | "bpchar" => ColType::Text,
            "bytea" => ColType::Blob,
            "json" | "jsonb" => ColType::Json,
            _ => return None,
        })
    }

    /// From a SQLite declared type, by SQLite's affinity rules.
    pub fn from_sqlite(declared: &str) -> ColType {
        let d = declared.to_ascii_uppercase();
        if d.contains("INT") {
            ColType::Int(64)
        } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
            ColType::Text
        } else if d.is_empty() || d.contains("BLOB") {
            ColType::Blob
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            ColType::Real
        } else {
            // NUMERIC affinity: jousei declares none; integers are the safe reading.
            ColType::Int(64)
        }
    }
}

/// Why a value cannot go into a column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {found} value does not fit a {wanted:?} column")]
pub struct Mismatch {
    pub found: &'static str,
    pub wanted: ColType,
}

impl Val {
    fn kind(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Int(_) => "integer",
            Val::Real(_) => "real",
            Val::Text(_) => "text",
            Val::Blob(_) => "bytes",
            Val::Bool(_) => "boolean",
            Val::Uuid(_) => "uuid",
            Val::Ts(_) => "timestamp",
            Val::Date(_) => "date",
        }
    }

    /// The archive's JSON for this value.
    pub fn to_json(&self) -> Json {
        match self {
            Val::Null => Json::Null,
            Val::Int(i) => Json::from(*i),
            Val::Real(r) => serde_json::json!({ "r": r }),
            Val::Text(s) => Json::String(s.clone()),
            Val::Blob(b) => serde_json::json!({ "x": hex::encode(b) }),
            Val::Bool(b) => Json::Bool(*b),
            Val::Uuid(u) => serde_json::json!({ "u": u.to_string() }),
            Val::Ts(t) => serde_json::json!({ "t": jousei_core::audit::canonical_time(*t) }),
            Val::Date(d) => serde_json::json!({ "d": d.to_string() }),
        }
    }

    /// Reads a value from the archive's JSON; `None` when it is not one.
    pub fn from_json(v: &Json) -> Option<Val> {
        Some(match v {
            Json::Null => Val::Null,
            Json::Bool(b) => Val::Bool(*b),
            Json::Number(n) => Val::Int(n.as_i64()?),
            Json::String(s) => Val::Text(s.clone()),
            Json::Object(o) if o.len() == 1 => {
                let (k, v) = o.iter().next()?;
                match k.as_str() {
                    "r" => Val::Real(v.as_f64()?),
                    "x" => Val::Blob(hex::decode(v.as_str()?).ok()?),
                    "u" => Val::Uuid(v.as_str()?.parse().ok()?),
                    "t" => Val::Ts(v.as_str()?.parse().ok()?),
                    "d" => Val::Date(v.as_str()?.parse().ok()?),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// A rendering that is the same for the same fact on either database
    /// (a uuid and its 16-byte SQLite blob, an instant and its SQLite text,
    /// a boolean and SQLite's 0/1): to compare databases of either kind.
    pub fn neutral(&self) -> String {
        match self {
            Val::Null => "null".into(),
            Val::Int(i) => format!("i:{i}"),
            Val::Bool(b) => format!("i:{}", i64::from(*b)),
            Val::Real(r) => format!("r:{r}"),
            Val::Text(s) => format!("s:{s}"),
            Val::Ts(t) => format!("s:{}", jousei_core::audit::canonical_time(*t)),
            Val::Date(d) => format!("s:{d}"),
            Val::Blob(b) => format!("x:{}", hex::encode(b)),
            Val::Uuid(u) => format!("x:{}", hex::encode(u.as_bytes())),
        }
    }

    /// Converts the value for a column of type `to` (see the module docs).
    pub fn convert(self, to: ColType) -> Result<Val, Mismatch> {
        let bad = |v: &Val| Mismatch {
            found: v.kind(),
            wanted: to,
        };
        Ok(match (to, self) {
            (_, Val::Null) => Val::Null,
            (ColType::Uuid, Val::Uuid(u)) => Val::Uuid(u),
            (ColType::Uuid, Val::Blob(b)) => match Uuid::from_slice(&b) {
                Ok(u) => Val::Uuid(u),
                Err(_) => return Err(bad(&Val::Blob(b))),
            },
            (ColType::Uuid, Val::Text(s)) => match s.parse() {
                Ok(u) => Val::Uuid(u),
                Err(_) => return Err(bad(&Val::Text(s))),
            },
            (ColType::Timestamp, Val::Ts(t)) => Val::Ts(t),
            (ColType::Timestamp, Val::Text(s)) => match s.parse() {
                Ok(t) => Val::Ts(t),
                Err(_) => return Err(bad(&Val::Text(s))),
            },
            (ColType::Date, Val::Date(d)) => Val::Date(d),
            (ColType::Date, Val::Text(s)) => match s.parse() {
                Ok(d) => Val::Date(d),
                Err(_) => return Err(bad(&Val::Text(s))),
            },
            (ColType::Bool, Val::Bool(b)) => Val::Bool(b),
            (ColType::Bool, Val::Int(0)) => Val::Bool(false),
            (ColType::Bool, Val::Int(1)) => Val::Bool(true),
            (ColType::Int(bits), Val::Int(i)) => {
                let fits = match bits {
                    16 => i16::try_from(i).is_ok(),
                    32 => i32::try_from(i).is_ok(),
                    _ => true,
                };
                if !fits {
                    return Err(bad(&Val::Int(i)));
                }
                Val::Int(i)
            }
            (ColType::Int(_), Val::Bool(b)) => Val::Int(i64::from(b)),
            (ColType::Real, Val::Real(r)) => Val::Real(r),
            #[allow(clippy::cast_precision_loss)]
            (ColType::Real, Val::Int(i)) => Val::Real(i as f64),
            (ColType::Text, Val::Text(s)) => Val::Text(s),
            (ColType::Text, Val::Ts(t)) => Val::Text(jousei_core::audit::canonical_time(t)),
            (ColType::Text, Val::Date(d)) => Val::Text(d.to_string()),
            (ColType::Blob, Val::Blob(b)) => Val::Blob(b),
            (ColType::Blob, Val::Uuid(u)) => Val::Blob(u.as_bytes().to_vec()),
            (ColType::Json, Val::Text(s)) => {
                if serde_json::from_str::<Json>(&s).is_err() {
                    return Err(bad(&Val::Text(s)));
                }
                Val::Text(s)
            }
            (_, v) => return Err(bad(&v)),
        })
    }
}

/// One row as an archive line (without the newline).
pub fn row_to_line(row: &[Val]) -> String {
    Json::Array(row.iter().map(Val::to_json).collect()).to_string()
}

/// One archive line as a row of `width` values; `None` when it is not one.
pub fn line_to_row(line: &str, width: usize) -> Option<Vec<Val>> {
    let Json::Array(items) = serde_json::from_str::<Json>(line).ok()? else {
        return None;
    };
    if items.len() != width {
        return None;
    }
    items.iter().map(Val::from_json).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Val> {
        vec![
            Val::Null,
            Val::Int(-42),
            Val::Int(i64::MAX),
            Val::Real(1.5),
            Val::Text("銀座 \"quoted\"\nline".into()),
            Val::Blob(vec![0, 1, 254, 255]),
            Val::Bool(true),
            Val::Uuid(Uuid::now_v7()),
            Val::Ts("2026-12-07T10:00:00.123456Z".parse().unwrap()),
            Val::Date("2026-02-28".parse().unwrap()),
        ]
    }

    #[test]
    fn every_kind_round_trips_through_a_line() {
        let row = every_kind();
        let line = row_to_line(&row);
        assert!(!line.contains('\n'), "one line per row");
        assert_eq!(line_to_row(&line, row.len()).unwrap(), row);
        assert_eq!(line_to_row(&line, row.len() + 1), None, "width checked");
        assert_eq!(line_to_row("[1, {\"q\": 2}]", 2), None, "unknown tag");
        assert_eq!(line_to_row("[1.5]", 1), None, "bare reals are not integers");
        assert_eq!(line_to_row("{}", 0), None);
    }

    #[test]
    fn sqlite_values_become_typed_postgres_values_and_back() {
        let u = Uuid::now_v7();
        let t: Timestamp = "2026-12-07T10:00:00.123456Z".parse().unwrap();
        let to_pg = [
            (
                Val::Blob(u.as_bytes().to_vec()),
                ColType::Uuid,
                Val::Uuid(u),
            ),
            (
                Val::Text("2026-12-07T10:00:00.123456Z".into()),
                ColType::Timestamp,
                Val::Ts(t),
            ),
            (
                Val::Text("2026-12-07".into()),
                ColType::Date,
                Val::Date("2026-12-07".parse().unwrap()),
            ),
            (Val::Int(1), ColType::Bool, Val::Bool(true)),
            (Val::Int(0), ColType::Bool, Val::Bool(false)),
            (Val::Int(7), ColType::Int(32), Val::Int(7)),
            (Val::Null, ColType::Uuid, Val::Null),
        ];
        for (from, to, want) in to_pg {
            let back_to = ColType::from_sqlite(match to {
                ColType::Uuid => "BLOB",
                ColType::Bool | ColType::Int(_) => "INTEGER",
                _ => "TEXT",
            });
            assert_eq!(from.clone().convert(to).unwrap(), want);
            assert_eq!(want.clone().convert(back_to).unwrap(), from, "{to:?}");
            assert_eq!(from.neutral(), want.neutral(), "same fact, same rendering");
        }
    }

    #[test]
    fn values_that_do_not_fit_are_refused() {
        assert!(Val::Blob(vec![1, 2]).convert(ColType::Uuid).is_err());
        assert!(
            Val::Text("yesterday".into())
                .convert(ColType::Timestamp)
                .is_err()
        );
        assert!(Val::Int(2).convert(ColType::Bool).is_err());
        assert!(Val::Int(70_000).convert(ColType::Int(16)).is_err());
        assert!(Val::Int(i64::MAX).convert(ColType::Int(32)).is_err());
        assert!(Val::Text("x".into()).convert(ColType::Int(64)).is_err());
        assert!(Val::Text("{".into()).convert(ColType::Json).is_err());
        assert_eq!(
            Val::Text("x".into())
                .convert(ColType::Blob)
                .unwrap_err()
                .found,
            "text"
        );
    }

    #[test]
    fn sqlite_affinity_rules() {
        assert_eq!(ColType::from_sqlite("INTEGER"), ColType::Int(64));
        assert_eq!(ColType::from_sqlite("bigint"), ColType::Int(64));
        assert_eq!(ColType::from_sqlite("TEXT"), ColType::Text);
        assert_eq!(ColType::from_sqlite("VARCHAR(20)"), ColType::Text);
        assert_eq!(ColType::from_sqlite("BLOB"), ColType::Blob);
        assert_eq!(ColType::from_sqlite(""), ColType::Blob);
        assert_eq!(ColType::from_sqlite("REAL"), ColType::Real);
        assert_eq!(ColType::from_pg("timestamptz"), Some(ColType::Timestamp));
        assert_eq!(ColType::from_pg("tsvector"), None);
    }
}
