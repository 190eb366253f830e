//! Is a contract a 特定継続的役務提供 under the Specified Commercial
//! Transactions Act (特定商取引法)? For beauty medical services (美容医療,
//! covered since 2017-12-01; regulatory.md §3.1) all four conditions must
//! hold:
//!
//! 1. **Purpose**: beauty (施行令 別表第四「美容を目的とするもの」). An
//!    unclear purpose is treated as beauty: jousei errs towards covered,
//!    because treating a covered contract as uncovered takes the cooling-off
//!    and the cancellation caps away from the patient, while the reverse only
//!    gives the patient rights the clinic could have granted anyway.
//! 2. **Method**: one the ordinance lists (施行規則91条). For this product
//!    line that is the use of a drug (薬剤の使用), e.g. injections against
//!    wrinkles or to activate the skin. The other listed methods (light or
//!    sound-wave irradiation, electricity through a needle, device
//!    stimulation, thread insertion, bleaching agent) are listed only for
//!    some aims; [`Method::ListedOther`] is the caller's statement that the
//!    method is listed for the treatment's aim.
//! 3. **Total**: above ¥50,000 including tax (5万円を超える).
//! 4. **Period**: above one month (1か月を超える). A contract without a
//!    fixed end (sessions only, subscriptions) counts as above one month.
//!
//! [`decide`] always returns one reason per condition, in that order, so a
//! person sees the whole reasoning and not just the first failure.

use serde::{Deserialize, Serialize};

use super::{MAX_YEN, Yen, format_yen};
use crate::code_enum;
use crate::error::FieldError;
use crate::locale::Locale;

/// The amount a contract must exceed, tax included.
pub const TOTAL_THRESHOLD: Yen = 50_000;

/// The period, in months, a contract must exceed.
pub const PERIOD_THRESHOLD_MONTHS: u32 = 1;

code_enum! {
    /// What the treatment is for.
    pub enum Purpose {
        /// Beauty (美容): skin, wrinkles, sagging, fat, hair removal…
        Beauty => "beauty",
        /// A medical indication recorded by the physician (e.g. knee pain).
        Medical => "medical",
        /// Not recorded, or sold both ways (e.g. an "anti-aging" drip).
        Unclear => "unclear",
    }
}

code_enum! {
    /// How the treatment is given, as the ordinance sorts methods.
    pub enum Method {
        /// The use of a drug (薬剤の使用): injections, drips, topical drugs.
        Drug => "drug",
        /// Another method the ordinance lists for the treatment's aim.
        ListedOther => "listed_other",
        /// A method the ordinance does not list.
        Other => "other",
    }
}

/// How long the services are provided for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServicePeriod {
    /// A fixed period of whole months.
    Months { months: u32 },
    /// No fixed end: a number of sessions only, or a subscription.
    NoFixedEnd,
}

/// The facts coverage depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageFacts {
    pub purpose: Purpose,
    pub method: Method,
    /// The contract's total, tax included (related goods included).
    pub total: Yen,
    pub period: ServicePeriod,
}

/// One reason of a coverage decision, with the figures its sentence needs.
/// Serialised as `{"code": "total_above_50000", "total": 100000, …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code")]
pub enum Reason {
    #[serde(rename = "purpose_beauty")]
    PurposeBeauty,
    #[serde(rename = "purpose_unclear_treated_as_beauty")]
    PurposeUnclearTreatedAsBeauty,
    #[serde(rename = "purpose_medical")]
    PurposeMedical,
    #[serde(rename = "method_drug")]
    MethodDrug,
    #[serde(rename = "method_listed_other")]
    MethodListedOther,
    #[serde(rename = "method_not_listed")]
    MethodNotListed,
    #[serde(rename = "total_above_50000")]
    TotalAbove50000 { total: Yen, threshold: Yen },
    #[serde(rename = "total_not_above_50000")]
    TotalNotAbove50000 { total: Yen, threshold: Yen },
    #[serde(rename = "period_above_one_month")]
    PeriodAboveOneMonth { months: u32 },
    #[serde(rename = "period_no_fixed_end")]
    PeriodNoFixedEnd,
    #[serde(rename = "period_not_above_one_month")]
    PeriodNotAboveOneMonth { months: u32 },
}

