//! The quality specification of a product and the results on a lot's
//! certificate of analysis (CoA).

use serde::{Deserialize, Serialize};

use super::units::Milli;
use crate::code_enum;

code_enum! {
    /// Tests a specification may require. Defaults follow the seeds:
    /// sterility, endotoxin, mycoplasma and a virus panel.
    pub enum QcTest {
        SterilityBacteria => "sterility_bacteria",
        SterilityFungi => "sterility_fungi",
        Endotoxin => "endotoxin",
        Mycoplasma => "mycoplasma",
        VirusHbv => "virus_hbv",
        VirusHcv => "virus_hcv",
        VirusHiv => "virus_hiv",
        VirusHtlv1 => "virus_htlv1",
        Syphilis => "syphilis",
        ParvovirusB19 => "parvovirus_b19",
        ExosomeMarkers => "exosome_markers",
        ParticleCount => "particle_count",
        ProteinConcentration => "protein_concentration",
    }
}

/// What a result must be to pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Criterion {
    /// Negative / not detected.
    Negative,
    /// Positive / detected (e.g. exosome surface markers present).
    Positive,
    /// A number at or below the limit, in `unit`.
    AtMost { limit: Milli, unit: String },
    /// A number at or above the limit, in `unit`.
    AtLeast { limit: Milli, unit: String },
}

/// One required test and its acceptance criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub test: QcTest,
    pub criterion: Criterion,
}

/// The tests a lot must pass before release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Specification {
    pub tests: Vec<Requirement>,
}

impl Specification {
    /// The default from the seeds: sterility (bacteria, fungi) negative;
    /// endotoxin ≤ 0.5 EU/mL; mycoplasma negative; virus panel negative
    /// (HBV, HCV, HIV-1/2, HTLV-1, syphilis, parvovirus B19).
    pub fn seed_default() -> Self {
        let neg = |test| Requirement {
            test,
            criterion: Criterion::Negative,
        };
        Specification {
            tests: vec![
                neg(QcTest::SterilityBacteria),
                neg(QcTest::SterilityFungi),
                Requirement {
                    test: QcTest::Endotoxin,
                    criterion: Criterion::AtMost {
                        limit: Milli(500),
                        unit: "EU/mL".into(),
                    },
                },
                neg(QcTest::Mycoplasma),
                neg(QcTest::VirusHbv),
                neg(QcTest::VirusHcv),
                neg(QcTest::VirusHiv),
                neg(QcTest::VirusHtlv1),
                neg(QcTest::Syphilis),
                neg(QcTest::ParvovirusB19),
            ],
        }
    }

    pub fn requirement(&self, test: QcTest) -> Option<&Requirement> {
        self.tests.iter().find(|r| r.test == test)
    }
}

/// A result as written on a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Negative,
    Positive,
    Value { value: Milli, unit: String },
}

/// One line of a certificate of analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QcResult {
    pub test: QcTest,
    pub method: String,
    pub outcome: Outcome,
    pub tested_on: jiff::civil::Date,
}

/// Whether a result meets a criterion. A number in another unit, or a
/// qualitative answer to a quantitative criterion, does not.
pub fn meets(criterion: &Criterion, outcome: &Outcome) -> bool {
    match (criterion, outcome) {
        (Criterion::Negative, Outcome::Negative) => true,
        (Criterion::Positive, Outcome::Positive) => true,
        (Criterion::AtMost { limit, unit }, Outcome::Value { value, unit: u }) => {
            same_unit(unit, u) && value <= limit
        }
        (Criterion::AtLeast { limit, unit }, Outcome::Value { value, unit: u }) => {
            same_unit(unit, u) && value >= limit
        }
        _ => false,
    }
}

fn same_unit(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Why a lot's certificate does not satisfy its specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CertificateGap {
    /// `lot_release_missing_test`
    MissingTest { test: QcTest },
    /// `lot_release_test_out_of_spec`
    OutOfSpec { test: QcTest },
}

