//! Administrations on both backends: a blend dose leaves the stock ledger
//! and is found again from each lot and from the patient; lots that are not
//! usable, missing stock and used serials refuse the dose and write
//! nothing; two nurses racing for the last vial; corrections as versions;
//! voiding returns the vials; another clinic's ids are not found; the
//! records refuse rewrites in the database itself.

use crate::{on_postgres, on_sqlite, raw};

use jiff::civil::date;
use jousei_core::calendar::Protocol;
use jousei_core::patient::registry::{DataConsentMethod, RawPatient};
use jousei_core::plan::{
    InjectionSites, ProductInfo, RawComponent, RawIndication, RawPlan, parse_indication, parse_plan,
};
use jousei_core::role::Role;
use jousei_core::supply::lot::{LotAction, LotFacts, LotState, transition};
use jousei_core::supply::product::Route;
use jousei_core::supply::units::{DeciCelsius, Microlitres};
use jousei_store::care::{
    AdministrationDetails, AdministrationStatus, NewAdministration, NewVialUse,
};
use jousei_store::patient::NewPatient;
use jousei_store::plan::{Booking, NewAppointment};
use jousei_store::supply::{
    LotChange, NewExcursion, NewLocation, NewLot, NewTemperatureImport, Product,
};
use jousei_store::{Actor, DynStore, NewClinic, NewUser, StoreError, Ts};
use uuid::Uuid;

/// One clinic's setting: staff, a freezer and a fridge, two products.
pub(crate) struct Site {
    pub(crate) clinic: Uuid,
    pub(crate) qa: Actor,
    pub(crate) nurse: Actor,
    pub(crate) nurse_id: Uuid,
    pub(crate) physician_id: Uuid,
    pub(crate) freezer: Uuid,
    pub(crate) fridge: Uuid,
    pub(crate) product: Product,
    pub(crate) product_b: Product,
    pub(crate) patient: Uuid,
}

pub(crate) async fn site(store: &DynStore, code: &str) -> Site {
    let sys = Actor::system("test");
    let clinic = store
        .create_clinic(
            &sys,
            &NewClinic {
                code: code.into(),
                name: code.into(),
                name_en: None,
                time_zone: "Asia/Tokyo".into(),
            },
        )
        .await
        .unwrap()
        .id;
    let mut ids = Vec::new();
    for (login, role) in [
        ("qa", Role::Quality),
        ("nurse", Role::Nurse),
        ("physician", Role::Physician),
    ] {
        let u = store
            .create_user(
                &sys,
                &NewUser {
                    login: format!("{login}-{code}"),
                    display_name: login.into(),
                    password_hash: "x".into(),
                    clinic_id: clinic,
                    role,
                },
            )
            .await
            .unwrap();
        ids.push(u.id);
    }
    let qa = Actor::user(ids[0], &format!("qa-{code}"));
    let nurse = Actor::user(ids[1], &format!("nurse-{code}"));
    let loc = |code: &str, min, max| NewLocation {
        code: code.into(),
        name: code.into(),
        min_temp: DeciCelsius(min),
        max_temp: DeciCelsius(max),
    };
    let freezer = store
        .create_location(&qa, clinic, &loc("F1", -850, -650))
        .await
        .unwrap()
        .id;
    let fridge = store
        .create_location(&qa, clinic, &loc("R1", 20, 80))
        .await
        .unwrap()
        .id;
    let product = store
        .create_product(&qa, clinic, &crate::supply::facts("DP-CM-10"))
        .await
        .unwrap();
    let mut fb = crate::supply::facts("UC-CM-10");
    fb.name = "臍帯幹細胞培養上清液 10mL".into();
    let product_b = store.create_product(&qa, clinic, &fb).await.unwrap();
    let patient = patient(store, clinic, &qa, "やまだ はなこ", "09012345678").await;
    Site {
        clinic,
        qa,
        nurse,
        nurse_id: ids[1],
        physician_id: ids[2],
        freezer,
        fridge,
        product,
        product_b,
        patient,
    }
}

pub(crate) async fn patient(
    store: &DynStore,
    clinic: Uuid,
    actor: &Actor,
    kana: &str,
    phone: &str,
) -> Uuid {
    let facts = RawPatient {
        name: "山田 花子".into(),
        kana: kana.into(),
        birth_date: "1978-05-14".into(),
        sex: "female".into(),
        phone: phone.into(),
        email: Some("hanako@example.jp".into()),
        address: "東京都中央区銀座1-1-1".into(),
        ..Default::default()
    }
    .parse(date(2026, 11, 22))
    .unwrap();
    store
        .create_patient(
            actor,
            clinic,
            &NewPatient {
                number: None,
                facts,
                data_consent_method: DataConsentMethod::Written,
            },
        )
        .await
        .unwrap()
        .id
}

/// Receives a lot (quarantined) of `vials` into `location`.
pub(crate) async fn receive(
    store: &DynStore,
    s: &Site,
    product: &Product,
    number: &str,
    location: Uuid,
    vials: i64,
) -> Uuid {
    store
        .receive_lot(
            &s.qa,
            s.clinic,
            &NewLot {
                product_id: product.id,
                lot_number: number.into(),
                expiry: date(2027, 3, 31),
                expiry_time: None,
                location_id: location,
                vials,
                supplier_ref: None,
                scan_raw: None,
            },
        )
        .await
        .unwrap()
        .id
}

