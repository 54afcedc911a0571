//! Loads the facts the rule engine reads for one year, in a few bulk reads.

use super::entities::*;
use crate::domain::calendar::{Calendar, DayKind, DeclaredPeriod};
use crate::domain::labels::{
    ActivityKind, LinkKind, RegionLevel, Role, UnitKind, UnitTag, split_codes,
};
use crate::domain::rules::*;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait,
};
use std::collections::HashMap;

fn codes<T>(stored: &str, parse: fn(&str) -> Option<T>) -> Vec<T> {
    split_codes(stored).into_iter().filter_map(parse).collect()
}

/// The ledger items registered in the year, with how many of the five guarantees each has.
async fn item_facts(
    db: &DatabaseConnection,
    first: NaiveDate,
    last: NaiveDate,
    village_of: &HashMap<&str, &str>,
    only: Option<i32>,
) -> Result<Vec<ItemFact>, DbErr> {
    use ledger_item::Column as C;
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        id: i32,
        source: String,
        clock: String,
        region_code: String,
        household_code: Option<String>,
        status: String,
        level: String,
        owner_person_id: Option<i32>,
        case_owner_person_id: Option<i32>,
        registered_on: NaiveDate,
        deadline: Option<NaiveDate>,
        answer_due: Option<NaiveDate>,
        resolved_on: Option<NaiveDate>,
        closed_on: Option<NaiveDate>,
        answer: Option<String>,
        overdue_reason: Option<String>,
        supervised: bool,
        category: Option<String>,
    }
    impl super::bulk::BulkRow for Row {
        fn from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok(Row {
                id: r.get(0)?,
                source: r.get(1)?,
                clock: r.get(2)?,
                region_code: r.get(3)?,
                household_code: r.get(4)?,
                status: r.get(5)?,
                level: r.get(6)?,
                owner_person_id: r.get(7)?,
                case_owner_person_id: r.get(8)?,
                registered_on: r.get(9)?,
                deadline: r.get(10)?,
                answer_due: r.get(11)?,
                resolved_on: r.get(12)?,
                closed_on: r.get(13)?,
                answer: r.get(14)?,
                overdue_reason: r.get(15)?,
                supervised: r.get(16)?,
                category: r.get(17)?,
            })
        }
        fn from_result(r: &sea_orm::QueryResult) -> Result<Self, DbErr> {
            <Row as sea_orm::FromQueryResult>::from_query_result(r, "")
        }
    }
    // The year's items (a county registers tens of thousands) as plain columns in bulk.
    let rows: Vec<Row> = super::bulk::all(
        db,
        ledger_item::Entity::find()
            .select_only()
            .columns([
                C::Id,
                C::Source,
                C::Clock,
                C::RegionCode,
                C::HouseholdCode,
                C::Status,
                C::Level,
                C::OwnerPersonId,
                C::CaseOwnerPersonId,
                C::RegisteredOn,
                C::Deadline,
                C::AnswerDue,
                C::ResolvedOn,
                C::ClosedOn,
                C::Answer,
                C::OverdueReason,
                C::Supervised,
                C::Category,
            ])
            .filter(C::RegisteredOn.between(first, last))
            .apply_if(only, |q, pid| {
                q.filter(
                    sea_orm::Condition::any()
                        .add(C::OwnerPersonId.eq(pid))
                        .add(C::CaseOwnerPersonId.eq(pid)),
                )
            }),
    )
    .await?;
    let mut guarantees: HashMap<i32, std::collections::HashSet<String>> = HashMap::new();
    let mut told: HashMap<i32, NaiveDate> = HashMap::new();
    let events: Vec<(i32, String, NaiveDate, String)> = super::bulk::all(
        db,
        ledger_event::Entity::find()
            .select_only()
            .columns([
                ledger_event::Column::ItemId,
                ledger_event::Column::Action,
                ledger_event::Column::OnDate,
                ledger_event::Column::Data,
            ])
            .filter(ledger_event::Column::Action.is_in(["guarantee", "notice"]))
            // Only the events of the items read above: not every year's history.
            .filter(
                ledger_event::Column::ItemId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(C::Id)
                        .from(ledger_item::Entity)
                        .and_where(C::RegisteredOn.between(first, last))
                        .to_owned(),
                ),
            ),
    )
    .await?;
    for (item, action, on, data) in events {
        if action == "notice" {
            told.entry(item)
                .and_modify(|d| *d = Ord::min(*d, on))
                .or_insert(on);
            continue;
        }
        if let Some(g) = serde_json::from_str::<serde_json::Value>(&data)
            .ok()
            .and_then(|v| v.get("guarantee")?.as_str().map(str::to_string))
        {
            guarantees.entry(item).or_default().insert(g);
        }
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(ItemFact {
                id: r.id,
                source: crate::domain::labels::ItemSource::from_code(&r.source)?,
                clock: r.clock,
                village: village_of
                    .get(r.region_code.as_str())
                    .map(|v| v.to_string())
                    .unwrap_or(r.region_code),
                household: r.household_code,
                status: r.status,
                level: r.level,
                first_handler: r.owner_person_id,
                case_owner: r.case_owner_person_id,
                registered_on: r.registered_on,
                // Under review the item runs on the review's clock; the first answer is judged
                // against the first handling's deadline.
                deadline: r.answer_due.or(r.deadline),
                resolved_on: r.resolved_on,
                closed_on: r.closed_on,
                answered: r.answer.is_some(),
                overdue_reason: r.overdue_reason.is_some(),
                supervised: r.supervised,
                guarantees: guarantees.get(&r.id).map(|g| g.len() as u8).unwrap_or(0),
                told_on: told.get(&r.id).copied(),
                category: r.category,
            })
        })
        .collect())
}

