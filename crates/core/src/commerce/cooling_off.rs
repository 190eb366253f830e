//! The cooling-off (クーリング・オフ, 法48条; regulatory.md §3.3).
//!
//! A patient may cancel a covered contract unconditionally for **8 days
//! counted from the day the contract document (契約書面) was received, that
//! day included**: received on 2026-01-28, the last day is 2026-02-04. While
//! the contract document has not been received (or a defective one was
//! handed over) the 8 days do not start, and the right stays open.
//!
//! Days are the clinic's local calendar dates. The notice date is the date
//! the patient sent the notice (in writing, or electronically since
//! 2022-06-01).

use jiff::Span;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// How many days the cooling-off lasts, the day of receipt included.
pub const COOLING_OFF_DAYS: i32 = 8;

/// The last day a cooling-off notice may be sent for a contract document
/// received on `received`: 7 days later. Dates past the end of the
/// calendar (9999-12-31) are that end.
pub fn last_day(received: Date) -> Date {
    received.saturating_add(Span::new().days(COOLING_OFF_DAYS - 1))
}

/// Whether a notice sent on `notice` is within the cooling-off, for a
/// contract document received on `received` (`None`: not received). A
/// notice sent before the document arrived is within it too: the 8 days had
/// not started.
pub fn is_within(received: Option<Date>, notice: Date) -> bool {
    received.is_none_or(|r| notice <= last_day(r))
}

/// Checks the day a contract document is recorded as received, before it
/// is kept (issue 16, error 3: a backdated receipt would end the
/// cooling-off before it began). A document cannot be received:
///
/// - after `today` (`contract_received_in_future`);
/// - before the contract was concluded, for the contract document
///   (`concluded`: the day the contract was made;
///   `contract_received_before_contract`). The summary (概要書面) is by law
///   handed over before the contract, so it passes `None`;
/// - before the document was made (`document_made`;
///   `contract_received_before_document`).
///
/// Each refusal names the field `received_on`. Days are the clinic's
/// local dates.
pub fn check_received(
    received: Date,
    concluded: Option<Date>,
    document_made: Date,
    today: Date,
) -> Result<(), FieldError> {
    let code = if received > today {
        "contract_received_in_future"
    } else if concluded.is_some_and(|c| received < c) {
        "contract_received_before_contract"
    } else if received < document_made {
        "contract_received_before_document"
    } else {
        return Ok(());
    };
    Err(FieldError::new("received_on", code))
}

/// Where a contract's cooling-off stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    /// The contract document has not been received by that day: the 8 days
    /// have not started and the patient may still cool off.
    NotStarted,
    /// Running: the patient may cool off until `last_day`; `days_left`
    /// counts that day and today (1 on the last day).
    Running { last_day: Date, days_left: i32 },
    /// Over since the day after `last_day`.
    Ended { last_day: Date },
    /// The Act does not cover the contract: there is no cooling-off (its
    /// cancellation follows the clinic's own terms).
    NotApplicable,
}

