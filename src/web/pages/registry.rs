//! Registry pages: home, region tree, units, people, households.

use super::{Opt, Pager, options, render};
use crate::domain::labels::{HouseholdTag, Role, UnitKind, UnitTag};
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::access::Caller;
use crate::store::history;
use crate::store::registry::{self as reg, Counts, ListQuery, Page};
use crate::web::api::registry::{self as api, HouseholdDetail, Revealed, household_detail};
use crate::web::view::*;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/regions", get(regions))
        .route("/regions/{code}", get(region))
        .route("/regions/{code}/children", get(region_children))
        .route("/units", get(units))
        .route("/units/{code}", get(unit))
        .route("/people", get(people))
        .route("/people/{id}", get(person))
        .route("/households", get(households))
        .route("/households/{code}", get(household))
        .route("/people/{id}/reveal", axum::routing::post(person_reveal))
        .route(
            "/households/{code}/reveal",
            axum::routing::post(household_reveal),
        )
}

#[derive(Template)]
#[template(path = "registry/home.html")]
struct Home {
    counts: Counts,
}

/// Each role starts on its own page; the county's counts are the administrator's.
async fn home(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let start = crate::web::menu::start_page(&caller);
    if start != "/" {
        return Ok(axum::response::Redirect::to(&start).into_response());
    }
    Ok(render(&Home {
        counts: reg::counts(&s.db).await?,
    })?
    .into_response())
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "registry/regions.html")]
struct Regions {
    q: String,
    children: Vec<RegionView>,
    found: Vec<RegionView>,
}

async fn regions(
    State(s): State<AppState>,
    _: Caller,
    Query(q): Query<SearchQuery>,
) -> Result<Html<String>, AppError> {
    let q = q.q.unwrap_or_default().trim().to_string();
    let (children, found) = if q.is_empty() {
        (
            reg::region_children(&s.db, None)
                .await?
                .iter()
                .map(RegionView::from)
                .collect(),
            vec![],
        )
    } else {
        (
            vec![],
            reg::region_search(&s.db, &q, 1)
                .await?
                .items
                .iter()
                .map(RegionView::from)
                .collect(),
        )
    };
    render(&Regions { q, children, found })
}

#[derive(Template)]
#[template(path = "registry/region_children.html")]
struct RegionChildren {
    children: Vec<RegionView>,
}

async fn region_children(
    State(s): State<AppState>,
    _: Caller,
    Path(code): Path<String>,
) -> Result<Html<String>, AppError> {
    let children = reg::region_children(&s.db, Some(&code)).await?;
    render(&RegionChildren {
        children: children.iter().map(RegionView::from).collect(),
    })
}

#[derive(Template)]
#[template(path = "registry/region.html")]
struct RegionPage {
    region: RegionView,
    trail: Vec<RegionView>,
    children: Vec<RegionView>,
    households: u64,
    people: u64,
}

