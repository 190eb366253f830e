//! One lot: certificate, results, state, movements, history.

use super::*;

/// One required test against the certificate.
pub struct SpecRow {
    pub test: String,
    pub code: &'static str,
    pub criterion: String,
    pub outcome: String,
    pub method: String,
    pub date: String,
    /// `pass`, `fail` or `missing`.
    pub status: &'static str,
    pub status_label: String,
}

pub struct ResultRow {
    pub test: String,
    pub outcome: String,
    pub method: String,
    pub date: String,
    pub entered: String,
    pub certificate: String,
}

pub struct CertRow {
    pub id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub size: String,
    pub at: String,
}

pub struct StockLineRow {
    pub location_id: Uuid,
    pub location: String,
    pub vials: i64,
}

pub struct MovementView {
    pub at: String,
    pub kind: String,
    pub location: String,
    pub delta: String,
    pub reason: String,
    pub witness: String,
    pub actor: String,
}

pub struct EventRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub change: String,
    pub reason: String,
}

/// An empty line of the results form, preset to a test.
pub struct ResultLine {
    pub tests: Vec<Choice>,
}

/// A problem shown next to one of the lot page's forms.
pub struct SectionProblems {
    pub section: &'static str,
    pub problems: Problems,
}

#[derive(Template)]
#[template(path = "supply/lot.html")]
pub(crate) struct LotPage<'a> {
    l: Layout<'a>,
    lot: LotRow,
    product_name: String,
    product_version: i64,
    unavailable: String,
    spec_rows: Vec<SpecRow>,
    results: Vec<ResultRow>,
    certificates: Vec<CertRow>,
    blockers: Vec<String>,
    actions: Vec<Choice>,
    stock: Vec<StockLineRow>,
    locations: Vec<Choice>,
    movements: Vec<MovementView>,
    events: Vec<EventRow>,
    result_lines: Vec<ResultLine>,
    can_release: bool,
    can_hold: bool,
    can_receive: bool,
    can_move: bool,
    is_quarantined: bool,
    open_excursions: i64,
    scan_raw: String,
    supplier_ref: String,
    problem: Option<SectionProblems>,
}

impl LotPage<'_> {
    /// The problems of one section's form.
    pub fn problems_in(&self, section: &str) -> Option<&Problems> {
        self.problem
            .as_ref()
            .filter(|s| s.section == section)
            .map(|s| &s.problems)
    }
    pub fn field_error(&self, section: &str, field: &str) -> String {
        self.problems_in(section)
            .map(|p| p.field(field))
            .unwrap_or_default()
    }
}

