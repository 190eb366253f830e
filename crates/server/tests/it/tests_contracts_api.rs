//! Prices, contracts, payments and receipts through the API: the price
//! list refuses a price without the usual course and risks; a package is
//! covered and why, a knee course is not; sessions used come from the
//! doses; payments get receipts numbered without gaps with the tax once
//! per rate; a reversal slip; a cancellation within the cooling-off
//! refunds everything and stops the contract.

use crate::tests_care_api::{chair, record};
use crate::tests_plans_api::today;
use crate::tests_supply_api::Api;
use crate::*;
use serde_json::{Value, json};

fn item(
    code: &str,
    kind: &str,
    sessions: u32,
    months: Option<u32>,
    price: &str,
    route: &str,
) -> Value {
    json!({
        "code": code, "name_ja": "幹細胞培養上清液 肌注射", "name_en": "Conditioned medium skin injection",
        "kind": kind, "sessions": sessions, "period_months": months, "price": price, "tax_rate": "standard",
        "route": route, "usual_course": "通常5回（2〜4週ごと、約4か月）",
        "main_risks": "注射部位の痛み・内出血・腫れ、まれにアレルギー反応"
    })
}

#[tokio::test]
async fn a_package_is_sold_paid_receipted_and_cancelled_within_the_cooling_off() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let admin = Api::new(&app, "admin").await;
    let co = &c.s.coordinator;

    // The advertising rule: the price comes with the course and the risks.
    let mut bad = item("CM-SKIN-5", "package", 5, None, "11万", "skin_injection");
    bad["main_risks"] = json!("");
    bad["usual_course"] = json!("5回で必ず若返ります");
    let (st, e) = admin.post("/api/v1/price-items", bad).await;
    assert_eq!(st, 422, "{e}");
    let codes: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"price_item_period_required"), "{e}");
    assert!(codes.contains(&"yen_invalid"));
    assert!(codes.contains(&"price_item_disclosure_required"));
    assert!(codes.contains(&"price_item_efficacy_claim"));
    let (st, pkg) = admin
        .post(
            "/api/v1/price-items",
            item("CM-IV-5", "package", 5, Some(6), "110,000", "iv_drip"),
        )
        .await;
    assert_eq!(st, 201, "{pkg}");
    assert_eq!(
        (pkg["price"].as_i64(), pkg["tax"].as_i64()),
        (Some(110_000), Some(10_000))
    );
    let (st, _) = co
        .post(
            "/api/v1/price-items",
            item("X-1", "single", 1, None, "1000", "iv_drip"),
        )
        .await;
    assert_eq!(st, 403, "only admins set prices");

    // Covered: beauty, a drug, over ¥50,000, over one month.
    let (st, k) = co
        .post(
            "/api/v1/contracts",
            json!({"patient_id": c.s.hanako, "plan_id": c.plan, "lines": [{"price_item_id": pkg["id"], "quantity": 1}],
                   "starts_on": today().to_string(), "payment_plan": "instalments", "purpose": "beauty", "method": "drug"}),
        )
        .await;
    assert_eq!(st, 201, "{k}");
    assert_eq!(
        (
            k["covered"].as_bool(),
            k["total"].as_i64(),
            k["sessions"].as_u64()
        ),
        (Some(true), Some(110_000), Some(5))
    );
    assert_eq!(k["coverage"]["reasons"].as_array().unwrap().len(), 4);
    assert_eq!(k["number"], "C-000001");
    assert_eq!(k["cooling_off"]["state"], "not_started");
    let id = k["id"].as_str().unwrap().to_string();
    // A discount takes an amount off (once); the tax follows the total.
    let mut disc = item("FIRST-10K", "discount", 0, None, "10000", "iv_drip");
    disc["usual_course"] = json!("初回契約のみ");
    disc["main_risks"] = json!("");
    let (st, d) = admin.post("/api/v1/price-items", disc).await;
    assert_eq!(st, 201, "{d}");
    let (st, e) = co
        .post(
            "/api/v1/contracts",
            json!({"patient_id": c.s.taro, "lines": [{"price_item_id": d["id"], "quantity": 1}],
                   "starts_on": today().to_string(), "payment_plan": "lump_sum", "purpose": "beauty", "method": "drug"}),
        )
        .await;
    assert_eq!(
        (st, e["errors"][0]["code"].as_str()),
        (422, Some("contract_sessions_required"))
    );
    let (st, dk) = co
        .post(
            "/api/v1/contracts",
            json!({"patient_id": c.s.taro, "lines": [{"price_item_id": pkg["id"], "quantity": 1}, {"price_item_id": d["id"], "quantity": 1}],
                   "starts_on": today().to_string(), "payment_plan": "lump_sum", "purpose": "beauty", "method": "drug"}),
        )
        .await;
    assert_eq!(st, 201, "{dk}");
    assert_eq!(
        (
            dk["total"].as_i64(),
            dk["sessions"].as_u64(),
            dk["covered"].as_bool()
        ),
        (Some(100_000), Some(5), Some(true))
    );
    // A medical purpose is not covered.
    let (_, m) = co
        .post(
            "/api/v1/contracts",
            json!({"patient_id": c.s.taro, "lines": [{"price_item_id": pkg["id"], "quantity": 1}],
                   "starts_on": today().to_string(), "payment_plan": "lump_sum", "purpose": "medical", "method": "drug"}),
        )
        .await;
    assert_eq!(
        (m["covered"].as_bool(), m["number"].as_str()),
        (Some(false), Some("C-000003"))
    );

    // A dose under the plan uses a session (derived, never a counter).
    let (dp, _) = c.lot("dp");
    let (uc, _) = c.lot("uc");
    let (st, _) = record(&c, &[(&dp, "5"), (&uc, "5")]).await;
    assert_eq!(st, 201);
    let (_, k) = co.get(&format!("/api/v1/contracts/{id}")).await;
    assert_eq!(
        (k["sessions_used"].as_u64(), k["sessions_left"].as_u64()),
        (Some(1), Some(4))
    );

    // Payments, each with its receipt; numbers without gaps; tax once.
    let (st, p1) = co
        .post(
            &format!("/api/v1/contracts/{id}/payments"),
            json!({"amount": "50000", "method": "card"}),
        )
        .await;
    assert_eq!(st, 201, "{p1}");
    assert_eq!(p1["receipt"]["number"], 1);
    assert_eq!(p1["receipt"]["tax"]["tax"], 4545);
    let (_, p2) = co
        .post(
            &format!("/api/v1/contracts/{id}/payments"),
            json!({"amount": "60,000", "method": "cash"}),
        )
        .await;
    assert_eq!(p2["receipt"]["number"], 2);
    let (st, e) = co
        .post(
            &format!("/api/v1/contracts/{id}/payments"),
            json!({"amount": "1", "method": "cash"}),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (422, Some("payment_above_balance"))
    );
    let r1 = p1["receipt"]["id"].as_str().unwrap();
    let (st, rev) = co
        .post(&format!("/api/v1/receipts/{r1}/reverse"), json!({}))
        .await;
    assert_eq!(st, 201, "{rev}");
    assert_eq!(
        (rev["number"].as_i64(), rev["total"].as_i64()),
        (Some(3), Some(-50_000))
    );
    assert_eq!(rev["tax"]["tax"], -4545, "a reversal negates exactly");
    let rid = rev["id"].as_str().unwrap();
    let (st, e) = co
        .post(&format!("/api/v1/receipts/{rid}/reverse"), json!({}))
        .await;
    assert_eq!((st, e["code"].as_str()), (409, Some("receipt_is_reversal")));
    let (_, list) = co.get(&format!("/api/v1/contracts/{id}/receipts")).await;
    assert_eq!(list.as_array().unwrap().len(), 3);

    // The report: of 110,000 paid, one session of five is earned.
    let (_, rep) = co.get("/api/v1/reports/contracts").await;
    let mine = rep["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            mine["earned"].as_i64(),
            mine["unearned"].as_i64(),
            mine["balance"].as_i64()
        ),
        (Some(22_000), Some(88_000), Some(0))
    );

    // Within the cooling-off (the contract document not yet received):
    // everything paid comes back, even after a session.
    let (st, q) = co
        .get(&format!(
            "/api/v1/contracts/{id}/cancellation-quote?notice={}",
            today()
        ))
        .await;
    assert_eq!(st, 200, "{q}");
    assert_eq!(
        (
            q["kind"].as_str(),
            q["max_charge"].as_i64(),
            q["refund"].as_i64()
        ),
        (Some("cooling_off"), Some(0), Some(110_000))
    );
    let (st, k) = co
        .post(
            &format!("/api/v1/contracts/{id}/cancel"),
            json!({"notice": today().to_string(), "refund_method": "transfer"}),
        )
        .await;
    assert_eq!(st, 200, "{k}");
    assert_eq!(
        (k["status"].as_str(), k["paid"].as_i64()),
        (Some("cancelled"), Some(0))
    );
    assert_eq!(k["cancellation"]["kind"], "cooling_off");
    let (st, e) = co
        .post(
            &format!("/api/v1/contracts/{id}/cancel"),
            json!({"notice": today().to_string(), "refund_method": "transfer"}),
        )
        .await;
    assert_eq!((st, e["code"].as_str()), (409, Some("contract_not_active")));
    let (st, e) = co
        .post(
            &format!("/api/v1/contracts/{id}/payments"),
            json!({"amount": "1000", "method": "cash"}),
        )
        .await;
    assert_eq!((st, e["code"].as_str()), (409, Some("contract_not_active")));

    // The day's sales.
    let (_, d) = co.get("/api/v1/reports/daily-sales").await;
    assert_eq!(
        (
            d["received"].as_i64(),
            d["refunded"].as_i64(),
            d["net"].as_i64()
        ),
        (Some(110_000), Some(110_000), Some(0))
    );
}

