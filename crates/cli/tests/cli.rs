//! The `jousei` binary, run as a user would: set up a database, add people,
//! and prove that `audit verify` catches every kind of tampering.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{jousei, text};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("jousei-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A database with a clinic, three users (each created, then given an
/// initial password to change) and a token: 1 + 3 × 2 + 1 = 8 entries.
fn setup(dir: &Path) -> String {
    let url = format!("sqlite://{}", dir.join("jousei.db").display());
    let o = jousei(&["migrate", "--database", &url, "--create"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = jousei(&[
        "clinic",
        "add",
        "--code",
        "ginza",
        "--name",
        "銀座院",
        "--database",
        &url,
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    for (login, role) in [
        ("dr.a", "physician"),
        ("ns.b", "nurse"),
        ("qa.c", "quality"),
    ] {
        let o = jousei(&[
            "user",
            "add",
            "--login",
            login,
            "--role",
            role,
            "--clinic",
            "ginza",
            "--database",
            &url,
        ]);
        assert!(o.status.success(), "{:?}", text(&o));
        assert!(text(&o).0.contains("initial password (shown once): Js-"));
    }
    let o = jousei(&["token", "create", "--login", "qa.c", "--database", &url]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.trim().starts_with("jst_"));
    url
}

fn sql(url: &str, statements: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&opts)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_string()))
            .execute(&mut c)
            .await
            .unwrap();
    });
}

const DROP_GUARDS: &str = "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;";

