//! The point-of-care check: every finding code from exactly its cause, the
//! midnight expiry boundary in Asia/Tokyo, a blend with one recalled lot,
//! the override rules, and properties over arbitrary facts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Everything under `care::` so that `cargo test -p jousei-core care` runs it.
mod care {

    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::OnceLock;

    use jiff::Timestamp;
    use jiff::civil::{Date, date};
    use jousei_core::care::{
        AppointmentStatus, CareAppointment, CareConsent, CareFacts, CarePatient, CarePlan,
        CareScreening, CheckCode, CheckOutcome, Finding, IdentityCheck, Override, PlanComponent,
        RefusalCode, ScannedVial, Severity, Subject, VialLot, VialProduct, check, lot_blocks,
    };
    use jousei_core::patient::consent::ConsentState;
    use jousei_core::patient::screening::{self, Decision, FindingCode, ScreeningFacts};
    use jousei_core::supply::lot::{LotState, unavailability};
    use jousei_core::supply::product::{CellSource, ProductKind, Route, human_derived};
    use jousei_core::supply::units::Microlitres;
    use proptest::prelude::*;
    use uuid::Uuid;

    const PATIENT: Uuid = Uuid::from_u128(0x42);
    const OTHER_PATIENT: Uuid = Uuid::from_u128(0x43);
    const PHYSICIAN: Uuid = Uuid::from_u128(0xD0C);

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn product(
        code: &str,
        kind: ProductKind,
        routes: &[Route],
        in_use_minutes: u32,
    ) -> VialProduct {
        VialProduct {
            code: code.into(),
            kind,
            sources: match kind {
                ProductKind::Other => vec![],
                _ => vec![CellSource::DentalPulp],
            },
            routes: routes.to_vec(),
            in_use_minutes,
        }
    }

    fn vial(product: VialProduct, lot: &str, serial: Option<&str>) -> ScannedVial {
        ScannedVial {
            product,
            lot: VialLot {
                number: lot.into(),
                state: LotState::Released,
                expiry: date(2027, 3, 31),
                expiry_time: None,
                open_excursions: 0,
                expires_soon_days: 30,
            },
            serial: serial.map(str::to_string),
            opened_at: None,
            already_used: false,
            on_hand: 3,
            volume: None,
        }
    }

    fn dp() -> VialProduct {
        product(
            "DP-CM-10",
            ProductKind::ConditionedMedium,
            &[Route::IvDrip],
            120,
        )
    }

    fn ad() -> VialProduct {
        product(
            "AD-CM-5",
            ProductKind::ConditionedMedium,
            &[Route::IvDrip],
            60,
        )
    }

    /// A dose with nothing to say: 10:00 JST on 2026-11-22, the patient's card
    /// scanned, eligible, consented weeks ago, an approved plan, last dose 21
    /// days ago, today's appointment, one released vial.
    fn clear() -> CareFacts {
        CareFacts {
            at: ts("2026-11-22T01:00:00Z"),
            time_zone: "Asia/Tokyo".into(),
            patient: CarePatient {
                id: PATIENT,
                number: "000042".into(),
                received_human_derived: true,
            },
            identity: IdentityCheck::PatientCard {
                patient_number: "000042".into(),
            },
            screening: Some(CareScreening {
                decision: Some(Decision::Eligible),
                valid_until: Some(ts("2027-01-20T01:00:00Z")),
                stale: false,
                conditions: None,
                contraindications: vec![],
            }),
            consents: vec![CareConsent {
                product_kind: ProductKind::ConditionedMedium,
                route: Route::IvDrip,
                state: ConsentState::Signed,
                first_explained_at: ts("2026-10-01T02:00:00Z"),
                same_day_reason: None,
            }],
            plan: Some(CarePlan {
                approved: true,
                route: Route::IvDrip,
                components: vec![PlanComponent {
                    product_code: "DP-CM-10".into(),
                    share_percent: 100,
                }],
                min_interval_days: 14,
                last_administered_on: Some(date(2026, 11, 1)),
            }),
            appointment: Some(CareAppointment {
                patient_id: PATIENT,
                starts_at: ts("2026-11-22T00:30:00Z"),
                status: AppointmentStatus::CheckedIn,
            }),
            route: Route::IvDrip,
            vials: vec![vial(dp(), "L1", Some("S1"))],
        }
    }

    fn codes(o: &CheckOutcome) -> Vec<CheckCode> {
        o.findings.iter().map(|f| f.code).collect()
    }

    fn two_component_plan(f: &mut CareFacts) {
        let plan = f.plan.as_mut().unwrap();
        plan.components = vec![
            PlanComponent {
                product_code: "DP-CM-10".into(),
                share_percent: 50,
            },
            PlanComponent {
                product_code: "AD-CM-5".into(),
                share_percent: 50,
            },
        ];
    }

    /// For every code: a change of the clear facts that causes it, and only it.
    /// A change of the facts.
    type Cause = Box<dyn Fn(&mut CareFacts)>;

