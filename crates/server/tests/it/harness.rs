use std::net::SocketAddr;

use jousei_core::role::Role;
use jousei_server::{AppState, ServerConfig};
use jousei_store::testsupport::TestDb;
use jousei_store::{Actor, Clinic, DynStore, NewClinic, NewUser};
use reqwest::redirect::Policy;

pub const PASSWORD: &str = "Test-password-2026!";

pub struct App {
    pub addr: SocketAddr,
    pub store: DynStore,
    pub ginza: Clinic,
    pub umeda: Clinic,
    _db: TestDbGuard,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Drops a PostgreSQL test database when the test ends.
pub struct TestDbGuard(Option<TestDb>);

impl Drop for TestDbGuard {
    fn drop(&mut self) {
        if let Some(db) = self.0.take()
            && db.url.starts_with("postgres")
        {
            // Best effort: a separate runtime, since we are inside one.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(db.cleanup());
                }
            })
            .join();
        }
    }
}

async fn fresh_db() -> TestDb {
    if std::env::var("JOUSEI_TEST_BACKEND").as_deref() == Ok("postgres") {
        TestDb::postgres()
            .await
            .unwrap_or_else(|e| panic!("JOUSEI_TEST_BACKEND=postgres but {e}"))
    } else {
        TestDb::sqlite()
    }
}

/// Starts a server with two clinics (ginza, umeda) and one user per role in
/// ginza, named after the role (`physician`, `nurse`, …); `chain-admin` is
/// admin in both clinics and `umeda-admin` only in umeda.
pub async fn spawn_app_with(mut cfg: ServerConfig) -> App {
    let db = fresh_db().await;
    let store = jousei_store::open(&db.url, true).await.unwrap();
    let sys = Actor::system("test");
    let mk = |code: &str, name: &str, en: &str| NewClinic {
        code: code.into(),
        name: name.into(),
        name_en: Some(en.into()),
        time_zone: "Asia/Tokyo".into(),
    };
    let ginza = store
        .create_clinic(&sys, &mk("ginza", "銀座院", "Ginza"))
        .await
        .unwrap();
    let umeda = store
        .create_clinic(&sys, &mk("umeda", "梅田院", "Umeda"))
        .await
        .unwrap();
    let hash = jousei_service::auth::hash_password(PASSWORD).unwrap();
    for role in Role::ALL {
        store
            .create_user(
                &sys,
                &NewUser {
                    login: role.as_str().into(),
                    display_name: format!("{} 太郎", role.as_str()),
                    password_hash: hash.clone(),
                    clinic_id: ginza.id,
                    role,
                },
            )
            .await
            .unwrap();
    }
    let chain = store
        .create_user(
            &sys,
            &NewUser {
                login: "chain-admin".into(),
                display_name: "チェーン 管理者".into(),
                password_hash: hash.clone(),
                clinic_id: ginza.id,
                role: Role::Admin,
            },
        )
        .await
        .unwrap();
    store
        .grant_clinic(&sys, chain.id, umeda.id, Role::Admin)
        .await
        .unwrap();
    store
        .create_user(
            &sys,
            &NewUser {
                login: "umeda-admin".into(),
                display_name: "梅田 管理者".into(),
                password_hash: hash,
                clinic_id: umeda.id,
                role: Role::Admin,
            },
        )
        .await
        .unwrap();
    cfg.database_url = db.url.clone();
    cfg.listen = "127.0.0.1:0".into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(store.clone(), cfg).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = jousei_server::serve(listener, state, async {
            let _ = rx.await;
        })
        .await;
    });
    App {
        addr,
        store,
        ginza,
        umeda,
        _db: TestDbGuard(Some(db)),
        _shutdown: tx,
    }
}

pub async fn spawn_app() -> App {
    spawn_app_with(ServerConfig::default()).await
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub lang: &'static str,
}

impl App {
    /// The URL of the app's database.
    pub fn store_url(&self) -> String {
        self._db
            .0
            .as_ref()
            .map(|d| d.url.clone())
            .unwrap_or_default()
    }
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn browser(&self, lang: &'static str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: format!("http://{}", self.addr),
            lang,
        }
    }

    /// A signed-in browser.
    pub async fn signed_in(&self, login: &str, lang: &'static str) -> Browser {
        let b = self.browser(lang);
        let resp = b.login(login, PASSWORD).await;
        assert_eq!(resp.status(), 303, "sign-in of {login} failed");
        b
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        self.store
            .audit_batch(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.action)
            .collect()
    }
}

pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).expect("page has a csrf meta tag") + marker.len();
    html[start..start + 64].to_string()
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{}", self.base, path))
            .header("accept-language", self.lang)
            .send()
            .await
            .unwrap()
    }

    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let s = r.status().as_u16();
        (s, r.text().await.unwrap())
    }

    /// The CSRF token of a page.
    pub async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.page(path).await;
        csrf_of(&html)
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{}", self.base, path))
            .header("accept-language", self.lang)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        let csrf = self.csrf("/login").await;
        self.post_form(
            "/login",
            &[("csrf", &csrf), ("login", login), ("password", password)],
        )
        .await
    }
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The text of a PDF by poppler's `pdftotext`, or None (reported as
/// skipped) when poppler-utils is not installed. scripts/test.sh installs it;
/// with CI=true a missing pdftotext fails.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    use std::io::Write;
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdftotext (poppler-utils) is required in CI"
        );
        eprintln!("SKIPPED (PDF text check): pdftotext (poppler-utils) not installed");
        return None;
    }
    let path = std::env::temp_dir().join(format!("jousei-it-{}.pdf", uuid::Uuid::now_v7()));
    let mut f = std::fs::File::create(&path).expect("temp pdf");
    f.write_all(pdf).expect("write pdf");
    drop(f);
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdftotext failed");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
