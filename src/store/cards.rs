//! Contact cards: what each card prints, read from the registry in bulk; printing a batch
//! (a new version where the facts changed, the same version again where they did not);
//! marking cards stale when a printed fact changes; deliveries; the household's secret.

use super::StoreError;
use super::entities::{card, card_delivery, household, link, person, region, unit};
use super::history::{self, Change};
use crate::domain::cards::{CardSettings, Holder, Values};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Codes per `IN (…)`: well inside both databases' limits on bound parameters.
const CHUNK: usize = 900;

/// A new household secret: 128 bits from the operating system, as 32 hex digits.
pub fn new_secret() -> Result<String, DbErr> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| DbErr::Custom(format!("随机数不可用：{e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// The household page a card's QR code opens.
pub fn household_link(base_url: &str, secret: &str) -> String {
    format!("{}/k/{secret}", base_url.trim_end_matches('/'))
}

async fn by_codes<E, C>(
    db: &impl ConnectionTrait,
    col: C,
    codes: &[String],
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let mut out = Vec::new();
    for chunk in codes.chunks(CHUNK) {
        out.extend(
            E::find()
                .filter(col.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The registry's regions with everything above them.
async fn regions_up(
    db: &impl ConnectionTrait,
    codes: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, region::Model>, DbErr> {
    let mut out: HashMap<String, region::Model> = HashMap::new();
    let mut want: Vec<String> = codes.into_iter().collect();
    // The regions, then every ancestor their paths name in one more read (a group's village,
    // town and county: two reads, not one a level); the parents are asked for too, so a
    // region whose path lacks a level is still walked up.
    for _ in 0..6 {
        want.retain(|c| !out.contains_key(c));
        want.sort_unstable();
        want.dedup();
        if want.is_empty() {
            break;
        }
        let found = by_codes::<region::Entity, _>(db, region::Column::Code, &want).await?;
        want = found
            .iter()
            .flat_map(|r| {
                r.path
                    .split('/')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .chain(r.parent_code.clone())
            })
            .collect();
        out.extend(found.into_iter().map(|r| (r.code.clone(), r)));
    }
    Ok(out)
}

/// The village (or community) a region belongs to, and its town, walking up from a group.
fn village_and_town<'a>(
    regions: &'a HashMap<String, region::Model>,
    code: &str,
) -> (Option<&'a region::Model>, Option<&'a region::Model>) {
    let mut r = regions.get(code);
    while let Some(x) = r {
        if matches!(x.level.as_str(), "village" | "community") {
            let town = x.parent_code.as_ref().and_then(|p| regions.get(p));
            return (Some(x), town);
        }
        if matches!(x.level.as_str(), "town" | "street" | "county") {
            return (None, Some(x));
        }
        r = x.parent_code.as_ref().and_then(|p| regions.get(p));
    }
    (None, None)
}

/// The supervision phone a resident of this town calls: the town's (or street's) party
/// committee and government, else the county's leadership bodies (as on written replies).
pub(crate) async fn supervision_phones(
    db: &impl ConnectionTrait,
) -> Result<(HashMap<String, String>, Option<String>), DbErr> {
    let units = unit::Entity::find()
        .filter(unit::Column::Kind.is_in([
            "town_government",
            "street_office",
            "county_leadership_body",
        ]))
        .filter(unit::Column::SupervisionPhone.is_not_null())
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?;
    let mut towns = HashMap::new();
    let mut county = None;
    for u in units {
        let Some(p) = u.supervision_phone.filter(|p| !p.trim().is_empty()) else {
            continue;
        };
        if u.kind == "county_leadership_body" {
            county.get_or_insert(p);
        } else {
            towns.entry(u.region_code).or_insert(p);
        }
    }
    Ok((towns, county))
}

/// The household-linking cadre of each household on `day` (the link that started last).
async fn linked_cadres(
    db: &impl ConnectionTrait,
    codes: &[String],
    day: NaiveDate,
) -> Result<HashMap<String, i32>, DbErr> {
    let mut best: HashMap<String, (Option<NaiveDate>, i32)> = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let links = link::Entity::find()
            .filter(link::Column::Kind.eq("household_link"))
            .filter(link::Column::Year.eq(day.year()))
            .filter(link::Column::PersonId.is_not_null())
            .filter(link::Column::TargetCode.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        for l in links {
            let active =
                l.start_date.is_none_or(|s| s <= day) && l.end_date.is_none_or(|e| e >= day);
            let Some(p) = l.person_id.filter(|_| active) else {
                continue;
            };
            let e = best.entry(l.target_code).or_insert((l.start_date, p));
            if l.start_date >= e.0 {
                *e = (l.start_date, p);
            }
        }
    }
    Ok(best.into_iter().map(|(k, (_, p))| (k, p)).collect())
}

/// What each household's card prints on `day`, read from the registry.
pub async fn household_values(
    db: &impl ConnectionTrait,
    codes: &[String],
    day: NaiveDate,
) -> Result<HashMap<String, Values>, DbErr> {
    let households = by_codes::<household::Entity, _>(db, household::Column::Code, codes).await?;
    let regions = regions_up(db, households.iter().map(|h| h.region_code.clone())).await?;
    let cadres = linked_cadres(db, codes, day).await?;
    let ids: Vec<i32> = {
        let mut v: Vec<i32> = cadres.values().copied().collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut people: HashMap<i32, person::Model> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for p in person::Entity::find()
            .filter(person::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            people.insert(p.id, p);
        }
    }
    let unit_codes: Vec<String> = people.values().map(|p| p.unit_code.clone()).collect();
    let units: HashMap<String, unit::Model> =
        by_codes::<unit::Entity, _>(db, unit::Column::Code, &unit_codes)
            .await?
            .into_iter()
            .map(|u| (u.code.clone(), u))
            .collect();
    let (town_phones, county_phone) = supervision_phones(db).await?;
    let mut out = HashMap::new();
    for h in households {
        let mut v = Values::default();
        v.set("household", Some(&h.head_name));
        let (village, town) = village_and_town(&regions, &h.region_code);
        let place = match (town, village) {
            (Some(t), Some(v)) => format!("{}{}", t.name, v.name),
            (_, Some(v)) => v.name.clone(),
            (Some(t), None) => t.name.clone(),
            _ => String::new(),
        };
        v.set("village", Some(&place));
        v.set(
            "village_duty_phone",
            village.and_then(|r| r.duty_phone.as_deref()),
        );
        v.set(
            "town_desk_phone",
            town.and_then(|r| r.duty_phone.as_deref()),
        );
        let supervision = town
            .and_then(|t| town_phones.get(&t.code))
            .or(county_phone.as_ref());
        v.set("supervision_phone", supervision.map(String::as_str));
        if let Some(p) = cadres.get(&h.code).and_then(|id| people.get(id)) {
            v.cadre = Some(p.id);
            v.set("cadre_name", Some(&p.name));
            v.set(
                "cadre_unit",
                units.get(&p.unit_code).map(|u| u.name.as_str()),
            );
            v.set("cadre_phone", p.phone.as_deref());
        }
        out.insert(h.code, v);
    }
    Ok(out)
}

/// What each unit's 连心卡 prints.
pub async fn unit_values(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<HashMap<String, Values>, DbErr> {
    Ok(by_codes::<unit::Entity, _>(db, unit::Column::Code, codes)
        .await?
        .into_iter()
        .map(|u| {
            let mut v = Values::default();
            v.set("unit_name", Some(&u.name));
            v.set("service_scope", u.service_scope.as_deref());
            v.set("duties", u.duties.as_deref());
            v.set("responsible", u.responsible.as_deref());
            v.set("phone", u.phone.as_deref());
            v.set("supervision_phone", u.supervision_phone.as_deref());
            (u.code, v)
        })
        .collect())
}

async fn values_of(
    db: &impl ConnectionTrait,
    holder: Holder,
    codes: &[String],
    day: NaiveDate,
) -> Result<HashMap<String, Values>, DbErr> {
    match holder {
        Holder::Household => household_values(db, codes, day).await,
        Holder::Unit => unit_values(db, codes).await,
    }
}

/// What a card printed: the JSON of its `facts` column.
pub fn printed(facts: &str) -> Values {
    serde_json::from_str(facts).unwrap_or_default()
}

/// The current (not superseded) card of each holder.
async fn current_cards(
    db: &impl ConnectionTrait,
    holder: Holder,
    codes: &[String],
) -> Result<HashMap<String, card::Model>, DbErr> {
    let mut out = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        for c in card::Entity::find()
            .filter(card::Column::HolderKind.eq(holder.code()))
            .filter(card::Column::HolderCode.is_in(chunk.iter().cloned()))
            .filter(card::Column::SupersededOn.is_null())
            .all(db)
            .await?
        {
            out.insert(c.holder_code.clone(), c);
        }
    }
    Ok(out)
}

/// A card as printed: its row and what it carries.
#[derive(Clone, Debug)]
pub struct Issued {
    pub card: card::Model,
    pub values: Values,
    /// A new version was made by this print (the first, or after a change).
    pub new_version: bool,
}

/// Prints the cards of these holders: a holder without a card, or whose card no longer
/// says what the registry says (or `renew`: a lost card), gets a new version (a household a
/// new secret; the old one works for the grace days); any other gets its current version
/// again. One transaction; the history records each new version.
pub async fn issue(
    db: &sea_orm::DatabaseConnection,
    settings: &CardSettings,
    holder: Holder,
    codes: &[String],
    renew: bool,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Issued>, DbErr> {
    let today = crate::time::beijing_date(now);
    let values = values_of(db, holder, codes, today).await?;
    let face = settings.face(holder);
    let txn = db.begin().await?;
    let current = current_cards(&txn, holder, codes).await?;
    let mut superseded: Vec<(i32, bool)> = Vec::new();
    let mut fresh = Vec::new();
    let mut made: HashSet<&str> = HashSet::new();
    let mut log = Vec::new();
    for code in codes {
        let Some(v) = values.get(code) else { continue };
        let old = current.get(code);
        let changed = old.is_some_and(|c| printed(&c.facts).stale_against(v));
        if old.is_some() && !changed && !renew {
            continue;
        }
        if let Some(c) = old {
            superseded.push((c.id, changed));
        }
        let version = old.map(|c| c.version + 1).unwrap_or(1);
        made.insert(code);
        let secret = match holder {
            Holder::Household => Some(new_secret()?),
            Holder::Unit => None,
        };
        fresh.push(card::ActiveModel {
            id: NotSet,
            holder_kind: Set(holder.code().into()),
            holder_code: Set(code.clone()),
            version: Set(version),
            facts: Set(serde_json::to_string(&v.clone().as_printed(face)).unwrap_or_default()),
            secret: Set(secret),
            printed_at: Set(now),
            printed_on: Set(today),
            printed_by: Set(by.into()),
            stale_since: Set(None),
            superseded_on: Set(None),
        });
        log.push(Change {
            entity: "card",
            entity_key: format!("{}|{code}", holder.code()),
            action: "issue",
            changes: serde_json::json!({ "version": [old.map(|c| c.version), version] }),
        });
    }
    for chunk in superseded.chunks(CHUNK) {
        let ids: Vec<i32> = chunk.iter().map(|(id, _)| *id).collect();
        card::Entity::update_many()
            .col_expr(card::Column::SupersededOn, Expr::value(today))
            .filter(card::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
        let changed: Vec<i32> = chunk
            .iter()
            .filter(|(_, c)| *c)
            .map(|(id, _)| *id)
            .collect();
        card::Entity::update_many()
            .col_expr(card::Column::StaleSince, Expr::value(today))
            .filter(card::Column::Id.is_in(changed))
            .filter(card::Column::StaleSince.is_null())
            .exec(&txn)
            .await?;
    }
    for chunk in fresh.chunks(500) {
        card::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    history::append(&txn, by, now, log).await?;
    let now_current = current_cards(&txn, holder, codes).await?;
    txn.commit().await?;
    Ok(codes
        .iter()
        .filter_map(|code| {
            let c = now_current.get(code)?.clone();
            let v = values.get(code)?.clone();
            Some(Issued {
                new_version: made.contains(code.as_str()),
                card: c,
                values: v,
            })
        })
        .collect())
}

/// After a change to the registry or the links: every current card of these holders (all of
/// them when `None`) whose printed facts differ from the registry's becomes stale from
/// `today`; one that matches again (a change undone) is no longer stale. Call inside the
/// change's transaction.
pub async fn mark_stale<C: ConnectionTrait>(
    db: &C,
    households: Option<&[String]>,
    today: NaiveDate,
) -> Result<usize, DbErr> {
    let mut marked = 0;
    for holder in [Holder::Household, Holder::Unit] {
        let codes: Vec<String> = match (holder, households) {
            (Holder::Household, Some(h)) => h.to_vec(),
            (Holder::Unit, Some(_)) => continue,
            (_, None) => {
                card::Entity::find()
                    .select_only()
                    .column(card::Column::HolderCode)
                    .filter(card::Column::HolderKind.eq(holder.code()))
                    .filter(card::Column::SupersededOn.is_null())
                    .into_tuple::<String>()
                    .all(db)
                    .await?
            }
        };
        if codes.is_empty() {
            continue;
        }
        let current = current_cards(db, holder, &codes).await?;
        if current.is_empty() {
            continue;
        }
        let codes: Vec<String> = current.keys().cloned().collect();
        let values = values_of(db, holder, &codes, today).await?;
        let mut stale = Vec::new();
        let mut fresh = Vec::new();
        for (code, c) in &current {
            let now = values.get(code).cloned().unwrap_or_default();
            match (printed(&c.facts).stale_against(&now), c.stale_since) {
                (true, None) => stale.push(c.id),
                (false, Some(_)) => fresh.push(c.id),
                _ => {}
            }
        }
        marked += stale.len();
        for chunk in stale.chunks(CHUNK) {
            card::Entity::update_many()
                .col_expr(card::Column::StaleSince, Expr::value(today))
                .filter(card::Column::Id.is_in(chunk.to_vec()))
                .exec(db)
                .await?;
        }
        for chunk in fresh.chunks(CHUNK) {
            card::Entity::update_many()
                .col_expr(
                    card::Column::StaleSince,
                    Expr::value(Option::<NaiveDate>::None),
                )
                .filter(card::Column::Id.is_in(chunk.to_vec()))
                .exec(db)
                .await?;
        }
    }
    Ok(marked)
}

/// Records that the current cards of these households reached them on `on` (a visit's tick
/// or the office's list). A card already recorded as delivered is left as it is. Answers how
/// many deliveries were new.
/// The deliveries of these cards.
async fn deliveries_of(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<card_delivery::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            card_delivery::Entity::find()
                .filter(card_delivery::Column::CardId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Who recorded a delivery, on which day, and how.
pub struct Delivery<'a> {
    pub on: NaiveDate,
    pub by: &'a str,
    /// The visit whose form ticked it.
    pub activity: Option<i32>,
    /// A unit card's service object; a household card goes to the household itself.
    pub recipient: Option<&'a str>,
}

pub async fn deliver<C: ConnectionTrait>(
    db: &C,
    holder: Holder,
    codes: &[String],
    d: &Delivery<'_>,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let current = current_cards(db, holder, codes).await?;
    let ids: Vec<i32> = current.values().map(|c| c.id).collect();
    let mut done: HashSet<(i32, String)> = deliveries_of(db, &ids)
        .await?
        .into_iter()
        .map(|x| (x.card_id, x.recipient_code))
        .collect();
    let mut rows = Vec::new();
    let mut log = Vec::new();
    for code in codes {
        let Some(c) = current.get(code) else { continue };
        let to = d.recipient.unwrap_or(code).to_string();
        if c.printed_on > d.on || !done.insert((c.id, to.clone())) {
            continue;
        }
        log.push(Change {
            entity: "card",
            entity_key: format!("{}|{code}", holder.code()),
            action: "deliver",
            changes: serde_json::json!({ "version": c.version, "to": to, "on": d.on }),
        });
        rows.push(card_delivery::ActiveModel {
            id: NotSet,
            card_id: Set(c.id),
            recipient_code: Set(to),
            delivered_on: Set(d.on),
            recorded_by: Set(d.by.into()),
            recorded_at: Set(now),
            activity_id: Set(d.activity),
        });
    }
    let n = rows.len();
    for chunk in rows.chunks(500) {
        card_delivery::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    history::append(db, d.by, now, log).await?;
    Ok(n)
}

/// The household a secret opens, if the secret is its current card's, or an older card's
/// within the grace days after it was replaced. A wrong, old or malformed secret is `None`,
/// all alike.
pub async fn by_secret(
    db: &impl ConnectionTrait,
    secret: &str,
    grace_days: u32,
    today: NaiveDate,
) -> Result<Option<card::Model>, DbErr> {
    if secret.len() != 32 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let c = card::Entity::find()
        .filter(card::Column::Secret.eq(secret.to_ascii_lowercase()))
        .filter(card::Column::HolderKind.eq("household"))
        .one(db)
        .await?;
    Ok(c.filter(|c| {
        c.superseded_on
            .is_none_or(|d| today <= d + chrono::Duration::days(i64::from(grace_days)))
    }))
}

/// One line of the re-issue list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CardLine {
    /// household or unit
    pub holder_kind: String,
    pub holder_code: String,
    /// The household's head, or the unit's name.
    pub name: String,
    /// 未印制 / 待重新发放 / 待送达 / 已送达
    pub state: String,
    pub version: Option<i32>,
    #[schema(value_type = Option<String>, format = Date)]
    pub stale_since: Option<NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub delivered_on: Option<NaiveDate>,
    /// Who the card names now (household cards).
    pub cadre: Option<String>,
}

/// Where each holder's card stands: never printed, stale (re-issue), printed and waiting to
/// be delivered, or delivered. Stale and unprinted first.
pub async fn lines(
    db: &impl ConnectionTrait,
    holder: Holder,
    codes: &[String],
    names: &HashMap<String, String>,
    cadres: &HashMap<String, String>,
) -> Result<Vec<CardLine>, DbErr> {
    let current = current_cards(db, holder, codes).await?;
    let ids: Vec<i32> = current.values().map(|c| c.id).collect();
    let mut delivered: HashMap<i32, NaiveDate> = HashMap::new();
    for d in deliveries_of(db, &ids).await? {
        let e = delivered.entry(d.card_id).or_insert(d.delivered_on);
        *e = (*e).min(d.delivered_on);
    }
    let mut out: Vec<CardLine> = codes
        .iter()
        .map(|code| {
            let c = current.get(code);
            let on = c.and_then(|c| delivered.get(&c.id).copied());
            let state = match (c, on) {
                (None, _) => "未印制",
                (Some(c), _) if c.stale_since.is_some() => "待重新发放",
                (Some(_), None) => "待送达",
                (Some(_), Some(_)) => "已送达",
            };
            CardLine {
                holder_kind: holder.code().into(),
                holder_code: code.clone(),
                name: names.get(code).cloned().unwrap_or_default(),
                state: state.into(),
                version: c.map(|c| c.version),
                stale_since: c.and_then(|c| c.stale_since),
                delivered_on: on,
                cadre: cadres.get(code).cloned(),
            }
        })
        .collect();
    let rank = |s: &str| match s {
        "待重新发放" => 0,
        "未印制" => 1,
        "待送达" => 2,
        _ => 3,
    };
    out.sort_by(|a, b| {
        rank(&a.state)
            .cmp(&rank(&b.state))
            .then(a.holder_code.cmp(&b.holder_code))
    });
    Ok(out)
}

/// Which holders a print or a list covers.
#[derive(Clone, Debug)]
pub enum Scope {
    /// Every household of a region (a village, a town, the county).
    Region(String),
    /// A cadre's linked households.
    Person(i32),
    /// A unit's card, one per service object.
    Unit(String),
}

/// The households of a scope, village by village (so that a county prints batch by batch),
/// each batch sorted by code.
pub async fn household_batches(
    db: &impl ConnectionTrait,
    scope: &Scope,
    day: NaiveDate,
) -> Result<Vec<Vec<String>>, StoreError> {
    match scope {
        Scope::Region(code) => {
            let r = region::Entity::find()
                .filter(region::Column::Code.eq(code.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("区划“{code}”")))?;
            let rows: Vec<(String, String)> = household::Entity::find()
                .select_only()
                .column(household::Column::RegionCode)
                .column(household::Column::Code)
                .filter(
                    household::Column::RegionCode.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(region::Column::Code)
                            .from(region::Entity)
                            .and_where(region::Column::Path.like(format!("{}%", r.path)))
                            .to_owned(),
                    ),
                )
                .order_by_asc(household::Column::RegionCode)
                .order_by_asc(household::Column::Code)
                .into_tuple()
                .all(db)
                .await?;
            let mut batches: Vec<Vec<String>> = Vec::new();
            let mut last: Option<String> = None;
            for (region, code) in rows {
                if last.as_ref() != Some(&region) || batches.last().is_none_or(|b| b.len() >= 2000)
                {
                    batches.push(Vec::new());
                    last = Some(region);
                }
                if let Some(b) = batches.last_mut() {
                    b.push(code);
                }
            }
            Ok(batches)
        }
        Scope::Person(id) => {
            let mut codes: Vec<String> = link::Entity::find()
                .select_only()
                .column(link::Column::TargetCode)
                .filter(link::Column::PersonId.eq(*id))
                .filter(link::Column::Kind.eq("household_link"))
                .filter(link::Column::Year.eq(day.year()))
                .filter(
                    sea_orm::Condition::any()
                        .add(link::Column::EndDate.is_null())
                        .add(link::Column::EndDate.gte(day)),
                )
                .into_tuple()
                .all(db)
                .await?;
            codes.sort_unstable();
            codes.dedup();
            Ok(codes.chunks(2000).map(<[String]>::to_vec).collect())
        }
        Scope::Unit(_) => Ok(vec![]),
    }
}

/// A unit's service objects (links of kind 联系点-服务对象 held by the unit or its people).
pub async fn service_objects(
    db: &impl ConnectionTrait,
    unit_code: &str,
    day: NaiveDate,
) -> Result<Vec<String>, DbErr> {
    let mut codes: Vec<String> = link::Entity::find()
        .select_only()
        .column(link::Column::TargetCode)
        .filter(link::Column::Kind.eq("contact_service_object"))
        .filter(link::Column::Year.eq(day.year()))
        .filter(
            sea_orm::Condition::any()
                .add(link::Column::UnitCode.eq(unit_code))
                .add(
                    link::Column::PersonId.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(person::Column::Id)
                            .from(person::Entity)
                            .and_where(person::Column::UnitCode.eq(unit_code))
                            .to_owned(),
                    ),
                ),
        )
        .into_tuple()
        .all(db)
        .await?;
    codes.sort_unstable();
    codes.dedup();
    Ok(codes)
}

/// Every card version with its deliveries, for the rules. A county has a card per household
/// (100,000 and more): read as plain columns in bulk (`store::bulk`), not as whole rows.
pub async fn facts(
    db: &sea_orm::DatabaseConnection,
    as_of: NaiveDate,
    households: Option<&[String]>,
) -> Result<Vec<crate::domain::rules::CardFact>, DbErr> {
    use sea_orm::QuerySelect;
    let cards_where = |q: sea_orm::Select<card::Entity>| {
        q.select_only()
            .columns([
                card::Column::Id,
                card::Column::HolderKind,
                card::Column::HolderCode,
                card::Column::Version,
                card::Column::PrintedOn,
                card::Column::StaleSince,
            ])
            // What a unit's card printed (LXK-1); a county's 100,000 household cards' JSON is
            // judged by no rule, and parsing it was a quarter of the cards' reading time.
            .expr(Expr::case(
                card::Column::HolderKind.eq(Holder::Unit.code()),
                Expr::col(card::Column::Facts),
            ))
            .filter(card::Column::PrintedOn.lte(as_of))
    };
    let deliveries_where = |q: sea_orm::Select<card_delivery::Entity>| {
        q.select_only()
            .columns([
                card_delivery::Column::CardId,
                card_delivery::Column::RecipientCode,
                card_delivery::Column::DeliveredOn,
            ])
            .filter(card_delivery::Column::DeliveredOn.lte(as_of))
    };
    #[allow(clippy::type_complexity)] // the columns of one bulk read, as they come
    let mut cards: Vec<(
        i32,
        String,
        String,
        i32,
        NaiveDate,
        Option<NaiveDate>,
        Option<String>,
    )> = Vec::new();
    let mut rows: Vec<(i32, String, NaiveDate)> = Vec::new();
    match households {
        // The county: every card and every delivery, in two reads.
        None => {
            cards = super::bulk::all(db, cards_where(card::Entity::find())).await?;
            rows = super::bulk::all(db, deliveries_where(card_delivery::Entity::find())).await?;
        }
        // One person's evaluation: the cards of the households it names (no unit's card
        // counts for a person).
        Some(codes) => {
            for chunk in codes.chunks(CHUNK) {
                cards.extend(
                    super::bulk::all(
                        db,
                        cards_where(card::Entity::find())
                            .filter(card::Column::HolderKind.eq(Holder::Household.code()))
                            .filter(card::Column::HolderCode.is_in(chunk.iter().cloned())),
                    )
                    .await?,
                );
            }
            let ids: Vec<i32> = cards.iter().map(|c| c.0).collect();
            for chunk in ids.chunks(CHUNK) {
                rows.extend(
                    super::bulk::all(
                        db,
                        deliveries_where(card_delivery::Entity::find())
                            .filter(card_delivery::Column::CardId.is_in(chunk.iter().copied())),
                    )
                    .await?,
                );
            }
        }
    }
    let mut deliveries: HashMap<i32, Vec<(String, NaiveDate)>> = HashMap::new();
    for (card_id, recipient, on) in rows {
        deliveries.entry(card_id).or_default().push((recipient, on));
    }
    Ok(cards
        .into_iter()
        .filter_map(
            |(id, holder_kind, holder_code, version, printed_on, stale_since, facts)| {
                let holder = Holder::from_code(&holder_kind)?;
                Some(crate::domain::rules::CardFact {
                    holder,
                    version,
                    printed_on,
                    stale_since,
                    printed: facts
                        .map(|f| printed(&f).values.into_keys().collect())
                        .unwrap_or_default(),
                    delivered: deliveries.remove(&id).unwrap_or_default(),
                    code: holder_code,
                })
            },
        )
        .collect())
}

/// What the household's page shows: who serves it and how to reach them and the supervisor,
/// and the household's own items (matter, status, deadline and outcome only).
#[derive(Clone, Debug, Serialize)]
pub struct ResidentHome {
    pub household_code: String,
    pub head_name: String,
    pub values: Values,
    pub items: Vec<crate::store::ledger::ResidentView>,
    /// This year's rating of the linked cadre, if given.
    pub rated: Option<String>,
    /// The card scanned has been replaced: it still opens the page for the grace days.
    pub replaced: bool,
}

/// The household's page behind a card (found by `by_secret`).
pub async fn resident_home(
    db: &impl ConnectionTrait,
    c: &card::Model,
    today: NaiveDate,
) -> Result<Option<ResidentHome>, DbErr> {
    use crate::store::entities::{ledger_item, resident_rating};
    let Some(h) = household::Entity::find()
        .filter(household::Column::Code.eq(c.holder_code.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let values = household_values(db, std::slice::from_ref(&h.code), today)
        .await?
        .remove(&h.code)
        .unwrap_or_default();
    // The stability ledger's items are not the resident's to read.
    let rows = ledger_item::Entity::find()
        .filter(ledger_item::Column::HouseholdCode.eq(h.code.as_str()))
        .filter(ledger_item::Column::Ledger.ne("stability"))
        .order_by_desc(ledger_item::Column::Id)
        .limit(30)
        .all(db)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for m in &rows {
        items.push(crate::store::ledger::resident_view(db, m).await?);
    }
    let rated = match values.cadre {
        Some(p) => resident_rating::Entity::find()
            .filter(resident_rating::Column::HouseholdCode.eq(h.code.as_str()))
            .filter(resident_rating::Column::Year.eq(today.year()))
            .filter(resident_rating::Column::PersonId.eq(p))
            .one(db)
            .await?
            .and_then(|r| crate::domain::cards::Rating::parse(&r.rating).ok())
            .map(|r| r.zh().to_string()),
        None => None,
    };
    Ok(Some(ResidentHome {
        household_code: h.code,
        head_name: h.head_name,
        values,
        items,
        rated,
        replaced: c.superseded_on.is_some(),
    }))
}

/// The household's one rating this year of the cadre linked to it now.
pub async fn rate(
    db: &impl ConnectionTrait,
    c: &card::Model,
    rating: &str,
    note: &str,
    staff: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use crate::store::entities::resident_rating;
    let r = crate::domain::cards::Rating::parse(rating).map_err(StoreError::Invalid)?;
    let today = crate::time::beijing_date(now);
    let values = household_values(db, std::slice::from_ref(&c.holder_code), today)
        .await?
        .remove(&c.holder_code)
        .unwrap_or_default();
    let Some(person) = values.cadre else {
        return Err(StoreError::Invalid(
            "本户目前没有联户干部，暂不能评价".into(),
        ));
    };
    let given = || async {
        resident_rating::Entity::find()
            .filter(resident_rating::Column::HouseholdCode.eq(c.holder_code.as_str()))
            .filter(resident_rating::Column::Year.eq(today.year()))
            .filter(resident_rating::Column::PersonId.eq(person))
            .one(db)
            .await
    };
    let twice = || StoreError::Invalid("本户今年已经评价过这位干部，明年可以再评价".into());
    if given().await?.is_some() {
        return Err(twice());
    }
    let saved = resident_rating::ActiveModel {
        id: NotSet,
        household_code: Set(c.holder_code.clone()),
        year: Set(today.year()),
        person_id: Set(person),
        rating: Set(r.code().into()),
        note: Set(note.trim().chars().take(500).collect()),
        at: Set(now),
        on_behalf_account_id: Set(staff),
    }
    .insert(db)
    .await;
    match saved {
        Ok(_) => Ok(()),
        // The same answer sent twice at once: the first one stands.
        Err(e) => match given().await? {
            Some(_) => Err(twice()),
            None => Err(e.into()),
        },
    }
}

/// The answer link of one of this household's items (never a stability item): how the
/// household's page answers an item without opening any other household's.
pub async fn item_token(
    db: &impl ConnectionTrait,
    household_code: &str,
    id: i32,
) -> Result<Option<String>, DbErr> {
    use crate::store::entities::ledger_item;
    Ok(ledger_item::Entity::find()
        .filter(ledger_item::Column::Id.eq(id))
        .filter(ledger_item::Column::HouseholdCode.eq(household_code))
        .filter(ledger_item::Column::Ledger.ne("stability"))
        .one(db)
        .await?
        .and_then(|m| m.feedback_token))
}

/// Of these households, those with no card printed on or before `on`.
pub async fn without_card(
    db: &impl ConnectionTrait,
    households: &[String],
    on: NaiveDate,
) -> Result<Vec<String>, DbErr> {
    let mut printed: HashSet<String> = HashSet::new();
    for chunk in households.chunks(CHUNK) {
        printed.extend(
            card::Entity::find()
                .select_only()
                .column(card::Column::HolderCode)
                .filter(card::Column::HolderKind.eq("household"))
                .filter(card::Column::HolderCode.is_in(chunk.to_vec()))
                .filter(card::Column::PrintedOn.lte(on))
                .into_tuple::<String>()
                .all(db)
                .await?,
        );
    }
    Ok(households
        .iter()
        .filter(|h| !printed.contains(*h))
        .cloned()
        .collect())
}

/// The card lines of these households, with the head's and the linked cadre's names.
pub async fn household_lines(
    db: &impl ConnectionTrait,
    codes: &[String],
    today: NaiveDate,
) -> Result<Vec<CardLine>, DbErr> {
    let values = household_values(db, codes, today).await?;
    let names = values
        .iter()
        .map(|(k, v)| (k.clone(), v.get("household").to_string()))
        .collect();
    let cadres = values
        .iter()
        .filter(|(_, v)| v.cadre.is_some())
        .map(|(k, v)| (k.clone(), v.get("cadre_name").to_string()))
        .collect();
    lines(db, Holder::Household, codes, &names, &cadres).await
}

/// The law-enforcement and window-service units (LXK-1) with their cards.
pub async fn unit_lines(db: &impl ConnectionTrait) -> Result<Vec<CardLine>, DbErr> {
    let units = unit::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(unit::Column::Tags.contains(",law_enforcement,"))
                .add(unit::Column::Tags.contains(",window_service,")),
        )
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?;
    let codes: Vec<String> = units.iter().map(|u| u.code.clone()).collect();
    let names = units.into_iter().map(|u| (u.code, u.name)).collect();
    lines(db, Holder::Unit, &codes, &names, &HashMap::new()).await
}

/// Villages and communities a caller may print for, as (code, “town village”).
pub async fn villages_within(
    db: &impl ConnectionTrait,
    vis: &crate::store::access::Visibility,
) -> Result<Vec<(String, String)>, DbErr> {
    let mut q =
        region::Entity::find().filter(region::Column::Level.is_in(["village", "community"]));
    if !vis.all {
        let mut c = sea_orm::Condition::any().add(region::Column::Id.lt(0));
        for p in &vis.region_paths {
            c = c.add(region::Column::Path.starts_with(p.as_str()));
        }
        q = q.filter(c);
    }
    let villages = q.order_by_asc(region::Column::Path).all(db).await?;
    let towns = regions_up(db, villages.iter().filter_map(|v| v.parent_code.clone())).await?;
    Ok(villages
        .into_iter()
        .map(|v| {
            let town = v
                .parent_code
                .as_ref()
                .and_then(|p| towns.get(p))
                .map(|t| t.name.as_str())
                .unwrap_or("");
            let label = format!("{town}{}", v.name);
            (v.code, label)
        })
        .collect())
}

/// The office marks cards delivered (households within its reach; a unit's card to each of
/// its service objects). One transaction; answers how many deliveries were new.
pub async fn record_deliveries(
    db: &sea_orm::DatabaseConnection,
    vis: &crate::store::access::Visibility,
    holder: Holder,
    codes: &[String],
    on: NaiveDate,
    by: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let txn = db.begin().await?;
    let mut n = 0;
    match holder {
        Holder::Household => {
            let mut reachable = Vec::new();
            for chunk in codes.chunks(CHUNK) {
                reachable.extend(
                    household::Entity::find()
                        .select_only()
                        .column(household::Column::Code)
                        .filter(household::Column::Code.is_in(chunk.to_vec()))
                        .filter(vis.households())
                        .into_tuple::<String>()
                        .all(&txn)
                        .await?,
                );
            }
            if reachable.len() < codes.len() {
                return Err(StoreError::NotFound("所选的户".into()));
            }
            let d = Delivery {
                on,
                by,
                activity: None,
                recipient: None,
            };
            n += deliver(&txn, holder, &reachable, &d, now).await?;
        }
        Holder::Unit => {
            for code in codes {
                let mut objects = service_objects(&txn, code, on).await?;
                if objects.is_empty() {
                    objects.push(code.clone());
                }
                for o in &objects {
                    let d = Delivery {
                        on,
                        by,
                        activity: None,
                        recipient: Some(o),
                    };
                    n += deliver(&txn, holder, std::slice::from_ref(code), &d, now).await?;
                }
            }
        }
    }
    txn.commit().await?;
    Ok(n)
}

/// The secret of a household's current card, if one is printed: written replies and notices
/// point to the household's page rather than to one item.
pub async fn current_secret(
    db: &impl ConnectionTrait,
    household_code: &str,
) -> Result<Option<String>, DbErr> {
    let code = household_code.to_string();
    Ok(
        current_cards(db, Holder::Household, std::slice::from_ref(&code))
            .await?
            .remove(&code)
            .and_then(|c| c.secret),
    )
}
