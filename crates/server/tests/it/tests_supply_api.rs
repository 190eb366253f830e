//! Supply and quality through the JSON API: product → receive by scan →
//! certificate → refused release with every reason → release → stock →
//! logger import that holds a lot → acknowledge; roles and clinics.

use crate::*;
use serde_json::{Value, json};

pub struct Api {
    pub base: String,
    pub token: String,
    pub lang: &'static str,
}

impl Api {
    pub async fn new(app: &App, login: &str) -> Api {
        let b = app.signed_in(login, "en").await;
        let csrf = b.csrf("/account").await;
        let r = b
            .http
            .post(format!("{}/api/v1/tokens", b.base))
            .header("x-csrf-token", csrf)
            .json(&json!({"name": "t"}))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        Api {
            base: b.base.clone(),
            token: v["token"].as_str().unwrap().to_string(),
            lang: "en",
        }
    }
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", self.lang)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", self.lang)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", self.lang)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    pub async fn post_bytes(&self, path: &str, ct: &str, body: Vec<u8>) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", self.lang)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

pub fn product_json(code: &str, gtin: Option<&str>) -> Value {
    json!({
        "code": code, "name": "歯髄幹細胞培養上清液 10mL", "name_en": "Dental pulp CM 10 mL",
        "kind": "conditioned_medium", "sources": ["dental_pulp"], "manufacturer": "テスト細胞加工（架空）",
        "facility": "東京CPC", "licence_no": "FA0000", "country": "JP", "donor_info": "documented_domestic",
        "factors": ["egf", "bdnf"], "vial_volume_ml": "10", "storage_min_c": "-85", "storage_max_c": "-60",
        "in_use_minutes": "120", "excursion_tolerance_minutes": "30", "routes": ["iv_drip", "nasal"],
        "gtin": gtin, "regime": "unapproved", "how_obtained": "国内の細胞培養加工施設から購入",
        "approved_equivalent": "none"
    })
}

