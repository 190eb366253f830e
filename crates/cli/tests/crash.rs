//! Crash safety, measured (issue 17): the real `jousei` binary serves the
//! demo clinic while several client tasks record doses
//! (`POST /api/v1/administrations`) and payments
//! (`POST /api/v1/contracts/{id}/payments`) at once; the server is killed
//! with SIGKILL at random moments (seeded RNG, the seed is printed) and
//! started again. Afterwards: every acknowledged (2xx) dose and payment is
//! there, nothing is half-written (each dose's vials left the stock ledger
//! and every `use` movement belongs to a dose; no stock below zero; each
//! payment has exactly one receipt), receipt numbers run 1, 2, … without a
//! gap, and `jousei audit verify` passes.
//!
//! `JOUSEI_CRASH_KILLS` (default 5) kills per database,
//! `JOUSEI_CRASH_SEED` to replay a run. PostgreSQL runs when
//! `JOUSEI_TEST_POSTGRES_URL` is set (SKIPPED otherwise). Figures of the
//! documented runs: docs/reliability.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{copy_database, jousei, ok, postgres_or_skip, s, tempdir, text};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use uuid::Uuid;

const DOSE_CLIENTS: usize = 3;
const PAYMENT_CLIENTS: usize = 3;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: not a number: {v}"))
    })
}

/// What the clients need from the demo clinic (ginza): 木村 真理子, her
/// plan, freezer F1, lot DP-2609 and the active contract with the largest
/// balance.
#[derive(Debug, Clone)]
struct Fixture {
    patient: Uuid,
    plan: Uuid,
    location: Uuid,
    lot: Uuid,
    contract: Uuid,
    physician_token: String,
    coordinator_token: String,
    /// A quality manager's, for the stock adjustment.
    stock_token: String,
}

