//! The annual survey 民意调查: designed from the registry, drawn from a recorded seed, answered
//! by phone, on the resident's page or on paper, and read only once it is closed.

use super::StoreError;
use super::access::Visibility;
use super::entities::{
    household, link, person, region, survey, survey_answer, survey_sample, survey_subject, unit,
};
use super::history::{self, Change};
use crate::domain::cards::Rating;
use crate::domain::labels::LinkKind;
use crate::domain::rules::facts::SurveyFact;
use crate::domain::survey::{Drawn, Eligible, Household, Outcome, SubjectKind, SurveySettings};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

/// A subject as designed, before it is saved.
struct Designed {
    kind: SubjectKind,
    code: String,
    name: String,
    person: Option<i32>,
    region: String,
    eligible: Vec<usize>,
}

/// A channel an answer came by.
pub const CHANNELS: [(&str, &str); 3] = [
    ("phone", "电话访问"),
    ("resident", "群众页面"),
    ("paper", "纸质问卷"),
];

pub fn channel_zh(code: &str) -> &'static str {
    CHANNELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, z)| *z)
        .unwrap_or("")
}

/// The subjects of the county's registry for `year` and who may answer about each: the
/// county's and each town's leadership team (the households under it), each law-enforcement
/// or window unit (every household), each leader's contact point that is a place or a
/// household (the households there), each household-linking cadre (the linked households).
async fn design(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<(Vec<Household>, Vec<Designed>), StoreError> {
    let regions = region::Entity::find().all(db).await?;
    let path_of: HashMap<&str, &str> = regions
        .iter()
        .map(|r| (r.code.as_str(), r.path.as_str()))
        .collect();
    let name_of: HashMap<&str, &str> = regions
        .iter()
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let village_level: std::collections::HashSet<&str> = regions
        .iter()
        .filter(|r| r.level == "village" || r.level == "community")
        .map(|r| r.code.as_str())
        .collect();
    let homes = household::Entity::find()
        .order_by_asc(household::Column::Code)
        .all(db)
        .await?;
    let mut households = Vec::with_capacity(homes.len());
    let mut paths = Vec::with_capacity(homes.len());
    for h in &homes {
        let path = path_of.get(h.region_code.as_str()).copied().unwrap_or("");
        let village = path
            .split('/')
            .find(|c| village_level.contains(c))
            .unwrap_or(h.region_code.as_str());
        households.push(Household {
            code: h.code.clone(),
            village: village.to_string(),
        });
        paths.push(path);
    }
    let index: HashMap<&str, usize> = homes
        .iter()
        .enumerate()
        .map(|(i, h)| (h.code.as_str(), i))
        .collect();
    let under = |code: &str| -> Vec<usize> {
        let seg = format!("/{code}/");
        paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.contains(&seg))
            .map(|(i, _)| i)
            .collect()
    };
    let mut out = Vec::new();
    for r in regions
        .iter()
        .filter(|r| matches!(r.level.as_str(), "county" | "town" | "street"))
    {
        out.push(Designed {
            kind: SubjectKind::Team,
            code: r.code.clone(),
            name: format!("{}领导班子", r.name),
            person: None,
            region: r.code.clone(),
            eligible: under(&r.code),
        });
    }
    let everyone: Vec<usize> = (0..households.len()).collect();
    for u in unit::Entity::find()
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?
    {
        if u.tags.contains(",law_enforcement,") || u.tags.contains(",window_service,") {
            out.push(Designed {
                kind: SubjectKind::Unit,
                code: u.code.clone(),
                name: u.name.clone(),
                person: None,
                region: u.region_code.clone(),
                eligible: everyone.clone(),
            });
        }
    }
    let people: HashMap<i32, (String, Option<String>, String)> = person::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, (p.name, p.region_code, p.unit_code)))
        .collect();
    let unit_region: HashMap<String, String> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.region_code))
        .collect();
    let links = link::Entity::find()
        .filter(link::Column::Year.eq(year))
        .filter(link::Column::PersonId.is_not_null())
        .order_by_asc(link::Column::Id)
        .all(db)
        .await?;
    let mut cadres: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    let mut points: BTreeMap<(i32, String), Vec<usize>> = BTreeMap::new();
    for l in &links {
        let Some(pid) = l.person_id else { continue };
        if l.kind == LinkKind::HouseholdLink.code() {
            if let Some(&h) = index.get(l.target_code.as_str()) {
                cadres.entry(pid).or_default().push(h);
            }
        } else if l.kind.starts_with("contact_") {
            let eligible = match index.get(l.target_code.as_str()) {
                Some(&h) => vec![h],
                None if path_of.contains_key(l.target_code.as_str()) => under(&l.target_code),
                None => continue,
            };
            points
                .entry((pid, l.target_code.clone()))
                .or_default()
                .extend(eligible);
        }
    }
    let home_region = |pid: i32| -> String {
        people
            .get(&pid)
            .and_then(|(_, r, u)| r.clone().or_else(|| unit_region.get(u).cloned()))
            .unwrap_or_default()
    };
    for ((pid, place), eligible) in points {
        let who = people.get(&pid).map(|p| p.0.as_str()).unwrap_or("");
        let (where_, region) = match index.get(place.as_str()) {
            Some(&h) => (
                format!("{}户", homes[h].head_name),
                households[h].village.clone(),
            ),
            None => (
                name_of.get(place.as_str()).unwrap_or(&"").to_string(),
                place.clone(),
            ),
        };
        out.push(Designed {
            kind: SubjectKind::ContactPoint,
            code: format!("{pid}|{place}"),
            name: format!("{who}（联系{where_}）"),
            person: Some(pid),
            region,
            eligible,
        });
    }
    for (pid, eligible) in cadres {
        out.push(Designed {
            kind: SubjectKind::Cadre,
            code: pid.to_string(),
            name: people.get(&pid).map(|p| p.0.clone()).unwrap_or_default(),
            person: Some(pid),
            region: home_region(pid),
            eligible,
        });
    }
    Ok((households, out))
}

