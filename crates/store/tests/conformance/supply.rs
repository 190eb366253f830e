//! Supply storage on both backends: product versions, lots, certificates,
//! the stock ledger (including two people taking the last vial at once),
//! and temperature excursions putting lots on hold.

use crate::{on_postgres, on_sqlite};

use jiff::civil::date;
use jousei_core::role::Role;
use jousei_core::supply::lot::{LotAction, LotFacts, LotState, transition};
use jousei_core::supply::product::*;
use jousei_core::supply::qc::{Outcome, QcResult, QcTest, Specification, certificate_gaps};
use jousei_core::supply::stock::MovementKind;
use jousei_core::supply::units::{DeciCelsius, Microlitres, Milli};
use jousei_store::supply::*;
use jousei_store::{Actor, DynStore, NewClinic, NewUser, StoreError, Ts};
use uuid::Uuid;

pub fn facts(code: &str) -> ProductFacts {
    ProductFacts {
        code: code.into(),
        name: "歯髄幹細胞培養上清液 10mL".into(),
        name_en: Some("Dental pulp conditioned medium 10 mL".into()),
        kind: ProductKind::ConditionedMedium,
        sources: vec![CellSource::DentalPulp],
        manufacturer: "テスト製薬".into(),
        facility: Some("東京CPC".into()),
        licence_no: Some("FA3190001".into()),
        country: "JP".into(),
        donor_info: DonorInfo::DocumentedDomestic,
        factors: vec![Factor::Egf, Factor::Bdnf],
        vial_volume: Microlitres(10_000),
        storage_min: DeciCelsius(-850),
        storage_max: DeciCelsius(-650),
        in_use_minutes: 120,
        excursion_tolerance_minutes: 30,
        routes: vec![Route::IvDrip, Route::Nasal],
        gtin: None,
        isbt_product_code: None,
        personal_import: false,
        regime: LegalRegime::Unapproved,
        how_obtained: Some("国内の細胞加工施設から購入".into()),
        approved_equivalent: Some(ApprovedEquivalent::None { note: None }),
        foreign_safety_info: None,
        spec: Specification::seed_default(),
    }
}

struct World {
    clinic: Uuid,
    other_clinic: Uuid,
    qa: Actor,
    witness: Uuid,
    freezer: Location,
    fridge: Location,
    product: Product,
}

async fn world(store: &DynStore) -> World {
    let sys = Actor::system("test");
    let mk = |code: &str| NewClinic {
        code: code.into(),
        name: code.into(),
        name_en: None,
        time_zone: "Asia/Tokyo".into(),
    };
    let clinic = store.create_clinic(&sys, &mk("ginza")).await.unwrap().id;
    let other_clinic = store.create_clinic(&sys, &mk("umeda")).await.unwrap().id;
    let user = |login: &str| NewUser {
        login: login.into(),
        display_name: login.into(),
        password_hash: "x".into(),
        clinic_id: clinic,
        role: Role::Quality,
    };
    let qa = store.create_user(&sys, &user("qa")).await.unwrap();
    let witness = store.create_user(&sys, &user("witness")).await.unwrap().id;
    let qa = Actor::user(qa.id, "qa");
    let loc = |code: &str, min, max| NewLocation {
        code: code.into(),
        name: code.into(),
        min_temp: DeciCelsius(min),
        max_temp: DeciCelsius(max),
    };
    let freezer = store
        .create_location(&qa, clinic, &loc("F1", -850, -650))
        .await
        .unwrap();
    let fridge = store
        .create_location(&qa, clinic, &loc("R1", 20, 80))
        .await
        .unwrap();
    let product = store
        .create_product(&qa, clinic, &facts("DP-CM-10"))
        .await
        .unwrap();
    World {
        clinic,
        other_clinic,
        qa,
        witness,
        freezer,
        fridge,
        product,
    }
}

async fn receive(store: &DynStore, w: &World, number: &str, vials: i64) -> Lot {
    store
        .receive_lot(
            &w.qa,
            w.clinic,
            &NewLot {
                product_id: w.product.id,
                lot_number: number.into(),
                expiry: date(2027, 3, 31),
                expiry_time: None,
                location_id: w.freezer.id,
                vials,
                supplier_ref: None,
                scan_raw: Some(format!("(01)...(10){number}")),
            },
        )
        .await
        .unwrap()
}

