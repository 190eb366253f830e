//! `jousei contract …`: calculators for multi-session contracts under the
//! Specified Commercial Transactions Act (特定商取引法). Pure: no database,
//! no clock; the rules are in `jousei_core::commerce`.
//!
//! Bad input exits with status 2 and a message naming the argument on
//! standard error; nothing is printed on standard output.

use std::fmt::Write as _;
use std::process::ExitCode;

use jiff::civil::Date;
use jousei_core::commerce::cancellation::{self, CancellationFacts, ClinicTerms, Kind, Quote};
use jousei_core::commerce::coverage::{
    self, Coverage, CoverageFacts, Method, Purpose, ServicePeriod,
};
use jousei_core::commerce::{MAX_YEN, Yen, format_yen};
use jousei_core::error::FieldError;
use jousei_core::locale::Locale;
use serde::Serialize;

/// Contract commands.
#[derive(clap::Subcommand, Debug)]
pub enum ContractCmd {
    /// Whether the Act covers a contract (特定継続的役務提供), with one reason per condition.
    ///
    /// Covered when the purpose is beauty (unclear counts as beauty), the method is one the
    /// ordinance lists (drug), the total is above ¥50,000 including tax and the period is above
    /// one month (no fixed end counts as above one month).
    Coverage {
        /// beauty, medical or unclear (unclear is treated as beauty).
        #[arg(long, value_parser = parse_purpose)]
        purpose: Purpose,
        /// drug (薬剤の使用), listed_other (another method the ordinance lists) or other.
        #[arg(long, value_parser = parse_method)]
        method: Method,
        /// The contract's total in yen, tax included (100000 or 100,000).
        #[arg(long, value_parser = parse_yen)]
        total: Yen,
        /// The service period in whole months.
        #[arg(
            long,
            required_unless_present = "no_fixed_period",
            conflicts_with = "no_fixed_period"
        )]
        period_months: Option<u32>,
        /// The contract has no fixed end (sessions only, or a subscription).
        #[arg(long)]
        no_fixed_period: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The most a clinic may charge when a covered contract is cancelled on a date, the refund,
    /// and the arithmetic.
    CancellationQuote {
        /// The contract's total in yen, tax included.
        #[arg(long, value_parser = parse_yen)]
        total: Yen,
        /// Sessions in the contract.
        #[arg(long)]
        sessions: u32,
        /// Sessions given by the notice date.
        #[arg(long)]
        used: u32,
        /// The day the patient received the contract document (YYYY-MM-DD), or `none`.
        #[arg(long, value_parser = parse_received)]
        document_received: Received,
        /// The day the patient sent the cancellation notice (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        notice: Date,
        /// What the patient has paid, in yen.
        #[arg(long, value_parser = parse_yen)]
        paid: Option<Yen>,
        /// The day the contract was made (YYYY-MM-DD); checked against the other dates.
        #[arg(long, value_parser = parse_date)]
        contract_date: Option<Date>,
        /// The Act does not cover the contract (see `coverage`): no cooling-off and no legal cap;
        /// the clinic's terms below apply as shown at sale.
        #[arg(long)]
        not_covered: bool,
        /// The clinic's terms: the charge before the first session, if below ¥20,000.
        #[arg(long, value_parser = parse_yen)]
        terms_before_start_fee: Option<Yen>,
        /// The clinic's terms: the fee cap after the first session, if below ¥50,000.
        #[arg(long, value_parser = parse_yen)]
        terms_after_start_fee_cap: Option<Yen>,
        /// The clinic's terms: the fee as a percentage of the rest of the contract, if below 20.
        #[arg(long)]
        terms_after_start_fee_percent: Option<u32>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `--document-received`: a date, or `none` when the document was not received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received(pub Option<Date>);

/// Run a contract command.
pub fn run(cmd: ContractCmd) -> anyhow::Result<ExitCode> {
    let out = match cmd {
        ContractCmd::Coverage {
            purpose,
            method,
            total,
            period_months,
            no_fixed_period,
            json,
        } => {
            let period = match (period_months, no_fixed_period) {
                (Some(months), false) => ServicePeriod::Months { months },
                _ => ServicePeriod::NoFixedEnd,
            };
            let facts = CoverageFacts {
                purpose,
                method,
                total,
                period,
            };
            coverage::decide(&facts).map(|c| {
                if json {
                    coverage_json(&c)
                } else {
                    Ok(coverage_text(&c))
                }
            })
        }
        ContractCmd::CancellationQuote {
            total,
            sessions,
            used,
            document_received,
            notice,
            paid,
            contract_date,
            not_covered,
            terms_before_start_fee,
            terms_after_start_fee_cap,
            terms_after_start_fee_percent,
            json,
        } => {
            let terms = ClinicTerms {
                before_start_fee: terms_before_start_fee,
                after_start_fee_cap: terms_after_start_fee_cap,
                after_start_fee_percent: terms_after_start_fee_percent,
            };
            let facts = CancellationFacts {
                covered: !not_covered,
                total,
                sessions,
                used,
                contracted_on: contract_date,
                document_received: document_received.0,
                notice,
                paid,
                terms: (terms != ClinicTerms::default()).then_some(terms),
            };
            cancellation::quote(&facts).map(|q| {
                if json {
                    quote_json(&q)
                } else {
                    Ok(quote_text(&q))
                }
            })
        }
    };
    match out {
        Ok(text) => {
            print!("{}", text?);
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {}", error_message(e));
            }
            Ok(ExitCode::from(2))
        }
    }
}