fn codes(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

const GTIN: &str = "04912345000019";

pub async fn setup(app: &App) -> (Api, Value, Value, Value) {
    let qa = Api::new(app, "quality").await;
    let (s, product) = qa
        .post("/api/v1/products", product_json("DP-CM-10", Some(GTIN)))
        .await;
    assert_eq!(s, 201, "{product}");
    let (s, f1) = qa
        .post(
            "/api/v1/locations",
            json!({"code": "F1", "name": "超低温フリーザー", "min_c": "-85", "max_c": "-60"}),
        )
        .await;
    assert_eq!(s, 201, "{f1}");
    let (s, r1) = qa
        .post(
            "/api/v1/locations",
            json!({"code": "R1", "name": "冷蔵庫", "min_c": "2", "max_c": "8"}),
        )
        .await;
    assert_eq!(s, 201, "{r1}");
    (qa, product, f1, r1)
}

#[tokio::test]
async fn product_errors_are_all_listed_and_nothing_is_saved() {
    let app = spawn_app().await;
    let qa = Api::new(&app, "quality").await;
    let mut bad = product_json("x", Some("04912345000011"));
    bad["storage_min_c"] = json!("-50");
    bad["routes"] = json!([]);
    bad["sources"] = json!(["moon"]);
    let (s, v) = qa.post("/api/v1/products", bad).await;
    assert_eq!(s, 422);
    let c = codes(&v);
    for expected in [
        "code_unknown",
        "product_code_invalid",
        "storage_range_inverted",
        "product_route_required",
        "gtin_check_digit",
    ] {
        assert!(
            c.contains(&expected.to_string()),
            "{expected} missing in {c:?}"
        );
    }
    assert!(
        v["errors"].as_array().unwrap().iter().any(|e| e["detail"]
            == "GTIN: The GTIN's check digit is wrong: a misread or a typing mistake.")
    );
    assert_eq!(
        qa.get("/api/v1/products").await.1.as_array().unwrap().len(),
        0
    );
    // The nurse may read products but not create them.
    let nurse = Api::new(&app, "nurse").await;
    assert_eq!(
        nurse
            .post("/api/v1/products", product_json("DP-CM-10", None))
            .await
            .0,
        403
    );
    assert_eq!(nurse.get("/api/v1/products").await.0, 200);
}

#[tokio::test]
async fn receive_certify_release_and_move() {
    let app = spawn_app().await;
    let (qa, product, f1, r1) = setup(&app).await;
    // Receive by scanning the maker's GS1 label.
    let scan = format!("]d201{GTIN}17270331102611A");
    let (s, lot) = qa
        .post(
            "/api/v1/lots",
            json!({"scan": scan, "location_id": f1["id"], "vials": "10"}),
        )
        .await;
    assert_eq!(s, 201, "{lot}");
    assert_eq!(
        (
            lot["lot_number"].as_str(),
            lot["state"].as_str(),
            lot["expiry"].as_str()
        ),
        (Some("2611A"), Some("quarantined"), Some("2027-03-31"))
    );
    assert_eq!(lot["product_id"], product["id"]);
    let id = lot["id"].as_str().unwrap().to_string();
    // The same lot again is refused.
    let (s, v) = qa
        .post(
            "/api/v1/lots",
            json!({"scan": scan, "location_id": f1["id"], "vials": "1"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("lot_exists")));
    // A bad check digit is refused and says where.
    let (s, v) = qa.post("/api/v1/lots", json!({"scan": "(01)04912345000016(17)270331(10)X", "location_id": f1["id"], "vials": "1"})).await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (422, Some("barcode_bad_check_digit"), Some("scan"))
    );

    // Release now: refused with every reason.
    let (s, v) = qa
        .post(
            &format!("/api/v1/lots/{id}/transitions"),
            json!({"action": "release", "password": PASSWORD}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("lot_release_refused")));
    assert_eq!(
        codes(&v)
            .iter()
            .filter(|c| *c == "lot_release_missing_test")
            .count(),
        10
    );
    assert!(
        v["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("A required test result is missing: ")
    );

    // Certificate document: stored with its SHA-256.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n".to_vec();
    let (s, cert) = qa
        .post_bytes(
            &format!("/api/v1/lots/{id}/certificates?filename=CoA.pdf"),
            "application/pdf",
            pdf.clone(),
        )
        .await;
    assert_eq!(s, 201, "{cert}");
    use sha2::Digest;
    assert_eq!(
        cert["sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&pdf))
    );
    let (s, v) = qa
        .post_bytes(
            &format!("/api/v1/lots/{id}/certificates?filename=x.exe"),
            "application/pdf",
            b"MZ\x90\x00".to_vec(),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (415, Some("file_type_unsupported"))
    );
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/certificates/{}",
            qa.base,
            cert["id"].as_str().unwrap()
        ))
        .bearer_auth(&qa.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("content-type").unwrap(), "application/pdf");
    assert!(
        r.headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);

    // Results: one out of specification first.
    let mut results: Vec<Value> = [
        "sterility_bacteria",
        "sterility_fungi",
        "mycoplasma",
        "virus_hbv",
        "virus_hcv",
        "virus_hiv",
        "virus_htlv1",
        "syphilis",
        "parvovirus_b19",
    ]
    .iter()
    .map(|t| json!({"test": t, "method": "NAT", "outcome": "negative", "tested_on": "2026-11-01"}))
    .collect();
    results.push(json!({"test": "endotoxin", "method": "LAL", "outcome": "0.8", "unit": "EU/mL", "tested_on": "2026-11-01"}));
    let (s, v) = qa
        .post(
            &format!("/api/v1/lots/{id}/results"),
            json!({"results": results, "certificate_id": cert["id"]}),
        )
        .await;
    assert_eq!(s, 204, "{v}");
    let (_, view) = qa.get(&format!("/api/v1/lots/{id}")).await;
    assert_eq!(view["gaps"].as_array().unwrap().len(), 1);
    assert_eq!(
        view["release_blockers"][0]["code"],
        "lot_release_test_out_of_spec"
    );
    // A malformed line changes nothing.
    let (s, v) = qa.post(&format!("/api/v1/lots/{id}/results"), json!({"results": [{"test": "endotoxin", "method": "LAL", "outcome": "low", "tested_on": "2026-11-02"}]})).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("outcome_invalid")));
    // A retest within specification.
    let (s, _) = qa.post(&format!("/api/v1/lots/{id}/results"), json!({"results": [{"test": "endotoxin", "method": "LAL", "outcome": "0.2", "unit": "EU/mL", "tested_on": "2026-11-05"}]})).await;
    assert_eq!(s, 204);

    // Release needs the password; a nurse may not release.
    let nurse = Api::new(&app, "nurse").await;
    assert_eq!(
        nurse
            .post(
                &format!("/api/v1/lots/{id}/transitions"),
                json!({"action": "release", "password": PASSWORD})
            )
            .await
            .0,
        403
    );
    let (s, v) = qa
        .post(
            &format!("/api/v1/lots/{id}/transitions"),
            json!({"action": "release", "password": "wrong-password-1!"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("password_incorrect")));
    let (s, v) = qa
        .post(
            &format!("/api/v1/lots/{id}/transitions"),
            json!({"action": "release", "password": PASSWORD}),
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("released")), "{v}");
    let (_, view) = qa.get(&format!("/api/v1/lots/{id}")).await;
    let ev = &view["events"][0];
    assert_eq!(
        (ev["action"].as_str(), ev["actor_login"].as_str()),
        (Some("release"), Some("quality"))
    );
    assert_eq!(
        ev["evidence"]["results"].as_array().unwrap().len(),
        11,
        "what the person saw is recorded"
    );
    assert_eq!(ev["evidence"]["password_confirmed"], true);

    // Stock: move two to the fridge, destroy one with a witness.
    let (s, v) = nurse.post("/api/v1/stock/movements", json!({"lot_id": id, "location_id": f1["id"], "kind": "move", "quantity": "2", "to_location_id": r1["id"]})).await;
    assert_eq!(s, 204, "{v}");
    let (s, v) = nurse.post("/api/v1/stock/movements", json!({"lot_id": id, "location_id": r1["id"], "kind": "destroy", "quantity": "1", "reason": "破損"})).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("witness_required")));
    let (s, _) = nurse.post("/api/v1/stock/movements", json!({"lot_id": id, "location_id": r1["id"], "kind": "destroy", "quantity": "1", "reason": "破損", "witness": "physician"})).await;
    assert_eq!(s, 204);
    let (s, v) = nurse.post("/api/v1/stock/movements", json!({"lot_id": id, "location_id": r1["id"], "kind": "move", "quantity": "5", "to_location_id": f1["id"]})).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("stock_insufficient")));
    let (_, stock) = qa.get("/api/v1/stock").await;
    assert_eq!(stock["per_product"][0]["available"], 9);
    let lines: Vec<(String, i64)> = stock["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["location_code"].as_str().unwrap().to_string(),
                l["vials"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [("F1".to_string(), 8), ("R1".to_string(), 1)]);

    // Recall makes the stock unavailable at once.
    let (s, _) = qa
        .post(
            &format!("/api/v1/lots/{id}/transitions"),
            json!({"action": "recall"}),
        )
        .await;
    assert_eq!(s, 409, "a reason is required");
    let (s, _) = qa
        .post(
            &format!("/api/v1/lots/{id}/transitions"),
            json!({"action": "recall", "reason": "製造元の自主回収"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, stock) = qa.get("/api/v1/stock").await;
    assert_eq!(
        (
            stock["per_product"][0]["available"].as_i64(),
            stock["per_product"][0]["unavailable"].as_i64()
        ),
        (Some(0), Some(9))
    );
}

#[tokio::test]
async fn a_logger_excursion_holds_lots_until_acknowledged_and_released_again() {
    let app = spawn_app().await;
    let (qa, _product, f1, _r1) = setup(&app).await;
    let (_, lot) = qa.post("/api/v1/lots", json!({"scan": format!("(01){GTIN}(17)270331(10)L1"), "location_id": f1["id"], "vials": "3"})).await;
    let id = lot["id"].as_str().unwrap().to_string();
    // A Japanese logger export in Shift_JIS, 10-minute readings, 50 minutes above −60 °C.
    let now = jiff::Timestamp::now().in_tz("Asia/Tokyo").unwrap();
    let mut csv = String::from("シリアル,TL-100-4411\n日付,時刻,温度(℃)\n");
    for i in 0..12 {
        let t = now
            .checked_add(jiff::SignedDuration::from_mins(i * 10))
            .unwrap();
        let temp = if (3..8).contains(&i) {
            "-50.5"
        } else {
            "-80.0"
        };
        csv.push_str(&format!(
            "{},{},{}\n",
            t.strftime("%Y/%m/%d"),
            t.strftime("%H:%M:%S"),
            temp
        ));
    }
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&csv);
    let path = format!(
        "/api/v1/locations/{}/temperature-imports?filename=F1.csv",
        f1["id"].as_str().unwrap()
    );
    let (s, out) = qa.post_bytes(&path, "text/csv", bytes.to_vec()).await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["outcome"]["held_lots"], json!(["L1"]));
    assert_eq!(out["outcome"]["import"]["device"], "TL-100-4411");
    assert_eq!(out["outcome"]["excursions"][0]["minutes"], 50);
    let (s, v) = qa.post_bytes(&path, "text/csv", bytes.to_vec()).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("temperature_import_duplicate"))
    );
    // A broken file names the line.
    let (s, v) = qa
        .post_bytes(
            &path.replace("F1.csv", "bad.csv"),
            "text/csv",
            b"timestamp,temperature_c\n2026-11-22T01:00:00Z,cold\n".to_vec(),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("logger_bad_temperature"))
    );
    assert_eq!(
        v["title"],
        "The temperature on line 2, column 2 cannot be read."
    );

    let (_, view) = qa.get(&format!("/api/v1/lots/{id}")).await;
    assert_eq!(
        (
            view["lot"]["state"].as_str(),
            view["open_excursions"].as_i64()
        ),
        (Some("on_hold"), Some(1))
    );
    let (_, dash) = qa.get("/api/v1/supply/dashboard").await;
    assert_eq!(dash["open_excursions"].as_array().unwrap().len(), 1);
    // The chart is an SVG.
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/temperature-imports/{}/chart.svg",
            qa.base,
            out["outcome"]["import"]["id"].as_str().unwrap()
        ))
        .bearer_auth(&qa.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "image/svg+xml; charset=utf-8"
    );
    assert!(r.text().await.unwrap().starts_with("<svg"));

    // The hold cannot be lifted while the excursion is open.
    let (s, v) = qa
        .post(
            &format!("/api/v1/lots/{id}/transitions"),
            json!({"action": "unhold", "reason": "確認済み"}),
        )
        .await;
    assert_eq!(
        (s, codes(&v)),
        (409, vec!["lot_temperature_excursion".to_string()])
    );
    let exc = out["outcome"]["excursions"][0]["id"].as_str().unwrap();
    let (s, v) = qa
        .post(
            &format!("/api/v1/excursions/{exc}/acknowledge"),
            json!({"comment": " "}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("comment_required")));
    let (s, _) = qa
        .post(
            &format!("/api/v1/excursions/{exc}/acknowledge"),
            json!({"comment": "扉の閉め忘れ50分。製造元に確認し品質影響なし"}),
        )
        .await;
    assert_eq!(s, 204);
    let (s, v) = qa
        .post(
            &format!("/api/v1/lots/{id}/transitions"),
            json!({"action": "unhold", "reason": "製造元の見解により保留解除"}),
        )
        .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (200, Some("quarantined")),
        "back to where it was"
    );
}