impl Reason {
    /// The stable code (the same as the serialised `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::PurposeBeauty => "purpose_beauty",
            Reason::PurposeUnclearTreatedAsBeauty => "purpose_unclear_treated_as_beauty",
            Reason::PurposeMedical => "purpose_medical",
            Reason::MethodDrug => "method_drug",
            Reason::MethodListedOther => "method_listed_other",
            Reason::MethodNotListed => "method_not_listed",
            Reason::TotalAbove50000 { .. } => "total_above_50000",
            Reason::TotalNotAbove50000 { .. } => "total_not_above_50000",
            Reason::PeriodAboveOneMonth { .. } => "period_above_one_month",
            Reason::PeriodNoFixedEnd => "period_no_fixed_end",
            Reason::PeriodNotAboveOneMonth { .. } => "period_not_above_one_month",
        }
    }

    /// Whether this condition holds (points towards coverage).
    pub fn met(&self) -> bool {
        !matches!(
            self,
            Reason::PurposeMedical
                | Reason::MethodNotListed
                | Reason::TotalNotAbove50000 { .. }
                | Reason::PeriodNotAboveOneMonth { .. }
        )
    }

    /// One sentence for a person.
    pub fn text(&self, locale: Locale) -> String {
        let ja = locale == Locale::Ja;
        match *self {
            Reason::PurposeBeauty if ja => "美容を目的とする施術です。".into(),
            Reason::PurposeBeauty => "The purpose is beauty.".into(),
            Reason::PurposeUnclearTreatedAsBeauty if ja => {
                "目的が明らかでないため、美容目的として扱います（適用ありの側で判断）。".into()
            }
            Reason::PurposeUnclearTreatedAsBeauty => {
                "The purpose is unclear, so it is treated as beauty (jousei errs towards covered)."
                    .into()
            }
            Reason::PurposeMedical if ja => "治療を目的とする施術（美容目的ではない）です。".into(),
            Reason::PurposeMedical => "The purpose is medical, not beauty.".into(),
            Reason::MethodDrug if ja => {
                "薬剤の使用による施術で、省令で定める方法に当たります。".into()
            }
            Reason::MethodDrug => {
                "The method is the use of a drug, which the ordinance lists.".into()
            }
            Reason::MethodListedOther if ja => {
                "省令で定める方法（薬剤以外）による施術です。".into()
            }
            Reason::MethodListedOther => {
                "The method is one the ordinance lists (other than a drug).".into()
            }
            Reason::MethodNotListed if ja => "省令で定める方法以外による施術です。".into(),
            Reason::MethodNotListed => "The method is not one the ordinance lists.".into(),
            Reason::TotalAbove50000 { total, threshold }
            | Reason::TotalNotAbove50000 { total, threshold } => {
                let (total, threshold) = (format_yen(total, locale), format_yen(threshold, locale));
                match (ja, self.met()) {
                    (true, true) => {
                        format!("契約金額の総額{total}（税込）は{threshold}を超えています。")
                    }
                    (true, false) => {
                        format!("契約金額の総額{total}（税込）は{threshold}を超えていません。")
                    }
                    (false, true) => {
                        format!("The total, {total} including tax, is above {threshold}.")
                    }
                    (false, false) => {
                        format!("The total, {total} including tax, is not above {threshold}.")
                    }
                }
            }
            Reason::PeriodAboveOneMonth { months } if ja => {
                format!("役務提供期間{months}か月は1か月を超えています。")
            }
            Reason::PeriodAboveOneMonth { months } => format!(
                "The service period, {months} {}, is above one month.",
                months_word(months)
            ),
            Reason::PeriodNoFixedEnd if ja => {
                "役務提供期間の定めがないため、1か月を超えるものとして扱います。".into()
            }
            Reason::PeriodNoFixedEnd => {
                "The service period has no fixed end, so it counts as above one month.".into()
            }
            Reason::PeriodNotAboveOneMonth { months } if ja => {
                format!("役務提供期間{months}か月は1か月を超えていません。")
            }
            Reason::PeriodNotAboveOneMonth { months } => format!(
                "The service period, {months} {}, is not above one month.",
                months_word(months)
            ),
        }
    }
}

