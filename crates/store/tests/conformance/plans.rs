//! Plans and appointments on both backends: indications and protocol
//! templates with versions, the clinic calendar, plans with versions and a
//! physician's approval sealed by the facts' hash, appointments with
//! conflicts (room, staff, patient; cancelled ones do not count), status
//! changes and their undo, moves, and double booking under concurrency.

use crate::{on_postgres, on_sqlite, raw};

use jiff::civil::date;
use jousei_core::calendar::{ClinicCalendar, Closure, Protocol};
use jousei_core::patient::registry::{DataConsentMethod, RawPatient};
use jousei_core::plan::appointment::{AppointmentStatus, ConflictKind};
use jousei_core::plan::{
    IndicationFacts, PlanFacts, ProductInfo, RawComponent, RawIndication, RawPlan,
    parse_indication, parse_plan,
};
use jousei_core::role::Role;
use jousei_core::supply::product::Route;
use jousei_store::patient::NewPatient;
use jousei_store::plan::{Booking, Move, NewAppointment};
use jousei_store::{Actor, DynStore, NewClinic, NewUser, StoreError, Ts};
use uuid::Uuid;

struct World {
    ginza: Uuid,
    umeda: Uuid,
    physician: Actor,
    coordinator: Actor,
    nurse_id: Uuid,
    hanako: Uuid,
    taro: Uuid,
}