    fn cases() -> Vec<(CheckCode, Cause)> {
        use CheckCode as C;
        vec![
            (
                C::ClinicTimeZoneInvalid,
                Box::new(|f| f.time_zone = "Asia/Atlantis".into()),
            ),
            (C::NoVialScanned, Box::new(|f| f.vials.clear())),
            (
                C::PatientIdentityUnconfirmed,
                Box::new(|f| f.identity = IdentityCheck::Unconfirmed),
            ),
            (
                C::PatientIdentityMismatch,
                Box::new(|f| {
                    f.identity = IdentityCheck::PatientCard {
                        patient_number: "000043".into(),
                    }
                }),
            ),
            (C::ConsentMissing, Box::new(|f| f.consents.clear())),
            (
                C::ConsentWithdrawn,
                Box::new(|f| f.consents[0].state = ConsentState::Withdrawn),
            ),
            (
                C::ConsentSameDayUnjustified,
                Box::new(|f| f.consents[0].first_explained_at = ts("2026-11-21T23:30:00Z")),
            ),
            (
                C::AppointmentOtherPatient,
                Box::new(|f| f.appointment.as_mut().unwrap().patient_id = OTHER_PATIENT),
            ),
            (
                C::LotNotReleased,
                Box::new(|f| f.vials[0].lot.state = LotState::Quarantined),
            ),
            (
                C::LotOnHold,
                Box::new(|f| f.vials[0].lot.state = LotState::OnHold),
            ),
            (
                C::LotRecalled,
                Box::new(|f| f.vials[0].lot.state = LotState::Recalled),
            ),
            (
                C::LotRejected,
                Box::new(|f| f.vials[0].lot.state = LotState::Rejected),
            ),
            (
                C::LotExpired,
                Box::new(|f| f.vials[0].lot.expiry = date(2026, 11, 21)),
            ),
            (
                C::LotTemperatureExcursion,
                Box::new(|f| f.vials[0].lot.open_excursions = 1),
            ),
            (C::OutOfStock, Box::new(|f| f.vials[0].on_hand = 0)),
            (
                C::VialAlreadyUsed,
                Box::new(|f| f.vials[0].already_used = true),
            ),
            (
                C::VialOpenTooLong,
                Box::new(|f| f.vials[0].opened_at = Some(ts("2026-11-21T22:59:59Z"))),
            ),
            (
                C::VialScannedTwice,
                Box::new(|f| {
                    let again = f.vials[0].clone();
                    f.vials.push(again);
                }),
            ),
            (C::ScreeningMissing, Box::new(|f| f.screening = None)),
            (
                C::ScreeningUndecided,
                Box::new(|f| {
                    let s = f.screening.as_mut().unwrap();
                    s.decision = None;
                    s.valid_until = None;
                }),
            ),
            (
                C::ScreeningStale,
                Box::new(|f| f.screening.as_mut().unwrap().stale = true),
            ),
            (
                C::ScreeningExpired,
                Box::new(|f| f.screening.as_mut().unwrap().valid_until = Some(f.at)),
            ),
            (
                C::ScreeningNotEligible,
                Box::new(|f| f.screening.as_mut().unwrap().decision = Some(Decision::NotEligible)),
            ),
            (
                C::ContraindicationFlagged,
                Box::new(|f| {
                    f.screening.as_mut().unwrap().contraindications =
                        vec![FindingCode::Pregnancy, FindingCode::Pregnancy]
                }),
            ),
            (C::PlanMissing, Box::new(|f| f.plan = None)),
            (
                C::PlanNotApproved,
                Box::new(|f| f.plan.as_mut().unwrap().approved = false),
            ),
            (
                C::RouteNotInPlan,
                Box::new(|f| f.plan.as_mut().unwrap().route = Route::Nasal),
            ),
            (
                C::ProductNotInPlan,
                Box::new(|f| f.vials.push(vial(ad(), "L2", None))),
            ),
            (
                C::RouteNotLabelled,
                Box::new(|f| f.vials[0].product.routes = vec![Route::Nasal]),
            ),
            (
                C::IntervalTooShort,
                Box::new(|f| {
                    f.plan.as_mut().unwrap().last_administered_on = Some(date(2026, 11, 9))
                }),
            ),
            (
                C::LotExpiresSoon,
                Box::new(|f| f.vials[0].lot.expiry = date(2026, 12, 21)),
            ),
            (
                C::SameDayFirstTreatment,
                Box::new(|f| {
                    f.consents[0].first_explained_at = ts("2026-11-22T00:10:00Z");
                    f.consents[0].same_day_reason = Some("遠方からの来院で再来院が困難".into());
                }),
            ),
            (
                C::ScreeningWithConditions,
                Box::new(|f| {
                    let s = f.screening.as_mut().unwrap();
                    s.decision = Some(Decision::EligibleWithConditions);
                    s.conditions = Some("初回は経過観察30分".into());
                }),
            ),
            (C::PlanComponentMissing, Box::new(two_component_plan)),
            (
                C::BlendShareMismatch,
                Box::new(|f| {
                    two_component_plan(f);
                    f.vials[0].volume = Some(Microlitres(8_000));
                    let mut second = vial(ad(), "L2", None);
                    second.volume = Some(Microlitres(2_000));
                    f.vials.push(second);
                }),
            ),
            (C::AppointmentMissing, Box::new(|f| f.appointment = None)),
            (
                C::AppointmentOtherDay,
                Box::new(|f| {
                    f.appointment.as_mut().unwrap().starts_at = ts("2026-11-22T15:00:00Z")
                }),
            ),
            (
                C::AppointmentClosed,
                Box::new(|f| f.appointment.as_mut().unwrap().status = AppointmentStatus::Cancelled),
            ),
            (
                C::BloodDonationNotice,
                Box::new(|f| f.patient.received_human_derived = false),
            ),
        ]
    }

    #[test]
    fn clear_facts_have_no_finding_and_may_proceed() {
        let o = check(&clear());
        assert_eq!(codes(&o), []);
        assert_eq!(o.may_proceed(&[]), Ok(vec![]));
    }

    /// Every code has exactly one cause in [`cases`].
    #[test]
    fn every_code_has_a_cause() {
        let cases = cases();
        let covered: BTreeSet<CheckCode> = cases.iter().map(|c| c.0).collect();
        let all: BTreeSet<CheckCode> = CheckCode::ALL.iter().copied().collect();
        assert_eq!(covered, all, "a code without a cause");
        assert_eq!(cases.len(), all.len(), "a code with two causes");
    }

    /// `code` is produced by its cause alone (the clear facts produce
    /// nothing), with its own severity and every placeholder of its messages.
    fn only_its_cause_produces(code: CheckCode) {
        let cases = cases();
        let (_, cause) = cases.iter().find(|c| c.0 == code).unwrap();
        let mut f = clear();
        assert!(!codes(&check(&f)).contains(&code));
        cause(&mut f);
        let o = check(&f);
        assert!(!o.findings.is_empty(), "{code}: not produced");
        for finding in &o.findings {
            assert_eq!(finding.code, code, "{code}: also {}", finding.code);
            assert_eq!(finding.severity, code.severity());
            assert_placeholders_given(finding);
        }
        assert_eq!(o.is_blocked(), code.severity() == Severity::Block);
        assert_eq!(
            o.may_proceed(&[]).is_ok(),
            code.severity() == Severity::Warning
        );
    }

