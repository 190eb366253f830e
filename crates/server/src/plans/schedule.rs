//! The schedule web UI: the day and week views of the clinic's
//! appointments (refreshed every few seconds without a reload, so a second
//! coordinator sees a slot taken as soon as it is), status changes at the
//! desk, one appointment with its recorded history and undo, booking by
//! patient number, the reminder list (printable) and the iCalendar file.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use jousei_core::calendar::{ClosedReason, DayStatus};
use jousei_core::error::FieldError;
use jousei_core::locale::Locale;
use jousei_core::plan::appointment::AppointmentStatus;
use jousei_core::role::Permission;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::form::Pairs;
use crate::pages::{Layout, local_time};
use crate::patients::pages::{Opt, page_problem};
use crate::plans::pages::day_label;
use crate::supply::pages::{Problems, render_status};
use jousei_service::auth::Principal;
use jousei_service::patients as patient_ops;
use jousei_service::plans::{self as ops, AppointmentIn, AppointmentView, StatusIn};
use jousei_service::supply::clinic_today;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schedule", get(schedule_page))
        .route("/schedule/list", get(list_fragment))
        .route("/schedule/book", post(book_submit))
        .route("/schedule/reminders", get(reminders_page))
        .route("/schedule/export.ics", get(ics_file))
        .route("/schedule/appointments/{id}", get(appointment_page))
        .route("/schedule/appointments/{id}/status", post(status_submit))
        .route("/schedule/appointments/{id}/undo", post(undo_submit))
}

/// Which days the page shows: one day, or the Monday-to-Sunday week of it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Day,
    Week,
}

struct Range {
    view: View,
    date: Date,
    first: Date,
    last: Date,
    /// Only this room's appointments (the per-room view), when chosen.
    room: Option<String>,
}

impl Range {
    /// From the query: `date` (default today) and `view` (default day).
    /// An unreadable date falls back to today.
    fn of(p: &Principal, q: &Pairs) -> Range {
        let today = clinic_today(p);
        let date = q.get("date").trim().parse::<Date>().unwrap_or(today);
        let view = if q.get("view") == "week" {
            View::Week
        } else {
            View::Day
        };
        let (first, last) = match view {
            View::Day => (date, date),
            View::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                let first = date.checked_sub(Span::new().days(back)).unwrap_or(date);
                (
                    first,
                    first.checked_add(Span::new().days(6)).unwrap_or(first),
                )
            }
        };
        Range {
            view,
            date,
            first,
            last,
            room: q.filled("room").map(|r| r.trim().to_string()),
        }
    }
    fn view_str(&self) -> &'static str {
        match self.view {
            View::Day => "day",
            View::Week => "week",
        }
    }
    fn shift(&self, days: i64) -> Date {
        self.date
            .checked_add(Span::new().days(days))
            .unwrap_or(self.date)
    }
    /// The query of this range (for links, the refresh and going back).
    fn query(&self) -> String {
        format!(
            "date={}&view={}{}",
            self.date,
            self.view_str(),
            self.room_query()
        )
    }
    /// `&room=…` when a room is chosen (encoded), else nothing.
    fn room_query(&self) -> String {
        match &self.room {
            Some(r) => format!(
                "&room={}",
                url::form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
            ),
            None => String::new(),
        }
    }
}

pub struct Action {
    pub status: &'static str,
    pub label: String,
}

pub struct Row {
    pub id: Uuid,
    pub time: String,
    pub end: String,
    pub patient_id: Uuid,
    pub patient: String,
    pub kana: String,
    pub session: Option<(Uuid, u32)>,
    pub room: String,
    pub status_code: &'static str,
    pub status: String,
    pub actions: Vec<Action>,
}

pub struct DayCol {
    pub date: Date,
    pub label: String,
    /// Closed (regular day off, closure, holiday) or a holiday the clinic
    /// opens on, with its name.
    pub note: Option<String>,
    pub closed: bool,
    pub today: bool,
    pub rows: Vec<Row>,
}

