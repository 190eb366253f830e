//! Consumption tax (消費税) inside tax-included prices (総額表示;
//! regulatory.md §10).
//!
//! Self-pay care (自由診療: beauty treatments, unapproved drugs) is taxable at
//! the standard rate of 10%. Prices are set and shown tax included; the tax
//! is the part of that price that is tax: `amount × rate ÷ (100 + rate)`.
//!
//! On a simplified qualified invoice (適格簡易請求書) the tax is computed
//! **once per rate per receipt**, on the sum of that rate's tax-included
//! amounts, never line by line and summed ([`receipt_tax`]).
//!
//! Rounding: the fraction of a yen is **rounded down** (切り捨て), the usual
//! practice; the invoice rules leave the method to the business as long as
//! it rounds once per rate per invoice. For negative amounts (a reversal
//! slip, a discount exceeding the rest) the rounding is towards zero, so a
//! reversal's tax is exactly the negative of the original's.

use serde::{Deserialize, Serialize};

use super::{MAX_YEN, Yen};
use crate::code_enum;
use crate::error::FieldError;

code_enum! {
    /// A consumption-tax rate.
    pub enum TaxRate {
        /// 10%: everything a clinic sells, except food.
        Standard => "standard",
        /// 8% (軽減税率): food and drink, e.g. a health food sold as a
        /// related good.
        Reduced => "reduced",
    }
}

impl TaxRate {
    /// The rate in percent.
    pub fn percent(self) -> u32 {
        match self {
            TaxRate::Standard => 10,
            TaxRate::Reduced => 8,
        }
    }
}

/// The tax contained in a tax-included `amount`, rounded towards zero.
pub fn tax_included(amount: Yen, rate: TaxRate) -> Yen {
    let p = i128::from(rate.percent());
    // |amount × p| fits easily in i128 and the quotient is below |amount|.
    let tax = i128::from(amount) * p / (100 + p);
    Yen::try_from(tax).unwrap_or(0)
}

/// One rate's part of a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateTotal {
    pub rate: TaxRate,
    /// The rate in percent, for printing.
    pub percent: u32,
    /// The sum of this rate's tax-included amounts (税率ごとの対価の合計).
    pub total: Yen,
    /// The tax in it, computed once.
    pub tax: Yen,
    /// `total − tax`.
    pub net: Yen,
}

/// A receipt's tax: one line per rate that occurs (standard first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptTax {
    pub by_rate: Vec<RateTotal>,
    /// All rates together, tax included.
    pub total: Yen,
    /// The sum of the per-rate taxes.
    pub tax: Yen,
}

