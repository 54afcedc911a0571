//! Survey and assessment (PJ-1..4): the year's satisfaction survey closed and covering every
//! leadership team, law-enforcement and window unit and leader's contact point; its results
//! circulated; spot checks of recorded work by phone and in the field in each town; every
//! household-linking cadre assessed on the parts the regulations name.

use super::Judge;
use crate::domain::labels::{LinkKind, RegionLevel, UnitTag};
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use crate::domain::survey::SubjectKind;
use serde::Deserialize;
use std::collections::HashSet;

/// The subjects a survey of the year must ask about, with their names: every leadership team
/// (the county's and each town's), every law-enforcement or window unit, and every leader's
/// contact point that is a place or a household (where residents can be asked).
fn owed<'a>(cx: &Context<'a>) -> Vec<(SubjectKind, String, &'a str)> {
    let mut out = Vec::new();
    for r in &cx.facts.regions {
        if matches!(
            r.level,
            Some(RegionLevel::County | RegionLevel::Town | RegionLevel::Street)
        ) {
            out.push((SubjectKind::Team, r.code.clone(), r.name.as_str()));
        }
    }
    for u in &cx.facts.units {
        if u.tags
            .iter()
            .any(|t| matches!(t, UnitTag::LawEnforcement | UnitTag::WindowService))
        {
            out.push((SubjectKind::Unit, u.code.clone(), u.name.as_str()));
        }
    }
    let mut seen = HashSet::new();
    for l in &cx.facts.links {
        let Some(p) = l.person else { continue };
        if !l.kind.code().starts_with("contact_") || l.kind == LinkKind::HouseholdLink {
            continue;
        }
        let place = cx.index.regions.contains_key(l.target.as_str())
            || cx
                .index
                .village_of_household
                .contains_key(l.target.as_str());
        if place && seen.insert((p, l.target.as_str())) {
            let name = cx
                .index
                .people
                .get(&p)
                .map(|p| p.name.as_str())
                .unwrap_or("");
            out.push((SubjectKind::ContactPoint, format!("{p}|{}", l.target), name));
        }
    }
    out
}

#[derive(Clone, Debug, Deserialize)]
pub struct SurveyHeld {}