/// The appointments of the range, day by day, with what can be done next,
/// and every room they use (for the per-room view).
async fn days(
    state: &AppState,
    p: &Principal,
    l: &Layout<'_>,
    r: &Range,
) -> Result<(Vec<DayCol>, Vec<String>), ApiError> {
    let list = ops::appointments(state, p, &r.first.to_string(), &r.last.to_string()).await?;
    let mut rooms: Vec<String> = list
        .iter()
        .filter_map(|v| v.appointment.room.clone())
        .chain(r.room.clone())
        .collect();
    rooms.sort();
    rooms.dedup();
    let list: Vec<AppointmentView> = list
        .into_iter()
        .filter(|v| r.room.is_none() || v.appointment.room == r.room)
        .collect();
    let cal = state.store.clinic_calendar(p.clinic.id).await?;
    let can_write = p.can(Permission::ScheduleWrite);
    let today = clinic_today(p);
    let tz = ops::clinic_tz(p);
    let mut out = Vec::new();
    let mut d = r.first;
    while d <= r.last {
        let (closed, note) = match cal.day(d) {
            Ok(DayStatus::Open { holiday, .. }) => (
                false,
                holiday.map(|h| match l.locale {
                    Locale::En => h.name_en.to_string(),
                    _ => h.name.to_string(),
                }),
            ),
            Ok(DayStatus::Closed { reason }) => (
                true,
                Some(match reason {
                    ClosedReason::Closure { reason } => reason,
                    ClosedReason::PublicHoliday { holiday } => match l.locale {
                        Locale::En => holiday.name_en.to_string(),
                        _ => holiday.name.to_string(),
                    },
                    ClosedReason::RegularDayOff => l.t("schui-day-off"),
                }),
            ),
            Err(_) => (false, None),
        };
        let rows = list
            .iter()
            .filter(|v| v.local_date == d)
            .map(|v| row(l, v, can_write, &tz))
            .collect();
        out.push(DayCol {
            date: d,
            label: day_label(l, d),
            note,
            closed,
            today: d == today,
            rows,
        });
        d = match d.tomorrow() {
            Ok(n) => n,
            Err(_) => break,
        };
    }
    Ok((out, rooms))
}

