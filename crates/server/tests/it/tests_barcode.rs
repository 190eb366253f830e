//! Barcodes over HTTP: the parse and label API, the scan preview fragment, the scan check and
//! label pages, permissions and CSRF.

use serde_json::{Value, json};

use crate::*;

const GS: &str = "\u{1d}";
const TODAY: &str = "2026-11-22";

/// A signed-in browser and its CSRF token.
async fn session(app: &App, login: &str, lang: &'static str) -> (Browser, String) {
    let b = app.signed_in(login, lang).await;
    let csrf = b.csrf("/account").await;
    (b, csrf)
}

async fn post_json(b: &Browser, csrf: &str, path: &str, body: Value) -> (u16, Value, String) {
    let r = b
        .http
        .post(format!("{}{}", b.base, path))
        .header("accept-language", b.lang)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let v: Value = r.json().await.unwrap();
    (status, v, ct)
}

async fn parse(b: &Browser, csrf: &str, data: &str) -> (u16, Value, String) {
    post_json(
        b,
        csrf,
        "/api/v1/barcode/parse",
        json!({"data": data, "today": TODAY}),
    )
    .await
}

#[tokio::test]
async fn parse_returns_the_normalised_scan() {
    let app = spawn_app().await;
    let (b, csrf) = session(&app, "coordinator", "ja").await;
    let raw = format!("]d2010491234567890417270531{GS}10CM-2611A{GS}21V000123");
    let (status, v, _) = parse(&b, &csrf, &raw).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["kind"], "gs1");
    assert_eq!(v["format"], "element_string");
    assert_eq!(v["symbology_identifier"], "]d2");
    assert_eq!(v["gtin"], "04912345678904");
    assert_eq!(v["lot"], "CM-2611A");
    assert_eq!(v["expiry"], "2027-05-31");
    assert_eq!(v["serial"], "V000123");
    assert_eq!(v["ais"]["10"], "CM-2611A");
    assert_eq!(v["raw"], raw.as_str());
    assert_eq!(v["warnings"], json!([]));
    // Stand-ins, bracketed text, Digital Link and ISBT 128 arrive at the same place.
    for data in [
        "]d2010491234567890417270531<GS>10CM-2611A<GS>21V000123".to_string(),
        "(01)04912345678904(17)270531(10)CM-2611A(21)V000123".to_string(),
        "https://id.example.jp/01/04912345678904/10/CM-2611A/21/V000123?17=270531".to_string(),
    ] {
        let (status, v, _) = parse(&b, &csrf, &data).await;
        assert_eq!(status, 200, "{data}: {v}");
        assert_eq!(
            (&v["gtin"], &v["lot"], &v["expiry"], &v["serial"]),
            (
                &json!("04912345678904"),
                &json!("CM-2611A"),
                &json!("2027-05-31"),
                &json!("V000123")
            ),
            "{data}"
        );
    }
    let (status, v, _) = parse(&b, &csrf, "=G12341765432170").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["kind"], "isbt128");
    assert_eq!(v["din"], "G123417654321");
    // Without `today`, the clinic's date is used; a malformed one is refused.
    let (status, _, _) = post_json(
        &b,
        &csrf,
        "/api/v1/barcode/parse",
        json!({"data": "(01)04912345678904"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, v, ct) = post_json(
        &b,
        &csrf,
        "/api/v1/barcode/parse",
        json!({"data": "(01)04912345678904", "today": "22/11/2026"}),
    )
    .await;
    assert_eq!((status, ct.as_str()), (422, "application/problem+json"));
    assert_eq!(v["code"], "barcode_today_invalid");
    assert_eq!(v["field"], "today");
    assert_eq!(
        v["detail"],
        "基準日: 基準日（today）は YYYY-MM-DD の形式で指定してください。"
    );
}

#[tokio::test]
async fn warnings_are_returned_in_the_callers_language() {
    let app = spawn_app().await;
    for (lang, needle) in [
        ("ja", "区切り文字（GS）が欠けた"),
        ("en", "separator (GS) was lost"),
    ] {
        let (b, csrf) = session(&app, "nurse", lang).await;
        // G13: the GS after the lot is missing; the lot swallowed a best-before date.
        let (status, v, _) = parse(&b, &csrf, "010703206980498810032915210526").await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["lot"], "032915210526");
        let w = &v["warnings"][0];
        assert_eq!(w["code"], "barcode_possible_missing_separator");
        assert_eq!(w["ai"], "10");
        assert_eq!(w["candidates"][0]["kept_value"], "0329");
        assert_eq!(w["candidates"][0]["swallowed"][0]["ai"], "15");
        let msg = w["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{lang}: {msg}");
        // Day 00 is read as the month's last day, with a warning.
        let (_, v, _) = parse(&b, &csrf, "(01)04912345678904(17)271200(10)A").await;
        assert_eq!(v["expiry"], "2027-12-31");
        assert_eq!(v["warnings"][0]["code"], "barcode_day_zero_date");
        assert!(
            v["warnings"][0]["message"]
                .as_str()
                .unwrap()
                .contains("2027-12-31")
        );
    }
}

