//! The demo county's major decisions 三问决策 (DY-7): the county government's and each town's,
//! most with all three consultations; one town has not yet asked how its works turned out, 90
//! days after completion (unmet), and one decision taken in autumn is still being carried out.
//! Each step only once its day has come.

use crate::domain::labels::{DecisionStage, UnitKind};
use crate::store::access::Visibility;
use crate::store::decisions::{self, NewConsultation, NewDecision};
use crate::store::entities::unit;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

fn at(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap_or_default())
}

const BY: &str = "演示数据";

/// (title, decided, completed, [(stage, day, asked, said, changed)]) with days as (month, day).
type Plan = (
    String,
    (u32, u32),
    Option<(u32, u32)>,
    Vec<(
        DecisionStage,
        (u32, u32),
        &'static str,
        &'static str,
        &'static str,
    )>,
);

pub async fn run(
    db: &DatabaseConnection,
    policy: &crate::domain::policy::Policy,
    today: NaiveDate,
) -> anyhow::Result<()> {
    use DecisionStage::*;
    let year = today.year();
    let day = |(m, d): (u32, u32)| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
    let county = unit::Entity::find()
        .filter(unit::Column::Kind.eq(UnitKind::CountyLeadershipBody.code()))
        .filter(unit::Column::Name.contains("政府"))
        .one(db)
        .await?;
    let towns = unit::Entity::find()
        .filter(unit::Column::Kind.eq(UnitKind::TownGovernment.code()))
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?;
    let mut plans: Vec<(String, Plan)> = Vec::new();
    if let Some(c) = county {
        plans.push((
            c.code,
            (
                "县城老旧小区改造提升年度计划".into(),
                (3, 10),
                Some((9, 30)),
                vec![
                    (
                        Before,
                        (2, 20),
                        "县城6个社区居民代表86人（座谈会）",
                        "希望先改雨污分流和加装电梯，停车位不够",
                        "计划增加雨污分流，电梯加装按单元自愿",
                    ),
                    (
                        During,
                        (6, 15),
                        "施工小区居民（入户征求意见）",
                        "施工时间太早影响休息",
                        "开工时间改为8点后",
                    ),
                    (
                        After,
                        (10, 28),
                        "改造小区住户随机回访120户",
                        "满意，个别楼道灯未装",
                        "列入整改清单，11月底前完成",
                    ),
                ],
            ),
        ));
    }
    let n = towns.len();
    for (i, t) in towns.into_iter().enumerate() {
        let place = t.name.trim_end_matches("党委政府").to_string();
        let mut held = vec![
            (
                Before,
                (3, 20),
                "集镇居民和商户代表40人（听证会）",
                "污水直排小河，希望先改主街",
                "主街段提前到第一期",
            ),
            (
                During,
                (6, 5),
                "施工沿线商户（上门征求意见）",
                "施工期间影响赶集",
                "改为赶集日停工、夜间不施工",
            ),
        ];
        // The last town has not yet asked how the works turned out.
        if i + 1 < n {
            held.push((
                After,
                (10, 12),
                "集镇住户回访60户",
                "臭味没有了，路面恢复得不平",
                "路面返修，10月底前完成",
            ));
        }
        plans.push((
            t.code.clone(),
            (
                format!("{place}集镇污水管网改造"),
                (4, 8),
                Some((8, 31)),
                held,
            ),
        ));
        if i == 0 {
            plans.push((
                t.code,
                (
                    format!("{place}农贸市场提升改造"),
                    (10, 20),
                    None,
                    vec![(
                        Before,
                        (10, 10),
                        "市场摊主和周边居民50人（座谈会）",
                        "摊位费不要涨，增加停车",
                        "摊位费三年不调整",
                    )],
                ),
            ));
        }
    }
    let vis = Visibility::everything();
    for (k, (code, (title, decided, completed, held))) in plans.into_iter().enumerate() {
        if day(decided) > today {
            continue;
        }
        let d = decisions::create(
            db,
            &vis,
            BY,
            decisions::At::of(policy, at(day(decided))),
            &NewDecision {
                unit_code: code,
                title,
                decided_on: day(decided),
                completed_on: completed.map(day).filter(|c| *c <= today),
                client_key: format!("demo-decision-{year}-{k}"),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        for (j, (stage, on, asked, said, changed)) in held.into_iter().enumerate() {
            if day(on) > today || (stage == After && d.completed_on.is_none()) {
                continue;
            }
            decisions::consult(
                db,
                &vis,
                BY,
                decisions::At::of(policy, at(day(on).max(d.decided_on))),
                d.id,
                &NewConsultation {
                    stage,
                    held_on: day(on),
                    asked: asked.into(),
                    said: said.into(),
                    changed: changed.into(),
                    client_key: format!("demo-consult-{year}-{k}-{j}"),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
    }
    Ok(())
}
