//! The patients web UI: a coordinator registers (field errors first, then
//! the duplicate warning), the patient fills the questionnaire, a physician
//! decides (a nurse may not), a consent is signed with a drawn signature and
//! withdrawn; another clinic sees nothing.

use crate::tests_supply_api::{Api, product_json};
use crate::*;
use serde_json::{Value, json};

fn template_json() -> Value {
    let items = [
        (
            "treatment_description",
            "幹細胞培養上清液を点滴で投与する自由診療です。保険は適用されません。",
            "A self-pay treatment by IV drip. Not covered by insurance.",
        ),
        (
            "fee_and_coverage",
            "1回 55,000円（税込）。",
            "¥55,000 per session including tax.",
        ),
        (
            "sessions_and_period",
            "2週間ごとに3回。",
            "Three sessions two weeks apart.",
        ),
        (
            "cancellation_terms",
            "前日までのキャンセルは無料です。",
            "Free until the day before.",
        ),
        (
            "individual_variation",
            "感じ方や結果には個人差があります。",
            "Results vary between individuals.",
        ),
        (
            "risks_and_side_effects",
            "穿刺部位の痛み・内出血、まれに発熱。",
            "Pain or bruising at the puncture site, rarely fever.",
        ),
        (
            "unapproved_product_disclosure",
            "使用する製品は次のとおりです。",
            "The products used are:",
        ),
        (
            "blood_donation_notice",
            "献血の際は本施術を受けたことを申告してください。",
            "Declare this treatment when donating blood.",
        ),
        (
            "health_data_consent",
            "診療のために健康情報を取得・利用することに同意します。",
            "I agree to the use of my health information for my care.",
        ),
    ];
    let sections: Vec<Value> = items
        .iter()
        .map(|(i, ja, en)| json!({"item": i, "text_ja": ja, "text_en": en}))
        .collect();
    json!({"code": "CM-IV", "title_ja": "幹細胞培養上清液 点滴 説明書・同意書", "title_en": "Conditioned medium IV drip: information and consent",
        "product_kind": "conditioned_medium", "route": "iv_drip", "sections": sections})
}

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

const QUESTIONS: [&str; 11] = [
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

fn patient_form<'a>(csrf: &'a str, kana: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("number", ""),
        ("name", "山田 花子"),
        ("kana", kana),
        ("romaji", "Yamada Hanako"),
        ("birth_date", "1985-04-12"),
        ("sex", "female"),
        ("phone", phone),
        ("email", "hanako@example.jp"),
        ("postal_code", "1040061"),
        ("address", "東京都中央区銀座1-2-3"),
        ("allergy_substance", "ペニシリン"),
        ("allergy_reaction", "蕁麻疹"),
        ("allergy_severity", "moderate"),
        ("allergy_substance", ""),
        ("allergy_reaction", ""),
        ("allergy_severity", "unknown"),
        ("medication_name", "アムロジピン"),
        ("medication_dose", "5mg"),
        ("history", "高血圧"),
        ("data_consent_given", "1"),
        ("data_consent_method", "tablet"),
    ]
}

