//! What a measure reads and writes: the shared `Context` of one rule's evaluation (the facts,
//! the year, the as-of day, the indexes built once, the rule's periods, its subjects and their
//! records) and `Rows`, where it puts each judged row.

use crate::domain::labels::{ActivityKind, LinkKind, RegionLevel};
use crate::domain::policy::{CountedBy, Rule};
use crate::domain::rules::facts::{ActivityFact, Facts, LinkFact, PersonFact, RegionFact};
use crate::domain::rules::period::Period;
use crate::domain::rules::report::{Outcome, Status, Unmeasured};
use chrono::NaiveDate;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// Who a rule binds: a person, a unit or a region.
pub struct Subject<'a> {
    pub kind: &'static str,
    pub code: &'a str,
    pub name: &'a str,
    pub person: Option<i32>,
    /// A region subject's path.
    pub path: Option<&'a str>,
}

impl<'a> Subject<'a> {
    pub fn person(p: &'a PersonFact) -> Subject<'a> {
        Subject {
            kind: "person",
            code: &p.code,
            name: &p.name,
            person: Some(p.id),
            path: None,
        }
    }
}

/// Indexes over the facts, built once per evaluation and shared by every rule.
pub struct Index<'a> {
    by_person: HashMap<i32, Vec<&'a ActivityFact>>,
    by_target: HashMap<&'a str, Vec<&'a ActivityFact>>,
    unit_people: HashMap<&'a str, Vec<i32>>,
    links_of_person: HashMap<i32, Vec<&'a LinkFact>>,
    links_of_unit: HashMap<&'a str, Vec<&'a LinkFact>>,
    /// Who holds a link of which kind.
    linked: HashSet<(i32, LinkKind)>,
    pub regions: HashMap<&'a str, &'a RegionFact>,
    pub people: HashMap<i32, &'a PersonFact>,
    /// Each household's village.
    pub village_of_household: HashMap<&'a str, &'a str>,
    /// Each party branch's members.
    pub members_of: HashMap<&'a str, Vec<&'a PersonFact>>,
    /// The households of each village and of each group.
    pub households_at: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Index<'a> {
    pub fn new(f: &'a Facts) -> Index<'a> {
        // The records by target (a county's households: 450,000 entries) on a thread of their
        // own while this one files them by person and builds the rest: a third of the
        // evaluation's time went to this index, all on one core.
        std::thread::scope(|scope| {
            let targets = scope.spawn(|| {
                let mut by_target: HashMap<&str, Vec<&ActivityFact>> = HashMap::default();
                by_target.reserve(f.households.len());
                for a in &f.activities {
                    for t in &a.targets {
                        by_target.entry(t.as_str()).or_default().push(a);
                    }
                }
                by_target
            });
            let mut index = Index::without_targets(f);
            index.by_target = match targets.join() {
                Ok(by_target) => by_target,
                Err(e) => std::panic::resume_unwind(e),
            };
            index
        })
    }

    fn without_targets(f: &'a Facts) -> Index<'a> {
        let mut by_person: HashMap<i32, Vec<&ActivityFact>> = HashMap::default();
        by_person.reserve(f.people.len());
        for a in &f.activities {
            for p in &a.participants {
                by_person.entry(*p).or_default().push(a);
            }
        }
        let mut unit_people: HashMap<&str, Vec<i32>> = HashMap::default();
        for p in &f.people {
            unit_people.entry(p.unit.as_str()).or_default().push(p.id);
        }
        let mut links_of_person: HashMap<i32, Vec<&LinkFact>> = HashMap::default();
        let mut links_of_unit: HashMap<&str, Vec<&LinkFact>> = HashMap::default();
        for l in &f.links {
            if let Some(p) = l.person {
                links_of_person.entry(p).or_default().push(l);
            }
            if let Some(u) = &l.unit {
                links_of_unit.entry(u.as_str()).or_default().push(l);
            }
        }
        let linked = f
            .links
            .iter()
            .filter_map(|l| Some((l.person?, l.kind)))
            .collect();
        let mut members_of: HashMap<&str, Vec<&PersonFact>> = HashMap::default();
        for p in &f.people {
            if let Some(b) = p.branch.as_deref() {
                members_of.entry(b).or_default().push(p);
            }
        }
        let mut households_at: HashMap<&str, Vec<&str>> = HashMap::default();
        for h in &f.households {
            households_at
                .entry(h.village.as_str())
                .or_default()
                .push(&h.code);
            if h.region != h.village {
                households_at
                    .entry(h.region.as_str())
                    .or_default()
                    .push(&h.code);
            }
        }
        Index {
            by_person,
            by_target: HashMap::default(),
            unit_people,
            links_of_person,
            links_of_unit,
            linked,
            regions: f.regions.iter().map(|r| (r.code.as_str(), r)).collect(),
            people: f.people.iter().map(|p| (p.id, p)).collect(),
            village_of_household: f
                .households
                .iter()
                .map(|h| (h.code.as_str(), h.village.as_str()))
                .collect(),
            members_of,
            households_at,
        }
    }
}

/// One rule's evaluation: what every measure may read.
pub struct Context<'a> {
    pub facts: &'a Facts,
    pub year: i32,
    pub as_of: NaiveDate,
    pub index: &'a Index<'a>,
    /// The rule's periods that have begun by the as-of day.
    pub periods: Vec<Period>,
}

impl<'a> Context<'a> {
    /// Who the rule binds: people by role and link, units by kind and tag, regions by level.
    /// Every condition named must hold (a village cadre *with* a hardship pairing).
    pub fn subjects(&self, rule: &Rule) -> Vec<Subject<'a>> {
        let w = &rule.who;
        let facts = self.facts;
        let mut out = Vec::new();
        if !w.roles.is_empty() || !w.link_kinds.is_empty() {
            for p in &facts.people {
                if facts.only_person.is_some_and(|only| only != p.id) {
                    continue;
                }
                let by_role = w.roles.is_empty() || p.roles.iter().any(|r| w.roles.contains(r));
                let by_link = w.link_kinds.is_empty()
                    || w.link_kinds
                        .iter()
                        .any(|k| self.index.linked.contains(&(p.id, *k)));
                if by_role && by_link {
                    out.push(Subject::person(p));
                }
            }
        }
        if facts.only_person.is_some() {
            return out;
        }
        if !w.unit_kinds.is_empty() || !w.unit_tags.is_empty() || !w.unit_links.is_empty() {
            for u in &facts.units {
                let by_kind = u.kind.is_some_and(|k| w.unit_kinds.contains(&k));
                let by_tag = u.tags.iter().any(|t| w.unit_tags.contains(t));
                let by_link = !w.unit_links.is_empty()
                    && self
                        .index
                        .links_of_unit
                        .get(u.code.as_str())
                        .is_some_and(|ls| ls.iter().any(|l| w.unit_links.contains(&l.kind)));
                if by_kind || by_tag || by_link {
                    out.push(Subject {
                        kind: "unit",
                        code: &u.code,
                        name: &u.name,
                        person: None,
                        path: None,
                    });
                }
            }
        }
        if !w.region_levels.is_empty() {
            for r in &facts.regions {
                if r.level.is_some_and(|l| w.region_levels.contains(&l)) {
                    out.push(Subject {
                        kind: "region",
                        code: &r.code,
                        name: &r.name,
                        person: None,
                        path: Some(&r.path),
                    });
                }
            }
        }
        out
    }