/// What creating a survey wrote.
#[derive(Debug, serde::Serialize)]
pub struct Created {
    pub id: i32,
    pub seed: u64,
    pub subjects: usize,
    pub households: usize,
}

/// Designs the year's survey from the registry, draws its sample from `seed` (drawn from the
/// operating system when none is given, and recorded) and saves it open, in one transaction.
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    settings: &SurveySettings,
    year: i32,
    name: &str,
    seed: Option<u64>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Created, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::Invalid("调查名称：请填写，不超过100字".into()));
    }
    if !(2000..=2100).contains(&year) {
        return Err(StoreError::Invalid("年度：应在2000到2100之间".into()));
    }
    let seed = match seed {
        Some(s) => s,
        None => {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b)
                .map_err(|e| StoreError::Invalid(format!("取随机数失败：{e}")))?;
            u64::from_le_bytes(b) >> 1
        }
    };
    let txn = db.begin().await?;
    let (households, subjects) = design(&txn, year).await?;
    let eligible: Vec<Eligible> = subjects
        .iter()
        .map(|s| Eligible {
            eligible: s.eligible.clone(),
        })
        .collect();
    let min = settings.min_per_subject as usize;
    let drawn: Vec<Drawn> = crate::domain::survey::draw(&households, &eligible, min, seed);
    let today = crate::time::beijing_date(now);
    let saved = survey::ActiveModel {
        id: NotSet,
        year: Set(year),
        name: Set(name.to_string()),
        seed: Set(seed as i64),
        status: Set("open".into()),
        min_per_subject: Set(min as i32),
        created_by: Set(by.to_string()),
        created_at: Set(now),
        opened_on: Set(today),
        closed_on: Set(None),
        closed_by: Set(None),
        circulated_on: Set(None),
        circulated_by: Set(None),
    }
    .insert(&txn)
    .await?;
    let mut ids = Vec::with_capacity(subjects.len());
    for chunk in subjects.chunks(500) {
        for s in chunk {
            let m = survey_subject::ActiveModel {
                id: NotSet,
                survey_id: Set(saved.id),
                kind: Set(s.kind.code().into()),
                code: Set(s.code.clone()),
                name: Set(s.name.chars().take(300).collect()),
                person_id: Set(s.person),
                region_code: Set(s.region.clone()),
                population: Set(s.eligible.len() as i32),
            }
            .insert(&txn)
            .await?;
            ids.push(m.id);
        }
    }
    for chunk in drawn.chunks(1000) {
        let rows = chunk.iter().map(|d| survey_sample::ActiveModel {
            id: NotSet,
            survey_id: Set(saved.id),
            household_code: Set(households[d.household].code.clone()),
            village_code: Set(households[d.household].village.clone()),
            subjects: Set(format!(
                ",{},",
                d.subjects
                    .iter()
                    .map(|s| ids[*s].to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )),
        });
        survey_sample::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    history::append(
        &txn,
        by,
        now,
        vec![Change {
            entity: "survey",
            entity_key: saved.id.to_string(),
            action: "create",
            changes: serde_json::json!({
                "year": year, "name": name, "seed": seed.to_string(),
                "subjects": subjects.len(), "households": drawn.len(),
            }),
        }],
    )
    .await?;
    txn.commit().await?;
    Ok(Created {
        id: saved.id,
        seed,
        subjects: subjects.len(),
        households: drawn.len(),
    })
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<survey::Model>, StoreError> {
    Ok(survey::Entity::find()
        .order_by_desc(survey::Column::Id)
        .all(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<survey::Model, StoreError> {
    survey::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound("该调查".into()))
}

/// A sampled household as the caller's list shows it.
#[derive(Debug, serde::Serialize)]
pub struct Call {
    pub household: String,
    pub head_name: String,
    pub region: String,
    pub questions: usize,
    pub answered: usize,
}

/// The sampled households within `vis`, those with questions left first.
pub async fn calls(
    db: &impl ConnectionTrait,
    id: i32,
    vis: &Visibility,
) -> Result<Vec<Call>, StoreError> {
    use sea_orm::sea_query::Query;
    let homes = household::Entity::find()
        .filter(vis.households())
        .filter(
            household::Column::Code.in_subquery(
                Query::select()
                    .column(survey_sample::Column::HouseholdCode)
                    .from(survey_sample::Entity)
                    .and_where(survey_sample::Column::SurveyId.eq(id))
                    .to_owned(),
            ),
        )
        .order_by_asc(household::Column::Code)
        .limit(5000)
        .all(db)
        .await?;
    let codes: Vec<String> = homes.iter().map(|h| h.code.clone()).collect();
    let mut questions: HashMap<String, usize> = HashMap::new();
    let mut answered: HashMap<String, usize> = HashMap::new();
    for chunk in codes.chunks(500) {
        for s in survey_sample::Entity::find()
            .filter(survey_sample::Column::SurveyId.eq(id))
            .filter(survey_sample::Column::HouseholdCode.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            questions.insert(s.household_code, subject_ids(&s.subjects).len());
        }
        for a in survey_answer::Entity::find()
            .filter(survey_answer::Column::SurveyId.eq(id))
            .filter(survey_answer::Column::HouseholdCode.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            *answered.entry(a.household_code).or_default() += 1;
        }
    }
    let names: HashMap<String, String> = region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let mut out: Vec<Call> = homes
        .into_iter()
        .map(|h| Call {
            questions: questions.get(&h.code).copied().unwrap_or(0),
            answered: answered.get(&h.code).copied().unwrap_or(0),
            region: names.get(&h.region_code).cloned().unwrap_or_default(),
            head_name: h.head_name,
            household: h.code,
        })
        .collect();
    out.sort_by_key(|c| (c.answered >= c.questions, c.household.clone()));
    Ok(out)
}

fn subject_ids(s: &str) -> Vec<i32> {
    s.split(',').filter_map(|x| x.parse().ok()).collect()
}

/// One question of a household's questionnaire, with its answer if given.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Question {
    pub subject: i32,
    pub kind: &'static str,
    pub text: String,
    pub answer: Option<String>,
    pub channel: Option<String>,
}

/// The questions a sampled household answers, or `None` when it was not drawn.
pub async fn questionnaire(
    db: &impl ConnectionTrait,
    settings: &SurveySettings,
    id: i32,
    household: &str,
) -> Result<Option<Vec<Question>>, StoreError> {
    let Some(sample) = survey_sample::Entity::find()
        .filter(survey_sample::Column::SurveyId.eq(id))
        .filter(survey_sample::Column::HouseholdCode.eq(household))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let ids = subject_ids(&sample.subjects);
    let subjects = survey_subject::Entity::find()
        .filter(survey_subject::Column::Id.is_in(ids))
        .order_by_asc(survey_subject::Column::Id)
        .all(db)
        .await?;
    let answers: HashMap<i32, survey_answer::Model> = survey_answer::Entity::find()
        .filter(survey_answer::Column::SurveyId.eq(id))
        .filter(survey_answer::Column::HouseholdCode.eq(household))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.subject_id, a))
        .collect();
    Ok(Some(
        subjects
            .into_iter()
            .map(|s| {
                let kind = SubjectKind::parse(&s.kind).unwrap_or(SubjectKind::Team);
                let a = answers.get(&s.id);
                Question {
                    subject: s.id,
                    kind: kind.zh(),
                    text: settings.question(kind, &s.name),
                    answer: a
                        .and_then(|a| Rating::parse(&a.rating).ok())
                        .map(|r| r.zh().into()),
                    channel: a.map(|a| channel_zh(&a.channel).to_string()),
                }
            })
            .collect(),
    ))
}

/// The open survey whose sample holds `household`, if any (the resident's page asks it).
pub async fn open_for(
    db: &impl ConnectionTrait,
    household: &str,
) -> Result<Option<survey::Model>, StoreError> {
    use sea_orm::sea_query::Query;
    Ok(survey::Entity::find()
        .filter(survey::Column::Status.eq("open"))
        .filter(
            survey::Column::Id.in_subquery(
                Query::select()
                    .column(survey_sample::Column::SurveyId)
                    .from(survey_sample::Entity)
                    .and_where(survey_sample::Column::HouseholdCode.eq(household))
                    .to_owned(),
            ),
        )
        .order_by_desc(survey::Column::Id)
        .one(db)
        .await?)
}

/// Records a household's answers, in one transaction: only while the survey is open, only for
/// the subjects it was drawn for. An answer already given the same way is not recorded again
/// (a retried form); a different one is refused, naming the question.
#[allow(clippy::too_many_arguments)]
pub async fn answer(
    db: &sea_orm::DatabaseConnection,
    id: i32,
    household: &str,
    answers: &[(i32, Rating)],
    channel: &str,
    account: Option<i32>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if !CHANNELS.iter().any(|(c, _)| *c == channel) {
        return Err(StoreError::Invalid(
            "答卷方式：应为电话访问、群众页面或纸质问卷".into(),
        ));
    }
    if answers.is_empty() {
        return Err(StoreError::Invalid("请至少回答一个问题".into()));
    }
    let txn = db.begin().await?;
    let s = get(&txn, id).await?;
    if s.status != "open" {
        return Err(StoreError::Invalid("这次调查已经结束，不再收答卷".into()));
    }
    let sample = survey_sample::Entity::find()
        .filter(survey_sample::Column::SurveyId.eq(id))
        .filter(survey_sample::Column::HouseholdCode.eq(household))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::NotFound("抽中的这一户".into()))?;
    let allowed = subject_ids(&sample.subjects);
    let given: HashMap<i32, survey_answer::Model> = survey_answer::Entity::find()
        .filter(survey_answer::Column::SurveyId.eq(id))
        .filter(survey_answer::Column::HouseholdCode.eq(household))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.subject_id, a))
        .collect();
    let mut written = 0;
    for (n, (subject, rating)) in answers.iter().enumerate() {
        if !allowed.contains(subject) {
            return Err(StoreError::Invalid(format!(
                "第{}题：不是本户问卷里的问题",
                n + 1
            )));
        }
        if let Some(old) = given.get(subject) {
            if old.rating == rating.code() {
                continue;
            }
            return Err(StoreError::Invalid(format!(
                "第{}题：本户已经回答过（{}），不能改答",
                n + 1,
                Rating::parse(&old.rating).map(|r| r.zh()).unwrap_or("")
            )));
        }
        survey_answer::ActiveModel {
            id: NotSet,
            survey_id: Set(id),
            household_code: Set(household.to_string()),
            subject_id: Set(*subject),
            rating: Set(rating.code().into()),
            channel: Set(channel.into()),
            account_id: Set(account),
            recorded_at: Set(now),
            note: Set(String::new()),
        }
        .insert(&txn)
        .await?;
        written += 1;
    }
    if written > 0 {
        history::append(
            &txn,
            by,
            now,
            vec![Change {
                entity: "survey_answer",
                entity_key: format!("{id}|{household}"),
                action: "answer",
                changes: serde_json::json!({ "channel": channel, "answers": written }),
            }],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(written)
}

/// Closes (`closed`) or circulates a survey; circulation only after closing.
pub async fn step(
    db: &impl ConnectionTrait,
    id: i32,
    action: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<survey::Model, StoreError> {
    let s = get(db, id).await?;
    let today = crate::time::beijing_date(now);
    let mut am: survey::ActiveModel = s.clone().into();
    match action {
        "close" if s.status == "open" => {
            am.status = Set("closed".into());
            am.closed_on = Set(Some(today));
            am.closed_by = Set(Some(by.into()));
        }
        "close" => return Err(StoreError::Invalid("这次调查已经结束".into())),
        "circulate" if s.status != "closed" => {
            return Err(StoreError::Invalid("调查结束后才能通报结果".into()));
        }
        "circulate" => {
            am.circulated_on = Set(Some(today));
            am.circulated_by = Set(Some(by.into()));
        }
        _ => return Err(StoreError::Invalid("不认识的操作".into())),
    }
    let saved = am.update(db).await?;
    history::append(
        db,
        by,
        now,
        vec![Change {
            entity: "survey",
            entity_key: id.to_string(),
            action: if action == "close" {
                "close"
            } else {
                "circulate"
            },
            changes: serde_json::json!({ "on": today }),
        }],
    )
    .await?;
    Ok(saved)
}

/// One subject's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Result_ {
    pub kind: SubjectKind,
    pub code: String,
    pub name: String,
    pub region: String,
    pub population: i32,
    pub outcome: Outcome,
}

/// The results per subject, kind by kind.
pub async fn results(
    db: &impl ConnectionTrait,
    settings: &SurveySettings,
    id: i32,
) -> Result<Vec<Result_>, StoreError> {
    let subjects = survey_subject::Entity::find()
        .filter(survey_subject::Column::SurveyId.eq(id))
        .all(db)
        .await?;
    let mut by: HashMap<i32, Vec<Rating>> = HashMap::new();
    for a in survey_answer::Entity::find()
        .filter(survey_answer::Column::SurveyId.eq(id))
        .all(db)
        .await?
    {
        if let Ok(r) = Rating::parse(&a.rating) {
            by.entry(a.subject_id).or_default().push(r);
        }
    }
    let names: HashMap<String, String> = region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let mut out: Vec<Result_> = subjects
        .into_iter()
        .map(|s| Result_ {
            kind: SubjectKind::parse(&s.kind).unwrap_or(SubjectKind::Team),
            outcome: Outcome::of(
                by.get(&s.id).map(Vec::as_slice).unwrap_or(&[]),
                s.population.max(0) as usize,
                settings,
            ),
            region: names.get(&s.region_code).cloned().unwrap_or_default(),
            code: s.code,
            name: s.name,
            population: s.population,
        })
        .collect();
    out.sort_by(|a, b| (a.kind, &a.code).cmp(&(b.kind, &b.code)));
    Ok(out)
}

/// The year's surveys as the rules read them (PJ-1, PJ-2).
pub async fn facts(
    db: &sea_orm::DatabaseConnection,
    year: i32,
) -> Result<Vec<SurveyFact>, sea_orm::DbErr> {
    let mut out = Vec::new();
    for s in survey::Entity::find()
        .filter(survey::Column::Year.eq(year))
        .all(db)
        .await?
    {
        // Every cadre, unit and region of the county (some 10,000 rows): plain columns in bulk.
        let rows: Vec<(String, String)> = super::bulk::all(
            db,
            survey_subject::Entity::find()
                .select_only()
                .columns([survey_subject::Column::Kind, survey_subject::Column::Code])
                .filter(survey_subject::Column::SurveyId.eq(s.id)),
        )
        .await?;
        let subjects = rows
            .into_iter()
            .filter_map(|(kind, code)| Some((SubjectKind::parse(&kind)?, code)))
            .collect();
        out.push(SurveyFact {
            year: s.year,
            closed_on: s.closed_on,
            circulated_on: s.circulated_on,
            subjects,
        });
    }
    Ok(out)
}

/// How many subjects of each kind, households drawn and households that answered.
pub async fn counts(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<(Vec<(&'static str, usize)>, usize, usize), StoreError> {
    let subjects = survey_subject::Entity::find()
        .filter(survey_subject::Column::SurveyId.eq(id))
        .all(db)
        .await?;
    let kinds = SubjectKind::ALL
        .iter()
        .map(|k| {
            (
                k.zh(),
                subjects.iter().filter(|s| s.kind == k.code()).count(),
            )
        })
        .collect();
    let sampled = survey_sample::Entity::find()
        .filter(survey_sample::Column::SurveyId.eq(id))
        .count(db)
        .await? as usize;
    let answered: Vec<String> = survey_answer::Entity::find()
        .select_only()
        .column(survey_answer::Column::HouseholdCode)
        .distinct()
        .filter(survey_answer::Column::SurveyId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    Ok((kinds, sampled, answered.len()))
}
