//! The contract pages: a coordinator sells a package (covered, with the
//! reasons), is told to set the clinic's profile before the documents,
//! makes both documents, records the paper handover (electronic refused
//! without consent), takes a payment with its receipt, quotes and executes
//! a cancellation within the cooling-off.

use crate::tests_care_api::chair;
use crate::tests_supply_api::Api;
use crate::*;
use serde_json::json;

#[tokio::test]
async fn sell_documents_pay_and_cancel_in_the_pages() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let admin = Api::new(&app, "admin").await;
    let (st, pkg) = admin
        .post(
            "/api/v1/price-items",
            json!({"code": "CM-SKIN-5", "name_ja": "上清液 肌注射 5回コース", "name_en": "Skin injection, 5 sessions",
                   "kind": "package", "sessions": 5, "period_months": 6, "price": "110000", "tax_rate": "standard",
                   "route": "skin_injection", "usual_course": "通常5回（2〜4週ごと）", "main_risks": "痛み・内出血・腫れ"}),
        )
        .await;
    assert_eq!(st, 201, "{pkg}");
    let b = app.signed_in("coordinator", "ja").await;
    let (st, html) = b.page("/contracts").await;
    assert_eq!(st, 200);
    assert!(
        html.contains("110,000円（税込、うち消費税 10,000円）"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let pkg_id = pkg["id"].as_str().unwrap();
    let today = crate::tests_plans_api::today().to_string();
    let r = b
        .post_form(
            "/contracts/new",
            &[
                ("csrf", csrf.as_str()),
                ("patient_number", c.hanako_number.as_str()),
                ("price_item_id", pkg_id),
                ("quantity", "1"),
                ("starts_on", today.as_str()),
                ("payment_plan", "lump_sum"),
                ("purpose", "beauty"),
                ("method", "drug"),
                ("action", "make"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = location(&r);
    let id = page
        .trim_start_matches("/contracts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, html) = b.page(&page).await;
    assert!(html.contains("特定商取引法の適用あり") && html.contains("美容を目的とする施術です。"));
    assert!(html.contains("未開始（契約書面が未受領）"));

    // The documents need the clinic's profile first.
    let make = |kind: &'static str| {
        let csrf = csrf.clone();
        let b = &b;
        let path = format!("/contracts/{id}/documents");
        async move {
            b.post_form(&path, &[("csrf", csrf.as_str()), ("kind", kind)])
                .await
        }
    };
    let r = make("contract").await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("事業者情報"));
    // The admin sets it in the page (a malformed registration number first).
    let ad = app.signed_in("admin", "ja").await;
    let (st, html) = ad.page("/contracts/profile").await;
    assert_eq!(st, 200);
    let ad_csrf = csrf_of(&html);
    let mut profile = vec![
        ("csrf", ad_csrf.as_str()),
        ("legal_name", "医療法人社団 銀座再生会"),
        ("address", "東京都中央区銀座1-2-3"),
        ("phone", "03-1234-5678"),
        ("representative", "理事長 佐藤 直子"),
        ("advance_payment_protection", "保全措置なし"),
        ("registration_number", "T12"),
    ];
    let r = ad.post_form("/contracts/profile", &profile).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=\"error-registration_number\"")
    );
    profile.pop();
    let r = ad.post_form("/contracts/profile", &profile).await;
    assert_eq!(r.status(), 303);
    // And adds a price item in the page: the risks are required.
    let mut price = vec![
        ("csrf", ad_csrf.as_str()),
        ("code", "CM-IV-1"),
        ("name_ja", "上清液 点滴 単回"),
        ("name_en", "IV drip, single"),
        ("kind", "single"),
        ("sessions", "1"),
        ("price", "55000"),
        ("usual_course", "単回"),
        ("main_risks", ""),
    ];
    let r = ad.post_form("/contracts/prices", &price).await;
    assert_eq!(r.status(), 422);
    price.pop();
    price.push(("main_risks", "穿刺部の痛み・内出血"));
    let r = ad.post_form("/contracts/prices", &price).await;
    assert_eq!(r.status(), 303);
    let (_, html) = b.page("/contracts").await;
    assert!(html.contains("CM-IV-1 上清液 点滴 単回") && html.contains("55,000円"));
    assert_eq!(make("summary").await.status(), 303);
    assert_eq!(make("contract").await.status(), 303);
    let (_, html) = b.page(&format!("/contracts/{id}")).await;
    assert_eq!(html.matches("data-testid=\"doc\"").count(), 2);
    let contract_doc = {
        let (_, k) =
            c.s.coordinator
                .get(&format!("/api/v1/contracts/{id}"))
                .await;
        k["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "contract")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = b
        .get(&format!("/contracts/{id}/documents/{contract_doc}/pdf"))
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    let hand = format!("/contracts/{id}/documents/{contract_doc}/handover");
    let r = b
        .post_form(
            &hand,
            &[
                ("csrf", csrf.as_str()),
                ("method", "electronic"),
                ("received_on", today.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("事前の承諾"));
    let r = b
        .post_form(
            &hand,
            &[
                ("csrf", csrf.as_str()),
                ("method", "paper"),
                ("received_on", today.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = b.page(&format!("/contracts/{id}")).await;
    assert!(html.contains("残り 8 日"), "{html}");

    // A payment with its receipt; then the cancellation within the 8 days.
    let r = b
        .post_form(
            &format!("/contracts/{id}/payments"),
            &[
                ("csrf", csrf.as_str()),
                ("amount", "50,000"),
                ("method", "card"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = b.page(&format!("/contracts/{id}?notice={today}")).await;
    assert!(html.contains("No. 1"));
    // The receipt, printable: the tax at its rate, computed once.
    let href = html
        .split("href=\"")
        .find(|x| x.contains("/receipts/"))
        .and_then(|x| x.split('"').next())
        .unwrap()
        .to_string();
    let (st, receipt) = b.page(&href).await;
    assert_eq!(st, 200);
    assert!(
        receipt.contains("領収書") && receipt.contains("4,545円") && receipt.contains("未登録")
    );
    // The reports: paid in advance, not yet earned (no session given).
    let (st, rep) = b.page("/contracts/reports").await;
    assert_eq!(st, 200);
    assert!(rep.contains("前受金") && rep.contains("50,000円"), "{rep}");
    assert!(
        html.contains("data-testid=\"quote-refund\">50,000円"),
        "{html}"
    );
    let r = b
        .post_form(
            &format!("/contracts/{id}/cancel"),
            &[
                ("csrf", csrf.as_str()),
                ("notice", today.as_str()),
                ("refund_method", "transfer"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = b.page(&format!("/contracts/{id}")).await;
    assert!(html.contains("解約済み") && html.contains("data-testid=\"cancellation-steps\""));

    // Physicians read, nurses do not.
    let nurse = app.signed_in("nurse", "en").await;
    let (st, _) = nurse.page("/contracts").await;
    assert_eq!(st, 403);
}