async fn products_are_versioned(store: DynStore) {
    let w = world(&store).await;
    assert!(matches!(
        store
            .create_product(&w.qa, w.clinic, &facts("DP-CM-10"))
            .await,
        Err(StoreError::Conflict("product_code_taken"))
    ));
    // The same code in another clinic is another product.
    store
        .create_product(&w.qa, w.other_clinic, &facts("DP-CM-10"))
        .await
        .unwrap();
    let mut f = facts("DP-CM-10");
    f.foreign_safety_info =
        Some("海外での重篤な有害事象の報告は確認されていない（2026年11月時点、製造元資料）".into());
    let p2 = store
        .revise_product(&w.qa, w.clinic, w.product.id, &f, "安全性情報を追記")
        .await
        .unwrap();
    assert_eq!(p2.version, 2);
    let versions = store
        .product_versions(w.clinic, w.product.id)
        .await
        .unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(
        versions[1].facts.foreign_safety_info, None,
        "the old version stays as it was"
    );
    assert_eq!(versions[0].reason.as_deref(), Some("安全性情報を追記"));
    let mut renamed = f.clone();
    renamed.code = "OTHER".into();
    assert!(matches!(
        store
            .revise_product(&w.qa, w.clinic, w.product.id, &renamed, "x")
            .await,
        Err(StoreError::Conflict("product_code_immutable"))
    ));
    // Clinic isolation.
    assert!(
        store
            .product(w.other_clinic, w.product.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.products(w.clinic).await.unwrap().len(), 1);
}
both!(products_are_versioned);

async fn lots_certificates_and_release(store: DynStore) {
    let w = world(&store).await;
    let lot = receive(&store, &w, "L2611", 10).await;
    assert_eq!(lot.state, LotState::Quarantined);
    assert_eq!(lot.product_code, "DP-CM-10");
    assert!(matches!(
        store
            .receive_lot(
                &w.qa,
                w.clinic,
                &NewLot {
                    product_id: w.product.id,
                    lot_number: "L2611".into(),
                    expiry: date(2027, 1, 1),
                    expiry_time: None,
                    location_id: w.freezer.id,
                    vials: 1,
                    supplier_ref: None,
                    scan_raw: None
                }
            )
            .await,
        Err(StoreError::Conflict("lot_exists"))
    ));
    let cert = store
        .add_certificate(
            &w.qa,
            w.clinic,
            lot.id,
            &NewCertificate {
                filename: "coa.pdf".into(),
                content_type: "application/pdf".into(),
                sha256: "ab".repeat(32),
                data: b"%PDF-1.7 test".to_vec(),
            },
        )
        .await
        .unwrap();
    let (meta, data) = store
        .certificate_data(w.clinic, cert.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (meta.size, data.as_slice()),
        (13, b"%PDF-1.7 test".as_slice())
    );
    assert!(
        store
            .certificate_data(w.other_clinic, cert.id)
            .await
            .unwrap()
            .is_none()
    );
    let results: Vec<QcResult> = Specification::seed_default()
        .tests
        .iter()
        .map(|r| QcResult {
            test: r.test,
            method: "USP".into(),
            outcome: if r.test == QcTest::Endotoxin {
                Outcome::Value {
                    value: Milli(100),
                    unit: "EU/mL".into(),
                }
            } else {
                Outcome::Negative
            },
            tested_on: date(2026, 11, 1),
        })
        .collect();
    store
        .add_qc_results(&w.qa, w.clinic, lot.id, &results, Some(cert.id))
        .await
        .unwrap();
    let stored: Vec<QcResult> = store
        .qc_results(w.clinic, lot.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.result)
        .collect();
    assert_eq!(stored, results);
    assert!(certificate_gaps(&w.product.facts.spec, &stored).is_empty());

    let facts = LotFacts {
        state: lot.state,
        held_from: None,
        expiry: lot.expiry,
        gaps: vec![],
        open_excursions: 0,
        today: date(2026, 11, 22),
    };
    let t = transition(&facts, LotAction::Release, None).unwrap();
    let change = LotChange {
        lot_id: lot.id,
        action: LotAction::Release,
        expected_state: LotState::Quarantined,
        transition: t,
        reason: None,
        evidence: serde_json::json!({"results": stored.len()}),
    };
    let released = store.change_lot(&w.qa, w.clinic, &change).await.unwrap();
    assert_eq!(released.state, LotState::Released);
    // Applying the same decision twice is refused: the state moved on.
    assert!(matches!(
        store.change_lot(&w.qa, w.clinic, &change).await,
        Err(StoreError::Conflict("lot_state_changed"))
    ));
    let events = store.lot_events(w.clinic, lot.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].action.as_str(), events[0].actor_login.as_deref()),
        ("release", Some("qa"))
    );
    assert_eq!(events[0].evidence["results"], 10);
}
both!(lots_certificates_and_release);