/// The records before `first` (the year's first day) of the people whose term of office began
/// earlier — back to its start, at most ten years — one row per record and target: the term
/// rules (DY-3, CG-3) count them; the year's own records are read with the others.
async fn earlier_visits(
    db: &DatabaseConnection,
    term_starts: impl Iterator<Item = NaiveDate>,
    first: NaiveDate,
    only: Option<i32>,
) -> Result<Vec<EarlierVisit>, DbErr> {
    use crate::domain::labels::ActivityKind;
    use sea_orm::sea_query::Query;
    let Some(from) = term_starts.filter(|d| *d < first).min() else {
        return Ok(vec![]);
    };
    let from = Ord::max(from, first - chrono::Months::new(120));
    let (a, pt, t, pe) = (
        activity::Entity,
        activity_participant::Entity,
        activity_target::Entity,
        person::Entity,
    );
    let mut q = Query::select();
    q.column((pt, activity_participant::Column::PersonId))
        .column((a, activity::Column::Kind))
        .column((a, activity::Column::StartDate))
        .column((t, activity_target::Column::TargetCode))
        .from(a)
        .inner_join(
            pt,
            Expr::col((pt, activity_participant::Column::ActivityId))
                .equals((a, activity::Column::Id)),
        )
        .inner_join(
            t,
            Expr::col((t, activity_target::Column::ActivityId)).equals((a, activity::Column::Id)),
        )
        .inner_join(
            pe,
            Expr::col((pe, person::Column::Id))
                .equals((pt, activity_participant::Column::PersonId)),
        )
        .and_where(Expr::col((a, activity::Column::StartDate)).gte(from))
        .and_where(Expr::col((a, activity::Column::StartDate)).lt(first))
        .and_where(
            Expr::col((a, activity::Column::StartDate))
                .gte(Expr::col((pe, person::Column::TermStart))),
        );
    if let Some(pid) = only {
        q.and_where(Expr::col((pt, activity_participant::Column::PersonId)).eq(pid));
    }
    let rows: Vec<(i32, String, NaiveDate, String)> = super::bulk::statement(db, &q).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(person, kind, day, target)| {
            Some(EarlierVisit {
                person,
                kind: ActivityKind::from_code(&kind)?,
                day,
                target,
            })
        })
        .collect())
}

/// A household's code, region and what its basic-information form holds (LH-4).
type HouseholdRow = (String, String, bool, bool, bool, String);

fn household_rows() -> sea_orm::Select<household::Entity> {
    use sea_orm::sea_query::Query;
    household::Entity::find()
        .select_only()
        .columns([household::Column::Code, household::Column::RegionCode])
        .expr(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(member::Entity)
                .and_where(
                    Expr::col((member::Entity, member::Column::HouseholdId))
                        .equals((household::Entity, household::Column::Id)),
                )
                .to_owned(),
        ))
        .expr(Expr::col(household::Column::Situation).is_not_null())
        .expr(Expr::col(household::Column::IncomeSources).is_not_null())
        .column(household::Column::HeadName)
}