async fn region(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Html<String>, AppError> {
    let r = reg::region(&s.db, &code)
        .await?
        .ok_or(AppError::NotFound("该区划".into()))?;
    let trail = reg::region_trail(&s.db, &r).await?;
    let children = reg::region_children(&s.db, Some(&r.code)).await?;
    let (_, households, people) = reg::region_counts(&s.db, &r, &caller.visibility()).await?;
    render(&RegionPage {
        region: (&r).into(),
        trail: trail.iter().map(RegionView::from).collect(),
        children: children.iter().map(RegionView::from).collect(),
        households,
        people,
    })
}

fn pager(base: &str, q: &ListQuery, total: u64, page: u64, pages: u64) -> Pager {
    Pager::new(
        base,
        &[
            ("q", q.q.as_deref()),
            ("tag", q.tag.as_deref()),
            ("region", q.region.as_deref()),
            ("unit", q.unit.as_deref()),
        ],
        page,
        pages,
        total,
    )
}

#[derive(Template)]
#[template(path = "registry/units.html")]
struct Units {
    q: ListQuery,
    options: Vec<Opt>,
    page: Page<UnitView>,
    pager: Pager,
}

async fn units(
    State(s): State<AppState>,
    _: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let page = named(
        &s.db,
        reg::units(&s.db, &q).await?.map(|m| UnitView::from(&m)),
    )
    .await?;
    let mut opts = options(
        UnitKind::ALL,
        UnitKind::code,
        UnitKind::zh,
        q.tag.as_deref(),
    );
    opts.extend(options(
        UnitTag::ALL,
        UnitTag::code,
        UnitTag::zh,
        q.tag.as_deref(),
    ));
    let pager = pager("/units", &q, page.total, page.page, page.pages);
    render(&Units {
        q,
        options: opts,
        page,
        pager,
    })
}

#[derive(Template)]
#[template(path = "registry/unit.html")]
struct UnitPage {
    unit: UnitView,
    region_name: String,
    people: Page<PersonView>,
    pager: Pager,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<u64>,
}

async fn unit(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(p): Query<PageQuery>,
) -> Result<Html<String>, AppError> {
    let u = reg::unit(&s.db, &code)
        .await?
        .ok_or(AppError::NotFound("该单位".into()))?;
    let region_name = reg::region(&s.db, &u.region_code)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let q = ListQuery {
        unit: Some(code.clone()),
        page: p.page,
        ..Default::default()
    };
    let people = reg::people(&s.db, &q, &caller.visibility())
        .await?
        .map(|m| PersonView::from(&m));
    let pager = Pager::new(
        &format!("/units/{}", super::encode(&code)),
        &[],
        people.page,
        people.pages,
        people.total,
    );
    render(&UnitPage {
        unit: (&u).into(),
        region_name,
        people,
        pager,
    })
}

#[derive(Template)]
#[template(path = "registry/people.html")]
struct People {
    q: ListQuery,
    options: Vec<Opt>,
    page: Page<PersonView>,
    pager: Pager,
}

async fn people(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let page = named(
        s.quick(),
        reg::people(s.quick(), &q, &caller.visibility())
            .await?
            .map(|m| PersonView::from(&m)),
    )
    .await?;
    let opts = options(Role::ALL, Role::code, Role::zh, q.tag.as_deref());
    let pager = pager("/people", &q, page.total, page.page, page.pages);
    render(&People {
        q,
        options: opts,
        page,
        pager,
    })
}

#[derive(Template)]
#[template(path = "registry/person.html")]
struct PersonPage {
    /// Names of the person's region and responsible areas.
    place_names: std::collections::HashMap<String, String>,
    person: PersonView,
    unit_name: String,
    links: Vec<LinkView>,
    activities: Vec<ActivityView>,
    history: Vec<HistoryView>,
    can_reveal: bool,
    templates: Vec<crate::domain::work::TemplateStatus>,
    duplicates: Vec<crate::web::api::work::DuplicateView>,
    can_manage: bool,
    own: bool,
    link_kinds: Vec<Opt>,
    link_error: Option<String>,
    typed_target: String,
    shared: bool,
    year: i32,
    front_lines: Vec<&'static str>,
    standing: Vec<super::compliance::Line>,
}

#[derive(serde::Deserialize, Default)]
struct DayQuery {
    date: Option<chrono::NaiveDate>,
    link_error: Option<String>,
    kind: Option<String>,
    target: Option<String>,
    shared: Option<u8>,
}

impl PersonPage {
    fn place(&self, code: &str) -> String {
        self.place_names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }
}

async fn person(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i32>,
    Query(q): Query<DayQuery>,
) -> Result<Html<String>, AppError> {
    let p = reg::person(&s.db, id, &caller.visibility())
        .await?
        .ok_or(AppError::NotFound("该人员".into()))?;
    let unit_name = reg::unit(&s.db, &p.unit_code)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let links = reg::links_of(&s.db, id).await?;
    let acts = reg::activities_of(&s.db, id, 30).await?;
    let hist = history::of(&s.db, "person", &id.to_string()).await?;
    let (templates, duplicates) =
        super::work::person_contacts(&s, &p, q.date.unwrap_or_else(today)).await?;
    let can_manage = caller.can(crate::domain::access::Capability::ManageLinks)
        && reg::person(
            &s.db,
            id,
            &caller.visibility_for(crate::domain::access::Capability::ManageLinks),
        )
        .await?
        .is_some();
    let standing =
        super::compliance::person_lines(&s, p.id, &p.id_number, q.date.unwrap_or_else(today))
            .await?;
    let place_names = reg::region_names(
        &s.db,
        p.region_code.iter().cloned().chain(
            p.area_codes
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string),
        ),
    )
    .await?;
    render(&PersonPage {
        place_names,
        standing,
        templates,
        duplicates,
        can_manage,
        own: caller.person_id == Some(id),
        link_kinds: options(
            crate::domain::labels::LinkKind::ALL,
            crate::domain::labels::LinkKind::code,
            crate::domain::labels::LinkKind::zh,
            q.kind.as_deref(),
        ),
        link_error: q.link_error.clone(),
        typed_target: q.target.clone().unwrap_or_default(),
        shared: q.shared.is_some(),
        year: chrono::Datelike::year(&today()),
        front_lines: crate::store::work::FRONT_LINES.to_vec(),
        links: {
            let mut v: Vec<LinkView> = links.iter().map(|l| LinkView::new(l, Some(&p))).collect();
            crate::web::view::name_targets(&s.db, &mut v, &links).await?;
            v
        },
        activities: acts
            .iter()
            .map(|a| ActivityView::new(a, std::slice::from_ref(&p)))
            .collect(),
        history: crate::web::view::history_views(&s.db, &hist).await?,
        unit_name,
        can_reveal: api::may_reveal_person(&s, &caller, id).await?,
        person: (&p).into(),
    })
}

