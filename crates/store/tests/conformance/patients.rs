//! Patient storage on both backends: versions and corrections, search and
//! duplicate candidates, clinic isolation, screenings that go stale when
//! the answers change, consent templates and signed consents with
//! withdrawal and the same-day reason; nothing can be deleted.

use crate::{on_postgres, on_sqlite, raw};

use jiff::civil::date;
use jousei_core::locale::Locale;
use jousei_core::patient::consent::{
    ConsentItem, ConsentState, RawSection, RawTemplate, Signature, TemplateBody,
};
use jousei_core::patient::questionnaire::{self, Answer, Answers, Choice, QuestionId};
use jousei_core::patient::registry::{DataConsentMethod, PatientFacts, RawPatient};
use jousei_core::patient::screening::{Decision, DecisionFacts, screen};
use jousei_core::role::Role;
use jousei_store::patient::*;
use jousei_store::{Actor, DynStore, NewClinic, NewUser, StoreError, Ts};
use uuid::Uuid;

pub fn facts(name: &str, kana: &str, birth: &str, phone: &str) -> PatientFacts {
    RawPatient {
        name: name.into(),
        kana: kana.into(),
        birth_date: birth.into(),
        sex: "female".into(),
        phone: phone.into(),
        address: "東京都中央区銀座1-1-1".into(),
        ..Default::default()
    }
    .parse(date(2026, 11, 22))
    .unwrap()
}

pub fn template(route: &str) -> TemplateBody {
    RawTemplate {
        title_ja: "培養上清液 同意書".into(),
        title_en: "Conditioned medium consent".into(),
        product_kind: "conditioned_medium".into(),
        route: route.into(),
        sections: ConsentItem::ALL
            .iter()
            .map(|i| RawSection {
                item: i.as_str().into(),
                text_ja: format!("{}。", i.heading().ja),
                text_en: format!("{}.", i.heading().en),
            })
            .collect(),
    }
    .parse()
    .unwrap()
}

struct World {
    ginza: Uuid,
    umeda: Uuid,
    coordinator: Actor,
    physician: Actor,
    physician_id: Uuid,
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
    let user = |login: &str, role| NewUser {
        login: login.into(),
        display_name: login.into(),
        password_hash: "x".into(),
        clinic_id: ginza,
        role,
    };
    let co = store
        .create_user(&sys, &user("co", Role::Coordinator))
        .await
        .unwrap();
    let dr = store
        .create_user(&sys, &user("dr", Role::Physician))
        .await
        .unwrap();
    World {
        ginza,
        umeda,
        coordinator: Actor::user(co.id, "co"),
        physician: Actor::user(dr.id, "dr"),
        physician_id: dr.id,
    }
}

async fn register(store: &DynStore, w: &World, number: Option<&str>, f: PatientFacts) -> Patient {
    store
        .create_patient(
            &w.coordinator,
            w.ginza,
            &NewPatient {
                number: number.map(str::to_string),
                facts: f,
                data_consent_method: DataConsentMethod::Tablet,
            },
        )
        .await
        .unwrap()
}