pub async fn facts(db: &DatabaseConnection, year: i32) -> Result<Facts, DbErr> {
    facts_of(db, year, None).await
}

/// The facts one person's rows depend on: their records, links (with the links others hold
/// to the same targets, for LXD-4) and items; no unit or region subjects. Evaluating these
/// gives that person's rows as the county's evaluation does.
pub async fn person_facts(
    db: &DatabaseConnection,
    year: i32,
    person_id: i32,
) -> Result<Facts, DbErr> {
    facts_of(db, year, Some(person_id)).await
}

async fn facts_of(db: &DatabaseConnection, year: i32, only: Option<i32>) -> Result<Facts, DbErr> {
    use sea_orm::sea_query::Query;
    let clock = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(target: "lianxin::facts", "{what}: {:.1} ms", clock.elapsed().as_secs_f64() * 1000.0);
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    // The county's records (most of the rows) are read on a connection of their own while the
    // registry is read on this one.
    let reading = only.is_none().then(|| {
        let db = db.clone();
        tokio::spawn(async move { activity_facts(&db, first, last, None).await })
    });
    // The targets of the person's links this year, and the records they took part in.
    let my_targets = |pid: i32| {
        Query::select()
            .column(link::Column::TargetCode)
            .from(link::Entity)
            .and_where(link::Column::PersonId.eq(pid))
            .and_where(link::Column::Year.eq(year))
            .to_owned()
    };
    let my_records = |pid: i32| {
        Query::select()
            .column(activity_participant::Column::ActivityId)
            .from(activity_participant::Entity)
            .and_where(activity_participant::Column::PersonId.eq(pid))
            .to_owned()
    };
    let linked_people = |pid: i32| {
        Query::select()
            .column(link::Column::PersonId)
            .from(link::Entity)
            .and_where(link::Column::TargetCode.in_subquery(my_targets(pid)))
            .and_where(link::Column::Year.eq(year))
            .to_owned()
    };
    #[allow(clippy::type_complexity)]
    let people: Vec<(
        i32,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<NaiveDate>,
    )> = super::bulk::all(
        db,
        person::Entity::find()
            .select_only()
            .columns([
                person::Column::Id,
                person::Column::IdNumber,
                person::Column::Name,
                person::Column::Roles,
                person::Column::UnitCode,
                person::Column::RegionCode,
                person::Column::AreaCodes,
                person::Column::BranchCode,
                person::Column::TermStart,
            ])
            .apply_if(only, |q, pid| {
                q.filter(
                    sea_orm::Condition::any()
                        .add(person::Column::Id.eq(pid))
                        .add(person::Column::Id.in_subquery(linked_people(pid)))
                        // The people one's records name (TX-3: a contact point's head).
                        .add(
                            person::Column::IdNumber.in_subquery(
                                Query::select()
                                    .column(activity_target::Column::TargetCode)
                                    .from(activity_target::Entity)
                                    .and_where(
                                        activity_target::Column::ActivityId
                                            .in_subquery(my_records(pid)),
                                    )
                                    .to_owned(),
                            ),
                        )
                        // The members of one's branch (TX-2).
                        .add(
                            person::Column::BranchCode.in_subquery(
                                Query::select()
                                    .column(person::Column::BranchCode)
                                    .from(person::Entity)
                                    .and_where(person::Column::Id.eq(pid))
                                    .to_owned(),
                            ),
                        ),
                )
            }),
    )
    .await?;
    lap("people");
    // Representatives' published contact details (DDB-4): a handful of rows a year.
    let mut published: HashMap<i32, Vec<NaiveDate>> = HashMap::new();
    for (pid, on) in contact_publication::Entity::find()
        .select_only()
        .columns([
            contact_publication::Column::PersonId,
            contact_publication::Column::PublishedOn,
        ])
        .apply_if(only, |q, pid| {
            q.filter(contact_publication::Column::PersonId.eq(pid))
        })
        .into_tuple::<(i32, NaiveDate)>()
        .all(db)
        .await?
    {
        published.entry(pid).or_default().push(on);
    }
    let units: Vec<(String, String, String, String)> = super::bulk::all(
        db,
        unit::Entity::find().select_only().columns([
            unit::Column::Code,
            unit::Column::Name,
            unit::Column::Kind,
            unit::Column::Tags,
        ]),
    )
    .await?;
    let regions: Vec<(String, String, String, String)> = super::bulk::all(
        db,
        region::Entity::find().select_only().columns([
            region::Column::Code,
            region::Column::Name,
            region::Column::Level,
            region::Column::Path,
        ]),
    )
    .await?;
    // A household's village: the village or community on its region's path.
    let village_of: HashMap<&str, &str> = {
        let level: HashMap<&str, &str> = regions
            .iter()
            .map(|r| (r.0.as_str(), r.2.as_str()))
            .collect();
        regions
            .iter()
            .filter_map(|r| {
                let v =
                    r.3.split('/')
                        .filter(|s| !s.is_empty())
                        .find(|c| matches!(level.get(c), Some(&"village") | Some(&"community")))?;
                Some((r.0.as_str(), v))
            })
            .collect()
    };
    lap("published, units, regions");
    let households: Vec<HouseholdRow> = super::bulk::all(
        db,
        household_rows().apply_if(only, |q, _| q.filter(household::Column::Id.lt(0))),
    )
    .await?;
    #[allow(clippy::type_complexity)] // the columns of one bulk read, as they come
    let links: Vec<(
        Option<i32>,
        Option<String>,
        String,
        String,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<String>,
        Option<NaiveDate>,
        bool,
    )> = super::bulk::all(
        db,
        link::Entity::find()
            .select_only()
            .columns([
                link::Column::PersonId,
                link::Column::UnitCode,
                link::Column::Kind,
                link::Column::TargetCode,
                link::Column::StartDate,
                link::Column::EndDate,
                link::Column::FrontLine,
                link::Column::ReportOn,
            ])
            .expr(Expr::col(link::Column::Assessment).is_not_null())
            .filter(link::Column::Year.eq(year))
            .apply_if(only, |q, pid| {
                q.filter(
                    sea_orm::Condition::any()
                        .add(link::Column::PersonId.eq(pid))
                        .add(link::Column::TargetCode.in_subquery(my_targets(pid))),
                )
            }),
    )
    .await?;
    lap("households, links");
    let activities = match reading {
        Some(task) => task
            .await
            .map_err(|e| DbErr::Custom(format!("读取工作记录失败：{e}")))??,
        None => activity_facts(db, first, last, only).await?,
    };
    lap("activities");
    let items = item_facts(db, first, last, &village_of, only).await?;
    lap("items");
    let earlier = earlier_visits(db, people.iter().filter_map(|p| p.8), first, only).await?;
    // One person's households: those their records name and those of the places they link.
    let households = match only {
        None => households,
        Some(pid) => {
            let mut places: Vec<&str> = links
                .iter()
                .filter(|l| l.0 == Some(pid))
                .map(|l| l.3.as_str())
                .collect();
            // And one's responsible area (CG-5).
            if let Some(me) = people.iter().find(|p| p.0 == pid) {
                places.extend(me.6.split(',').filter(|c| !c.is_empty()));
            }
            let under: Vec<String> = regions
                .iter()
                .filter(|r| places.iter().any(|p| r.3.contains(&format!("/{p}/"))))
                .map(|r| r.0.clone())
                .collect();
            // The households one's records name, and those one is linked to (LH-4).
            let mut out: Vec<HouseholdRow> = super::bulk::all(
                db,
                household_rows().filter(household::Column::Code.in_subquery(my_targets(pid))),
            )
            .await?;
            out.extend(
                super::bulk::all(
                    db,
                    household_rows().filter(
                        household::Column::Code.in_subquery(
                            Query::select()
                                .column(activity_target::Column::TargetCode)
                                .from(activity_target::Entity)
                                .and_where(
                                    activity_target::Column::ActivityId
                                        .in_subquery(my_records(pid)),
                                )
                                .to_owned(),
                        ),
                    ),
                )
                .await?,
            );
            for chunk in under.chunks(500) {
                out.extend(
                    super::bulk::all(
                        db,
                        household_rows()
                            .filter(household::Column::RegionCode.is_in(chunk.to_vec())),
                    )
                    .await?,
                );
            }
            out.sort();
            out.dedup();
            out
        }
    };
    lap("earlier visits, one person's households");
    // One person's evaluation binds no unit: their rows would be thrown away.
    let units = if only.is_some() { vec![] } else { units };
    let year_end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(chrono::NaiveDate::MAX);
    let named: Option<Vec<String>> = only.map(|_| households.iter().map(|h| h.0.clone()).collect());
    let cards = crate::store::cards::facts(db, year_end, named.as_deref()).await?;
    lap("cards");
    let surveys = crate::store::survey::facts(db, year).await?;
    lap("surveys");
    let spot_rounds = crate::store::spot_checks::facts(db, year).await?;
    let assessments = crate::store::assessment::facts(db, year).await?;
    let slots = crate::store::rota::facts(db, year).await?;
    lap("spot checks, assessments, slots");
    Ok(Facts {
        cards,
        surveys,
        spot_rounds,
        assessments,
        slots,
        decisions: if only.is_some() {
            vec![]
        } else {
            crate::store::decisions::facts(db, year).await?
        },
        projects: if only.is_some() {
            vec![]
        } else {
            crate::store::projects::facts(db, year).await?
        },
        proposals: if only.is_some() {
            vec![]
        } else {
            crate::store::proposals::facts(db, year).await?
        },
        earlier,
        only_person: only,
        items,
        calendar: calendar(db).await?,
        households: households
            .iter()
            .filter_map(|(c, r, members, situation, income, head)| {
                Some(HouseholdFact {
                    code: c.clone(),
                    head: head.clone(),
                    region: r.clone(),
                    village: village_of.get(r.as_str())?.to_string(),
                    has_members: *members,
                    has_situation: *situation,
                    has_income: *income,
                })
            })
            .collect(),
        people: people
            .into_iter()
            .map(
                |(id, code, name, roles, unit, region, areas, branch, term_start)| PersonFact {
                    id,
                    code,
                    name,
                    roles: codes(&roles, Role::from_code),
                    unit,
                    region,
                    areas: split_codes(&areas)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                    branch,
                    term_start,
                    published: published.remove(&id).unwrap_or_default(),
                },
            )
            .collect(),
        units: units
            .into_iter()
            .map(|(code, name, kind, tags)| UnitFact {
                code,
                name,
                kind: UnitKind::from_code(&kind),
                tags: codes(&tags, UnitTag::from_code),
            })
            .collect(),
        regions: regions
            .iter()
            .map(|(code, name, level, path)| RegionFact {
                code: code.clone(),
                name: name.clone(),
                level: RegionLevel::from_code(level),
                path: path.clone(),
            })
            .collect(),
        links: links
            .into_iter()
            .filter_map(
                |(person, unit, kind, target, start, end, front_line, report_on, assessed)| {
                    // A unit's link names its contact person, who does not hold it.
                    let (person, contact) = if unit.is_some() {
                        (None, person)
                    } else {
                        (person, None)
                    };
                    Some(LinkFact {
                        person,
                        unit,
                        contact,
                        kind: LinkKind::from_code(&kind)?,
                        target,
                        start: start.unwrap_or(first),
                        end: end.unwrap_or(last),
                        front_line,
                        report_on,
                        assessed,
                    })
                },
            )
            .collect(),
        activities,
    })
}

