//! Lots: list and receive.

use super::*;

pub struct StateFilter {
    pub value: &'static str,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "supply/lots.html")]
pub(crate) struct LotsPage<'a> {
    l: Layout<'a>,
    lots: Vec<LotRow>,
    filters: Vec<StateFilter>,
    can_receive: bool,
}

#[derive(Deserialize)]
pub(crate) struct LotsQuery {
    state: Option<String>,
}

pub(crate) async fn lots_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Query(q): Query<LotsQuery>,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let l = Layout::new(&state, &ctx, "sui-lots-title", "/supply/lots");
    let wanted = q.state.as_deref().and_then(LotState::parse);
    let now = ops::clinic_now(&p);
    let zone = p.clinic.time_zone.clone();
    let lots = state
        .store
        .lots(p.clinic.id)
        .await?
        .iter()
        .filter(|x| wanted.is_none_or(|w| x.state == w))
        .map(|x| lot_row(&l, x, now, &zone))
        .collect();
    let mut filters = vec![StateFilter {
        value: "",
        label: l.t("sui-all"),
        current: wanted.is_none(),
    }];
    filters.extend(LotState::ALL.iter().map(|s| StateFilter {
        value: s.as_str(),
        label: l.t(&format!("state-{}", s.as_str())),
        current: wanted == Some(*s),
    }));
    render(&LotsPage {
        l,
        lots,
        filters,
        can_receive: p.can(Permission::LotReceive),
    })
}

#[derive(Template)]
#[template(path = "supply/receive.html")]
pub(crate) struct ReceivePage<'a> {
    l: Layout<'a>,
    sf: ScanField,
    products: Vec<Choice>,
    locations: Vec<Choice>,
    vals: BTreeMap<&'static str, String>,
    errs: Problems,
    /// The scan whose warnings must be confirmed, and the warnings.
    pending_scan: String,
    warnings: Vec<String>,
}

impl ReceivePage<'_> {
    pub fn v(&self, key: &str) -> &str {
        self.vals.get(key).map(String::as_str).unwrap_or("")
    }
}

pub(crate) async fn receive_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    form: Option<&Pairs>,
    err: Option<&ApiError>,
) -> Result<Response, ApiError> {
    p.require(Permission::LotReceive)?;
    let l = Layout::new(state, ctx, "sui-receive-title", "/supply/lots/receive");
    let get = |k: &str| form.map(|f| f.get(k)).unwrap_or_default();
    let chosen_product = get("product_id");
    let products = state
        .store
        .products(p.clinic.id)
        .await?
        .iter()
        .map(|x| Choice {
            value: x.id.to_string(),
            label: product_label(&l, x),
            checked: x.id.to_string() == chosen_product,
        })
        .collect();
    let chosen_location = get("location_id");
    let locations = state
        .store
        .locations(p.clinic.id)
        .await?
        .iter()
        .map(|x: &Location| Choice {
            value: x.id.to_string(),
            label: format!(
                "{} {} ({} 〜 {})",
                x.code,
                x.name,
                temp(x.min_temp),
                temp(x.max_temp)
            ),
            checked: x.id.to_string() == chosen_location,
        })
        .collect();
    let mut vals = BTreeMap::new();
    for k in ["lot_number", "expiry", "vials", "supplier_ref"] {
        vals.insert(k, get(k));
    }
    let errs = err
        .map(|e| Problems::from_error(&state.i18n, ctx.locale, e))
        .unwrap_or_default();
    // Unconfirmed warnings: read the scan again to show each warning in words.
    let mut pending_scan = String::new();
    let mut warnings = Vec::new();
    if let (Some(e), Some(f)) = (err, form)
        && e.code == "scan_warning_unconfirmed"
        && let Some(raw) = scan_of(f)
    {
        if let Ok(s) = parse_scan(&raw, ops::clinic_today(p)) {
            let tx = Texts::new(&state.i18n, ctx.locale);
            warnings = s.warnings.iter().map(|w| tx.warning(w)).collect();
        }
        pending_scan = raw;
    }
    let status = err.map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = ReceivePage {
        sf: ScanField {
            id: "receive-scan",
            name: "scan",
            standalone: false,
            diagnostics: false,
            result: None,
        },
        products,
        locations,
        vals,
        errs,
        pending_scan,
        warnings,
        l,
    };
    render_status(status, &page)
}

/// The scan of the receive form: the scan field's accepted value, what was
/// typed into it, or the scan waiting for its warnings to be confirmed.
pub(crate) fn scan_of(f: &Pairs) -> Option<String> {
    f.filled("scan")
        .or_else(|| f.filled("data"))
        .or_else(|| f.filled("scan_pending"))
}

pub(crate) async fn receive_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
) -> Result<Response, ApiError> {
    receive_with(&state, &p, &ctx, None, None).await
}

pub(crate) async fn receive_submit(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::LotReceive)?;
    let f = Pairs::parse(&body);
    let opt = |k: &str| f.filled(k);
    // The scan field accepts a reading with warnings only after the person
    // confirmed them there; the confirm box below the form does the same
    // without JavaScript.
    let confirmed =
        opt("confirm_warnings").or_else(|| opt("scan").map(|_| "scan-field".to_string()));
    let input = ReceiveIn {
        scan: scan_of(&f),
        confirm_warnings: confirmed,
        product_id: opt("product_id"),
        lot_number: opt("lot_number"),
        expiry: opt("expiry"),
        location_id: f.get("location_id"),
        vials: f.get("vials"),
        supplier_ref: opt("supplier_ref"),
    };
    match ops::receive_lot(&state, &p, &input).await {
        Ok(lot) => {
            Ok(Redirect::to(&format!("/supply/lots/{}?done=received", lot.id)).into_response())
        }
        Err(e)
            if crate::error::status_of(e.kind).is_client_error()
                && crate::error::status_of(e.kind) != StatusCode::FORBIDDEN =>
        {
            receive_with(&state, &p, &ctx, Some(&f), Some(&ApiError::from(e.clone()))).await
        }
        Err(e) => Err(ApiError::from(e)),
    }
}