#[derive(Template)]
#[template(path = "registry/households.html")]
struct Households {
    q: ListQuery,
    options: Vec<Opt>,
    page: Page<HouseholdView>,
    pager: Pager,
}

async fn households(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let page = named(
        s.quick(),
        reg::households(s.quick(), &q, &caller.visibility())
            .await?
            .map(|m| HouseholdView::from(&m)),
    )
    .await?;
    let opts = options(
        HouseholdTag::ALL,
        HouseholdTag::code,
        HouseholdTag::zh,
        q.tag.as_deref(),
    );
    let pager = pager("/households", &q, page.total, page.page, page.pages);
    render(&Households {
        q,
        options: opts,
        page,
        pager,
    })
}

#[derive(Template)]
#[template(path = "registry/household.html")]
struct HouseholdPage {
    d: HouseholdDetail,
    trail: Vec<RegionView>,
    can_reveal: bool,
    /// Where the household's 亲情卡 stands.
    card: Option<crate::store::cards::CardLine>,
}

async fn household(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Html<String>, AppError> {
    let d = household_detail(&s, &code, &caller).await?;
    let trail = match reg::region(s.quick(), &d.household.region_code).await? {
        Some(r) => reg::region_trail(s.quick(), &r)
            .await?
            .iter()
            .map(RegionView::from)
            .collect(),
        None => vec![],
    };
    let can_reveal = api::may_reveal_household(&s, &caller, &code).await?;
    let card = crate::store::cards::household_lines(
        s.quick(),
        std::slice::from_ref(&d.household.code),
        crate::time::today(),
    )
    .await?
    .pop();
    render(&HouseholdPage {
        d,
        trail,
        can_reveal,
        card,
    })
}

#[derive(Template)]
#[template(path = "registry/revealed.html")]
struct RevealedFragment {
    fields: Vec<Revealed>,
    back: String,
    fragment: bool,
}

fn is_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

async fn person_reveal(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Path(id): Path<i32>,
) -> Result<Html<String>, AppError> {
    let fields = api::reveal_person(&s, &caller, id).await?;
    render(&RevealedFragment {
        fields,
        back: format!("/people/{id}"),
        fragment: is_htmx(&headers),
    })
}

async fn household_reveal(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
) -> Result<Html<String>, AppError> {
    let fields = api::reveal_household(&s, &caller, &code).await?;
    let back = format!("/households/{}", super::encode(&code));
    render(&RevealedFragment {
        fields,
        back,
        fragment: is_htmx(&headers),
    })
}
