//! Community service projects of 双报到 (BF-7): a unit reported to a community claims a project
//! from the community's list of needs and completes it. A project counts for the period it was
//! completed in once the community has confirmed it, both on or before the as-of day.

use super::Judge;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Found, Rows};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Projects {
    pub min: u32,
}

impl Judge for Projects {
    const KEYS: &'static [&'static str] = &["min"];

    fn check(&self, rule: &Rule, _: &Policy) -> Vec<String> {
        let w = &rule.who;
        let mut errors = Vec::new();
        if w.unit_kinds.is_empty() && w.unit_tags.is_empty() && w.unit_links.is_empty() {
            errors.push("服务项目按单位计算：who 须写 unit_kinds、unit_tags 或 unit_links".into());
        }
        if self.min == 0 {
            errors.push("min 应不小于1".into());
        }
        errors
    }

    fn threshold(&self) -> String {
        format!("认领并完成、经社区确认的服务项目 ≥ {}", self.min)
    }

    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
        for s in cx.subjects(rule) {
            let mine: Vec<_> = cx
                .facts
                .projects
                .iter()
                .filter(|x| x.unit.as_deref() == Some(s.code))
                .collect();
            for p in &cx.periods {
                let done = |on: Option<chrono::NaiveDate>| {
                    on.is_some_and(|d| d >= p.start && d <= p.end && d <= cx.as_of)
                };
                let n = mine
                    .iter()
                    .filter(|x| {
                        done(x.completed_on) && x.confirmed_on.is_some_and(|c| c <= cx.as_of)
                    })
                    .count();
                let waiting: Vec<&str> = mine
                    .iter()
                    .filter(|x| {
                        !(done(x.completed_on) && x.confirmed_on.is_some_and(|c| c <= cx.as_of))
                            && x.completed_on.is_none_or(|d| d >= p.start)
                    })
                    .map(|x| x.title.as_str())
                    .collect();
                let short = f64::from(self.min) - n as f64;
                let mut detail = format!("还需认领并完成、经社区确认的服务项目{short}个");
                if !waiting.is_empty() {
                    detail.push_str(&format!(
                        "（已认领未完成或待社区确认：{}）",
                        waiting.join("、")
                    ));
                }
                let found = Found {
                    target: None,
                    actual: n as f64,
                    required: f64::from(self.min),
                    detail,
                };
                rows.against(&s, p, found, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::rules::facts::ProjectFact;
    use crate::domain::rules::testing::*;

    fn project(unit: &str, completed: Option<&str>, confirmed: Option<&str>) -> ProjectFact {
        ProjectFact {
            id: 1,
            community: "C1".into(),
            title: "楼道照明改造".into(),
            unit: Some(unit.into()),
            completed_on: completed.map(d),
            confirmed_on: confirmed.map(d),
        }
    }

    fn status(projects: Vec<ProjectFact>, as_of: &str) -> Vec<(String, Status)> {
        let p = Policy::parse(DEFAULT).unwrap();
        let mut f = subject_facts(p.rule("BF-7").unwrap());
        f.projects = projects;
        evaluate(&p, &f, 2026, d(as_of))
            .results
            .into_iter()
            .filter(|o| o.rule == "BF-7")
            .map(|o| (o.subject_code, o.status))
            .collect()
    }

    #[test]
    fn a_unit_reported_to_a_community_is_met_with_one_confirmed_project_and_unmet_without() {
        // The subject is U1 because it holds a 社区报到 link (who.unit_links).
        let ok = project("U1", Some("2026-06-30"), Some("2026-07-02"));
        assert_eq!(
            status(vec![ok.clone()], "2026-12-31"),
            [("U1".into(), Status::Met)]
        );
        // One short: none at all, or completed but not confirmed by the community.
        assert_eq!(status(vec![], "2026-12-31")[0].1, Status::Unmet);
        let unconfirmed = project("U1", Some("2026-06-30"), None);
        assert_eq!(status(vec![unconfirmed], "2026-12-31")[0].1, Status::Unmet);
        // Another unit's project does not count; while the year runs it is pending.
        assert_eq!(
            status(
                vec![project("U2", Some("2026-06-30"), Some("2026-07-02"))],
                "2026-12-31"
            )[0]
            .1,
            Status::Unmet
        );
        assert_eq!(status(vec![], "2026-09-30")[0].1, Status::Pending);
        // Confirmed after the as-of day: not yet.
        assert_eq!(status(vec![ok], "2026-07-01")[0].1, Status::Pending);
    }

    #[test]
    fn a_unit_without_a_community_registration_is_not_bound() {
        let p = Policy::parse(DEFAULT).unwrap();
        let mut f = subject_facts(p.rule("BF-7").unwrap());
        f.links.clear();
        let r = evaluate(&p, &f, 2026, d("2026-12-31"));
        assert!(!r.results.iter().any(|o| o.rule == "BF-7"));
    }
}
