//! One throttle for every password (security.md): the attacks first, then
//! the fix holding. A nurse guessing a physician's password through the
//! override co-signature is stopped with 429 `too_many_attempts` and
//! `Retry-After`; a parallel burst of wrong sign-ins lets through no more
//! than the limit; a login longer than 64 characters is refused before the
//! throttle and the hash; failed checks are audited without what was typed;
//! an admin unlocks an account (API and users page).

use crate::tests_care_api::{care, chair};
use crate::*;
use serde_json::{Value, json};

const GUESS: &str = "Guess-number-0042!";

/// Posts a dose with an override and the physician's login and `password`,
/// as the nurse; the status, `Retry-After` and body.
async fn cosign(
    c: &crate::tests_care_api::Chair,
    body: &Value,
    password: &str,
) -> (u16, Option<String>, Value) {
    let mut body = body.clone();
    body["physician_login"] = json!("physician");
    body["physician_password"] = json!(password);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/administrations", c.nurse.base))
        .bearer_auth(&c.nurse.token)
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (st, retry, r.json().await.unwrap())
}

#[tokio::test]
async fn a_nurse_guessing_a_physicians_password_at_the_chair_is_throttled() {
    let app = spawn_app().await;
    let c = chair(&app).await;
    let (dp, _) = c.lot("dp");
    let ov = json!([{"code": "interval_too_short", "reason": "医師判断で追加投与（パスワード推測の試験）"}]);
    let body = json!({"care": care(&c, &[(&dp, "5")]), "overrides": ov});
    // The attack: every wrong guess is answered, up to the limit (5).
    for i in 0..5 {
        let (st, _, e) = cosign(&c, &body, &format!("{GUESS}{i}")).await;
        assert_eq!(
            (st, e["code"].as_str()),
            (403, Some("override_physician_invalid")),
            "guess {i}: {e}"
        );
    }
    // The fix: the next guess is not checked at all, not even the right one.
    for pw in ["Another-guess-77!", PASSWORD] {
        let (st, retry, e) = cosign(&c, &body, pw).await;
        assert_eq!(
            (st, e["code"].as_str()),
            (429, Some("too_many_attempts")),
            "{e}"
        );
        let secs: u64 = retry.expect("Retry-After").parse().unwrap();
        assert!((1..=900).contains(&secs), "{secs}");
        assert!(e["detail"].as_str().unwrap().contains("minutes"), "{e}");
    }
    // The physician's own sign-in is locked too: one throttle per account.
    let b = app.browser("en");
    assert_eq!(b.login("physician", PASSWORD).await.status(), 429);
    // Audited, without what was typed.
    let entries = app.store.audit_batch(0, 10_000).await.unwrap();
    let failed: Vec<_> = entries
        .iter()
        .filter(|e| e.event.action == "password_check_failed")
        .collect();
    assert_eq!(failed.len(), 5);
    assert!(failed[0].event.changes.contains("override_cosign"));
    assert!(
        entries
            .iter()
            .any(|e| e.event.action == "password_throttled")
    );
    for e in &entries {
        assert!(!e.event.changes.contains(GUESS), "{}", e.event.changes);
        assert!(!e.event.changes.contains(PASSWORD), "{}", e.event.changes);
    }
}

#[tokio::test]
async fn a_parallel_burst_of_wrong_sign_ins_cannot_exceed_the_limit() {
    let app = spawn_app().await;
    let b = app.browser("en");
    let csrf = b.csrf("/login").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let http = b.http.clone();
        let url = format!("{}/login", b.base);
        let csrf = csrf.clone();
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("login", "nurse"),
                    ("password", &format!("{GUESS}{i}")),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, throttled), (5, 15), "{statuses:?}");
    let r = b.login("nurse", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let html = r.text().await.unwrap();
    assert!(html.contains("Too many attempts"), "{html}");
}

#[tokio::test]
async fn a_login_longer_than_64_characters_is_refused_before_hashing() {
    let app = spawn_app().await;
    let b = app.browser("ja");
    let long = "a".repeat(65);
    let r = b.login(&long, PASSWORD).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("64文字"), "{html}");
    // Not even counted: it stopped before the throttle, which comes before
    // the hash.
    assert_eq!(app.store.throttle_row_count().await.unwrap(), 0);
    // A 64-character one is an ordinary (unknown) login.
    let r = b.login(&"a".repeat(64), PASSWORD).await;
    assert_eq!(r.status(), 401);
    assert_eq!(app.store.throttle_row_count().await.unwrap(), 2);
}

#[tokio::test]
async fn an_admin_unlocks_a_locked_account() {
    let app = spawn_app().await;
    let admin = crate::tests_supply_api::Api::new(&app, "admin").await;
    let b = app.browser("en");
    for _ in 0..6 {
        b.login("nurse", GUESS).await;
    }
    assert_eq!(b.login("nurse", PASSWORD).await.status(), 429);
    let (_, users) = admin.get("/api/v1/users").await;
    let nurse = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "nurse")
        .unwrap()
        .clone();
    assert_eq!(nurse["locked"], true, "{nurse}");
    let id = nurse["id"].as_str().unwrap();
    // Only an admin may unlock.
    let nurse_api_owner = crate::tests_supply_api::Api::new(&app, "coordinator").await;
    let (st, _) = nurse_api_owner
        .post(&format!("/api/v1/users/{id}/unlock"), json!({}))
        .await;
    assert_eq!(st, 403);
    let (st, v) = admin
        .post(&format!("/api/v1/users/{id}/unlock"), json!({}))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["locked"], false);
    assert_eq!(b.login("nurse", PASSWORD).await.status(), 303);
    assert!(
        app.audit_actions()
            .await
            .contains(&"account_unlocked".to_string())
    );

    // The users page: a locked account shows an unlock button that works.
    let b2 = app.browser("ja");
    for _ in 0..6 {
        b2.login("physician", GUESS).await;
    }
    let ab = app.signed_in("admin", "ja").await;
    let (_, html) = ab.page("/admin/users").await;
    let form = format!("/admin/users/{}/unlock", physician_id(&users));
    assert!(html.contains(&form), "{html}");
    assert!(html.contains("ロック解除"), "{html}");
    let csrf = csrf_of(&html);
    let r = ab.post_form(&form, &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let (_, html) = ab.page("/admin/users").await;
    assert!(!html.contains(&form));
    assert_eq!(b2.login("physician", PASSWORD).await.status(), 303);
}

fn physician_id(users: &Value) -> String {
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "physician")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn lot_release_and_password_change_share_the_accounts_throttle() {
    let app = spawn_app().await;
    let qa = crate::tests_supply_api::Api::new(&app, "quality").await;
    let b = app.signed_in("quality", "ja").await;
    // The password is checked before the lot is looked at.
    let path = format!("/api/v1/lots/{}/transitions", uuid::Uuid::now_v7());
    for i in 0..5 {
        let (st, v) = qa
            .post(
                &path,
                json!({"action": "release", "password": format!("{GUESS}{i}")}),
            )
            .await;
        assert_eq!((st, v["code"].as_str()), (422, Some("password_incorrect")));
    }
    let (st, v) = qa
        .post(&path, json!({"action": "release", "password": GUESS}))
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{v}"
    );
    // The same account changing its password is refused too, with the
    // localised message on the page.
    let csrf = b.csrf("/account").await;
    let r = b
        .post_form(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new_password", "Another-pass-2026!"),
            ],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("パスワードの誤りが続いたため"), "{html}");
    let actions = app.audit_actions().await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "password_check_failed")
            .count(),
        5
    );
}