/// The records of the year (of one person's, with `only`), each with its participants and
/// targets.
async fn activity_facts(
    db: &DatabaseConnection,
    first: NaiveDate,
    last: NaiveDate,
    only: Option<i32>,
) -> Result<Vec<ActivityFact>, DbErr> {
    use sea_orm::sea_query::Query;
    let my_records = |pid: i32| {
        Query::select()
            .column(activity_participant::Column::ActivityId)
            .from(activity_participant::Entity)
            .and_where(activity_participant::Column::PersonId.eq(pid))
            .to_owned()
    };
    #[allow(clippy::type_complexity)]
    let acts: Vec<(i32, NaiveDate, NaiveDate, String, Option<f64>, Option<i32>)> =
        super::bulk::all(
            db,
            activity::Entity::find()
                .select_only()
                .columns([
                    activity::Column::Id,
                    activity::Column::StartDate,
                    activity::Column::EndDate,
                    activity::Column::Kind,
                    activity::Column::Hours,
                    activity::Column::Companions,
                ])
                .filter(activity::Column::StartDate.lte(last))
                .filter(activity::Column::EndDate.gte(first))
                .apply_if(only, |q, pid| {
                    q.filter(activity::Column::Id.in_subquery(my_records(pid)))
                }),
        )
        .await?;
    // Every record of the year has an id at or above the smallest among them: reading
    // participants and targets from there (and keeping the year's) avoids a join per row.
    let min_id = acts.iter().map(|a| a.0).min().unwrap_or(i32::MAX);
    // Record ids are dense: a record's place is found by its id's offset from the smallest.
    let span = acts
        .iter()
        .map(|a| a.0)
        .max()
        .map_or(0, |max| (max - min_id + 1) as usize);
    let mut index: Vec<u32> = vec![u32::MAX; span];
    let mut activities: Vec<ActivityFact> = Vec::with_capacity(acts.len());
    for (id, start, end, kind, hours, companions) in acts {
        let Some(kind) = ActivityKind::from_code(&kind) else {
            continue;
        };
        index[(id - min_id) as usize] = activities.len() as u32;
        activities.push(ActivityFact {
            start,
            end,
            kind,
            hours: hours.unwrap_or(0.0),
            companions,
            participants: vec![],
            targets: vec![],
            disputed_on: None,
        });
    }
    let parts: Vec<(i32, i32)> = super::bulk::all(
        db,
        activity_participant::Entity::find()
            .select_only()
            .columns([
                activity_participant::Column::ActivityId,
                activity_participant::Column::PersonId,
            ])
            .filter(activity_participant::Column::ActivityId.gte(min_id))
            .apply_if(only, |q, pid| {
                q.filter(activity_participant::Column::ActivityId.in_subquery(my_records(pid)))
            }),
    )
    .await?;
    // A participant's or target's record among the year's (none for another year's).
    let place = |a: i32| {
        index
            .get(a.wrapping_sub(min_id) as usize)
            .filter(|i| **i != u32::MAX)
            .map(|i| *i as usize)
    };
    for (a, p) in parts {
        if let Some(i) = place(a) {
            activities[i].participants.push(p);
        }
    }
    let targets: Vec<(i32, String)> = super::bulk::all(
        db,
        activity_target::Entity::find()
            .select_only()
            .columns([
                activity_target::Column::ActivityId,
                activity_target::Column::TargetCode,
            ])
            .filter(activity_target::Column::ActivityId.gte(min_id))
            .apply_if(only, |q, pid| {
                q.filter(activity_target::Column::ActivityId.in_subquery(my_records(pid)))
            }),
    )
    .await?;
    for (a, t) in targets {
        if let Some(i) = place(a) {
            activities[i].targets.push(t);
        }
    }
    for (a, on) in crate::store::spot_checks::disputed(db).await? {
        if let Some(i) = place(a) {
            activities[i].disputed_on = Some(on);
        }
    }
    Ok(activities)
}