fn row(l: &Layout<'_>, v: &AppointmentView, can_write: bool, tz: &jiff::tz::TimeZone) -> Row {
    let a = &v.appointment;
    let next: &[AppointmentStatus] = match a.status {
        AppointmentStatus::Booked => &[
            AppointmentStatus::CheckedIn,
            AppointmentStatus::NoShow,
            AppointmentStatus::Cancelled,
        ],
        AppointmentStatus::CheckedIn => &[AppointmentStatus::Done, AppointmentStatus::Cancelled],
        _ => &[],
    };
    Row {
        id: a.id,
        time: v.local_time.clone(),
        end: ops::local_time(a.ends_at, tz).strftime("%H:%M").to_string(),
        patient_id: a.patient_id,
        patient: format!("{} {}", v.patient_number, v.patient_name),
        kana: v.patient_kana.clone(),
        session: a.plan_id.zip(a.session_ordinal),
        room: a.room.clone().unwrap_or_default(),
        status_code: a.status.as_str(),
        status: l.t(&format!("plui-appt-{}", a.status.as_str())),
        actions: if can_write {
            next.iter()
                .map(|s| Action {
                    status: s.as_str(),
                    label: l.t(&format!("schui-do-{}", s.as_str())),
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

#[derive(Template)]
#[template(path = "plans/schedule/list.html")]
struct ListFragment<'a> {
    l: Layout<'a>,
    week: bool,
    days: Vec<DayCol>,
    back: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "plans/schedule/index.html")]
struct SchedulePage<'a> {
    l: Layout<'a>,
    errs: Problems,
    flash: Option<String>,
    week: bool,
    days: Vec<DayCol>,
    back: String,
    updated: String,
    query: String,
    title: String,
    prev: String,
    next: String,
    today: String,
    date: String,
    view: &'static str,
    rooms: Vec<Opt>,
    can_write: bool,
    book: Pairs,
    ics_from: String,
    ics_to: String,
}

impl SchedulePage<'_> {
    fn bv(&self, key: &str, default: &str) -> String {
        let v = self.book.get(key);
        if v.is_empty() { default.to_string() } else { v }
    }
}

fn updated(p: &Principal) -> String {
    local_time(Timestamp::now(), &p.clinic.time_zone)
}

async fn schedule_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    page_with(
        &state,
        &p,
        &ctx,
        &q,
        Problems::default(),
        Pairs::default(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn page_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &Pairs,
    errs: Problems,
    book: Pairs,
    status: StatusCode,
) -> Result<Response, ApiError> {
    p.require(Permission::ScheduleRead)?;
    let r = Range::of(p, q);
    // A date that cannot be read is named; the page shows today instead.
    let typed = q.get("date");
    let (errs, status) =
        if !errs.any() && !typed.trim().is_empty() && typed.trim().parse::<Date>().is_err() {
            let e = ApiError::fields(vec![FieldError::new("date", "date_invalid")]);
            (
                Problems::from_error(&state.i18n, ctx.locale, &e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        } else {
            (errs, status)
        };
    let l = Layout::new(state, ctx, "schui-title", "/schedule");
    let (days, rooms) = days(state, p, &l, &r).await?;
    let step = if r.view == View::Week { 7 } else { 1 };
    let title = match r.view {
        View::Day => day_label(&l, r.date),
        View::Week => format!("{} – {}", day_label(&l, r.first), day_label(&l, r.last)),
    };
    let flash = match q.get("done").as_str() {
        "booked" => Some(l.t("schui-done-booked")),
        "status" => Some(l.t("schui-done-status")),
        "undone" => Some(l.t("schui-done-undone")),
        _ => None,
    };
    let date = if book.get("date").is_empty() {
        r.date.to_string()
    } else {
        book.get("date")
    };
    render_status(
        status,
        &SchedulePage {
            errs,
            flash,
            week: r.view == View::Week,
            days,
            back: format!("/schedule?{}", r.query()),
            updated: updated(p),
            query: r.query(),
            title,
            prev: format!(
                "date={}&view={}{}",
                r.shift(-step),
                r.view_str(),
                r.room_query()
            ),
            next: format!(
                "date={}&view={}{}",
                r.shift(step),
                r.view_str(),
                r.room_query()
            ),
            rooms: rooms
                .into_iter()
                .map(|room| Opt {
                    checked: r.room.as_deref() == Some(room.as_str()),
                    label: room.clone(),
                    value: room,
                })
                .collect(),
            today: clinic_today(p).to_string(),
            date,
            view: r.view_str(),
            can_write: p.can(Permission::ScheduleWrite),
            book,
            ics_from: r.first.to_string(),
            ics_to: r
                .first
                .checked_add(Span::new().days(27))
                .unwrap_or(r.last)
                .to_string(),
            l,
        },
    )
}

/// The list alone, for the page's refresh every few seconds.
async fn list_fragment(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    p.require(Permission::ScheduleRead)?;
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    let r = Range::of(&p, &q);
    let l = Layout::new(&state, &ctx, "schui-title", "/schedule");
    let (days, _) = days(&state, &p, &l, &r).await?;
    let mut resp = render_status(
        StatusCode::OK,
        &ListFragment {
            week: r.view == View::Week,
            days,
            back: format!("/schedule?{}", r.query()),
            updated: updated(&p),
            l,
        },
    )?;
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Where to go back to after a change: a schedule or plan page of this
/// site, never elsewhere.
fn back_to(f: &Pairs) -> String {
    let b = f.get("back");
    if (b.starts_with("/schedule") || b.starts_with("/plans/")) && !b.starts_with("//") {
        b
    } else {
        "/schedule".to_string()
    }
}

fn with_done(url: &str, done: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}done={done}")
}

async fn book_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::ScheduleWrite)?;
    let f = Pairs::parse(&body);
    let number = f.get("patient_number").trim().to_string();
    let patient_id = patient_ops::by_number(&state, p.clinic.id, &number)
        .await?
        .map(|pt| pt.id);
    let q = Pairs(vec![
        ("date".into(), f.get("date")),
        ("view".into(), f.get("view")),
    ]);
    let Some(patient_id) = patient_id else {
        let e = ApiError::fields(vec![FieldError::new(
            "patient_number",
            "appointment_patient_number_unknown",
        )]);
        let status = e.status;
        let errs = page_problem(&state, &ctx, e)?;
        return page_with(&state, &p, &ctx, &q, errs, f, status).await;
    };
    let input = AppointmentIn {
        patient_id: patient_id.to_string(),
        plan_id: None,
        session_ordinal: None,
        date: f.get("date"),
        time: f.get("time"),
        duration_minutes: f.get("duration_minutes").trim().parse().unwrap_or(0),
        room: f.filled("room"),
        staff_id: None,
        note: f.filled("note"),
    };
    let e = match ops::create_appointment(&state, &p, &input).await {
        Ok(Ok(_)) => {
            let back = format!("/schedule?date={}&view={}", f.get("date").trim(), {
                if f.get("view") == "week" {
                    "week"
                } else {
                    "day"
                }
            });
            return Ok(Redirect::to(&with_done(&back, "booked")).into_response());
        }
        Ok(Err(conflicts)) => ops::conflict_error(&conflicts),
        Err(e) => e,
    };
    let status = crate::error::status_of(e.kind);
    let errs = page_problem(&state, &ctx, ApiError::from(e))?;
    page_with(&state, &p, &ctx, &q, errs, f, status).await
}

async fn status_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = StatusIn {
        status: f.get("status"),
        reason: f.filled("reason"),
    };
    match ops::set_status(&state, &p, id, &input).await {
        Ok(_) => Ok(Redirect::to(&with_done(&back_to(&f), "status")).into_response()),
        Err(e) => appointment_with(&state, &p, &ctx, id, Some(ApiError::from(e)), &f).await,
    }
}

async fn undo_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    match ops::undo_status(&state, &p, id, &f.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&with_done(&back_to(&f), "undone")).into_response()),
        Err(e) => appointment_with(&state, &p, &ctx, id, Some(ApiError::from(e)), &f).await,
    }
}

