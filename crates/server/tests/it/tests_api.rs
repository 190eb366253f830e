//! The JSON API: problem+json in both languages, tokens, OpenAPI.

use crate::*;

async fn token_for(app: &App, login: &str) -> String {
    let b = app.signed_in(login, "en").await;
    let csrf = b.csrf("/account").await;
    let r = b
        .http
        .post(format!("{}/api/v1/tokens", b.base))
        .header("x-csrf-token", csrf)
        .json(&serde_json::json!({"name": "integration"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    v["token"].as_str().unwrap().to_string()
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn problems_are_localised_json() {
    let app = spawn_app().await;
    for (lang, title) in [("ja", "ログインが必要です。"), ("en", "Please sign in.")] {
        let r = client()
            .get(app.url("/api/v1/me"))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
        let rid = r
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "unauthenticated");
        assert_eq!(v["title"], title);
        assert_eq!(v["status"], 401);
        assert_eq!(v["request_id"], rid);
    }
    let token = token_for(&app, "admin").await;
    for (lang, detail) in [
        ("ja", "パスワード: パスワードは13文字以上にしてください。"),
        ("en", "Password: A password needs at least 13 characters."),
    ] {
        let r = client()
            .post(app.url("/api/v1/users"))
            .bearer_auth(&token)
            .header("accept-language", lang)
            .json(&serde_json::json!({"login": "x.user", "display_name": "X", "role": "nurse", "password": "short-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "password_too_short");
        assert_eq!(v["field"], "password");
        assert_eq!(v["detail"], detail);
    }
    assert!(
        app.store
            .user_credentials("x.user")
            .await
            .unwrap()
            .is_none()
    );
    // Malformed JSON and unknown fields are refused with a code too.
    let r = client()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "invalid_request"
    );
    let r = client()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"login": "y.user", "display_name": "Y", "role": "nurse", "password": "Y-password-2026!", "admin": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Duplicate login: 409 with its code.
    let r = client()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"login": "nurse", "display_name": "N", "role": "nurse", "password": "N-password-2026!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "user_login_taken"
    );
    // Internal errors never leak details: unknown route is a plain 404.
    assert_eq!(
        client()
            .get(app.url("/api/v1/nothing"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn api_tokens_work_until_revoked() {
    let app = spawn_app().await;
    let token = token_for(&app, "auditor").await;
    let me: serde_json::Value = client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["login"], "auditor");
    assert_eq!(me["clinic"]["code"], "ginza");
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(perms.contains(&"read_audit") && !perms.contains(&"manage_users"));

    // Auditor reads the audit log, but may not manage users.
    let r = client()
        .get(app.url("/api/v1/audit?limit=5"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let entries: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(entries.len(), 5);
    assert!(
        entries
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() > w[1]["seq"].as_i64())
    );
    let r = client()
        .get(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "forbidden"
    );
    let r = client()
        .get(app.url("/api/v1/audit?limit=5000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Tokens are stored hashed: the secret is nowhere in the database's log.
    let batch = app.store.audit_batch(0, 10_000).await.unwrap();
    assert!(batch.iter().all(|e| !e.event.changes.contains(&token)));

    // Bearer requests need no CSRF token and revoke works.
    let list: Vec<serde_json::Value> = client()
        .get(app.url("/api/v1/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].get("token").is_none(), "never shown again");
    let id = list[0]["id"].as_str().unwrap();
    let r = client()
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("accept-language", "ja")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "token_invalid");
    assert_eq!(v["title"], "APIトークンが無効か、失効しています。");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let v: serde_json::Value = client()
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "ok");
    let r = client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ready");
    assert!(v["database"] == "sqlite" || v["database"] == "postgres");
}

#[tokio::test]
async fn openapi_document_is_served_and_in_step() {
    let app = spawn_app().await;
    let r = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let served: serde_json::Value = r.json().await.unwrap();
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
    ] {
        assert!(served["paths"].get(path).is_some(), "{path} documented");
    }
    // The checked-in copy (docs/openapi.json) must match what the server serves.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == pretty,
        "docs/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test -p jousei-server openapi` and commit it"
    );
}