/// The shipped schedule with the days an administrator entered on top.
pub async fn calendar(db: &impl ConnectionTrait) -> Result<Calendar, DbErr> {
    let days = calendar_day::Entity::find().all(db).await?;
    let declared = declared_period::Entity::find().all(db).await?;
    Ok(Calendar::seeded()
        .with(days.into_iter().map(|d| {
            let kind = if d.kind == "workday" {
                DayKind::Workday(d.name)
            } else {
                DayKind::Holiday(d.name)
            };
            (d.day, kind)
        }))
        .with_periods(declared.into_iter().map(|p| DeclaredPeriod {
            sensitive: p.kind == "sensitive",
            region: p.region_code,
            start: p.start_date,
            end: p.end_date,
            name: p.name,
        })))
}

/// Declares a sensitive (重要敏感时期) or special (特殊时期) period, kept in the history.
pub async fn declare_period(
    db: &impl ConnectionTrait,
    actor: &str,
    p: DeclaredPeriod,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<i32, String>, DbErr> {
    use sea_orm::{ActiveModelTrait, Set};
    if p.end < p.start {
        return Ok(Err("结束日期早于开始日期".into()));
    }
    if let Some(code) = &p.region
        && region::Entity::find()
            .filter(region::Column::Code.eq(code.as_str()))
            .one(db)
            .await?
            .is_none()
    {
        return Ok(Err(format!("区划“{code}”不存在")));
    }
    let kind = if p.sensitive { "sensitive" } else { "special" };
    let saved = declared_period::ActiveModel {
        id: sea_orm::NotSet,
        kind: Set(kind.into()),
        region_code: Set(p.region.clone()),
        start_date: Set(p.start),
        end_date: Set(p.end),
        name: Set(p.name.clone()),
    }
    .insert(db)
    .await?;
    super::history::append(
        db,
        actor,
        now,
        vec![super::history::Change {
            entity: "declared_period",
            entity_key: saved.id.to_string(),
            action: "create",
            changes: super::history::diff(
                None,
                &serde_json::json!({"kind": kind, "region_code": p.region, "start_date": p.start,
                                    "end_date": p.end, "name": p.name}),
            ),
        }],
    )
    .await?;
    Ok(Ok(saved.id))
}

/// Enters (or replaces) one day of the official calendar, kept in the history.
pub async fn set_calendar_day(
    db: &impl ConnectionTrait,
    actor: &str,
    day: NaiveDate,
    kind: &str,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait, Set};
    let old = calendar_day::Entity::find_by_id(day).one(db).await?;
    let am = calendar_day::ActiveModel {
        day: Set(day),
        kind: Set(kind.into()),
        name: Set(name.into()),
    };
    if old.is_some() {
        am.update(db).await?;
    } else {
        am.insert(db).await?;
    }
    super::history::append(
        db,
        actor,
        now,
        vec![super::history::Change {
            entity: "calendar_day",
            entity_key: day.to_string(),
            action: if old.is_some() { "update" } else { "create" },
            changes: super::history::diff(
                old.map(|o| serde_json::json!({"kind": o.kind, "name": o.name}))
                    .as_ref(),
                &serde_json::json!({"kind": kind, "name": name}),
            ),
        }],
    )
    .await
}

