//! Each grassroots posting 下基层锻炼 (a link of the rule’s link kinds) judged on its own, under
//! the posted person or, for a unit-bound rule, under the unit: its length and front line
//! (DJC-1), the report at its end (DJC-2), the organisation department’s assessment (DJC-3).

use super::Judge;
use crate::domain::labels::{LinkKind, RegionLevel, UnitTag};
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows, Subject};
use crate::domain::rules::period::Period;
use crate::domain::rules::report::Status;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Postings {
    pub check: PostingCheck,
    #[serde(default)]
    pub min_days: u32,
    /// 农村, 信访, 重点项目 …; any when empty.
    #[serde(default)]
    pub front_lines: Vec<String>,
    /// Whose row each posting is: the posted person's (default) or the organisation
    /// department's that owes it (DJC-3): the units tagged 组织部门, else the county.
    #[serde(default)]
    pub owed_by: PostingOwer,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PostingOwer {
    #[default]
    Posted,
    OrganisationDepartment,
}

/// What is checked of each posting.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PostingCheck {
    /// DJC-1: at least `min_days` days, on one of the front lines.
    Length,
    /// DJC-2: the end-of-posting report handed in.
    Report,
    /// DJC-3: the organisation department's assessment recorded.
    Assessment,
}

impl Judge for Postings {
    const KEYS: &'static [&'static str] = &["check", "min_days", "front_lines", "owed_by"];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let mut errors = Vec::new();
        if self.check == PostingCheck::Length && self.min_days == 0 {
            errors.push("min_days 须为正数（锻炼时长天数）".into());
        }
        if !rule.who.link_kinds.contains(&LinkKind::GrassrootsPosting) {
            errors.push("who.link_kinds 须包含 grassroots_posting".into());
        }
        errors
    }

    fn threshold(&self) -> String {
        match self.check {
            PostingCheck::Length => format!("每次锻炼 ≥ {} 天，在一线", self.min_days),
            PostingCheck::Report => "期满提交述职报告".into(),
            PostingCheck::Assessment => "期满记录考核意见".into(),
        }
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        // The organisation department owing DJC-3: the units tagged so, else the county.
        let mut owers: Vec<Subject> = Vec::new();
        if self.owed_by == PostingOwer::OrganisationDepartment {
            owers = cx
                .facts
                .units
                .iter()
                .filter(|u| u.tags.contains(&UnitTag::OrganisationDepartment))
                .map(|u| Subject {
                    kind: "unit",
                    code: &u.code,
                    name: &u.name,
                    person: None,
                    path: None,
                })
                .collect();
            if owers.is_empty() {
                owers.extend(
                    cx.facts
                        .regions
                        .iter()
                        .filter(|r| r.level == Some(RegionLevel::County))
                        .map(|r| Subject {
                            kind: "region",
                            code: &r.code,
                            name: &r.name,
                            person: None,
                            path: Some(&r.path),
                        }),
                );
            }
        }
        for s in cx.subjects(rule) {
            for l in cx.links(&s) {
                if !rule.who.link_kinds.contains(&l.kind) {
                    continue;
                }
                let ended = l.end <= cx.as_of;
                let days = (l.end - l.start).num_days() + 1;
                // Something owed at the posting's end: pending until then, unmet after.
                let owed = |done: bool, before: String, after: String| match (done, ended) {
                    (true, _) => (Status::Met, 1.0, 1.0, String::new()),
                    (false, false) => (Status::Pending, 0.0, 1.0, before),
                    (false, true) => (Status::Unmet, 0.0, 1.0, after),
                };
                let (st, actual, required, detail) = match self.check {
                    PostingCheck::Length => {
                        // A posting to a village or community is itself the rural front line
                        // (entering another line stays possible).
                        let rural = cx.index.regions.get(l.target.as_str()).is_some_and(|r| {
                            matches!(r.level, Some(RegionLevel::Village | RegionLevel::Community))
                        });
                        let line = match l.front_line.as_deref() {
                            Some(f) if !f.is_empty() => f,
                            _ if rural => "农村",
                            _ => "",
                        };
                        let fronts = &self.front_lines;
                        let on_line = fronts.is_empty() || fronts.iter().any(|f| f == line);
                        let mut missing = Vec::new();
                        if days < i64::from(self.min_days) {
                            missing.push(format!("锻炼期{days}天，不足{}天", self.min_days));
                        }
                        if !on_line {
                            missing.push(if line.is_empty() {
                                "未登记锻炼一线".to_string()
                            } else {
                                format!("“{line}”不是{}一线", fronts.join("、"))
                            });
                        }
                        let st = match (missing.is_empty(), ended) {
                            (true, _) => Status::Met,
                            (false, false) => Status::Pending,
                            (false, true) => Status::Unmet,
                        };
                        (
                            st,
                            days as f64,
                            f64::from(self.min_days),
                            missing.join("；"),
                        )
                    }
                    PostingCheck::Report => owed(
                        l.report_on.is_some(),
                        format!("锻炼于{}结束时提交述职报告", l.end),
                        format!("锻炼已于{}结束，未提交述职报告", l.end),
                    ),
                    PostingCheck::Assessment => owed(
                        l.assessed,
                        format!("锻炼于{}结束后由组织部门鉴定", l.end),
                        "锻炼已结束，组织部门尚未记录鉴定".to_string(),
                    ),
                };
                // Judged in the year, by the policy in force when the posting began.
                let posting = Period {
                    label: cx.year.to_string(),
                    start: l.start,
                    end: l.end,
                };
                if owers.is_empty() {
                    let found = Found {
                        target: Some(l.target.clone()),
                        actual,
                        required,
                        detail,
                    };
                    rows.decided(&s, &posting, found, st);
                    continue;
                }
                // Under the department: the posted person is the target, named in the detail.
                let place = cx
                    .index
                    .regions
                    .get(l.target.as_str())
                    .map_or(l.target.as_str(), |r| r.name.as_str());
                for o in &owers {
                    let found = Found {
                        target: Some(s.code.to_string()),
                        actual,
                        required,
                        detail: if detail.is_empty() {
                            String::new()
                        } else {
                            format!("{}（{place}）：{detail}", s.name)
                        },
                    };
                    rows.decided(o, &posting, found, st);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::testing::*;

    #[test]
    fn a_posting_lasts_90_days_on_a_front_line_with_its_report_and_assessment() {
        let posting = |start: &str, end: &str, line: Option<&str>| LinkFact {
            contact: None,
            start: d(start),
            end: d(end),
            front_line: line.map(str::to_string),
            ..link(1, LinkKind::GrassrootsPosting, "V1")
        };
        let facts = |l: LinkFact| Facts {
            people: vec![person(1, &[Role::ReserveCadre])],
            links: vec![l],
            ..Default::default()
        };
        // 1 March to 29 May is exactly 90 days; a day shorter is not.
        let f = facts(posting("2026-03-01", "2026-05-29", Some("农村")));
        assert_eq!(
            status_of(&f, "DJC-1", "2026", "2026-12-31"),
            (Status::Met, 90.0)
        );
        let f = facts(posting("2026-03-01", "2026-05-28", Some("农村")));
        assert_eq!(
            status_of(&f, "DJC-1", "2026", "2026-05-27"),
            (Status::Pending, 89.0)
        );
        assert_eq!(
            status_of(&f, "DJC-1", "2026", "2026-05-28"),
            (Status::Unmet, 89.0)
        );
        // Long enough, but not on one of the front lines.
        let f = facts(posting("2026-03-01", "2026-06-30", Some("机关")));
        assert_eq!(
            status_of(&f, "DJC-1", "2026", "2026-12-31").0,
            Status::Unmet
        );
        let f = facts(posting("2026-03-01", "2026-06-30", None));
        let p = Policy::parse(DEFAULT).unwrap();
        let r = evaluate(&p, &f, 2026, d("2026-12-31"));
        let row = r.results.iter().find(|o| o.rule == "DJC-1").unwrap();
        assert_eq!(row.detail, "未登记锻炼一线");
        // A posting to a village is itself the rural front line; to a town it is not.
        for (level, met) in [
            (RegionLevel::Village, Status::Met),
            (RegionLevel::Town, Status::Unmet),
        ] {
            let mut f = facts(posting("2026-03-01", "2026-06-30", None));
            f.regions.push(RegionFact {
                code: "V1".into(),
                name: "一村".into(),
                level: Some(level),
                path: "/C/T1/V1/".into(),
            });
            assert_eq!(
                status_of(&f, "DJC-1", "2026", "2026-12-31").0,
                met,
                "{level:?}"
            );
        }
        // DJC-2 and DJC-3: pending until the posting ends, then the report and the
        // assessment are owed.
        let mut l = posting("2026-03-01", "2026-05-29", Some("信访"));
        let f = facts(l.clone());
        for rule in ["DJC-2", "DJC-3"] {
            assert_eq!(status_of(&f, rule, "2026", "2026-05-28").0, Status::Pending);
            assert_eq!(status_of(&f, rule, "2026", "2026-05-29").0, Status::Unmet);
        }
        l.report_on = Some(d("2026-06-02"));
        l.assessed = true;
        let f = facts(l);
        for rule in ["DJC-2", "DJC-3"] {
            assert_eq!(status_of(&f, rule, "2026", "2026-06-30").0, Status::Met);
        }
    }

    #[test]
    fn djc3_is_the_organisation_departments_row_naming_the_posted_cadre() {
        let p = Policy::parse(DEFAULT).unwrap();
        let mut f = Facts {
            people: vec![person(1, &[Role::ReserveCadre])],
            links: vec![LinkFact {
                start: d("2026-03-01"),
                end: d("2026-05-29"),
                ..link(1, LinkKind::GrassrootsPosting, "V1")
            }],
            regions: vec![RegionFact {
                code: "C".into(),
                name: "青山县".into(),
                level: Some(RegionLevel::County),
                path: "/C/".into(),
            }],
            ..Default::default()
        };
        let djc3 = |f: &Facts| {
            let r = evaluate(&p, f, 2026, d("2026-12-31"));
            let o = r.results.into_iter().find(|o| o.rule == "DJC-3").unwrap();
            (
                o.subject_kind,
                o.subject_code,
                o.target_code,
                o.status,
                o.detail,
            )
        };
        // No unit tagged 组织部门: the county owes it.
        let (kind, code, target, st, detail) = djc3(&f);
        assert_eq!((kind, code.as_str()), ("region", "C"));
        assert_eq!((target.as_deref(), st), (Some("P1"), Status::Unmet));
        assert!(detail.starts_with("人1（V1）："), "{detail}");
        // The department tagged 组织部门 owes it, and meets it once the assessment is in.
        f.units.push(UnitFact {
            code: "ZZB".into(),
            name: "县委组织部".into(),
            kind: Some(UnitKind::CountyDepartment),
            tags: vec![UnitTag::OrganisationDepartment],
        });
        assert_eq!(djc3(&f).1, "ZZB");
        f.links[0].assessed = true;
        assert_eq!(djc3(&f).3, Status::Met);
    }
}