async fn patient(store: &DynStore, clinic: Uuid, actor: &Actor, kana: &str, phone: &str) -> Uuid {
    let facts = RawPatient {
        name: "山田 花子".into(),
        kana: kana.into(),
        birth_date: "1978-05-14".into(),
        sex: "female".into(),
        phone: phone.into(),
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

async fn world(store: &DynStore) -> World {
    let sys = Actor::system("test");
    let mk = |code: &str| NewClinic {
        code: code.into(),
        name: code.into(),
        name_en: None,
        time_zone: "Asia/Tokyo".into(),
    };
    let ginza = store.create_clinic(&sys, &mk("ginza")).await.unwrap().id;
    let umeda = store.create_clinic(&sys, &mk("umeda")).await.unwrap().id;
    let mut ids = Vec::new();
    for (login, role) in [
        ("physician", Role::Physician),
        ("coordinator", Role::Coordinator),
        ("nurse", Role::Nurse),
    ] {
        let u = store
            .create_user(
                &sys,
                &NewUser {
                    login: login.into(),
                    display_name: login.into(),
                    password_hash: "x".into(),
                    clinic_id: ginza,
                    role,
                },
            )
            .await
            .unwrap();
        ids.push(u.id);
    }
    let physician = Actor::user(ids[0], "physician");
    let coordinator = Actor::user(ids[1], "coordinator");
    let hanako = patient(store, ginza, &coordinator, "やまだ はなこ", "09012345678").await;
    let taro = patient(store, ginza, &coordinator, "すずき たろう", "09087654321").await;
    World {
        ginza,
        umeda,
        physician,
        coordinator,
        nurse_id: ids[2],
        hanako,
        taro,
    }
}

fn skin() -> IndicationFacts {
    parse_indication(&RawIndication {
        code: "skin".into(),
        name_ja: "肌質・しわ".into(),
        name_en: "Skin texture and wrinkles".into(),
        routes: vec!["skin_injection".into(), "iv_drip".into()],
        ..RawIndication::default()
    })
    .unwrap()
}

fn plan_facts(indication: &IndicationFacts, start: &str, notes: Option<&str>) -> PlanFacts {
    let products = [
        ProductInfo {
            id: Uuid::from_u128(1),
            code: "A".into(),
            name: "A".into(),
            routes: vec![Route::IvDrip],
        },
        ProductInfo {
            id: Uuid::from_u128(2),
            code: "B".into(),
            name: "B".into(),
            routes: vec![Route::IvDrip],
        },
    ];
    let raw = RawPlan {
        indication_code: "skin".into(),
        route: "iv_drip".into(),
        components: products
            .iter()
            .map(|p| RawComponent {
                product_id: p.id.to_string(),
                share_percent: "50".into(),
            })
            .collect(),
        dose: "10".into(),
        dose_unit: "ml".into(),
        start_date: start.into(),
        notes: notes.map(str::to_string),
        ..RawPlan::default()
    };
    parse_plan(
        &raw,
        &Protocol::example(),
        None,
        Some(indication),
        &products,
    )
    .unwrap()
    .facts
}

fn at(s: &str) -> Ts {
    Ts::from(s.parse::<jiff::Timestamp>().unwrap())
}

fn slot(patient: Uuid, room: Option<&str>, from: &str, to: &str) -> NewAppointment {
    NewAppointment {
        patient_id: patient,
        plan_id: None,
        session_ordinal: None,
        proposed_date: None,
        follows_course: false,
        room: room.map(str::to_string),
        staff_id: None,
        starts_at: at(from),
        ends_at: at(to),
        note: None,
    }
}

async fn actions(store: &DynStore) -> Vec<String> {
    store
        .audit_batch(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.action)
        .collect()
}

async fn catalogue_and_plans(store: DynStore) {
    let w = world(&store).await;
    let admin = Actor::system("admin");

    // Indications: unique code per clinic, versions.
    let skin_i = store
        .create_indication(&admin, w.ginza, &skin())
        .await
        .unwrap();
    assert!(matches!(
        store.create_indication(&admin, w.ginza, &skin()).await,
        Err(StoreError::Conflict("indication_code_taken"))
    ));
    store
        .create_indication(&admin, w.umeda, &skin())
        .await
        .unwrap();
    let mut revised = skin();
    revised.routes.push(Route::TopicalDevice);
    let r = store
        .revise_indication(&admin, w.ginza, skin_i.id, &revised, "機器導入を追加")
        .await
        .unwrap();
    assert_eq!(r.version, 2);
    let listed = store.indications(w.ginza).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].facts.routes.len(), 3);
    assert_eq!(
        store
            .indication_by_code(w.ginza, "skin")
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );
    assert!(
        store
            .indication_by_code(w.ginza, "knee")
            .await
            .unwrap()
            .is_none()
    );

    // Protocol templates.
    let p = store
        .create_protocol(&admin, w.ginza, &Protocol::example())
        .await
        .unwrap();
    let mut shorter = Protocol::example();
    shorter.name = "短縮".into();
    let p2 = store
        .revise_protocol(&admin, w.ginza, p.id, &shorter, "短縮版")
        .await
        .unwrap();
    assert_eq!((p2.version, p2.protocol.name.as_str()), (2, "短縮"));
    assert_eq!(store.protocols(w.ginza).await.unwrap().len(), 1);
    assert!(store.protocols(w.umeda).await.unwrap().is_empty());
    assert!(store.protocol(w.umeda, p.id).await.unwrap().is_none());

    // Clinic calendar: the example until set; every version kept.
    assert_eq!(
        store.clinic_calendar(w.ginza).await.unwrap(),
        ClinicCalendar::example()
    );
    let summer = ClinicCalendar::example().with_closure(Closure::dates(
        date(2026, 8, 12),
        date(2026, 8, 16),
        "夏季休診",
    ));
    store
        .set_clinic_calendar(&admin, w.ginza, &summer)
        .await
        .unwrap();
    assert_eq!(store.clinic_calendar(w.ginza).await.unwrap(), summer);
    assert_eq!(
        store.clinic_calendar(w.umeda).await.unwrap(),
        ClinicCalendar::example()
    );

    // Plans: versions, approval sealed by the hash of the facts.
    let facts = plan_facts(&skin(), "2026-04-06", None);
    assert!(matches!(
        store
            .create_plan(&w.physician, w.umeda, w.hanako, &facts)
            .await,
        Err(StoreError::Conflict("plan_patient_unknown"))
    ));
    let plan = store
        .create_plan(&w.physician, w.ginza, w.hanako, &facts)
        .await
        .unwrap();
    assert_eq!((plan.version, plan.approval.is_none()), (1, true));
    assert!(matches!(
        store.approve_plan(&w.physician, w.ginza, plan.id, 2).await,
        Err(StoreError::Conflict("plan_version_stale"))
    ));
    let approved = store
        .approve_plan(&w.physician, w.ginza, plan.id, 1)
        .await
        .unwrap();
    let a = approved.approval.clone().unwrap();
    assert_eq!(a.sha256, facts.fingerprint());
    assert_eq!(a.approved_by_login.as_deref(), Some("physician"));
    assert!(matches!(
        store.approve_plan(&w.physician, w.ginza, plan.id, 1).await,
        Err(StoreError::Conflict("plan_already_approved"))
    ));
    assert!(matches!(
        store
            .approve_plan(&Actor::system("x"), w.ginza, plan.id, 1)
            .await,
        Err(StoreError::Conflict("plan_approver_required"))
    ));
    // A change after approval is a new version, not approved until approved.
    let changed = plan_facts(&skin(), "2026-04-13", Some("開始を1週間延期"));
    let v2 = store
        .revise_plan(&w.physician, w.ginza, plan.id, &changed, "患者都合")
        .await
        .unwrap();
    assert_eq!((v2.version, v2.approval.is_none()), (2, true));
    let versions = store.plan_versions(w.ginza, plan.id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].reason.as_deref(), Some("患者都合"));
    assert!(versions[0].approval.is_none());
    assert_eq!(versions[1].approval.as_ref().unwrap().sha256, a.sha256);
    assert_eq!(versions[1].facts, facts);
    assert!(store.plan(w.umeda, plan.id).await.unwrap().is_none());
    assert_eq!(
        store
            .plans_of_patient(w.ginza, w.hanako)
            .await
            .unwrap()
            .len(),
        1
    );
    let acts = actions(&store).await;
    for a in [
        "indication_created",
        "indication_revised",
        "protocol_created",
        "protocol_revised",
        "clinic_calendar_set",
        "plan_created",
        "plan_approved",
        "plan_revised",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a} audited");
    }
    let verified = jousei_store::verify::verify_chain(store.as_ref(), |_, _| {})
        .await
        .unwrap();
    assert!(verified.is_ok());
}
both!(catalogue_and_plans);