/// data, code, ai, 0-based position, ja detail, en detail.
type Refusal = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<u64>,
    &'static str,
    &'static str,
);

#[tokio::test]
async fn refusals_say_what_and_where_in_both_languages() {
    let app = spawn_app().await;
    let cases: &[Refusal] = &[
        (
            "]d20112345678901234",
            "barcode_bad_check_digit",
            Some("01"),
            Some(18),
            "項目 (01) 商品コード（GTIN）、19文字目: 「12345678901234」のチェックディジットが正しくありません（4 ですが、正しくは 1）。読み違いか入力ミスです。",
            "field (01) GTIN, character 19: The check digit of '12345678901234' is wrong: it is 4, it should be 1. The code was misread or mistyped.",
        ),
        (
            "(01)04912345678904(17)271331",
            "barcode_invalid_date",
            Some("17"),
            Some(22),
            "項目 (17) 有効期限、23文字目: 「271331」は日付として正しくありません（月が正しくありません）。",
            "field (17) expiry, character 23: '271331' is not a valid date (the month is impossible).",
        ),
        (
            "010491234567890489123",
            "barcode_unknown_ai",
            None,
            Some(16),
            "17文字目: 「89",
            "character 17: '89",
        ),
        (
            "01049123456789",
            "barcode_truncated",
            Some("01"),
            Some(2),
            "項目 (01) 商品コード（GTIN）、3文字目: データが途中で終わっています（14文字必要ですが、12文字しかありません）。",
            "field (01) GTIN, character 3: The data ends too early: 14 characters are needed, 12 are present.",
        ),
        (
            "(01",
            "barcode_malformed_hri",
            None,
            Some(0),
            "括弧付きの表記が正しくありません",
            "The bracketed text is malformed",
        ),
        (
            "https://id.gs1.org/01/09520123456788/21/12345/10/ABC1",
            "barcode_dl_bad_qualifier_order",
            Some("01"),
            Some(37),
            "修飾子の順序が正しくありません（21, 10）",
            "not in an allowed order (21, 10)",
        ),
        (
            "=G12341765432171",
            "barcode_isbt_bad_check_flags",
            Some("001"),
            Some(14),
            "データ構造 001、15文字目: 献血番号（DIN）のフラグ文字 71 がDINのチェック値と一致しません（正しくは 70）。",
            "data structure 001, character 15: The DIN flag characters 71 do not match",
        ),
        (
            "",
            "barcode_empty",
            None,
            Some(0),
            "何も読み取れませんでした",
            "Nothing was scanned",
        ),
    ];
    for lang in ["ja", "en"] {
        let (b, csrf) = session(&app, "physician", lang).await;
        for (data, code, ai, position, ja, en) in cases {
            let (status, v, ct) = parse(&b, &csrf, data).await;
            assert_eq!(status, 422, "{data}: {v}");
            assert_eq!(ct, "application/problem+json");
            assert_eq!(v["code"], *code, "{data}");
            assert_eq!(v["field"], "data");
            assert_eq!(v["ai"].as_str(), *ai, "{data}: {v}");
            assert_eq!(v["position"].as_u64(), *position, "{data}: {v}");
            assert_eq!(v["barcode"]["code"], *code);
            let detail = v["detail"].as_str().unwrap();
            let expected = if lang == "ja" { ja } else { en };
            assert!(
                detail.contains(expected),
                "{lang} {data}: {detail:?} lacks {expected:?}"
            );
            // The title is the message without the place, in the same language.
            let title = v["title"].as_str().unwrap();
            assert!(detail.ends_with(title), "{detail} / {title}");
            let japanese = title.chars().any(|c| c > '\u{3000}');
            assert_eq!(japanese, lang == "ja", "{lang}: {title}");
        }
    }
    // Nothing is written by parsing, refused or not.
    assert!(
        !app.audit_actions()
            .await
            .iter()
            .any(|a| a.contains("barcode"))
    );
}

