//! The demo county's community service projects (BF-7) and representatives' proposals
//! (DDB-5). Every department reported to a community lists a need there and most complete
//! it, confirmed by the community; one in five waits for the community's confirmation and one
//! in seven has not started. Each liaison office compiles proposals for the year's meeting:
//! most answered in time, one answered late, one still waiting. Each step only once its day
//! has come.

use crate::domain::labels::{ItemSource, LinkKind, ProposalKind, UnitKind, UnitTag};
use crate::store::access::Visibility;
use crate::store::entities::{ledger_item, link, region, unit};
use crate::store::projects::{self, Claim, Completion, Confirmation, NewProject};
use crate::store::proposals::{self, Answer, Close, Forward, NewProposal};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

fn at(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap_or_default())
}

const BY: &str = "演示数据";

const NEEDS: [(&str, &str); 5] = [
    (
        "老旧楼道照明改造",
        "3栋老楼楼道没有灯，老人晚上上下楼不方便",
    ),
    ("小区健身器材维修", "广场健身器材坏了一半，居民希望修好"),
    ("独居老人助餐", "独居老人吃饭难，希望每周送餐上门"),
    ("青少年暑期课堂", "双职工家庭孩子暑假没人看管"),
    ("垃圾分类宣传", "居民不会分类，希望有人上门讲解"),
];