pub(crate) fn refusal_text(
    i18n: &I18n,
    locale: Locale,
    r: &jousei_core::supply::lot::Refusal,
) -> String {
    let args: Vec<(&'static str, String)> = r
        .test
        .map(|t| vec![("test", t.as_str().to_string())])
        .unwrap_or_default();
    message(i18n, locale, r.code, &args)
}

pub(crate) async fn lot_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    problem: Option<SectionProblems>,
    status: StatusCode,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    let view = ops::lot_view(state, p, id).await?;
    let mut l = Layout::new(state, ctx, "sui-lot-title", "/supply/lots");
    l.flash = done_flash(&l, done);
    let now = ops::clinic_now(p);
    let zone = p.clinic.time_zone.clone();
    let i18n = &state.i18n;
    // The latest result of each test counts (as for the release decision).
    let spec_rows = view
        .product
        .spec
        .tests
        .iter()
        .map(|req| {
            let latest = view
                .results
                .iter()
                .enumerate()
                .filter(|(_, r)| r.result.test == req.test)
                .max_by_key(|(i, r)| (r.result.tested_on, *i))
                .map(|(_, r)| r);
            let gap = view.gaps.iter().find(|g| g.test() == req.test);
            let status = match gap {
                Some(CertificateGap::MissingTest { .. }) => "missing",
                Some(CertificateGap::OutOfSpec { .. }) => "fail",
                None => "pass",
            };
            SpecRow {
                test: l.t(&format!("qc-{}", req.test.as_str())),
                code: req.test.as_str(),
                criterion: criterion_text(&l, &req.criterion),
                outcome: latest
                    .map(|r| outcome_text(&l, &r.result.outcome))
                    .unwrap_or_default(),
                method: latest.map(|r| r.result.method.clone()).unwrap_or_default(),
                date: latest
                    .map(|r| r.result.tested_on.to_string())
                    .unwrap_or_default(),
                status,
                status_label: l.t(&format!("sui-check-{status}")),
            }
        })
        .collect::<Vec<_>>();
    let cert_names: BTreeMap<Uuid, String> = view
        .certificates
        .iter()
        .map(|c| (c.id, c.filename.clone()))
        .collect();
    let results = view
        .results
        .iter()
        .map(|r| ResultRow {
            test: l.t(&format!("qc-{}", r.result.test.as_str())),
            outcome: outcome_text(&l, &r.result.outcome),
            method: r.result.method.clone(),
            date: r.result.tested_on.to_string(),
            entered: local_time(r.at.0, &zone),
            certificate: r
                .certificate_id
                .and_then(|c| cert_names.get(&c).cloned())
                .unwrap_or_default(),
        })
        .collect();
    let certificates = view
        .certificates
        .iter()
        .map(|c| CertRow {
            id: c.id,
            filename: c.filename.clone(),
            sha256: c.sha256.clone(),
            size: format!("{:.1} KB", c.size as f64 / 1024.0),
            at: local_time(c.at.0, &zone),
        })
        .collect();
    let blockers = view
        .release_blockers
        .iter()
        .map(|r| refusal_text(i18n, ctx.locale, r))
        .collect();
    let lot_state = view.lot.state;
    let possible: &[LotAction] = match lot_state {
        LotState::Quarantined => &[LotAction::Hold, LotAction::Reject, LotAction::Recall],
        LotState::Released => &[LotAction::Hold, LotAction::Recall],
        LotState::OnHold => &[LotAction::Unhold, LotAction::Reject, LotAction::Recall],
        LotState::Recalled | LotState::Rejected => &[],
    };
    let actions = possible
        .iter()
        .map(|a| Choice {
            value: a.as_str().into(),
            label: l.t(&format!("action-{}", a.as_str())),
            checked: false,
        })
        .collect();
    let locations_all = state.store.locations(p.clinic.id).await?;
    let stock = view
        .stock
        .iter()
        .map(|s: &StockRow| StockLineRow {
            location_id: s.location_id,
            location: locations_all
                .iter()
                .find(|x| x.id == s.location_id)
                .map(|x| format!("{} {}", x.code, x.name))
                .unwrap_or_else(|| s.location_code.clone()),
            vials: s.vials,
        })
        .collect();
    let locations = locations_all
        .iter()
        .map(|x| Choice {
            value: x.id.to_string(),
            label: format!("{} {}", x.code, x.name),
            checked: false,
        })
        .collect();
    let movements = state
        .store
        .movements(p.clinic.id, Some(id), 500)
        .await?
        .iter()
        .map(|m| MovementView {
            at: local_time(m.at.0, &zone),
            kind: l.t(&format!("movement-{}", m.kind)),
            location: m.location_code.clone(),
            delta: if m.delta > 0 {
                format!("+{}", m.delta)
            } else {
                m.delta.to_string()
            },
            reason: m.reason.clone().unwrap_or_default(),
            witness: m.witness_login.clone().unwrap_or_default(),
            actor: m.actor_login.clone().unwrap_or_default(),
        })
        .collect();
    let state_label = |s: &str| {
        if s.is_empty() {
            String::new()
        } else {
            l.t(&format!("state-{s}"))
        }
    };
    let events = view
        .events
        .iter()
        .map(|e| EventRow {
            at: local_time(e.at.0, &zone),
            who: e.actor_login.clone().unwrap_or_default(),
            action: if i18n.has(ctx.locale, &format!("action-{}", e.action)) {
                l.t(&format!("action-{}", e.action))
            } else {
                l.t(&format!(
                    "sui-event-{}",
                    if e.action == "receive" {
                        "receive"
                    } else {
                        "other"
                    }
                ))
            },
            change: match (e.from_state.as_str(), e.to_state.as_str()) {
                ("", to) => state_label(to),
                (from, to) => format!("{} → {}", state_label(from), state_label(to)),
            },
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    // One empty line per test still missing or failing, and one more.
    let mut wanted: Vec<QcTest> = view.gaps.iter().map(CertificateGap::test).collect();
    wanted.push(
        view.product
            .spec
            .tests
            .first()
            .map(|r| r.test)
            .unwrap_or(QcTest::SterilityBacteria),
    );
    let result_lines = wanted
        .iter()
        .map(|t| ResultLine {
            tests: choices(
                &l,
                QcTest::ALL,
                QcTest::as_str,
                "qc",
                &[t.as_str().to_string()],
            ),
        })
        .collect();
    let unavailable = view
        .unavailable
        .map(|c| message(i18n, ctx.locale, c, &[]))
        .unwrap_or_default();
    let page = LotPage {
        lot: lot_row(&l, &view.lot, now, &zone),
        product_name: format!("{} {}", view.product.code, view.product.name),
        product_version: view.lot.product_version,
        unavailable,
        spec_rows,
        results,
        certificates,
        blockers,
        actions,
        stock,
        locations,
        movements,
        events,
        result_lines,
        can_release: p.can(Permission::LotRelease),
        can_hold: p.can(Permission::LotHoldRecall),
        can_receive: p.can(Permission::LotReceive),
        can_move: p.can(Permission::StockMove),
        is_quarantined: lot_state == LotState::Quarantined,
        open_excursions: view.open_excursions,
        scan_raw: view.lot.scan_raw.clone().unwrap_or_default(),
        supplier_ref: view.lot.supplier_ref.clone().unwrap_or_default(),
        problem,
        l,
    };
    render_status(status, &page)
}

pub(crate) async fn lot_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    lot_with(
        &state,
        &p,
        &ctx,
        id,
        None,
        StatusCode::OK,
        q.done.as_deref(),
    )
    .await
}

/// Shows the lot page again with the problem next to the form `section`,
/// or passes on what is not the person's to fix (forbidden, not found, internal).
pub(crate) async fn lot_problem(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Uuid,
    section: &'static str,
    e: ApiError,
) -> Result<Response, ApiError> {
    if !e.status.is_client_error()
        || matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
    {
        return Err(e);
    }
    let problems = Problems::from_error(&state.i18n, ctx.locale, &e);
    lot_with(
        state,
        p,
        ctx,
        id,
        Some(SectionProblems { section, problems }),
        e.status,
        None,
    )
    .await
}

pub(crate) async fn lot_change(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let action_raw = f.get("action");
    let Some(action) = LotAction::parse(&action_raw) else {
        return lot_problem(
            &state,
            &p,
            &ctx,
            id,
            "state",
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "code_unknown").with_field("action"),
        )
        .await;
    };
    let section = if action == LotAction::Release {
        "release"
    } else {
        "state"
    };
    let reason = f.filled("reason");
    let password = f.filled("password");
    match ops::change_lot(
        &state,
        &p,
        id,
        action,
        reason.as_deref(),
        password.as_deref(),
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/supply/lots/{id}?done={}", action.as_str())).into_response(),
        ),
        Err(e) => lot_problem(&state, &p, &ctx, id, section, ApiError::from(e)).await,
    }
}