// ---------------------------------------------------------------------------------------------
// One appointment

pub struct EventRow {
    pub at: String,
    pub what: String,
    pub when: String,
    pub reason: String,
    pub who: String,
}

#[derive(Template)]
#[template(path = "plans/schedule/appointment.html")]
struct AppointmentPage<'a> {
    l: Layout<'a>,
    errs: Problems,
    id: Uuid,
    patient_id: Uuid,
    patient: String,
    plan: Option<(Uuid, u32)>,
    when: String,
    room: String,
    note: String,
    status_code: &'static str,
    status: String,
    events: Vec<EventRow>,
    actions: Vec<Action>,
    can_undo: bool,
    back: String,
    reason: String,
}

async fn appointment_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    appointment_with(&state, &p, &ctx, id, None, &q).await
}

async fn appointment_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    e: Option<ApiError>,
    f: &Pairs,
) -> Result<Response, ApiError> {
    let (status, errs) = match e {
        Some(e) => (e.status, page_problem(state, ctx, e)?),
        None => (StatusCode::OK, Problems::default()),
    };
    let d = ops::appointment(state, p, id).await?;
    let patient = patient_ops::get(state, p, d.appointment.patient_id).await?;
    let l = Layout::new(state, ctx, "schui-appointment-title", "/schedule");
    let tz = ops::clinic_tz(p);
    let a = &d.appointment;
    let when = |s: jousei_store::Ts, e: jousei_store::Ts| {
        format!(
            "{} {}–{}",
            day_label(&l, ops::local_date(s, &tz)),
            ops::local_time(s, &tz).strftime("%H:%M"),
            ops::local_time(e, &tz).strftime("%H:%M")
        )
    };
    let events = d
        .events
        .iter()
        .map(|ev| EventRow {
            at: local_time(ev.at.0, &p.clinic.time_zone),
            what: {
                let to = l.t(&format!("plui-appt-{}", ev.to_status.as_str()));
                let kind = l.t(&format!("schui-event-{}", ev.kind));
                match ev.from_status {
                    Some(from) if from != ev.to_status => format!(
                        "{kind}: {} → {to}",
                        l.t(&format!("plui-appt-{}", from.as_str()))
                    ),
                    _ => format!("{kind}: {to}"),
                }
            },
            when: when(ev.starts_at, ev.ends_at),
            reason: ev.reason.clone().unwrap_or_default(),
            who: ev.actor_label.clone(),
        })
        .collect();
    let can_write = p.can(Permission::ScheduleWrite);
    let r = row(
        &l,
        &AppointmentView {
            appointment: a.clone(),
            local_date: ops::local_date(a.starts_at, &tz),
            local_time: String::new(),
            patient_number: String::new(),
            patient_name: String::new(),
            patient_kana: String::new(),
            phone: String::new(),
            email: None,
        },
        can_write,
        &tz,
    );
    let page = AppointmentPage {
        errs,
        id,
        patient_id: a.patient_id,
        patient: format!(
            "{} {} ({})",
            patient.patient.number, patient.patient.facts.name, patient.phone_display
        ),
        plan: a.plan_id.zip(a.session_ordinal),
        when: when(a.starts_at, a.ends_at),
        room: a.room.clone().unwrap_or_default(),
        note: a.note.clone().unwrap_or_default(),
        status_code: a.status.as_str(),
        status: l.t(&format!("plui-appt-{}", a.status.as_str())),
        can_undo: can_write && d.events.iter().any(|e| e.kind == "status"),
        events,
        actions: r.actions,
        back: {
            let b = back_to(f);
            if b == "/schedule" {
                format!("/schedule/appointments/{id}")
            } else {
                b
            }
        },
        reason: f.get("reason"),
        l,
    };
    render_status(status, &page)
}