async fn one_id(pool: &sqlx::SqlitePool, sql: &'static str) -> Uuid {
    let (hex,): (String,) = sqlx::query_as(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    Uuid::parse_str(&hex).unwrap()
}

/// The demo in `dir/demo` with API tokens, returning its URL and fixture.
fn demo(dir: &Path) -> (String, Fixture) {
    let data = dir.join("demo");
    ok(&jousei(&["demo", "--data-dir", s(&data), "--no-serve"]));
    let token = |login: &str| {
        ok(&jousei(&[
            "token",
            "create",
            "--login",
            login,
            "--clinic",
            "ginza",
            "--name",
            "crash test",
            "--data-dir",
            s(&data),
        ]))
        .trim()
        .to_string()
    };
    let url = format!("sqlite://{}", data.join("jousei.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ids = rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let ids = [
            one_id(&pool, "SELECT lower(hex(p.id)) FROM patients p JOIN clinics c ON c.id = p.clinic_id WHERE c.code = 'ginza' AND p.birth_date = '1971-03-08'").await,
            one_id(&pool, "SELECT lower(hex(pl.id)) FROM plans pl JOIN patients p ON p.id = pl.patient_id WHERE p.birth_date = '1971-03-08' ORDER BY pl.created_at DESC LIMIT 1").await,
            one_id(&pool, "SELECT lower(hex(l.id)) FROM locations l JOIN clinics c ON c.id = l.clinic_id WHERE c.code = 'ginza' AND l.code = 'F1'").await,
            one_id(&pool, "SELECT lower(hex(l.id)) FROM lots l JOIN clinics c ON c.id = l.clinic_id WHERE c.code = 'ginza' AND l.lot_number = 'DP-2609'").await,
            one_id(&pool, "SELECT lower(hex(k.id)) FROM contracts k JOIN clinics c ON c.id = k.clinic_id WHERE c.code = 'ginza' AND k.status = 'active' ORDER BY k.total - (SELECT COALESCE(SUM(amount), 0) FROM payments WHERE contract_id = k.id) DESC LIMIT 1").await,
        ];
        pool.close().await;
        ids
    });
    let fixture = Fixture {
        patient: ids[0],
        plan: ids[1],
        location: ids[2],
        lot: ids[3],
        contract: ids[4],
        physician_token: token("dr.tanaka"),
        coordinator_token: token("co.yamamoto"),
        stock_token: token("qa.kobayashi"),
    };
    (url, fixture)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `jousei serve` on a free port; returns when `/readyz` answers.
/// A running `jousei serve`, killed when dropped (so a failing test leaves
/// no server behind).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(db_url: &str, log: &Path, http: &reqwest::Client) -> (Server, String) {
    let port = free_port();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_jousei"))
            .args([
                "serve",
                "--database",
                db_url,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env_remove("JOUSEI_DATABASE_URL")
            .env_remove("JOUSEI_CONFIG")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return (server, base);
        }
        if let Some(st) = server.0.try_wait().unwrap() {
            panic!(
                "jousei serve exited with {st}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "jousei serve not ready in 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// SIGKILL (std's `Child::kill` on Unix), then reap.
fn kill(server: &mut Server) {
    server.0.kill().unwrap();
    server.0.wait().unwrap();
}

#[derive(Debug, Default)]
struct Tally {
    /// Acknowledged doses: id and the number of vials.
    doses: Vec<(Uuid, usize)>,
    /// Acknowledged payments: payment id, receipt number, receipt id.
    payments: Vec<(Uuid, i64, Uuid)>,
    /// Answers by status ("conn" for no answer: refused, reset, timeout).
    statuses: BTreeMap<String, u64>,
}

struct Shared {
    base: Mutex<String>,
    stop: AtomicBool,
    tally: Mutex<Tally>,
    fx: Fixture,
    http: reqwest::Client,
}

impl Shared {
    fn count(&self, what: &str, status: &str) {
        *self
            .tally
            .lock()
            .unwrap()
            .statuses
            .entry(format!("{what} {status}"))
            .or_default() += 1;
    }

    async fn post(&self, what: &str, token: &str, path: &str, body: &Value) -> Option<Value> {
        let base = self.base.lock().unwrap().clone();
        let res = self
            .http
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await;
        let r = match res {
            Ok(r) => r,
            Err(_) => {
                self.count(what, "conn");
                tokio::time::sleep(Duration::from_millis(20)).await;
                return None;
            }
        };
        let status = r.status();
        let v = r.json::<Value>().await;
        let Ok(v) = v else {
            // The answer was cut off: not acknowledged.
            self.count(what, "conn");
            return None;
        };
        // A refusal is counted with its problem code (e.g. `409 care_refused`).
        let code = v["code"]
            .as_str()
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        self.count(what, &format!("{}{code}", status.as_str()));
        status.is_success().then_some(v)
    }
}

fn care(fx: &Fixture) -> Value {
    json!({
        "patient_id": fx.patient,
        "identity": {"method": "name_and_birth_date", "name": "木村 真理子", "birth_date": "1971-03-08"},
        "plan_id": fx.plan,
        "route": "iv_drip",
        "location_id": fx.location,
        "vials": [{"lot_id": fx.lot, "volume_ml": "10"}],
    })
}

/// A physician's dose: the check, an override with a reason for every
/// overridable finding (the interval after the first dose), the record.
async fn dose_client(sh: Arc<Shared>) {
    let token = sh.fx.physician_token.clone();
    while !sh.stop.load(Ordering::Relaxed) {
        let body = care(&sh.fx);
        let Some(check) = sh.post("check", &token, "/api/v1/care/check", &body).await else {
            continue;
        };
        let overrides: Vec<Value> = check["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["severity"] == "override")
            .map(|f| json!({"code": f["code"], "subject": f["subject"], "reason": "クラッシュ試験（医師判断）"}))
            .collect();
        let rec =
            json!({"care": body, "overrides": overrides, "blood_donation_notice_given": true});
        if let Some(a) = sh
            .post("dose", &token, "/api/v1/administrations", &rec)
            .await
        {
            let id = Uuid::parse_str(a["id"].as_str().unwrap()).unwrap();
            sh.tally.lock().unwrap().doses.push((id, 1));
        }
    }
}

async fn payment_client(sh: Arc<Shared>) {
    let token = sh.fx.coordinator_token.clone();
    let path = format!("/api/v1/contracts/{}/payments", sh.fx.contract);
    let body = json!({"amount": "10", "method": "cash", "note": "crash test"});
    while !sh.stop.load(Ordering::Relaxed) {
        if let Some(p) = sh.post("payment", &token, &path, &body).await {
            let id = Uuid::parse_str(p["payment"]["id"].as_str().unwrap()).unwrap();
            let rid = Uuid::parse_str(p["receipt"]["id"].as_str().unwrap()).unwrap();
            let number = p["receipt"]["number"].as_i64().unwrap();
            sh.tally.lock().unwrap().payments.push((id, number, rid));
        }
    }
}

enum Db {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

macro_rules! fetch {
    ($db:expr, $ty:ty, $sql:expr) => {{
        let sql: String = $sql;
        match $db {
            Db::Lite(p) => sqlx::query_as::<_, $ty>(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Db::Pg(p) => sqlx::query_as::<_, $ty>(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }};
}

impl Db {
    async fn open(url: &str) -> Db {
        if url.starts_with("sqlite:") {
            Db::Lite(sqlx::SqlitePool::connect(url).await.unwrap())
        } else {
            Db::Pg(sqlx::PgPool::connect(url).await.unwrap())
        }
    }

    /// An id column as text `Uuid::parse_str` reads.
    fn id(&self, col: &str) -> String {
        match self {
            Db::Lite(_) => format!("nullif(lower(hex({col})), '')"),
            Db::Pg(_) => format!("{col}::text"),
        }
    }

    async fn close(self) {
        match self {
            Db::Lite(p) => p.close().await,
            Db::Pg(p) => p.close().await,
        }
    }
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Every invariant after the last restart; returns the findings (empty when
/// all hold) and a line of totals.
async fn verify(url: &str, tally: &Tally) -> (Vec<String>, String) {
    let db = Db::open(url).await;
    let mut bad = Vec::new();

    // Doses: each with its vials, each vial's `use` movement, and back.
    let doses: Vec<(String, i64)> = fetch!(
        &db,
        (String, i64),
        format!(
            "SELECT {}, (SELECT COUNT(*) FROM administration_vials v WHERE v.administration_id = a.id) FROM administrations a",
            db.id("a.id")
        )
    );
    let doses: BTreeMap<Uuid, i64> = doses.iter().map(|(i, n)| (uuid(i), *n)).collect();
    let uses: Vec<(Option<String>, i64)> = fetch!(
        &db,
        (Option<String>, i64),
        "SELECT reason, COUNT(*) FROM stock_movements WHERE kind = 'use' GROUP BY reason".into()
    );
    let mut used: BTreeMap<Uuid, i64> = BTreeMap::new();
    for (reason, n) in &uses {
        match reason
            .as_deref()
            .and_then(|r| r.strip_prefix("administration "))
            .and_then(|id| Uuid::parse_str(id).ok())
        {
            Some(id) => *used.entry(id).or_default() += n,
            None => bad.push(format!("`use` movement not of a dose: {reason:?}")),
        }
    }
    for (id, vials) in &doses {
        if *vials < 1 {
            bad.push(format!("dose {id} without vials"));
        }
        if used.get(id).copied().unwrap_or(0) != *vials {
            bad.push(format!(
                "dose {id}: {vials} vials but {} `use` movements",
                used.get(id).copied().unwrap_or(0)
            ));
        }
    }
    for id in used.keys() {
        if !doses.contains_key(id) {
            bad.push(format!("`use` movement of a dose that is not there: {id}"));
        }
    }
    for (id, vials) in &tally.doses {
        match doses.get(id) {
            None => bad.push(format!("acknowledged dose {id} LOST")),
            Some(n) if usize::try_from(*n).ok() != Some(*vials) => {
                bad.push(format!("acknowledged dose {id}: {n} vials, sent {vials}"))
            }
            Some(_) => {}
        }
    }
    let stock: Vec<(String, String, i64)> = fetch!(
        &db,
        (String, String, i64),
        format!(
            "SELECT {}, {}, CAST(SUM(delta) AS BIGINT) FROM stock_movements GROUP BY lot_id, location_id",
            db.id("lot_id"),
            db.id("location_id")
        )
    );
    for (lot, loc, n) in &stock {
        if *n < 0 {
            bad.push(format!("lot {lot} at {loc}: {n} vials on hand"));
        }
    }

    // Payments and receipts.
    let payments: Vec<(String, i64)> = fetch!(
        &db,
        (String, i64),
        format!(
            "SELECT {}, CAST(amount AS BIGINT) FROM payments",
            db.id("id")
        )
    );
    let receipts: Vec<(String, String, i64, Option<String>, i64)> = fetch!(
        &db,
        (String, String, i64, Option<String>, i64),
        format!(
            "SELECT {}, {}, CAST(number AS BIGINT), {}, CAST(CASE WHEN reissue_of IS NULL AND reverses IS NULL THEN 1 ELSE 0 END AS BIGINT) FROM receipts",
            db.id("id"),
            db.id("clinic_id"),
            db.id("payment_id")
        )
    );
    let mut originals: BTreeMap<Uuid, Vec<(Uuid, i64)>> = BTreeMap::new();
    let mut numbers: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (id, clinic, number, payment, original) in &receipts {
        numbers.entry(clinic.clone()).or_default().push(*number);
        if let (Some(p), 1) = (payment, original) {
            originals
                .entry(uuid(p))
                .or_default()
                .push((uuid(id), *number));
        }
    }
    let payment_ids: BTreeSet<Uuid> = payments.iter().map(|(i, _)| uuid(i)).collect();
    for (id, amount) in &payments {
        // Refunds (negative) are written with their cancellation slip.
        let n = originals.get(&uuid(id)).map_or(0, Vec::len);
        if *amount > 0 && n != 1 {
            bad.push(format!("payment {id} has {n} receipts"));
        }
    }
    for p in originals.keys() {
        if !payment_ids.contains(p) {
            bad.push(format!("receipt of a payment that is not there: {p}"));
        }
    }
    for (clinic, mut ns) in numbers {
        ns.sort_unstable();
        let expected: Vec<i64> = (1..).take(ns.len()).collect();
        if ns != expected {
            let gaps: Vec<i64> = (1..=ns.last().copied().unwrap_or(0))
                .filter(|n| ns.binary_search(n).is_err())
                .collect();
            bad.push(format!(
                "clinic {clinic}: receipt numbers not gap-free (missing {gaps:?}, {} receipts)",
                ns.len()
            ));
        }
    }
    for (id, number, rid) in &tally.payments {
        match originals.get(id) {
            None if !payment_ids.contains(id) => {
                bad.push(format!("acknowledged payment {id} LOST"))
            }
            Some(rs) if rs.as_slice() == [(*rid, *number)] => {}
            other => bad.push(format!(
                "acknowledged payment {id} (receipt {number}) has receipts {other:?}"
            )),
        }
    }
    let totals = format!(
        "{} doses and {} payments in the database, {} receipts",
        doses.len(),
        payments.len(),
        receipts.len()
    );
    db.close().await;
    (bad, totals)
}

/// The crash run on `db_url`; panics with every finding.
fn crash_run(name: &str, db_url: &str, fx: Fixture, dir: &Path) {
    let kills = env_u64("JOUSEI_CRASH_KILLS").unwrap_or(5);
    // A fresh seed each run unless one is given (UUIDv7's random bits).
    let seed = env_u64("JOUSEI_CRASH_SEED").unwrap_or_else(|| Uuid::now_v7().as_u64_pair().1 >> 2);
    eprintln!("crash test {name}: JOUSEI_CRASH_SEED={seed} JOUSEI_CRASH_KILLS={kills}");
    let mut rng = StdRng::seed_from_u64(seed);
    let log = dir.join(format!("serve-{name}.log"));
    let began = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let tally = rt.block_on(async {
        let (mut child, base) = start(db_url, &log, &http).await;
        // Enough vials of the lot for every dose of the run.
        let r = http
            .post(format!("{base}/api/v1/stock/movements"))
            .bearer_auth(&fx.stock_token)
            .json(
                &json!({"lot_id": fx.lot, "location_id": fx.location, "kind": "adjust",
                          "quantity": "100000", "reason": "crash test stock"}),
            )
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{:?}", r.text().await);
        let sh = Arc::new(Shared {
            base: Mutex::new(base),
            stop: AtomicBool::new(false),
            tally: Mutex::new(Tally::default()),
            fx,
            http: http.clone(),
        });
        let mut tasks = Vec::new();
        for _ in 0..DOSE_CLIENTS {
            tasks.push(tokio::spawn(dose_client(sh.clone())));
        }
        for _ in 0..PAYMENT_CLIENTS {
            tasks.push(tokio::spawn(payment_client(sh.clone())));
        }
        for k in 0..kills {
            let wait = rng.random_range(150..1500);
            tokio::time::sleep(Duration::from_millis(wait)).await;
            kill(&mut child);
            eprintln!("{name}: kill {} after {wait} ms", k + 1);
            let (c, base) = start(db_url, &log, &http).await;
            child = c;
            *sh.base.lock().unwrap() = base;
        }
        // A last stretch without a kill, then the clients stop and the
        // server is killed once more with nothing in flight.
        tokio::time::sleep(Duration::from_millis(500)).await;
        sh.stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        kill(&mut child);
        std::mem::take(&mut *sh.tally.lock().unwrap())
    });
    let (bad, totals) = rt.block_on(verify(db_url, &tally));
    let audit = jousei(&["audit", "verify", "--database", db_url]);
    let (out, err) = text(&audit);
    let elapsed = began.elapsed();
    eprintln!(
        "crash test {name}: {kills} kills in {:.1} s, seed {seed}; acknowledged {} doses and {} payments; {totals}; answers {:?}; {}",
        elapsed.as_secs_f64(),
        tally.doses.len(),
        tally.payments.len(),
        tally.statuses,
        out.trim()
    );
    assert!(audit.status.success(), "audit verify failed: {out} {err}");
    assert!(
        bad.is_empty(),
        "{name}, seed {seed}: {} findings:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // The run did something: writes were acknowledged between the kills.
    assert!(
        !tally.doses.is_empty() && !tally.payments.is_empty(),
        "{:?}",
        tally.statuses
    );
}

#[test]
fn sqlite_survives_sigkill_during_doses_and_payments() {
    let dir = tempdir("jousei-cli-crash");
    let (url, fx) = demo(&dir);
    crash_run("sqlite", &url, fx, &dir);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn postgres_survives_sigkill_during_doses_and_payments() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = postgres_or_skip(&rt) else {
        return;
    };
    let dir = tempdir("jousei-cli-crash");
    let (src, fx) = demo(&dir);
    let archive = dir.join("demo.tar.zst");
    copy_database(&src, &archive, "--database", &pg.url);
    crash_run("postgres", &pg.url, fx, &dir);
    rt.block_on(pg.cleanup());
    let _ = std::fs::remove_dir_all(dir);
}

/// The checks themselves: quiet on the demo as seeded, and each one speaks
/// when its invariant is broken by hand (a lost dose and payment, a `use`
/// movement without its dose, a payment without its receipt, a gap in the
/// receipt numbers).
#[test]
fn the_checks_find_lost_half_written_and_gapped_records() {
    let dir = tempdir("jousei-cli-crash");
    let (url, fx) = demo(&dir);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (bad, _) = rt.block_on(verify(&url, &Tally::default()));
    assert_eq!(bad, Vec::<String>::new(), "the demo holds every invariant");
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let at = "2026-12-07T00:00:00Z";
        sqlx::query("INSERT INTO stock_movements (id, clinic_id, lot_id, location_id, delta, kind, reason, at) SELECT $1, clinic_id, id, $2, -1, 'use', $3, $4 FROM lots WHERE id = $5")
            .bind(Uuid::now_v7())
            .bind(fx.location)
            .bind(format!("administration {}", Uuid::now_v7()))
            .bind(at)
            .bind(fx.lot)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO payments (id, clinic_id, contract_id, amount, method, at, recorded_at) SELECT $1, clinic_id, id, 10, 'cash', $2, $2 FROM contracts WHERE id = $3")
            .bind(Uuid::now_v7())
            .bind(at)
            .bind(fx.contract)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO receipts (id, clinic_id, number, lines, tax, total, issued_at) SELECT $1, clinic_id, MAX(number) + 2, '[]', '{}', 0, $2 FROM receipts GROUP BY clinic_id")
            .bind(Uuid::now_v7())
            .bind(at)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let tally = Tally {
        doses: vec![(Uuid::now_v7(), 1)],
        payments: vec![(Uuid::now_v7(), 1, Uuid::now_v7())],
        statuses: BTreeMap::new(),
    };
    let (bad, _) = rt.block_on(verify(&url, &tally));
    for expected in [
        "acknowledged dose",
        "acknowledged payment",
        "`use` movement of a dose that is not there",
        "has 0 receipts",
        "receipt numbers not gap-free",
    ] {
        assert!(
            bad.iter().any(|b| b.contains(expected)),
            "no `{expected}` in {bad:#?}"
        );
    }
    assert_eq!(
        bad.iter().filter(|b| b.contains("LOST")).count(),
        2,
        "{bad:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
