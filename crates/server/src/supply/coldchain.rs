//! The cold-chain screen: import a data-logger file for a location, see
//! each import as a chart, and acknowledge excursions with a comment.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jousei_core::role::Permission;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::{AppState, Ctx, Signed};
use crate::error::ApiError;
use crate::pages::{Layout, local_time};
use crate::supply::pages::Problems;
use jousei_service::auth::Principal;
use jousei_service::supply as ops;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/supply/coldchain", get(page))
        .route(
            "/supply/coldchain/imports",
            post(import).layer(DefaultBodyLimit::max(ops::LOGGER_MAX + 64 * 1024)),
        )
        .route("/supply/coldchain/imports/{id}/chart.svg", get(chart))
        .route(
            "/supply/coldchain/excursions/{id}/acknowledge",
            post(acknowledge),
        )
}

pub struct ExcursionView {
    pub id: Uuid,
    pub location: String,
    pub start: String,
    pub end: String,
    pub minutes_line: String,
    pub extreme: String,
    pub lots_line: String,
    pub comment: String,
    pub acknowledged: String,
}

pub struct ImportView {
    pub id: Uuid,
    pub location: String,
    pub filename: String,
    pub device: Option<String>,
    pub period: String,
    pub count_line: String,
    pub alt: String,
}

pub struct ResultView {
    pub headline: String,
    pub held: String,
    pub notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "supply/coldchain.html")]
struct Page<'a> {
    l: Layout<'a>,
    can_ack: bool,
    locations: Vec<(Uuid, String)>,
    open: Vec<ExcursionView>,
    closed: Vec<ExcursionView>,
    imports: Vec<ImportView>,
    result: Option<ResultView>,
    errs: Problems,
}

async fn render_page(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    result: Option<ResultView>,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let i = &state.i18n;
    let loc = ctx.locale;
    let zone = p.clinic.time_zone.clone();
    let locations = state.store.locations(p.clinic.id).await?;
    let name_of = |id: Uuid| {
        locations
            .iter()
            .find(|l| l.id == id)
            .map(|l| format!("{} {}", l.code, l.name))
            .unwrap_or_default()
    };
    let view = |e: jousei_store::supply::Excursion| ExcursionView {
        id: e.id,
        location: name_of(e.location_id),
        start: local_time(e.start_at.0, &zone),
        end: local_time(e.end_at.0, &zone),
        minutes_line: i.t_args(loc, "cc-minutes", &[("minutes", e.minutes.to_string())]),
        extreme: format!(
            "{} ({})",
            e.extreme,
            i.t(loc, &format!("cc-direction-{}", e.direction))
        ),
        lots_line: if e.lots.is_empty() {
            i.t(loc, "cc-no-lots")
        } else {
            i.t_args(loc, "cc-lots-held", &[("lots", e.lots.join(", "))])
        },
        comment: e.comment.unwrap_or_default(),
        acknowledged: e
            .acknowledged_at
            .map(|t| local_time(t.0, &zone))
            .unwrap_or_default(),
    };
    let all = state.store.excursions(p.clinic.id, false).await?;
    let (open, closed): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|e| e.acknowledged_at.is_none());
    let imports = state
        .store
        .temperature_imports(p.clinic.id, None)
        .await?
        .into_iter()
        .map(|t| ImportView {
            id: t.id,
            location: name_of(t.location_id),
            filename: t.filename,
            device: t.device,
            period: format!(
                "{} 〜 {}",
                local_time(t.first_at.0, &zone),
                local_time(t.last_at.0, &zone)
            ),
            count_line: i.t_args(
                loc,
                "cc-readings",
                &[("count", t.reading_count.to_string())],
            ),
            alt: i.t(loc, "cc-chart-alt"),
        })
        .collect();
    let mut l = Layout::new(state, ctx, "cc-title", "/supply/coldchain");
    l.flash = None;
    let page = Page {
        can_ack: p.can(Permission::ColdChainAck),
        locations: locations
            .iter()
            .map(|x| (x.id, format!("{} {}", x.code, x.name)))
            .collect(),
        open: open.into_iter().map(view).collect(),
        closed: closed.into_iter().map(view).collect(),
        imports,
        result,
        errs,
        l,
    };
    Ok((status, Html(page.render().map_err(ApiError::internal)?)).into_response())
}