/// Applies a lot decision from the lot's current state.
pub(crate) async fn decide(store: &DynStore, s: &Site, lot_id: Uuid, action: LotAction) {
    let lot = store.lot(s.clinic, lot_id).await.unwrap().unwrap();
    let facts = LotFacts {
        state: lot.state,
        held_from: lot.held_from,
        expiry: lot.expiry,
        gaps: vec![],
        open_excursions: 0,
        today: date(2026, 11, 22),
    };
    let t = transition(&facts, action, Some("test")).unwrap();
    store
        .change_lot(
            &s.qa,
            s.clinic,
            &LotChange {
                lot_id,
                action,
                expected_state: lot.state,
                transition: t,
                reason: Some("test".into()),
                evidence: serde_json::json!({}),
            },
        )
        .await
        .unwrap();
}

/// A released lot in the freezer.
pub(crate) async fn released(
    store: &DynStore,
    s: &Site,
    product: &Product,
    number: &str,
    vials: i64,
) -> Uuid {
    let id = receive(store, s, product, number, s.freezer, vials).await;
    decide(store, s, id, LotAction::Release).await;
    id
}

pub(crate) fn at(s: &str) -> Ts {
    Ts::from(s.parse::<jiff::Timestamp>().unwrap())
}

pub(crate) fn vial(lot_id: Uuid, serial: Option<&str>, ml: i64) -> NewVialUse {
    NewVialUse {
        lot_id,
        serial: serial.map(str::to_string),
        opened_at: Some(at("2026-12-01T00:50:00Z")),
        volume: Microlitres(ml * 1000),
    }
}

pub(crate) fn dose(s: &Site, vials: Vec<NewVialUse>) -> NewAdministration {
    NewAdministration {
        patient_id: s.patient,
        plan_id: None,
        plan_version: None,
        appointment_id: None,
        route: Route::IvDrip,
        location_id: s.freezer,
        vials,
        sites: None,
        administered_by: s.nurse_id,
        verified_by: None,
        started_at: at("2026-12-01T01:00:00Z"),
        ended_at: Some(at("2026-12-01T01:40:00Z")),
        observations: None,
        reactions: None,
        identity: serde_json::json!({"method": "wristband", "checked_by": s.nurse_id}),
        check: serde_json::json!({"findings": []}),
        overrides: serde_json::json!([]),
        human_derived: false,
        blood_donation_notice: None,
        blood_donation_notice_version: None,
    }
}

/// Vials of a lot on hand at a location (0 when the ledger nets to zero).
async fn on_hand(store: &DynStore, clinic: Uuid, lot_id: Uuid, location: Uuid) -> i64 {
    store
        .stock(clinic)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.lot.id == lot_id && r.location_id == location)
        .map(|r| r.vials)
        .sum()
}

/// The stock as (lot, location, vials).
async fn stock(store: &DynStore, clinic: Uuid) -> Vec<(Uuid, Uuid, i64)> {
    store
        .stock(clinic)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.lot.id, r.location_id, r.vials))
        .collect()
}

async fn audit_seq(store: &DynStore) -> i64 {
    store.audit_head().await.unwrap().0
}

pub(crate) async fn actions(store: &DynStore) -> Vec<String> {
    store
        .audit_batch(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.action)
        .collect()
}