#[tokio::test]
async fn disclosure_shows_what_is_missing() {
    let app = spawn_app().await;
    let (qa, product, _, _) = setup(&app).await;
    let pid = product["id"].as_str().unwrap();
    let (s, d) = qa
        .get(&format!("/api/v1/products/{pid}/disclosure?lang=ja"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(d["applies"], true);
    assert_eq!(d["items"].as_array().unwrap().len(), 5);
    let missing: Vec<&str> = d["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["field"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["foreign_safety_info"]);
    let b = app.signed_in("quality", "ja").await;
    let (s, html) = b.page(&format!("/supply/products/{pid}/disclosure")).await;
    assert_eq!(s, 200);
    assert!(html.contains("未承認医薬品等に関する表示"));
    assert!(
        html.contains("諸外国における安全性等に係る情報"),
        "the missing fact is named"
    );
    let (_, html_en) = b
        .page(&format!("/supply/products/{pid}/disclosure?lang=en"))
        .await;
    assert!(html_en.contains("Dental pulp CM 10 mL"));
}

#[tokio::test]
async fn another_clinic_sees_none_of_it() {
    let app = spawn_app().await;
    let (qa, product, f1, _) = setup(&app).await;
    let (_, lot) = qa.post("/api/v1/lots", json!({"scan": format!("(01){GTIN}(17)270331(10)L9"), "location_id": f1["id"], "vials": "3"})).await;
    let other = Api::new(&app, "umeda-admin").await;
    assert_eq!(
        other
            .get(&format!("/api/v1/lots/{}", lot["id"].as_str().unwrap()))
            .await
            .0,
        404
    );
    assert_eq!(
        other
            .get(&format!(
                "/api/v1/products/{}",
                product["id"].as_str().unwrap()
            ))
            .await
            .0,
        404
    );
    assert_eq!(
        other.get("/api/v1/lots").await.1.as_array().unwrap().len(),
        0
    );
    assert_eq!(
        other.get("/api/v1/stock").await.1["lines"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn unreadable_numbers_and_other_problems_come_back_together() {
    let app = spawn_app().await;
    let qa = Api::new(&app, "quality").await;
    let mut bad = product_json("x", None);
    bad["vial_volume_ml"] = json!("lots");
    bad["routes"] = json!([]);
    let (s, v) = qa.post("/api/v1/products", bad).await;
    assert_eq!(s, 422);
    let c = codes(&v);
    for expected in [
        "volume_invalid",
        "product_code_invalid",
        "product_route_required",
    ] {
        assert!(
            c.contains(&expected.to_string()),
            "{expected} missing in {c:?}"
        );
    }
}

/// Guideline item (ii): a personally imported product's disclosure says so and gives the
/// MHLW page 「個人輸入において注意すべき医薬品等について」, in the API and on the printable
/// page, in both languages; a product bought in Japan does not.
#[tokio::test]
async fn personally_imported_products_point_to_the_mhlw_page() {
    const URL: &str = "https://www.yakubutsu.mhlw.go.jp/index.html";
    let app = spawn_app().await;
    let (qa, domestic, _, _) = setup(&app).await;
    let mut body = product_json("IMP-CM-1", None);
    body["personal_import"] = json!("true");
    body["how_obtained"] = json!("医師が海外の製造者から個人輸入");
    let (s, imported) = qa.post("/api/v1/products", body).await;
    assert_eq!(s, 201, "{imported}");
    assert_eq!(imported["facts"]["personal_import"], true);
    let pid = imported["id"].as_str().unwrap();
    for lang in ["ja", "en"] {
        let (s, d) = qa
            .get(&format!("/api/v1/products/{pid}/disclosure?lang={lang}"))
            .await;
        assert_eq!(s, 200);
        let how = &d["items"][1];
        assert_eq!(how["key"], "how_obtained");
        assert!(how["text"].as_str().unwrap().contains(URL), "{how}");
        assert_eq!(how["links"][0]["url"], URL);
        assert_eq!(
            how["links"][0]["title"],
            "個人輸入において注意すべき医薬品等について"
        );
    }
    let b = app.signed_in("quality", "ja").await;
    let (s, html) = b.page(&format!("/supply/products/{pid}/disclosure")).await;
    assert_eq!(s, 200);
    assert!(html.contains("医師の個人輸入により入手した未承認医薬品等です"));
    assert!(
        html.contains(&format!("href=\"{URL}\"")),
        "a link on screen"
    );
    assert!(
        html.contains(&format!("（{URL}）")),
        "the address printed in the text"
    );
    let (_, en) = b
        .page(&format!("/supply/products/{pid}/disclosure?lang=en"))
        .await;
    assert!(en.contains("imported personally by the physician") && en.contains(URL));
    let did = domestic["id"].as_str().unwrap();
    let (_, d) = qa
        .get(&format!("/api/v1/products/{did}/disclosure?lang=ja"))
        .await;
    assert!(
        !d.to_string().contains(URL),
        "not for a product bought in Japan"
    );
    let (_, html) = b.page(&format!("/supply/products/{did}/disclosure")).await;
    assert!(!html.contains(URL));
}

/// A product's GTIN is 8/12/13/14 digits with its check digit, stored as 14 digits: the
/// demo's old 15-digit values are refused, naming the field, and nothing is saved.
#[tokio::test]
async fn a_gtin_is_stored_as_fourteen_digits_with_its_check_digit() {
    let app = spawn_app().await;
    let qa = Api::new(&app, "quality").await;
    for (gtin, code) in [
        ("004912345000019", "gtin_invalid"),
        ("0491234500001X", "gtin_invalid"),
        ("04912345000018", "gtin_check_digit"),
    ] {
        let (s, v) = qa
            .post("/api/v1/products", product_json("BAD-GTIN", Some(gtin)))
            .await;
        assert_eq!(s, 422, "{gtin}: {v}");
        assert_eq!(codes(&v), [code], "{gtin}: {v}");
        assert_eq!(v["errors"][0]["field"], "gtin");
    }
    let (_, list) = qa.get("/api/v1/products").await;
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing saved");
    let (s, p) = qa
        .post(
            "/api/v1/products",
            product_json("JAN-13", Some("4912345000019")),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(
        p["facts"]["gtin"], "04912345000019",
        "a JAN is stored as 14 digits"
    );
}

/// A limit and a measured value carry their scale: the default endotoxin limit is 0.5 EU/mL
/// in the API (`"0.5"`, not `500`), on the product page, and a result of 0.12 EU/mL reads
/// back as `"0.12"` in the lot's view.
#[tokio::test]
async fn quantities_are_decimal_strings_in_their_unit() {
    let app = spawn_app().await;
    let (qa, product, f1, _) = setup(&app).await;
    let pid = product["id"].as_str().unwrap();
    let endotoxin = |p: &Value| {
        p["facts"]["spec"]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["test"] == "endotoxin")
            .cloned()
            .unwrap()
    };
    assert_eq!(
        endotoxin(&product)["criterion"],
        json!({"kind": "at_most", "limit": "0.5", "unit": "EU/mL"})
    );
    let (_, again) = qa.get(&format!("/api/v1/products/{pid}")).await;
    assert_eq!(endotoxin(&again)["criterion"]["limit"], "0.5");
    let mut strict = product_json("STRICT-1", None);
    strict["endotoxin_limit"] = json!("0.25");
    let (s, p2) = qa.post("/api/v1/products", strict).await;
    assert_eq!(s, 201, "{p2}");
    assert_eq!(endotoxin(&p2)["criterion"]["limit"], "0.25");
    let (_, lot) = qa
        .post(
            "/api/v1/lots",
            json!({"scan": format!("(01){GTIN}(17)270331(10)E1"), "location_id": f1["id"], "vials": "2"}),
        )
        .await;
    let id = lot["id"].as_str().unwrap();
    let (s, _) = qa.post(&format!("/api/v1/lots/{id}/results"), json!({"results": [{"test": "endotoxin", "method": "LAL", "outcome": "0.12", "unit": "EU/mL", "tested_on": "2026-11-05"}]})).await;
    assert_eq!(s, 204);
    let (_, view) = qa.get(&format!("/api/v1/lots/{id}")).await;
    assert_eq!(
        view["results"][0]["outcome"],
        json!({"kind": "value", "value": "0.12", "unit": "EU/mL"}),
        "{view}"
    );
    assert_eq!(
        view["product"]["spec"]["tests"][2]["criterion"]["limit"],
        "0.5"
    );
    let b = app.signed_in("quality", "ja").await;
    let (_, html) = b.page(&format!("/supply/products/{pid}")).await;
    assert!(
        html.contains("≤ 0.5 EU/mL"),
        "the page shows the limit with its scale"
    );
    assert!(!html.contains("500 EU/mL"));
}

/// A released lot past its expiry (the clinic's today in Asia/Tokyo) with vials on hand
/// shows as expired, never as usable, and the dashboard lists it for destruction.
#[tokio::test]
async fn expired_stock_shows_as_expired_and_is_listed_for_destruction() {
    use jousei_core::supply::lot::LotAction;
    use jousei_store::Actor;
    use jousei_store::supply::NewLot;
    let app = spawn_app().await;
    let (qa, product, f1, _) = setup(&app).await;
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .date();
    let mut ids = Vec::new();
    for (number, days) in [("AD-2605", -3), ("DP-2612", 60)] {
        let lot = app
            .store
            .receive_lot(
                &Actor::system("test"),
                app.ginza.id,
                &NewLot {
                    product_id: product["id"].as_str().unwrap().parse().unwrap(),
                    lot_number: number.into(),
                    expiry: today.checked_add(jiff::Span::new().days(days)).unwrap(),
                    expiry_time: None,
                    location_id: f1["id"].as_str().unwrap().parse().unwrap(),
                    vials: 2,
                    supplier_ref: None,
                    scan_raw: None,
                },
            )
            .await
            .unwrap();
        crate::tests_care_api::decide(&app, app.ginza.id, lot.id, LotAction::Release).await;
        ids.push(lot.id);
    }
    let (s, d) = qa.get("/api/v1/supply/dashboard").await;
    assert_eq!(s, 200);
    let expired = d["expired_stock"].as_array().unwrap();
    assert_eq!(expired.len(), 1, "{d}");
    assert_eq!(expired[0]["lot"]["lot_number"], "AD-2605");
    assert_eq!(expired[0]["location_code"], "F1");
    assert_eq!(expired[0]["vials"], 2);
    let b = app.signed_in("quality", "ja").await;
    let (_, html) = b.page("/supply").await;
    let section = html
        .split("data-testid=\"expired-stock\"")
        .nth(1)
        .expect("the dashboard lists expired stock")
        .split("</table>")
        .next()
        .unwrap();
    assert!(
        section.contains("AD-2605") && section.contains("期限切れ"),
        "{section}"
    );
    assert!(!section.contains("DP-2612"));
    let (_, lot_page) = b.page(&format!("/supply/lots/{}", ids[0])).await;
    let state = lot_page
        .split("data-testid=\"lot-state\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert_eq!(state, "期限切れ", "not 使用可");
    let (_, stock) = b.page("/supply/stock").await;
    let row = stock.split("<tr").find(|r| r.contains("AD-2605")).unwrap();
    assert!(row.contains("期限切れ") && !row.contains("使用可"), "{row}");
    let (_, fresh) = b.page(&format!("/supply/lots/{}", ids[1])).await;
    assert!(fresh.contains("data-testid=\"lot-state\">使用可<"));
}

/// An ISBT 128 label resolves to the product that records its Product Description Code and
/// to the lot of its DIN; its expiry date and time (005), like a GS1 (7003), is kept whole.
#[tokio::test]
async fn isbt128_and_7003_scans_resolve_and_keep_the_expiry_time() {
    let app = spawn_app().await;
    let (qa, _, f1, _) = setup(&app).await;
    let isbt = "=G12341765432170=<S12954A0&>0273652359";
    let (s, v) = qa
        .post(
            "/api/v1/lots",
            json!({"scan": isbt, "location_id": f1["id"], "vials": "1"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (422, Some("product_isbt_unknown"), Some("scan")),
        "{v}"
    );
    assert!(v["detail"].as_str().unwrap().contains("S1295"), "{v}");
    let mut body = product_json("UC-CELL-1", None);
    body["isbt_product_code"] = json!("s1295");
    let (s, product) = qa.post("/api/v1/products", body).await;
    assert_eq!(s, 201, "{product}");
    assert_eq!(product["facts"]["isbt_product_code"], "S1295");
    let mut bad = product_json("UC-CELL-2", None);
    bad["isbt_product_code"] = json!("S12");
    let (s, v) = qa.post("/api/v1/products", bad).await;
    assert_eq!(
        (s, codes(&v)),
        (422, vec!["isbt_product_code_invalid".to_string()])
    );
    let (s, lot) = qa
        .post(
            "/api/v1/lots",
            json!({"scan": isbt, "location_id": f1["id"], "vials": "1"}),
        )
        .await;
    assert_eq!(s, 201, "{lot}");
    assert_eq!(lot["product_id"], product["id"]);
    assert_eq!(lot["lot_number"], "G123417654321", "the DIN");
    assert_eq!(
        (lot["expiry"].as_str(), lot["expiry_time"].as_str()),
        (Some("2027-12-31"), Some("23:59:00"))
    );
    let gs1 = format!("(01){GTIN}(7003)2712311530(10)L7003");
    let (s, lot2) = qa
        .post(
            "/api/v1/lots",
            json!({"scan": gs1, "location_id": f1["id"], "vials": "1"}),
        )
        .await;
    assert_eq!(s, 201, "{lot2}");
    assert_eq!(
        (lot2["expiry"].as_str(), lot2["expiry_time"].as_str()),
        (Some("2027-12-31"), Some("15:30:00"))
    );
    let (_, view) = qa
        .get(&format!("/api/v1/lots/{}", lot["id"].as_str().unwrap()))
        .await;
    assert_eq!(view["lot"]["expiry_time"], "23:59:00");
    let b = app.signed_in("quality", "ja").await;
    let (_, html) = b
        .page(&format!("/supply/lots/{}", lot["id"].as_str().unwrap()))
        .await;
    assert!(html.contains("2027-12-31 23:59"), "the page shows the time");
}