async fn the_ledger_never_goes_negative(store: DynStore) {
    let w = world(&store).await;
    let lot = receive(&store, &w, "L1", 3).await;
    let mv = |kind, quantity| NewMovement {
        lot_id: lot.id,
        location_id: w.freezer.id,
        kind,
        quantity,
        to_location_id: None,
        reason: None,
        witness_id: None,
    };
    store
        .record_movement(
            &w.qa,
            w.clinic,
            &NewMovement {
                to_location_id: Some(w.fridge.id),
                ..mv(MovementKind::Move, 1)
            },
        )
        .await
        .unwrap();
    let err = store
        .record_movement(&w.qa, w.clinic, &mv(MovementKind::Use, 5))
        .await
        .unwrap_err();
    assert!(matches!(err, MovementError::Invalid(ref e) if e[0].code == "stock_insufficient"));
    let err = store
        .record_movement(
            &w.qa,
            w.clinic,
            &NewMovement {
                reason: Some("破損".into()),
                witness_id: w.qa.user_id,
                ..mv(MovementKind::Destroy, 1)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, MovementError::Invalid(ref e) if e[0].code == "witness_is_actor"));
    store
        .record_movement(
            &w.qa,
            w.clinic,
            &NewMovement {
                reason: Some("破損".into()),
                witness_id: Some(w.witness),
                ..mv(MovementKind::Destroy, 1)
            },
        )
        .await
        .unwrap();
    let stock = store.stock(w.clinic).await.unwrap();
    let at = |code: &str| {
        stock
            .iter()
            .find(|s| s.location_code == code)
            .map(|s| s.vials)
            .unwrap_or(0)
    };
    assert_eq!((at("F1"), at("R1")), (1, 1));
    let moves = store.movements(w.clinic, Some(lot.id), 100).await.unwrap();
    assert_eq!(moves.len(), 4, "receive, move out, move in, destroy");
    assert!(
        moves
            .iter()
            .any(|m| m.kind == "destroy" && m.witness_login.as_deref() == Some("witness"))
    );
    assert!(store.stock(w.other_clinic).await.unwrap().is_empty());

    // Two people take the last vial of F1 at the same moment: one succeeds.
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        let actor = w.qa.clone();
        let m = mv(MovementKind::Use, 1);
        let clinic = w.clinic;
        tasks.push(tokio::spawn(async move {
            store.record_movement(&actor, clinic, &m).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
    let stock = store.stock(w.clinic).await.unwrap();
    assert!(stock.iter().all(|s| s.vials >= 0));
    assert!(stock.iter().all(|s| s.location_code != "F1"));
    let v = jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
        .await
        .unwrap();
    assert!(v.is_ok());
}
both!(the_ledger_never_goes_negative);

async fn excursions_hold_lots_until_acknowledged(store: DynStore) {
    let w = world(&store).await;
    let a = receive(&store, &w, "A", 2).await;
    let b = receive(&store, &w, "B", 2).await;
    // Lot B is moved to the fridge entirely: it is not in the freezer.
    store
        .record_movement(
            &w.qa,
            w.clinic,
            &NewMovement {
                lot_id: b.id,
                location_id: w.freezer.id,
                kind: MovementKind::Move,
                quantity: 2,
                to_location_id: Some(w.fridge.id),
                reason: None,
                witness_id: None,
            },
        )
        .await
        .unwrap();
    let t0 = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let readings: Vec<(Ts, DeciCelsius)> = (0..10)
        .map(|i| {
            (
                Ts::from(t0 + jiff::SignedDuration::from_mins(i * 10)),
                DeciCelsius(if (3..8).contains(&i) { -500 } else { -800 }),
            )
        })
        .collect();
    let new = NewTemperatureImport {
        location_id: w.freezer.id,
        filename: "F1-2026-11.csv".into(),
        sha256: "cd".repeat(32),
        device: Some("TL-100 #4411".into()),
        readings: readings.clone(),
        excursions: vec![NewExcursion {
            start_at: readings[3].0,
            end_at: readings[8].0,
            minutes: 50,
            extreme: DeciCelsius(-500),
            direction: "above",
            lot_ids: vec![a.id],
        }],
    };
    let out = store
        .import_temperatures(&w.qa, w.clinic, &new)
        .await
        .unwrap();
    assert_eq!(out.held_lots, ["A"]);
    assert_eq!(out.excursions.len(), 1);
    assert_eq!(out.excursions[0].lots, ["A"]);
    assert!(matches!(
        store.import_temperatures(&w.qa, w.clinic, &new).await,
        Err(StoreError::Conflict("temperature_import_duplicate"))
    ));
    let a2 = store.lot(w.clinic, a.id).await.unwrap().unwrap();
    assert_eq!(
        (a2.state, a2.held_from),
        (LotState::OnHold, Some(LotState::Quarantined))
    );
    assert_eq!(
        store.lot(w.clinic, b.id).await.unwrap().unwrap().state,
        LotState::Quarantined
    );
    assert_eq!(
        store.open_excursions_of_lot(w.clinic, a.id).await.unwrap(),
        1
    );
    assert_eq!(
        store
            .temperature_readings(w.clinic, out.import.id)
            .await
            .unwrap(),
        readings
    );
    assert!(
        store
            .temperature_readings(w.other_clinic, out.import.id)
            .await
            .unwrap()
            .is_empty()
    );
    let id = out.excursions[0].id;
    store
        .acknowledge_excursion(
            &w.qa,
            w.clinic,
            id,
            "10分間の扉開放。製造元に確認し品質影響なし",
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .acknowledge_excursion(&w.qa, w.clinic, id, "again")
            .await,
        Err(StoreError::Conflict("excursion_already_acknowledged"))
    ));
    assert_eq!(
        store.open_excursions_of_lot(w.clinic, a.id).await.unwrap(),
        0
    );
    assert!(store.excursions(w.clinic, true).await.unwrap().is_empty());
    let events = store.lot_events(w.clinic, a.id).await.unwrap();
    assert_eq!(events[0].reason.as_deref(), Some("temperature_excursion"));
}
both!(excursions_hold_lots_until_acknowledged);

/// A lot whose label gives an expiry date and time keeps the time (read back by id, in the
/// list and in stock); a lot without one has none.
async fn a_lot_keeps_its_expiry_time(store: DynStore) {
    let w = world(&store).await;
    let plain = receive(&store, &w, "L-DATE", 2).await;
    assert_eq!(plain.expiry_time, None);
    let timed = store
        .receive_lot(
            &w.qa,
            w.clinic,
            &NewLot {
                product_id: w.product.id,
                lot_number: "G123417654321".into(),
                expiry: date(2027, 12, 31),
                expiry_time: Some(jiff::civil::time(23, 59, 0, 0)),
                location_id: w.freezer.id,
                vials: 1,
                supplier_ref: None,
                scan_raw: Some("=G12341765432170=<S12954A0&>0273652359".into()),
            },
        )
        .await
        .unwrap();
    let t = Some(jiff::civil::time(23, 59, 0, 0));
    assert_eq!(timed.expiry_time, t);
    assert_eq!(
        store
            .lot(w.clinic, timed.id)
            .await
            .unwrap()
            .unwrap()
            .expiry_time,
        t
    );
    let listed = store.lots(w.clinic).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .find(|l| l.id == timed.id)
            .unwrap()
            .expiry_time,
        t
    );
    assert_eq!(
        listed
            .iter()
            .find(|l| l.id == plain.id)
            .unwrap()
            .expiry_time,
        None
    );
    let stock = store.stock(w.clinic).await.unwrap();
    assert_eq!(
        stock
            .iter()
            .find(|s| s.lot.id == timed.id)
            .unwrap()
            .lot
            .expiry_time,
        t
    );
}
both!(a_lot_keeps_its_expiry_time);