async fn a_blend_dose_leaves_the_ledger_and_is_found_both_ways(store: DynStore) {
    let s = site(&store, "ginza").await;
    let a = released(&store, &s, &s.product, "A-2611", 5).await;
    let b = released(&store, &s, &s.product_b, "B-2611", 5).await;
    assert_eq!(on_hand(&store, s.clinic, a, s.freezer).await, 5);
    assert_eq!(on_hand(&store, s.clinic, b, s.freezer).await, 5);

    // A 70/30 blend; the same serial on two lots is two vials.
    let mut new = dose(&s, vec![vial(a, Some("S1"), 7), vial(b, Some("S1"), 3)]);
    new.sites = Some(InjectionSites {
        count: 1,
        areas: vec!["右前腕".into()],
    });
    let given = store
        .record_administration(&s.nurse, s.clinic, &new)
        .await
        .unwrap();
    assert_eq!(
        (given.version, given.status, given.recorded_by),
        (1, AdministrationStatus::Recorded, s.nurse.user_id)
    );
    assert_eq!(given.vials.len(), 2);
    assert_eq!(
        (
            given.vials[0].lot_number.as_str(),
            given.vials[0].product_code.as_str(),
            given.vials[0].volume
        ),
        ("A-2611", "DP-CM-10", Microlitres(7000))
    );
    assert_eq!(
        (
            given.vials[1].lot_number.as_str(),
            given.vials[1].product_name.as_str()
        ),
        ("B-2611", "臍帯幹細胞培養上清液 10mL")
    );
    assert_eq!(given.details.sites, new.sites);
    assert_eq!(given.identity, new.identity);
    assert_eq!(
        store.administration(s.clinic, given.id).await.unwrap(),
        Some(given.clone())
    );

    // The vials left the ledger, one `use` each, by the nurse.
    assert_eq!(on_hand(&store, s.clinic, a, s.freezer).await, 4);
    assert_eq!(on_hand(&store, s.clinic, b, s.freezer).await, 4);
    let moves = store.movements(s.clinic, Some(a), 100).await.unwrap();
    let used: Vec<_> = moves.iter().filter(|m| m.kind == "use").collect();
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].delta, -1);
    assert_eq!(used[0].actor_login.as_deref(), Some("nurse-ginza"));
    assert!(
        used[0]
            .reason
            .as_deref()
            .unwrap()
            .contains(&given.id.to_string())
    );
    let entries = store.audit_batch(0, 10_000).await.unwrap();
    let entry = entries
        .iter()
        .find(|e| e.event.action == "administration_recorded")
        .unwrap();
    assert_eq!(
        (
            entry.event.entity_kind.as_str(),
            entry.event.entity_id.clone(),
            entry.event.clinic_id
        ),
        ("administration", Some(given.id.to_string()), Some(s.clinic))
    );
    assert!(entry.event.changes.contains("A-2611") && entry.event.changes.contains("B-2611"));

    // An earlier dose from lot A, recorded afterwards: lookback lists by time.
    let mut earlier = dose(&s, vec![vial(a, Some("S2"), 10)]);
    earlier.started_at = at("2026-11-24T01:00:00Z");
    earlier.ended_at = None;
    let first = store
        .record_administration(&s.nurse, s.clinic, &earlier)
        .await
        .unwrap();

    // Lot → patients, through either lot of the blend.
    let from_a = store.lookback_lots(s.clinic, &[a]).await.unwrap();
    assert_eq!(
        from_a
            .iter()
            .map(|r| (r.administration_id, r.serial.as_deref()))
            .collect::<Vec<_>>(),
        [(first.id, Some("S2")), (given.id, Some("S1"))]
    );
    let from_b = store.lookback_lots(s.clinic, &[b]).await.unwrap();
    assert_eq!(from_b.len(), 1);
    let r = &from_b[0];
    assert_eq!(r.administration_id, given.id);
    assert_eq!(r.patient_id, s.patient);
    assert_eq!(r.patient_number, "000001");
    assert_eq!(r.patient_name, "山田 花子");
    assert_eq!(r.patient_kana, "ヤマダ ハナコ", "kana as stored (katakana)");
    assert_eq!(r.phone, "09012345678");
    assert_eq!(r.email.as_deref(), Some("hanako@example.jp"));
    assert_eq!(
        (r.lot_number.as_str(), r.product_code.as_str(), r.volume),
        ("B-2611", "UC-CM-10", Microlitres(3000))
    );
    assert_eq!(
        (r.route, r.status, r.started_at),
        (
            Route::IvDrip,
            AdministrationStatus::Recorded,
            at("2026-12-01T01:00:00Z")
        )
    );
    let both = store.lookback_lots(s.clinic, &[b, a, b]).await.unwrap();
    assert_eq!(
        both.iter()
            .map(|r| r.lot_number.as_str())
            .collect::<Vec<_>>(),
        ["A-2611", "A-2611", "B-2611"],
        "oldest first, then the vials of a dose in order; each once"
    );

    // Patient → lots.
    let mine = store.lookback_patient(s.clinic, s.patient).await.unwrap();
    assert_eq!(
        mine.iter()
            .map(|r| r.lot_number.as_str())
            .collect::<Vec<_>>(),
        ["A-2611", "A-2611", "B-2611"]
    );
    let listed = store
        .administrations_of_patient(s.clinic, s.patient)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|x| x.id).collect::<Vec<_>>(),
        [given.id, first.id],
        "newest first"
    );
    assert_eq!(listed[0].vials.len(), 2);
    assert_eq!(listed[1].vials.len(), 1);
    assert_eq!(
        store
            .used_serials(s.clinic, a, &["S9".into(), "S2".into(), "S1".into()])
            .await
            .unwrap(),
        ["S2", "S1"]
    );
    assert!(
        store
            .used_serials(s.clinic, a, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
            .await
            .unwrap()
            .is_ok()
    );
}
both!(a_blend_dose_leaves_the_ledger_and_is_found_both_ways);