async fn patients_are_versioned_searchable_and_scoped(store: DynStore) {
    let w = world(&store).await;
    let hanako = register(
        &store,
        &w,
        None,
        facts("山田 花子", "やまだ はなこ", "1978-05-14", "090-1234-5678"),
    )
    .await;
    assert_eq!(hanako.number, "000001");
    assert_eq!(hanako.version, 1);
    assert_eq!(hanako.data_consent.method, DataConsentMethod::Tablet);
    let taro = register(
        &store,
        &w,
        Some("K-100"),
        facts("鈴木 太郎", "スズキ タロウ", "1960-01-02", "03-1234-5678"),
    )
    .await;
    assert_eq!(taro.number, "K-100");
    // The next automatic number skips nothing and collides with nothing.
    let third = register(
        &store,
        &w,
        None,
        facts("佐藤 恵", "サトウ メグミ", "1990-12-31", "080-1111-2222"),
    )
    .await;
    assert_eq!(third.number, "000003");
    // A batch read returns the clinic's patients among the ids, nothing else.
    let mut got: Vec<String> = store
        .patients_by_ids(w.ginza, &[taro.id, hanako.id, Uuid::now_v7(), taro.id])
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.number)
        .collect();
    got.sort();
    assert_eq!(got, ["000001", "K-100"]);
    assert!(
        store
            .patients_by_ids(w.umeda, &[taro.id, hanako.id])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .patients_by_ids(w.ginza, &[])
            .await
            .unwrap()
            .is_empty()
    );
    let taken = store
        .create_patient(
            &w.coordinator,
            w.ginza,
            &NewPatient {
                number: Some("K-100".into()),
                facts: facts("x", "エックス", "2000-01-01", "090-9999-9999"),
                data_consent_method: DataConsentMethod::Written,
            },
        )
        .await;
    assert!(matches!(
        taken,
        Err(StoreError::Conflict("patient_number_taken"))
    ));

    // A correction is a new version with its reason; the first stays.
    let mut fixed = hanako.facts.clone();
    fixed.phone = jousei_core::patient::registry::Phone::parse("090-8765-4321", "phone").unwrap();
    fixed.address = "東京都中央区銀座2-2-2".into();
    let v2 = store
        .revise_patient(
            &w.coordinator,
            w.ginza,
            hanako.id,
            &fixed,
            "転居のため住所と電話番号を更新",
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.number, "000001");
    let got = store.patient(w.ginza, hanako.id).await.unwrap().unwrap();
    assert_eq!(got.facts, fixed);
    assert_eq!(got.version, 2);
    let versions = store.patient_versions(w.ginza, hanako.id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].version, 2);
    assert_eq!(
        versions[0].reason.as_deref(),
        Some("転居のため住所と電話番号を更新")
    );
    assert_eq!(versions[1].facts, hanako.facts);
    assert_eq!(versions[1].reason, None);

    // Search by kana prefix, number, phone, date of birth.
    let search = |q: PatientSearch| {
        let store = store.clone();
        async move {
            store
                .search_patients(w.ginza, &PatientSearch { limit: 50, ..q })
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.number)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        search(PatientSearch {
            kana_prefix: Some("ヤマダ".into()),
            ..Default::default()
        })
        .await,
        vec!["000001"]
    );
    assert_eq!(
        search(PatientSearch {
            kana_prefix: Some("ス".into()),
            ..Default::default()
        })
        .await,
        vec!["K-100"]
    );
    assert_eq!(
        search(PatientSearch {
            number: Some("000003".into()),
            ..Default::default()
        })
        .await,
        vec!["000003"]
    );
    assert_eq!(
        search(PatientSearch {
            phone: Some("09087654321".into()),
            ..Default::default()
        })
        .await,
        vec!["000001"]
    );
    assert!(
        search(PatientSearch {
            phone: Some("09012345678".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        search(PatientSearch {
            birth_date: Some(date(1960, 1, 2)),
            ..Default::default()
        })
        .await,
        vec!["K-100"]
    );
    assert_eq!(search(PatientSearch::default()).await.len(), 3);

    // Duplicate candidates: same kana and date of birth, or same phone.
    let by_kana = store
        .duplicate_candidates(w.ginza, "ヤマダハナコ", date(1978, 5, 14), "0000000000")
        .await
        .unwrap();
    assert_eq!(
        by_kana.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![hanako.id]
    );
    let by_phone = store
        .duplicate_candidates(w.ginza, "ナシ", date(2000, 1, 1), "0312345678")
        .await
        .unwrap();
    assert_eq!(
        by_phone.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![taro.id]
    );
    let other_day = store
        .duplicate_candidates(w.ginza, "ヤマダハナコ", date(1978, 5, 15), "0000000000")
        .await
        .unwrap();
    assert!(other_day.is_empty());

    // Another clinic sees nothing and changes nothing.
    assert!(store.patient(w.umeda, hanako.id).await.unwrap().is_none());
    assert!(
        store
            .patient_versions(w.umeda, hanako.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .search_patients(
                w.umeda,
                &PatientSearch {
                    limit: 50,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .duplicate_candidates(w.umeda, "ヤマダハナコ", date(1978, 5, 14), "09087654321")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .revise_patient(&w.coordinator, w.umeda, hanako.id, &fixed, "x")
            .await,
        Err(StoreError::NotFound)
    ));
    // Numbers are per clinic.
    let umeda_first = store
        .create_patient(
            &w.coordinator,
            w.umeda,
            &NewPatient {
                number: Some("K-100".into()),
                facts: facts("梅田 一郎", "ウメダ イチロウ", "1970-07-07", "06-1234-5678"),
                data_consent_method: DataConsentMethod::Verbal,
            },
        )
        .await
        .unwrap();
    assert_eq!(umeda_first.clinic_id, w.umeda);

    // The audit log records the correction's parts, not the values.
    let log = store.audit_batch(0, 1000).await.unwrap();
    let revised = log
        .iter()
        .find(|e| e.event.action == "patient_revised")
        .unwrap();
    let changes: serde_json::Value = serde_json::from_str(&revised.event.changes).unwrap();
    let changed = changes["changed"].as_array().unwrap();
    assert!(
        changed.contains(&serde_json::json!("phone"))
            && changed.contains(&serde_json::json!("address"))
    );
    assert!(!revised.event.changes.contains("09087654321"));
    assert_eq!(
        log.iter()
            .filter(|e| e.event.action == "patient_created")
            .count(),
        4
    );
}
both!(patients_are_versioned_searchable_and_scoped);

fn answers(yes: &[QuestionId]) -> Answers {
    questionnaire::current()
        .questions
        .iter()
        .map(|q| {
            let y = yes.contains(&q.id);
            (
                q.id,
                Answer {
                    choice: if y { Choice::Yes } else { Choice::No },
                    detail: y.then(|| "詳細".to_string()),
                },
            )
        })
        .collect()
}

fn new_answers(yes: &[QuestionId]) -> NewAnswers {
    let a = answers(yes);
    NewAnswers {
        questionnaire_version: 1,
        fingerprint: questionnaire::fingerprint(1, &a),
        findings: screen(&a, &[]),
        answers: a,
        source: AnswerSource::Patient,
    }
}

fn decision(d: Decision) -> DecisionFacts {
    DecisionFacts {
        decision: d,
        reason: "問診と診察の結果".into(),
        conditions: (d == Decision::EligibleWithConditions).then(|| "初回は経過観察30分".into()),
        valid_days: 90,
    }
}

async fn screenings_are_decided_once_on_current_answers(store: DynStore) {
    let w = world(&store).await;
    let p = register(
        &store,
        &w,
        None,
        facts("山田 花子", "ヤマダ ハナコ", "1978-05-14", "090-1234-5678"),
    )
    .await;
    let (r1, s1) = store
        .record_answers(
            &w.coordinator,
            w.ginza,
            p.id,
            &new_answers(&[QuestionId::DrugAllergy]),
        )
        .await
        .unwrap();
    assert_eq!(r1.source, AnswerSource::Patient);
    assert_eq!(s1.findings.len(), 1);
    assert_eq!(s1.findings[0].code.as_str(), "drug_allergy");
    assert!(s1.decision.is_none());
    assert!(r1.review.is_none());
    // Staff review the patient's own answers once; another clinic cannot.
    assert!(matches!(
        store
            .review_answers(&w.coordinator, w.umeda, r1.id, None)
            .await,
        Err(StoreError::NotFound)
    ));
    let reviewed = store
        .review_answers(&w.coordinator, w.ginza, r1.id, Some("薬剤名を本人と確認"))
        .await
        .unwrap();
    let review = reviewed.review.unwrap();
    assert_eq!(review.note.as_deref(), Some("薬剤名を本人と確認"));
    assert!(matches!(
        store
            .review_answers(&w.physician, w.ginza, r1.id, None)
            .await,
        Err(StoreError::Conflict("answers_already_reviewed"))
    ));
    let got = store.questionnaire_responses(w.ginza, p.id).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].answers, r1.answers);
    assert!(got[0].review.is_some());

    let d1 = store
        .decide_screening(
            &w.physician,
            w.ginza,
            s1.id,
            &decision(Decision::EligibleWithConditions),
        )
        .await
        .unwrap();
    let rec = d1.decision.unwrap();
    assert_eq!(rec.facts.decision, Decision::EligibleWithConditions);
    assert_eq!(rec.decided_by_login.as_deref(), Some("dr"));
    assert!(matches!(
        store
            .decide_screening(
                &w.physician,
                w.ginza,
                s1.id,
                &decision(Decision::NotEligible)
            )
            .await,
        Err(StoreError::Conflict("screening_already_decided"))
    ));

    // New, different answers: the open screening of the earlier answers is stale.
    let (_, s2) = store
        .record_answers(
            &w.coordinator,
            w.ginza,
            p.id,
            &new_answers(&[QuestionId::Pregnancy]),
        )
        .await
        .unwrap();
    let (_, s3) = store
        .record_answers(
            &w.coordinator,
            w.ginza,
            p.id,
            &new_answers(&[QuestionId::Pregnancy, QuestionId::Breastfeeding]),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .decide_screening(&w.physician, w.ginza, s2.id, &decision(Decision::Eligible))
            .await,
        Err(StoreError::Conflict("screening_stale"))
    ));
    let d3 = store
        .decide_screening(
            &w.physician,
            w.ginza,
            s3.id,
            &decision(Decision::NotEligible),
        )
        .await
        .unwrap();
    assert_eq!(d3.decision.unwrap().facts.decision, Decision::NotEligible);
    let all = store.screenings(w.ginza, p.id).await.unwrap();
    assert_eq!(
        all.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![s3.id, s2.id, s1.id]
    );
    assert!(all[1].decision.is_none());
    assert_eq!(
        store
            .screening(w.ginza, s1.id)
            .await
            .unwrap()
            .unwrap()
            .decision
            .unwrap()
            .facts
            .conditions
            .as_deref(),
        Some("初回は経過観察30分")
    );

    // Another clinic sees nothing and decides nothing.
    assert!(store.screenings(w.umeda, p.id).await.unwrap().is_empty());
    assert!(
        store
            .questionnaire_responses(w.umeda, p.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.screening(w.umeda, s2.id).await.unwrap().is_none());
    assert!(matches!(
        store
            .decide_screening(&w.physician, w.umeda, s2.id, &decision(Decision::Eligible))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .record_answers(&w.coordinator, w.umeda, p.id, &new_answers(&[]))
            .await,
        Err(StoreError::NotFound)
    ));
}
both!(screenings_are_decided_once_on_current_answers);

fn new_consent(
    t: &ConsentTemplate,
    w: &World,
    explained_at: Ts,
    same_day: Option<&str>,
) -> NewConsent {
    NewConsent {
        template_id: t.id,
        template_version: t.version,
        template_sha256: t.sha256.clone(),
        locale: Locale::Ja,
        product_ids: vec![Uuid::now_v7()],
        text: "同意書の本文".into(),
        text_sha256: "ab".repeat(32),
        signature: Signature::parse(Some("M10 10 L20 20 L30 10"), None).unwrap(),
        explained_by: w.physician_id,
        witness_name: Some("山田 一郎（夫）".into()),
        explained_at,
        first_explained_at: explained_at,
        signed_at: Ts::now(),
        same_day_reason: same_day.map(str::to_string),
    }
}

async fn consents_are_versioned_and_withdrawn_never_deleted(store: DynStore) {
    let w = world(&store).await;
    let p = register(
        &store,
        &w,
        None,
        facts("山田 花子", "ヤマダ ハナコ", "1978-05-14", "090-1234-5678"),
    )
    .await;
    let t1 = store
        .create_consent_template(&w.physician, w.ginza, "CM-IV", &template("iv_drip"))
        .await
        .unwrap();
    assert_eq!((t1.version, t1.current_version), (1, 1));
    assert!(matches!(
        store
            .create_consent_template(&w.physician, w.ginza, "CM-IV", &template("iv_drip"))
            .await,
        Err(StoreError::Conflict("consent_template_code_taken"))
    ));
    let mut body2 = template("iv_drip");
    body2.sections[1].text.ja = "1回 55,000円（税込）。".into();
    let t2 = store
        .revise_consent_template(&w.physician, w.ginza, t1.id, &body2, "料金改定")
        .await
        .unwrap();
    assert_eq!(t2.version, 2);
    assert_ne!(t2.sha256, t1.sha256);
    assert!(matches!(
        store
            .revise_consent_template(&w.physician, w.ginza, t1.id, &template("nasal"), "x")
            .await,
        Err(StoreError::Conflict("consent_template_kind_immutable"))
    ));
    let old = store
        .consent_template(w.ginza, t1.id, Some(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.version, old.current_version, old.sha256.clone()),
        (1, 2, t1.sha256.clone())
    );
    assert_eq!(
        store
            .consent_template_versions(w.ginza, t1.id)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.consent_templates(w.ginza).await.unwrap().len(), 1);

    // Signing against an outdated version is refused.
    let explained: Ts = "2026-11-20T01:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .into();
    assert!(matches!(
        store
            .record_consent(
                &w.coordinator,
                w.ginza,
                p.id,
                &new_consent(&t1, &w, explained, None)
            )
            .await,
        Err(StoreError::Conflict("consent_template_outdated"))
    ));
    let c = store
        .record_consent(
            &w.coordinator,
            w.ginza,
            p.id,
            &new_consent(&t2, &w, explained, None),
        )
        .await
        .unwrap();
    assert_eq!(c.state, ConsentState::Signed);
    assert_eq!((c.template_code.as_str(), c.template_version), ("CM-IV", 2));
    assert_eq!(c.explained_by_login, "dr");
    assert_eq!(c.signature_kind, "svg");
    assert_eq!(
        store.consent_text(w.ginza, c.id).await.unwrap().as_deref(),
        Some("同意書の本文")
    );
    assert_eq!(
        store.consent_signature(w.ginza, c.id).await.unwrap(),
        Some(Signature::SvgPath("M10 10 L20 20 L30 10".into()))
    );
    assert_eq!(
        store.first_explanation(w.ginza, p.id, t1.id).await.unwrap(),
        Some(explained)
    );

    // The same-day reason is recorded once; a withdrawal is recorded once.
    let c2 = store
        .record_same_day_reason(&w.physician, w.ginza, c.id, "遠方在住で再来院が困難なため")
        .await
        .unwrap();
    assert_eq!(c2.same_day_reason_by, Some(w.physician_id));
    assert!(matches!(
        store
            .record_same_day_reason(&w.physician, w.ginza, c.id, "again")
            .await,
        Err(StoreError::Conflict("consent_same_day_reason_recorded"))
    ));
    let withdrawn = store
        .withdraw_consent(&w.coordinator, w.ginza, c.id, "本人の申し出により撤回")
        .await
        .unwrap();
    assert_eq!(withdrawn.state, ConsentState::Withdrawn);
    assert_eq!(
        withdrawn.withdrawn_reason.as_deref(),
        Some("本人の申し出により撤回")
    );
    assert!(matches!(
        store
            .withdraw_consent(&w.coordinator, w.ginza, c.id, "again")
            .await,
        Err(StoreError::Conflict("consent_already_withdrawn"))
    ));
    let c3 = store
        .record_consent(
            &w.coordinator,
            w.ginza,
            p.id,
            &new_consent(&t2, &w, Ts::now(), Some("理由")),
        )
        .await
        .unwrap();
    assert_eq!(c3.same_day_reason.as_deref(), Some("理由"));
    store
        .withdraw_consent(&w.coordinator, w.ginza, c3.id, "撤回")
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_same_day_reason(&w.physician, w.ginza, c3.id, "x")
            .await,
        Err(StoreError::Conflict("consent_withdrawn"))
    ));
    // The signed consent's PDF is kept once with its hash; the first stays.
    assert!(store.consent_pdf(w.ginza, c.id).await.unwrap().is_none());
    let kept = store
        .keep_consent_pdf(&w.coordinator, w.ginza, c.id, b"%PDF-1.7 first")
        .await
        .unwrap();
    assert_eq!(
        kept.sha256,
        "4916bb68e172d60c02899fb39b71b4f0fec1dc813dca22d4d364d4353365ca86"
    );
    let again = store
        .keep_consent_pdf(&w.physician, w.ginza, c.id, b"%PDF-1.7 second")
        .await
        .unwrap();
    assert_eq!(again.pdf, b"%PDF-1.7 first");
    assert_eq!(again.sha256, kept.sha256);
    assert_eq!(
        store
            .consent(w.ginza, c.id)
            .await
            .unwrap()
            .unwrap()
            .pdf_sha256,
        Some(kept.sha256.clone())
    );
    let read = store.consent_pdf(w.ginza, c.id).await.unwrap().unwrap();
    assert_eq!(read.pdf, b"%PDF-1.7 first");
    assert!(store.consent_pdf(w.umeda, c.id).await.unwrap().is_none());
    assert!(matches!(
        store
            .keep_consent_pdf(&w.coordinator, w.umeda, c.id, b"%PDF")
            .await,
        Err(StoreError::NotFound)
    ));

    let all = store.consents(w.ginza, p.id).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|c| c.state == ConsentState::Withdrawn));

    // Another clinic sees nothing.
    assert!(store.consents(w.umeda, p.id).await.unwrap().is_empty());
    assert!(store.consent(w.umeda, c.id).await.unwrap().is_none());
    assert!(store.consent_text(w.umeda, c.id).await.unwrap().is_none());
    assert!(
        store
            .consent_signature(w.umeda, c.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.consent_templates(w.umeda).await.unwrap().is_empty());
    assert!(
        store
            .consent_template(w.umeda, t1.id, None)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .withdraw_consent(&w.coordinator, w.umeda, c.id, "x")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .record_consent(
                &w.coordinator,
                w.umeda,
                p.id,
                &new_consent(&t2, &w, Ts::now(), None)
            )
            .await,
        Err(StoreError::NotFound)
    ));
}
both!(consents_are_versioned_and_withdrawn_never_deleted);

