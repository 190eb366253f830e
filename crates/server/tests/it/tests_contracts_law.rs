//! Issue 16, "contracts that hold in law": for each error the attack
//! first, then the fix holding. A monthly plan bought for six months is
//! covered; a non-covered contract has no cooling-off; a backdated receipt
//! of the contract document is refused; cancelling cancels the contract's
//! future appointments; two concurrent payments of the whole balance: one
//! succeeds.

use crate::tests_plans_api::{setup, today};
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
    let s = setup(&app).await;
    let admin = Api::new(&app, "admin").await;
    let co = &s.coordinator;
    let (_, pkg) = admin
        .post(
            "/api/v1/price-items",
            item("CM-IV-5", "package", 5, Some(6), "220000"),
        )
        .await;
    let k = sell(co, &s.hanako, &pkg["id"], 1, "beauty").await;
    let id = k["id"].as_str().unwrap().to_string();
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
