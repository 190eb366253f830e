//! The supply-and-quality web UI, driven like a browser: forms, field
//! errors in the person's language, receive by scan, release refused with
//! every reason, release with the password, stock movements with a witness,
//! roles and clinic isolation.

use crate::harness::*;

const GTIN: &str = "04912345678904";

/// The HTML of the element with `data-testid`, up to its closing tag
/// (elements used here do not nest their own tag).
fn section<'a>(html: &'a str, testid: &str) -> &'a str {
    let marker = format!("data-testid=\"{testid}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {testid} in page"));
    let open = html[..at].rfind('<').unwrap();
    let tag: String = html[open + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let close = format!("</{tag}>");
    let end = html[at..]
        .find(&close)
        .map(|i| at + i + close.len())
        .unwrap_or(html.len());
    &html[open..end]
}

fn product_form<'a>(csrf: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("code", code),
        ("name", "歯髄幹細胞培養上清液 10mL"),
        ("name_en", "Dental pulp CM 10 mL"),
        ("kind", "conditioned_medium"),
        ("sources", "dental_pulp"),
        ("sources", "deciduous_dental_pulp"),
        ("manufacturer", "テスト製薬"),
        ("facility", "東京細胞加工センター"),
        ("licence_no", "FA3000001"),
        ("country", "JP"),
        ("donor_info", "documented_domestic"),
        ("factors", "egf"),
        ("factors", "vegf"),
        ("vial_volume_ml", "10"),
        ("storage_min_c", "-85"),
        ("storage_max_c", "-65"),
        ("in_use_minutes", "120"),
        ("excursion_tolerance_minutes", "30"),
        ("routes", "iv_drip"),
        ("routes", "nasal"),
        ("gtin", GTIN),
        ("regime", "unapproved"),
        ("approved_equivalent", "none"),
        ("how_obtained", "国内の再生医療等製品製造施設から購入"),
        ("foreign_safety_info", ""),
        ("endotoxin_limit", "0.5"),
        ("spec_tests", "sterility_bacteria"),
        ("spec_tests", "sterility_fungi"),
        ("spec_tests", "endotoxin"),
        ("spec_tests", "mycoplasma"),
        ("spec_tests", "virus_hbv"),
        ("spec_tests", "virus_hcv"),
        ("spec_tests", "virus_hiv"),
        ("spec_tests", "virus_htlv1"),
        ("spec_tests", "syphilis"),
        ("spec_tests", "parvovirus_b19"),
    ]
}

const TEST_NAMES_JA: [&str; 10] = [
    "無菌試験（細菌）",
    "無菌試験（真菌）",
    "エンドトキシン",
    "マイコプラズマ",
    "ウイルス（HBV/HBs抗原）",
    "ウイルス（HCV）",
    "ウイルス（HIV-1/2）",
    "ウイルス（HTLV-1）",
    "梅毒",
    "パルボウイルスB19",
];

const TESTS: [&str; 10] = [
    "sterility_bacteria",
    "sterility_fungi",
    "endotoxin",
    "mycoplasma",
    "virus_hbv",
    "virus_hcv",
    "virus_hiv",
    "virus_htlv1",
    "syphilis",
    "parvovirus_b19",
];