fn months_word(months: u32) -> &'static str {
    if months == 1 { "month" } else { "months" }
}

/// What one line of a contract commits the patient to, for the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Commitment {
    /// Single sessions: no period of their own.
    Single,
    /// A package whose sessions are used within `months` (none: no fixed
    /// period).
    Package { months: Option<u32> },
    /// A monthly item bought for `quantity` periods of `months` each: the
    /// commitment is `months × quantity` months, not one period.
    Monthly { months: u32, quantity: u32 },
    /// A monthly item renewing each period until cancelled: no fixed end.
    MonthlyRenewing,
}

/// A contract's service period: the whole commitment of its lines.
///
/// - A monthly item bought for N periods of M months runs N × M months
///   (six months of a monthly plan: 6 × 1 = 6 months), and one renewing
///   until cancelled has no fixed end.
/// - A package runs its stated months.
/// - The contract runs as long as its longest line; any line without a
///   fixed end (a renewing plan, a package without a period) or a contract
///   of single sessions only gives no fixed end, which counts as above one
///   month (regulatory.md §3.1: 「期間の定めのないもの…特段の事情のない限り
///   1月を超えるもの」), erring towards covered.
pub fn contract_period(lines: &[Commitment]) -> ServicePeriod {
    let mut months: Option<u32> = None;
    for line in lines {
        let m = match *line {
            Commitment::Single => continue,
            Commitment::Package { months: Some(m) } => m,
            Commitment::Package { months: None } | Commitment::MonthlyRenewing => {
                return ServicePeriod::NoFixedEnd;
            }
            Commitment::Monthly { months, quantity } => months.saturating_mul(quantity),
        };
        months = Some(months.map_or(m, |x| x.max(m)));
    }
    match months {
        Some(months) => ServicePeriod::Months { months },
        None => ServicePeriod::NoFixedEnd,
    }
}

/// A coverage decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Whether the Act covers the contract: documents, cooling-off and
    /// capped cancellation charges apply.
    pub covered: bool,
    /// One reason per condition: purpose, method, total, period.
    pub reasons: Vec<Reason>,
}