async fn make_labels(b: &Browser, csrf: &str, body: Value) -> (u16, Value) {
    let (status, v, _) = post_json(b, csrf, "/api/v1/barcode/labels", body).await;
    (status, v)
}

#[tokio::test]
async fn labels_scan_back_to_exactly_that_vial() {
    let app = spawn_app().await;
    let (b, csrf) = session(&app, "quality", "ja").await;
    let (status, v) = make_labels(
        &b,
        &csrf,
        json!({
            "gtin": "4912345678904",
            "product_name": "幹細胞培養上清液 5mL",
            "lot": "CM-2611A",
            "expiry": "2027-05-31",
            "first_serial": "V0009",
            "count": 3,
            "today": TODAY
        }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["gtin"], "04912345678904");
    let labels = v["labels"].as_array().unwrap();
    let serials: Vec<&str> = labels
        .iter()
        .map(|l| l["serial"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["V0009", "V0010", "V0011"]);
    for label in labels {
        assert!(label["symbol_svg"].as_str().unwrap().starts_with("<svg"));
        assert!(
            label["label_svg"]
                .as_str()
                .unwrap()
                .contains("LOT CM-2611A")
        );
        assert_eq!(label["text_lines"][0], "幹細胞培養上清液 5mL");
        let element = label["element_string"].as_str().unwrap();
        assert!(element.contains(GS), "variable fields are separated");
        for data in [element, label["scan_data"].as_str().unwrap()] {
            let (status, scan, _) = parse(&b, &csrf, data).await;
            assert_eq!(status, 200, "{scan}");
            assert_eq!(scan["gtin"], "04912345678904");
            assert_eq!(scan["lot"], "CM-2611A");
            assert_eq!(scan["expiry"], "2027-05-31");
            assert_eq!(scan["serial"], label["serial"]);
            assert_eq!(scan["internal_product_id"], Value::Null);
            assert_eq!(scan["warnings"], json!([]));
        }
    }
    // A product without a GTIN: AI (92), serials given as a list.
    let (status, v) = make_labels(
        &b,
        &csrf,
        json!({
            "internal_id": "CM-STD-5",
            "product_name": "Exosome 2mL",
            "lot": "EX-01",
            "expiry": "2027-01-15",
            "serials": ["A-1", "A-2"],
            "today": TODAY
        }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["internal_id"], "CM-STD-5");
    let scan_data = v["labels"][1]["scan_data"].as_str().unwrap().to_string();
    let (_, scan, _) = parse(&b, &csrf, &scan_data).await;
    assert_eq!(scan["internal_product_id"], "CM-STD-5");
    assert_eq!(scan["gtin"], Value::Null);
    assert_eq!(
        (&scan["lot"], &scan["serial"]),
        (&json!("EX-01"), &json!("A-2"))
    );
    // Each sheet is in the audit chain.
    let actions = app.audit_actions().await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "vial_labels_created")
            .count(),
        2
    );
}

#[tokio::test]
async fn label_refusals_name_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let base = json!({
        "gtin": "4912345678904",
        "product_name": "上清液",
        "lot": "L1",
        "expiry": "2027-05-31",
        "first_serial": "V1",
        "count": 2,
        "today": TODAY
    });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let mut both = with("internal_id", json!("X1"));
    both["gtin"] = json!("4912345678904");
    let mut list_and_run = base.clone();
    list_and_run["serials"] = json!(["A"]);
    let cases: Vec<(Value, &str, &str, Option<&str>, &str)> = vec![
        (
            with("gtin", json!("4912345678900")),
            "label_invalid_field",
            "gtin",
            Some("barcode_bad_check_digit"),
            "GTIN: 「04912345678900」のチェックディジットが正しくありません（0 ですが、正しくは 4）",
        ),
        (
            with("lot", json!("ロット1")),
            "label_invalid_field",
            "lot",
            Some("barcode_invalid_character"),
            "ロット番号: 文字「ロ」はここでは使えません（使える文字: CSET 82）",
        ),
        (
            with("lot", json!("A<GS>B")),
            "label_invalid_field",
            "lot",
            Some("barcode_invalid_value"),
            "区切り文字の代わりに送る文字",
        ),
        (
            with("first_serial", json!("SERIAL-A")),
            "label_serial_not_numbered",
            "first_serial",
            None,
            "末尾に数字がない",
        ),
        (
            with("first_serial", json!(format!("S{}", "9".repeat(40)))),
            "label_invalid_field",
            "first_serial",
            Some("barcode_field_too_long"),
            "最大20文字です",
        ),
        (
            with("first_serial", json!("S99999999999999999999")),
            "label_invalid_field",
            "first_serial",
            Some("barcode_field_too_long"),
            "最初のシリアル番号:",
        ),
        (
            with("expiry", json!("2090-01-01")),
            "label_expiry_out_of_range",
            "expiry",
            None,
            "2桁の年では表せません",
        ),
        (
            with("expiry", json!("31.05.2027")),
            "label_expiry_invalid",
            "expiry",
            None,
            "YYYY-MM-DD",
        ),
        (
            with("count", json!(201)),
            "label_count_out_of_range",
            "count",
            None,
            "1〜200枚",
        ),
        (
            with("gtin", Value::Null),
            "label_product_required",
            "gtin",
            None,
            "GTINまたは院内製品ID",
        ),
        (
            both,
            "label_product_ambiguous",
            "gtin",
            None,
            "どちらか一方",
        ),
        (
            list_and_run,
            "label_serials_conflict",
            "serials",
            None,
            "どちらか一方",
        ),
        (
            with("product_name", json!(" ")),
            "label_name_required",
            "product_name",
            None,
            "製品名を入力",
        ),
    ];
    let (b, csrf) = session(&app, "nurse", "ja").await;
    for (body, code, field, barcode, needle) in &cases {
        let (status, v) = make_labels(&b, &csrf, body.clone()).await;
        assert_eq!(status, 422, "{body}: {v}");
        assert_eq!(v["code"], *code, "{body}: {v}");
        assert_eq!(v["field"], *field, "{body}: {v}");
        assert_eq!(v["barcode"]["code"].as_str(), *barcode, "{body}: {v}");
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.contains(needle), "{detail:?} lacks {needle:?}");
    }
    // English too.
    let (b, csrf) = session(&app, "quality", "en").await;
    let (_, v) = make_labels(&b, &csrf, with("lot", json!("ロット1"))).await;
    assert_eq!(v["title"], "Lot: this value cannot be used on a label.");
    assert_eq!(
        v["detail"],
        "Lot: The character 'ロ' is not allowed here (allowed: CSET 82)."
    );
    assert!(
        !app.audit_actions()
            .await
            .iter()
            .any(|a| a == "vial_labels_created")
    );
}

