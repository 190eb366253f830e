//! Adverse events and recalls, through the API and the pages: a serious
//! event after a blend dose gets its 15-day deadline and its follow-ups,
//! the physician assesses causality, the report is recorded as sent; a
//! recall of one component lot stops its use at once, finds the blend
//! patient, records the contact attempts and closes with its report; the
//! dashboard counts it all.

use crate::tests_care_api::{Chair, care, chair, record};
use crate::*;
use serde_json::{Value, json};

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

/// A recorded blend dose for hanako; its id.
async fn dosed(c: &Chair) -> String {
    let (dp, _) = c.lot("dp");
    let (uc, _) = c.lot("uc");
    let (st, a) = record(c, &[(&dp, "5"), (&uc, "5")]).await;
    assert_eq!(st, 201, "{a}");
    a["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_serious_event_gets_its_deadline_follow_ups_assessment_and_report() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let dose = dosed(&c).await;
    // The onset after the dose (the suggestions look back from it).
    let onset = jiff::Timestamp::now();

    // The dose given before the onset is suggested.
    let (st, s) = c
        .nurse
        .get(&format!(
            "/api/v1/patients/{}/adverse-event-suggestions?onset_at={onset}",
            c.s.hanako
        ))
        .await;
    assert_eq!(st, 200, "{s}");
    assert_eq!(s[0]["id"], dose.as_str(), "{s}");

    // Every problem at once; nothing written.
    let (st, e) = c
        .nurse
        .post(
            "/api/v1/adverse-events",
            json!({"patient_id": c.s.hanako, "onset_at": "2099-01-01T00:00:00Z", "description": "",
                   "category": "headache", "severity": "mild", "outcome": "fatal"}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    assert_eq!(
        codes(&e),
        [
            ("onset_at".to_string(), "ae_in_future".to_string()),
            ("description".into(), "field_required".into()),
            ("category".into(), "ae_category_invalid".into()),
            ("seriousness".into(), "ae_fatal_needs_death".into()),
        ]
    );
    let event = json!({
        "patient_id": c.s.hanako, "onset_at": onset.to_string(),
        "description": "投与2時間後に38.9℃の発熱と悪寒。救急外来を受診し経過観察入院。",
        "category": "fever", "severity": "severe", "seriousness": ["hospitalisation"],
        "outcome": "recovering", "action_taken": "解熱剤、血液培養",
        "administration_ids": [dose]
    });
    // Causality is the physician's.
    let mut with_causality = event.clone();
    with_causality["causality"] = json!("possible");
    let (st, e) = c.nurse.post("/api/v1/adverse-events", with_causality).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (422, Some("ae_causality_physician_only"))
    );
    let (st, ae) = c.nurse.post("/api/v1/adverse-events", event.clone()).await;
    assert_eq!(st, 201, "{ae}");
    let id = ae["id"].as_str().unwrap().to_string();
    let today = crate::tests_plans_api::today();
    let due = today.checked_add(jiff::Span::new().days(15)).unwrap();
    assert_eq!(ae["due_date"], due.to_string());
    assert_eq!(ae["report"]["state"], "due");
    assert_eq!(ae["follow_ups"].as_array().unwrap().len(), 2);
    assert_eq!(ae["lots"].as_array().unwrap().len(), 2, "both blend lots");

    // The physician assesses causality: version 2; a stale version refused.
    let mut assessed = event.clone();
    assessed["causality"] = json!("possible");
    let (st, v2) =
        c.s.physician
            .post(
                &format!("/api/v1/adverse-events/{id}/versions"),
                json!({"version": 1, "reason": "医師による因果関係評価", "event": assessed}),
            )
            .await;
    assert_eq!(st, 201, "{v2}");
    assert_eq!(
        (v2["version"].as_i64(), v2["causality"].as_str()),
        (Some(2), Some("possible"))
    );
    let (st, e) =
        c.s.physician
            .post(
                &format!("/api/v1/adverse-events/{id}/versions"),
                json!({"version": 1, "reason": "again", "event": assessed}),
            )
            .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("adverse_event_version_stale"))
    );

    // A follow-up is done once.
    let fid = ae["follow_ups"][0]["id"].as_str().unwrap().to_string();
    let (st, _) = c
        .nurse
        .post(
            &format!("/api/v1/follow-ups/{fid}/done"),
            json!({"note": "解熱、血液培養陰性"}),
        )
        .await;
    assert_eq!(st, 200);
    let (st, e) = c
        .nurse
        .post(
            &format!("/api/v1/follow-ups/{fid}/done"),
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("follow_up_already_done"))
    );

    // The dashboard shows the report due, counts by product and lot.
    let (st, d) = c.nurse.get("/api/v1/safety/dashboard").await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(
        (d["adverse_events"].as_u64(), d["serious"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(d["reports"].as_array().unwrap().len(), 1);
    let products: Vec<&str> = d["by_product"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["label"].as_str().unwrap())
        .collect();
    assert_eq!(products, ["DP-CM-10", "UC-CM-05"]);
    assert_eq!(d["by_route"][0]["label"], "iv_drip");
    assert_eq!(d["follow_ups"].as_array().unwrap().len(), 1);

    // The report sent to the authority: no longer due.
    let (st, n) = c
        .nurse
        .post(
            &format!("/api/v1/adverse-events/{id}/notifications"),
            json!({"recipient": "authority", "channel": "PMDA 電子報告", "reference": "R-2026-001"}),
        )
        .await;
    assert_eq!(st, 201, "{n}");
    let (_, d) = c.nurse.get(&format!("/api/v1/adverse-events/{id}")).await;
    assert_eq!(d["report"]["state"], "reported");
    assert_eq!(d["versions"].as_array().unwrap().len(), 2);

    // The pages: the draft with its deadline, the dashboard's charts.
    let b = app.signed_in("nurse", "ja").await;
    let (st, html) = b.page(&format!("/safety/adverse-events/{id}")).await;
    assert_eq!(st, 200);
    assert!(html.contains("有害事象報告書（案）") && html.contains("入院または入院期間の延長"));
    assert!(html.contains("DP-A1") && html.contains("R-2026-001"));
    let (st, html) = b.page("/safety").await;
    assert_eq!(st, 200);
    assert!(html.contains("data-testid=\"chart\"") && html.contains("<progress"));
    // Reporting through the form: the errors next to the fields.
    let csrf = csrf_of(&html);
    let r = b
        .post_form(
            "/safety/adverse-events/new",
            &[
                ("csrf", csrf.as_str()),
                ("patient_number", c.hanako_number.as_str()),
                ("onset_at", ""),
                ("category", "bruising"),
                ("severity", "mild"),
                ("outcome", "recovered"),
                ("description", ""),
                ("action", "report"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"error-description\""), "{html}");
    let r = b
        .post_form(
            "/safety/adverse-events/new",
            &[
                ("csrf", csrf.as_str()),
                ("patient_number", c.hanako_number.as_str()),
                ("onset_at", &onset.to_string()),
                ("category", "bruising"),
                ("severity", "mild"),
                ("outcome", "recovered"),
                ("description", "穿刺部の内出血（直径2cm）"),
                ("administration_ids", &dose),
                ("action", "report"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (_, html) = b.page(&location(&r)).await;
    assert!(html.contains("報告不要（非重篤）"));
}

#[tokio::test]
async fn a_recall_of_one_component_lot_stops_its_use_and_reaches_the_blend_patient() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    dosed(&c).await;
    let (uc, uc_no) = c.lot("uc");
    let (dp, _) = c.lot("dp");

    // Nurses do not start recalls.
    let (st, _) = c
        .nurse
        .post(
            "/api/v1/recalls",
            json!({"scope": "lot", "lot_id": uc, "reason": "x"}),
        )
        .await;
    assert_eq!(st, 403);
    let (st, e) =
        c.s.physician
            .post("/api/v1/recalls", json!({"scope": "lot", "reason": " "}))
            .await;
    assert_eq!(st, 422);
    assert_eq!(
        codes(&e),
        [
            ("reason".to_string(), "reason_required".to_string()),
            ("lot_id".into(), "recall_lot_unknown".into())
        ]
    );
    let (st, r) =
        c.s.physician
            .post(
                "/api/v1/recalls",
                json!({"scope": "lot", "lot_id": uc, "reason": "製造元より無菌試験の逸脱の連絡"}),
            )
            .await;
    assert_eq!(st, 201, "{r}");
    let rid = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["progress"]["patients"], 1);
    assert_eq!(r["patients"][0]["number"], c.hanako_number.as_str());
    assert_eq!(r["patients"][0]["phone"], "090-1234-5678");
    assert!(r["lot_numbers"][0].as_str().unwrap().contains(&uc_no));

    // The lot is recalled at once: the chair refuses it.
    let (_, v) = c
        .nurse
        .post("/api/v1/care/check", care(&c, &[(&dp, "5"), (&uc, "5")]))
        .await;
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "lot_recalled"),
        "{v}"
    );

    // Contact attempts; only affected patients; then closed once.
    let contact = |patient: &str, outcome: &str| json!({"patient_id": patient, "method": "phone", "outcome": outcome, "note": "携帯"});
    let (st, _) =
        c.s.physician
            .post(
                &format!("/api/v1/recalls/{rid}/contacts"),
                contact(&c.s.hanako, "no_answer"),
            )
            .await;
    assert_eq!(st, 201);
    let (st, e) =
        c.s.physician
            .post(
                &format!("/api/v1/recalls/{rid}/contacts"),
                contact(&c.s.taro, "reached"),
            )
            .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("recall_patient_not_affected"))
    );
    let (_, r) = c.s.physician.get(&format!("/api/v1/recalls/{rid}")).await;
    assert_eq!(
        (
            r["progress"]["attempted"].as_u64(),
            r["progress"]["reached"].as_u64()
        ),
        (Some(1), Some(0))
    );
    // Through the page: reached.
    let b = app.signed_in("physician", "en").await;
    let (st, html) = b.page(&format!("/safety/recalls/{rid}")).await;
    assert_eq!(st, 200);
    assert!(html.contains("data-contact=\"attempted\"") && html.contains("090-1234-5678"));
    let csrf = csrf_of(&html);
    let r = b
        .post_form(
            &format!("/safety/recalls/{rid}/contacts"),
            &[
                ("csrf", csrf.as_str()),
                ("patient_id", c.s.hanako.as_str()),
                ("method", "phone"),
                ("outcome", "reached"),
                ("note", "本人に説明、体調に変化なし"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = b.page(&format!("/safety/recalls/{rid}")).await;
    assert!(html.contains("data-contact=\"reached\""));
    let r = b
        .post_form(
            &format!("/safety/recalls/{rid}/close"),
            &[("csrf", csrf.as_str()), ("report", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let (st, r) =
        c.s.physician
            .post(
                &format!("/api/v1/recalls/{rid}/close"),
                json!({"report": "対象患者1名に連絡完了。健康被害の報告なし。在庫3本は返品。"}),
            )
            .await;
    assert_eq!(st, 200, "{r}");
    assert!(r["closed_at"].is_string());
    let (st, e) =
        c.s.physician
            .post(
                &format!("/api/v1/recalls/{rid}/contacts"),
                contact(&c.s.hanako, "reached"),
            )
            .await;
    assert_eq!((st, e["code"].as_str()), (409, Some("recall_closed")));

    // A recall of every lot of a cell source through the form.
    let (st, html) = b.page("/safety/recalls").await;
    assert_eq!(st, 200);
    let r = b
        .post_form(
            "/safety/recalls",
            &[
                ("csrf", csrf.as_str()),
                ("scope", "source"),
                ("cell_source", "dental_pulp"),
                ("reason", "ドナー情報の追加調査"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{html}");
    let (_, list) = c.s.physician.get("/api/v1/recalls").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
}

/// The text of the `<label for="{id}">` on a page.
fn label_for(html: &str, id: &str) -> String {
    let start = format!("<label for=\"{id}\">");
    let from = html.find(&start).map(|i| i + start.len()).unwrap_or(0);
    html[from..]
        .split("</label>")
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The recall form's cell-source field is labelled as the cell source (not
/// the questionnaire's "filled in by"), in both languages, and a problem with
/// it is named by that label in the API too.
#[tokio::test]
async fn the_recall_forms_cell_source_field_is_labelled_as_the_cell_source() {
    let app = spawn_app().await;
    for (lang, label) in [("ja", "細胞の由来"), ("en", "Cell source")] {
        let b = app.signed_in("quality", lang).await;
        let (st, html) = b.page("/safety/recalls").await;
        assert_eq!(st, 200);
        assert_eq!(label_for(&html, "rc-source"), label, "{lang}");
        assert!(
            html.contains("id=\"rc-source\" name=\"cell_source\""),
            "{lang}"
        );
    }
    let qa = crate::tests_supply_api::Api::new(&app, "quality").await;
    for key in ["cell_source", "source"] {
        let (st, e) = qa
            .post(
                "/api/v1/recalls",
                json!({"scope": "source", key: "stardust", "reason": "ドナー情報の追加調査"}),
            )
            .await;
        assert_eq!(st, 422, "{e}");
        assert_eq!(
            codes(&e),
            [("cell_source".into(), "recall_source_unknown".into())],
            "{key}"
        );
        assert!(
            e["detail"].as_str().unwrap().starts_with("Cell source:"),
            "{e}"
        );
    }
}

/// The reporting policy is a clinic setting per product regime: today's
/// deadlines until an admin changes them (API and page, every problem next
/// to its field, nothing changed on bad input); a changed policy gives a
/// new report its due date; another clinic keeps the default.
#[tokio::test]
async fn a_clinics_reporting_policy_changes_the_due_date_of_a_new_report() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let dose = dosed(&c).await;
    let admin = crate::tests_supply_api::Api::new(&app, "admin").await;
    let path = "/api/v1/safety/reporting-policy";
    let days = |v: &Value| -> Vec<(String, u64, u64)> {
        v["regimes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["regime"].as_str().unwrap().to_string(),
                    r["death_days"].as_u64().unwrap(),
                    r["serious_days"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let defaults = vec![
        ("unapproved".to_string(), 7, 15),
        ("regenerative_medicine_act".into(), 7, 15),
        ("approved_drug".into(), 7, 15),
    ];
    let (st, p) = c.nurse.get(path).await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(
        (p["version"].clone(), days(&p)),
        (Value::Null, defaults.clone())
    );

    // Only an admin sets it; bad input is named field by field, nothing changes.
    let policy = |u: (i64, i64), r: Value, a: Value| {
        json!({"regimes": [
            {"regime": "unapproved", "death_days": u.0, "serious_days": u.1},
            r, a,
        ]})
    };
    let rma = json!({"regime": "regenerative_medicine_act", "death_days": 7, "serious_days": 15});
    let drug = json!({"regime": "approved_drug", "death_days": 7, "serious_days": 15});
    let (st, _) = c
        .nurse
        .put(path, policy((3, 10), rma.clone(), drug.clone()))
        .await;
    assert_eq!(st, 403);
    let (st, e) = admin
        .put(
            path,
            policy(
                (20, 15),
                json!({"regime": "regenerative_medicine_act", "death_days": 0, "serious_days": 15}),
                json!({"regime": "herbal", "death_days": 7, "serious_days": 15}),
            ),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    assert_eq!(
        codes(&e),
        [
            (
                "regenerative_medicine_act_death_days".to_string(),
                "policy_days_invalid".to_string()
            ),
            ("regimes".into(), "policy_regime_unknown".into()),
            (
                "unapproved_death_days".into(),
                "policy_death_after_serious".into()
            ),
            ("approved_drug_death_days".into(), "field_required".into()),
            ("approved_drug_serious_days".into(), "field_required".into()),
        ]
    );
    assert!(
        e["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Regenerative Medicine Act products: days to report a death"),
        "{e}"
    );
    let (_, p) = admin.get(path).await;
    assert_eq!(
        (p["version"].clone(), days(&p)),
        (Value::Null, defaults.clone())
    );

    let (st, p) = admin
        .put(path, policy((3, 10), rma.clone(), drug.clone()))
        .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["version"], 1);
    assert_eq!(days(&p)[0], ("unapproved".to_string(), 3, 10));

    // A new serious report on the (unapproved) products: due in 10 days, not 15.
    let event = |seriousness: &str| {
        json!({
            "patient_id": c.s.hanako, "onset_at": jiff::Timestamp::now().to_string(),
            "description": "投与後の発熱で入院。", "category": "fever", "severity": "severe",
            "seriousness": [seriousness], "outcome": "recovering", "administration_ids": [dose]
        })
    };
    let today = crate::tests_plans_api::today();
    let plus = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    let (st, ae) = c
        .nurse
        .post("/api/v1/adverse-events", event("hospitalisation"))
        .await;
    assert_eq!(st, 201, "{ae}");
    assert_eq!(ae["due_date"], plus(10));
    let (_, ae) = c
        .nurse
        .post("/api/v1/adverse-events", event("life_threatening"))
        .await;
    assert_eq!(ae["due_date"], plus(3));

    // Another clinic keeps today's deadlines.
    let umeda = crate::tests_supply_api::Api::new(&app, "umeda-admin").await;
    let (st, u) = umeda.get(path).await;
    assert_eq!(st, 200);
    assert_eq!((u["version"].clone(), days(&u)), (Value::Null, defaults));

    // The page: shown on the dashboard; the admin's form names each problem
    // next to its field and keeps what was typed; then a new version.
    let b = app.signed_in("admin", "ja").await;
    let (_, dash) = b.page("/safety").await;
    assert!(dash.contains("data-testid=\"safety-policy\""), "{dash}");
    assert!(dash.contains("href=\"/safety/reporting-policy\""));
    let (st, page) = b.page("/safety/reporting-policy").await;
    assert_eq!(st, 200);
    assert!(page.contains("data-testid=\"policy-form\""));
    assert!(
        page.contains("name=\"unapproved_death_days\" value=\"3\""),
        "{page}"
    );
    let csrf = b.csrf("/safety/reporting-policy").await;
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("unapproved_death_days", "abc"),
        ("unapproved_serious_days", "10"),
        ("regenerative_medicine_act_death_days", "7"),
        ("regenerative_medicine_act_serious_days", "15"),
        ("approved_drug_death_days", "16"),
        ("approved_drug_serious_days", "15"),
    ];
    let r = b.post_form("/safety/reporting-policy", &form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"error-unapproved_death_days\""),
        "{html}"
    );
    assert!(html.contains("data-testid=\"error-approved_drug_death_days\""));
    assert!(!html.contains("data-testid=\"error-unapproved_serious_days\""));
    assert!(html.contains("value=\"abc\""), "typed values kept");
    let (_, p) = admin.get(path).await;
    assert_eq!(p["version"], 1, "nothing changed");
    form[1] = ("unapproved_death_days", "5");
    form[5] = ("approved_drug_death_days", "15");
    form[6] = ("approved_drug_serious_days", "30");
    let r = b.post_form("/safety/reporting-policy", &form).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, p) = admin.get(path).await;
    assert_eq!(p["version"], 2);
    assert_eq!(days(&p)[2], ("approved_drug".to_string(), 15, 30));
    assert_eq!(p["versions"].as_array().unwrap().len(), 2);
    let (_, page) = b.page("/safety/reporting-policy").await;
    assert!(page.contains("data-testid=\"policy-version\""));

    // Others read it and see no form.
    let nb = app.signed_in("nurse", "en").await;
    let (st, page) = nb.page("/safety/reporting-policy").await;
    assert_eq!(st, 200);
    assert!(!page.contains("data-testid=\"policy-form\""));
    assert!(page.contains("Regenerative Medicine Safety Act"), "{page}");
}
