//! Plans and appointments through the JSON API: a physician's blend plan
//! with every field error at once, approval, the course proposed around
//! public holidays, the coordinator booking it, double booking refused,
//! a missed session shifting the rest within the protocol's intervals,
//! undo of a mistaken status, reminders and the iCalendar export.

use crate::tests_supply_api::{Api, product_json};
use crate::*;
use jiff::civil::Date;
use serde_json::{Value, json};

fn codes(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn raw_get(api: &Api, path: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .header("accept-language", api.lang)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

async fn put(api: &Api, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .put(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .header("accept-language", api.lang)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

pub(crate) struct Setup {
    pub(crate) physician: Api,
    pub(crate) coordinator: Api,
    pub(crate) products: Vec<String>,
    pub(crate) protocol_id: String,
    pub(crate) hanako: String,
    pub(crate) taro: String,
}

pub(crate) async fn setup(app: &App) -> Setup {
    let qa = Api::new(app, "quality").await;
    let mut products = Vec::new();
    for code in ["DP-CM-10", "UC-CM-05"] {
        // With the whole unapproved-product disclosure, so a consent can
        // name them (the point-of-care tests sign one).
        let mut pj = product_json(code, None);
        pj["foreign_safety_info"] = json!("海外で承認された同等製品はない。");
        let (s, p) = qa.post("/api/v1/products", pj).await;
        assert_eq!(s, 201, "{p}");
        products.push(p["id"].as_str().unwrap().to_string());
    }
    let admin = Api::new(app, "admin").await;
    let (s, ind) = admin
        .post(
            "/api/v1/indications",
            json!({
                "code": "fatigue", "name_ja": "疲労感", "name_en": "Fatigue",
                "routes": ["iv_drip"],
                "rationales": [{
                    "text_ja": "培養上清に含まれる因子について細胞実験の報告がある",
                    "text_en": "Cell studies report on factors found in conditioned media",
                    "source": "例: in vitro 研究（架空）", "evidence": "preclinical"
                }]
            }),
        )
        .await;
    assert_eq!(s, 201, "{ind}");
    let protocol = serde_json::to_value(jousei_core::calendar::Protocol::example()).unwrap();
    let (s, pr) = admin
        .post("/api/v1/protocols", json!({ "protocol": protocol }))
        .await;
    assert_eq!(s, 201, "{pr}");
    let coordinator = Api::new(app, "coordinator").await;
    let mut patients = Vec::new();
    for (name, kana, phone) in [
        ("山田 花子", "やまだ はなこ", "090-1234-5678"),
        ("鈴木 太郎", "すずき たろう", "090-8765-4321"),
    ] {
        let (s, pt) = coordinator
            .post(
                "/api/v1/patients",
                json!({"patient": {
                    "name": name, "kana": kana, "birth_date": "1978-05-14", "sex": "female",
                    "phone": phone, "address": "東京都中央区銀座1-2-3"
                }, "data_consent": "written"}),
            )
            .await;
        assert_eq!(s, 201, "{pt}");
        patients.push(pt["id"].as_str().unwrap().to_string());
    }
    Setup {
        physician: Api::new(app, "physician").await,
        coordinator,
        products,
        protocol_id: pr["id"].as_str().unwrap().to_string(),
        hanako: patients[0].clone(),
        taro: patients[1].clone(),
    }
}

fn blend(s: &Setup, patient: &str, start: &str) -> Value {
    json!({
        "patient_id": patient, "indication_code": "fatigue", "route": "iv_drip",
        "components": [
            {"product_id": s.products[0], "share_percent": "50"},
            {"product_id": s.products[1], "share_percent": "50"}
        ],
        "dose": "10", "dose_unit": "ml", "protocol_id": s.protocol_id,
        "start_date": start, "notes": "2種ブレンド"
    })
}

/// Creates and approves a blend plan; its id.
pub(crate) async fn approved_plan(s: &Setup, patient: &str, start: &str) -> String {
    let (st, plan) = s
        .physician
        .post("/api/v1/plans", blend(s, patient, start))
        .await;
    assert_eq!(st, 201, "{plan}");
    let id = plan["id"].as_str().unwrap().to_string();
    let (st, ok) = s
        .physician
        .post(
            &format!("/api/v1/plans/{id}/approve"),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(st, 200, "{ok}");
    id
}

pub(crate) fn today() -> Date {
    jiff::Timestamp::now().in_tz("Asia/Tokyo").unwrap().date()
}

pub(crate) fn date_of(v: &Value) -> Date {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_blend_plan_is_approved_and_its_course_booked_around_holidays() {
    let app = spawn_app().await;
    let s = setup(&app).await;

    // Every problem at once, and nothing saved.
    let mut bad = blend(&s, &s.hanako, "2027-02-30");
    bad["components"][1]["share_percent"] = json!("40");
    bad["route"] = json!("knee_joint_injection");
    bad["dose_unit"] = json!("cc");
    let (st, err) = s.physician.post("/api/v1/plans", bad).await;
    assert_eq!(st, 422, "{err}");
    let c = codes(&err);
    for expected in [
        ("components", "plan_route_not_labelled"),
        ("components", "plan_share_total_invalid"),
        ("dose_unit", "plan_dose_unit_invalid"),
        ("site_count", "plan_sites_required"),
        ("start_date", "date_invalid"),
    ] {
        assert!(
            c.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} in {c:?}"
        );
    }
    assert!(err["errors"][0]["detail"].as_str().unwrap().contains(':'));
    let (_, none) = s
        .physician
        .get(&format!("/api/v1/patients/{}/plans", s.hanako))
        .await;
    assert_eq!(none, json!([]));
    // Only physicians write plans.
    let (st, _) = s
        .coordinator
        .post("/api/v1/plans", blend(&s, &s.hanako, "2027-04-19"))
        .await;
    assert_eq!(st, 403);

    // A 50/50 blend from Monday 2027-04-19.
    let (st, plan) = s
        .physician
        .post("/api/v1/plans", blend(&s, &s.hanako, "2027-04-19"))
        .await;
    assert_eq!(st, 201, "{plan}");
    assert_eq!(plan["warnings"], json!([]));
    assert_eq!(plan["facts"]["components"][0]["share_percent"], 50);
    assert_eq!(plan["facts"]["protocol"]["name"], "標準コース");
    let id = plan["id"].as_str().unwrap().to_string();

    // Not bookable before a physician approves it.
    let book = json!({"time": "10:00", "duration_minutes": 60, "room": "A"});
    let (st, e) = s
        .coordinator
        .post(&format!("/api/v1/plans/{id}/course/book"), book.clone())
        .await;
    assert_eq!((st, e["code"].as_str()), (409, Some("plan_not_approved")));
    let (st, _) = s
        .coordinator
        .post(
            &format!("/api/v1/plans/{id}/approve"),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(st, 403, "coordinators do not approve");
    let (st, e) = s
        .physician
        .post(
            &format!("/api/v1/plans/{id}/approve"),
            json!({"version": 2}),
        )
        .await;
    assert_eq!((st, e["code"].as_str()), (409, Some("plan_version_stale")));
    let (st, approved) = s
        .physician
        .post(
            &format!("/api/v1/plans/{id}/approve"),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(st, 200, "{approved}");
    assert_eq!(approved["approval"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(approved["approval"]["approved_by_login"], "physician");

    // The course dodges Golden Week: session 2 aims at 5/3 (a holiday, with
    // 5/2–5/5 closed) and lands on Saturday 5/1, within 12–18 days.
    let (_, hol) = s
        .coordinator
        .get("/api/v1/calendar/holidays?year=2027")
        .await;
    let holidays: Vec<Date> = hol
        .as_array()
        .unwrap()
        .iter()
        .map(|h| date_of(&h["date"]))
        .collect();
    assert!(holidays.contains(&"2027-05-03".parse().unwrap()));
    let (st, course) = s
        .coordinator
        .get(&format!("/api/v1/plans/{id}/course"))
        .await;
    assert_eq!(st, 200, "{course}");
    let sessions = course["proposal"]["sessions"].as_array().unwrap();
    assert_eq!(sessions[0]["date"], "2027-04-19");
    assert_eq!(sessions[1]["target_date"], "2027-05-03");
    assert_eq!(sessions[1]["date"], "2027-05-01");
    for s in sessions {
        assert!(!holidays.contains(&date_of(&s["date"])), "{s}");
    }
    assert_eq!(
        course["revised"]["sessions"].as_array().unwrap().len(),
        sessions.len()
    );

    // The coordinator books the whole course at 10:00 in room A.
    let (st, booked) = s
        .coordinator
        .post(&format!("/api/v1/plans/{id}/course/book"), book.clone())
        .await;
    assert_eq!(st, 201, "{booked}");
    let appts = booked["appointments"].as_array().unwrap();
    assert_eq!(appts.len(), sessions.len());
    assert_eq!(appts[0]["starts_at"], "2027-04-19T01:00:00Z");
    assert_eq!(appts[1]["starts_at"], "2027-05-01T01:00:00Z");
    assert_eq!(appts[1]["proposed_date"], "2027-05-01");
    // Booking again books nothing more.
    let (st, again) = s
        .coordinator
        .post(&format!("/api/v1/plans/{id}/course/book"), book.clone())
        .await;
    assert_eq!(st, 201);
    assert_eq!(again["appointments"], json!([]));

    // Another patient's course in the same room at the same times: refused,
    // every conflict listed, nothing booked.
    let taro_plan = approved_plan(&s, &s.taro, "2027-04-19").await;
    let (st, clash) = s
        .coordinator
        .post(
            &format!("/api/v1/plans/{taro_plan}/course/book"),
            book.clone(),
        )
        .await;
    assert_eq!(st, 409, "{clash}");
    assert_eq!(clash["code"], "appointment_conflict");
    let conflicts = clash["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), sessions.len());
    assert_eq!(conflicts[0]["appointment_id"], appts[0]["id"]);
    assert_eq!(conflicts[0]["kinds"], json!(["room"]));
    assert!(
        clash["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("room")
    );
    let (_, taro_course) = s
        .coordinator
        .get(&format!("/api/v1/plans/{taro_plan}/course"))
        .await;
    assert_eq!(taro_course["appointments"], json!([]));
    // A single appointment overlapping in room A is refused too; room B is fine.
    let one = |room: &str| {
        json!({"patient_id": s.taro, "date": "2027-04-19", "time": "10:30",
               "duration_minutes": 30, "room": room})
    };
    let (st, c) = s.coordinator.post("/api/v1/appointments", one("A")).await;
    assert_eq!(
        (st, c["conflicts"][0]["appointment_id"].clone()),
        (409, appts[0]["id"].clone())
    );
    let (st, ok) = s.coordinator.post("/api/v1/appointments", one("B")).await;
    assert_eq!(st, 201, "{ok}");
    let (st, bad) = s
        .coordinator
        .post(
            "/api/v1/appointments",
            json!({"patient_id": s.taro, "date": "2027-04-31", "time": "25:00", "duration_minutes": 0}),
        )
        .await;
    assert_eq!(st, 422);
    let c = codes(&bad);
    assert_eq!(
        c.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["date", "time", "duration_minutes"]
    );

    // The week view names the patients with their contact details.
    let (st, week) = s
        .coordinator
        .get("/api/v1/appointments?from=2027-04-19&to=2027-04-25")
        .await;
    assert_eq!(st, 200, "{week}");
    let week = week.as_array().unwrap();
    assert_eq!(week.len(), 2);
    assert_eq!(week[0]["patient_name"], "山田 花子");
    assert_eq!(week[0]["phone"], "090-1234-5678");
    assert_eq!(week[0]["local_time"], "10:00");

    // iCalendar: CRLF, folded at 75 octets, UID = id, UTC times, no names
    // unless asked for.
    let (st, ics) = raw_get(
        &s.coordinator,
        "/api/v1/appointments.ics?from=2027-04-01&to=2027-05-31",
    )
    .await;
    assert_eq!(st, 200);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "only CRLF line ends"
    );
    assert!(ics.split("\r\n").all(|l| l.len() <= 75));
    let lines = jousei_core::plan::ics::unfold(&ics);
    assert!(lines.contains(&format!("UID:{}", appts[0]["id"].as_str().unwrap())));
    assert!(lines.contains(&"DTSTART:20270419T010000Z".to_string()));
    assert!(lines.contains(&"DTEND:20270419T020000Z".to_string()));
    assert!(!ics.contains("山田"));
    let (_, named) = raw_get(
        &s.coordinator,
        "/api/v1/appointments.ics?from=2027-04-01&to=2027-05-31&names=true",
    )
    .await;
    let named_lines = jousei_core::plan::ics::unfold(&named);
    assert!(
        named_lines
            .iter()
            .any(|l| l.starts_with("SUMMARY:") && l.contains("山田 花子"))
    );

    // Every write went to the audit chain.
    let acts = app.audit_actions().await;
    for a in [
        "indication_created",
        "protocol_created",
        "plan_created",
        "plan_approved",
        "appointment_booked",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a}");
    }
}

#[tokio::test]
async fn a_missed_session_shifts_the_rest_and_a_mistaken_status_is_undone() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let start = today().checked_sub(jiff::Span::new().days(24)).unwrap();
    let id = approved_plan(&s, &s.taro, &start.to_string()).await;
    let (_, course) = s
        .coordinator
        .get(&format!("/api/v1/plans/{id}/course"))
        .await;
    let proposal = course["proposal"]["sessions"].as_array().unwrap().clone();
    let (d1, d2) = (date_of(&proposal[0]["date"]), date_of(&proposal[1]["date"]));
    assert!(d2 <= today());

    // A session cannot be put on a day the clinic is closed (a Sunday).
    let sunday = (1..=7)
        .map(|n| d1.checked_add(jiff::Span::new().days(n)).unwrap())
        .find(|d| d.weekday() == jiff::civil::Weekday::Sunday)
        .unwrap();
    let (st, e) = s
        .coordinator
        .post(
            "/api/v1/appointments",
            json!({"patient_id": s.taro, "plan_id": id, "session_ordinal": 1,
                   "date": sunday.to_string(), "time": "10:00", "duration_minutes": 60}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    assert_eq!(
        codes(&e),
        [("date".to_string(), "appointment_day_closed".to_string())]
    );

    // Sessions 1 and 2 were booked at the desk on their proposed days.
    let mut ids = Vec::new();
    for (n, d) in [(1, d1), (2, d2)] {
        let (st, a) = s
            .coordinator
            .post(
                "/api/v1/appointments",
                json!({"patient_id": s.taro, "plan_id": id, "session_ordinal": n,
                       "date": d.to_string(), "time": "10:00", "duration_minutes": 60, "room": "B"}),
            )
            .await;
        assert_eq!(st, 201, "{a}");
        assert_eq!(a["proposed_date"], d.to_string());
        ids.push(a["id"].as_str().unwrap().to_string());
    }
    let status = |st: &str| json!({"status": st});
    for st in ["checked_in", "done"] {
        let (code, v) = s
            .coordinator
            .post(
                &format!("/api/v1/appointments/{}/status", ids[0]),
                status(st),
            )
            .await;
        assert_eq!(code, 200, "{v}");
    }
    // The rest of the course is booked from the course.
    let (st, booked) = s
        .coordinator
        .post(
            &format!("/api/v1/plans/{id}/course/book"),
            json!({"time": "15:30", "duration_minutes": 45, "room": "B"}),
        )
        .await;
    assert_eq!(st, 201, "{booked}");
    let first_booked = &booked["appointments"][0];
    assert_eq!(first_booked["session_ordinal"], 3);
    let s3_booked = date_of(&json!(first_booked["starts_at"].as_str().unwrap()[..10]));

    // Session 2 is checked in by mistake: undone (recorded), then a no-show.
    let (st, _) = s
        .coordinator
        .post(
            &format!("/api/v1/appointments/{}/status", ids[1]),
            status("checked_in"),
        )
        .await;
    assert_eq!(st, 200);
    let (st, undone) = s
        .coordinator
        .post(
            &format!("/api/v1/appointments/{}/status/undo", ids[1]),
            json!({"reason": "別の患者と取り違え"}),
        )
        .await;
    assert_eq!(st, 200, "{undone}");
    assert_eq!(undone["status"], "booked");
    let kinds: Vec<&str> = undone["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["booked", "status", "undo"]);
    let (st, e) = s
        .coordinator
        .post(
            &format!("/api/v1/appointments/{}/status/undo", ids[1]),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("appointment_nothing_to_undo"))
    );
    let (st, e) = s
        .coordinator
        .post(
            &format!("/api/v1/appointments/{}/status", ids[1]),
            status("done"),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("appointment_status_invalid"))
    );
    let (st, _) = s
        .coordinator
        .post(
            &format!("/api/v1/appointments/{}/status", ids[1]),
            status("no_show"),
        )
        .await;
    assert_eq!(st, 200);

    // The missed session is owed again from today; the rest shifts within
    // each phase's interval; the original dates stay.
    let (st, course) = s
        .coordinator
        .get(&format!("/api/v1/plans/{id}/course"))
        .await;
    assert_eq!(st, 200, "{course}");
    let revised = course["revised"]["sessions"].as_array().unwrap();
    assert_eq!(revised[0]["status"], "done");
    assert_eq!(revised[1]["status"], "planned");
    assert_eq!(revised[1]["missed_on"], d2.to_string());
    assert_eq!(revised[1]["original_date"], d2.to_string());
    assert!(date_of(&revised[1]["date"]) >= today());
    for r in &revised[2..] {
        let gap = r["interval_days"].as_i64().unwrap();
        let (min, max) = (
            r["interval"]["min_days"].as_i64().unwrap(),
            r["interval"]["max_days"].as_i64().unwrap(),
        );
        assert!((min..=max).contains(&gap), "{r}");
        assert_eq!(r["findings"], json!([]), "{r}");
    }
    assert!(
        date_of(&revised[2]["date"]) > s3_booked,
        "session 3 shifts later"
    );

    // Rescheduling moves the booked sessions to the revised dates, keeping
    // 15:30 (06:30 UTC).
    let (st, moved) = s
        .coordinator
        .post(&format!("/api/v1/plans/{id}/course/reschedule"), json!({}))
        .await;
    assert_eq!(st, 200, "{moved}");
    assert!(!moved["appointments"].as_array().unwrap().is_empty());
    let after = &moved["course"];
    let revised_dates: Vec<(i64, String)> = after["revised"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ordinal"].as_i64().unwrap(),
                r["date"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for a in after["appointments"].as_array().unwrap() {
        let n = a["session_ordinal"].as_i64().unwrap();
        if n < 3 {
            continue;
        }
        let starts = a["starts_at"].as_str().unwrap();
        let want = &revised_dates.iter().find(|(o, _)| *o == n).unwrap().1;
        assert!(starts.starts_with(want.as_str()), "{starts} vs {want}");
        assert!(starts.ends_with("T06:30:00Z"), "{starts}");
    }
    // The make-up session is booked from the course.
    let (st, makeup) = s
        .coordinator
        .post(
            &format!("/api/v1/plans/{id}/course/book"),
            json!({"time": "15:30", "duration_minutes": 45, "room": "B"}),
        )
        .await;
    assert_eq!(st, 201, "{makeup}");
    assert_eq!(makeup["appointments"].as_array().unwrap().len(), 1);
    assert_eq!(makeup["appointments"][0]["session_ordinal"], 2);

    // Reminders list the upcoming ones with contact details.
    let (st, rem) = s
        .coordinator
        .get("/api/v1/appointments/reminders?days=31")
        .await;
    assert_eq!(st, 200, "{rem}");
    let rem = rem.as_array().unwrap();
    assert!(!rem.is_empty());
    assert!(
        rem.iter()
            .all(|r| r["phone"] == "090-8765-4321" && r["status"] == "booked")
    );
    let (st, _) = s
        .coordinator
        .get("/api/v1/appointments/reminders?days=90")
        .await;
    assert_eq!(st, 422);
    let acts = app.audit_actions().await;
    for a in [
        "appointment_status",
        "appointment_status_undone",
        "appointment_moved",
        "appointments_read",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a}");
    }
}

#[tokio::test]
async fn catalogue_and_calendar_are_for_admins_and_list_every_problem() {
    let app = spawn_app().await;
    let admin = Api::new(&app, "admin").await;
    let nurse = Api::new(&app, "nurse").await;
    let (st, e) = admin
        .post(
            "/api/v1/indications",
            json!({"code": "Knee OA", "name_ja": "", "name_en": "Knee", "routes": [],
                   "rationales": [{"text_ja": "必ず改善します", "text_en": "x", "source": "", "evidence": "blog"}]}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    let c: Vec<String> = codes(&e).into_iter().map(|(_, c)| c).collect();
    for x in [
        "indication_code_invalid",
        "field_required",
        "indication_route_required",
        "rationale_efficacy_claim",
        "rationale_source_required",
        "rationale_evidence_invalid",
    ] {
        assert!(c.iter().any(|y| y == x), "{x} in {c:?}");
    }
    let (st, _) = nurse
        .post(
            "/api/v1/indications",
            json!({"code": "knee", "name_ja": "膝", "name_en": "Knee", "routes": ["knee_joint_injection"]}),
        )
        .await;
    assert_eq!(st, 403);

    // The calendar: the example clinic until set; closures are validated.
    let (_, cal) = nurse.get("/api/v1/calendar").await;
    assert_eq!(cal["open_on_public_holidays"], false);
    let mut closed = cal.clone();
    closed["closures"] =
        json!([{"kind": "dates", "from": "2027-08-16", "to": "2027-08-12", "reason": ""}]);
    let (st, e) = put(&admin, "/api/v1/calendar", closed).await;
    assert_eq!(st, 422, "{e}");
    let c: Vec<String> = codes(&e).into_iter().map(|(_, c)| c).collect();
    assert!(
        c.contains(&"calendar_closure_dates_reversed".to_string()),
        "{c:?}"
    );
    assert!(
        c.contains(&"calendar_closure_reason_required".to_string()),
        "{c:?}"
    );
    let mut summer = cal.clone();
    summer["closures"] =
        json!([{"kind": "dates", "from": "2027-08-12", "to": "2027-08-16", "reason": "夏季休診"}]);
    let (st, _) = put(&nurse, "/api/v1/calendar", summer.clone()).await;
    assert_eq!(st, 403);
    let (st, saved) = put(&admin, "/api/v1/calendar", summer).await;
    assert_eq!(st, 200, "{saved}");
    let (_, cal) = nurse.get("/api/v1/calendar").await;
    assert_eq!(cal["closures"][0]["reason"], "夏季休診");

    // Protocols: every problem of a protocol, with its code.
    let mut p = serde_json::to_value(jousei_core::calendar::Protocol::example()).unwrap();
    p["name"] = json!("");
    p["phases"][0]["interval"]["min_days"] = json!(20);
    let (st, e) = admin
        .post("/api/v1/protocols", json!({"protocol": p}))
        .await;
    assert_eq!(st, 422, "{e}");
    let c: Vec<String> = codes(&e).into_iter().map(|(_, c)| c).collect();
    assert_eq!(
        c,
        ["protocol_name_required", "protocol_interval_out_of_range"]
    );

    // Holidays of a year, and a year out of range.
    let (st, h) = nurse.get("/api/v1/calendar/holidays?year=2026").await;
    assert_eq!(st, 200);
    assert_eq!(h.as_array().unwrap().len(), 18);
    let (st, e) = nurse.get("/api/v1/calendar/holidays?year=2100").await;
    assert_eq!(
        (st, e["code"].as_str()),
        (422, Some("holiday_year_out_of_range"))
    );
}

#[tokio::test]
async fn two_coordinators_booking_one_slot_at_once_cannot_both_succeed() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let other = Api::new(&app, "coordinator").await;
    for round in 0..4 {
        let day = format!("2027-06-{:02}", 7 + round);
        let body = |patient: &str| {
            json!({"patient_id": patient, "date": day, "time": "11:00",
                   "duration_minutes": 30, "room": "A"})
        };
        let (a, b) = tokio::join!(
            s.coordinator.post("/api/v1/appointments", body(&s.hanako)),
            other.post("/api/v1/appointments", body(&s.taro)),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "round {round}: {} / {}", a.1, b.1);
    }
    let (_, list) = s
        .coordinator
        .get("/api/v1/appointments?from=2027-06-01&to=2027-06-30")
        .await;
    assert_eq!(list.as_array().unwrap().len(), 4);
}
