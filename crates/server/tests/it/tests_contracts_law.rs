//! Issue 16, "contracts that hold in law": for each error the attack
//! first, then the fix holding. A monthly plan bought for six months is
//! covered; a non-covered contract has no cooling-off; a backdated receipt
//! of the contract document is refused; cancelling cancels the contract's
//! future appointments; two concurrent payments of the whole balance: one
//! succeeds.

use crate::tests_plans_api::{Setup, setup, today};
use crate::tests_supply_api::Api;
use crate::*;
use serde_json::{Value, json};

pub(crate) fn item(
    code: &str,
    kind: &str,
    sessions: u32,
    months: Option<u32>,
    price: &str,
) -> Value {
    json!({
        "code": code, "name_ja": "幹細胞培養上清液 点滴", "name_en": "Conditioned medium IV drip",
        "kind": kind, "sessions": sessions, "period_months": months, "price": price, "tax_rate": "standard",
        "route": "iv_drip", "usual_course": "毎月1回の点滴（約60分）",
        "main_risks": "穿刺部の痛み・内出血、まれにアレルギー反応"
    })
}

/// Sells `quantity` of `item_id` to `patient`, starting today.
pub(crate) async fn sell(
    co: &Api,
    patient: &str,
    item_id: &Value,
    quantity: u32,
    purpose: &str,
) -> Value {
    let (st, k) = co
        .post(
            "/api/v1/contracts",
            json!({"patient_id": patient, "lines": [{"price_item_id": item_id, "quantity": quantity}],
                   "starts_on": today().to_string(), "payment_plan": "monthly", "purpose": purpose, "method": "drug"}),
        )
        .await;
    assert_eq!(st, 201, "{k}");
    k
}

/// The setup, an admin, and a ¥220,000 five-session package (6 months)
/// sold to Hanako today for `purpose`: (setup, admin, contract id).
pub(crate) async fn package_sold(app: &App, purpose: &str) -> (Setup, Api, String) {
    let s = setup(app).await;
    let admin = Api::new(app, "admin").await;
    let (st, pkg) = admin
        .post(
            "/api/v1/price-items",
            item("CM-IV-5", "package", 5, Some(6), "220000"),
        )
        .await;
    assert_eq!(st, 201, "{pkg}");
    let k = sell(&s.coordinator, &s.hanako, &pkg["id"], 1, purpose).await;
    let id = k["id"].as_str().unwrap().to_string();
    (s, admin, id)
}

/// Error 1: a monthly item bought for six months is a six-month
/// commitment (¥44,000 × 6 = ¥264,000 over 6 months): covered. One month
/// alone (¥44,000, 1 month) is not.
#[tokio::test]
async fn a_monthly_plan_bought_for_six_months_is_covered() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let admin = Api::new(&app, "admin").await;
    let co = &s.coordinator;
    let (st, m) = admin
        .post(
            "/api/v1/price-items",
            item("CM-IV-M", "monthly", 1, Some(1), "44000"),
        )
        .await;
    assert_eq!(st, 201, "{m}");

    let k = sell(co, &s.hanako, &m["id"], 6, "unclear").await;
    assert_eq!(
        (
            k["total"].as_i64(),
            k["sessions"].as_u64(),
            k["covered"].as_bool()
        ),
        (Some(264_000), Some(6), Some(true)),
        "{k}"
    );
    assert_eq!(
        k["coverage"]["reasons"][3],
        json!({"code": "period_above_one_month", "months": 6})
    );
    let end = today()
        .checked_add(jiff::Span::new().months(6))
        .unwrap()
        .yesterday()
        .unwrap();
    assert_eq!(k["ends_on"], end.to_string());

    let one = sell(co, &s.taro, &m["id"], 1, "beauty").await;
    assert_eq!(one["covered"], false, "{one}");
    assert_eq!(
        one["coverage"]["reasons"][3],
        json!({"code": "period_not_above_one_month", "months": 1})
    );
}

/// Error 6: two payments of the whole balance sent at once: exactly one
/// succeeds with its receipt; the other is refused (`payment_above_balance`
/// on `amount`) and leaves neither a payment nor a receipt.
#[tokio::test]
async fn two_concurrent_payments_of_the_whole_balance_one_succeeds() {
    let app = spawn_app().await;
    let (s, _admin, id) = package_sold(&app, "beauty").await;
    let co = &s.coordinator;
    let path = format!("/api/v1/contracts/{id}/payments");
    for round in 0..3 {
        let body = json!({"amount": "220000", "method": "card"});
        let (a, b) = tokio::join!(co.post(&path, body.clone()), co.post(&path, body));
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        let expected = if round == 0 { [201, 422] } else { [422, 422] };
        assert_eq!(statuses, expected, "{} {}", a.1, b.1);
        for (st, v) in [a, b] {
            if st == 422 {
                assert_eq!(v["errors"][0]["field"], "amount", "{v}");
                assert_eq!(v["errors"][0]["code"], "payment_above_balance", "{v}");
            }
        }
    }
    let (_, k) = co.get(&format!("/api/v1/contracts/{id}")).await;
    assert_eq!(
        (k["paid"].as_i64(), k["balance"].as_i64()),
        (Some(220_000), Some(0))
    );
    let (_, receipts) = co.get(&format!("/api/v1/contracts/{id}/receipts")).await;
    assert_eq!(receipts.as_array().unwrap().len(), 1, "{receipts}");
}