#[tokio::test]
async fn register_questionnaire_decide_sign_and_withdraw_in_the_ui() {
    let app = spawn_app().await;
    let qa = Api::new(&app, "quality").await;
    let mut pj = product_json("DP-CM-10", None);
    pj["foreign_safety_info"] = json!("海外で承認された同等製品はない。");
    let (s, product) = qa.post("/api/v1/products", pj).await;
    assert_eq!(s, 201, "{product}");
    let product_id = product["id"].as_str().unwrap().to_string();
    let admin = Api::new(&app, "admin").await;
    let (s, t) = admin
        .post("/api/v1/consent-templates", template_json())
        .await;
    assert_eq!(s, 201, "{t}");
    let template_id = t["id"].as_str().unwrap().to_string();

    // The coordinator finds the area from home and the navigation.
    let co = app.signed_in("coordinator", "ja").await;
    let (s, home) = co.page("/").await;
    assert_eq!(s, 200);
    assert!(home.contains("href=\"/patients\""), "home links patients");
    let (s, search) = co.page("/patients").await;
    assert_eq!(s, 200);
    assert!(search.contains("href=\"/patients/new\""));

    // Field errors first: every bad field next to it, in Japanese, nothing saved.
    let csrf = co.csrf("/patients/new").await;
    let mut bad = patient_form(&csrf, "Yamada Hanako", "090-1234-5678");
    bad.retain(|(k, _)| *k != "data_consent_given");
    let r = co.post_form("/patients/new", &bad).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"error-kana\""), "{html}");
    assert!(html.contains("フリガナはひらがなまたは全角カタカナで入力してください。"));
    assert!(html.contains("data-testid=\"error-data_consent\""));
    assert!(html.contains("要配慮個人情報の取扱いについて"));
    assert!(!html.contains("data-testid=\"error-phone\""));
    assert!(
        html.contains("value=\"Yamada Hanako\""),
        "typed values kept"
    );
    let (_, found) = co.page("/patients?phone=09012345678").await;
    assert!(
        found.contains("data-testid=\"no-results\""),
        "nothing saved"
    );

    // Registered.
    let form = patient_form(&csrf, "やまだ はなこ", "090-1234-5678");
    let r = co.post_form("/patients/new", &form).await;
    assert_eq!(r.status(), 303);
    let loc = location(&r);
    assert!(
        loc.starts_with("/patients/") && loc.ends_with("?done=created"),
        "{loc}"
    );
    let id = loc
        .trim_start_matches("/patients/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (s, record) = co.page(&loc).await;
    assert_eq!(s, 200);
    assert!(record.contains("ヤマダ ハナコ"));
    assert!(record.contains("患者を登録しました。"));
    assert!(record.contains("ペニシリン"));
    let (_, found) = co.page("/patients?kana=%E3%82%84%E3%81%BE").await;
    assert!(
        found.contains(&format!("href=\"/patients/{id}\"")),
        "found by kana prefix"
    );

    // The same person again: the duplicate warning shows the match.
    let mut again = patient_form(&csrf, "ヤマダハナコ", "03-1234-5678");
    let r = co.post_form("/patients/new", &again).await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"duplicate-match\""));
    assert!(html.contains("カナと生年月日が同じ"));
    assert!(html.contains(&format!("href=\"/patients/{id}\"")));
    assert!(html.contains("data-testid=\"confirm-not-duplicate\""));
    again.push(("confirm_not_duplicate", "1"));
    let r = co.post_form("/patients/new", &again).await;
    assert_eq!(
        r.status(),
        303,
        "registered after confirming another person"
    );

    // Questionnaire on the tablet: a missing answer is named.
    let (s, q) = co.page(&format!("/patients/{id}/questionnaire")).await;
    assert_eq!(s, 200);
    assert!(q.contains("data-testid=\"q-pregnancy\""));
    let qpath = format!("/patients/{id}/questionnaire");
    let mut answers: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("source".into(), "patient".into()),
    ];
    for qid in QUESTIONS {
        answers.push((format!("{qid}_asked"), "1".into()));
        if qid == "drug_allergy" {
            answers.push((qid.into(), "yes".into()));
            answers.push((format!("{qid}_detail"), "ペニシリンで蕁麻疹".into()));
        } else if qid != "blood_donation" {
            answers.push((qid.into(), "no".into()));
        }
    }
    let as_ref = |v: &[(String, String)]| -> Vec<(String, String)> { v.to_vec() };
    let form: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = co.post_form(&qpath, &form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"error-blood_donation\""),
        "{html}"
    );
    assert!(html.contains("この質問に回答してください。"));
    assert!(html.contains("ペニシリンで蕁麻疹"), "answers kept");
    let mut answers = as_ref(&answers);
    answers.push(("blood_donation".into(), "no".into()));
    // Handed to the patient: no staff menu, then a thank-you page that
    // shows nothing of the record.
    assert!(q.contains("?mode=patient"));
    let (s, pm) = co.page(&format!("{qpath}?mode=patient")).await;
    assert_eq!(s, 200);
    assert!(
        !pm.contains("class=\"side\""),
        "no staff menu in patient mode"
    );
    assert!(pm.contains("name=\"mode\" value=\"patient\""));
    answers.push(("mode".into(), "patient".into()));
    let form: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = co.post_form(&qpath, &form).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/patients/{id}/questionnaire/thanks"));
    let (s, thanks) = co
        .page(&format!("/patients/{id}/questionnaire/thanks"))
        .await;
    assert_eq!(s, 200);
    assert!(thanks.contains("ご回答ありがとうございました"));
    assert!(!thanks.contains("ペニシリン") && !thanks.contains("class=\"side\""));
    let (_, record) = co.page(&format!("/patients/{id}")).await;
    // Staff go through the patient's own answers with them, once.
    assert!(record.contains("data-testid=\"review-pending\""));
    let rid = record
        .split("/answers/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let r = co
        .post_form(
            &format!("/patients/{id}/answers/{rid}/review"),
            &[("csrf", &csrf), ("note", "薬剤名を本人と確認")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = co
        .post_form(
            &format!("/patients/{id}/answers/{rid}/review"),
            &[("csrf", &csrf), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("すでに確認済み"));
    let (_, record) = co.page(&format!("/patients/{id}")).await;
    assert!(!record.contains("data-testid=\"review-pending\""));
    assert!(record.contains("data-testid=\"review-done\""));
    assert!(record.contains("薬剤名を本人と確認"));
    assert!(record.contains("判定待ち"));
    assert!(record.contains("薬剤アレルギー"), "the finding is listed");
    assert!(record.contains("data-testid=\"awaiting-physician\""));
    assert!(!record.contains("data-testid=\"decision-form\""));
    let sid = record
        .split("/screenings/")
        .nth(1)
        .map(|s| s.split('/').next().unwrap().to_string());
    assert!(sid.is_none(), "no decision form for the coordinator");

    // A nurse sees no decision form and is refused.
    let nurse = app.signed_in("nurse", "ja").await;
    let (_, nrec) = nurse.page(&format!("/patients/{id}")).await;
    assert!(!nrec.contains("data-testid=\"decision-form\""));
    let dr = app.signed_in("physician", "ja").await;
    let (_, drec) = dr.page(&format!("/patients/{id}")).await;
    assert!(drec.contains("data-testid=\"decision-form\""));
    let sid = drec
        .split("/screenings/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let dpath = format!("/patients/{id}/screenings/{sid}/decision");
    let ncsrf = nurse.csrf("/patients").await;
    let r = nurse
        .post_form(
            &dpath,
            &[
                ("csrf", &ncsrf),
                ("decision", "eligible"),
                ("reason", "問題なし"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);

    // The physician: conditions are required for "with conditions".
    let dcsrf = dr.csrf("/patients").await;
    let r = dr
        .post_form(
            &dpath,
            &[
                ("csrf", &dcsrf),
                ("decision", "eligible_with_conditions"),
                ("reason", "アレルギー歴あり"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"error-conditions\""));
    assert!(html.contains("判定の条件を記入してください。"));
    let r = dr
        .post_form(
            &dpath,
            &[
                ("csrf", &dcsrf),
                ("decision", "eligible_with_conditions"),
                ("reason", "アレルギー歴あり"),
                ("conditions", "初回は30分経過観察"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, record) = co.page(&format!("/patients/{id}")).await;
    assert!(record.contains("条件付きで適応"));
    assert!(record.contains("初回は30分経過観察"));
    assert!(record.contains("data-testid=\"decision\""));

    // Consent: the document with the product's disclosure, then the signature.
    let cpath = format!("/patients/{id}/consent");
    let (s, cpage) = co
        .page(&format!(
            "{cpath}?template_id={template_id}&product_ids={product_id}&locale=ja"
        ))
        .await;
    assert_eq!(s, 200, "{cpage}");
    assert!(cpage.contains("data-testid=\"consent-text\""));
    assert!(cpage.contains("幹細胞培養上清液を点滴で投与する自由診療です。"));
    assert!(
        cpage.contains("海外で承認された同等製品はない。"),
        "disclosure included"
    );
    assert!(cpage.contains("data-testid=\"signature-pad\""));
    assert!(cpage.contains("/assets/patients.js"));
    let sha = hidden(&cpage, "text_sha256");
    let version = hidden(&cpage, "template_version");
    let mut sign = vec![
        ("csrf", csrf.as_str()),
        ("template_id", template_id.as_str()),
        ("template_version", version.as_str()),
        ("locale", "ja"),
        ("text_sha256", sha.as_str()),
        ("product_ids", product_id.as_str()),
        ("explained_by", "physician"),
        ("signature_svg_path", ""),
    ];
    let r = co.post_form(&cpath, &sign).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"error-signature\""));
    assert!(html.contains("患者の署名が必要です。"));
    let (_, record) = co.page(&format!("/patients/{id}")).await;
    assert!(
        !record.contains("data-testid=\"consent-item\""),
        "nothing signed"
    );
    sign.pop();
    sign.push(("signature_svg_path", "M10 10 L50 60 L90 20 L120 80"));
    let r = co.post_form(&cpath, &sign).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, record) = co.page(&format!("/patients/{id}")).await;
    assert!(record.contains("data-testid=\"consent-item\""));
    assert!(record.contains("署名済み"));
    assert!(record.contains("CM-IV v1"));
    let cid = record
        .split("/consents/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let r = co
        .get(&format!("/patients/{id}/consents/{cid}/signature"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().contains("M10 10 L50 60"));

    // Withdrawal: a reason is required, then recorded; the consent stays.
    let wpath = format!("/patients/{id}/consents/{cid}/withdrawal");
    let r = co
        .post_form(&wpath, &[("csrf", &csrf), ("reason", " ")])
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"error-withdraw-reason\""));
    assert!(html.contains("理由を入力してください。"));
    let r = co
        .post_form(&wpath, &[("csrf", &csrf), ("reason", "本人の希望")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, record) = co.page(&format!("/patients/{id}")).await;
    assert!(record.contains("撤回済み"));
    assert!(record.contains("本人の希望"));
    assert!(!record.contains("data-testid=\"withdraw-form\""));

    // Correction: the reason is required; then a new version with its reason.
    let mut rev = patient_form(&csrf, "ヤマダ ハナコ", "090-1234-5678");
    rev.retain(|(k, _)| !k.starts_with("data_consent"));
    rev.push(("address", ""));
    let r = co.post_form(&format!("/patients/{id}/revise"), &rev).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"error-revise-reason\""));
    rev.push(("reason", "住所の誤記"));
    let r = co.post_form(&format!("/patients/{id}/revise"), &rev).await;
    assert_eq!(r.status(), 303);
    let (_, record) = co.page(&format!("/patients/{id}")).await;
    assert!(record.contains("住所の誤記"));
    assert_eq!(record.matches("data-testid=\"version-row\"").count(), 2);

    // Another clinic: the record is not found; pages the admin may not
    // use are refused before anything is read.
    let umeda = app.signed_in("umeda-admin", "ja").await;
    for path in [
        format!("/patients/{id}"),
        format!("/patients/{id}/consents/{cid}/signature"),
    ] {
        let (s, _) = umeda.page(&path).await;
        assert_eq!(s, 404, "{path}");
    }
    for path in [
        format!("/patients/{id}/questionnaire"),
        format!("/patients/{id}/consent"),
    ] {
        let (s, html) = umeda.page(&path).await;
        assert!(s == 403 || s == 404, "{path}: {s}");
        assert!(!html.contains("山田"), "{path}");
    }
    let (_, found) = umeda.page("/patients?phone=09012345678").await;
    assert!(found.contains("data-testid=\"no-results\""));

    // English.
    let en = app.signed_in("coordinator", "en").await;
    let (_, record) = en.page(&format!("/patients/{id}")).await;
    assert!(record.contains("Eligible with conditions"));
    assert!(record.contains("Withdrawn"));
}

/// A patient without a physician's decision: the consent page says why no
/// consent can be taken yet, links to where the decision is made, and offers
/// neither the document nor the signature pad (so nobody signs in vain); a
/// signature posted anyway is refused with the same reason.
#[tokio::test]
async fn the_consent_page_offers_no_signature_without_a_decision() {
    let app = spawn_app().await;
    let (product_id, template_id) =
        crate::tests_patients_api::product_and_template(&app, template_json()).await;
    let api = Api::new(&app, "coordinator").await;
    let (s, pt) = api
        .post(
            "/api/v1/patients",
            json!({"patient": {"name": "山田 花子", "kana": "やまだ はなこ", "birth_date": "1985-04-12",
                "sex": "female", "phone": "090-1234-5678", "postal_code": "1040061",
                "address": "東京都中央区銀座1-2-3"}, "data_consent": "tablet"}),
        )
        .await;
    assert_eq!(s, 201, "{pt}");
    let id = pt["id"].as_str().unwrap().to_string();

    let cpath = format!("/patients/{id}/consent");
    let chosen = format!("{cpath}?template_id={template_id}&product_ids={product_id}&locale=ja");
    for (lang, reason) in [
        ("ja", "医師が適格と判定した有効なスクリーニングが必要です"),
        (
            "en",
            "needs a current screening decided eligible by a physician",
        ),
    ] {
        let b = app.signed_in("coordinator", lang).await;
        for path in [cpath.clone(), chosen.clone()] {
            let (s, html) = b.page(&path).await;
            assert_eq!(s, 200, "{path}: {html}");
            assert!(
                html.contains("data-testid=\"consent-screening-required\""),
                "{lang} {path}: {html}"
            );
            assert!(html.contains(reason), "{lang} {path}: the reason is said");
            assert!(
                html.contains(&format!("href=\"/patients/{id}#screening\"")),
                "{lang} {path}: links to where the decision is made"
            );
            for absent in [
                "signature-pad",
                "sign-form",
                "consent-text",
                "consent-choose",
            ] {
                assert!(
                    !html.contains(&format!("data-testid=\"{absent}\"")),
                    "{lang} {path}: no {absent}"
                );
            }
        }
    }

    // A signature posted anyway: refused for that reason, nothing recorded.
    let co = app.signed_in("coordinator", "ja").await;
    let csrf = co.csrf("/patients").await;
    let r = co
        .post_form(
            &cpath,
            &[
                ("csrf", csrf.as_str()),
                ("template_id", template_id.as_str()),
                ("template_version", "1"),
                ("locale", "ja"),
                ("text_sha256", "x"),
                ("product_ids", product_id.as_str()),
                ("explained_by", "physician"),
                ("signature_svg_path", "M10 10 L50 60"),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"consent-screening-required\""));
    assert!(!html.contains("data-testid=\"signature-pad\""));
    let (_, record) = co.page(&format!("/patients/{id}")).await;
    assert!(!record.contains("data-testid=\"consent-item\""));
}