#[derive(Deserialize)]
struct PageQuery {
    imported: Option<Uuid>,
}

async fn page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let result = q.imported.map(|_| ResultView {
        headline: state.i18n.t(ctx.locale, "cc-imported"),
        held: String::new(),
        notes: Vec::new(),
    });
    render_page(
        &state,
        &p,
        &ctx,
        result,
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

async fn import(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    p.require(Permission::ColdChainAck)?;
    let mut location: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let filename = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(bytes) if name == "location_id" => {
                        location = Some(String::from_utf8_lossy(&bytes).trim().to_string());
                    }
                    Ok(bytes) if name == "file" => file = Some((filename, bytes.to_vec())),
                    Ok(_) => {}
                    Err(e) => {
                        let err = ApiError::new(e.status(), "payload_too_large").with_field("file");
                        return problem(&state, &p, &ctx, &err).await;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                let err = ApiError::new(e.status(), "invalid_request").with_field("file");
                return problem(&state, &p, &ctx, &err).await;
            }
        }
    }
    let Some(location_id) = location.and_then(|l| l.parse::<Uuid>().ok()) else {
        let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "field_required")
            .with_field("location_id");
        return problem(&state, &p, &ctx, &err).await;
    };
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "file_empty").with_field("file");
        return problem(&state, &p, &ctx, &err).await;
    };
    match ops::import_logger(&state, &p, location_id, &filename, &bytes).await {
        Ok(r) => {
            let i = &state.i18n;
            let loc = ctx.locale;
            let o = &r.outcome;
            let result = ResultView {
                headline: i.t_args(
                    loc,
                    "cc-import-summary",
                    &[
                        ("count", o.import.reading_count.to_string()),
                        ("excursions", o.excursions.len().to_string()),
                    ],
                ),
                held: if o.held_lots.is_empty() {
                    String::new()
                } else {
                    i.t_args(loc, "cc-lots-held", &[("lots", o.held_lots.join(", "))])
                },
                notes: [
                    (r.brief_deviations > 0).then(|| {
                        i.t_args(
                            loc,
                            "cc-deviations",
                            &[("count", r.brief_deviations.to_string())],
                        )
                    }),
                    (r.gaps > 0)
                        .then(|| i.t_args(loc, "cc-gaps", &[("count", r.gaps.to_string())])),
                ]
                .into_iter()
                .flatten()
                .collect(),
            };
            render_page(
                &state,
                &p,
                &ctx,
                Some(result),
                Problems::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) if crate::error::status_of(e.kind).is_client_error() => {
            problem(&state, &p, &ctx, &ApiError::from(e.clone())).await
        }
        Err(e) => Err(ApiError::from(e)),
    }
}

async fn problem(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    e: &ApiError,
) -> Result<Response, ApiError> {
    let errs = Problems::from_error(&state.i18n, ctx.locale, e);
    render_page(state, p, ctx, None, errs, e.status).await
}

async fn chart(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let svg = ops::import_chart(&state, &p, id).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    )
        .into_response())
}

#[derive(Deserialize)]
struct AckForm {
    comment: String,
}

async fn acknowledge(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    Form(f): Form<AckForm>,
) -> Result<Response, ApiError> {
    match ops::acknowledge_excursion(&state, &p, id, &f.comment).await {
        Ok(()) => Ok(Redirect::to("/supply/coldchain").into_response()),
        Err(e) if crate::error::status_of(e.kind) == StatusCode::UNPROCESSABLE_ENTITY => {
            problem(&state, &p, &ctx, &ApiError::from(e.clone())).await
        }
        Err(e) => Err(ApiError::from(e)),
    }
}