/// The clinic's business profile (the documents print it).
pub(crate) async fn profile(admin: &Api) {
    let (st, p) = admin
        .put(
            "/api/v1/clinic/profile",
            json!({"legal_name": "医療法人社団 銀座再生会", "address": "東京都中央区銀座1-2-3",
                   "phone": "03-1234-5678", "representative": "理事長 佐藤 直子",
                   "advance_payment_protection": "保全措置なし"}),
        )
        .await;
    assert_eq!(st, 200, "{p}");
}

/// Error 3: the contract document cannot be "received" before the contract
/// was concluded or the document made (today), nor after today; the refusal
/// names the day and changes nothing. The handover records who handed it
/// over: by default the person recording it, or a named member of the staff
/// of the clinic (not of another clinic).
#[tokio::test]
async fn a_backdated_receipt_of_the_contract_document_is_refused() {
    let app = spawn_app().await;
    let (s, admin, id) = package_sold(&app, "beauty").await;
    let co = &s.coordinator;
    profile(&admin).await;
    let (st, doc) = co
        .post(
            &format!("/api/v1/contracts/{id}/documents"),
            json!({"kind": "contract"}),
        )
        .await;
    assert_eq!(st, 201, "{doc}");
    let hand = format!(
        "/api/v1/contract-documents/{}/handover",
        doc["id"].as_str().unwrap()
    );
    let day = |n: i64| {
        today()
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };

    // The attack: received a week before the contract, so the cooling-off
    // would already be over.
    for (received, code) in [
        (day(-7), "contract_received_before_contract"),
        (day(-1), "contract_received_before_contract"),
        (day(1), "contract_received_in_future"),
    ] {
        let (st, e) = co
            .post(&hand, json!({"method": "paper", "received_on": received}))
            .await;
        assert_eq!(st, 422, "{received}: {e}");
        assert_eq!(e["errors"][0]["field"], "received_on", "{e}");
        assert_eq!(e["errors"][0]["code"], code, "{received}: {e}");
        assert!(
            e["errors"][0]["detail"]
                .as_str()
                .unwrap_or("")
                .starts_with("Received on: "),
            "{e}"
        );
    }
    let (_, k) = co.get(&format!("/api/v1/contracts/{id}")).await;
    assert_eq!(k["cooling_off"]["state"], "not_started", "nothing changed");
    assert!(k["documents"][0]["received_on"].is_null(), "{k}");

    // Who handed it over: not a user of another clinic.
    let stranger = uuid::Uuid::now_v7().to_string();
    let (st, e) = co
        .post(
            &hand,
            json!({"method": "paper", "received_on": day(0), "handed_by": stranger}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    assert_eq!(e["errors"][0]["field"], "handed_by", "{e}");
    assert_eq!(e["errors"][0]["code"], "contract_handed_by_unknown", "{e}");

    // The day of the contract is accepted; the physician handed it over.
    let (_, me) = s.physician.get("/api/v1/me").await;
    let (st, d) = co
        .post(
            &hand,
            json!({"method": "paper", "received_on": day(0), "handed_by": me["id"]}),
        )
        .await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["handed_over_staff_id"], me["id"], "{d}");
    assert_eq!(d["received_on"], day(0));
    let (_, k) = co.get(&format!("/api/v1/contracts/{id}")).await;
    assert_eq!(k["cooling_off"]["state"], "running", "{k}");
    assert_eq!(k["documents"][0]["handed_over_staff_id"], me["id"], "{k}");
}

/// Error 2: a contract the Act does not cover (a medical purpose) was
/// quoted as "within the cooling-off" for ever, since it has no contract
/// document: everything refunded whatever the clinic's terms. Now its kind
/// is `not_covered`: no cooling-off, the clinic's terms shown at sale
/// apply (¥10,000 before the first session, not capped by the Act), with
/// the Consumer Contract Act's limit stated. Paid ¥220,000: refund
/// 220,000 − 10,000 = 210,000.
#[tokio::test]
async fn a_contract_not_covered_has_no_cooling_off_and_follows_the_clinic_terms() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let admin = Api::new(&app, "admin").await;
    let co = &s.coordinator;
    let (_, pkg) = admin
        .post(
            "/api/v1/price-items",
            item("CM-KNEE-3", "package", 3, Some(3), "220000"),
        )
        .await;
    let (st, k) = co
        .post(
            "/api/v1/contracts",
            json!({"patient_id": s.hanako, "lines": [{"price_item_id": pkg["id"], "quantity": 1}],
                   "starts_on": today().to_string(), "payment_plan": "lump_sum", "purpose": "medical",
                   "method": "drug", "terms": {"before_start_fee": 10000}}),
        )
        .await;
    assert_eq!(st, 201, "{k}");
    assert_eq!(k["covered"], false);
    assert_eq!(k["cooling_off"]["state"], "not_applicable", "{k}");
    let id = k["id"].as_str().unwrap().to_string();
    let (st, _) = co
        .post(
            &format!("/api/v1/contracts/{id}/payments"),
            json!({"amount": "220000", "method": "card"}),
        )
        .await;
    assert_eq!(st, 201);

    let (st, q) = co
        .get(&format!(
            "/api/v1/contracts/{id}/cancellation-quote?notice={}",
            today()
        ))
        .await;
    assert_eq!(st, 200, "{q}");
    assert_eq!(q["kind"], "not_covered", "{q}");
    assert!(q["cooling_off_until"].is_null());
    assert_eq!(
        (q["max_charge"].as_i64(), q["refund"].as_i64()),
        (Some(10_000), Some(210_000))
    );
    let codes: Vec<&str> = q["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "not_covered_clinic_terms",
            "clinic_terms_before_start_fee",
            "consumer_contract_act_limit",
            "max_charge",
            "refund"
        ]
    );
    let (st, k) = co
        .post(
            &format!("/api/v1/contracts/{id}/cancel"),
            json!({"notice": today().to_string(), "refund_method": "card"}),
        )
        .await;
    assert_eq!(st, 200, "{k}");
    assert_eq!(k["cancellation"]["kind"], "not_covered");
    assert_eq!(k["paid"], 10_000);
}