    /// The records that count for a subject: a person's own; a unit's or region's, those of
    /// its people or those naming it as a target.
    #[inline]
    pub fn all_records(&self, s: &Subject, by: CountedBy) -> Vec<&'a ActivityFact> {
        let ix = self.index;
        match (s.person, by) {
            (Some(p), _) => ix.by_person.get(&p).cloned().unwrap_or_default(),
            (None, CountedBy::Target) => ix.by_target.get(s.code).cloned().unwrap_or_default(),
            (None, CountedBy::Participant) => {
                let mut seen = HashSet::default();
                let mut out = Vec::new();
                for p in ix.unit_people.get(s.code).into_iter().flatten() {
                    for a in ix.by_person.get(p).into_iter().flatten() {
                        if seen.insert(*a as *const ActivityFact) {
                            out.push(*a);
                        }
                    }
                }
                out
            }
        }
    }

    /// The subject's records of these kinds.
    #[inline]
    pub fn records(
        &self,
        s: &Subject,
        by: CountedBy,
        kinds: &[ActivityKind],
    ) -> Vec<&'a ActivityFact> {
        self.all_records(s, by)
            .into_iter()
            .filter(|a| kinds.contains(&a.kind))
            .collect()
    }

    /// The links a subject holds (a person's, or a unit's own).
    #[inline]
    pub fn links(&self, s: &Subject) -> Vec<&'a LinkFact> {
        match s.person {
            Some(p) => self
                .index
                .links_of_person
                .get(&p)
                .cloned()
                .unwrap_or_default(),
            None => self
                .index
                .links_of_unit
                .get(s.code)
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// The places a subject links with links of these kinds, sorted, once each.
    pub fn linked_targets(&self, s: &Subject, kinds: &[LinkKind]) -> Vec<&'a str> {
        let mut targets: Vec<&str> = self
            .links(s)
            .into_iter()
            .filter(|l| kinds.contains(&l.kind))
            .map(|l| l.target.as_str())
            .collect();
        targets.sort_unstable();
        targets.dedup();
        targets
    }

    /// Whether a record's target `x` is the place `t` or lies under it (a village of a town,
    /// a household of a village).
    pub fn lies_at(&self, x: &str, t: &str) -> bool {
        if x == t {
            return true;
        }
        let mark = format!("/{t}/");
        let ix = self.index;
        let region = ix.regions.get(x).or_else(|| {
            ix.village_of_household
                .get(x)
                .and_then(|v| ix.regions.get(v))
        });
        region.is_some_and(|r| r.path.contains(&mark))
    }

    /// Villages and communities under a region path mark (`/town/`).
    pub fn villages_under(&self, mark: &str) -> impl Iterator<Item = &'a RegionFact> {
        self.facts.regions.iter().filter(move |r| {
            matches!(r.level, Some(RegionLevel::Village | RegionLevel::Community))
                && r.path.contains(mark)
        })
    }
}