async fn lots_that_are_not_usable_refuse_the_dose_and_write_nothing(store: DynStore) {
    let s = site(&store, "ginza").await;
    let good = released(&store, &s, &s.product, "GOOD", 3).await;
    let quarantined = receive(&store, &s, &s.product, "QUAR", s.freezer, 3).await;
    let held = released(&store, &s, &s.product, "HELD", 3).await;
    decide(&store, &s, held, LotAction::Hold).await;
    let recalled = released(&store, &s, &s.product, "RECALL", 3).await;
    decide(&store, &s, recalled, LotAction::Recall).await;
    let rejected = receive(&store, &s, &s.product, "REJ", s.freezer, 3).await;
    decide(&store, &s, rejected, LotAction::Reject).await;
    // A freezer excursion holds the lot; taken off hold, but the excursion
    // still waits for its acknowledgement.
    let warm = released(&store, &s, &s.product, "WARM", 3).await;
    let t0 = at("2026-11-30T00:00:00Z").0;
    let readings: Vec<(Ts, DeciCelsius)> = (0..6)
        .map(|i| {
            (
                Ts::from(t0 + jiff::SignedDuration::from_mins(i * 10)),
                DeciCelsius(if (2..5).contains(&i) { -500 } else { -800 }),
            )
        })
        .collect();
    store
        .import_temperatures(
            &s.qa,
            s.clinic,
            &NewTemperatureImport {
                location_id: s.freezer,
                filename: "F1.csv".into(),
                sha256: "ef".repeat(32),
                device: None,
                readings: readings.clone(),
                excursions: vec![NewExcursion {
                    start_at: readings[2].0,
                    end_at: readings[5].0,
                    minutes: 30,
                    extreme: DeciCelsius(-500),
                    direction: "above",
                    lot_ids: vec![warm],
                }],
            },
        )
        .await
        .unwrap();
    decide(&store, &s, warm, LotAction::Unhold).await;
    assert_eq!(
        store.lot(s.clinic, warm).await.unwrap().unwrap().state,
        LotState::Released
    );
    assert_eq!(
        store.open_excursions_of_lot(s.clinic, warm).await.unwrap(),
        1
    );

    let seq = audit_seq(&store).await;
    let before = stock(&store, s.clinic).await;
    for bad in [quarantined, held, recalled, rejected, warm] {
        // Alone, and in a blend with a good lot (the good vial first).
        for vials in [
            vec![vial(bad, Some("1"), 5)],
            vec![vial(good, Some("1"), 5), vial(bad, Some("2"), 5)],
        ] {
            let r = store
                .record_administration(&s.nurse, s.clinic, &dose(&s, vials))
                .await;
            assert!(
                matches!(r, Err(StoreError::Conflict("lot_not_usable"))),
                "{r:?}"
            );
        }
    }
    assert_eq!(stock(&store, s.clinic).await, before);
    assert_eq!(audit_seq(&store).await, seq);
    assert!(
        store
            .administrations_of_patient(s.clinic, s.patient)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .lookback_patient(s.clinic, s.patient)
            .await
            .unwrap()
            .is_empty()
    );
    // Acknowledged, the excursion no longer blocks.
    let exc = store.excursions(s.clinic, true).await.unwrap();
    store
        .acknowledge_excursion(&s.qa, s.clinic, exc[0].id, "製造元に確認、品質影響なし")
        .await
        .unwrap();
    store
        .record_administration(&s.nurse, s.clinic, &dose(&s, vec![vial(warm, None, 5)]))
        .await
        .unwrap();
}
both!(lots_that_are_not_usable_refuse_the_dose_and_write_nothing);

async fn stock_and_serials_are_checked_and_failures_roll_back(store: DynStore) {
    let s = site(&store, "ginza").await;
    let a = released(&store, &s, &s.product, "A", 2).await;
    // Lot B is all in the fridge: none at the freezer.
    let b = receive(&store, &s, &s.product_b, "B", s.fridge, 2).await;
    decide(&store, &s, b, LotAction::Release).await;
    let seq = audit_seq(&store).await;
    let moves = store.movements(s.clinic, None, 1000).await.unwrap().len();

    let refused = |vials: Vec<NewVialUse>, code: &'static str| {
        let store = store.clone();
        let new = dose(&s, vials);
        let nurse = s.nurse.clone();
        let clinic = s.clinic;
        async move {
            let r = store.record_administration(&nurse, clinic, &new).await;
            assert!(
                matches!(r, Err(StoreError::Conflict(c)) if c == code),
                "{code}: {r:?}"
            );
        }
    };
    // Three vials of a lot with two on hand.
    refused(
        vec![vial(a, None, 3), vial(a, None, 3), vial(a, None, 3)],
        "out_of_stock",
    )
    .await;
    // The first vial is fine and taken; the second is not on hand here:
    // nothing of the first remains.
    refused(
        vec![vial(a, Some("X1"), 5), vial(b, None, 5)],
        "out_of_stock",
    )
    .await;
    // One serial twice in one dose.
    refused(
        vec![vial(a, Some("X1"), 5), vial(a, Some("X1"), 5)],
        "vial_already_used",
    )
    .await;
    assert_eq!(on_hand(&store, s.clinic, a, s.freezer).await, 2);
    assert_eq!(on_hand(&store, s.clinic, b, s.fridge).await, 2);
    assert_eq!(
        store.movements(s.clinic, None, 1000).await.unwrap().len(),
        moves
    );
    assert_eq!(audit_seq(&store).await, seq);
    assert!(
        store
            .lookback_lots(s.clinic, &[a, b])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .used_serials(s.clinic, a, &["X1".into()])
            .await
            .unwrap()
            .is_empty()
    );

    // Used once, a serial is refused the second time, even for another patient.
    store
        .record_administration(&s.nurse, s.clinic, &dose(&s, vec![vial(a, Some("X1"), 5)]))
        .await
        .unwrap();
    let other = patient(&store, s.clinic, &s.qa, "すずき たろう", "09087654321").await;
    let mut again = dose(&s, vec![vial(a, Some("X1"), 5)]);
    again.patient_id = other;
    assert!(matches!(
        store
            .record_administration(&s.nurse, s.clinic, &again)
            .await,
        Err(StoreError::Conflict("vial_already_used"))
    ));
    assert_eq!(on_hand(&store, s.clinic, a, s.freezer).await, 1);
    // From the fridge, lot B is there.
    let mut from_fridge = dose(&s, vec![vial(b, None, 5)]);
    from_fridge.location_id = s.fridge;
    store
        .record_administration(&s.nurse, s.clinic, &from_fridge)
        .await
        .unwrap();
    assert_eq!(on_hand(&store, s.clinic, b, s.fridge).await, 1);
    // A dose needs a vial.
    assert!(matches!(
        store
            .record_administration(&s.nurse, s.clinic, &dose(&s, vec![]))
            .await,
        Err(StoreError::Conflict("administration_vials_required"))
    ));
}
both!(stock_and_serials_are_checked_and_failures_roll_back);

