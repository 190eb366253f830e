//! The cold-chain screen: import a logger file, see the lot held, refuse an
//! empty acknowledgement, acknowledge.

use crate::tests_supply_api::{Api, product_json};
use crate::*;
use serde_json::json;

#[tokio::test]
async fn import_and_acknowledge_through_the_screen() {
    let app = spawn_app().await;
    let qa = Api::new(&app, "quality").await;
    let (_, product) = qa
        .post("/api/v1/products", product_json("DP-CM-10", None))
        .await;
    let (_, f1) = qa
        .post(
            "/api/v1/locations",
            json!({"code": "F1", "name": "冷凍庫", "min_c": "-85", "max_c": "-60"}),
        )
        .await;
    let (s, _) = qa
        .post("/api/v1/lots", json!({"product_id": product["id"], "lot_number": "L1", "expiry": "2027-03-31", "location_id": f1["id"], "vials": "2"}))
        .await;
    assert_eq!(s, 201);

    let b = app.signed_in("quality", "ja").await;
    let (status, html) = b.page("/supply/coldchain").await;
    assert_eq!(status, 200);
    assert!(html.contains("未確認の温度逸脱はありません。"));
    let csrf = csrf_of(&html);
    // Readings every 10 minutes from `t0`, 50 minutes above the range.
    let log = |t0: jiff::Timestamp| {
        let mut csv = String::from("timestamp,temperature_c\n");
        for i in 0..12 {
            let t = t0 + jiff::SignedDuration::from_mins(i * 10);
            csv.push_str(&format!(
                "{t},{}\n",
                if (2..7).contains(&i) { "-40" } else { "-80" }
            ));
        }
        csv
    };
    let before_arrival = log(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3));
    let csv = log(jiff::Timestamp::now() - jiff::SignedDuration::from_mins(10));
    let upload = |csv: String, csrf: String| {
        let form = reqwest::multipart::Form::new()
            .text("location_id", f1["id"].as_str().unwrap().to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("F1.csv"),
            );
        b.http
            .post(format!("{}/supply/coldchain/imports?csrf={csrf}", b.base))
            .header("accept-language", "ja")
            .multipart(form)
            .send()
    };
    // Without the token in the query string the upload is refused.
    let r = upload(csv.clone(), "0".repeat(64)).await.unwrap();
    assert_eq!(r.status(), 403);
    // An excursion before the lot arrived does not hold it.
    let r = upload(before_arrival, csrf.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("温度逸脱: 1件") && !html.contains("保留にしたロット"),
        "{html}"
    );
    let r = upload(csv.clone(), csrf.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("12件の記録を取り込みました。温度逸脱: 1件"),
        "{html}"
    );
    assert!(html.contains("保留にしたロット: L1"));
    // A broken file names its line, and nothing is imported.
    let r = upload(
        "timestamp,temperature_c\n2026-11-22T00:00:00Z,warm\n".into(),
        csrf.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("2行目 2列目の温度を読み取れません。")
    );

    let (_, html) = b.page("/supply/coldchain").await;
    assert_eq!(html.matches("data-testid=\"open-excursion\"").count(), 2);
    assert_eq!(html.matches("data-testid=\"import\"").count(), 2);
    let chart = b
        .get(&format!(
            "/supply/coldchain/imports/{}/chart.svg",
            app.store
                .temperature_imports(app.ginza.id, None)
                .await
                .unwrap()[0]
                .id
        ))
        .await;
    assert_eq!(
        chart.headers().get("content-type").unwrap(),
        "image/svg+xml; charset=utf-8"
    );
    let open = app.store.excursions(app.ginza.id, true).await.unwrap();
    let first = open.iter().find(|e| e.lots.is_empty()).unwrap().id;
    let r = b
        .post_form(
            &format!("/supply/coldchain/excursions/{first}/acknowledge"),
            &[("csrf", &csrf), ("comment", "入庫前の記録")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let exc = open.iter().find(|e| e.lots == ["L1"]).unwrap().id;
    let r = b
        .post_form(
            &format!("/supply/coldchain/excursions/{exc}/acknowledge"),
            &[("csrf", &csrf), ("comment", " ")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("コメントを入力してください。")
    );
    let r = b
        .post_form(
            &format!("/supply/coldchain/excursions/{exc}/acknowledge"),
            &[
                ("csrf", &csrf),
                ("comment", "扉の閉め忘れ。品質影響なしと判断"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = b.page("/supply/coldchain").await;
    assert!(
        html.contains("未確認の温度逸脱はありません。")
            && html.contains("扉の閉め忘れ。品質影響なしと判断")
    );
    // A nurse sees the screen but cannot import or acknowledge.
    let nurse = app.signed_in("nurse", "ja").await;
    let (s, html) = nurse.page("/supply/coldchain").await;
    assert_eq!(s, 200);
    assert!(!html.contains("data-testid=\"import-form\""));
}