async fn nothing_is_deleted_story(store: DynStore, url: &str) {
    let w = world(&store).await;
    let p = register(
        &store,
        &w,
        None,
        facts("山田 花子", "ヤマダ ハナコ", "1978-05-14", "090-1234-5678"),
    )
    .await;
    let (r, _) = store
        .record_answers(&w.coordinator, w.ginza, p.id, &new_answers(&[]))
        .await
        .unwrap();
    store
        .review_answers(&w.coordinator, w.ginza, r.id, None)
        .await
        .unwrap();
    let t = store
        .create_consent_template(&w.physician, w.ginza, "CM-IV", &template("iv_drip"))
        .await
        .unwrap();
    let c = store
        .record_consent(
            &w.coordinator,
            w.ginza,
            p.id,
            &new_consent(&t, &w, Ts::now(), None),
        )
        .await
        .unwrap();
    store
        .keep_consent_pdf(&w.coordinator, w.ginza, c.id, b"%PDF-1.7")
        .await
        .unwrap();
    for sql in [
        "DELETE FROM consent_pdfs",
        "DELETE FROM questionnaire_reviews",
        "UPDATE consent_pdfs SET sha256 = 'x'",
        "DELETE FROM consents",
        "DELETE FROM screenings",
        "DELETE FROM questionnaire_responses",
        "DELETE FROM consent_template_versions",
        "DELETE FROM patient_versions",
        "UPDATE patient_versions SET facts = '{}'",
        "DELETE FROM patients",
    ] {
        assert!(raw(&store, url, sql).await.is_err(), "{sql} was allowed");
    }
    assert_eq!(store.consents(w.ginza, p.id).await.unwrap().len(), 1);
    assert!(store.patient(w.ginza, p.id).await.unwrap().is_some());
}

both_with_url!(nothing_is_deleted_story);