/// Met at the threshold (and not above `max`); short of it, pending while the period runs and
/// unmet after.
#[inline]
pub fn status(
    actual: f64,
    required: f64,
    max: Option<f64>,
    period: &Period,
    as_of: NaiveDate,
) -> Status {
    let over = max.is_some_and(|m| actual > m);
    if actual >= required && !over {
        Status::Met
    } else if period.end > as_of && !over {
        Status::Pending
    } else {
        Status::Unmet
    }
}

/// What a measure found for one subject in one period (and target).
pub struct Found {
    pub target: Option<String>,
    pub actual: f64,
    pub required: f64,
    /// What is missing, in one Chinese sentence; dropped from a met row.
    pub detail: String,
}

/// The rows of one rule. Rows of periods that begin outside the days this policy version is
/// in force are left to the version in force then.
pub struct Rows<'r> {
    rule: &'r Rule,
    as_of: NaiveDate,
    in_force: (NaiveDate, NaiveDate),
    pub(crate) results: Vec<Outcome>,
    pub(crate) unmeasured: Vec<Unmeasured>,
}

impl<'r> Rows<'r> {
    pub fn new(rule: &'r Rule, as_of: NaiveDate, in_force: (NaiveDate, NaiveDate)) -> Rows<'r> {
        Rows {
            rule,
            as_of,
            in_force,
            results: Vec::new(),
            unmeasured: Vec::new(),
        }
    }

    /// A row judged against its threshold: met from `required` up (and not above `max`).
    #[inline]
    pub fn against(
        &mut self,
        s: &Subject,
        p: &Period,
        found: Found,
        max: Option<f64>,
    ) -> Option<&mut Outcome> {
        let st = status(found.actual, found.required, max, p, self.as_of);
        self.decided(s, p, found, st)
    }

    /// A row whose status the measure decided itself.
    #[inline]
    pub fn decided(
        &mut self,
        s: &Subject,
        p: &Period,
        found: Found,
        status: Status,
    ) -> Option<&mut Outcome> {
        if p.start < self.in_force.0 || p.start > self.in_force.1 {
            return None;
        }
        self.results.push(Outcome {
            rule: self.rule.id.clone(),
            subject_kind: s.kind,
            subject_code: s.code.to_string(),
            subject_name: s.name.to_string(),
            target_code: found.target,
            period: p.label.clone(),
            status,
            actual: found.actual,
            required: found.required,
            detail: if status == Status::Met {
                String::new()
            } else {
                found.detail
            },
            reachable: None,
        });
        self.results.last_mut()
    }

    /// The rule cannot be measured yet, and why.
    pub fn unmeasured(&mut self, reason: &str) {
        self.unmeasured.push(Unmeasured {
            rule: self.rule.id.clone(),
            reason: reason.to_string(),
        });
    }
}
