//! Sign-in, sign-out, CSRF, roles, clinic isolation, idle expiry, language.

use crate::*;

#[tokio::test]
async fn login_and_logout() {
    let app = spawn_app().await;
    let b = app.browser("ja");
    // Not signed in: pages send you to the sign-in page.
    let r = b.get("/").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login");

    let r = b.login("nurse", PASSWORD).await;
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("jousei_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let (status, html) = b.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("nurse 太郎"), "user shown");
    assert!(html.contains("銀座院"), "clinic shown");
    assert!(html.contains("看護師"), "role shown in Japanese");
    assert!(html.contains("<html lang=\"ja\">"));

    let csrf = b.csrf("/").await;
    let r = b.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?out=1");
    assert_eq!(b.get("/").await.status(), 303, "signed out");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"login".to_string()) && actions.contains(&"logout".to_string()));
}

#[tokio::test]
async fn wrong_password_is_refused_and_recorded() {
    let app = spawn_app().await;
    let b = app.browser("en");
    let r = b.login("nurse", "wrong-password-123!").await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("The login ID or password is not correct."));
    // An unknown login gets the very same answer.
    let r = b.login("nobody", "wrong-password-123!").await;
    assert_eq!(r.status(), 401);
    assert_eq!(b.get("/").await.status(), 303);
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "login_failed").count(), 2);
    assert!(!actions.contains(&"login".to_string()));
}

#[tokio::test]
async fn repeated_failures_lock_the_login() {
    let app = spawn_app().await;
    let b = app.browser("en");
    for _ in 0..5 {
        assert_eq!(b.login("nurse", "wrong-password-123!").await.status(), 401);
    }
    let r = b.login("nurse", PASSWORD).await;
    assert_eq!(r.status(), 429, "locked even with the right password");
    assert!(r.text().await.unwrap().contains("locked for 15 minutes"));
}