async fn two_nurses_race_for_the_last_vial(store: DynStore) {
    let s = site(&store, "ginza").await;
    let lot = released(&store, &s, &s.product, "LAST", 1).await;
    let other = patient(&store, s.clinic, &s.qa, "すずき たろう", "09087654321").await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        let nurse = s.nurse.clone();
        let clinic = s.clinic;
        let mut new = dose(&s, vec![vial(lot, None, 5)]);
        if i % 2 == 1 {
            new.patient_id = other;
        }
        tasks.push(tokio::spawn(async move {
            store.record_administration(&nurse, clinic, &new).await
        }));
    }
    let mut ok = 0;
    let mut out_of_stock = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Conflict("out_of_stock")) => out_of_stock += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, out_of_stock), (1, 5));
    let stock = store.stock(s.clinic).await.unwrap();
    assert!(stock.iter().all(|r| r.vials >= 0), "never negative");
    assert_eq!(on_hand(&store, s.clinic, lot, s.freezer).await, 0);
    assert_eq!(
        store.lookback_lots(s.clinic, &[lot]).await.unwrap().len(),
        1
    );
    assert!(
        jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
            .await
            .unwrap()
            .is_ok()
    );
}
both!(two_nurses_race_for_the_last_vial);

async fn corrections_are_versions_and_voids_return_the_vials(store: DynStore) {
    let s = site(&store, "ginza").await;
    let a = released(&store, &s, &s.product, "A", 3).await;
    let b = released(&store, &s, &s.product_b, "B", 3).await;
    let given = store
        .record_administration(
            &s.nurse,
            s.clinic,
            &dose(&s, vec![vial(a, Some("V1"), 7), vial(b, Some("V1"), 3)]),
        )
        .await
        .unwrap();
    let v1 = given.details.clone();
    let v2 = AdministrationDetails {
        started_at: at("2026-12-01T01:05:00Z"),
        observations: Some("終了後の血圧 118/76".into()),
        verified_by: Some(s.physician_id),
        ..v1.clone()
    };
    let corrected = store
        .correct_administration(&s.nurse, s.clinic, given.id, 1, &v2, "開始時刻の記入誤り")
        .await
        .unwrap();
    assert_eq!((corrected.version, &corrected.details), (2, &v2));
    assert_eq!(corrected.vials, given.vials, "the vials never change");
    assert!(matches!(
        store
            .correct_administration(&s.nurse, s.clinic, given.id, 1, &v1, "古い版から")
            .await,
        Err(StoreError::Conflict("administration_version_stale"))
    ));
    let versions = store
        .administration_versions(s.clinic, given.id)
        .await
        .unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.reason.as_deref()))
            .collect::<Vec<_>>(),
        [(2, Some("開始時刻の記入誤り")), (1, None)]
    );
    assert_eq!(versions[1].details, v1, "the first version stays readable");
    assert_eq!(versions[0].author_id, s.nurse.user_id);
    assert_eq!(
        store.lookback_lots(s.clinic, &[a]).await.unwrap()[0].started_at,
        v2.started_at,
        "the lookback shows the current version"
    );

    // Void: the vials return to the freezer, the dose stays listed.
    assert_eq!(on_hand(&store, s.clinic, a, s.freezer).await, 2);
    let voided = store
        .void_administration(&s.nurse, s.clinic, given.id, "別患者のカルテに記録")
        .await
        .unwrap();
    assert_eq!(
        (voided.status, voided.void_reason.as_deref(), voided.version),
        (
            AdministrationStatus::Voided,
            Some("別患者のカルテに記録"),
            2
        )
    );
    assert_eq!(on_hand(&store, s.clinic, a, s.freezer).await, 3);
    assert_eq!(on_hand(&store, s.clinic, b, s.freezer).await, 3);
    let adjust: Vec<_> = store
        .movements(s.clinic, Some(a), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == "adjust")
        .collect();
    assert_eq!(adjust.len(), 1);
    assert_eq!(adjust[0].delta, 1);
    assert!(
        adjust[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("別患者のカルテに記録")
    );
    let looked = store.lookback_lots(s.clinic, &[a, b]).await.unwrap();
    assert_eq!(looked.len(), 2);
    assert!(
        looked
            .iter()
            .all(|r| r.status == AdministrationStatus::Voided)
    );
    assert!(matches!(
        store
            .void_administration(&s.nurse, s.clinic, given.id, "again")
            .await,
        Err(StoreError::Conflict("administration_voided"))
    ));
    assert!(matches!(
        store
            .correct_administration(&s.nurse, s.clinic, given.id, 2, &v1, "x")
            .await,
        Err(StoreError::Conflict("administration_voided"))
    ));
    let acts = actions(&store).await;
    for a in [
        "administration_recorded",
        "administration_corrected",
        "administration_voided",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a} audited");
    }

    // The voided vial's serial may be used again.
    assert!(
        store
            .used_serials(s.clinic, a, &["V1".into()])
            .await
            .unwrap()
            .is_empty()
    );
    let mut redo = dose(&s, vec![vial(a, Some("V1"), 10)]);
    redo.started_at = at("2026-12-01T02:00:00Z");
    let redo = store
        .record_administration(&s.nurse, s.clinic, &redo)
        .await
        .unwrap();
    assert_eq!(
        store
            .used_serials(s.clinic, a, &["V1".into()])
            .await
            .unwrap(),
        ["V1"]
    );
    let looked = store.lookback_lots(s.clinic, &[a]).await.unwrap();
    assert_eq!(
        looked
            .iter()
            .map(|r| (r.administration_id, r.status))
            .collect::<Vec<_>>(),
        [
            (given.id, AdministrationStatus::Voided),
            (redo.id, AdministrationStatus::Recorded)
        ]
    );
    assert!(
        jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
            .await
            .unwrap()
            .is_ok()
    );
}
both!(corrections_are_versions_and_voids_return_the_vials);