    /// One test per finding code.
    macro_rules! per_code {
    ($($name:ident => $code:ident),+ $(,)?) => {
        mod each_code {
            use super::*;
            $(#[test] fn $name() { only_its_cause_produces(CheckCode::$code); })+
        }
    };
}

    per_code! {
        clinic_time_zone_invalid => ClinicTimeZoneInvalid,
        no_vial_scanned => NoVialScanned,
        patient_identity_unconfirmed => PatientIdentityUnconfirmed,
        patient_identity_mismatch => PatientIdentityMismatch,
        consent_missing => ConsentMissing,
        consent_withdrawn => ConsentWithdrawn,
        consent_same_day_unjustified => ConsentSameDayUnjustified,
        appointment_other_patient => AppointmentOtherPatient,
        lot_not_released => LotNotReleased,
        lot_on_hold => LotOnHold,
        lot_recalled => LotRecalled,
        lot_rejected => LotRejected,
        lot_expired => LotExpired,
        lot_temperature_excursion => LotTemperatureExcursion,
        out_of_stock => OutOfStock,
        vial_already_used => VialAlreadyUsed,
        vial_open_too_long => VialOpenTooLong,
        vial_scanned_twice => VialScannedTwice,
        screening_missing => ScreeningMissing,
        screening_undecided => ScreeningUndecided,
        screening_stale => ScreeningStale,
        screening_expired => ScreeningExpired,
        screening_not_eligible => ScreeningNotEligible,
        contraindication_flagged => ContraindicationFlagged,
        plan_missing => PlanMissing,
        plan_not_approved => PlanNotApproved,
        route_not_in_plan => RouteNotInPlan,
        product_not_in_plan => ProductNotInPlan,
        route_not_labelled => RouteNotLabelled,
        interval_too_short => IntervalTooShort,
        lot_expires_soon => LotExpiresSoon,
        same_day_first_treatment => SameDayFirstTreatment,
        screening_with_conditions => ScreeningWithConditions,
        plan_component_missing => PlanComponentMissing,
        blend_share_mismatch => BlendShareMismatch,
        appointment_missing => AppointmentMissing,
        appointment_other_day => AppointmentOtherDay,
        appointment_closed => AppointmentClosed,
        blood_donation_notice => BloodDonationNotice,
    }

    #[test]
    fn severities_are_as_the_contract_says() {
        use CheckCode as C;
        let blocks = [
            C::LotNotReleased,
            C::LotOnHold,
            C::LotRecalled,
            C::LotRejected,
            C::LotExpired,
            C::LotTemperatureExcursion,
            C::VialOpenTooLong,
            C::VialAlreadyUsed,
            C::PatientIdentityUnconfirmed,
            C::ConsentMissing,
            C::ConsentWithdrawn,
            C::OutOfStock,
            C::NoVialScanned,
        ];
        let overrides = [
            C::ScreeningMissing,
            C::ScreeningStale,
            C::ScreeningNotEligible,
            C::ContraindicationFlagged,
            C::ProductNotInPlan,
            C::RouteNotInPlan,
            C::IntervalTooShort,
            C::RouteNotLabelled,
        ];
        let warnings = [
            C::LotExpiresSoon,
            C::SameDayFirstTreatment,
            C::ScreeningWithConditions,
            C::BlendShareMismatch,
        ];
        for c in blocks {
            assert_eq!(c.severity(), Severity::Block, "{c}");
        }
        for c in overrides {
            assert_eq!(c.severity(), Severity::Override, "{c}");
        }
        for c in warnings {
            assert_eq!(c.severity(), Severity::Warning, "{c}");
        }
    }

    #[test]
    fn findings_carry_their_subject_and_values() {
        let mut f = clear();
        f.vials[0].lot.expiry = date(2026, 11, 21);
        f.vials[0].opened_at = Some(ts("2026-11-21T22:00:00Z"));
        f.plan.as_mut().unwrap().last_administered_on = Some(date(2026, 11, 15));
        let o = check(&f);
        let expired = &o.findings[0];
        assert_eq!(expired.code, CheckCode::LotExpired);
        assert_eq!(
            expired.subject,
            Some(Subject::Lot {
                product_code: "DP-CM-10".into(),
                lot_number: "L1".into()
            })
        );
        assert_eq!(expired.params["expiry"], "2026-11-21");
        assert_eq!(expired.message_key(), "care-lot_expired");
        let open = &o.findings[1];
        assert_eq!(open.code, CheckCode::VialOpenTooLong);
        assert_eq!(open.subject, Some(Subject::Vial { index: 0 }));
        assert_eq!(open.params["minutes_open"], "180");
        assert_eq!(open.params["in_use_minutes"], "120");
        assert_eq!(open.params["opened_at"], "2026-11-22 07:00");
        assert_eq!(open.params["serial"], "S1");
        let interval = &o.findings[2];
        assert_eq!(interval.code, CheckCode::IntervalTooShort);
        assert_eq!(interval.params["days_since"], "7");
        assert_eq!(interval.params["min_days"], "14");
        assert_eq!(interval.params["last_date"], "2026-11-15");
    }

    /// Blocks come first, then overrides, then warnings; within a severity the
    /// order of the checks.
    #[test]
    fn findings_are_ordered_by_severity() {
        let mut f = clear();
        f.appointment = None;
        f.plan.as_mut().unwrap().approved = false;
        f.vials[0].lot.state = LotState::OnHold;
        f.identity = IdentityCheck::Unconfirmed;
        assert_eq!(
            codes(&check(&f)),
            [
                CheckCode::PatientIdentityUnconfirmed,
                CheckCode::LotOnHold,
                CheckCode::PlanNotApproved,
                CheckCode::AppointmentMissing
            ]
        );
    }

    #[test]
    fn the_in_use_time_is_inclusive() {
        let mut f = clear();
        f.vials[0].opened_at = Some(ts("2026-11-21T23:00:00Z")); // exactly 120 minutes
        assert_eq!(codes(&check(&f)), []);
        f.vials[0].opened_at = Some(ts("2026-11-21T22:59:59Z"));
        assert_eq!(codes(&check(&f)), [CheckCode::VialOpenTooLong]);
    }

    #[test]
    fn identity_by_name_and_birth_date_needs_both() {
        let mut f = clear();
        for (name, birth, expected) in [
            (true, true, vec![]),
            (true, false, vec![CheckCode::PatientIdentityMismatch]),
            (false, true, vec![CheckCode::PatientIdentityMismatch]),
        ] {
            f.identity = IdentityCheck::NameAndBirthDate {
                name_matched: name,
                birth_date_matched: birth,
            };
            assert_eq!(codes(&check(&f)), expected);
        }
        // A card is read the way patient numbers are typed (trimmed, upper case).
        f.patient.number = "ab-12".into();
        f.identity = IdentityCheck::PatientCard {
            patient_number: " AB-12 ".into(),
        };
        assert_eq!(codes(&check(&f)), []);
        f.identity = IdentityCheck::PatientCard {
            patient_number: "  ".into(),
        };
        assert_eq!(codes(&check(&f)), [CheckCode::PatientIdentityUnconfirmed]);
    }

    /// The consent must be for the route and for each product kind scanned; a
    /// new signed consent after a withdrawn one counts.
    #[test]
    fn consent_is_per_kind_and_route() {
        let mut f = clear();
        f.consents[0].route = Route::Nasal;
        assert_eq!(codes(&check(&f)), [CheckCode::ConsentMissing]);
        let mut f = clear();
        let mut resigned = f.consents[0].clone();
        f.consents[0].state = ConsentState::Withdrawn;
        resigned.first_explained_at = ts("2026-11-10T02:00:00Z");
        f.consents.push(resigned);
        assert_eq!(codes(&check(&f)), []);
        // An exosome vial in the same dose needs its own consent.
        let mut f = clear();
        let ex = product(
            "EX-1",
            ProductKind::ExosomePreparation,
            &[Route::IvDrip],
            30,
        );
        f.vials.push(vial(ex, "E1", None));
        let o = check(&f);
        let missing: Vec<_> = o
            .findings
            .iter()
            .filter(|x| x.code == CheckCode::ConsentMissing)
            .collect();
        assert_eq!(missing.len(), 1);
        assert_eq!(
            missing[0].subject,
            Some(Subject::ProductKind {
                product_kind: ProductKind::ExosomePreparation
            })
        );
        assert_eq!(missing[0].params["route"], "iv_drip");
    }

    /// A lot with an expiry time, 2026-12-07T10:00+09:00 ((7003) or ISBT 128
    /// 005): usable at 09:59 JST, blocked from 10:00 JST (01:00Z), at the chair
    /// as in the full check. A date-only lot is usable all that day.
    #[test]
    fn an_expiry_time_is_judged_at_that_minute_in_the_clinics_zone() {
        let facts = |t: &str, time: Option<jiff::civil::Time>| {
            let mut f = clear();
            f.at = ts(t);
            f.appointment.as_mut().unwrap().starts_at = ts("2026-12-07T00:00:00Z");
            f.vials[0].lot.expiry = date(2026, 12, 7);
            f.vials[0].lot.expiry_time = time;
            f.vials[0].lot.expires_soon_days = 0;
            f
        };
        let ten = Some(jiff::civil::time(10, 0, 0, 0));
        let before = facts("2026-12-07T00:59:59Z", ten);
        assert_eq!(codes(&check(&before)), []);
        assert!(lot_blocks(&before.vials, before.at, &before.time_zone).is_empty());
        let at_ten = facts("2026-12-07T01:00:00Z", ten);
        let o = check(&at_ten);
        assert_eq!(codes(&o), [CheckCode::LotExpired]);
        assert_eq!(o.findings[0].params["expiry"], "2026-12-07 10:00");
        assert!(o.may_proceed(&[]).is_err());
        let blocks = lot_blocks(&at_ten.vials, at_ten.at, &at_ten.time_zone);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].code, CheckCode::LotExpired);
        // Without a time the same lot is usable until the end of the day.
        let date_only = facts("2026-12-07T14:59:59Z", None);
        assert_eq!(codes(&check(&date_only)), []);
        let next_day = facts("2026-12-07T15:00:00Z", None);
        assert!(codes(&check(&next_day)).contains(&CheckCode::LotExpired));
    }

    /// Expiry 2026-12-01 in Asia/Tokyo: usable until 23:59:59 JST that day
    /// (14:59:59Z), expired from 00:00 JST on the 2nd (15:00:00Z).
    #[test]
    fn expiry_is_judged_at_midnight_in_the_clinics_zone() {
        let at = |t: &str| {
            let mut f = clear();
            f.at = ts(t);
            f.appointment.as_mut().unwrap().starts_at = ts("2026-12-01T01:00:00Z");
            f.vials[0].lot.expiry = date(2026, 12, 1);
            f.vials[0].lot.expires_soon_days = 0;
            check(&f)
        };
        let last_second = at("2026-12-01T14:59:59Z");
        assert_eq!(codes(&last_second), []);
        assert!(last_second.may_proceed(&[]).is_ok());
        let midnight = at("2026-12-01T15:00:00Z");
        assert!(codes(&midnight).contains(&CheckCode::LotExpired));
        let refusals = midnight.may_proceed(&[]).unwrap_err();
        assert!(
            refusals
                .iter()
                .any(|r| r.code == RefusalCode::CheckBlocked && r.finding == CheckCode::LotExpired)
        );
        // In UTC the same instant is still the 1st: the zone decides.
        let mut utc = clear();
        utc.at = ts("2026-12-01T15:00:00Z");
        utc.time_zone = "UTC".into();
        utc.vials[0].lot.expiry = date(2026, 12, 1);
        assert!(!codes(&check(&utc)).contains(&CheckCode::LotExpired));
        // The expiry day itself warns that it is the last day.
        let mut f = clear();
        f.vials[0].lot.expiry = date(2026, 11, 22);
        let o = check(&f);
        assert_eq!(codes(&o), [CheckCode::LotExpiresSoon]);
        assert_eq!(o.findings[0].params["days_left"], "0");
    }

    /// A blend of two lots where only one is recalled: the recalled lot is
    /// named, the other is not mentioned.
    #[test]
    fn a_blend_with_one_recalled_lot_blocks_on_that_lot_only() {
        let mut f = clear();
        two_component_plan(&mut f);
        f.vials[0].volume = Some(Microlitres(5_000));
        let mut second = vial(ad(), "L2", Some("A7"));
        second.lot.state = LotState::Recalled;
        second.volume = Some(Microlitres(5_000));
        f.vials.push(second);
        let o = check(&f);
        assert_eq!(codes(&o), [CheckCode::LotRecalled]);
        assert_eq!(
            o.findings[0].subject,
            Some(Subject::Lot {
                product_code: "AD-CM-5".into(),
                lot_number: "L2".into()
            })
        );
        assert_eq!(o.findings[0].params["lot"], "L2");
        assert!(o.is_blocked());
        f.vials[1].lot.state = LotState::Released;
        assert_eq!(check(&f).may_proceed(&[]), Ok(vec![]));
    }

    #[test]
    fn blend_shares_allow_five_points() {
        let mut f = clear();
        two_component_plan(&mut f);
        f.vials[0].volume = Some(Microlitres(5_500));
        let mut second = vial(ad(), "L2", None);
        second.volume = Some(Microlitres(4_500));
        f.vials.push(second);
        assert_eq!(codes(&check(&f)), []);
        f.vials[0].volume = Some(Microlitres(5_600));
        let o = check(&f);
        assert_eq!(
            codes(&o),
            [CheckCode::BlendShareMismatch, CheckCode::BlendShareMismatch]
        );
        assert_eq!(o.findings[0].params["planned_percent"], "50");
        assert_eq!(o.findings[0].params["actual_percent"], "55");
        // Without every volume there is nothing to compare.
        f.vials[1].volume = None;
        assert_eq!(codes(&check(&f)), []);
    }

    #[test]
    fn two_vials_of_the_last_stock_are_out_of_stock() {
        let mut f = clear();
        f.vials[0].on_hand = 1;
        f.vials.push(vial(dp(), "L1", Some("S2")));
        f.vials[1].on_hand = 1;
        let o = check(&f);
        assert_eq!(codes(&o), [CheckCode::OutOfStock]);
        assert_eq!(o.findings[0].params["needed"], "2");
        assert_eq!(o.findings[0].params["on_hand"], "1");
    }

    #[test]
    fn a_screening_is_seen_as_it_stands() {
        let decided = ts("2026-11-01T01:00:00Z");
        let s = ScreeningFacts {
            answers_fingerprint: "a".into(),
            decided: Some((Decision::Eligible, decided, 90)),
        };
        let findings = screening::screen(
            &[
                (
                    jousei_core::patient::questionnaire::QuestionId::Pregnancy,
                    jousei_core::patient::questionnaire::Answer {
                        choice: jousei_core::patient::questionnaire::Choice::Yes,
                        detail: None,
                    },
                ),
                (
                    jousei_core::patient::questionnaire::QuestionId::CurrentMedications,
                    jousei_core::patient::questionnaire::Answer {
                        choice: jousei_core::patient::questionnaire::Choice::Yes,
                        detail: Some("ロキソプロフェン".into()),
                    },
                ),
            ]
            .into_iter()
            .collect(),
            &[],
        );
        let c = CareScreening::from_screening(&s, "a", &findings, None);
        assert_eq!(c.decision, Some(Decision::Eligible));
        assert_eq!(c.valid_until, Some(screening::valid_until(decided, 90)));
        assert!(!c.stale);
        assert_eq!(c.contraindications, [FindingCode::Pregnancy]);
        assert!(CareScreening::from_screening(&s, "b", &findings, None).stale);
    }

    /// Every one of the eight items the seed names as a reason to withhold
    /// treatment (domain.md §5.2) reaches the chair as a contraindication,
    /// whatever its screening severity; notices and "consult the physician"
    /// findings do not.
    #[test]
    fn every_contraindication_of_the_seed_reaches_the_chair() {
        use jousei_core::patient::questionnaire::{Answer, Choice, QuestionId as Q};
        let s = ScreeningFacts {
            answers_fingerprint: "a".into(),
            decided: Some((Decision::Eligible, ts("2026-11-01T01:00:00Z"), 90)),
        };
        let seen = |q: Q, choice: Choice| {
            let answers = [(
                q,
                Answer {
                    choice,
                    detail: Some("詳細".into()),
                },
            )]
            .into_iter()
            .collect();
            let findings = screening::screen(&answers, &[]);
            CareScreening::from_screening(&s, "a", &findings, None).contraindications
        };
        for (q, choice, code) in [
            (
                Q::DiseaseUnderTreatment,
                Choice::Yes,
                FindingCode::DiseaseUnderTreatment,
            ),
            (
                Q::AllergicDisease,
                Choice::Yes,
                FindingCode::AllergicDisease,
            ),
            (Q::DrugAllergy, Choice::Yes, FindingCode::DrugAllergy),
            (Q::Pregnancy, Choice::Yes, FindingCode::Pregnancy),
            (Q::Pregnancy, Choice::Unsure, FindingCode::PregnancyPossible),
            (Q::Breastfeeding, Choice::Yes, FindingCode::Breastfeeding),
            (
                Q::AutoimmuneDisease,
                Choice::Yes,
                FindingCode::AutoimmuneDisease,
            ),
            (
                Q::ImmunosuppressiveTherapy,
                Choice::Yes,
                FindingCode::ImmunosuppressiveTherapy,
            ),
            (
                Q::MalignancyUnderTreatment,
                Choice::Yes,
                FindingCode::MalignancyUnderTreatment,
            ),
        ] {
            assert_eq!(seen(q, choice), [code], "{q:?} {choice:?}");
            // And the chair asks a physician about it.
            let mut f = clear();
            f.screening.as_mut().unwrap().contraindications = vec![code];
            let o = check(&f);
            assert!(
                o.has(
                    CheckCode::ContraindicationFlagged,
                    Some(&Subject::ScreeningFinding { finding: code })
                ),
                "{code:?}"
            );
        }
        for q in [
            Q::InjectionReaction,
            Q::CurrentMedications,
            Q::BloodDonation,
        ] {
            assert_eq!(seen(q, Choice::Yes), [], "{q:?}");
        }
    }

    /// Human-derived is decided from the product's sources: every named
    /// source is human tissue (placenta included, the one product the Red
    /// Cross defers donors for), whatever the product kind; a conditioned
    /// medium or exosome preparation with an unnamed source is still taken
    /// as human-derived; another product without a named source is not.
    #[test]
    fn human_derived_follows_the_products_sources() {
        for source in CellSource::ALL {
            let named = *source != CellSource::Other;
            for kind in ProductKind::ALL {
                let expected = named || *kind != ProductKind::Other;
                assert_eq!(
                    human_derived(*kind, &[*source]),
                    expected,
                    "{kind:?} from {source:?}"
                );
                // A blend of sources: one named source is enough.
                assert!(
                    human_derived(*kind, &[CellSource::Other, CellSource::Placenta]),
                    "{kind:?}"
                );
            }
        }
        assert!(!human_derived(ProductKind::Other, &[]));
        assert!(human_derived(ProductKind::ConditionedMedium, &[]));

        // An approved human placenta injection gives the notice at the
        // patient's first dose; a local anaesthetic does not.
        let placenta = VialProduct {
            sources: vec![CellSource::Placenta],
            ..product("PL-INJ", ProductKind::Other, &[Route::IvDrip], 60)
        };
        let lido = product("LIDO", ProductKind::Other, &[Route::IvDrip], 600);
        for (p, notice) in [(placenta, true), (lido, false)] {
            let mut f = clear();
            f.patient.received_human_derived = false;
            f.vials = vec![vial(dp(), "L1", Some("S1")), vial(p.clone(), "P1", None)];
            f.plan = None;
            let with_dp = check(&f).has(CheckCode::BloodDonationNotice, None);
            assert!(with_dp);
            f.vials = vec![vial(p.clone(), "P1", None)];
            assert_eq!(
                check(&f).has(CheckCode::BloodDonationNotice, None),
                notice,
                "{}",
                p.code
            );
            assert_eq!(p.human_derived(), notice);
        }
    }

    /// A scanned lot's own blocks are known without the rest of the facts,
    /// and are the check's own findings for that lot.
    #[test]
    fn a_lots_own_blocks_are_the_checks() {
        for state in LotState::ALL {
            for expiry in [date(2026, 11, 21), date(2027, 3, 31)] {
                let mut f = clear();
                f.vials[0].lot.state = *state;
                f.vials[0].lot.expiry = expiry;
                f.vials[0].lot.open_excursions = 1;
                f.vials[0].on_hand = 0;
                let blocks = jousei_core::care::lot_blocks(&f.vials, f.at, &f.time_zone);
                let from_check: Vec<Finding> = check(&f)
                    .findings
                    .into_iter()
                    .filter(|x| {
                        x.severity == Severity::Block
                            && x.code != CheckCode::OutOfStock
                            && matches!(x.subject, Some(Subject::Lot { .. }))
                    })
                    .collect();
                assert_eq!(blocks, from_check, "{state:?} {expiry}");
                assert!(
                    blocks
                        .iter()
                        .any(|b| b.code == CheckCode::LotTemperatureExcursion)
                );
                assert!(!blocks.iter().any(|b| b.code == CheckCode::OutOfStock));
            }
        }
    }

    fn ovr(code: CheckCode, subject: Option<Subject>, reason: &str) -> Override {
        Override {
            code,
            subject,
            physician_id: PHYSICIAN,
            reason: reason.into(),
        }
    }

    fn refusal_codes(
        r: Result<Vec<Override>, Vec<jousei_core::care::Refusal>>,
    ) -> Vec<RefusalCode> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.code)
            .collect()
    }

    #[test]
    fn overrides_need_a_physicians_reason_for_an_overridable_finding() {
        let mut f = clear();
        f.plan.as_mut().unwrap().last_administered_on = Some(date(2026, 11, 15));
        f.screening.as_mut().unwrap().contraindications = vec![FindingCode::Breastfeeding];
        let o = check(&f);
        let flagged = Some(Subject::ScreeningFinding {
            finding: FindingCode::Breastfeeding,
        });
        // Nothing given: each overridable finding is named.
        assert_eq!(
            refusal_codes(o.may_proceed(&[])),
            [RefusalCode::OverrideRequired, RefusalCode::OverrideRequired]
        );
        // Both given, with reasons: allowed, and the overrides to record come
        // back trimmed, in the order of the findings.
        let ok = o
            .may_proceed(&[
                ovr(
                    CheckCode::IntervalTooShort,
                    None,
                    " 旅行のため前倒し。医学的に問題なし。 ",
                ),
                ovr(
                    CheckCode::ContraindicationFlagged,
                    flagged.clone(),
                    "断乳済み",
                ),
            ])
            .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].code, CheckCode::ContraindicationFlagged);
        assert_eq!(ok[1].reason, "旅行のため前倒し。医学的に問題なし。");
        // A blank reason.
        let r = o.may_proceed(&[
            ovr(CheckCode::IntervalTooShort, None, "  \n "),
            ovr(
                CheckCode::ContraindicationFlagged,
                flagged.clone(),
                "断乳済み",
            ),
        ]);
        assert_eq!(refusal_codes(r), [RefusalCode::OverrideReasonRequired]);
        // Too long, or with control characters.
        let long = "長".repeat(2001);
        let r = o.may_proceed(&[
            ovr(CheckCode::IntervalTooShort, None, &long),
            ovr(
                CheckCode::ContraindicationFlagged,
                flagged.clone(),
                "a\u{7}b",
            ),
        ]);
        assert_eq!(
            refusal_codes(r),
            [
                RefusalCode::OverrideReasonTooLong,
                RefusalCode::OverrideReasonInvalid
            ]
        );
        // Twice the same finding.
        let r = o.may_proceed(&[
            ovr(CheckCode::IntervalTooShort, None, "理由"),
            ovr(CheckCode::IntervalTooShort, None, "別の理由"),
            ovr(CheckCode::ContraindicationFlagged, flagged, "断乳済み"),
        ]);
        assert_eq!(refusal_codes(r), [RefusalCode::OverrideDuplicate]);
        // A finding that is not there, another subject, or a warning.
        let r = o.may_proceed(&[
            ovr(CheckCode::IntervalTooShort, None, "理由"),
            ovr(
                CheckCode::ContraindicationFlagged,
                Some(Subject::ScreeningFinding {
                    finding: FindingCode::Pregnancy,
                }),
                "理由",
            ),
            ovr(CheckCode::PlanMissing, None, "理由"),
            ovr(CheckCode::LotExpiresSoon, None, "理由"),
        ]);
        let refusals = r.unwrap_err();
        assert_eq!(
            refusals.iter().map(|r| r.code).collect::<Vec<_>>(),
            [
                RefusalCode::OverrideRequired,
                RefusalCode::OverrideNotApplicable,
                RefusalCode::OverrideNotApplicable,
                RefusalCode::OverrideNotApplicable
            ]
        );
        assert_eq!(refusals[1].override_index, Some(1));
        assert_eq!(refusals[0].message_key(), "err-override_required");
    }

    #[test]
    fn a_block_cannot_be_overridden() {
        let mut f = clear();
        f.vials[0].lot.state = LotState::Recalled;
        let o = check(&f);
        let subject = o.findings[0].subject.clone();
        let r = o.may_proceed(&[ovr(CheckCode::LotRecalled, subject, "緊急のため")]);
        let refusals = r.unwrap_err();
        assert_eq!(
            refusals.iter().map(|r| r.code).collect::<Vec<_>>(),
            [RefusalCode::CheckBlocked, RefusalCode::OverrideNotAllowed]
        );
        assert_eq!(refusals[1].finding, CheckCode::LotRecalled);
    }

    #[test]
    fn facts_and_outcomes_serialise() {
        let mut f = clear();
        f.identity = IdentityCheck::NameAndBirthDate {
            name_matched: true,
            birth_date_matched: true,
        };
        f.vials[0].lot.expiry = date(2026, 11, 30);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["identity"]["method"], "name_and_birth_date");
        assert_eq!(json["vials"][0]["lot"]["state"], "released");
        assert_eq!(json["route"], "iv_drip");
        let back: CareFacts = serde_json::from_value(json).unwrap();
        assert_eq!(back, f);
        let o = check(&f);
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["findings"][0]["code"], "lot_expires_soon");
        assert_eq!(json["findings"][0]["severity"], "warning");
        assert_eq!(json["findings"][0]["subject"]["kind"], "lot");
        assert_eq!(json["findings"][0]["params"]["days_left"], "8");
        let back: CheckOutcome = serde_json::from_value(json).unwrap();
        assert_eq!(back, o);
        // Optional parts may be left out.
        let minimal: CareFacts = serde_json::from_str(
            r#"{"at":"2026-11-22T01:00:00Z","time_zone":"Asia/Tokyo",
            "patient":{"id":"00000000-0000-0000-0000-000000000042","number":"000042"},
            "identity":{"method":"unconfirmed"},"route":"nasal"}"#,
        )
        .unwrap();
        assert!(check(&minimal).is_blocked());
    }

    /// Placeholders of `care-<code>` in both catalogues, read from the server's
    /// locale files.
    fn catalogue(lang: &str) -> &'static BTreeMap<String, BTreeSet<String>> {
        static JA: OnceLock<BTreeMap<String, BTreeSet<String>>> = OnceLock::new();
        static EN: OnceLock<BTreeMap<String, BTreeSet<String>>> = OnceLock::new();
        let cell = if lang == "ja" { &JA } else { &EN };
        cell.get_or_init(|| read_catalogue(lang))
    }

    fn read_catalogue(lang: &str) -> BTreeMap<String, BTreeSet<String>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../server/locales")
            .join(lang)
            .join("care.ftl");
        let src = std::fs::read_to_string(path).unwrap();
        src.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| {
                let vars = v
                    .split("{ $")
                    .skip(1)
                    .filter_map(|s| s.split(' ').next().map(str::to_string))
                    .collect();
                (k.trim().to_string(), vars)
            })
            .collect()
    }

    fn assert_placeholders_given(f: &Finding) {
        for lang in ["ja", "en"] {
            let cat = catalogue(lang);
            let vars = cat
                .get(&f.message_key())
                .unwrap_or_else(|| panic!("{lang}: no message {}", f.message_key()));
            for v in vars {
                assert!(
                    f.params.contains_key(v),
                    "{lang}: {} uses {v}, not given",
                    f.code
                );
            }
        }
    }

    #[test]
    fn every_code_has_messages_in_both_languages() {
        for lang in ["ja", "en"] {
            let cat = catalogue(lang);
            for c in CheckCode::ALL {
                assert!(cat.contains_key(&c.message_key()), "{lang}: {c}");
            }
            for s in Severity::ALL {
                assert!(
                    cat.contains_key(&format!("care-severity-{s}")),
                    "{lang}: {s}"
                );
            }
            for r in RefusalCode::ALL {
                assert!(cat.contains_key(&format!("err-{r}")), "{lang}: {r}");
            }
        }
    }

    // ---- properties ----

    fn products() -> Vec<VialProduct> {
        vec![
            dp(),
            ad(),
            product(
                "EX-1",
                ProductKind::ExosomePreparation,
                &[Route::Nasal, Route::Inhalation],
                30,
            ),
            product("LIDO", ProductKind::Other, &[Route::SkinInjection], 600),
        ]
    }

    const NOW: &str = "2026-11-22T01:00:00Z";
    const TODAY: Date = date(2026, 11, 22);

    fn days(n: i64) -> jiff::Span {
        jiff::Span::new().days(n)
    }

    fn arb_vial() -> impl Strategy<Value = ScannedVial> {
        (
            (
                0usize..4,
                0u8..3,
                prop::sample::select(LotState::ALL.to_vec()),
            ),
            (-3i64..40, 0u32..2, 0u32..20),
            (prop::option::of(0u8..3), prop::option::of(0i64..200)),
            (any::<bool>(), 0i64..4, prop::option::of(1i64..10_000)),
        )
            .prop_map(
                |((p, lot, state), (expiry, exc, soon), (serial, opened), (used, on_hand, vol))| {
                    let product = products()[p].clone();
                    ScannedVial {
                        lot: VialLot {
                            number: format!("L{lot}"),
                            state,
                            expiry: TODAY.checked_add(days(expiry)).unwrap(),
                            expiry_time: None,
                            open_excursions: exc,
                            expires_soon_days: soon,
                        },
                        product,
                        serial: serial.map(|s| format!("S{s}")),
                        opened_at: opened.map(|m| {
                            ts(NOW)
                                .checked_sub(jiff::SignedDuration::from_mins(m))
                                .unwrap()
                        }),
                        already_used: used,
                        on_hand,
                        volume: vol.map(Microlitres),
                    }
                },
            )
    }

    fn arb_route() -> impl Strategy<Value = Route> {
        prop::sample::select(Route::ALL.to_vec())
    }

    fn arb_facts() -> impl Strategy<Value = CareFacts> {
        let identity = prop_oneof![
            Just(IdentityCheck::Unconfirmed),
            (any::<bool>(), any::<bool>()).prop_map(|(a, b)| IdentityCheck::NameAndBirthDate {
                name_matched: a,
                birth_date_matched: b
            }),
            prop::sample::select(vec!["000042", "000043", ""]).prop_map(|n| {
                IdentityCheck::PatientCard {
                    patient_number: n.into(),
                }
            }),
        ];
        let screening = prop::option::of((
            prop::option::of(prop::sample::select(Decision::ALL.to_vec())),
            any::<bool>(),
            -5i64..5,
            prop::collection::vec(prop::sample::select(FindingCode::ALL.to_vec()), 0..3),
        ))
        .prop_map(|s| {
            s.map(
                |(decision, stale, valid, contraindications)| CareScreening {
                    decision,
                    valid_until: Some(
                        ts(NOW)
                            .checked_add(jiff::Span::new().hours(valid * 24))
                            .unwrap(),
                    ),
                    stale,
                    conditions: Some("条件".into()),
                    contraindications,
                },
            )
        });
        let consents = prop::collection::vec(
            (
                prop::sample::select(vec![
                    ProductKind::ConditionedMedium,
                    ProductKind::ExosomePreparation,
                ]),
                arb_route(),
                prop::sample::select(ConsentState::ALL.to_vec()),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(kind, route, state, same_day, reason)| CareConsent {
                    product_kind: kind,
                    route,
                    state,
                    first_explained_at: if same_day {
                        ts("2026-11-21T23:30:00Z")
                    } else {
                        ts("2026-10-01T00:00:00Z")
                    },
                    same_day_reason: reason.then(|| "医学的必要性".into()),
                }),
            0..3,
        );
        let plan = prop::option::of((
            any::<bool>(),
            arb_route(),
            prop::collection::vec((0usize..4, 1u32..100), 0..3),
            0u32..30,
            prop::option::of(0i64..40),
        ))
        .prop_map(|p| {
            p.map(|(approved, route, comps, min, last)| CarePlan {
                approved,
                route,
                components: comps
                    .into_iter()
                    .map(|(i, share)| PlanComponent {
                        product_code: products()[i].code.clone(),
                        share_percent: share,
                    })
                    .collect(),
                min_interval_days: min,
                last_administered_on: last.map(|d| TODAY.checked_sub(days(d)).unwrap()),
            })
        });
        let appointment = prop::option::of((
            any::<bool>(),
            -1i64..2,
            prop::sample::select(AppointmentStatus::ALL.to_vec()),
        ))
        .prop_map(|a| {
            a.map(|(same, day, status)| CareAppointment {
                patient_id: if same { PATIENT } else { OTHER_PATIENT },
                starts_at: ts(NOW)
                    .checked_add(jiff::Span::new().hours(day * 24))
                    .unwrap(),
                status,
            })
        });
        (
            (
                prop::sample::select(vec!["Asia/Tokyo", "UTC", "Not/AZone"]),
                any::<bool>(),
                identity,
            ),
            (screening, consents, plan, appointment),
            arb_route(),
            prop::collection::vec(arb_vial(), 0..4),
        )
            .prop_map(
                |(
                    (tz, received, identity),
                    (screening, consents, plan, appointment),
                    route,
                    vials,
                )| {
                    CareFacts {
                        at: ts(NOW),
                        time_zone: tz.into(),
                        patient: CarePatient {
                            id: PATIENT,
                            number: "000042".into(),
                            received_human_derived: received,
                        },
                        identity,
                        screening,
                        consents,
                        plan,
                        appointment,
                        route,
                        vials,
                    }
                },
            )
    }

    /// Every override a physician could validly give for the outcome.
    fn valid_overrides(o: &CheckOutcome) -> Vec<Override> {
        o.of(Severity::Override)
            .map(|f| ovr(f.code, f.subject.clone(), "医師の判断による"))
            .collect()
    }

    /// Overrides of any kind: valid ones, for blocks, for absent findings,
    /// with blank reasons.
    fn any_overrides(o: &CheckOutcome, picks: &[(u8, usize)]) -> Vec<Override> {
        picks
            .iter()
            .map(|(kind, i)| {
                let code = CheckCode::ALL[*i % CheckCode::ALL.len()];
                let finding = o.findings.get(*i % o.findings.len().max(1));
                let subject = finding.and_then(|f| f.subject.clone());
                match kind % 4 {
                    0 => match finding {
                        Some(f) => ovr(f.code, f.subject.clone(), "理由"),
                        None => ovr(code, None, "理由"),
                    },
                    1 => ovr(code, subject, "理由"),
                    2 => ovr(code, None, " "),
                    _ => ovr(code, subject, "理由"),
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// With a block among the findings, nothing is ever allowed, whatever
        /// the overrides (including a valid one for every overridable finding).
        #[test]
        fn a_block_always_refuses(f in arb_facts(), picks in prop::collection::vec((any::<u8>(), any::<usize>()), 0..6)) {
            let o = check(&f);
            let blocks = o.of(Severity::Block).count();
            let mut all = valid_overrides(&o);
            all.extend(any_overrides(&o, &picks));
            for overrides in [vec![], valid_overrides(&o), any_overrides(&o, &picks), all] {
                let r = o.may_proceed(&overrides);
                if blocks > 0 {
                    let refusals = r.unwrap_err();
                    let blocked = refusals.iter().filter(|r| r.code == RefusalCode::CheckBlocked).count();
                    prop_assert_eq!(blocked, blocks);
                } else if let Ok(recorded) = r {
                    // Allowed: every overridable finding has exactly one override.
                    prop_assert_eq!(recorded.len(), o.of(Severity::Override).count());
                }
            }
            // Without a block, a valid override for each finding allows it.
            if blocks == 0 {
                prop_assert!(o.may_proceed(&valid_overrides(&o)).is_ok());
            }
        }

        /// Adding a valid override never introduces a refusal (let alone a
        /// block): it only removes the `override_required` of its finding.
        #[test]
        fn a_valid_override_only_removes_its_own_refusal(f in arb_facts(), keep in prop::collection::vec(any::<bool>(), 0..12)) {
            let o = check(&f);
            let valid = valid_overrides(&o);
            let (mut given, mut rest) = (Vec::new(), Vec::new());
            for (i, v) in valid.into_iter().enumerate() {
                if keep.get(i).copied().unwrap_or(false) { given.push(v) } else { rest.push(v) }
            }
            let before = o.may_proceed(&given).err().unwrap_or_default();
            for extra in rest {
                let mut more = given.clone();
                more.push(extra.clone());
                let after = o.may_proceed(&more).err().unwrap_or_default();
                for r in &after {
                    prop_assert!(before.contains(r), "new refusal {:?}", r);
                }
                let removed: Vec<_> = before.iter().filter(|r| !after.contains(r)).collect();
                prop_assert_eq!(removed.len(), 1);
                prop_assert_eq!(removed[0].code, RefusalCode::OverrideRequired);
                prop_assert_eq!(removed[0].finding, extra.code);
                prop_assert_eq!(&removed[0].subject, &extra.subject);
            }
        }

        /// The same facts give the same findings in the same order, also after
        /// a round trip through JSON; every finding has its code's severity and
        /// every placeholder its messages use.
        #[test]
        fn findings_are_deterministic(f in arb_facts()) {
            let a = check(&f);
            let b = check(&f.clone());
            prop_assert_eq!(&a, &b);
            let back: CareFacts = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
            prop_assert_eq!(&check(&back), &a);
            let mut last = Severity::Block;
            for finding in &a.findings {
                prop_assert_eq!(finding.severity, finding.code.severity());
                prop_assert!(finding.severity >= last, "not ordered by severity");
                last = finding.severity;
                assert_placeholders_given(finding);
            }
        }

        /// The lot findings agree with the supply rule for available stock.
        #[test]
        fn lot_findings_agree_with_stock_availability(state in prop::sample::select(LotState::ALL.to_vec()), offset in -5i64..5) {
            let mut f = clear();
            f.vials[0].lot.state = state;
            f.vials[0].lot.expiry = TODAY.checked_add(days(offset)).unwrap();
            let o = check(&f);
            let lot_blocks: Vec<&str> = o.of(Severity::Block).map(|x| x.code.as_str()).collect();
            match unavailability(state, f.vials[0].lot.expiry, TODAY) {
                None => prop_assert!(lot_blocks.is_empty()),
                Some(code) => prop_assert!(lot_blocks.contains(&code)),
            }
        }
    }
}