/// A multipart upload, as a browser sends it (the token in the query).
async fn upload(
    b: &Browser,
    path: &str,
    csrf: &str,
    filename: &str,
    ct: &str,
    data: &[u8],
) -> reqwest::Response {
    let boundary = "----joUseiBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b.http
        .post(format!("{}{path}?csrf={csrf}", b.base))
        .header("accept-language", b.lang)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn quality_user_goes_from_product_to_released_lot_and_moves_stock() {
    let app = spawn_app().await;
    let q = app.signed_in("quality", "ja").await;
    let csrf = q.csrf("/supply").await;

    // The navigation leads to the supply area.
    let (s, home) = q.page("/").await;
    assert_eq!(s, 200);
    assert!(
        home.contains("href=\"/supply\""),
        "supply is linked from home and nav"
    );

    // 1. A product with bad fields: every problem next to its field, in Japanese, nothing saved.
    let (s, html) = q.page("/supply/products/new").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("name=\"spec_tests\" value=\"endotoxin\" checked"),
        "the seeds' specification is preset"
    );
    let mut bad = product_form(&csrf, "x");
    bad.retain(|(k, _)| *k != "routes");
    for (k, v) in bad.iter_mut() {
        if *k == "storage_min_c" {
            *v = "-60";
        }
    }
    let r = q.post_form("/supply/products", &bad).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        section(&html, "error-code").contains("コードは2〜32文字"),
        "{html}"
    );
    assert!(section(&html, "error-routes").contains("投与経路を1つ以上選んでください。"));
    assert!(section(&html, "error-storage_max").contains("下限が上限を上回っています"));
    assert!(section(&html, "form-error").contains("入力内容を確認してください"));
    // What was typed stays in the form.
    assert!(html.contains("value=\"テスト製薬\""));
    assert!(html.contains("name=\"sources\" value=\"dental_pulp\" checked"));
    assert!(
        app.store.products(app.ginza.id).await.unwrap().is_empty(),
        "nothing saved"
    );

    // The same in English for an English speaker.
    let en = app.signed_in("quality", "en").await;
    let en_csrf = en.csrf("/supply").await;
    let bad_en: Vec<(&str, &str)> = bad
        .iter()
        .map(|(k, v)| {
            if *k == "csrf" {
                (*k, en_csrf.as_str())
            } else {
                (*k, *v)
            }
        })
        .collect();
    let r = en.post_form("/supply/products", &bad_en).await;
    assert_eq!(r.status(), 422);
    let html_en = r.text().await.unwrap();
    assert!(
        section(&html_en, "error-routes").contains("route"),
        "{}",
        section(&html_en, "error-routes")
    );

    // 2. The product, then a taken code named at the code field.
    let r = q
        .post_form("/supply/products", &product_form(&csrf, "DP-CM-10"))
        .await;
    assert_eq!(r.status(), 303);
    let product_path = location(&r);
    assert!(
        product_path.starts_with("/supply/products/"),
        "{product_path}"
    );
    let r = q
        .post_form("/supply/products", &product_form(&csrf, "DP-CM-10"))
        .await;
    assert_eq!(r.status(), 409);
    assert!(section(&r.text().await.unwrap(), "error-code").contains("すでに使われています"));
    let (s, html) = q.page(&product_path).await;
    assert_eq!(s, 200);
    assert!(html.contains("作成しました") || html.contains("登録しました"));
    assert!(html.contains("歯髄") && html.contains("VEGF") && html.contains("点鼻"));

    // A revision needs a reason; with one it becomes version 2, history kept.
    let product_id = product_path
        .trim_start_matches("/supply/products/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut rev = product_form(&csrf, "DP-CM-10");
    for (k, v) in rev.iter_mut() {
        if *k == "in_use_minutes" {
            *v = "90";
        }
    }
    let r = q
        .post_form(&format!("/supply/products/{product_id}/revise"), &rev)
        .await;
    assert_eq!(r.status(), 422);
    assert!(section(&r.text().await.unwrap(), "error-reason").contains("理由を入力してください。"));
    assert_eq!(
        app.store
            .product_versions(app.ginza.id, product_id.parse().unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    rev.push(("reason", "メーカーの添付文書改訂（使用可能時間 90分）"));
    let r = q
        .post_form(&format!("/supply/products/{product_id}/revise"), &rev)
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = q.page(&format!("/supply/products/{product_id}")).await;
    let versions = section(&html, "product-versions");
    assert!(
        versions.contains("メーカーの添付文書改訂") && versions.contains("初版"),
        "{versions}"
    );

    // 3. Locations, with a field error first.
    let r = q
        .post_form(
            "/supply/locations",
            &[
                ("csrf", &csrf),
                ("code", "FZ-1"),
                ("name", "超低温フリーザー1"),
                ("min_c", "寒い"),
                ("max_c", "-60"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(section(&r.text().await.unwrap(), "error-min_c").contains("温度を数値で"));
    assert!(app.store.locations(app.ginza.id).await.unwrap().is_empty());
    for (code, name) in [("FZ-1", "超低温フリーザー1"), ("FZ-2", "超低温フリーザー2")]
    {
        let r = q
            .post_form(
                "/supply/locations",
                &[
                    ("csrf", &csrf),
                    ("code", code),
                    ("name", name),
                    ("min_c", "-90"),
                    ("max_c", "-60"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let locs = app.store.locations(app.ginza.id).await.unwrap();
    let fz1 = locs
        .iter()
        .find(|l| l.code == "FZ-1")
        .unwrap()
        .id
        .to_string();
    let fz2 = locs
        .iter()
        .find(|l| l.code == "FZ-2")
        .unwrap()
        .id
        .to_string();
    let (_, html) = q.page("/supply/locations").await;
    assert!(section(&html, "locations").contains("超低温フリーザー2"));

    // 4. Receive by scanning (typed into the scan field; no JavaScript).
    let (s, html) = q.page("/supply/lots/receive").await;
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"scan-field\""));
    let scan = format!("(01){GTIN}(17)271231(10)LOT-A1");
    let r = q
        .post_form(
            "/supply/lots/receive",
            &[
                ("csrf", &csrf),
                ("data", &scan),
                ("scan", ""),
                ("location_id", &fz1),
                ("vials", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(section(&r.text().await.unwrap(), "error-vials").contains("本数が正しくありません"));
    assert!(app.store.lots(app.ginza.id).await.unwrap().is_empty());
    let r = q
        .post_form(
            "/supply/lots/receive",
            &[
                ("csrf", &csrf),
                ("data", &scan),
                ("scan", ""),
                ("location_id", &fz1),
                ("vials", "10"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let lot_path = location(&r);
    let lot_id = lot_path
        .trim_start_matches("/supply/lots/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, html) = q.page(&lot_path).await;
    assert!(section(&html, "lot-state").contains("検疫中"));
    assert!(section(&html, "lot-number").contains("LOT-A1"));
    assert!(html.contains("2027-12-31"));
    // Every blocker is listed before anyone presses release.
    let blockers = section(&html, "release-blockers");
    for name in TEST_NAMES_JA {
        assert!(blockers.contains(name), "{name} missing in {blockers}");
    }

    // A scan with a warning (day 00) needs confirming; the warning is shown in words.
    let scan0 = format!("(01){GTIN}(17)271200(10)LOT-B2");
    let r = q
        .post_form(
            "/supply/lots/receive",
            &[
                ("csrf", &csrf),
                ("data", &scan0),
                ("location_id", &fz2),
                ("vials", "2"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        section(&html, "scan-warnings").contains("2027-12-31"),
        "{}",
        section(&html, "scan-warnings")
    );
    assert!(html.contains("data-testid=\"confirm-warnings\""));
    assert_eq!(app.store.lots(app.ginza.id).await.unwrap().len(), 1);
    let r = q
        .post_form(
            "/supply/lots/receive",
            &[
                ("csrf", &csrf),
                ("scan_pending", &scan0),
                ("confirm_warnings", "1"),
                ("location_id", &fz2),
                ("vials", "2"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    // 5. Release refused: every reason on the page, localised with the test names.
    let r = q
        .post_form(
            &format!("/supply/lots/{lot_id}/state"),
            &[
                ("csrf", &csrf),
                ("action", "release"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    let items = section(&html, "release-error-items");
    for name in TEST_NAMES_JA {
        assert!(
            items.contains(&format!("必要な試験結果がありません: {name}")),
            "{name} missing in {items}"
        );
    }
    let r = q
        .post_form(
            &format!("/supply/lots/{lot_id}/state"),
            &[
                ("csrf", &csrf),
                ("action", "release"),
                ("password", "wrong-Password-1!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(section(&r.text().await.unwrap(), "release-error-password").contains("パスワード"));

    // 6. A certificate: a PDF is kept with its SHA-256; a text file is refused.
    let r = upload(
        &q,
        &format!("/supply/lots/{lot_id}/certificates"),
        &csrf,
        "notes.txt",
        "text/plain",
        b"hello",
    )
    .await;
    assert_eq!(r.status(), 415);
    assert!(section(&r.text().await.unwrap(), "certificate-error").contains("PDF"));
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let r = upload(
        &q,
        &format!("/supply/lots/{lot_id}/certificates"),
        &csrf,
        "CoA-LOT-A1.pdf",
        "application/pdf",
        pdf,
    )
    .await;
    assert_eq!(r.status(), 303);
    let certs = app
        .store
        .certificates(app.ginza.id, lot_id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(certs.len(), 1);
    let cert_id = certs[0].id.to_string();
    let r = q.get(&format!("/certificates/{cert_id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf);

    // 7. Results: a bad line refuses the whole form; then every test passes.
    let mut form: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("tested_on_all", "2026-10-01".into()),
        ("certificate_id", cert_id.clone()),
    ];
    form.extend([
        ("test", "endotoxin".to_string()),
        ("method", "比濁法".into()),
        ("outcome", "少し".into()),
        ("unit", "EU/mL".into()),
        ("tested_on", "".into()),
    ]);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = q
        .post_form(&format!("/supply/lots/{lot_id}/results"), &pairs)
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        section(&r.text().await.unwrap(), "results-error-items")
            .contains("結果は「陰性」「陽性」または数値")
    );
    assert!(
        app.store
            .qc_results(app.ginza.id, lot_id.parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    let mut form: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("tested_on_all", "2026-10-01".into()),
        ("certificate_id", cert_id.clone()),
    ];
    for t in TESTS {
        let (method, outcome, unit) = match t {
            "endotoxin" => ("比濁時間分析法", "0.12", "EU/mL"),
            "mycoplasma" => ("PCR法", "陰性", ""),
            _ => ("日局 無菌試験法", "negative", ""),
        };
        form.extend([
            ("test", t.to_string()),
            ("method", method.into()),
            ("outcome", outcome.into()),
            ("unit", unit.into()),
            ("tested_on", "".into()),
        ]);
    }
    // An empty spare line is ignored.
    form.extend([
        ("test", "endotoxin".to_string()),
        ("method", "".into()),
        ("outcome", "".into()),
        ("unit", "".into()),
        ("tested_on", "".into()),
    ]);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = q
        .post_form(&format!("/supply/lots/{lot_id}/results"), &pairs)
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = q.page(&lot_path).await;
    assert!(html.contains("data-testid=\"release-ready\""));
    assert!(section(&html, "check-endotoxin").contains("適合"));
    assert!(section(&html, "spec-table").contains("0.12 EU/mL"));

    // 8. Nurse may not release; quality releases with the password.
    let nurse = app.signed_in("nurse", "ja").await;
    let ncsrf = nurse.csrf("/supply").await;
    let (s, html) = nurse.page(&lot_path).await;
    assert_eq!(s, 200);
    assert!(
        !html.contains("data-testid=\"release-form\""),
        "no release form for a nurse"
    );
    let r = nurse
        .post_form(
            &format!("/supply/lots/{lot_id}/state"),
            &[
                ("csrf", &ncsrf),
                ("action", "release"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = q
        .post_form(
            &format!("/supply/lots/{lot_id}/state"),
            &[
                ("csrf", &csrf),
                ("action", "release"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = q.page(&location(&r)).await;
    assert!(section(&html, "lot-state").contains("使用可"));
    assert!(html.contains("出荷判定しました"));
    assert!(section(&html, "events").contains("quality"));

    // A hold needs a reason, named at the reason field.
    let r = q
        .post_form(
            &format!("/supply/lots/{lot_id}/state"),
            &[("csrf", &csrf), ("action", "hold"), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(
        section(&r.text().await.unwrap(), "state-error-items").contains("理由を入力してください。")
    );

    // 9. Move 3 vials, then destroy 1 with a witness (required, not oneself).
    let mv = format!("/supply/lots/{lot_id}/movements");
    let r = q
        .post_form(
            &mv,
            &[
                ("csrf", &csrf),
                ("kind", "move"),
                ("location_id", &fz1),
                ("quantity", "3"),
                ("to_location_id", &fz2),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = q
        .post_form(
            &mv,
            &[
                ("csrf", &csrf),
                ("kind", "destroy"),
                ("location_id", &fz1),
                ("quantity", "1"),
                ("reason", "破損"),
                ("witness", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        section(&r.text().await.unwrap(), "destroy-error-items")
            .contains("廃棄には立会者が必要です。")
    );
    let r = q
        .post_form(
            &mv,
            &[
                ("csrf", &csrf),
                ("kind", "destroy"),
                ("location_id", &fz1),
                ("quantity", "1"),
                ("reason", "破損"),
                ("witness", "quality"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = q
        .post_form(
            &mv,
            &[
                ("csrf", &csrf),
                ("kind", "destroy"),
                ("location_id", &fz1),
                ("quantity", "1"),
                ("reason", "破損"),
                ("witness", "nurse"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = q
        .post_form(
            &mv,
            &[
                ("csrf", &csrf),
                ("kind", "move"),
                ("location_id", &fz1),
                ("quantity", "99"),
                ("to_location_id", &fz2),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(section(&r.text().await.unwrap(), "move-error-items").contains("在庫が足りません。"));
    let stock = app.store.stock(app.ginza.id).await.unwrap();
    let at = |loc: &str| {
        stock
            .iter()
            .filter(|s| s.lot.id.to_string() == lot_id && s.location_id.to_string() == loc)
            .map(|s| s.vials)
            .sum::<i64>()
    };
    assert_eq!((at(&fz1), at(&fz2)), (6, 3));
    let (_, html) = q.page(&lot_path).await;
    let ledger = section(&html, "movements");
    assert!(
        ledger.contains("廃棄") && ledger.contains("nurse") && ledger.contains("破損"),
        "{ledger}"
    );

    // 10. Dashboard and stock: the quarantined lot (LOT-B2) is never available.
    let (s, html) = q.page("/supply").await;
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"stock-chart\""));
    assert!(section(&html, "quarantined").contains("LOT-B2"));
    assert!(section(&html, "expiring").contains("ありません。"));
    let (s, html) = q.page("/supply/stock").await;
    assert_eq!(s, 200);
    assert!(
        section(&html, "available-total").contains(">9<"),
        "{}",
        section(&html, "available-total")
    );
    assert!(section(&html, "unavailable-total").contains(">2<"));
    assert!(
        section(&html, "fefo").contains("LOT-A1") && !section(&html, "fefo").contains("LOT-B2")
    );
    assert!(section(&html, "unavailable").contains("LOT-B2"));
    let (_, html) = q.page("/supply/lots?state=quarantined").await;
    assert!(
        section(&html, "lots").contains("LOT-B2") && !section(&html, "lots").contains("LOT-A1")
    );

    // 11. Roles: a coordinator reads but may not add products.
    let co = app.signed_in("coordinator", "ja").await;
    assert_eq!(co.page("/supply/products/new").await.0, 403);
    assert_eq!(co.page("/supply/products").await.0, 200);
    let cocsrf = co.csrf("/supply").await;
    let r = co
        .post_form("/supply/products", &product_form(&cocsrf, "CO-1"))
        .await;
    assert_eq!(r.status(), 403);

    // 12. Clinic isolation: the lot, product and certificate are not found in another clinic.
    let umeda = app.signed_in("umeda-admin", "ja").await;
    assert_eq!(umeda.page(&lot_path).await.0, 404);
    assert_eq!(
        umeda
            .page(&format!("/supply/products/{product_id}"))
            .await
            .0,
        404
    );
    assert_eq!(
        umeda
            .get(&format!("/certificates/{cert_id}"))
            .await
            .status(),
        404
    );
    let ucsrf = umeda.csrf("/supply").await;
    let r = umeda
        .post_form(
            &mv,
            &[
                ("csrf", &ucsrf),
                ("kind", "move"),
                ("location_id", &fz1),
                ("quantity", "1"),
                ("to_location_id", &fz2),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
}