/// The tax of one receipt from its tax-included line amounts and their
/// rates: the lines are summed per rate, then each rate's tax is computed
/// once. Lines may be negative (discounts, reversals). Refuses a line above
/// ¥1 trillion in size (field `lines`, code `amount_too_large`).
pub fn receipt_tax<I>(lines: I) -> Result<ReceiptTax, FieldError>
where
    I: IntoIterator<Item = (TaxRate, Yen)>,
{
    let too_large = || FieldError::new("lines", "amount_too_large");
    let mut sums: Vec<(TaxRate, Yen)> = Vec::new();
    for (rate, amount) in lines {
        if amount.unsigned_abs() > MAX_YEN.unsigned_abs() {
            return Err(too_large());
        }
        match sums.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, sum)) => *sum = sum.checked_add(amount).ok_or_else(too_large)?,
            None => sums.push((rate, amount)),
        }
    }
    sums.sort_by_key(|(rate, _)| *rate);
    let mut receipt = ReceiptTax {
        by_rate: Vec::with_capacity(sums.len()),
        total: 0,
        tax: 0,
    };
    for (rate, total) in sums {
        let tax = tax_included(total, rate);
        receipt.total = receipt.total.checked_add(total).ok_or_else(too_large)?;
        receipt.tax += tax;
        receipt.by_rate.push(RateTotal {
            rate,
            percent: rate.percent(),
            total,
            tax,
            net: total - tax,
        });
    }
    Ok(receipt)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_tax_inside_a_tax_included_price() {
        assert_eq!(tax_included(110_000, TaxRate::Standard), 10_000);
        // 100,000 × 10 ÷ 110 = 9,090.9… → 9,090
        assert_eq!(tax_included(100_000, TaxRate::Standard), 9_090);
        // 1,000 × 8 ÷ 108 = 74.07… → 74
        assert_eq!(tax_included(1_000, TaxRate::Reduced), 74);
        assert_eq!(tax_included(10, TaxRate::Standard), 0);
        assert_eq!(tax_included(0, TaxRate::Standard), 0);
        assert_eq!(tax_included(-100_000, TaxRate::Standard), -9_090);
    }

    #[test]
    fn once_per_receipt_not_per_line() {
        // Three lines of ¥105: per line 9 + 9 + 9 = 27; once: 315 × 10 ÷ 110 = 28.6 → 28.
        let r = receipt_tax([(TaxRate::Standard, 105); 3]).unwrap();
        assert_eq!(r.tax, 28);
        assert_eq!(r.total, 315);
        assert_eq!(
            r.by_rate,
            [RateTotal {
                rate: TaxRate::Standard,
                percent: 10,
                total: 315,
                tax: 28,
                net: 287
            }]
        );
    }

    #[test]
    fn grouped_by_rate_standard_first() {
        let r = receipt_tax([
            (TaxRate::Reduced, 2_160),
            (TaxRate::Standard, 33_000),
            (TaxRate::Standard, 77_000),
            (TaxRate::Reduced, 1_080),
        ])
        .unwrap();
        assert_eq!(r.by_rate.len(), 2);
        assert_eq!(
            (r.by_rate[0].rate, r.by_rate[0].total, r.by_rate[0].tax),
            (TaxRate::Standard, 110_000, 10_000)
        );
        assert_eq!(
            (r.by_rate[1].rate, r.by_rate[1].total, r.by_rate[1].tax),
            (TaxRate::Reduced, 3_240, 240)
        );
        assert_eq!((r.total, r.tax), (113_240, 10_240));
    }

    #[test]
    fn a_discount_line_is_netted_before_the_tax() {
        let r = receipt_tax([(TaxRate::Standard, 110_000), (TaxRate::Standard, -11_000)]).unwrap();
        assert_eq!((r.total, r.tax), (99_000, 9_000));
    }

    #[test]
    fn an_empty_receipt_has_no_tax() {
        let r = receipt_tax([]).unwrap();
        assert_eq!((r.by_rate.len(), r.total, r.tax), (0, 0, 0));
    }

    #[test]
    fn absurd_amounts_are_refused() {
        let e = receipt_tax([(TaxRate::Standard, MAX_YEN + 1)]).unwrap_err();
        assert_eq!(e, FieldError::new("lines", "amount_too_large"));
        let e = receipt_tax([(TaxRate::Standard, -MAX_YEN - 1)]).unwrap_err();
        assert_eq!(e.code, "amount_too_large");
        assert!(receipt_tax([(TaxRate::Standard, MAX_YEN); 3]).is_ok());
    }

    fn arb_lines() -> impl Strategy<Value = Vec<(TaxRate, Yen)>> {
        prop::collection::vec(
            (prop::bool::ANY, -50_000..=500_000i64).prop_map(|(std, a)| {
                (
                    if std {
                        TaxRate::Standard
                    } else {
                        TaxRate::Reduced
                    },
                    a,
                )
            }),
            0..20,
        )
    }

    proptest! {
        /// Each rate's tax is computed once on its sum; tax and net add up;
        /// a non-negative sum has a tax between 0 and a tenth of it; a
        /// reversal's tax is exactly the negative.
        #[test]
        fn the_tax_is_computed_once_per_rate(lines in arb_lines()) {
            let r = receipt_tax(lines.clone()).unwrap();
            for rt in &r.by_rate {
                let sum: Yen = lines.iter().filter(|(rate, _)| *rate == rt.rate).map(|(_, a)| a).sum();
                prop_assert_eq!(rt.total, sum);
                let p = i64::from(rt.rate.percent());
                prop_assert_eq!(rt.tax, sum * p / (100 + p));
                prop_assert_eq!(rt.net + rt.tax, rt.total);
                if sum >= 0 {
                    prop_assert!(rt.tax >= 0 && rt.tax * 10 <= sum);
                    // Rounded down: the tax is the largest whole yen not above the exact one.
                    prop_assert!(rt.tax * (100 + p) <= sum * p);
                    prop_assert!((rt.tax + 1) * (100 + p) > sum * p);
                }
            }
            prop_assert_eq!(r.total, lines.iter().map(|(_, a)| a).sum::<Yen>());
            prop_assert_eq!(r.tax, r.by_rate.iter().map(|t| t.tax).sum::<Yen>());
            let reversed = receipt_tax(lines.iter().map(|(rate, a)| (*rate, -a))).unwrap();
            prop_assert_eq!(reversed.tax, -r.tax);
            prop_assert_eq!(reversed.total, -r.total);
        }
    }
}