async fn appointments_conflicts_status_and_undo(store: DynStore) {
    let w = world(&store).await;
    let co = &w.coordinator;
    let plan = store
        .create_plan(
            &w.physician,
            w.ginza,
            w.hanako,
            &plan_facts(&skin(), "2026-04-06", None),
        )
        .await
        .unwrap();
    let mut first = slot(
        w.hanako,
        Some("A"),
        "2026-04-06T01:00:00Z",
        "2026-04-06T02:00:00Z",
    );
    first.plan_id = Some(plan.id);
    first.session_ordinal = Some(1);
    first.proposed_date = Some(date(2026, 4, 6));
    first.staff_id = Some(w.nurse_id);
    let Booking::Done(booked) = store
        .book_appointments(co, w.ginza, &[first])
        .await
        .unwrap()
    else {
        panic!("booked")
    };
    let a = booked[0].clone();
    assert_eq!(a.status, AppointmentStatus::Booked);
    assert_eq!(a.proposed_date, Some(date(2026, 4, 6)));
    assert_eq!(a.session_ordinal, Some(1));

    // Same room, same staff, same patient: each refused, naming the one in the way.
    let mut staff = slot(
        w.taro,
        Some("B"),
        "2026-04-06T01:30:00Z",
        "2026-04-06T02:30:00Z",
    );
    staff.staff_id = Some(w.nurse_id);
    for (n, kind) in [
        (
            slot(
                w.taro,
                Some("A"),
                "2026-04-06T01:30:00Z",
                "2026-04-06T02:30:00Z",
            ),
            ConflictKind::Room,
        ),
        (staff, ConflictKind::Staff),
        (
            slot(
                w.hanako,
                None,
                "2026-04-06T01:59:00Z",
                "2026-04-06T02:30:00Z",
            ),
            ConflictKind::Patient,
        ),
    ] {
        let Booking::Conflicts(c) = store.book_appointments(co, w.ginza, &[n]).await.unwrap()
        else {
            panic!("conflict expected for {kind}")
        };
        assert_eq!(c[0].appointment_id, Some(a.id));
        assert_eq!(c[0].kinds, [kind]);
    }
    // Touching ends are fine; two new ones colliding with each other are not,
    // and nothing of such a request is booked.
    let next = slot(
        w.taro,
        Some("A"),
        "2026-04-06T02:00:00Z",
        "2026-04-06T03:00:00Z",
    );
    let clash = slot(
        w.taro,
        Some("C"),
        "2026-04-06T02:30:00Z",
        "2026-04-06T03:30:00Z",
    );
    let Booking::Conflicts(c) = store
        .book_appointments(co, w.ginza, &[next.clone(), clash])
        .await
        .unwrap()
    else {
        panic!("conflict among the new ones")
    };
    assert_eq!((c[0].index, c[0].other_index), (0, Some(1)));
    let day = |d: &str| at(&format!("{d}T00:00:00Z"));
    assert_eq!(
        store
            .appointments_between(w.ginza, day("2026-04-06"), day("2026-04-07"))
            .await
            .unwrap()
            .len(),
        1
    );
    let Booking::Done(b) = store.book_appointments(co, w.ginza, &[next]).await.unwrap() else {
        panic!("touching ends")
    };
    let taro_a = b[0].clone();

    // Unknown patient, plan of another patient, staff of another clinic.
    let mut wrong_plan = slot(w.taro, None, "2026-04-07T01:00:00Z", "2026-04-07T02:00:00Z");
    wrong_plan.plan_id = Some(plan.id);
    assert!(matches!(
        store.book_appointments(co, w.ginza, &[wrong_plan]).await,
        Err(StoreError::Conflict("appointment_plan_unknown"))
    ));
    assert!(matches!(
        store
            .book_appointments(
                co,
                w.umeda,
                &[slot(
                    w.taro,
                    None,
                    "2026-04-07T01:00:00Z",
                    "2026-04-07T02:00:00Z"
                )]
            )
            .await,
        Err(StoreError::Conflict("appointment_patient_unknown"))
    ));

    // Status: booked → checked_in → done; a mistaken no-show is undone.
    assert!(matches!(
        store
            .set_appointment_status(co, w.ginza, a.id, AppointmentStatus::Done, None)
            .await,
        Err(StoreError::Conflict("appointment_status_invalid"))
    ));
    let s = store
        .set_appointment_status(co, w.ginza, a.id, AppointmentStatus::NoShow, None)
        .await
        .unwrap();
    assert_eq!(s.status, AppointmentStatus::NoShow);
    let u = store
        .undo_appointment_status(co, w.ginza, a.id, "来院していた（入力誤り）")
        .await
        .unwrap();
    assert_eq!(u.status, AppointmentStatus::Booked);
    assert!(matches!(
        store
            .undo_appointment_status(co, w.ginza, a.id, "again")
            .await,
        Err(StoreError::Conflict("appointment_nothing_to_undo"))
    ));
    store
        .set_appointment_status(co, w.ginza, a.id, AppointmentStatus::CheckedIn, None)
        .await
        .unwrap();
    store
        .set_appointment_status(co, w.ginza, a.id, AppointmentStatus::Done, None)
        .await
        .unwrap();
    let events = store.appointment_events(w.ginza, a.id).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["booked", "status", "undo", "status", "status"]
    );
    assert_eq!(events[2].undoes_seq, Some(2));
    assert_eq!(events[2].to_status, AppointmentStatus::Booked);
    assert!(
        store
            .appointment_events(w.umeda, a.id)
            .await
            .unwrap()
            .is_empty()
    );

    // A cancelled appointment frees its slot; undoing the cancellation
    // when the slot is taken again is refused.
    store
        .set_appointment_status(
            co,
            w.ginza,
            taro_a.id,
            AppointmentStatus::Cancelled,
            Some("体調不良"),
        )
        .await
        .unwrap();
    let Booking::Done(_) = store
        .book_appointments(
            co,
            w.ginza,
            &[slot(
                w.hanako,
                Some("A"),
                "2026-04-06T02:00:00Z",
                "2026-04-06T03:00:00Z",
            )],
        )
        .await
        .unwrap()
    else {
        panic!("the cancelled slot is free")
    };
    assert!(matches!(
        store
            .undo_appointment_status(co, w.ginza, taro_a.id, "誤操作")
            .await,
        Err(StoreError::Conflict("appointment_conflict"))
    ));

    // Moves: all or nothing, only booked ones, conflicts checked.
    let Booking::Done(b) = store
        .book_appointments(
            co,
            w.ginza,
            &[
                slot(
                    w.taro,
                    Some("A"),
                    "2026-04-20T01:00:00Z",
                    "2026-04-20T02:00:00Z",
                ),
                slot(
                    w.taro,
                    Some("A"),
                    "2026-05-02T01:00:00Z",
                    "2026-05-02T02:00:00Z",
                ),
            ],
        )
        .await
        .unwrap()
    else {
        panic!("booked")
    };
    assert!(matches!(
        store
            .move_appointments(
                co,
                w.ginza,
                &[Move {
                    id: a.id,
                    starts_at: at("2026-04-08T01:00:00Z"),
                    ends_at: at("2026-04-08T02:00:00Z")
                }],
                "x"
            )
            .await,
        Err(StoreError::Conflict("appointment_not_booked"))
    ));
    // Moving the first onto the second's time conflicts; moving both by a day
    // does not (they do not conflict with their own old times).
    let Booking::Conflicts(_) = store
        .move_appointments(
            co,
            w.ginza,
            &[Move {
                id: b[0].id,
                starts_at: b[1].starts_at,
                ends_at: b[1].ends_at,
            }],
            "x",
        )
        .await
        .unwrap()
    else {
        panic!("conflict")
    };
    let Booking::Done(moved) = store
        .move_appointments(
            co,
            w.ginza,
            &[
                Move {
                    id: b[0].id,
                    starts_at: at("2026-04-21T01:00:00Z"),
                    ends_at: at("2026-04-21T02:00:00Z"),
                },
                Move {
                    id: b[1].id,
                    starts_at: at("2026-05-07T01:00:00Z"),
                    ends_at: at("2026-05-07T02:00:00Z"),
                },
            ],
            "欠席により再計算",
        )
        .await
        .unwrap()
    else {
        panic!("moved")
    };
    assert_eq!(moved[1].starts_at, at("2026-05-07T01:00:00Z"));
    let ev = store.appointment_events(w.ginza, b[1].id).await.unwrap();
    assert_eq!(ev.last().unwrap().kind, "moved");
    assert_eq!(
        ev.last().unwrap().reason.as_deref(),
        Some("欠席により再計算")
    );
    assert_eq!(
        store
            .appointments_of_plan(w.ginza, plan.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let acts = actions(&store).await;
    for x in [
        "appointment_booked",
        "appointment_status",
        "appointment_status_undone",
        "appointment_moved",
    ] {
        assert!(acts.iter().any(|a| a == x), "{x} audited");
    }
}
both!(appointments_conflicts_status_and_undo);

async fn double_booking_under_concurrency(store: DynStore) {
    let w = world(&store).await;
    for round in 0..5 {
        let from = format!("2026-06-0{}T01:00:00Z", round + 1);
        let to = format!("2026-06-0{}T02:00:00Z", round + 1);
        let mut tasks = Vec::new();
        for patient in [w.hanako, w.taro] {
            let store = store.clone();
            let co = w.coordinator.clone();
            let n = slot(patient, Some("A"), &from, &to);
            let clinic = w.ginza;
            tasks.push(tokio::spawn(async move {
                store.book_appointments(&co, clinic, &[n]).await
            }));
        }
        let mut done = 0;
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap().unwrap() {
                Booking::Done(_) => done += 1,
                Booking::Conflicts(c) => {
                    assert_eq!(c[0].kinds, [ConflictKind::Room]);
                    refused += 1;
                }
            }
        }
        assert_eq!((done, refused), (1, 1), "round {round}");
    }
    let all = store
        .appointments_between(
            w.ginza,
            at("2026-06-01T00:00:00Z"),
            at("2026-07-01T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
}
both!(double_booking_under_concurrency);

async fn nothing_is_deleted_story(store: DynStore, url: &str) {
    let w = world(&store).await;
    let plan = store
        .create_plan(
            &w.physician,
            w.ginza,
            w.hanako,
            &plan_facts(&skin(), "2026-04-06", None),
        )
        .await
        .unwrap();
    store
        .approve_plan(&w.physician, w.ginza, plan.id, 1)
        .await
        .unwrap();
    let Booking::Done(_) = store
        .book_appointments(
            &w.coordinator,
            w.ginza,
            &[slot(
                w.hanako,
                Some("A"),
                "2026-04-06T01:00:00Z",
                "2026-04-06T02:00:00Z",
            )],
        )
        .await
        .unwrap()
    else {
        panic!("booked")
    };
    for sql in [
        "DELETE FROM appointment_events",
        "DELETE FROM appointments",
        "DELETE FROM plan_approvals",
        "DELETE FROM plan_versions",
        "DELETE FROM plans",
        "UPDATE plan_versions SET facts = '{}'",
        "UPDATE plan_approvals SET sha256 = 'x'",
        "UPDATE appointment_events SET reason = 'x'",
    ] {
        assert!(raw(&store, url, sql).await.is_err(), "{sql} refused");
    }
    assert!(
        store
            .plan(w.ginza, plan.id)
            .await
            .unwrap()
            .unwrap()
            .approval
            .is_some()
    );
}

both_with_url!(nothing_is_deleted_story);