/// The cooling-off's standing on `today` for a contract document received
/// on `received` (`None`: not received).
pub fn status(received: Option<Date>, today: Date) -> Status {
    let Some(received) = received.filter(|r| *r <= today) else {
        return Status::NotStarted;
    };
    let last_day = last_day(received);
    if today > last_day {
        return Status::Ended { last_day };
    }
    let days_left = today.until(last_day).map_or(0, |s| s.get_days()) + 1;
    Status::Running {
        last_day,
        days_left,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn eight_days_the_day_of_receipt_included() {
        assert_eq!(last_day(date(2026, 1, 28)), date(2026, 2, 4));
        assert!(is_within(Some(date(2026, 1, 28)), date(2026, 1, 28)));
        assert!(is_within(Some(date(2026, 1, 28)), date(2026, 2, 4)));
        assert!(!is_within(Some(date(2026, 1, 28)), date(2026, 2, 5)));
    }

    #[test]
    fn across_month_and_year_ends_and_leap_years() {
        for (received, last) in [
            (date(2026, 1, 31), date(2026, 2, 7)),
            (date(2026, 2, 25), date(2026, 3, 4)), // 28 days in February 2026
            (date(2024, 2, 25), date(2024, 3, 3)), // 29 February 2024 counts
            (date(2024, 2, 29), date(2024, 3, 7)),
            (date(2000, 2, 25), date(2000, 3, 3)), // 2000 is a leap year
            (date(2100, 2, 25), date(2100, 3, 4)), // 2100 is not
            (date(2025, 12, 28), date(2026, 1, 4)),
            (date(2026, 12, 31), date(2027, 1, 7)),
            (date(2026, 4, 30), date(2026, 5, 7)),
        ] {
            assert_eq!(last_day(received), last, "{received}");
        }
    }

    #[test]
    fn never_received_means_never_running() {
        assert!(is_within(None, date(2030, 1, 1)));
        assert_eq!(status(None, date(2030, 1, 1)), Status::NotStarted);
    }

    #[test]
    fn a_notice_before_the_document_arrived_is_within() {
        assert!(is_within(Some(date(2026, 2, 10)), date(2026, 2, 1)));
        assert_eq!(
            status(Some(date(2026, 2, 10)), date(2026, 2, 1)),
            Status::NotStarted
        );
    }

    #[test]
    fn status_counts_the_days_left() {
        let r = Some(date(2026, 1, 28));
        assert_eq!(
            status(r, date(2026, 1, 28)),
            Status::Running {
                last_day: date(2026, 2, 4),
                days_left: 8
            }
        );
        assert_eq!(
            status(r, date(2026, 2, 4)),
            Status::Running {
                last_day: date(2026, 2, 4),
                days_left: 1
            }
        );
        assert_eq!(
            status(r, date(2026, 2, 5)),
            Status::Ended {
                last_day: date(2026, 2, 4)
            }
        );
        assert_eq!(
            serde_json::to_value(status(r, date(2026, 2, 5))).unwrap(),
            serde_json::json!({"state": "ended", "last_day": "2026-02-04"})
        );
    }

    /// Contract concluded and its document made on 2026-02-10, today
    /// 2026-02-12. Received on 2026-02-03 would put the cooling-off's last
    /// day at 2026-02-03 + 7 = 2026-02-10: over on the day of the contract.
    #[test]
    fn a_backdated_or_future_receipt_is_refused() {
        let (concluded, made, today) = (date(2026, 2, 10), date(2026, 2, 10), date(2026, 2, 12));
        let err = |code| Err(FieldError::new("received_on", code));
        assert_eq!(last_day(date(2026, 2, 3)), concluded);
        assert_eq!(
            check_received(date(2026, 2, 3), Some(concluded), made, today),
            err("contract_received_before_contract")
        );
        assert_eq!(
            check_received(date(2026, 2, 9), Some(concluded), made, today),
            err("contract_received_before_contract")
        );
        assert_eq!(
            check_received(date(2026, 2, 13), Some(concluded), made, today),
            err("contract_received_in_future")
        );
        for ok in [date(2026, 2, 10), date(2026, 2, 11), date(2026, 2, 12)] {
            assert_eq!(check_received(ok, Some(concluded), made, today), Ok(()));
        }
        // A document made two days after the contract cannot be received
        // before it was made.
        assert_eq!(
            check_received(date(2026, 2, 11), Some(concluded), date(2026, 2, 12), today),
            err("contract_received_before_document")
        );
        // The summary is handed over before the contract: only the day it
        // was made and today bound it.
        assert_eq!(
            check_received(date(2026, 2, 8), None, date(2026, 2, 8), today),
            Ok(())
        );
        assert_eq!(
            check_received(date(2026, 2, 7), None, date(2026, 2, 8), today),
            err("contract_received_before_document")
        );
    }

    #[test]
    fn the_end_of_the_calendar_saturates() {
        assert_eq!(last_day(Date::MAX), Date::MAX);
        assert_eq!(last_day(date(9999, 12, 30)), Date::MAX);
    }

    fn arb_date() -> impl Strategy<Value = Date> {
        // 1900-01-01 plus up to ~300 years.
        (0i32..110_000).prop_map(|n| date(1900, 1, 1).saturating_add(Span::new().days(n)))
    }

    proptest! {
        /// The last day is always 7 days after receipt, and counting the
        /// calendar day by day from the day of receipt (day 1) reaches it
        /// on day 8.
        #[test]
        fn the_last_day_is_seven_days_after_receipt(received in arb_date()) {
            let end = last_day(received);
            prop_assert_eq!(received.until(end).unwrap().get_days(), 7);
            let mut day = received;
            for _ in 1..COOLING_OFF_DAYS {
                day = day.tomorrow().unwrap();
            }
            prop_assert_eq!(day, end);
        }

        /// A notice is within exactly on the 8 days from receipt (or before).
        #[test]
        fn within_exactly_on_the_eight_days(received in arb_date(), offset in -20i32..40) {
            let notice = received.saturating_add(Span::new().days(offset));
            prop_assert_eq!(is_within(Some(received), notice), offset <= 7);
            match status(Some(received), notice) {
                Status::NotStarted => prop_assert!(offset < 0),
                Status::Running { days_left, .. } => {
                    prop_assert!((0..=7).contains(&offset));
                    prop_assert_eq!(days_left, 8 - offset);
                }
                Status::Ended { .. } => prop_assert!(offset > 7),
                Status::NotApplicable => prop_assert!(false, "status never says not applicable"),
            }
        }
    }
}
