//! The chair-side pages: a nurse scans a recalled vial and is stopped
//! (the record button disabled, the reason in words), scans the blend's
//! two vials, records with the blood-donation notice, is asked for a
//! physician's decision on the next dose the same day, records it with a
//! physician's co-signature; the record page, a correction, a void; the
//! lookback page both ways.

use crate::tests_care_api::{Chair, chair};
use crate::*;

fn label(c: &Chair, name: &str, product: &str) -> String {
    let (_, number) = c.lot(name);
    format!("(92){product}(10){number}")
}

fn form<'a>(
    c: &'a Chair,
    csrf: &'a str,
    vials: &'a [(String, &'a str)],
    action: &'a str,
) -> Vec<(&'a str, String)> {
    let mut f = vec![
        ("csrf", csrf.to_string()),
        ("patient_number", c.hanako_number.clone()),
        ("identity_method", "name_and_birth_date".into()),
        ("identity_name", "山田 花子".into()),
        ("identity_birth_date", "1978-05-14".into()),
        ("plan_id", c.plan.clone()),
        ("route", "iv_drip".into()),
        ("location_id", c.location.clone()),
        ("action", action.into()),
    ];
    for (scan, ml) in vials {
        f.push(("vial_scan", scan.clone()));
        f.push(("vial_volume", (*ml).to_string()));
        f.push(("vial_opened", String::new()));
    }
    f
}

async fn post(b: &Browser, path: &str, f: &[(&str, String)]) -> reqwest::Response {
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(path, &f).await
}

