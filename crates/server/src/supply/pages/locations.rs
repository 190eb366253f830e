//! Storage locations.

use super::*;

pub struct LocationRow {
    pub code: String,
    pub name: String,
    pub range: String,
    pub vials: i64,
}

#[derive(Template)]
#[template(path = "supply/locations.html")]
pub(crate) struct LocationsPage<'a> {
    l: Layout<'a>,
    locations: Vec<LocationRow>,
    can_write: bool,
    vals: LocationIn,
    errs: Problems,
}

pub(crate) async fn locations_with(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    vals: LocationIn,
    errs: Problems,
    status: StatusCode,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyRead)?;
    let mut l = Layout::new(state, ctx, "sui-locations-title", "/supply/locations");
    l.flash = done_flash(&l, done);
    let stock = state.store.stock(p.clinic.id).await?;
    let locations = state
        .store
        .locations(p.clinic.id)
        .await?
        .iter()
        .map(|x| LocationRow {
            code: x.code.clone(),
            name: x.name.clone(),
            range: format!("{} 〜 {}", temp(x.min_temp), temp(x.max_temp)),
            vials: stock
                .iter()
                .filter(|s| s.location_id == x.id)
                .map(|s| s.vials)
                .sum(),
        })
        .collect();
    render_status(
        status,
        &LocationsPage {
            l,
            locations,
            can_write: p.can(Permission::SupplyWrite),
            vals,
            errs,
        },
    )
}

pub(crate) async fn locations_page(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    Query(q): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    locations_with(
        &state,
        &p,
        &ctx,
        LocationIn::default(),
        Problems::default(),
        StatusCode::OK,
        q.done.as_deref(),
    )
    .await
}

pub(crate) async fn location_create(
    State(state): State<AppState>,
    Signed(p, ctx): Signed,
    body: Bytes,
) -> Result<Response, ApiError> {
    p.require(Permission::SupplyWrite)?;
    let f = Pairs::parse(&body);
    let input = LocationIn {
        code: f.get("code"),
        name: f.get("name"),
        min_c: f.get("min_c"),
        max_c: f.get("max_c"),
    };
    match ops::create_location(&state, &p, &input).await {
        Ok(_) => Ok(Redirect::to("/supply/locations?done=created").into_response()),
        Err(e)
            if crate::error::status_of(e.kind).is_client_error()
                && crate::error::status_of(e.kind) != StatusCode::FORBIDDEN =>
        {
            let errs = Problems::from_error(&state.i18n, ctx.locale, &ApiError::from(e.clone()));
            locations_with(
                &state,
                &p,
                &ctx,
                input,
                errs,
                crate::error::status_of(e.kind),
                None,
            )
            .await
        }
        Err(e) => Err(ApiError::from(e)),
    }
}