pub(crate) fn plan_facts(products: &[&Product]) -> jousei_core::plan::PlanFacts {
    let indication = parse_indication(&RawIndication {
        code: "skin".into(),
        name_ja: "肌質・しわ".into(),
        name_en: "Skin texture and wrinkles".into(),
        routes: vec!["iv_drip".into()],
        ..RawIndication::default()
    })
    .unwrap();
    let infos: Vec<ProductInfo> = products
        .iter()
        .map(|p| ProductInfo {
            id: p.id,
            code: p.facts.code.clone(),
            name: p.facts.name.clone(),
            routes: p.facts.routes.clone(),
        })
        .collect();
    let raw = RawPlan {
        indication_code: "skin".into(),
        route: "iv_drip".into(),
        components: infos
            .iter()
            .map(|p| RawComponent {
                product_id: p.id.to_string(),
                share_percent: (100 / infos.len()).to_string(),
            })
            .collect(),
        dose: "10".into(),
        dose_unit: "ml".into(),
        start_date: "2026-11-24".into(),
        ..RawPlan::default()
    };
    parse_plan(&raw, &Protocol::example(), None, Some(&indication), &infos)
        .unwrap()
        .facts
}

async fn plans_and_human_derived_doses(store: DynStore) {
    let s = site(&store, "ginza").await;
    let a = released(&store, &s, &s.product, "A", 10).await;
    let physician = Actor::user(s.physician_id, "physician-ginza");
    let plan = store
        .create_plan(&physician, s.clinic, s.patient, &plan_facts(&[&s.product]))
        .await
        .unwrap();
    let Booking::Done(booked) = store
        .book_appointments(
            &s.qa,
            s.clinic,
            &[NewAppointment {
                patient_id: s.patient,
                plan_id: Some(plan.id),
                session_ordinal: Some(1),
                proposed_date: None,
                follows_course: false,
                room: Some("処置室1".into()),
                staff_id: None,
                starts_at: at("2026-11-24T01:00:00Z"),
                ends_at: at("2026-11-24T02:00:00Z"),
                note: None,
            }],
        )
        .await
        .unwrap()
    else {
        panic!("booking refused")
    };
    assert!(
        store
            .last_administration_of_plan(s.clinic, plan.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .received_human_derived(s.clinic, s.patient)
            .await
            .unwrap()
    );
    let mut first = dose(&s, vec![vial(a, None, 10)]);
    first.plan_id = Some(plan.id);
    first.plan_version = Some(1);
    first.appointment_id = Some(booked[0].id);
    first.started_at = at("2026-11-24T01:10:00Z");
    let first = store
        .record_administration(&s.nurse, s.clinic, &first)
        .await
        .unwrap();
    assert_eq!(
        (first.plan_id, first.plan_version, first.appointment_id),
        (Some(plan.id), Some(1), Some(booked[0].id))
    );
    assert!(
        !store
            .received_human_derived(s.clinic, s.patient)
            .await
            .unwrap()
    );
    let mut second = dose(&s, vec![vial(a, None, 10)]);
    second.plan_id = Some(plan.id);
    second.started_at = at("2026-12-08T01:10:00Z");
    second.human_derived = true;
    second.blood_donation_notice = Some("ヒト由来製品の投与後は献血できません".into());
    let second = store
        .record_administration(&s.nurse, s.clinic, &second)
        .await
        .unwrap();
    assert_eq!(
        second.blood_donation_notice.as_deref(),
        Some("ヒト由来製品の投与後は献血できません")
    );
    assert!(
        store
            .received_human_derived(s.clinic, s.patient)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .last_administration_of_plan(s.clinic, plan.id)
            .await
            .unwrap(),
        Some(at("2026-12-08T01:10:00Z"))
    );
    // Voided, the later dose no longer counts.
    store
        .void_administration(&s.nurse, s.clinic, second.id, "記録誤り")
        .await
        .unwrap();
    assert_eq!(
        store
            .last_administration_of_plan(s.clinic, plan.id)
            .await
            .unwrap(),
        Some(at("2026-11-24T01:10:00Z"))
    );
    assert!(
        !store
            .received_human_derived(s.clinic, s.patient)
            .await
            .unwrap()
    );
    // A plan version that does not exist, a plan or appointment of another
    // patient: not found.
    let other = patient(&store, s.clinic, &s.qa, "すずき たろう", "09087654321").await;
    let mut wrong = dose(&s, vec![vial(a, None, 10)]);
    wrong.plan_id = Some(plan.id);
    wrong.plan_version = Some(2);
    assert!(matches!(
        store
            .record_administration(&s.nurse, s.clinic, &wrong)
            .await,
        Err(StoreError::NotFound)
    ));
    for (plan_id, appointment_id) in [(Some(plan.id), None), (None, Some(booked[0].id))] {
        let mut wrong = dose(&s, vec![vial(a, None, 10)]);
        wrong.patient_id = other;
        wrong.plan_id = plan_id;
        wrong.appointment_id = appointment_id;
        assert!(matches!(
            store
                .record_administration(&s.nurse, s.clinic, &wrong)
                .await,
            Err(StoreError::NotFound)
        ));
    }
}
both!(plans_and_human_derived_doses);

async fn another_clinics_ids_are_not_found(store: DynStore) {
    let g = site(&store, "ginza").await;
    let u = site(&store, "umeda").await;
    let ga = released(&store, &g, &g.product, "G-A", 5).await;
    let ua = released(&store, &u, &u.product, "U-A", 5).await;
    let physician = Actor::user(u.physician_id, "physician-umeda");
    let uplan = store
        .create_plan(&physician, u.clinic, u.patient, &plan_facts(&[&u.product]))
        .await
        .unwrap();
    let Booking::Done(uappt) = store
        .book_appointments(
            &u.qa,
            u.clinic,
            &[NewAppointment {
                patient_id: u.patient,
                plan_id: None,
                session_ordinal: None,
                proposed_date: None,
                follows_course: false,
                room: None,
                staff_id: None,
                starts_at: at("2026-11-24T01:00:00Z"),
                ends_at: at("2026-11-24T02:00:00Z"),
                note: None,
            }],
        )
        .await
        .unwrap()
    else {
        panic!("booking refused")
    };

    let seq = audit_seq(&store).await;
    let base = || dose(&g, vec![vial(ga, None, 5)]);
    let mut cases = Vec::new();
    let mut c = base();
    c.patient_id = u.patient;
    cases.push(("patient", c));
    cases.push(("lot", dose(&g, vec![vial(ua, None, 5)])));
    let mut c = base();
    c.location_id = u.freezer;
    cases.push(("location", c));
    let mut c = base();
    c.plan_id = Some(uplan.id);
    cases.push(("plan", c));
    let mut c = base();
    c.appointment_id = Some(uappt[0].id);
    cases.push(("appointment", c));
    let mut c = base();
    c.administered_by = u.nurse_id;
    cases.push(("administered_by", c));
    let mut c = base();
    c.verified_by = Some(u.physician_id);
    cases.push(("verified_by", c));
    for (what, new) in cases {
        let r = store.record_administration(&g.nurse, g.clinic, &new).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{what}: {r:?}");
    }
    assert_eq!(audit_seq(&store).await, seq);
    assert_eq!(on_hand(&store, u.clinic, ua, u.freezer).await, 5);

    // Umeda's dose, seen from Ginza: nothing.
    let udose = store
        .record_administration(&u.nurse, u.clinic, &dose(&u, vec![vial(ua, Some("1"), 5)]))
        .await
        .unwrap();
    assert!(
        store
            .administration(g.clinic, udose.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .administration_versions(g.clinic, udose.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .lookback_lots(g.clinic, &[ua])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .lookback_patient(g.clinic, u.patient)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .administrations_of_patient(g.clinic, u.patient)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .used_serials(g.clinic, ua, &["1".into()])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .correct_administration(&g.nurse, g.clinic, udose.id, 1, &udose.details, "x")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .void_administration(&g.nurse, g.clinic, udose.id, "x")
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .administration(u.clinic, udose.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        AdministrationStatus::Recorded
    );
    assert_eq!(store.lookback_lots(u.clinic, &[ua]).await.unwrap().len(), 1);
}
both!(another_clinics_ids_are_not_found);

async fn administration_records_refuse_rewrites(store: DynStore, url: &str) {
    let s = site(&store, "ginza").await;
    let a = released(&store, &s, &s.product, "A", 5).await;
    let given = store
        .record_administration(&s.nurse, s.clinic, &dose(&s, vec![vial(a, Some("R1"), 5)]))
        .await
        .unwrap();
    // Refused by a trigger or the unique index, not by a typo.
    let refused = |sql: String| {
        let store = store.clone();
        async move {
            let err = raw(&store, url, &sql).await.err();
            let msg = err
                .map(|e| e.to_string())
                .unwrap_or_default()
                .to_lowercase();
            assert!(
                ["never", "one at a time", "unique"]
                    .iter()
                    .any(|w| msg.contains(w)),
                "{sql}: {msg}"
            );
        }
    };
    let id = if url.starts_with("sqlite") {
        format!("X'{}'", given.id.simple())
    } else {
        format!("'{}'", given.id)
    };
    for sql in [
        format!("DELETE FROM administrations WHERE id = {id}"),
        format!("UPDATE administrations SET route = 'nasal' WHERE id = {id}"),
        format!("UPDATE administrations SET current_version = 5 WHERE id = {id}"),
        format!("DELETE FROM administration_versions WHERE administration_id = {id}"),
        format!("UPDATE administration_versions SET reason = 'x' WHERE administration_id = {id}"),
        format!("DELETE FROM administration_vials WHERE administration_id = {id}"),
        format!("UPDATE administration_vials SET serial = 'R2' WHERE administration_id = {id}"),
    ] {
        refused(sql).await;
    }
    // A second use of the serial is refused by the database itself.
    let sql = format!(
        "INSERT INTO administration_vials (administration_id, ordinal, lot_id, serial, volume_ul) \
         SELECT administration_id, 2, lot_id, serial, volume_ul FROM administration_vials WHERE administration_id = {id}"
    );
    refused(sql).await;
    // What the store itself does is allowed.
    raw(
        &store,
        url,
        &format!("UPDATE administrations SET started_at = started_at WHERE id = {id}"),
    )
    .await
    .unwrap();
    // Once voided, the row is frozen.
    store
        .void_administration(&s.nurse, s.clinic, given.id, "test")
        .await
        .unwrap();
    for sql in [
        format!("UPDATE administrations SET status = 'recorded', voided_at = NULL WHERE id = {id}"),
        format!("UPDATE administration_vials SET voided_at = NULL WHERE administration_id = {id}"),
    ] {
        refused(sql).await;
    }
    let after = store
        .administration(s.clinic, given.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (after.status, after.route, after.vials.len()),
        (AdministrationStatus::Voided, Route::IvDrip, 1)
    );
}
both_with_url!(administration_records_refuse_rewrites);

/// The clinic's blood-donation notice: none at first (the caller gives the
/// default), versions 1, 2 read back, another clinic has none, an unknown
/// clinic is not found, audited; a dose keeps the version it was given;
/// the texts and that version refuse rewrites in the database itself.
async fn blood_donation_notice_versions(store: DynStore, url: &str) {
    let s = site(&store, "ginza").await;
    let o = site(&store, "umeda").await;
    assert_eq!(store.blood_donation_notice(s.clinic).await.unwrap(), None);
    let v1 = store
        .set_blood_donation_notice(
            &s.qa,
            s.clinic,
            "献血時は申告してください。",
            "Declare it when donating blood.",
        )
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    let v2 = store
        .set_blood_donation_notice(
            &s.qa,
            s.clinic,
            "献血の問診で必ず申告してください。",
            "Always declare it at the donation interview.",
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let current = store
        .blood_donation_notice(s.clinic)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current, v2);
    assert_eq!(current.ja, "献血の問診で必ず申告してください。");
    assert_eq!(current.en, "Always declare it at the donation interview.");
    assert_eq!(current.set_by, s.qa.user_id);
    assert_eq!(store.blood_donation_notice(o.clinic).await.unwrap(), None);
    assert!(matches!(
        store
            .set_blood_donation_notice(&s.qa, Uuid::now_v7(), "a", "b")
            .await,
        Err(StoreError::NotFound)
    ));
    let entries = crate::audit_entries_of(&store, "blood_donation_notice_set").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].clinic_id, Some(s.clinic));
    assert!(entries[1].changes.contains("献血の問診"));

    // A dose keeps the text and the version given.
    let a = released(&store, &s, &s.product, "N", 5).await;
    let mut new = dose(&s, vec![vial(a, None, 5)]);
    new.human_derived = true;
    new.blood_donation_notice = Some(current.ja.clone());
    new.blood_donation_notice_version = Some(current.version);
    let given = store
        .record_administration(&s.nurse, s.clinic, &new)
        .await
        .unwrap();
    assert_eq!(given.blood_donation_notice_version, Some(2));
    let read = store
        .administration(s.clinic, given.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.blood_donation_notice_version, Some(2));
    assert_eq!(
        read.blood_donation_notice.as_deref(),
        Some("献血の問診で必ず申告してください。")
    );

    let (clinic, id) = if url.starts_with("sqlite") {
        (
            format!("X'{}'", s.clinic.simple()),
            format!("X'{}'", given.id.simple()),
        )
    } else {
        (format!("'{}'", s.clinic), format!("'{}'", given.id))
    };
    for sql in [
        format!("UPDATE blood_donation_notices SET text_ja = 'x' WHERE clinic_id = {clinic}"),
        format!("DELETE FROM blood_donation_notices WHERE clinic_id = {clinic}"),
        format!(
            "INSERT INTO blood_donation_notices (clinic_id, version, text_ja, text_en, at) SELECT clinic_id, version, text_ja, text_en, at FROM blood_donation_notices WHERE clinic_id = {clinic} AND version = 1"
        ),
        format!("UPDATE administrations SET blood_donation_notice_version = 1 WHERE id = {id}"),
    ] {
        let msg = raw(&store, url, &sql)
            .await
            .err()
            .map(|e| e.to_string().to_lowercase())
            .unwrap_or_default();
        assert!(
            ["never", "unique"].iter().any(|w| msg.contains(w)),
            "{sql}: {msg}"
        );
    }
}
both_with_url!(blood_donation_notice_versions);