#[tokio::test]
async fn csrf_is_required_on_every_form() {
    let app = spawn_app().await;
    // Sign-in without the pre-session token fails.
    let fresh = app.browser("en");
    let r = fresh
        .post_form("/login", &[("login", "nurse"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("The form expired"));

    let b = app.signed_in("physician", "en").await;
    for form in [
        vec![("name", "x")],
        vec![
            ("name", "x"),
            (
                "csrf",
                "0000000000000000000000000000000000000000000000000000000000000000",
            ),
        ],
    ] {
        let r = b.post_form("/account/tokens", &form).await;
        assert_eq!(r.status(), 403);
    }
    // A cross-site origin is refused even with the right token.
    let csrf = b.csrf("/account").await;
    let r = b
        .http
        .post(format!("{}/account/tokens", b.base))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Nothing was created.
    let (_, html) = b.page("/account").await;
    assert!(html.contains("No tokens."));
    // With the token, it works.
    let r = b
        .post_form("/account/tokens", &[("csrf", &csrf), ("name", "logger")])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("jst_"));
    // The API needs the header when a cookie session is used.
    let r = b
        .http
        .post(format!("{}/api/v1/tokens", b.base))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = b
        .http
        .post(format!("{}/api/v1/tokens", b.base))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn roles_are_enforced() {
    let app = spawn_app().await;
    let nurse = app.signed_in("nurse", "en").await;
    let (status, html) = nurse.page("/audit").await;
    assert_eq!(status, 403);
    assert!(html.contains("You are not allowed to do this."));
    assert_eq!(nurse.page("/admin/users").await.0, 403);
    let (_, home) = nurse.page("/").await;
    assert!(
        !home.contains("href=\"/audit\""),
        "no link to what one may not open"
    );

    let auditor = app.signed_in("auditor", "en").await;
    assert_eq!(auditor.page("/audit").await.0, 200);
    assert_eq!(auditor.page("/admin/users").await.0, 403);

    let admin = app.signed_in("admin", "en").await;
    assert_eq!(admin.page("/audit").await.0, 200);
    let (status, html) = admin.page("/admin/users").await;
    assert_eq!(status, 200);
    assert!(html.contains("coordinator 太郎"));

    // A coordinator cannot create users through the form either.
    let coord = app.signed_in("coordinator", "en").await;
    let csrf = coord.csrf("/").await;
    let r = coord
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("login", "eve"),
                ("display_name", "Eve"),
                ("role", "admin"),
                ("password", "Eve-password-2026!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(app.store.user_credentials("eve").await.unwrap().is_none());
}

#[tokio::test]
async fn admin_creates_a_user_with_field_errors_first() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin", "ja").await;
    let csrf = admin.csrf("/admin/users").await;
    let r = admin
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("login", "ns.kato"),
                ("display_name", "加藤 花"),
                ("role", "nurse"),
                ("password", "short1!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("パスワード: パスワードは13文字以上にしてください。"),
        "names the field"
    );
    assert!(html.contains("value=\"ns.kato\""), "keeps what was typed");
    assert!(
        app.store
            .user_credentials("ns.kato")
            .await
            .unwrap()
            .is_none(),
        "changes nothing"
    );
    let r = admin
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("login", "ns.kato"),
                ("display_name", "加藤 花"),
                ("role", "nurse"),
                ("password", "Kato-password-2026!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("ユーザー ns.kato を追加しました。")
    );
    let new = app.browser("ja");
    assert_eq!(
        new.login("ns.kato", "Kato-password-2026!").await.status(),
        303
    );
}

#[tokio::test]
async fn clinics_are_isolated() {
    let app = spawn_app().await;
    // umeda-admin sees only umeda's people and audit entries.
    let umeda = app.signed_in("umeda-admin", "en").await;
    let (_, html) = umeda.page("/admin/users").await;
    assert!(html.contains("umeda-admin") && !html.contains("nurse 太郎"));
    let (_, audit) = umeda.page("/audit").await;
    assert!(
        !audit.contains(&app.ginza.id.to_string()),
        "no ginza entries"
    );
    // Switching into a clinic one is not granted is refused.
    let csrf = umeda.csrf("/").await;
    let r = umeda
        .post_form("/clinic", &[("csrf", &csrf), ("clinic", "ginza")])
        .await;
    assert_eq!(r.status(), 403);

    // chain-admin switches between the two and sees each one's staff.
    let chain = app.signed_in("chain-admin", "en").await;
    let (_, html) = chain.page("/admin/users").await;
    assert!(html.contains("nurse 太郎") && !html.contains("umeda-admin"));
    let csrf = chain.csrf("/").await;
    let r = chain
        .post_form("/clinic", &[("csrf", &csrf), ("clinic", "umeda")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = chain.page("/admin/users").await;
    assert!(html.contains("umeda-admin") && !html.contains("nurse 太郎"));
    let _ = app.umeda.id;
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = spawn_app_with(jousei_server::ServerConfig {
        idle_timeout_secs: 1,
        ..Default::default()
    })
    .await;
    let b = app.signed_in("nurse", "en").await;
    assert_eq!(b.page("/").await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let r = b.get("/").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?expired=1");
    let (_, html) = b.page("/login?expired=1").await;
    assert!(html.contains("signed out after a period of inactivity"));
    let entries = app.store.audit_batch(0, 1000).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.event.action == "logout" && e.event.changes.contains("idle_timeout"))
    );
}

#[tokio::test]
async fn language_follows_choice_then_browser() {
    let app = spawn_app().await;
    // Anonymous: Accept-Language decides.
    let en = app.browser("en-US,en;q=0.9");
    assert!(en.page("/login").await.1.contains("<html lang=\"en\">"));
    let ja = app.browser("ja");
    assert!(ja.page("/login").await.1.contains("ログイン"));

    // A signed-in user's choice wins over the browser and is remembered.
    let b = app.signed_in("nurse", "ja").await;
    let csrf = b.csrf("/").await;
    let r = b
        .post_form(
            "/lang",
            &[("csrf", &csrf), ("lang", "en"), ("back", "/account")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/account");
    let (_, html) = b.page("/").await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("Sign out"));
    // Another device of the same user (Japanese browser) gets English too.
    let other = app.signed_in("nurse", "ja").await;
    assert!(other.page("/").await.1.contains("<html lang=\"en\">"));
    // An open redirect is not possible through `back`.
    let r = b
        .post_form(
            "/lang",
            &[("csrf", &csrf), ("lang", "ja"), ("back", "//evil.example/")],
        )
        .await;
    assert_eq!(location(&r), "/");
    let r = b
        .post_form("/lang", &[("csrf", &csrf), ("lang", "fr")])
        .await;
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = spawn_app().await;
    let b = app.browser("ja");
    for path in ["/login", "/assets/jousei.css", "/api/v1/me", "/healthz"] {
        let r = b.get(path).await;
        let h = r.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert!(h.get("x-request-id").is_some());
    }
    let (_, html) = b.page("/login").await;
    assert!(
        !html.contains("<script>") && !html.contains("style=\""),
        "no inline script or style"
    );
    let r = b.get("/assets/fonts/BIZUDPGothic-Regular.ttf").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("content-type").unwrap(), "font/ttf");
    assert_eq!(
        b.get("/assets/vendor/htmx-2.0.11.min.js").await.status(),
        200
    );
    assert_eq!(b.get("/assets/nope.js").await.status(), 404);
}

#[tokio::test]
async fn password_change_requires_the_current_one() {
    let app = spawn_app().await;
    let b = app.signed_in("quality", "en").await;
    let csrf = b.csrf("/account").await;
    let r = b
        .post_form(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", "wrong-one-2026!"),
                ("new_password", "Another-pass-2026!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The current password is not correct.")
    );
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
    assert_eq!(r.status(), 200);
    let again = app.browser("en");
    assert_eq!(again.login("quality", PASSWORD).await.status(), 401);
    assert_eq!(
        again.login("quality", "Another-pass-2026!").await.status(),
        303
    );
}

#[tokio::test]
async fn deactivated_users_are_signed_out() {
    let app = spawn_app().await;
    let nurse = app.signed_in("nurse", "en").await;
    let admin = app.signed_in("admin", "en").await;
    let id = app
        .store
        .user_credentials("nurse")
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    let csrf = admin.csrf("/admin/users").await;
    let r = admin
        .post_form(
            &format!("/admin/users/{id}/active"),
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(nurse.get("/").await.status(), 303, "the open session ends");
    assert_eq!(
        app.browser("en").login("nurse", PASSWORD).await.status(),
        403
    );
}

#[tokio::test]
async fn an_initial_password_must_be_changed_first() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin", "en").await;
    let csrf = admin.csrf("/admin/users").await;
    let r = admin
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("login", "ns.new"),
                ("display_name", "New Nurse"),
                ("role", "nurse"),
                ("password", "Initial-pass-2026!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let b = app.browser("en");
    assert_eq!(b.login("ns.new", "Initial-pass-2026!").await.status(), 303);
    let r = b.get("/").await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/account?must_change=1".to_string())
    );
    let (status, html) = b.page("/account?must_change=1").await;
    assert_eq!(status, 200);
    assert!(html.contains("Your password was set by an administrator."));
    let r = b
        .http
        .get(format!("{}/api/v1/users", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "password_change_required"
    );
    let csrf = b.csrf("/account").await;
    let r = b
        .post_form(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", "Initial-pass-2026!"),
                ("new_password", "My-own-pass-2026!"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(b.page("/").await.0, 200, "free to work after the change");
}
