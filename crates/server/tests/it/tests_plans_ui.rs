//! The plan and schedule pages: a physician builds a blend plan (every
//! field problem shown first, nothing saved), approves it; a coordinator
//! books the course, sees it in the day and week views and the live list,
//! is refused a taken slot; a session is missed, the rest shifts, a
//! mistaken status is undone with its reason kept.

use crate::tests_plans_api::{Setup, approved_plan, date_of, setup, today};
use crate::*;
use serde_json::Value;

fn plan_form<'a>(s: &'a Setup, csrf: &'a str, start: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("indication_code", "fatigue"),
        ("route", "iv_drip"),
        ("product_id", &s.products[0]),
        ("share_percent", "70"),
        ("product_id", &s.products[1]),
        ("share_percent", "30"),
        ("product_id", ""),
        ("share_percent", ""),
        ("dose", "10"),
        ("dose_unit", "ml"),
        ("site_count", ""),
        ("site_areas", ""),
        ("protocol_id", &s.protocol_id),
        ("start_date", start),
        ("notes", "2種ブレンド 70/30"),
        ("off_label_reason", ""),
    ]
}

fn plan_id_of(location: &str) -> String {
    location
        .trim_start_matches("/plans/")
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

async fn course(s: &Setup, id: &str) -> Value {
    let (st, c) = s
        .coordinator
        .get(&format!("/api/v1/plans/{id}/course"))
        .await;
    assert_eq!(st, 200, "{c}");
    c
}

#[tokio::test]
async fn a_physician_plans_a_blend_and_a_coordinator_books_the_course_in_the_ui() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let dr = app.signed_in("physician", "ja").await;
    let start = today()
        .checked_add(jiff::Span::new().days(7))
        .unwrap()
        .to_string();

    // The form offers the clinic's catalogue.
    let new = format!("/patients/{}/plans/new", s.hanako);
    let (st, html) = dr.page(&new).await;
    assert_eq!(st, 200);
    assert!(
        html.contains("疲労感") && html.contains("DP-CM-10"),
        "{html}"
    );
    let csrf = csrf_of(&html);

    // Every problem at once; nothing is saved.
    let mut bad = plan_form(&s, &csrf, &start);
    for (k, v) in bad.iter_mut() {
        match *k {
            "share_percent" if *v == "30" => *v = "20",
            "dose" => *v = "たくさん",
            _ => {}
        }
    }
    let r = dr.post_form(&new, &bad).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"error-components\""), "{html}");
    assert!(html.contains("data-testid=\"error-dose\""), "{html}");
    assert!(html.contains("合計は100%"), "the share message in Japanese");
    assert!(
        html.contains("たくさん"),
        "what was typed stays in the form"
    );
    let (_, plans) = s
        .physician
        .get(&format!("/api/v1/patients/{}/plans", s.hanako))
        .await;
    assert_eq!(plans, serde_json::json!([]));

    // The plan is created, not yet approved.
    let r = dr.post_form(&new, &plan_form(&s, &csrf, &start)).await;
    assert_eq!(r.status(), 303);
    let loc = location(&r);
    assert!(loc.ends_with("?done=created"), "{loc}");
    let id = plan_id_of(&loc);
    let (st, html) = dr.page(&format!("/plans/{id}")).await;
    assert_eq!(st, 200);
    assert!(html.contains("data-testid=\"plan-unapproved\""));
    assert!(html.contains("70%") && html.contains("30%"), "the blend");
    assert!(
        html.contains("非臨床研究"),
        "the rationale's evidence level"
    );
    assert!(
        html.contains("data-testid=\"session-1\""),
        "the proposed course"
    );

    // A coordinator cannot book an unapproved plan, nor approve it.
    let co = app.signed_in("coordinator", "en").await;
    let csrf_co = co.csrf(&format!("/plans/{id}")).await;
    let book = [
        ("csrf", csrf_co.as_str()),
        ("time", "10:00"),
        ("duration_minutes", "60"),
        ("room", "A"),
    ];
    let r = co.post_form(&format!("/plans/{id}/book"), &book).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("not approved"));
    let r = co
        .post_form(
            &format!("/plans/{id}/approve"),
            &[("csrf", csrf_co.as_str()), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 403);

    // The physician approves; the coordinator books the whole course.
    let r = dr
        .post_form(
            &format!("/plans/{id}/approve"),
            &[("csrf", csrf.as_str()), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = co.post_form(&format!("/plans/{id}/book"), &book).await;
    assert_eq!(r.status(), 303);
    let loc = location(&r);
    let c = course(&s, &id).await;
    let n = c["proposal"]["sessions"].as_array().unwrap().len();
    assert!(loc.contains(&format!("done=booked&n={n}")), "{loc}");
    let (_, html) = co.page(&loc).await;
    assert!(
        html.contains(&format!("{n} appointment(s) booked")),
        "{html}"
    );
    assert!(html.contains("data-testid=\"session-1-appt\""));
    assert!(html.contains("data-testid=\"plan-approved\""));

    // Every booked day is an open day: never a Sunday or a public holiday.
    let year = today().year();
    let mut holidays = Vec::new();
    for y in [year, year + 1, year + 2] {
        holidays.extend(jousei_core::calendar::holidays::holidays(y).unwrap());
    }
    for a in c["appointments"].as_array().unwrap() {
        let d: jiff::civil::Date = a["starts_at"].as_str().unwrap()[..10].parse().unwrap();
        assert_ne!(d.weekday(), jiff::civil::Weekday::Sunday);
        assert!(!holidays.iter().any(|h| h.date == d), "{d} is a holiday");
    }

    // The day and week views, and the list the page refreshes.
    let d1 = date_of(&c["revised"]["sessions"][0]["date"]).to_string();
    let (st, html) = co.page(&format!("/schedule?date={d1}")).await;
    assert_eq!(st, 200);
    assert!(html.contains("山田 花子") && html.contains("hx-trigger=\"every 10s\""));
    let (st, html) = co.page(&format!("/schedule?date={d1}&view=week")).await;
    assert_eq!(st, 200);
    assert!(html.contains("山田 花子") && html.contains("week-grid"));
    // A date that cannot be read is named, and today is shown instead.
    let (st, html) = co.page("/schedule?date=2026-13-45").await;
    assert_eq!(st, 422);
    assert!(html.contains("data-testid=\"form-error\""), "{html}");
    let (st, frag) = co.page(&format!("/schedule/list?date={d1}&view=day")).await;
    assert_eq!(st, 200);
    assert!(frag.contains("山田 花子") && !frag.contains("<html"));

    // The taken slot is refused for another patient, and nothing is booked.
    let taro_number = {
        let (_, p) = s
            .coordinator
            .get(&format!("/api/v1/patients/{}", s.taro))
            .await;
        p["number"].as_str().unwrap().to_string()
    };
    let csrf_co = co.csrf("/schedule").await;
    let slot = [
        ("csrf", csrf_co.as_str()),
        ("patient_number", taro_number.as_str()),
        ("date", d1.as_str()),
        ("time", "10:30"),
        ("duration_minutes", "30"),
        ("room", "A"),
        ("view", "day"),
    ];
    let r = co.post_form("/schedule/book", &slot).await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("The time is taken"), "{html}");
    let (_, list) = s
        .coordinator
        .get(&format!("/api/v1/appointments?from={d1}&to={d1}"))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // An unknown number names the field.
    let mut unknown = slot;
    unknown[1] = ("patient_number", "NO-SUCH");
    let r = co.post_form("/schedule/book", &unknown).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=\"error-patient_number\"")
    );
    // Room B at the same time is free.
    let mut free = slot;
    free[5] = ("room", "B");
    let r = co.post_form("/schedule/book", &free).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());

    // The per-room view.
    let (_, html) = co.page(&format!("/schedule?date={d1}&room=A")).await;
    assert!(html.contains("山田 花子") && !html.contains("鈴木 太郎"));
    let (_, html) = co.page(&format!("/schedule?date={d1}&room=B")).await;
    assert!(!html.contains("山田 花子") && html.contains("鈴木 太郎"));

    // The iCalendar file and the reminder list.
    let r = co
        .get(&format!("/schedule/export.ics?from={d1}&to={d1}"))
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = r.text().await.unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    let (st, _) = co.page("/schedule/reminders?days=14").await;
    assert_eq!(st, 200);

    // Quality staff do not see the schedule.
    let qa = app.signed_in("quality", "en").await;
    let (st, _) = qa.page("/schedule").await;
    assert_eq!(st, 403);
}