/// Decides coverage. Refuses a negative total or one above [`MAX_YEN`].
pub fn decide(facts: &CoverageFacts) -> Result<Coverage, Vec<FieldError>> {
    if facts.total < 0 {
        return Err(vec![FieldError::new("total", "total_negative")]);
    }
    if facts.total > MAX_YEN {
        return Err(vec![FieldError::new("total", "total_too_large")]);
    }
    let purpose = match facts.purpose {
        Purpose::Beauty => Reason::PurposeBeauty,
        Purpose::Unclear => Reason::PurposeUnclearTreatedAsBeauty,
        Purpose::Medical => Reason::PurposeMedical,
    };
    let method = match facts.method {
        Method::Drug => Reason::MethodDrug,
        Method::ListedOther => Reason::MethodListedOther,
        Method::Other => Reason::MethodNotListed,
    };
    let (total, threshold) = (facts.total, TOTAL_THRESHOLD);
    let amount = if total > threshold {
        Reason::TotalAbove50000 { total, threshold }
    } else {
        Reason::TotalNotAbove50000 { total, threshold }
    };
    let period = match facts.period {
        ServicePeriod::NoFixedEnd => Reason::PeriodNoFixedEnd,
        ServicePeriod::Months { months } if months > PERIOD_THRESHOLD_MONTHS => {
            Reason::PeriodAboveOneMonth { months }
        }
        ServicePeriod::Months { months } => Reason::PeriodNotAboveOneMonth { months },
    };
    let reasons = vec![purpose, method, amount, period];
    Ok(Coverage {
        covered: reasons.iter().all(Reason::met),
        reasons,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(purpose: Purpose, method: Method, total: Yen, period: ServicePeriod) -> CoverageFacts {
        CoverageFacts {
            purpose,
            method,
            total,
            period,
        }
    }

    fn codes(c: &Coverage) -> Vec<&'static str> {
        c.reasons.iter().map(Reason::code).collect()
    }

    const SIX: ServicePeriod = ServicePeriod::Months { months: 6 };

    #[test]
    fn a_beauty_injection_package_is_covered() {
        let c = decide(&facts(Purpose::Beauty, Method::Drug, 100_000, SIX)).unwrap();
        assert!(c.covered);
        assert_eq!(
            codes(&c),
            [
                "purpose_beauty",
                "method_drug",
                "total_above_50000",
                "period_above_one_month"
            ]
        );
        assert_eq!(
            c.reasons[2],
            Reason::TotalAbove50000 {
                total: 100_000,
                threshold: 50_000
            }
        );
        assert_eq!(c.reasons[3], Reason::PeriodAboveOneMonth { months: 6 });
    }

    #[test]
    fn an_unclear_purpose_counts_as_beauty() {
        let c = decide(&facts(Purpose::Unclear, Method::Drug, 100_000, SIX)).unwrap();
        assert!(c.covered);
        assert_eq!(c.reasons[0].code(), "purpose_unclear_treated_as_beauty");
        assert!(c.reasons[0].met());
    }

    #[test]
    fn a_medical_purpose_is_not_covered_and_every_reason_is_still_given() {
        let c = decide(&facts(Purpose::Medical, Method::Drug, 100_000, SIX)).unwrap();
        assert!(!c.covered);
        assert_eq!(
            codes(&c),
            [
                "purpose_medical",
                "method_drug",
                "total_above_50000",
                "period_above_one_month"
            ]
        );
        assert_eq!(
            c.reasons.iter().map(Reason::met).collect::<Vec<_>>(),
            [false, true, true, true]
        );
    }

    #[test]
    fn methods() {
        let c = decide(&facts(Purpose::Beauty, Method::ListedOther, 100_000, SIX)).unwrap();
        assert!(c.covered);
        assert_eq!(c.reasons[1].code(), "method_listed_other");
        let c = decide(&facts(Purpose::Beauty, Method::Other, 100_000, SIX)).unwrap();
        assert!(!c.covered);
        assert_eq!(c.reasons[1].code(), "method_not_listed");
    }

    #[test]
    fn the_total_must_be_above_50000_not_equal() {
        let at = decide(&facts(Purpose::Beauty, Method::Drug, 50_000, SIX)).unwrap();
        assert!(!at.covered);
        assert_eq!(
            at.reasons[2],
            Reason::TotalNotAbove50000 {
                total: 50_000,
                threshold: 50_000
            }
        );
        let above = decide(&facts(Purpose::Beauty, Method::Drug, 50_001, SIX)).unwrap();
        assert!(above.covered);
        let zero = decide(&facts(Purpose::Beauty, Method::Drug, 0, SIX)).unwrap();
        assert!(!zero.covered);
    }

    #[test]
    fn the_period_must_be_above_one_month_and_no_fixed_end_counts() {
        for (months, covered) in [(0, false), (1, false), (2, true), (24, true)] {
            let c = decide(&facts(
                Purpose::Beauty,
                Method::Drug,
                100_000,
                ServicePeriod::Months { months },
            ))
            .unwrap();
            assert_eq!(c.covered, covered, "{months} months");
        }
        let one = decide(&facts(
            Purpose::Beauty,
            Method::Drug,
            100_000,
            ServicePeriod::Months { months: 1 },
        ))
        .unwrap();
        assert_eq!(one.reasons[3], Reason::PeriodNotAboveOneMonth { months: 1 });
        let open = decide(&facts(
            Purpose::Beauty,
            Method::Drug,
            100_000,
            ServicePeriod::NoFixedEnd,
        ))
        .unwrap();
        assert!(open.covered);
        assert_eq!(open.reasons[3].code(), "period_no_fixed_end");
    }

    /// Error 1 of issue 16: a monthly plan is judged on the whole
    /// commitment. CM-IV-M: ¥44,000 a month, bought for 6 months:
    /// total 44,000 × 6 = 264,000 > 50,000 and period 1 × 6 = 6 months > 1
    /// month: covered. One month alone: 44,000 ≤ 50,000 and 1 month ≤ 1
    /// month: not covered.
    #[test]
    fn a_monthly_plan_is_judged_on_the_whole_commitment() {
        let six = contract_period(&[Commitment::Monthly {
            months: 1,
            quantity: 6,
        }]);
        assert_eq!(six, ServicePeriod::Months { months: 6 });
        let c = decide(&facts(Purpose::Unclear, Method::Drug, 44_000 * 6, six)).unwrap();
        assert!(c.covered);
        assert_eq!(
            c.reasons[2],
            Reason::TotalAbove50000 {
                total: 264_000,
                threshold: 50_000
            }
        );
        assert_eq!(c.reasons[3], Reason::PeriodAboveOneMonth { months: 6 });

        let one = contract_period(&[Commitment::Monthly {
            months: 1,
            quantity: 1,
        }]);
        assert_eq!(one, ServicePeriod::Months { months: 1 });
        let c = decide(&facts(Purpose::Beauty, Method::Drug, 44_000, one)).unwrap();
        assert!(!c.covered);
        assert_eq!(c.reasons[3], Reason::PeriodNotAboveOneMonth { months: 1 });

        // Two months of a monthly item are above one month: 1 × 2 = 2.
        assert_eq!(
            contract_period(&[Commitment::Monthly {
                months: 1,
                quantity: 2
            }]),
            ServicePeriod::Months { months: 2 }
        );
        // A quarterly billing period bought twice: 3 × 2 = 6 months.
        assert_eq!(
            contract_period(&[Commitment::Monthly {
                months: 3,
                quantity: 2
            }]),
            ServicePeriod::Months { months: 6 }
        );
    }

    #[test]
    fn a_renewing_plan_has_no_fixed_end_and_counts_as_above_one_month() {
        let p = contract_period(&[Commitment::MonthlyRenewing]);
        assert_eq!(p, ServicePeriod::NoFixedEnd);
        let c = decide(&facts(Purpose::Beauty, Method::Drug, 55_000, p)).unwrap();
        assert!(c.covered);
        assert_eq!(c.reasons[3], Reason::PeriodNoFixedEnd);
        // With a fixed package next to it the renewing plan still has no end.
        assert_eq!(
            contract_period(&[
                Commitment::Package { months: Some(6) },
                Commitment::MonthlyRenewing
            ]),
            ServicePeriod::NoFixedEnd
        );
    }

    #[test]
    fn the_contract_runs_as_long_as_its_longest_line() {
        assert_eq!(
            contract_period(&[
                Commitment::Package { months: Some(6) },
                Commitment::Monthly {
                    months: 1,
                    quantity: 8
                },
                Commitment::Single,
            ]),
            ServicePeriod::Months { months: 8 }
        );
        assert_eq!(
            contract_period(&[Commitment::Package { months: Some(3) }, Commitment::Single]),
            ServicePeriod::Months { months: 3 }
        );
        assert_eq!(
            contract_period(&[Commitment::Single]),
            ServicePeriod::NoFixedEnd
        );
        assert_eq!(
            contract_period(&[Commitment::Package { months: None }]),
            ServicePeriod::NoFixedEnd
        );
    }

    #[test]
    fn a_negative_or_absurd_total_is_refused() {
        let e = decide(&facts(Purpose::Beauty, Method::Drug, -1, SIX)).unwrap_err();
        assert_eq!(e, [FieldError::new("total", "total_negative")]);
        let e = decide(&facts(Purpose::Beauty, Method::Drug, MAX_YEN + 1, SIX)).unwrap_err();
        assert_eq!(e, [FieldError::new("total", "total_too_large")]);
    }

    fn every_reason() -> Vec<Reason> {
        vec![
            Reason::PurposeBeauty,
            Reason::PurposeUnclearTreatedAsBeauty,
            Reason::PurposeMedical,
            Reason::MethodDrug,
            Reason::MethodListedOther,
            Reason::MethodNotListed,
            Reason::TotalAbove50000 {
                total: 100_000,
                threshold: 50_000,
            },
            Reason::TotalNotAbove50000 {
                total: 30_000,
                threshold: 50_000,
            },
            Reason::PeriodAboveOneMonth { months: 6 },
            Reason::PeriodNoFixedEnd,
            Reason::PeriodNotAboveOneMonth { months: 1 },
        ]
    }

    #[test]
    fn the_serialised_code_is_the_code_and_round_trips() {
        for r in every_reason() {
            let v = serde_json::to_value(r).unwrap();
            assert_eq!(v["code"], r.code());
            assert_eq!(serde_json::from_value::<Reason>(v).unwrap(), r);
        }
        let v = serde_json::to_value(Reason::TotalAbove50000 {
            total: 100_000,
            threshold: 50_000,
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"code": "total_above_50000", "total": 100000, "threshold": 50000})
        );
    }

    #[test]
    fn every_reason_reads_in_both_languages_with_its_figures() {
        for r in every_reason() {
            for l in Locale::ALL {
                assert!(!r.text(l).is_empty(), "{r:?}");
            }
        }
        let r = Reason::TotalAbove50000 {
            total: 100_000,
            threshold: 50_000,
        };
        assert_eq!(
            r.text(Locale::En),
            "The total, ¥100,000 including tax, is above ¥50,000."
        );
        assert_eq!(
            r.text(Locale::Ja),
            "契約金額の総額100,000円（税込）は50,000円を超えています。"
        );
        assert_eq!(
            Reason::PeriodNotAboveOneMonth { months: 1 }.text(Locale::En),
            "The service period, 1 month, is not above one month."
        );
    }

    fn arb_facts() -> impl Strategy<Value = CoverageFacts> {
        (
            0usize..3,
            0usize..3,
            0..=200_000i64,
            prop_oneof![
                (0u32..36).prop_map(|months| ServicePeriod::Months { months }),
                Just(ServicePeriod::NoFixedEnd)
            ],
        )
            .prop_map(|(p, m, total, period)| CoverageFacts {
                purpose: Purpose::ALL[p],
                method: Method::ALL[m],
                total,
                period,
            })
    }

    proptest! {
        /// Covered exactly when the four conditions of the Act hold, and
        /// always with four reasons, one per condition.
        #[test]
        fn covered_iff_all_four_conditions(f in arb_facts()) {
            let c = decide(&f).unwrap();
            let expected = f.purpose != Purpose::Medical
                && f.method != Method::Other
                && f.total > 50_000
                && match f.period {
                    ServicePeriod::NoFixedEnd => true,
                    ServicePeriod::Months { months } => months > 1,
                };
            prop_assert_eq!(c.covered, expected);
            prop_assert_eq!(c.reasons.len(), 4);
        }
    }
}