/// The latest policy saved through the policy page, if any: the text the page edits.
pub async fn saved_policy(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    use sea_orm::QueryOrder;
    Ok(policy_version::Entity::find()
        .order_by_desc(policy_version::Column::Id)
        .one(db)
        .await?
        .map(|v| v.text))
}

/// Every version of the policy in the order saved: `configured` (the county's file or the
/// shipped default) from the start, then each version saved through the policy page with the
/// day it takes effect. A saved version this build cannot read is left out, and said so.
pub async fn policy_versions(
    db: &impl ConnectionTrait,
    configured: crate::domain::policy::Policy,
) -> Result<Vec<crate::domain::policy::Dated>, DbErr> {
    use crate::domain::policy::{Dated, Policy};
    use sea_orm::QueryOrder;
    let mut out = vec![Dated {
        version: None,
        from: None,
        policy: std::sync::Arc::new(configured),
    }];
    for v in policy_version::Entity::find()
        .order_by_asc(policy_version::Column::Id)
        .all(db)
        .await?
    {
        match Policy::parse(&v.text) {
            Ok(p) => out.push(Dated {
                version: Some(v.id),
                from: v.in_force_from,
                policy: std::sync::Arc::new(p),
            }),
            // A version saved by an older build that this one reads differently: the ones
            // around it judge its days, and the log says so.
            Err(errors) => tracing::warn!(
                "第{}版制度无法使用，由其前后的版本代替：{}",
                v.id,
                errors.join("；")
            ),
        }
    }
    Ok(out)
}