fn err(e: crate::store::StoreError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

pub async fn run(
    db: &DatabaseConnection,
    policy: &crate::domain::policy::Policy,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let year = today.year();
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
    let vis = Visibility::everything();
    let reported = link::Entity::find()
        .filter(link::Column::Kind.eq(LinkKind::CommunityRegistration.code()))
        .filter(link::Column::UnitCode.is_not_null())
        .order_by_asc(link::Column::Id)
        .all(db)
        .await?;
    for (k, l) in reported.iter().enumerate() {
        let Some(unit_code) = &l.unit_code else {
            continue;
        };
        let (title, need) = NEEDS[k % NEEDS.len()];
        let listed = day(2, 20) + Duration::days((k % 20) as i64);
        if listed > today {
            continue;
        }
        let p = projects::create(
            db,
            &vis,
            BY,
            at(listed),
            &NewProject {
                region_code: l.target_code.clone(),
                title: title.into(),
                need: need.into(),
                listed_on: listed,
                client_key: format!("demo-project-{year}-{k}"),
            },
        )
        .await
        .map_err(err)?;
        if k % 7 == 3 {
            // Listed, not yet claimed.
            continue;
        }
        let claimed = listed + Duration::days(10);
        if claimed > today {
            continue;
        }
        projects::claim(
            db,
            &vis,
            BY,
            at(claimed),
            p.id,
            &Claim {
                unit_code: unit_code.clone(),
                claimed_on: claimed,
            },
        )
        .await
        .map_err(err)?;
        let completed = claimed + Duration::days(60 + (k % 40) as i64);
        if completed > today {
            continue;
        }
        projects::complete(
            db,
            &vis,
            BY,
            at(completed),
            p.id,
            &Completion {
                completed_on: completed,
                took_part: format!("机关党员{}人", 6 + k % 9),
                outcome: format!("{title}已完成，居民代表到场查看"),
            },
        )
        .await
        .map_err(err)?;
        let confirmed = completed + Duration::days(5);
        if k % 5 == 1 || confirmed > today {
            continue;
        }
        projects::confirm(
            db,
            &vis,
            BY,
            at(confirmed),
            p.id,
            &Confirmation {
                confirmed_on: confirmed,
                confirmation: "社区居委会验收，居民满意".into(),
            },
        )
        .await
        .map_err(err)?;
    }
    proposals_for(db, policy, today).await
}

async fn proposals_for(
    db: &DatabaseConnection,
    policy: &crate::domain::policy::Policy,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let year = today.year();
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
    let vis = Visibility::everything();
    let cal = crate::store::rules::calendar(db).await?;
    let clock = policy.ledger.proposal;
    let units = unit::Entity::find()
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?;
    let offices: Vec<&unit::Model> = units
        .iter()
        .filter(|u| proposals::is_liaison_office(&u.tags))
        .collect();
    let departments: Vec<&unit::Model> = units
        .iter()
        .filter(|u| u.kind == UnitKind::CountyDepartment.code())
        .collect();
    if departments.is_empty() {
        return Ok(());
    }
    // The issues representatives collected, by the town they lie in.
    let paths: HashMap<String, String> = region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.path))
        .collect();
    let collected = ledger_item::Entity::find()
        .filter(ledger_item::Column::Source.eq(ItemSource::Representative.code()))
        .order_by_asc(ledger_item::Column::Id)
        .all(db)
        .await?;
    let topics = [
        (
            "农村饮水安全巩固提升",
            "多个村反映夏季供水不足，建议实施管网延伸",
        ),
        ("乡村道路养护", "通村道路坑洼多，建议落实养护资金"),
        ("农村养老服务", "留守老人多，建议建设村级互助养老点"),
    ];
    for (k, o) in offices.iter().enumerate() {
        let town_path = paths.get(&o.region_code).cloned().unwrap_or_default();
        let items: Vec<i32> = collected
            .iter()
            .filter(|i| {
                paths
                    .get(&i.region_code)
                    .is_some_and(|p| p.starts_with(&town_path))
            })
            .take(3)
            .map(|i| i.id)
            .collect();
        let meeting = if o.tags.contains(UnitTag::RepresentativeLiaison.code()) {
            format!("{year}年县党代会年会")
        } else {
            format!("{year}年{}党代会", o.name.trim_end_matches("党建办"))
        };
        for (j, (title, content)) in topics.iter().enumerate() {
            let submitted = day(3, 2) + Duration::days((k % 10) as i64);
            if submitted > today {
                continue;
            }
            let x = proposals::create(
                db,
                &vis,
                BY,
                at(submitted),
                &NewProposal {
                    unit_code: o.code.clone(),
                    meeting: meeting.clone(),
                    kind: if j == 0 {
                        ProposalKind::Motion
                    } else {
                        ProposalKind::Suggestion
                    },
                    title: (*title).into(),
                    content: (*content).into(),
                    raised_by: "党代表联名".into(),
                    submitted_on: submitted,
                    item_ids: if j == 0 { items.clone() } else { vec![] },
                    client_key: format!("demo-proposal-{year}-{k}-{j}"),
                },
            )
            .await
            .map_err(err)?;
            let forwarded = submitted + Duration::days(7);
            if forwarded > today {
                continue;
            }
            let to = departments[(k * 3 + j) % departments.len()];
            let x = proposals::forward(
                db,
                &vis,
                &clock,
                &cal,
                BY,
                at(forwarded),
                x.id,
                &Forward {
                    unit_code: to.code.clone(),
                    forwarded_on: forwarded,
                },
            )
            .await
            .map_err(err)?;
            let due = x.due_on.unwrap_or(forwarded);
            // The last office's second suggestion is answered late; its third still waits.
            let late = k + 1 == offices.len() && j == 1;
            if k + 1 == offices.len() && j == 2 {
                continue;
            }
            let answered = if late {
                due + Duration::days(12)
            } else {
                due - Duration::days(20 + (k % 15) as i64)
            };
            if answered > today {
                continue;
            }
            proposals::answer(
                db,
                &vis,
                BY,
                at(answered),
                x.id,
                &Answer {
                    answered_on: answered,
                    answer: format!("{}已研究办理，列入明年工作计划", to.name),
                },
            )
            .await
            .map_err(err)?;
            let closed = answered + Duration::days(10);
            if closed <= today {
                proposals::close(db, &vis, BY, at(closed), x.id, &Close { closed_on: closed })
                    .await
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// Representatives' contact details made public (DDB-4): six in seven by the spring, the rest
/// not yet; and the applications village service rooms took (CG-9), one kind after another,
/// each handled by a village cadre of the village, most in time, one in nine late.
pub async fn representatives_and_service_rooms(
    db: &DatabaseConnection,
    policy: &crate::domain::policy::Policy,
    today: NaiveDate,
) -> anyhow::Result<()> {
    use crate::domain::labels::{ApplicationKind, Role};
    use crate::store::entities::person;
    use crate::store::representatives::{self as reps, NewPublication};
    use sea_orm::{ActiveModelTrait, Set};
    let year = today.year();
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
    let vis = Visibility::everything();
    let representatives = person::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(
                    person::Column::Roles
                        .contains(format!(",{},", Role::CountyRepresentative.code())),
                )
                .add(
                    person::Column::Roles
                        .contains(format!(",{},", Role::TownRepresentative.code())),
                ),
        )
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    const PLACES: [&str; 3] = ["党代表工作室公示栏", "村务公开栏", "县委组织部网站"];
    for (k, p) in representatives.iter().enumerate() {
        let on = day(3, 1) + Duration::days((k % 25) as i64);
        if k % 7 == 3 || on > today {
            continue;
        }
        let n = NewPublication {
            person_id: p.id,
            published_on: on,
            place: PLACES[k % PLACES.len()].into(),
        };
        reps::publish(db, &vis, n, BY, at(on)).await.map_err(err)?;
    }
    // Service rooms: the villages whose cadres keep duty there, a few applications each.
    let cal = crate::store::rules::calendar(db).await?;
    let clock = policy.ledger.item;
    let cadres = person::Entity::find()
        .filter(person::Column::Roles.contains(format!(",{},", Role::VillageCadre.code())))
        .filter(person::Column::RegionCode.is_not_null())
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    let mut seen = std::collections::HashSet::new();
    let mut n = 0usize;
    let mut written = Vec::new();
    for c in cadres {
        let Some(village) = c.region_code.clone() else {
            continue;
        };
        if !seen.insert(village.clone()) || seen.len() % 3 != 1 {
            continue;
        }
        for j in 0..3 {
            n += 1;
            let kind = ApplicationKind::ALL[n % ApplicationKind::ALL.len()];
            let registered = day(1, 10) + Duration::days(((n * 37) % 300) as i64);
            if registered > today {
                continue;
            }
            let due = crate::domain::ledger::deadline(&cal, registered, clock.days, clock.count);
            let handled = if n % 9 == 4 {
                due + Duration::days(3)
            } else {
                registered + Duration::days(2 + (j as i64) * 2)
            };
            let done = handled <= today;
            let saved = ledger_item::ActiveModel {
                ledger: Set("livelihood".into()),
                household_code: Set(None),
                region_code: Set(village.clone()),
                source: Set(ItemSource::ServiceRoom.code().into()),
                activity_id: Set(None),
                matter: Set(format!("代办{}", kind.zh())),
                status: Set(if done { "resolved" } else { "assigned" }.into()),
                level: Set("village".into()),
                owner_person_id: Set(Some(c.id)),
                owner_unit_code: Set(Some(c.unit_code.clone())),
                registered_on: Set(registered),
                deadline: Set(Some(due)),
                closed_on: Set(None),
                clock: Set("item".into()),
                category: Set(Some(kind.zh().into())),
                resolution: Set(done.then(|| "已办结（代办）".to_string())),
                resolved_on: Set(done.then_some(handled)),
                feedback_token: Set(Some(crate::store::ledger::new_token())),
                ..Default::default()
            }
            .insert(db)
            .await?;
            written.push(saved);
        }
    }
    crate::store::ledger::log_registered(db, &written, BY, at(today)).await?;
    Ok(())
}