impl Judge for SurveyHeld {
    const KEYS: &'static [&'static str] = &[];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        vec![]
    }

    fn threshold(&self) -> String {
        "民意调查结束，覆盖各级领导班子、执法管理和窗口服务单位、领导干部联系点".into()
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let owed = owed(cx);
        // The closed survey of the year that asked about most of what is owed.
        let best = cx
            .facts
            .surveys
            .iter()
            .filter(|s| s.year == cx.year && s.closed_on.is_some_and(|d| d <= cx.as_of))
            .map(|s| {
                let asked: HashSet<(SubjectKind, &str)> =
                    s.subjects.iter().map(|(k, c)| (*k, c.as_str())).collect();
                owed.iter()
                    .filter(|(k, c, _)| !asked.contains(&(*k, c.as_str())))
                    .collect::<Vec<_>>()
            })
            .min_by_key(|missing| missing.len());
        for s in cx.subjects(rule) {
            for p in &cx.periods {
                let (actual, detail) = match &best {
                    None => (0, "今年的民意调查尚未结束（或尚未开展）".to_string()),
                    Some(missing) => {
                        let names: Vec<String> = missing
                            .iter()
                            .take(5)
                            .map(|(k, _, n)| format!("{}{n}", k.zh()))
                            .collect();
                        (
                            owed.len() - missing.len(),
                            format!(
                                "调查没有覆盖{}项：{}{}",
                                missing.len(),
                                names.join("、"),
                                if missing.len() > 5 { "等" } else { "" }
                            ),
                        )
                    }
                };
                let found = Found {
                    target: None,
                    actual: actual as f64,
                    required: owed.len().max(1) as f64,
                    detail,
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct SurveyCirculated {}

impl Judge for SurveyCirculated {
    const KEYS: &'static [&'static str] = &[];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        vec![]
    }

    fn threshold(&self) -> String {
        "民意调查结果已通报".into()
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        let done = cx
            .facts
            .surveys
            .iter()
            .any(|s| s.year == cx.year && s.circulated_on.is_some_and(|d| d <= cx.as_of));
        for s in cx.subjects(rule) {
            for p in &cx.periods {
                let found = Found {
                    target: None,
                    actual: done as u8 as f64,
                    required: 1.0,
                    detail: "今年的民意调查结果尚未通报".into(),
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct SpotChecked {
    /// The ways of checking a round must have used: `phone`, `field`.
    pub methods: Vec<String>,
}

const METHODS: [(&str, &str); 2] = [("phone", "电话核实"), ("field", "实地核实")];

impl Judge for SpotChecked {
    const KEYS: &'static [&'static str] = &["methods"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        let mut e = Vec::new();
        if self.methods.is_empty() {
            e.push("methods 不能为空".into());
        }
        for m in &self.methods {
            if !METHODS.iter().any(|(c, _)| c == m) {
                e.push(format!("methods：没有“{m}”（可用：phone、field）"));
            }
        }
        e
    }

    fn threshold(&self) -> String {
        let zh: Vec<&str> = self
            .methods
            .iter()
            .filter_map(|m| METHODS.iter().find(|(c, _)| c == m).map(|(_, z)| *z))
            .collect();
        format!("网上抽查记录，并{}", zh.join("、"))
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        for s in cx.subjects(rule) {
            let path = s.path.unwrap_or("");
            for p in &cx.periods {
                // Rounds drawn in the period over the subject's region or a region within it,
                // and the methods their checks used by the as-of day.
                let rounds: Vec<_> = cx
                    .facts
                    .spot_rounds
                    .iter()
                    .filter(|r| r.drawn_on >= p.start && r.drawn_on <= p.end.min(cx.as_of))
                    .filter(|r| r.region_path.starts_with(path) || path.starts_with(&r.region_path))
                    .collect();
                let used: HashSet<&str> = rounds
                    .iter()
                    .flat_map(|r| &r.checks)
                    .filter(|(d, _)| *d <= cx.as_of)
                    .map(|(_, m)| m.as_str())
                    .collect();
                let missing: Vec<&str> = self
                    .methods
                    .iter()
                    .filter(|m| !used.contains(m.as_str()))
                    .filter_map(|m| METHODS.iter().find(|(c, _)| c == m).map(|(_, z)| *z))
                    .collect();
                let actual = if rounds.is_empty() {
                    0
                } else {
                    1 + self.methods.len() - missing.len()
                };
                let found = Found {
                    target: None,
                    actual: actual as f64,
                    required: (1 + self.methods.len()) as f64,
                    detail: if rounds.is_empty() {
                        "今年尚未抽查工作记录".into()
                    } else {
                        format!("抽查还缺{}", missing.join("、"))
                    },
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Assessed {
    /// The parts a cadre's scorecard must have counted (names of `assessment::PARTS`).
    pub parts: Vec<String>,
}

impl Judge for Assessed {
    const KEYS: &'static [&'static str] = &["parts"];

    fn check(&self, _: &Rule, _: &Policy) -> Vec<String> {
        let mut e = Vec::new();
        for part in &self.parts {
            if !crate::domain::assessment::PARTS.contains(&part.as_str()) {
                e.push(format!(
                    "parts：没有“{part}”（可用：{}）",
                    crate::domain::assessment::PARTS.join("、")
                ));
            }
        }
        e
    }

    fn threshold(&self) -> String {
        format!("年度联户考核，涵盖{}", self.parts.join("、"))
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        for s in cx.subjects(rule) {
            let Some(pid) = s.person else { continue };
            for p in &cx.periods {
                // The newest assessment issued in the period by the as-of day that has the
                // cadre.
                let card = cx
                    .facts
                    .assessments
                    .iter()
                    .filter(|a| a.issued_on >= p.start && a.issued_on <= p.end.min(cx.as_of))
                    .max_by_key(|a| a.issued_on)
                    .and_then(|a| a.cadres.iter().find(|(c, _)| *c == pid));
                let (actual, detail) = match card {
                    None => (0, "今年尚未作出联户考核".to_string()),
                    Some((_, present)) => {
                        let missing: Vec<&str> = self
                            .parts
                            .iter()
                            .filter(|x| !present.contains(x))
                            .map(String::as_str)
                            .collect();
                        (
                            1 + self.parts.len() - missing.len(),
                            format!("考核缺少可计之数：{}", missing.join("、")),
                        )
                    }
                };
                let found = Found {
                    target: None,
                    actual: actual as f64,
                    required: (1 + self.parts.len()) as f64,
                    detail,
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::facts::{AssessmentFact, SpotRoundFact, SurveyFact};
    use crate::domain::rules::testing::*;
    use crate::domain::survey::SubjectKind;

    /// A county `C` with town `T1` and village `V1`, a window unit `U1`, leader 2 with
    /// village `V1` as contact point and cadre 1 linking household `H1`.
    fn county() -> Facts {
        let region = |code: &str, level, path: &str| RegionFact {
            code: code.into(),
            name: format!("{code}名"),
            level: Some(level),
            path: path.into(),
        };
        Facts {
            people: vec![
                person(1, &[Role::VillageCadre]),
                person(2, &[Role::CountyLeadershipMember]),
            ],
            regions: vec![
                region("C", RegionLevel::County, "/C/"),
                region("T1", RegionLevel::Town, "/C/T1/"),
                region("V1", RegionLevel::Village, "/C/T1/V1/"),
            ],
            units: vec![UnitFact {
                code: "U1".into(),
                name: "政务服务中心".into(),
                kind: None,
                tags: vec![UnitTag::WindowService],
            }],
            households: vec![HouseholdFact {
                head: String::new(),
                code: "H1".into(),
                region: "V1".into(),
                village: "V1".into(),
                has_members: true,
                has_situation: true,
                has_income: true,
            }],
            links: vec![
                link(2, LinkKind::ContactVillage, "V1"),
                link(1, LinkKind::HouseholdLink, "H1"),
            ],
            ..Default::default()
        }
    }

    fn survey(closed: &str, circulated: Option<&str>, leave_out: usize) -> SurveyFact {
        let mut subjects = vec![
            (SubjectKind::ContactPoint, "2|V1".to_string()),
            (SubjectKind::Team, "C".into()),
            (SubjectKind::Team, "T1".into()),
            (SubjectKind::Unit, "U1".into()),
        ];
        subjects.drain(..leave_out);
        SurveyFact {
            year: 2026,
            closed_on: Some(d(closed)),
            circulated_on: circulated.map(d),
            subjects,
        }
    }

    fn one(f: &Facts, rule: &str, as_of: &str) -> (Status, f64) {
        let r = rows(f, rule, as_of);
        assert_eq!(r.len(), 1, "{rule}: {r:?}");
        (r[0].2, r[0].3)
    }

    #[test]
    fn the_survey_must_close_covering_every_team_unit_and_contact_point() {
        let mut f = county();
        // None yet: pending in the year, unmet at its end.
        assert_eq!(one(&f, "PJ-1", "2026-06-30").0, Status::Pending);
        assert_eq!(one(&f, "PJ-1", "2026-12-31"), (Status::Unmet, 0.0));
        // Closed but the leader's contact point left out: 3 of 4.
        f.surveys = vec![survey("2026-11-20", None, 1)];
        assert_eq!(one(&f, "PJ-1", "2026-12-31"), (Status::Unmet, 3.0));
        let detail = evaluate(&Policy::parse(DEFAULT).unwrap(), &f, 2026, d("2026-12-31"))
            .results
            .into_iter()
            .find(|o| o.rule == "PJ-1")
            .unwrap()
            .detail;
        assert!(detail.contains("领导干部联系点"), "{detail}");
        // Everything covered: met from the day it closed, not the day before.
        f.surveys = vec![survey("2026-11-20", None, 0)];
        assert_eq!(one(&f, "PJ-1", "2026-11-20"), (Status::Met, 4.0));
        assert_eq!(one(&f, "PJ-1", "2026-11-19").0, Status::Pending);
        // Circulated: PJ-2, on its day.
        assert_eq!(one(&f, "PJ-2", "2026-12-31").0, Status::Unmet);
        f.surveys = vec![survey("2026-11-20", Some("2026-12-01"), 0)];
        assert_eq!(one(&f, "PJ-2", "2026-12-01").0, Status::Met);
        assert_eq!(one(&f, "PJ-2", "2026-11-30").0, Status::Pending);
    }

    #[test]
    fn spot_checks_count_for_a_town_when_made_by_phone_and_in_the_field() {
        let mut f = county();
        let round = |path: &str, methods: &[&str]| SpotRoundFact {
            region_path: path.into(),
            drawn_on: d("2026-10-10"),
            checks: methods
                .iter()
                .map(|m| (d("2026-10-12"), m.to_string()))
                .collect(),
        };
        assert_eq!(one(&f, "PJ-3", "2026-12-31"), (Status::Unmet, 0.0));
        f.spot_rounds = vec![round("/C/T1/", &["phone"])];
        assert_eq!(one(&f, "PJ-3", "2026-12-31"), (Status::Unmet, 2.0));
        f.spot_rounds = vec![round("/C/T1/V1/", &["phone", "field"])];
        assert_eq!(one(&f, "PJ-3", "2026-12-31"), (Status::Met, 3.0));
        // A county-wide round counts for the town; one in another town does not.
        f.spot_rounds = vec![round("/C/", &["phone", "field"])];
        assert_eq!(one(&f, "PJ-3", "2026-10-12").0, Status::Met);
        assert_eq!(one(&f, "PJ-3", "2026-10-11").0, Status::Pending);
        f.spot_rounds = vec![round("/C/T2/", &["phone", "field"])];
        assert_eq!(one(&f, "PJ-3", "2026-12-31").0, Status::Unmet);
    }

    #[test]
    fn a_cadre_is_assessed_when_the_scorecard_counts_the_named_parts() {
        let mut f = county();
        let issued = |parts: &[&str]| AssessmentFact {
            issued_on: d("2026-12-20"),
            cadres: vec![(1, parts.iter().map(|p| p.to_string()).collect())],
        };
        assert_eq!(one(&f, "PJ-4", "2026-12-31"), (Status::Unmet, 0.0));
        f.assessments = vec![issued(&["入户走访", "亲情卡发放"])];
        assert_eq!(one(&f, "PJ-4", "2026-12-31"), (Status::Unmet, 3.0));
        f.assessments = vec![issued(&["入户走访", "亲情卡发放", "群众满意度"])];
        assert_eq!(one(&f, "PJ-4", "2026-12-31"), (Status::Met, 4.0));
        assert_eq!(one(&f, "PJ-4", "2026-12-19").0, Status::Pending);
    }

    #[test]
    fn a_record_a_spot_check_could_not_confirm_stops_counting_from_that_day() {
        let mut f = county();
        let mut visit = act(
            ActivityKind::HouseholdVisit,
            "2026-03-01",
            "2026-03-01",
            &[1],
            &[],
        );
        visit.targets = vec!["H1".into()];
        visit.disputed_on = Some(d("2026-04-01"));
        f.activities = vec![visit];
        assert!(f.cut_at(d("2026-03-31")).is_none());
        assert_eq!(f.cut_at(d("2026-04-01")).unwrap().activities.len(), 0);
    }
}