/// The policy in force on a day (its settings: clocks, weights, companions).
pub async fn policy_in_force(
    db: &impl ConnectionTrait,
    configured: crate::domain::policy::Policy,
    day: NaiveDate,
) -> Result<std::sync::Arc<crate::domain::policy::Policy>, DbErr> {
    let versions = policy_versions(db, configured).await?;
    Ok(crate::domain::policy::Dated::on(&versions, day)
        .map(|d| d.policy.clone())
        .unwrap_or_else(|| std::sync::Arc::new(crate::domain::policy::Policy::default_policy())))
}

/// Saves a checked policy as a new version (earlier ones stay), noted in the history.
pub async fn save_policy(
    db: &impl ConnectionTrait,
    actor: &str,
    text: &str,
    in_force_from: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i32, DbErr> {
    use sea_orm::{ActiveModelTrait, Set};
    let saved = policy_version::ActiveModel {
        id: sea_orm::NotSet,
        text: Set(text.to_string()),
        saved_by: Set(actor.to_string()),
        saved_at: Set(now),
        in_force_from: Set(Some(in_force_from)),
    }
    .insert(db)
    .await?;
    super::history::append(
        db,
        actor,
        now,
        vec![super::history::Change {
            entity: "policy_version",
            entity_key: saved.id.to_string(),
            action: "create",
            changes: super::history::diff(
                None,
                &serde_json::json!({"bytes": text.len(), "in_force_from": in_force_from}),
            ),
        }],
    )
    .await?;
    Ok(saved.id)
}

/// A unit or region as its compliance page reads it: its name, its region path, its people and
/// the places whose rows are its own (the unit; the region with the regions and units under it).
pub struct Members {
    pub code: String,
    pub name: String,
    pub path: String,
    pub people: Vec<person::Model>,
    pub places: std::collections::HashSet<String>,
}

/// A unit and its people; `None` when there is no such unit.
pub async fn unit_members(db: &impl ConnectionTrait, code: &str) -> Result<Option<Members>, DbErr> {
    let Some(u) = unit::Entity::find()
        .filter(unit::Column::Code.eq(code))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let path = super::registry::region(db, &u.region_code)
        .await?
        .map(|r| r.path)
        .unwrap_or_default();
    let people = person::Entity::find()
        .filter(person::Column::UnitCode.eq(u.code.as_str()))
        .all(db)
        .await?;
    Ok(Some(Members {
        places: std::collections::HashSet::from([u.code.clone()]),
        code: u.code,
        name: u.name,
        path,
        people,
    }))
}

/// A region with the regions and units under it and the people working there.
pub async fn region_members(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<Members>, DbErr> {
    let Some(r) = super::registry::region(db, code).await? else {
        return Ok(None);
    };
    let regions: Vec<String> = region::Entity::find()
        .filter(region::Column::Path.starts_with(&r.path))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let units: Vec<String> = unit::Entity::find()
        .filter(unit::Column::RegionCode.is_in(regions.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.code)
        .collect();
    let people = person::Entity::find()
        .filter(person::Column::RegionCode.is_in(regions.clone()))
        .all(db)
        .await?;
    Ok(Some(Members {
        code: r.code,
        name: r.name,
        path: r.path,
        people,
        places: regions.into_iter().chain(units).collect(),
    }))
}

/// Where each subject of the report belongs, to compare towns and units: a person's unit and
/// town, a unit's town, a region's town; with the names of towns and units.
#[derive(Default)]
pub struct Belonging {
    pub person: HashMap<String, (String, Option<String>)>,
    pub unit_town: HashMap<String, Option<String>>,
    pub region_town: HashMap<String, Option<String>>,
    pub town_names: HashMap<String, String>,
    pub unit_names: HashMap<String, String>,
}

pub async fn belonging(db: &impl ConnectionTrait) -> Result<Belonging, DbErr> {
    let regions: Vec<(String, String, String)> = region::Entity::find()
        .select_only()
        .columns([
            region::Column::Code,
            region::Column::Path,
            region::Column::Name,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let mut b = Belonging::default();
    for (code, path, name) in &regions {
        if path.trim_matches('/').split('/').count() == 2 {
            b.town_names.insert(code.clone(), name.clone());
        }
        b.region_town.insert(
            code.clone(),
            crate::store::registry::town_of(path).map(|(t, _)| t),
        );
    }
    let units: Vec<(String, String, String)> = unit::Entity::find()
        .select_only()
        .columns([
            unit::Column::Code,
            unit::Column::Name,
            unit::Column::RegionCode,
        ])
        .into_tuple()
        .all(db)
        .await?;
    for (code, name, region) in units {
        let town = b.region_town.get(&region).cloned().flatten();
        b.unit_town.insert(code.clone(), town);
        b.unit_names.insert(code, name);
    }
    let people: Vec<(String, String, Option<String>)> = person::Entity::find()
        .select_only()
        .columns([
            person::Column::IdNumber,
            person::Column::UnitCode,
            person::Column::RegionCode,
        ])
        .into_tuple()
        .all(db)
        .await?;
    for (id, unit, region) in people {
        let town = region
            .and_then(|r| b.region_town.get(&r).cloned().flatten())
            .or_else(|| b.unit_town.get(&unit).cloned().flatten());
        b.person.insert(id, (unit, town));
    }
    Ok(b)
}

/// The households whose own region is one of `regions` (a scope's places), by code.
pub async fn households_in(
    db: &impl ConnectionTrait,
    regions: &[String],
) -> Result<std::collections::HashSet<String>, DbErr> {
    let mut out = std::collections::HashSet::new();
    for chunk in regions.chunks(500) {
        let codes: Vec<String> = household::Entity::find()
            .select_only()
            .column(household::Column::Code)
            .filter(household::Column::RegionCode.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(codes);
    }
    Ok(out)
}

/// Every household's own region, by code.
pub async fn household_regions(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<String, String>, DbErr> {
    let rows: Vec<(String, String)> = household::Entity::find()
        .select_only()
        .columns([household::Column::Code, household::Column::RegionCode])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