pub(crate) async fn lot_results(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let (tests, methods, outcomes, units, dates) = (
        f.all("test"),
        f.all("method"),
        f.all("outcome"),
        f.all("unit"),
        f.all("tested_on"),
    );
    let common_date = f.get("tested_on_all");
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    // Lines left blank (no outcome and no method) are not results.
    let lines: Vec<ResultIn> = (0..tests.len())
        .filter(|i| !at(&outcomes, *i).trim().is_empty() || !at(&methods, *i).trim().is_empty())
        .map(|i| {
            let own = at(&dates, i);
            ResultIn {
                test: at(&tests, i),
                method: at(&methods, i),
                outcome: at(&outcomes, i),
                unit: Some(at(&units, i)),
                tested_on: if own.trim().is_empty() {
                    common_date.clone()
                } else {
                    own
                },
            }
        })
        .collect();
    let certificate_id = match f.filled("certificate_id") {
        Some(c) => match c.parse::<Uuid>() {
            Ok(c) => Some(c),
            Err(_) => {
                let e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_found")
                    .with_field("file");
                return lot_problem(&state, &p, &ctx, id, "results", e).await;
            }
        },
        None => None,
    };
    match ops::add_results(&state, &p, id, &lines, certificate_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/supply/lots/{id}?done=results")).into_response()),
        Err(e) => lot_problem(&state, &p, &ctx, id, "results", ApiError::from(e)).await,
    }
}

pub(crate) async fn lot_movement(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Pairs::parse(&body);
    let input = MovementIn {
        lot_id: id.to_string(),
        location_id: f.get("location_id"),
        kind: f.get("kind"),
        quantity: f.get("quantity"),
        to_location_id: f.filled("to_location_id"),
        reason: f.filled("reason"),
        witness: f.filled("witness"),
    };
    // The lot must be this clinic's before anything is said about it.
    ops::lot_view(&state, &p, id).await?;
    match ops::record_movement(&state, &p, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/supply/lots/{id}?done=movement")).into_response()),
        Err(e) => {
            let section = match input.kind.as_str() {
                "destroy" => "destroy",
                "adjust" => "adjust",
                _ => "move",
            };
            lot_problem(&state, &p, &ctx, id, section, ApiError::from(e)).await
        }
    }
}

/// The `file` part of an upload form: its name, declared type and bytes.
pub(crate) async fn uploaded_file(
    multipart: &mut Multipart,
) -> Result<Option<(String, String, Vec<u8>)>, axum::extract::multipart::MultipartError> {
    while let Some(field) = multipart.next_field().await? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let ct = field.content_type().unwrap_or("").to_string();
            return Ok(Some((name, ct, field.bytes().await?.to_vec())));
        }
    }
    Ok(None)
}

pub(crate) async fn lot_certificate(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Path(id): Path<Uuid>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    p.require(Permission::LotReceive)?;
    let file = match uploaded_file(&mut multipart).await {
        Ok(f) => f,
        Err(e) => {
            let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "invalid_request"
            };
            let err = ApiError::new(e.status(), code).with_field("file");
            return lot_problem(&state, &p, &ctx, id, "certificate", err).await;
        }
    };
    let (name, ct, data) = file.unwrap_or_default();
    match ops::add_certificate(&state, &p, id, &name, &ct, data).await {
        Ok(_) => Ok(Redirect::to(&format!("/supply/lots/{id}?done=certificate")).into_response()),
        Err(e) => lot_problem(&state, &p, &ctx, id, "certificate", ApiError::from(e)).await,
    }
}

pub(crate) async fn certificate(
    State(state): State<AppState>,
    Signed(p, _): Signed,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    crate::supply::api::certificate_response(&state, &p, id).await
}
