//! Patients through the JSON API: registration with the duplicate warning,
//! corrections, search, questionnaire → findings → physician's decision,
//! stale screenings, consent templates, signing, the same-day flag,
//! withdrawal, read-audit entries, both languages, clinic isolation.

use crate::tests_supply_api::{Api, product_json};
use crate::*;
use serde_json::{Value, json};
use sha2::Digest as _;

fn patient(kana: &str, birth: &str, phone: &str) -> Value {
    json!({
        "name": "山田 花子", "kana": kana, "romaji": "Yamada Hanako", "birth_date": birth,
        "sex": "female", "phone": phone, "email": "hanako@example.jp", "postal_code": "1040061",
        "address": "東京都中央区銀座1-2-3",
        "allergies": [{"substance": "ペニシリン", "reaction": "蕁麻疹", "severity": "moderate"}],
        "medications": [{"name": "アムロジピン", "dose": "5mg 1日1回"}],
        "history": "高血圧（治療中）"
    })
}

fn register(p: Value) -> Value {
    json!({"patient": p, "data_consent": "tablet"})
}

fn codes(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Answers "no" to everything except `yes` (with details), as the API takes them.
pub(crate) fn answers(yes: &[(&str, &str)]) -> Value {
    let all = [
        "disease_under_treatment",
        "allergic_disease",
        "drug_allergy",
        "injection_reaction",
        "pregnancy",
        "breastfeeding",
        "autoimmune_disease",
        "immunosuppressive_therapy",
        "malignancy_under_treatment",
        "current_medications",
        "blood_donation",
    ];
    let list: Vec<Value> = all
        .iter()
        .map(|q| match yes.iter().find(|(id, _)| id == q) {
            Some((_, a)) => json!({"question": q, "answer": a, "detail": "詳細あり"}),
            None => json!({"question": q, "answer": "no"}),
        })
        .collect();
    json!({"source": "patient", "answers": list})
}

/// The audit entries of `action` about patient `id`, as (actor, changes).
async fn audit_of(app: &App, action: &str, id: &str) -> Vec<(String, Value)> {
    app.store
        .audit_batch(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.action == action && e.event.entity_id.as_deref() == Some(id))
        .map(|e| {
            (
                e.event.actor_label,
                serde_json::from_str(&e.event.changes).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn registration_warns_about_duplicates_and_every_read_is_audited() {
    let app = spawn_app().await;
    let mut co = Api::new(&app, "coordinator").await;
    let (s, first) = co
        .post(
            "/api/v1/patients",
            register(patient("やまだ はなこ", "1978-05-14", "090-1234-5678")),
        )
        .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["number"], "000001");
    assert_eq!(first["facts"]["kana"], "ヤマダ ハナコ");
    assert_eq!(first["facts"]["phone"], "09012345678");
    assert_eq!(first["phone_display"], "090-1234-5678");
    assert_eq!(first["data_consent"]["method"], "tablet");
    let id = first["id"].as_str().unwrap().to_string();

    // Same kana (other spacing, katakana) and date of birth → 409 with the match.
    let (s, dup) = co
        .post(
            "/api/v1/patients",
            register(patient("ヤマダハナコ", "1978-05-14", "03-1111-2222")),
        )
        .await;
    assert_eq!(s, 409, "{dup}");
    assert_eq!(dup["code"], "patient_probable_duplicate");
    assert_eq!(dup["matches"][0]["patient_id"], id.as_str());
    assert_eq!(dup["matches"][0]["number"], "000001");
    assert_eq!(
        dup["matches"][0]["reasons"],
        json!(["same_kana_and_birth_date"])
    );
    assert!(
        dup["title"]
            .as_str()
            .unwrap()
            .contains("probably already registered")
    );
    // Same phone in another format → 409 too.
    let (s, dup) = co
        .post(
            "/api/v1/patients",
            register(patient("すずき たろう", "1960-01-02", "+81 90 1234 5678")),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(dup["matches"][0]["reasons"], json!(["same_phone"]));
    // In Japanese too.
    co.lang = "ja";
    let (_, dup_ja) = co
        .post(
            "/api/v1/patients",
            register(patient("すずき たろう", "1960-01-02", "09012345678")),
        )
        .await;
    assert!(
        dup_ja["title"]
            .as_str()
            .unwrap()
            .contains("既に登録されている可能性")
    );
    co.lang = "en";
    // Confirmed as another person → created.
    let mut confirmed = register(patient("ヤマダハナコ", "1978-05-14", "03-1111-2222"));
    confirmed["confirm_not_duplicate"] = json!(true);
    let (s, second) = co.post("/api/v1/patients", confirmed).await;
    assert_eq!(s, 201, "{second}");
    assert_eq!(second["number"], "000002");
    // The duplicate checks were reads of the first patient's record.
    let reads = audit_of(&app, "patient_read", &id).await;
    assert!(
        reads
            .iter()
            .any(|(who, c)| who == "coordinator" && c["part"] == "duplicate_check")
    );

    // Every bad field is named, nothing is created; in both languages.
    let mut bad = patient("Yamada", "1978-02-30", "12345");
    bad["postal_code"] = json!("12");
    let (s, e) = co.post("/api/v1/patients", json!({"patient": bad})).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(
        codes(&e),
        vec![
            (
                "data_consent".into(),
                "patient_data_consent_required".into()
            ),
            ("kana".into(), "kana_invalid".into()),
            ("birth_date".into(), "date_invalid".into()),
            ("phone".into(), "phone_invalid".into()),
            ("postal_code".into(), "postal_code_invalid".into()),
        ]
    );
    assert!(
        e["errors"][1]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Name (kana):")
    );
    co.lang = "ja";
    let (_, e) = co.post("/api/v1/patients", json!({"patient": bad})).await;
    assert!(
        e["errors"][1]["detail"]
            .as_str()
            .unwrap()
            .starts_with("フリガナ:"),
        "{e}"
    );
    co.lang = "en";
    let (_, all) = co.get("/api/v1/patients").await;
    assert_eq!(all.as_array().unwrap().len(), 2);

    // A read of the record is audited: who, which patient, which part.
    let (s, got) = co.get(&format!("/api/v1/patients/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(got["facts"]["allergies"][0]["substance"], "ペニシリン");
    let reads = audit_of(&app, "patient_read", &id).await;
    assert!(
        reads
            .iter()
            .any(|(who, c)| who == "coordinator" && c["part"] == "profile")
    );

    // Search by kana (hiragana prefix), phone, number, date of birth.
    let (s, found) = co
        .get("/api/v1/patients?kana=%E3%82%84%E3%81%BE%E3%81%A0")
        .await; // やまだ
    assert_eq!(s, 200);
    assert_eq!(found.as_array().unwrap().len(), 2);
    let (_, found) = co.get("/api/v1/patients?phone=090-1234-5678").await;
    assert_eq!(found[0]["number"], "000001");
    let (_, found) = co
        .get("/api/v1/patients?number=000002&birth_date=1978-05-14")
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    let (s, e) = co.get("/api/v1/patients?phone=abc").await;
    assert_eq!((s, e["code"].as_str()), (422, Some("phone_invalid")));
    let searches: Vec<_> = app
        .store
        .audit_batch(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.action == "patient_search")
        .collect();
    assert!(searches.iter().any(|e| e.event.changes.contains(&id)));

    // A correction is a new version with its reason.
    let mut moved = patient("やまだ はなこ", "1978-05-14", "090-8765-4321");
    moved["address"] = json!("東京都港区六本木1-1-1");
    let (s, e) = co
        .post(
            &format!("/api/v1/patients/{id}/versions"),
            json!({"reason": " ", "patient": moved}),
        )
        .await;
    assert_eq!(
        (s, codes(&e)),
        (422, vec![("reason".into(), "reason_required".into())])
    );
    let mut renumbered = moved.clone();
    renumbered["number"] = json!("000009");
    let (s, e) = co
        .post(
            &format!("/api/v1/patients/{id}/versions"),
            json!({"reason": "x", "patient": renumbered}),
        )
        .await;
    assert_eq!(
        (s, codes(&e)),
        (
            422,
            vec![("number".into(), "patient_number_immutable".into())]
        )
    );
    let (s, v2) = co
        .post(
            &format!("/api/v1/patients/{id}/versions"),
            json!({"reason": "転居", "patient": moved}),
        )
        .await;
    assert_eq!(s, 201, "{v2}");
    assert_eq!(v2["version"], 2);
    let (_, versions) = co.get(&format!("/api/v1/patients/{id}/versions")).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["facts"]["address"], "東京都中央区銀座1-2-3");
    assert!(
        audit_of(&app, "patient_read", &id)
            .await
            .iter()
            .any(|(_, c)| c["part"] == "history")
    );

    // Quality staff may not read patients; another clinic sees nothing.
    let qa = Api::new(&app, "quality").await;
    assert_eq!(qa.get(&format!("/api/v1/patients/{id}")).await.0, 403);
    let umeda = Api::new(&app, "umeda-admin").await;
    assert_eq!(umeda.get(&format!("/api/v1/patients/{id}")).await.0, 404);
    assert_eq!(
        umeda
            .get(&format!("/api/v1/patients/{id}/versions"))
            .await
            .0,
        404
    );
    assert_eq!(
        umeda
            .get(&format!("/api/v1/patients/{id}/screenings"))
            .await
            .0,
        404
    );
    assert_eq!(
        umeda
            .get(&format!("/api/v1/patients/{id}/consents"))
            .await
            .0,
        404
    );
    let (s, none) = umeda
        .get("/api/v1/patients?kana=%E3%83%A4%E3%83%9E%E3%83%80")
        .await;
    assert_eq!((s, none.as_array().map(Vec::len)), (200, Some(0)));
}

async fn registered(app: &App) -> (Api, String) {
    let co = Api::new(app, "coordinator").await;
    let (s, p) = co
        .post(
            "/api/v1/patients",
            register(patient("やまだ はなこ", "1978-05-14", "090-1234-5678")),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    (co, p["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn questionnaire_findings_decision_and_stale_screenings() {
    let app = spawn_app().await;
    let (_, id) = registered(&app).await;
    let nurse = Api::new(&app, "nurse").await;
    let dr = Api::new(&app, "physician").await;

    let (s, q) = nurse.get("/api/v1/questionnaire").await;
    assert_eq!(s, 200);
    assert_eq!(q["version"], 1);
    assert_eq!(q["questions"].as_array().unwrap().len(), 11);
    assert!(
        q["questions"][0]["text"]["ja"]
            .as_str()
            .unwrap()
            .contains("治療中")
    );

    // Incomplete answers: each problem names its question.
    let mut bad = answers(&[("drug_allergy", "yes")]);
    bad["answers"][2]["detail"] = Value::Null;
    bad["answers"].as_array_mut().unwrap().pop();
    let (s, e) = nurse
        .post(&format!("/api/v1/patients/{id}/answers"), bad)
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(
        codes(&e),
        vec![
            ("drug_allergy".into(), "answer_detail_required".into()),
            ("blood_donation".into(), "answer_required".into()),
        ]
    );
    assert!(
        e["errors"][1]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Blood donation:")
    );

    let (s, s1) = nurse
        .post(
            &format!("/api/v1/patients/{id}/answers"),
            answers(&[
                ("drug_allergy", "yes"),
                ("pregnancy", "unsure"),
                ("blood_donation", "yes"),
            ]),
        )
        .await;
    assert_eq!(s, 201, "{s1}");
    let found: Vec<&str> = s1["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    // Question order, then the allergy on the record.
    assert_eq!(
        found,
        vec![
            "drug_allergy",
            "pregnancy_possible",
            "blood_donor",
            "recorded_allergy"
        ]
    );
    assert_eq!(s1["findings"][1]["severity"], "serious");
    assert!(
        s1["findings"][1]["reason"]["ja"]
            .as_str()
            .unwrap()
            .contains("妊娠の可能性")
    );
    assert_eq!(s1["standing"], "awaiting_decision");
    let s1_id = s1["id"].as_str().unwrap().to_string();
    let decide = |sid: &str| format!("/api/v1/patients/{id}/screenings/{sid}/decision");

    // A nurse may not decide; a physician must give reasons and conditions.
    let (s, e) = nurse
        .post(
            &decide(&s1_id),
            json!({"decision": "eligible", "reason": "問題なし"}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (403, Some("forbidden")));
    let (s, e) = dr
        .post(
            &decide(&s1_id),
            json!({"decision": "eligible_with_conditions", "reason": ""}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        codes(&e),
        vec![
            ("reason".into(), "reason_required".into()),
            ("conditions".into(), "screening_conditions_required".into()),
        ]
    );
    let (s, d) = dr
        .post(
            &decide(&s1_id),
            json!({"decision": "eligible_with_conditions", "reason": "妊娠検査陰性を確認", "conditions": "初回は経過観察30分", "valid_days": "30"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["standing"], "valid");
    assert_eq!(d["permits_treatment"], true);
    assert_eq!(d["decision"]["decision"], "eligible_with_conditions");
    assert_eq!(d["decision"]["decided_by_login"], "physician");
    let (s, e) = dr
        .post(
            &decide(&s1_id),
            json!({"decision": "not_eligible", "reason": "再考"}),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("screening_already_decided"))
    );

    // The answers change: the decided screening becomes stale.
    let (_, s2) = nurse
        .post(
            &format!("/api/v1/patients/{id}/answers"),
            answers(&[("breastfeeding", "yes")]),
        )
        .await;
    let (_, list) = dr.get(&format!("/api/v1/patients/{id}/screenings")).await;
    let standings: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["standing"].as_str().unwrap())
        .collect();
    assert_eq!(standings, vec!["awaiting_decision", "stale"]);
    assert_eq!(list[1]["permits_treatment"], false);
    // And again: the second one, undecided, is stale and cannot be decided.
    let (_, s3) = nurse
        .post(
            &format!("/api/v1/patients/{id}/answers"),
            answers(&[("malignancy_under_treatment", "yes")]),
        )
        .await;
    let (s, e) = dr
        .post(
            &decide(s2["id"].as_str().unwrap()),
            json!({"decision": "eligible", "reason": "x"}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("screening_stale")));
    let (s, d3) = dr
        .post(
            &decide(s3["id"].as_str().unwrap()),
            json!({"decision": "not_eligible", "reason": "悪性腫瘍治療中のため施術を見合わせる"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(d3["permits_treatment"], false);
    assert!(
        audit_of(&app, "patient_read", &id)
            .await
            .iter()
            .any(|(who, c)| who == "physician" && c["part"] == "screening")
    );
    let (_, responses) = dr.get(&format!("/api/v1/patients/{id}/answers")).await;
    assert_eq!(responses.as_array().unwrap().len(), 3);
    assert_eq!(responses[2]["source"], "patient");
    assert!(
        audit_of(&app, "patient_read", &id)
            .await
            .iter()
            .any(|(_, c)| c["part"] == "questionnaire")
    );

    // Staff review what the patient filled in: once, with a note; answers
    // staff entered need none; an unknown set is not found.
    let rid = responses[2]["id"].as_str().unwrap().to_string();
    assert_eq!(responses[2]["review"], Value::Null);
    let review = format!("/api/v1/patients/{id}/answers/{rid}/review");
    let (s, e) = dr.post(&review, json!({"note": "x".repeat(1001)})).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(codes(&e), vec![("note".into(), "field_too_long".into())]);
    let (s, r) = dr
        .post(&review, json!({"note": "服薬名を本人と確認"}))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["review"]["reviewed_by_login"], "physician");
    assert_eq!(r["review"]["note"], "服薬名を本人と確認");
    let (s, e) = dr.post(&review, json!({})).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("answers_already_reviewed"))
    );
    assert_eq!(audit_of(&app, "answers_reviewed", &id).await.len(), 1);
    let mut staff = answers(&[]);
    staff["source"] = json!("staff");
    let (s, _) = dr
        .post(&format!("/api/v1/patients/{id}/answers"), staff)
        .await;
    assert_eq!(s, 201);
    let (_, responses) = dr.get(&format!("/api/v1/patients/{id}/answers")).await;
    let staff_rid = responses[0]["id"].as_str().unwrap();
    let (s, e) = dr
        .post(
            &format!("/api/v1/patients/{id}/answers/{staff_rid}/review"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("answers_review_not_needed"))
    );
    let (s, _) = dr
        .post(
            &format!(
                "/api/v1/patients/{id}/answers/{}/review",
                uuid::Uuid::now_v7()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, 404);
}

pub(crate) fn template_json(code: &str, skip: Option<&str>) -> Value {
    let items = [
        (
            "treatment_description",
            "幹細胞培養上清液を点滴で投与する自由診療です。保険は適用されません。",
            "A self-pay treatment: conditioned medium given by IV drip. Not covered by insurance.",
        ),
        (
            "fee_and_coverage",
            "1回 55,000円（税込）。薬剤・点滴処置・診察を含みます。",
            "¥55,000 per session including tax: product, drip and consultation.",
        ),
        (
            "sessions_and_period",
            "2週間ごとに3回、その後は月1回を目安とします。",
            "Three sessions two weeks apart, then about monthly.",
        ),
        (
            "cancellation_terms",
            "前日までのキャンセルは無料、当日は薬剤費をいただきます。",
            "Free until the day before; on the day the product is charged.",
        ),
        (
            "individual_variation",
            "感じ方や結果には個人差があります。",
            "Results vary between individuals.",
        ),
        (
            "risks_and_side_effects",
            "穿刺部位の痛み・内出血、まれに発熱、ごくまれにアレルギー反応。",
            "Pain or bruising at the puncture site, rarely fever, very rarely an allergic reaction.",
        ),
        (
            "unapproved_product_disclosure",
            "使用する製品は次のとおりです。",
            "The products used are:",
        ),
        (
            "blood_donation_notice",
            "献血の際は本施術を受けたことを問診で申告し、献血先の医師の判断に従ってください。",
            "When donating blood, declare this treatment and follow the donation physician's decision.",
        ),
        (
            "health_data_consent",
            "診療のために健康情報を取得・利用することに同意します。",
            "I agree to the collection and use of my health information for my care.",
        ),
    ];
    let sections: Vec<Value> = items
        .iter()
        .filter(|(i, _, _)| Some(*i) != skip)
        .map(|(i, ja, en)| json!({"item": i, "text_ja": ja, "text_en": en}))
        .collect();
    json!({"code": code, "title_ja": "幹細胞培養上清液 点滴 説明書・同意書", "title_en": "Conditioned medium IV drip: information and consent",
        "product_kind": "conditioned_medium", "route": "iv_drip", "sections": sections})
}

#[tokio::test]
async fn consent_is_signed_flagged_same_day_and_withdrawn_never_erased() {
    let app = spawn_app().await;
    let qa = Api::new(&app, "quality").await;
    let mut pj = product_json("DP-CM-10", None);
    pj["foreign_safety_info"] = json!("海外で承認された同等製品はない。");
    let (s, product) = qa.post("/api/v1/products", pj).await;
    assert_eq!(s, 201, "{product}");
    let product_id = product["id"].as_str().unwrap().to_string();

    // Templates: a missing item is named; admin only.
    let admin = Api::new(&app, "admin").await;
    let (s, e) = admin
        .post(
            "/api/v1/consent-templates",
            template_json("CM-IV", Some("blood_donation_notice")),
        )
        .await;
    assert_eq!(
        (s, codes(&e)),
        (
            422,
            vec![(
                "blood_donation_notice".into(),
                "consent_item_missing".into()
            )]
        )
    );
    assert!(
        e["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Blood donation notice:")
    );
    let (co, id) = registered(&app).await;
    assert_eq!(
        co.post("/api/v1/consent-templates", template_json("CM-IV", None))
            .await
            .0,
        403
    );
    let (s, t) = admin
        .post("/api/v1/consent-templates", template_json("CM-IV", None))
        .await;
    assert_eq!(s, 201, "{t}");
    let template_id = t["id"].as_str().unwrap().to_string();

    let consents = format!("/api/v1/patients/{id}/consents");

    // A physician's decision first (without one the document is refused:
    // consent_is_refused_before_signing_without_a_physicians_decision).
    let (_, sc) = co
        .post(&format!("/api/v1/patients/{id}/answers"), answers(&[]))
        .await;
    decide_eligible(&app, &id, &sc).await;
    let dr = Api::new(&app, "physician").await;

    // The document the patient is shown: template + the product's disclosure.
    let (s, doc) = co
        .post(
            &format!("/api/v1/patients/{id}/consent-document"),
            json!({"template_id": template_id, "product_ids": [product_id]}),
        )
        .await;
    assert_eq!(s, 200, "{doc}");
    let text = doc["text"].as_str().unwrap();
    assert!(text.contains("■ 献血について") && text.contains("【歯髄幹細胞培養上清液 10mL】"));
    assert!(text.contains("医薬品副作用被害救済制度"));
    let sha = doc["sha256"].as_str().unwrap().to_string();
    let sign = |extra: Value| {
        let mut body = json!({
            "template_id": template_id, "template_version": 1, "product_ids": [product_id],
            "text_sha256": sha, "signature_svg_path": "M10 80 C 40 10, 65 10, 95 80 S 150 150, 180 80",
            "explained_by": "physician", "witness_name": "山田 一郎（夫）"
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };

    // Field problems, all at once.
    let today = jiff::Timestamp::now()
        .in_tz("Asia/Tokyo")
        .unwrap()
        .date()
        .to_string();
    let (s, e) = co
        .post(
            &consents,
            sign(
                json!({"explained_by": "nurse", "signature_svg_path": "", "treatment_date": today}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(
        codes(&e),
        vec![
            ("signature".into(), "signature_required".into()),
            (
                "explained_by".into(),
                "consent_explainer_not_physician".into()
            ),
            (
                "same_day_reason".into(),
                "consent_same_day_reason_required".into()
            ),
        ]
    );
    let (_, e) = co
        .post(&consents, sign(json!({"same_day_reason": "遠方のため"})))
        .await;
    assert_eq!(
        codes(&e),
        vec![(
            "same_day_reason".into(),
            "consent_same_day_reason_physician_only".into()
        )]
    );
    let (s, e) = co
        .post(&consents, sign(json!({"text_sha256": "0".repeat(64)})))
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("consent_text_changed")));

    // Signed today, explained today: flagged until a physician writes why.
    let (s, c) = co.post(&consents, sign(json!({}))).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["state"], "signed");
    assert_eq!(c["template_version"], 1);
    assert_eq!(c["text_sha256"], sha.as_str());
    assert_eq!(c["explained_by_login"], "physician");
    assert_eq!(c["same_day_today"], true);
    assert_eq!(c["treatment_today_refused"], "consent_same_day_unjustified");
    let cid = c["id"].as_str().unwrap().to_string();
    // The PDF was made and kept at signing, its hash on the record.
    let pdf_sha = c["pdf_sha256"].as_str().unwrap().to_string();
    assert_eq!(pdf_sha.len(), 64, "{c}");
    for _ in 0..2 {
        let r = reqwest::Client::new()
            .get(app.url(&format!("{consents}/{cid}/pdf")))
            .bearer_auth(&co.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert_eq!(r.headers()["x-content-sha256"], pdf_sha.as_str());
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&bytes)),
            pdf_sha,
            "the kept copy is returned"
        );
        if let Some(text) = crate::harness::pdf_text(&bytes) {
            let flat: String = text.split_whitespace().collect();
            for needle in ["献血について", "歯髄幹細胞培養上清液10mL", "山田一郎（夫）"]
            {
                assert!(flat.contains(needle), "{needle} not in the PDF:\n{text}");
            }
        }
    }
    assert_eq!(audit_of(&app, "consent_pdf_kept", &id).await.len(), 1);
    assert!(
        audit_of(&app, "patient_read", &id)
            .await
            .iter()
            .any(|(_, c)| c["part"] == "consent_pdf")
    );
    let (s, _) = co
        .post(
            &format!("{consents}/{cid}/same-day-reason"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, c) = dr
        .post(
            &format!("{consents}/{cid}/same-day-reason"),
            json!({"reason": "遠方在住で再来院が困難なため、本日の施術が医学的に必要"}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["treatment_today_refused"], Value::Null);

    // The signed text and the signature, each read audited.
    let r = reqwest::Client::new()
        .get(app.url(&format!("{consents}/{cid}/text")))
        .bearer_auth(&co.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), text);
    let r = reqwest::Client::new()
        .get(app.url(&format!("{consents}/{cid}/signature")))
        .bearer_auth(&co.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().contains("M10 80 C 40 10"));
    let parts: Vec<String> = audit_of(&app, "patient_read", &id)
        .await
        .into_iter()
        .map(|(_, c)| c["part"].as_str().unwrap().to_string())
        .collect();
    assert!(
        parts.contains(&"consent_text".to_string())
            && parts.contains(&"consent_signature".to_string())
    );

    // Withdrawal: a reason, once; the consent stays.
    let (s, e) = co
        .post(
            &format!("{consents}/{cid}/withdrawal"),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(
        (s, codes(&e)),
        (422, vec![("reason".into(), "reason_required".into())])
    );
    let (s, w) = co
        .post(
            &format!("{consents}/{cid}/withdrawal"),
            json!({"reason": "本人の申し出"}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["state"], "withdrawn");
    assert_eq!(w["treatment_today_refused"], "consent_withdrawn");
    let (s, e) = co
        .post(
            &format!("{consents}/{cid}/withdrawal"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("consent_already_withdrawn"))
    );
    let (_, list) = co.get(&consents).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["withdrawn_reason"], "本人の申し出");
    assert_eq!(audit_of(&app, "consent_withdrawn", &id).await.len(), 1);

    // A new template version: the old document can no longer be signed.
    let (s, t2) = admin
        .post(
            &format!("/api/v1/consent-templates/{template_id}/versions"),
            json!({"reason": "料金改定", "template": template_json("CM-IV", None)}),
        )
        .await;
    assert_eq!(s, 201, "{t2}");
    assert_eq!(t2["version"], 2);
    let (s, e) = co.post(&consents, sign(json!({}))).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("consent_template_outdated"))
    );
    co_lang_ja_error(&co, &consents, sign(json!({}))).await;

    // Another clinic sees none of it.
    let umeda = Api::new(&app, "umeda-admin").await;
    assert_eq!(umeda.get(&format!("{consents}/{cid}/text")).await.0, 404);
    let (_, templates) = umeda.get("/api/v1/consent-templates").await;
    assert_eq!(templates.as_array().map(Vec::len), Some(0));
}

async fn co_lang_ja_error(co: &Api, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", co.base))
        .bearer_auth(&co.token)
        .header("accept-language", "ja")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-language"], "ja");
    let v: Value = r.json().await.unwrap();
    assert!(v["title"].as_str().unwrap().contains("新しい版"), "{v}");
}

/// Consent follows the physician's decision: without one, the document is
/// not even given out (so no patient signs something that will be refused),
/// and a signature sent anyway is refused for that reason first, before any
/// field problem; nothing is recorded.
#[tokio::test]
async fn consent_is_refused_before_signing_without_a_physicians_decision() {
    let app = spawn_app().await;
    let (product_id, template_id) = product_and_template(&app, template_json("CM-IV", None)).await;
    let (co, id) = registered(&app).await;

    let doc_path = format!("/api/v1/patients/{id}/consent-document");
    let doc_body = json!({"template_id": template_id, "product_ids": [product_id]});
    let (s, e) = co.post(&doc_path, doc_body.clone()).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("consent_screening_required")),
        "{e}"
    );
    // A screening awaiting the physician is not a decision either.
    let (_, sc) = co
        .post(&format!("/api/v1/patients/{id}/answers"), answers(&[]))
        .await;
    let (s, e) = co.post(&doc_path, doc_body.clone()).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("consent_screening_required"))
    );
    // Signing with every field wrong: the missing decision is the answer.
    let consents = format!("/api/v1/patients/{id}/consents");
    let (s, e) = co
        .post(
            &consents,
            json!({"template_id": template_id, "template_version": 1, "product_ids": [product_id],
                   "text_sha256": "x", "signature_svg_path": "", "explained_by": "nurse"}),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str(), e["errors"].as_array().map(Vec::len)),
        (409, Some("consent_screening_required"), None),
        "{e}"
    );
    let (_, list) = co.get(&consents).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing recorded");

    // Once decided eligible, the document is given out.
    decide_eligible(&app, &id, &sc).await;
    let (s, doc) = co.post(&doc_path, doc_body).await;
    assert_eq!(s, 200, "{doc}");
}

/// A product with its disclosure facts and a consent template from `template`
/// (as the admin), as (product id, template id).
pub(crate) async fn product_and_template(app: &App, template: Value) -> (String, String) {
    let qa = Api::new(app, "quality").await;
    let mut pj = product_json("DP-CM-10", None);
    pj["foreign_safety_info"] = json!("海外で承認された同等製品はない。");
    let (s, product) = qa.post("/api/v1/products", pj).await;
    assert_eq!(s, 201, "{product}");
    let (s, t) = Api::new(app, "admin")
        .await
        .post("/api/v1/consent-templates", template)
        .await;
    assert_eq!(s, 201, "{t}");
    (
        product["id"].as_str().unwrap().to_string(),
        t["id"].as_str().unwrap().to_string(),
    )
}

/// The physician decides the screening `sc` of patient `id` eligible.
async fn decide_eligible(app: &App, id: &str, sc: &Value) {
    let (s, d) = Api::new(app, "physician")
        .await
        .post(
            &format!(
                "/api/v1/patients/{id}/screenings/{}/decision",
                sc["id"].as_str().unwrap()
            ),
            json!({"decision": "eligible", "reason": "問診・診察で問題なし"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
}