/// Error 5: cancelling a contract left its future appointments booked. The
/// quote now lists them before confirming (`appointments_to_cancel`), and
/// the cancellation cancels them in the same step; an appointment of
/// another plan, and those of a plan another active contract still covers,
/// stay booked.
#[tokio::test]
async fn cancelling_a_contract_cancels_its_future_appointments() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let admin = Api::new(&app, "admin").await;
    let co = &s.coordinator;
    let day = |n: i64| {
        today()
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    let plan = crate::tests_plans_api::approved_plan(&s, &s.hanako, &day(10)).await;
    let (_, pkg) = admin
        .post(
            "/api/v1/price-items",
            item("CM-IV-5", "package", 5, Some(6), "220000"),
        )
        .await;
    let contract = |plan: Option<&str>| {
        json!({"patient_id": s.hanako, "plan_id": plan, "lines": [{"price_item_id": pkg["id"], "quantity": 1}],
               "starts_on": today().to_string(), "payment_plan": "lump_sum", "purpose": "beauty", "method": "drug"})
    };
    let (st, k) = co.post("/api/v1/contracts", contract(Some(&plan))).await;
    assert_eq!(st, 201, "{k}");
    let id = k["id"].as_str().unwrap().to_string();
    let mut booked = Vec::new();
    for (n, plan_id, room) in [
        (12, Some(&plan), "A"),
        (40, Some(&plan), "A"),
        (20, None, "B"),
    ] {
        let (st, a) = co
            .post(
                "/api/v1/appointments",
                json!({"patient_id": s.hanako, "plan_id": plan_id, "date": day(n), "time": "10:00",
                       "duration_minutes": 30, "room": room}),
            )
            .await;
        assert_eq!(st, 201, "{a}");
        booked.push(a["id"].as_str().unwrap().to_string());
    }

    let quote_path = format!(
        "/api/v1/contracts/{id}/cancellation-quote?notice={}",
        today()
    );
    let (st, q) = co.get(&quote_path).await;
    assert_eq!(st, 200, "{q}");
    let listed: Vec<&str> = q["appointments_to_cancel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [booked[0].as_str(), booked[1].as_str()], "{q}");

    // A second active contract on the same plan: its appointments stay.
    let (_, other) = co.post("/api/v1/contracts", contract(Some(&plan))).await;
    let (_, q2) = co.get(&quote_path).await;
    assert_eq!(q2["appointments_to_cancel"], json!([]), "{q2}");
    let other_id = other["id"].as_str().unwrap();
    let (st, _) = co
        .post(
            &format!("/api/v1/contracts/{other_id}/cancel"),
            json!({"notice": today().to_string(), "refund_method": "cash"}),
        )
        .await;
    assert_eq!(st, 200);

    let (st, k) = co
        .post(
            &format!("/api/v1/contracts/{id}/cancel"),
            json!({"notice": today().to_string(), "refund_method": "cash"}),
        )
        .await;
    assert_eq!(st, 200, "{k}");
    assert_eq!(
        k["cancellation"]["appointments_cancelled"],
        json!([booked[0], booked[1]]),
        "{k}"
    );
    for (a, status) in booked.iter().zip(["cancelled", "cancelled", "booked"]) {
        let row = app
            .store
            .appointment(
                app.store.clinic_by_code("ginza").await.unwrap().unwrap().id,
                uuid::Uuid::parse_str(a).unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status.as_str(), status, "{a}");
    }
}