impl CertificateGap {
    pub fn code(&self) -> &'static str {
        match self {
            CertificateGap::MissingTest { .. } => "lot_release_missing_test",
            CertificateGap::OutOfSpec { .. } => "lot_release_test_out_of_spec",
        }
    }
    pub fn test(&self) -> QcTest {
        match self {
            CertificateGap::MissingTest { test } | CertificateGap::OutOfSpec { test } => *test,
        }
    }
}

/// Every way `results` fall short of `spec`. When a test was repeated, the
/// latest result (by test date, then by order given) counts.
pub fn certificate_gaps(spec: &Specification, results: &[QcResult]) -> Vec<CertificateGap> {
    let mut gaps = Vec::new();
    for req in &spec.tests {
        let latest = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.test == req.test)
            .max_by_key(|(i, r)| (r.tested_on, *i))
            .map(|(_, r)| r);
        match latest {
            None => gaps.push(CertificateGap::MissingTest { test: req.test }),
            Some(r) if !meets(&req.criterion, &r.outcome) => {
                gaps.push(CertificateGap::OutOfSpec { test: req.test })
            }
            Some(_) => {}
        }
    }
    gaps
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn res(test: QcTest, outcome: Outcome, day: i8) -> QcResult {
        QcResult {
            test,
            method: "m".into(),
            outcome,
            tested_on: date(2026, 10, day),
        }
    }

    fn full_pass() -> Vec<QcResult> {
        Specification::seed_default()
            .tests
            .iter()
            .map(|r| match r.test {
                QcTest::Endotoxin => res(
                    r.test,
                    Outcome::Value {
                        value: Milli(120),
                        unit: "EU/mL".into(),
                    },
                    1,
                ),
                t => res(t, Outcome::Negative, 1),
            })
            .collect()
    }

    #[test]
    fn a_complete_passing_certificate_has_no_gaps() {
        assert!(certificate_gaps(&Specification::seed_default(), &full_pass()).is_empty());
    }

    #[test]
    fn missing_and_failing_tests_are_each_named() {
        let mut r = full_pass();
        r.retain(|x| x.test != QcTest::Mycoplasma);
        for x in r.iter_mut() {
            if x.test == QcTest::Endotoxin {
                x.outcome = Outcome::Value {
                    value: Milli(600),
                    unit: "EU/mL".into(),
                };
            }
            if x.test == QcTest::VirusHcv {
                x.outcome = Outcome::Positive;
            }
        }
        let gaps = certificate_gaps(&Specification::seed_default(), &r);
        assert_eq!(
            gaps,
            vec![
                CertificateGap::OutOfSpec {
                    test: QcTest::Endotoxin
                },
                CertificateGap::MissingTest {
                    test: QcTest::Mycoplasma
                },
                CertificateGap::OutOfSpec {
                    test: QcTest::VirusHcv
                },
            ]
        );
    }

    #[test]
    fn the_latest_retest_counts() {
        let mut r = full_pass();
        r.push(res(QcTest::SterilityFungi, Outcome::Positive, 5));
        assert_eq!(
            certificate_gaps(&Specification::seed_default(), &r).len(),
            1
        );
        r.push(res(QcTest::SterilityFungi, Outcome::Negative, 9));
        assert!(certificate_gaps(&Specification::seed_default(), &r).is_empty());
    }

    #[test]
    fn units_must_match_and_limits_are_inclusive() {
        let c = Criterion::AtMost {
            limit: Milli(500),
            unit: "EU/mL".into(),
        };
        assert!(meets(
            &c,
            &Outcome::Value {
                value: Milli(500),
                unit: "eu/ml".into()
            }
        ));
        assert!(!meets(
            &c,
            &Outcome::Value {
                value: Milli(100),
                unit: "EU/L".into()
            }
        ));
        assert!(!meets(&c, &Outcome::Negative));
        assert!(!meets(
            &Criterion::Negative,
            &Outcome::Value {
                value: Milli(0),
                unit: "x".into()
            }
        ));
    }
}