#[test]
fn audit_verify_holds_then_catches_tampering() {
    let dir = tempdir();
    let url = setup(&dir);
    let o = jousei(&["audit", "verify", "--database", &url]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(text(&o).0.trim(), "audit chain holds: 8 entries verified");
    // --data-dir names the same database.
    let o = jousei(&["audit", "verify", "--data-dir", dir.to_str().unwrap()]);
    assert!(o.status.success());

    let cases = [
        (
            "altered",
            "UPDATE audit_log SET changes = '{\"login\":\"mallory\"}' WHERE seq = 3;",
            "audit chain BROKEN at entry 3",
        ),
        (
            "removed",
            "DELETE FROM audit_log WHERE seq = 3;",
            "audit chain BROKEN at entry 3",
        ),
        (
            "reordered",
            "UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1;",
            "audit chain BROKEN at entry 2",
        ),
        (
            "tail removed",
            "DELETE FROM audit_log WHERE seq = 8;",
            "audit chain BROKEN at entry 8",
        ),
    ];
    for (name, tamper, expected) in cases {
        let copy = tempdir();
        // The database is in WAL mode: its recent commits live in -wal.
        for suffix in ["", "-wal", "-shm"] {
            let from = dir.join(format!("jousei.db{suffix}"));
            if from.exists() {
                std::fs::copy(&from, copy.join(format!("jousei.db{suffix}"))).unwrap();
            }
        }
        let copy_url = format!("sqlite://{}", copy.join("jousei.db").display());
        sql(&copy_url, &format!("{DROP_GUARDS} {tamper}"));
        let o = jousei(&["audit", "verify", "--database", &copy_url]);
        assert_eq!(o.status.code(), Some(1), "{name}: {:?}", text(&o));
        assert!(text(&o).1.contains(expected), "{name}: {:?}", text(&o));
        let _ = std::fs::remove_dir_all(copy);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_database_urls_are_refused_clearly() {
    let o = jousei(&["migrate", "--database", "mysql://root@localhost/x"]);
    assert!(!o.status.success());
    assert!(
        text(&o)
            .1
            .contains("unsupported database URL scheme `mysql`")
    );
    let dir = tempdir();
    let missing = dir.join("typo.db");
    let o = jousei(&[
        "migrate",
        "--database",
        &format!("sqlite://{}", missing.display()),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("does not exist; pass --create"));
    assert!(!missing.exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn user_add_validates_and_reads_stdin() {
    let dir = tempdir();
    let url = setup(&dir);
    let o = jousei(&[
        "user",
        "add",
        "--login",
        "x",
        "--role",
        "nurse",
        "--clinic",
        "ginza",
        "--database",
        &url,
    ]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("--login: login_invalid_length"));
    let o = jousei(&[
        "user",
        "add",
        "--login",
        "ns.x",
        "--role",
        "owner",
        "--clinic",
        "ginza",
        "--database",
        &url,
    ]);
    assert!(text(&o).1.contains("--role: unknown role owner"));
    let o = jousei(&[
        "user",
        "add",
        "--login",
        "ns.x",
        "--role",
        "nurse",
        "--clinic",
        "nowhere",
        "--database",
        &url,
    ]);
    assert!(text(&o).1.contains("--clinic: no clinic with code nowhere"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_jousei"))
        .args([
            "user",
            "add",
            "--login",
            "ns.x",
            "--role",
            "nurse",
            "--clinic",
            "ginza",
            "--password-stdin",
            "--database",
            &url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(!o.status.success());
    assert!(text(&o).1.contains("password refused: password_too_short"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_jousei"))
        .args([
            "user",
            "add",
            "--login",
            "ns.x",
            "--role",
            "nurse",
            "--clinic",
            "ginza",
            "--password-stdin",
            "--database",
            &url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Nurse-password-2026!\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(!text(&o).0.contains("initial password"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn config_prints_a_default_that_loads() {
    let o = jousei(&["config", "print-default"]);
    assert!(o.status.success());
    let (out, _) = text(&o);
    assert!(out.contains("database_url = \"sqlite://./jousei.db\""));
    assert!(out.contains("idle_timeout_secs = 900"));
}

#[test]
fn calendar_holidays_lists_a_year_as_json_and_as_a_table() {
    let o = jousei(&["calendar", "holidays", "--year", "2026", "--json"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list.len(), 18);
    assert_eq!(list[0]["date"], "2026-01-01");
    assert_eq!(list[0]["name"], "元日");
    assert_eq!(list[0]["name_en"], "New Year's Day");
    let day = |d: &str| list.iter().find(|h| h["date"] == d).unwrap().clone();
    assert_eq!(day("2026-05-06")["name"], "休日");
    assert_eq!(day("2026-05-06")["kind"], "substitute_holiday");
    assert_eq!(day("2026-09-22")["name"], "休日");
    assert_eq!(day("2026-09-22")["kind"], "citizens_holiday");

    let o = jousei(&["calendar", "holidays", "--year", "2021"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let (out, _) = text(&o);
    assert!(out.contains("2021-07-23  金  スポーツの日"), "{out}");
    assert!(out.contains("2021-08-09  月  休日"), "{out}");
    assert!(out.contains("Substitute Holiday"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("2021-")).count(), 17);
}

#[test]
fn calendar_holidays_refuses_years_outside_the_range() {
    for year in ["1979", "2100", "99999"] {
        let o = jousei(&["calendar", "holidays", "--year", year]);
        assert!(!o.status.success());
        let (out, err) = text(&o);
        assert!(out.is_empty());
        assert!(err.contains("--year") && err.contains("1980–2099"), "{err}");
    }
    let o = jousei(&["calendar", "holidays", "--year", "next"]);
    assert!(!o.status.success());
    assert!(text(&o).1.contains("--year"));
}

/// Runs `jousei` with the words of `line` as its arguments.
fn jousei_line(line: &str) -> Output {
    jousei(&line.split_whitespace().collect::<Vec<_>>())
}

fn json_of(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{:?}", text(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn contract_coverage_gives_its_reasons() {
    let v = json_of(&jousei_line(
        "contract coverage --purpose beauty --method drug --total 100000 --period-months 6 --json",
    ));
    assert_eq!(v["covered"], true);
    let codes: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "purpose_beauty",
            "method_drug",
            "total_above_50000",
            "period_above_one_month"
        ]
    );
    assert_eq!(v["reasons"][2]["total"], 100_000);
    assert_eq!(
        v["reasons"][2]["text"],
        "The total, ¥100,000 including tax, is above ¥50,000."
    );
    assert_eq!(v["reasons"][3]["met"], true);

    // Medical purpose, ¥50,000 exactly, no fixed period.
    let v = json_of(&jousei_line(
        "contract coverage --purpose medical --method drug --total 50,000 --no-fixed-period --json",
    ));
    assert_eq!(v["covered"], false);
    assert_eq!(v["reasons"][0]["code"], "purpose_medical");
    assert_eq!(v["reasons"][0]["met"], false);
    assert_eq!(v["reasons"][2]["code"], "total_not_above_50000");
    assert_eq!(v["reasons"][3]["code"], "period_no_fixed_end");

    let o = jousei_line(
        "contract coverage --purpose unclear --method drug --total ¥120,000 --period-months 3",
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let (out, _) = text(&o);
    assert!(out.starts_with("適用あり"), "{out}");
    assert!(out.contains("Covered:"), "{out}");
    assert!(out.contains("purpose_unclear_treated_as_beauty"), "{out}");
    assert!(out.contains("120,000円"), "{out}");
}

#[test]
fn contract_cancellation_quote_shows_the_arithmetic() {
    let quote = |rest: &str| {
        json_of(&jousei_line(&format!(
            "contract cancellation-quote --total 100000 --sessions 3 --json {rest}"
        )))
    };
    let v = quote("--used 1 --document-received 2026-01-28 --notice 2026-02-10 --paid 100000");
    assert_eq!(v["kind"], "after_start");
    assert_eq!(v["cooling_off_until"], "2026-02-04");
    assert_eq!(v["provided_value"], 33_333);
    assert_eq!(v["max_charge"], 46_666);
    assert_eq!(v["refund"], 53_334);
    let steps = v["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .all(|s| s["code"].is_string() && s["text"].is_string() && s["text_ja"].is_string())
    );
    assert!(steps.iter().any(|s| s["code"] == "percent_of_remaining"
        && s["remaining"] == 66_667
        && s["value"] == 13_333));

    // The last day of the cooling-off: nothing charged, even for the session given.
    let v = quote("--used 1 --document-received 2026-01-28 --notice 2026-02-04 --paid 100000");
    assert_eq!(v["kind"], "cooling_off");
    assert_eq!(v["max_charge"], 0);
    assert_eq!(v["refund"], 100_000);

    // Never received: the cooling-off does not run out.
    let v = quote("--used 2 --document-received none --notice 2027-01-01");
    assert_eq!(v["kind"], "cooling_off");
    assert_eq!(v["cooling_off_until"], serde_json::Value::Null);
    assert_eq!(v["refund"], serde_json::Value::Null);

    // Before the first session: at most ¥20,000, or less under the clinic's terms.
    let v = quote("--used 0 --document-received 2026-01-28 --notice 2026-02-05 --paid 100000");
    assert_eq!(v["kind"], "before_start");
    assert_eq!(v["max_charge"], 20_000);
    assert_eq!(v["refund"], 80_000);
    let v = quote(
        "--used 0 --document-received 2026-01-28 --notice 2026-02-05 --terms-before-start-fee 10000",
    );
    assert_eq!(v["max_charge"], 10_000);

    // Text: Japanese and English lines.
    let o = jousei_line(
        "contract cancellation-quote --total 100000 --sessions 3 --used 1 \
         --document-received 2026-01-28 --notice 2026-02-10",
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let (out, _) = text(&o);
    assert!(out.contains("[after_start]"), "{out}");
    assert!(
        out.contains("請求上限 Maximum charge: 46,666円 / ¥46,666"),
        "{out}"
    );
    assert!(
        out.contains("Value of the sessions given: ¥100,000 × 1 ÷ 3 = ¥33,333"),
        "{out}"
    );
}

#[test]
fn contract_calculators_refuse_bad_input_naming_the_argument() {
    for (line, argument) in [
        (
            "--sessions 3 --used 4 --document-received 2026-01-28 --notice 2026-02-10",
            "--used: used_exceeds_sessions",
        ),
        (
            "--sessions 0 --used 0 --document-received none --notice 2026-02-10",
            "--sessions: sessions_zero",
        ),
        (
            "--sessions 3 --used 0 --document-received 2026-01-28 --notice 2026-02-30",
            "--notice",
        ),
        (
            "--sessions 3 --used 1 --document-received 2026-01-28 --notice 2026-02-10 --paid=-5",
            "--paid",
        ),
        (
            "--sessions 3 --used 1 --document-received 2026-01-28 --notice 2026-01-20 \
             --contract-date 2026-01-28",
            "--notice: notice_before_contract",
        ),
        (
            "--sessions 3 --used 1 --document-received 2026-01-28",
            "--notice",
        ),
    ] {
        for json in ["", "--json"] {
            let o = jousei_line(&format!(
                "contract cancellation-quote --total 100000 {line} {json}"
            ));
            let (out, err) = text(&o);
            assert_eq!(o.status.code(), Some(2), "{line}: {err}");
            assert!(out.is_empty(), "{line}: {out}");
            assert!(err.contains(argument), "{line}: {err}");
        }
    }
    for (line, argument) in [
        (
            "--purpose cosmetic --total 100000 --period-months 6",
            "--purpose",
        ),
        ("--purpose beauty --total 1.5 --period-months 6", "--total"),
        ("--purpose beauty --total 100000", "--period-months"),
        (
            "--purpose beauty --total 100000 --period-months 6 --no-fixed-period",
            "--no-fixed-period",
        ),
    ] {
        let o = jousei_line(&format!("contract coverage --method drug {line}"));
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{line}: {err}");
        assert!(out.is_empty(), "{line}: {out}");
        assert!(err.contains(argument), "{line}: {err}");
    }
}

/// A fresh demo data directory (`jousei demo --no-serve`).
fn demo_dir() -> PathBuf {
    let dir = tempdir();
    let o = jousei(&["demo", "--data-dir", dir.to_str().unwrap(), "--no-serve"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("Demo data created in"));
    let o = jousei(&["demo", "--data-dir", dir.to_str().unwrap(), "--no-serve"]);
    assert!(
        text(&o).0.contains("Demo data already in"),
        "{:?}",
        text(&o)
    );
    dir
}

/// The number of audit entries `audit verify` counts.
fn audit_entries(dir: &str) -> u64 {
    let o = jousei(&["audit", "verify", "--data-dir", dir]);
    assert!(o.status.success(), "{:?}", text(&o));
    text(&o)
        .0
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap()
}

fn rows(v: &serde_json::Value) -> &Vec<serde_json::Value> {
    v["administrations"].as_array().unwrap()
}

#[test]
fn lookback_finds_the_demo_patients_from_a_lot_and_the_lots_from_a_patient() {
    let dir = demo_dir();
    let d = dir.to_str().unwrap();

    // From a lot, as JSON: every vial given, with the patient, the local
    // date, the lot and the volume; the dose voided is listed and marked;
    // the lookback itself goes to the audit log.
    let entries = audit_entries(d);
    let v = json_of(&jousei(&[
        "lookback",
        "--lot",
        "DP-2609",
        "--data-dir",
        d,
        "--json",
    ]));
    assert_eq!(audit_entries(d), entries + 1, "the lookback is audited");
    assert_eq!(v["from"], "lot");
    assert_eq!(v["query"], "DP-2609");
    let list = rows(&v);
    assert!(list.len() >= 2, "{v}");
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .date();
    for r in list {
        assert_eq!(r["lot_number"], "DP-2609");
        assert_eq!(r["product_code"], "DP-CM-10");
        assert_eq!(r["clinic"], "ginza");
        assert!(!r["patient_number"].as_str().unwrap().is_empty());
        let date: jiff::civil::Date = r["date"].as_str().unwrap().parse().unwrap();
        assert!(date < today, "{r}");
        assert!(
            ["10", "7"].contains(&r["volume_ml"].as_str().unwrap()),
            "{r}"
        );
    }
    let kimura = list
        .iter()
        .find(|r| r["patient_name"] == "木村 真理子")
        .unwrap();
    assert_eq!(kimura["status"], "recorded");
    assert_eq!(kimura["volume_ml"], "10");
    assert_eq!(kimura["route"], "iv_drip");
    assert_eq!(kimura["phone"], "09024681357");
    let voided: Vec<_> = list.iter().filter(|r| r["status"] == "voided").collect();
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0]["patient_name"], "清水 隆");
    assert_eq!(voided[0]["date"], kimura["date"]);
    let mut standing: Vec<_> = list
        .iter()
        .filter(|r| r["status"] == "recorded")
        .map(|r| r["patient_number"].as_str().unwrap())
        .collect();
    standing.sort_unstable();
    standing.dedup();
    assert_eq!(v["patients"], standing.len());

    // From the recent lot of a blend's second product (its code in any
    // case): the blend patient, 3 mL of each 10 mL dose.
    let v = json_of(&jousei(&[
        "lookback",
        "--lot",
        "UC-2612",
        "--product",
        "uc-cm-3",
        "--data-dir",
        d,
        "--json",
    ]));
    let list = rows(&v);
    assert!(!list.is_empty());
    assert!(list.iter().all(|r| r["patient_name"] == "松本 大輔"
        && r["volume_ml"] == "3"
        && r["product_code"] == "UC-CM-3"));
    assert_eq!(v["patients"], 1);
    let number = list[0]["patient_number"].as_str().unwrap().to_string();

    // From the patient: both products of every dose, oldest first.
    let v = json_of(&jousei(&[
        "lookback",
        "--patient",
        &number,
        "--data-dir",
        d,
        "--json",
    ]));
    assert_eq!(v["from"], "patient");
    let list = rows(&v);
    assert_eq!(list.len(), 8, "four doses of two vials");
    assert!(list.iter().all(|r| r["patient_number"] == number.as_str()));
    let dates: Vec<&str> = list.iter().map(|r| r["date"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort_unstable();
    assert_eq!(dates, sorted);
    for product in ["DP-CM-10", "UC-CM-3"] {
        assert_eq!(
            list.iter().filter(|r| r["product_code"] == product).count(),
            4,
            "{product}"
        );
    }
    let lots: std::collections::BTreeSet<&str> = list
        .iter()
        .map(|r| r["lot_number"].as_str().unwrap())
        .collect();
    assert!(
        lots.iter()
            .all(|l| ["DP-2604", "DP-2609", "UC-2605", "UC-2612"].contains(l))
    );

    // As text: a summary line, then one line a vial, the voided one marked.
    let o = jousei(&["lookback", "--lot", "DP-2609", "--data-dir", d]);
    let (out, _) = text(&o);
    assert!(o.status.success(), "{out}");
    let mut lines = out.lines();
    let head = lines.next().unwrap();
    assert!(
        head.ends_with("patient(s)") && head.contains(" administration(s), "),
        "{head}"
    );
    let body: Vec<&str> = lines.collect();
    assert!(body.iter().any(|l| l.contains("木村 真理子")
        && l.contains("090-2468-1357")
        && l.contains("DP-2609")
        && l.trim_end().ends_with("10 mL")));
    assert_eq!(
        body.iter().filter(|l| l.ends_with("(voided)")).count(),
        1,
        "{out}"
    );

    // Nothing found: exit code 2 and a message on stderr, nothing audited.
    let entries = audit_entries(d);
    for (args, message) in [
        (vec!["--lot", "XX-0000"], "no lot XX-0000 found"),
        (
            vec!["--lot", "DP-2609", "--product", "UC-CM-3"],
            "no lot DP-2609 found",
        ),
        (vec!["--patient", "999999"], "no patient 999999 found"),
    ] {
        let mut all = vec!["lookback", "--data-dir", d];
        all.extend(args);
        let o = jousei(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {:?}", text(&o));
        assert!(text(&o).1.contains(message), "{:?}", text(&o));
        assert!(o.stdout.is_empty());
    }
    assert_eq!(audit_entries(d), entries);
    // A lot or a patient is required.
    let o = jousei(&["lookback", "--data-dir", d]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let _ = std::fs::remove_dir_all(dir);
}