#[tokio::test]
async fn who_may_scan_and_who_may_print() {
    let app = spawn_app().await;
    let body = json!({
        "gtin": "4912345678904", "product_name": "P", "lot": "L", "expiry": "2027-05-31",
        "first_serial": "1", "count": 1, "today": TODAY
    });
    for (login, may_print) in [
        ("quality", true),
        ("nurse", true),
        ("coordinator", false),
        ("physician", false),
        ("admin", false),
        ("auditor", false),
    ] {
        let (b, csrf) = session(&app, login, "en").await;
        let (status, v) = make_labels(&b, &csrf, body.clone()).await;
        assert_eq!(status == 200, may_print, "{login}: {status} {v}");
        if !may_print {
            assert_eq!((status, v["code"].as_str()), (403, Some("forbidden")));
        }
        let (status, _) = b.page("/labels").await;
        assert_eq!(status == 200, may_print, "{login}: /labels {status}");
        // Everybody signed in may scan.
        let (status, _, _) = parse(&b, &csrf, "(01)04912345678904").await;
        assert_eq!(status, 200, "{login}");
        let (status, html) = b.page("/scan").await;
        assert_eq!(status, 200, "{login}");
        assert!(html.contains("href=\"/scan\""), "{login}: nav has /scan");
        assert_eq!(
            html.contains("href=\"/labels\""),
            may_print,
            "{login}: nav /labels"
        );
    }
    // Not signed in: the API answers 401, the pages send to the sign-in page.
    let anon = app.browser("ja");
    let r = anon
        .http
        .post(app.url("/api/v1/barcode/parse"))
        .json(&json!({"data": "(01)04912345678904"}))
        .send()
        .await
        .unwrap();
    // (An anonymous POST has no session to carry a CSRF token, so that check answers first.)
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "csrf_failed");
    let r = anon
        .http
        .post(app.url("/api/v1/barcode/parse"))
        .bearer_auth("jst_not-a-token")
        .json(&json!({"data": "(01)04912345678904"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = anon.get("/scan").await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/login".into()));
}

#[tokio::test]
async fn api_tokens_can_parse_and_print_without_csrf() {
    let app = spawn_app().await;
    let (b, csrf) = session(&app, "quality", "en").await;
    let (status, v, _) = post_json(&b, &csrf, "/api/v1/tokens", json!({"name": "labels"})).await;
    assert_eq!(status, 201);
    let token = v["token"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let r = http
        .post(app.url("/api/v1/barcode/labels"))
        .bearer_auth(&token)
        .json(
            &json!({"gtin": "04912345678904", "product_name": "P", "lot": "L9",
            "expiry": "2027-05-31", "serials": ["Z1"], "today": TODAY}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let r = http
        .post(app.url("/api/v1/barcode/parse"))
        .bearer_auth(&token)
        .json(&json!({"data": v["labels"][0]["scan_data"], "today": TODAY}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let scan: Value = r.json().await.unwrap();
    assert_eq!(
        (&scan["lot"], &scan["serial"]),
        (&json!("L9"), &json!("Z1"))
    );
}

async fn preview(b: &Browser, csrf: Option<&str>, data: &str) -> (u16, String) {
    let mut req = b
        .http
        .post(format!("{}/scan/preview", b.base))
        .header("accept-language", b.lang)
        .header("hx-request", "true")
        .form(&[
            ("data", data),
            ("diagnostics", "true"),
            ("suffix", "enter"),
            ("ms_per_char", "6"),
        ]);
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn the_preview_fragment_shows_what_was_read_and_needs_csrf() {
    let app = spawn_app().await;
    let (b, csrf) = session(&app, "nurse", "ja").await;
    let raw = format!("]d2010491234567890417270531{GS}10CM-2611A{GS}21V000123");
    // Without the token the preview is refused (it is a POST like any other).
    let (status, html) = preview(&b, None, &raw).await;
    assert_eq!(status, 403, "{html}");
    let (status, html) = preview(&b, Some(&"0".repeat(64)), &raw).await;
    assert_eq!(status, 403, "{html}");

    let (status, html) = preview(&b, Some(&csrf), &raw).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<html"), "a fragment, not a page");
    assert!(html.contains("data-scan-state=\"ok\""), "{html}");
    assert!(html.contains("<dd class=\"mono\" data-testid=\"scan-lot\">CM-2611A</dd>"));
    assert!(html.contains("<dd class=\"mono\" data-testid=\"scan-expiry\">2027-05-31</dd>"));
    assert!(html.contains("data-testid=\"scan-gtin\">04912345678904<"));
    assert!(html.contains("シンボル識別子 ]d2 が送信されています"));
    assert!(html.contains("区切り文字は GS（0x1D）として届きました"));
    assert!(html.contains("1文字あたり平均 6 ミリ秒（スキャナーの速さです）"));
    assert!(!html.contains("data-scan-confirm"), "nothing to confirm");

    // A warning must be confirmed, and the alternative reading is offered.
    let (_, html) = preview(&b, Some(&csrf), "010703206980498810032915210526").await;
    assert!(html.contains("data-scan-state=\"warnings\""), "{html}");
    assert!(html.contains("data-code=\"barcode_possible_missing_separator\""));
    assert!(html.contains("別の読み方: (10) ロット番号 0329 ・ (15) 品質保持期限 2021-05-26"));
    assert!(html.contains("data-scan-reread=\"(01)07032069804988(10)0329(15)210526\""));
    assert!(html.contains("data-scan-accept disabled"));

    // A refusal names what and where, and marks the character.
    let (_, html) = preview(&b, Some(&csrf), "]d20112345678901234").await;
    assert!(html.contains("data-scan-state=\"error\""), "{html}");
    assert!(html.contains("data-code=\"barcode_bad_check_digit\""));
    assert!(html.contains("19文字目"));
    assert!(html.contains("]d2011234567890123<mark>4</mark>"), "{html}");

    let (b, csrf) = session(&app, "nurse", "en").await;
    let (_, html) = preview(&b, Some(&csrf), "]d20112345678901234").await;
    assert!(html.contains("character 19: The check digit of"), "{html}");
    let (_, html) = preview(&b, Some(&csrf), "01049123456789041727053110A<GS>21B").await;
    assert!(
        html.contains("Separators arrived as &#34;&#60;GS&#62;&#34; and were read as GS."),
        "{html}"
    );
}

#[tokio::test]
async fn the_scan_page_works_without_javascript_too() {
    let app = spawn_app().await;
    let (b, _) = session(&app, "coordinator", "en").await;
    let (status, html) = b.page("/scan").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Scan check</h1>"));
    assert!(html.contains("src=\"/assets/scan.js\""));
    assert!(html.contains("hx-post=\"/scan/preview\""));
    assert!(html.contains("data-testid=\"scan-test-symbol\"><svg") || html.contains("<svg"));
    assert!(!html.contains("style="), "no inline style (CSP)");
    let csrf = csrf_of(&html);
    let r = b
        .post_form(
            "/scan",
            &[("csrf", &csrf), ("data", "(01)04912345678904(10)LOT7")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"scan-lot\">LOT7<"), "{html}");
    let js = b.get("/assets/scan.js").await;
    assert_eq!(js.status(), 200);
}

#[tokio::test]
async fn the_label_page_prints_a_sheet() {
    let app = spawn_app().await;
    let (b, _) = session(&app, "quality", "ja").await;
    let (status, html) = b.page("/labels").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>バイアルラベル</h1>"));
    assert!(!html.contains("data-testid=\"label-sheet\""));
    let csrf = csrf_of(&html);
    let form = |lot: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("gtin", "4912345678904".to_string()),
            ("internal_id", String::new()),
            ("product_name", "幹細胞培養上清液 <5mL>".to_string()),
            ("lot", lot.to_string()),
            ("expiry", "2027-05-31".to_string()),
            ("count", "3".to_string()),
            ("first_serial", "V0001".to_string()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let b = &b;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = b.post_form("/labels", &pairs).await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, html) = post(form("CM-2611A")).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(html.matches("data-testid=\"vial-label\"").count(), 3);
    assert_eq!(html.matches("<svg xmlns").count(), 3);
    assert!(html.contains("data-hri=\"(01)04912345678904(17)270531(10)CM-2611A(21)V0003\""));
    assert!(
        html.contains("幹細胞培養上清液 &#60;5mL&#62;") && !html.contains("<5mL>"),
        "names are escaped"
    );
    assert!(html.contains("ラベルシート（3枚）"));
    assert!(html.contains("data-print data-testid=\"labels-print\""));
    assert!(html.contains("ラベル 3枚を作成しました（V0001 〜 V0003）"));
    let (status, html) = post(form("ロット")).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("data-testid=\"form-error\">ロット番号: 文字「ロ」はここでは使えません"),
        "{html}"
    );
    assert!(
        html.contains("value=\"ロット\""),
        "the form keeps what was typed"
    );
    assert!(!html.contains("data-testid=\"vial-label\""));
    let created = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "vial_labels_created")
        .count();
    assert_eq!(created, 1);
}