/// `--field: code: explanation`.
fn error_message(e: &FieldError) -> String {
    let explanation = match e.code {
        "amount_negative" | "total_negative" => "must not be negative".to_string(),
        "amount_too_large" | "total_too_large" => {
            format!("is too large (at most {})", format_yen(MAX_YEN, Locale::En))
        }
        "sessions_zero" => "a contract has at least 1 session".to_string(),
        "sessions_too_many" => format!("at most {} sessions", cancellation::MAX_SESSIONS),
        "used_exceeds_sessions" => "more sessions used than the contract has".to_string(),
        "notice_before_contract" => "the notice is dated before --contract-date".to_string(),
        "document_received_before_contract" => {
            "the contract document is dated before --contract-date".to_string()
        }
        "paid_exceeds_total" => "more paid than the contract's total".to_string(),
        "percent_above_100" => "a percentage is at most 100".to_string(),
        _ => "invalid".to_string(),
    };
    format!("--{}: {}: {explanation}", e.field.replace('_', "-"), e.code)
}

fn parse_purpose(s: &str) -> Result<Purpose, String> {
    Purpose::parse(&s.to_ascii_lowercase())
        .ok_or_else(|| "expected beauty, medical or unclear".to_string())
}

fn parse_method(s: &str) -> Result<Method, String> {
    Method::parse(&s.to_ascii_lowercase().replace('-', "_"))
        .ok_or_else(|| "expected drug, listed_other or other".to_string())
}

/// Whole yen: `100000`, `100,000`, `¥100,000` or `100000円`; never negative.
fn parse_yen(s: &str) -> Result<Yen, String> {
    let t = s.trim();
    let t = t.strip_prefix('¥').unwrap_or(t);
    let t = t.strip_suffix('円').unwrap_or(t);
    let digits: String = t.chars().filter(|c| *c != ',').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("expected a whole, non-negative number of yen, e.g. 100000".to_string());
    }
    match digits.parse::<Yen>() {
        Ok(v) if v <= MAX_YEN => Ok(v),
        _ => Err(format!(
            "too large (at most {})",
            format_yen(MAX_YEN, Locale::En)
        )),
    }
}

fn parse_date(s: &str) -> Result<Date, String> {
    s.trim()
        .parse()
        .map_err(|_| "expected a date as YYYY-MM-DD".to_string())
}

fn parse_received(s: &str) -> Result<Received, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(Received(None));
    }
    parse_date(s)
        .map(|d| Received(Some(d)))
        .map_err(|_| "expected a date as YYYY-MM-DD, or none".to_string())
}

/// An item's JSON with its sentence in English (`text`) and Japanese (`text_ja`).
fn with_text<T: Serialize>(
    item: &T,
    text: impl Fn(Locale) -> String,
    extra: &[(&str, serde_json::Value)],
) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(item)?;
    if let Some(o) = v.as_object_mut() {
        for (k, x) in extra {
            o.insert((*k).to_string(), x.clone());
        }
        o.insert("text".into(), text(Locale::En).into());
        o.insert("text_ja".into(), text(Locale::Ja).into());
    }
    Ok(v)
}