#[tokio::test]
async fn both_documents_are_made_from_the_contract_and_the_handover_starts_the_cooling_off() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let admin = Api::new(&app, "admin").await;
    let co = &c.s.coordinator;
    let (_, pkg) = admin
        .post(
            "/api/v1/price-items",
            item("CM-IV-5", "package", 5, Some(6), "110000", "iv_drip"),
        )
        .await;
    let (_, k) = co
        .post(
            "/api/v1/contracts",
            json!({"patient_id": c.s.hanako, "plan_id": c.plan, "lines": [{"price_item_id": pkg["id"], "quantity": 1}],
                   "starts_on": today().to_string(), "payment_plan": "lump_sum", "purpose": "unclear", "method": "drug"}),
        )
        .await;
    let id = k["id"].as_str().unwrap().to_string();
    assert_eq!(k["covered"], true, "an unclear purpose counts as beauty");

    // No documents without the clinic's business profile.
    let docs = format!("/api/v1/contracts/{id}/documents");
    let (st, e) = co.post(&docs, json!({"kind": "contract"})).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("clinic_profile_missing"))
    );
    let (st, e) = admin
        .put(
            "/api/v1/clinic/profile",
            json!({"legal_name": "医療法人社団 銀座再生会", "address": "東京都中央区銀座1-2-3",
                   "phone": "03-1234-5678", "representative": "理事長 佐藤 直子",
                   "registration_number": "T12345", "advance_payment_protection": "保全措置なし"}),
        )
        .await;
    assert_eq!(
        (st, e["errors"][0]["code"].as_str()),
        (422, Some("registration_number_invalid"))
    );
    let (st, _) = admin
        .put(
            "/api/v1/clinic/profile",
            json!({"legal_name": "医療法人社団 銀座再生会", "address": "東京都中央区銀座1-2-3",
                   "phone": "03-1234-5678", "representative": "理事長 佐藤 直子",
                   "registration_number": "T1234567890123", "advance_payment_protection": "保全措置なし"}),
        )
        .await;
    assert_eq!(st, 200);

    let (st, summary) = co.post(&docs, json!({"kind": "summary"})).await;
    assert_eq!(st, 201, "{summary}");
    let (st, doc) = co.post(&docs, json!({"kind": "contract"})).await;
    assert_eq!(st, 201, "{doc}");
    let (st, e) = co.post(&docs, json!({"kind": "contract"})).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("contract_document_exists"))
    );
    let doc_id = doc["id"].as_str().unwrap();
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/contract-documents/{doc_id}/pdf")))
        .bearer_auth(&co.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let pdf = r.bytes().await.unwrap();
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&pdf)),
        doc["sha256"].as_str().unwrap()
    );
    if let Some(text) = pdf_text(&pdf) {
        let flat: String = text.split_whitespace().collect();
        for needle in [
            "契約書面",
            "この書面の内容を十分にお読みください。",
            "クーリング・オフについて",
            "医療法人社団銀座再生会",
            "理事長佐藤直子",
            "回数の総計5回",
            "110,000円",
            "契約締結担当者",
            "C-000001",
            "山田花子",
        ] {
            assert!(flat.contains(needle), "{needle} missing from:\n{text}");
        }
    }

    // Electronic delivery needs the prior consent; paper starts the 8 days.
    let hand = format!("/api/v1/contract-documents/{doc_id}/handover");
    let (st, e) = co
        .post(
            &hand,
            json!({"method": "electronic", "received_on": today().to_string()}),
        )
        .await;
    assert_eq!(
        (st, e["errors"][0]["code"].as_str()),
        (422, Some("contract_electronic_consent_required"))
    );
    let (st, _) = co
        .post(
            &hand,
            json!({"method": "paper", "received_on": today().to_string()}),
        )
        .await;
    assert_eq!(st, 200);
    let (_, k) = co.get(&format!("/api/v1/contracts/{id}")).await;
    assert_eq!(k["cooling_off"]["state"], "running", "{k}");
    let last = today().checked_add(jiff::Span::new().days(7)).unwrap();
    assert_eq!(k["cooling_off"]["last_day"], last.to_string());
    let (st, e) = co
        .post(
            &hand,
            json!({"method": "paper", "received_on": today().to_string()}),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("contract_document_handed_over"))
    );
}