#[tokio::test]
async fn a_nurse_is_stopped_records_a_blend_and_a_physician_co_signs_an_override() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let nurse = app.signed_in("nurse", "ja").await;
    let (st, html) = nurse.page("/chair").await;
    assert_eq!(st, 200);
    let csrf = csrf_of(&html);

    // A recalled vial: stopped, the lot named, the record button disabled.
    let vials = [(label(&c, "recalled", "DP-CM-10"), "5")];
    let r = post(&nurse, "/chair", &form(&c, &csrf, &vials, "check")).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"finding-lot_recalled\""),
        "{html}"
    );
    assert!(
        html.contains("DP-R9") && html.contains("回収"),
        "the reason in Japanese"
    );
    assert!(html.contains("data-testid=\"chair-record\" disabled"));
    // Recording anyway is refused and nothing is written.
    let r = post(&nurse, "/chair", &form(&c, &csrf, &vials, "record")).await;
    assert_eq!(r.status(), 409);
    let (_, list) = c
        .nurse
        .get(&format!("/api/v1/patients/{}/administrations", c.s.hanako))
        .await;
    assert_eq!(list, serde_json::json!([]));

    // The blend's two vials: the check passes; the notice must be recorded.
    let blend = [
        (label(&c, "dp", "DP-CM-10"), "5"),
        (label(&c, "uc", "UC-CM-05"), "5"),
    ];
    let r = post(&nurse, "/chair", &form(&c, &csrf, &blend, "check")).await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"finding-blood_donation_notice\""),
        "{html}"
    );
    assert!(!html.contains("data-testid=\"chair-record\" disabled"));
    let r = post(&nurse, "/chair", &form(&c, &csrf, &blend, "record")).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=\"error-blood_donation_notice_given\"")
    );
    let mut f = form(&c, &csrf, &blend, "record");
    f.push(("blood_donation_notice_given", "1".into()));
    f.push(("observations", "血圧 118/76、気分不良なし".into()));
    let r = post(&nurse, "/chair", &f).await;
    assert_eq!(r.status(), 303);
    let loc = location(&r);
    assert!(loc.ends_with("?done=recorded"), "{loc}");
    let (st, html) = nurse.page(&loc).await;
    assert_eq!(st, 200);
    assert!(html.contains("DP-A1") && html.contains("UC-B1") && html.contains("5 mL"));
    assert!(html.contains("data-testid=\"adm-notice\""));

    // The same day again: a physician's decision is needed; the nurse gets
    // the physician to co-sign.
    let r = post(&nurse, "/chair", &form(&c, &csrf, &blend, "check")).await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"override-interval_too_short\""),
        "{html}"
    );
    assert!(html.contains("data-testid=\"cosign-login\""));
    let mut f = form(&c, &csrf, &blend, "record");
    f.push(("override_code", "interval_too_short".into()));
    f.push(("override_subject", String::new()));
    f.push((
        "override_reason",
        "初回投与が点滴漏れで不十分だったため医師判断で追加".into(),
    ));
    let r = post(&nurse, "/chair", &f).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=\"error-physician_login\"")
    );
    f.push(("physician_login", "physician".into()));
    f.push(("physician_password", PASSWORD.into()));
    let r = post(&nurse, "/chair", &f).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let second = location(&r);
    let (_, html) = nurse.page(&second).await;
    assert!(html.contains("data-testid=\"adm-overrides\"") && html.contains("点滴漏れ"));

    // A correction, then a void with its reason.
    let id = second
        .trim_start_matches("/chair/administrations/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let r = post(
        &nurse,
        &format!("/chair/administrations/{id}/correct"),
        &[
            ("csrf", csrf.clone()),
            ("version", "1".into()),
            ("reactions", "穿刺部に軽度の内出血".into()),
            ("reason", "".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = post(
        &nurse,
        &format!("/chair/administrations/{id}/correct"),
        &[
            ("csrf", csrf.clone()),
            ("version", "1".into()),
            ("reactions", "穿刺部に軽度の内出血".into()),
            ("reason", "反応の記載漏れ".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = nurse.page(&format!("/chair/administrations/{id}")).await;
    assert!(html.contains("v2") && html.contains("反応の記載漏れ"));
    let r = post(
        &nurse,
        &format!("/chair/administrations/{id}/void"),
        &[
            ("csrf", csrf.clone()),
            ("void_reason", "別患者の記録と取り違え".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = nurse.page(&format!("/chair/administrations/{id}")).await;
    assert!(html.contains("data-testid=\"adm-voided\""));

    // Lookback from the UC lot and from the patient.
    let (st, html) = nurse.page("/safety/lookback?lot=UC-B1").await;
    assert_eq!(st, 200);
    assert!(html.contains("山田 花子") && html.contains("data-testid=\"lookback-row\""));
    assert_eq!(html.matches("data-testid=\"lookback-row\"").count(), 2);
    let (_, html) = nurse
        .page(&format!(
            "/safety/lookback?patient_number={}",
            c.hanako_number
        ))
        .await;
    assert!(html.contains("DP-A1") && html.contains("UC-B1"));
    let (st, html) = nurse.page("/safety/lookback?lot=NOPE").await;
    assert_eq!(st, 404);
    assert!(html.contains("data-testid=\"error-lot\""));

    // A coordinator cannot open the chair.
    let co = app.signed_in("coordinator", "en").await;
    let (st, _) = co.page("/chair").await;
    assert_eq!(st, 403);
}

/// The chair form posts its hidden `patient_id` (empty unless the patient
/// came from an appointment) before the number typed by hand: the number
/// is found.
#[tokio::test]
async fn a_patient_number_typed_by_hand_is_found() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let nurse = app.signed_in("nurse", "ja").await;
    let (_, html) = nurse.page("/chair").await;
    let csrf = csrf_of(&html);
    let vials = [(label(&c, "dp", "DP-CM-10"), "5")];
    let mut f = vec![("patient_id", String::new())];
    f.extend(form(&c, &csrf, &vials, "check"));
    let r = post(&nurse, "/chair", &f).await;
    let status = r.status();
    let html = r.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    assert!(
        !html.contains("data-testid=\"error-patient_number\""),
        "{html}"
    );
    assert!(html.contains("data-testid=\"check-result\""), "{html}");
    assert!(html.contains("data-testid=\"chair-patient\""), "{html}");
    // Showing the patient at the chair is a read of the patient, audited
    // like every other (part `chair`), by the nurse who opened it.
    let chair_reads: Vec<String> = app
        .store
        .audit_batch(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.event.action == "patient_read"
                && serde_json::from_str::<serde_json::Value>(&e.event.changes).unwrap()["part"]
                    == "chair"
        })
        .map(|e| e.event.actor_label)
        .collect();
    assert!(
        !chair_reads.is_empty() && chair_reads.iter().all(|a| a == "nurse"),
        "{chair_reads:?}"
    );
    // A number nobody has is still named, next to the number.
    let mut f = vec![("patient_id", String::new())];
    f.extend(form(&c, &csrf, &vials, "check").into_iter().map(|(k, v)| {
        if k == "patient_number" {
            (k, "999999".to_string())
        } else {
            (k, v)
        }
    }));
    let r = post(&nurse, "/chair", &f).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=\"error-patient_number\"")
    );
}

/// A recalled vial is named at once, before the patient, the route and the
/// location are filled; the result stands next to the scan fields as an
/// alert, and the next scan goes to the next empty vial field; a scan that
/// cannot be read is named on its own vial's row.
#[tokio::test]
async fn a_scanned_lots_blocks_show_at_once_next_to_the_scan_fields() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let nurse = app.signed_in("nurse", "ja").await;
    let (_, html) = nurse.page("/chair").await;
    let csrf = csrf_of(&html);
    let f = vec![
        ("csrf", csrf.clone()),
        ("patient_id", String::new()),
        ("patient_number", String::new()),
        ("identity_method", "name_and_birth_date".into()),
        ("route", String::new()),
        ("location_id", String::new()),
        ("action", "check".into()),
        ("vial_scan", label(&c, "recalled", "DP-CM-10")),
        ("vial_volume", String::new()),
        ("vial_opened", String::new()),
        ("vial_scan", "(01)NOT-A-GTIN".into()),
        ("vial_volume", String::new()),
        ("vial_opened", String::new()),
    ];
    let r = post(&nurse, "/chair", &f).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    // The form's own problems, and the lot's block at once.
    assert!(html.contains("data-testid=\"error-route\""), "{html}");
    assert!(
        html.contains("data-testid=\"finding-lot_recalled\""),
        "{html}"
    );
    let status = html
        .split("data-testid=\"scan-status\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no scan status: {html}"));
    let status = status.split("</div>").next().unwrap();
    assert!(
        status.contains("DP-R9") && status.contains("回収"),
        "{status}"
    );
    let tag = html.split("data-testid=\"scan-status\"").next().unwrap();
    assert!(
        tag.rsplit('<').next().unwrap().contains("role=\"alert\""),
        "{tag}"
    );
    // The unreadable second scan is named on vial 2's row, not as 「本数」.
    let row2 = html
        .split("data-testid=\"error-vial-2\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{html}"));
    assert!(
        row2.split("</p>").next().unwrap().contains("バイアル 2"),
        "{row2}"
    );
    assert!(!html.contains("本数"), "{html}");
    assert!(!html.contains("ロットを選んでください"), "{html}");
    // The next scan goes to vial 3, the first empty field.
    let autofocus: Vec<&str> = html
        .split("<input")
        .filter(|i| i.contains(" autofocus"))
        .collect();
    assert_eq!(autofocus.len(), 1, "{html}");
    assert!(
        autofocus[0].contains("data-testid=\"ch-scan-3\""),
        "{}",
        autofocus[0]
    );
}

/// An admin sets the clinic's blood-donation notice on /chair/notice
/// (every problem next to its field); the chair shows it in the user's
/// language; a nurse cannot change it.
#[tokio::test]
async fn an_admin_sets_the_blood_donation_notice_and_the_chair_shows_it() {
    let app = spawn_app().await;
    let nurse = app.signed_in("nurse", "ja").await;
    let (_, html) = nurse.page("/chair").await;
    assert!(
        html.contains("問診でこの施術を受けたことを必ず申告してください"),
        "the default"
    );
    let (st, _) = nurse.page("/chair/notice").await;
    assert_eq!(st, 403);
    let admin = app.signed_in("admin", "ja").await;
    let (st, html) = admin.page("/chair/notice").await;
    assert_eq!(st, 200);
    let csrf = csrf_of(&html);
    let r = post(
        &admin,
        "/chair/notice",
        &[
            ("csrf", csrf.clone()),
            ("notice_ja", " ".into()),
            ("notice_en", "Declare it.".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=\"error-notice_ja\"")
    );
    let r = post(
        &admin,
        "/chair/notice",
        &[
            ("csrf", csrf.clone()),
            (
                "notice_ja",
                "献血の際は当院での施術を申告してください。".into(),
            ),
            (
                "notice_en",
                "Tell the blood donation staff about this treatment.".into(),
            ),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = admin.page("/chair/notice?done=saved").await;
    assert!(html.contains("第1版"), "{html}");
    let (_, html) = nurse.page("/chair").await;
    assert!(
        html.contains("献血の際は当院での施術を申告してください。"),
        "{html}"
    );
    let en = app.signed_in("physician", "en").await;
    let (_, html) = en.page("/chair").await;
    assert!(html.contains("Tell the blood donation staff about this treatment."));
}