#[tokio::test]
async fn a_missed_session_shifts_the_rest_and_a_mistaken_status_is_undone_in_the_ui() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let start = today().checked_sub(jiff::Span::new().days(24)).unwrap();
    let id = approved_plan(&s, &s.taro, &start.to_string()).await;
    let c = course(&s, &id).await;
    let d1 = date_of(&c["proposal"]["sessions"][0]["date"]).to_string();
    let d2 = date_of(&c["proposal"]["sessions"][1]["date"]).to_string();

    let co = app.signed_in("coordinator", "ja").await;
    let plan_page = format!("/plans/{id}");
    let csrf = co.csrf(&plan_page).await;
    for (n, d) in [("1", d1.as_str()), ("2", d2.as_str())] {
        let r = co
            .post_form(
                &format!("/plans/{id}/book-session"),
                &[
                    ("csrf", csrf.as_str()),
                    ("session_ordinal", n),
                    ("date", d),
                    ("time", "10:00"),
                    ("duration_minutes", "60"),
                    ("room", "B"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "session {n}");
    }
    let r = co
        .post_form(
            &format!("/plans/{id}/book"),
            &[
                ("csrf", csrf.as_str()),
                ("time", "15:30"),
                ("duration_minutes", "45"),
                ("room", "B"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let c = course(&s, &id).await;
    let appt_of = |n: u64| {
        c["appointments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["session_ordinal"] == n)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a1, a2) = (appt_of(1), appt_of(2));
    let status = |st: &str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.clone()),
            ("status", st.to_string()),
            ("back", plan_page.clone()),
        ]
    };
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let co = &co;
        async move {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            co.post_form(&path, &f).await
        }
    };
    for st in ["checked_in", "done"] {
        let r = post(format!("/schedule/appointments/{a1}/status"), status(st)).await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), format!("{plan_page}?done=status"));
    }
    // Session 2 checked in by mistake; the undo needs its reason.
    let r = post(
        format!("/schedule/appointments/{a2}/status"),
        status("checked_in"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let undo = format!("/schedule/appointments/{a2}/undo");
    let r = post(
        undo.clone(),
        vec![("csrf", csrf.clone()), ("reason", " ".into())],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=\"error-reason\"")
    );
    let r = post(
        undo,
        vec![
            ("csrf", csrf.clone()),
            ("reason", "別の患者と取り違え".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (st, html) = co.page(&format!("/schedule/appointments/{a2}")).await;
    assert_eq!(st, 200);
    assert!(html.contains("別の患者と取り違え") && html.contains("取り消し"));
    assert!(html.contains("予約済"), "back to booked");
    // Then a no-show: the plan page shows the miss and offers to move the rest.
    let r = post(
        format!("/schedule/appointments/{a2}/status"),
        status("no_show"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = co.page(&plan_page).await;
    assert!(html.contains("未来院"), "missed on");
    assert!(html.contains("data-testid=\"reschedule\""), "{html}");
    let r = post(
        format!("/plans/{id}/reschedule"),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("done=moved"));
    // Each later session is within its phase's interval; nothing left to move.
    let c = course(&s, &id).await;
    let revised = c["revised"]["sessions"].as_array().unwrap();
    assert_eq!(revised[1]["missed_on"], d2);
    for r in &revised[2..] {
        let gap = r["interval_days"].as_i64().unwrap();
        let (min, max) = (
            r["interval"]["min_days"].as_i64().unwrap(),
            r["interval"]["max_days"].as_i64().unwrap(),
        );
        assert!((min..=max).contains(&gap), "{r}");
    }
    let (_, html) = co.page(&plan_page).await;
    assert!(!html.contains("data-testid=\"reschedule\""));
}