fn coverage_json(c: &Coverage) -> anyhow::Result<String> {
    let reasons = c
        .reasons
        .iter()
        .map(|r| with_text(r, |l| r.text(l), &[("met", r.met().into())]))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let v = serde_json::json!({ "covered": c.covered, "reasons": reasons });
    Ok(format!("{v}\n"))
}

fn coverage_text(c: &Coverage) -> String {
    let mut out = String::new();
    if c.covered {
        out.push_str("適用あり：特定商取引法の特定継続的役務提供に当たります。\n");
        out.push_str(
            "Covered: a specified continuous service under the Specified Commercial Transactions Act.\n",
        );
    } else {
        out.push_str("適用なし：特定商取引法の特定継続的役務提供に当たりません。\n");
        out.push_str(
            "Not covered: not a specified continuous service under the Specified Commercial Transactions Act.\n",
        );
    }
    for r in &c.reasons {
        let mark = if r.met() { "✓" } else { "✗" };
        let _ = writeln!(out, "  {mark} {}", r.text(Locale::Ja));
        let _ = writeln!(out, "    {} [{}]", r.text(Locale::En), r.code());
    }
    out
}

fn quote_json(q: &Quote) -> anyhow::Result<String> {
    let mut v = serde_json::to_value(q)?;
    let steps = q
        .steps
        .iter()
        .map(|s| with_text(s, |l| s.text(l), &[]))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(o) = v.as_object_mut() {
        o.insert("steps".into(), steps.into());
    }
    Ok(format!("{v}\n"))
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::CoolingOff => "クーリング・オフ / cooling-off",
        Kind::BeforeStart => "中途解約（役務提供開始前） / cancellation before the first session",
        Kind::AfterStart => "中途解約（役務提供開始後） / cancellation after the first session",
        Kind::NotCovered => {
            "特定商取引法の適用なし（クリニックの解約規定） / not covered: the clinic's terms"
        }
    }
}

fn both(amount: Yen) -> String {
    format!(
        "{} / {}",
        format_yen(amount, Locale::Ja),
        format_yen(amount, Locale::En)
    )
}

fn quote_text(q: &Quote) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "区分 Kind: {} [{}]", kind_label(q.kind), q.kind);
    match q.cooling_off_until {
        Some(d) => {
            let _ = writeln!(out, "クーリング・オフ期限 Cooling-off until: {d}");
        }
        None => out.push_str(
            "クーリング・オフ期限 Cooling-off until: なし（契約書面未受領のため進行していません） / none (the contract document has not been received)\n",
        ),
    }
    out.push_str("計算 Arithmetic:\n");
    for (i, s) in q.steps.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}", i + 1, s.text(Locale::Ja));
        let _ = writeln!(out, "     {}", s.text(Locale::En));
    }
    let _ = writeln!(
        out,
        "提供済み役務の対価 Value of the sessions given: {}",
        both(q.provided_value)
    );
    let _ = writeln!(out, "請求上限 Maximum charge: {}", both(q.max_charge));
    if let Some(r) = q.refund {
        let _ = writeln!(out, "返金 Refund: {}", both(r));
    }
    if let Some(d) = q.balance_due.filter(|d| *d > 0) {
        let _ = writeln!(out, "未払い残額 Still due: {}", both(d));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn yen_accepts_separators_and_signs_of_currency() {
        for s in ["100000", "100,000", "¥100,000", "100000円", " 100000 "] {
            assert_eq!(parse_yen(s), Ok(100_000), "{s}");
        }
        for s in ["-1", "", "1.5", "abc", "99999999999999999999"] {
            assert!(parse_yen(s).is_err(), "{s}");
        }
    }

    #[test]
    fn received_may_be_none() {
        assert_eq!(parse_received("none"), Ok(Received(None)));
        assert_eq!(
            parse_received("2026-01-28"),
            Ok(Received(Some(jiff::civil::date(2026, 1, 28))))
        );
        assert!(parse_received("yesterday").is_err());
    }

    #[test]
    fn errors_name_the_argument() {
        assert_eq!(
            error_message(&FieldError::new("used", "used_exceeds_sessions")),
            "--used: used_exceeds_sessions: more sessions used than the contract has"
        );
        assert!(
            error_message(&FieldError::new(
                "terms_after_start_fee_percent",
                "percent_above_100"
            ))
            .starts_with("--terms-after-start-fee-percent: ")
        );
    }
}