// ---------------------------------------------------------------------------------------------
// Reminders and the iCalendar file

#[derive(Template)]
#[template(path = "plans/schedule/reminders.html")]
struct RemindersPage<'a> {
    l: Layout<'a>,
    days: u32,
    rows: Vec<ReminderRow>,
    printed: String,
}

pub struct ReminderRow {
    pub when: String,
    pub patient: String,
    pub kana: String,
    pub phone: String,
    pub email: String,
    pub session: String,
    pub room: String,
}

async fn reminders_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    let days = q.get("days").trim().parse::<u32>().unwrap_or(2).min(31);
    let list = ops::reminders(&state, &p, Some(days)).await?;
    let l = Layout::new(&state, &ctx, "schui-reminders-title", "/schedule");
    let rows = list
        .iter()
        .map(|v| ReminderRow {
            when: format!("{} {}", day_label(&l, v.local_date), v.local_time),
            patient: format!("{} {}", v.patient_number, v.patient_name),
            kana: v.patient_kana.clone(),
            phone: v.phone.clone(),
            email: v.email.clone().unwrap_or_default(),
            session: v
                .appointment
                .session_ordinal
                .map(|n| {
                    l.i18n
                        .t_args(l.locale, "schui-session-n", &[("n", n.to_string())])
                })
                .unwrap_or_default(),
            room: v.appointment.room.clone().unwrap_or_default(),
        })
        .collect();
    render_status(
        StatusCode::OK,
        &RemindersPage {
            days,
            rows,
            printed: updated(&p),
            l,
        },
    )
}

async fn ics_file(
    State(state): State<AppState>,
    Signed(p, _ctx): Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Pairs::parse(raw.unwrap_or_default().as_bytes());
    let body = ops::ics_export(
        &state,
        &p,
        &q.get("from"),
        &q.get("to"),
        q.get("names") == "1",
    )
    .await?;
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"jousei-schedule.ics\""),
    );
    Ok(resp)
}
