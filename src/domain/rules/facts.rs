//! What the rules read: the registry, links, records and ledger items of one year, as plain
//! values loaded by the store. No database here.

use crate::domain::labels::{ActivityKind, LinkKind, RegionLevel, Role, UnitKind, UnitTag};
use chrono::NaiveDate;

#[derive(Clone, Debug)]
pub struct PersonFact {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub unit: String,
    /// The region the person works in (a town leader's town).
    pub region: Option<String>,
    /// Responsible area 责任片区: group or village codes.
    pub areas: Vec<String>,
    /// The party branch the person belongs to.
    pub branch: Option<String>,
    /// The first day of the current term of office 任期开始 (DY-3, CG-3).
    pub term_start: Option<NaiveDate>,
    /// The days the person's contact details were made public (DDB-4).
    pub published: Vec<NaiveDate>,
}

/// A record of an earlier year by someone whose term reaches back into it: who, what kind,
/// its first day and one of its targets (one per target).
#[derive(Clone, Debug)]
pub struct EarlierVisit {
    pub person: i32,
    pub kind: ActivityKind,
    pub day: NaiveDate,
    pub target: String,
}

#[derive(Clone, Debug)]
pub struct UnitFact {
    pub code: String,
    pub name: String,
    pub kind: Option<UnitKind>,
    pub tags: Vec<UnitTag>,
}

#[derive(Clone, Debug)]
pub struct RegionFact {
    pub code: String,
    pub name: String,
    pub level: Option<RegionLevel>,
    /// `/county/town/…/code/`: which declared periods reach it.
    pub path: String,
}

#[derive(Clone, Debug)]
pub struct LinkFact {
    pub person: Option<i32>,
    pub unit: Option<String>,
    /// A unit's link that names its contact person (BF-3); the person does not hold it.
    pub contact: Option<i32>,
    pub kind: LinkKind,
    pub target: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// A grassroots posting's front line, report day and whether it has its assessment.
    pub front_line: Option<String>,
    pub report_on: Option<NaiveDate>,
    pub assessed: bool,
}

#[derive(Clone, Debug)]
pub struct ActivityFact {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub kind: ActivityKind,
    pub hours: f64,
    /// Companions 随员 (LXD-12), when recorded.
    pub companions: Option<i32>,
    pub participants: Vec<i32>,
    pub targets: Vec<String>,
    /// A spot check could not confirm it on this day (PJ-3): from then it stops counting,
    /// until the office decides it counts.
    pub disputed_on: Option<NaiveDate>,
}

#[derive(Clone, Debug)]
pub struct HouseholdFact {
    pub code: String,
    /// The head of household's name: a household's own row names it (LH-1).
    pub head: String,
    /// Its own region (a group or the village).
    pub region: String,
    /// The village or community it belongs to (its group's village).
    pub village: String,
    /// What its basic-information form holds: members, living and production situation,
    /// income sources (LH-4).
    pub has_members: bool,
    pub has_situation: bool,
    pub has_income: bool,
}

/// A ledger item as the rules read it.
#[derive(Clone, Debug)]
pub struct ItemFact {
    pub id: i32,
    pub source: crate::domain::labels::ItemSource,
    /// item, petition or hotline.
    pub clock: String,
    /// The village (or community) it belongs to.
    pub village: String,
    pub household: Option<String>,
    pub status: String,
    pub first_handler: Option<i32>,
    pub case_owner: Option<i32>,
    /// Where it stands: village, town or county.
    pub level: String,
    pub registered_on: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub answered: bool,
    pub overdue_reason: bool,
    pub supervised: bool,
    /// How many of the five guarantees are recorded.
    pub guarantees: u8,
    /// The first day the petitioner was told of it (a “notice” step, 受理告知).
    pub told_on: Option<NaiveDate>,
    /// Its category: a service-room application's kind (CG-9), or free text.
    pub category: Option<String>,
}

/// One printed version of a contact card, with its deliveries (LXK-1..3, LH-3).
#[derive(Clone, Debug)]
pub struct CardFact {
    pub holder: crate::domain::cards::Holder,
    /// The household or unit code.
    pub code: String,
    pub version: i32,
    pub printed_on: NaiveDate,
    /// The first day its facts no longer matched the registry.
    pub stale_since: Option<NaiveDate>,
    /// The keys of the fields a unit's card printed with a value (LXK-1). A household card's
    /// fields are judged by no rule and left unread: empty.
    pub printed: Vec<String>,
    /// Who it reached and when: the household itself, or a unit card's service object.
    pub delivered: Vec<(String, NaiveDate)>,
}

/// A survey as the rules read it (PJ-1, PJ-2): when it closed and was circulated, and the
/// subjects it asked about (kind and code).
#[derive(Clone, Debug)]
pub struct SurveyFact {
    pub year: i32,
    pub closed_on: Option<NaiveDate>,
    pub circulated_on: Option<NaiveDate>,
    pub subjects: Vec<(crate::domain::survey::SubjectKind, String)>,
}

/// A spot-check round as the rules read it (PJ-3): the region it drew in, the day it was
/// drawn, and the days and methods of the checks made.
#[derive(Clone, Debug)]
pub struct SpotRoundFact {
    pub region_path: String,
    pub drawn_on: NaiveDate,
    pub checks: Vec<(NaiveDate, String)>,
}

/// A major decision as the rules read it (DY-7): its body, its days and the days of its three
/// consultations.
#[derive(Clone, Debug)]
pub struct DecisionFact {
    pub id: i32,
    pub unit: String,
    pub title: String,
    pub decided_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
    pub held: Vec<(crate::domain::labels::DecisionStage, NaiveDate)>,
}

/// A community service project of 双报到 as the rules read it (BF-7): the unit that claimed it,
/// the day it was completed and the day the community confirmed it.
#[derive(Clone, Debug)]
pub struct ProjectFact {
    pub id: i32,
    pub community: String,
    pub title: String,
    pub unit: Option<String>,
    pub completed_on: Option<NaiveDate>,
    pub confirmed_on: Option<NaiveDate>,
}

/// A representatives' proposal 议案/建议 as the rules read it (DDB-5): the liaison office that
/// compiled it, when it was forwarded and to whom, its deadline and answer.
#[derive(Clone, Debug)]
pub struct ProposalFact {
    pub id: i32,
    pub office: String,
    pub meeting: String,
    pub title: String,
    pub submitted_on: NaiveDate,
    pub forwarded_to: Option<String>,
    pub forwarded_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub answered_on: Option<NaiveDate>,
}

/// An issued assessment as the rules read it (PJ-4): the day, and per cadre the parts it
/// could count.
#[derive(Clone, Debug)]
pub struct AssessmentFact {
    pub issued_on: NaiveDate,
    pub cadres: Vec<(i32, Vec<String>)>,
}

/// A planned rota slot (issue 17): the rule it serves, the rota's region, the day and who.
#[derive(Clone, Debug)]
pub struct SlotFact {
    pub rule: String,
    pub scope: String,
    pub day: NaiveDate,
    pub person: i32,
}

/// Everything the rules read for one year.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub households: Vec<HouseholdFact>,
    pub people: Vec<PersonFact>,
    pub units: Vec<UnitFact>,
    pub regions: Vec<RegionFact>,
    pub links: Vec<LinkFact>,
    pub activities: Vec<ActivityFact>,
    pub items: Vec<ItemFact>,
    /// Every printed card version up to the as-of day.
    pub cards: Vec<CardFact>,
    pub surveys: Vec<SurveyFact>,
    pub spot_rounds: Vec<SpotRoundFact>,
    pub assessments: Vec<AssessmentFact>,
    /// Planned rota slots of the year.
    pub slots: Vec<SlotFact>,
    /// Major decisions of the year (DY-7).
    pub decisions: Vec<DecisionFact>,
    /// Community service projects listed up to the end of the year (BF-7).
    pub projects: Vec<ProjectFact>,
    /// Representatives' proposals submitted in the year (DDB-5).
    pub proposals: Vec<ProposalFact>,
    /// Records before the year by people with a term of office, back to its start.
    pub earlier: Vec<EarlierVisit>,
    pub calendar: crate::domain::calendar::Calendar,
    /// Evaluate for this person only (the person page): no other subjects.
    pub only_person: Option<i32>,
}

impl Facts {
    /// The records as they stood on `as_of` (FORMATS.md: only records dated on or before it
    /// count): records starting after it dropped, a stay running past it cut at it; items
    /// registered after it dropped, and an item resolved or closed after it still open (or
    /// resolved) as it was then. `None` when nothing lies after it, the common case, so that no
    /// copy is made.
    pub fn cut_at(&self, as_of: NaiveDate) -> Option<Facts> {
        if !self.reaches_past(as_of) {
            return None;
        }
        let mut f = self.clone();
        f.cut(as_of);
        Some(f)
    }

    /// These facts as they stood on `as_of`, cut in place: what the callers that own the facts
    /// they read use, so that the evaluation does not copy the county's records (a few hundred
    /// megabytes) to leave out the few after the day or disputed by it.
    pub fn as_of(mut self, as_of: NaiveDate) -> Facts {
        if self.reaches_past(as_of) {
            self.cut(as_of);
        }
        self
    }

    /// Whether anything is dated after `as_of`, or a record is disputed by then.
    fn reaches_past(&self, as_of: NaiveDate) -> bool {
        let later = |d: Option<NaiveDate>| d.is_some_and(|d| d > as_of);
        let items_later = self.items.iter().any(|i| {
            i.registered_on > as_of
                || later(i.resolved_on)
                || later(i.closed_on)
                || later(i.told_on)
        });
        items_later
            || self
                .activities
                .iter()
                .any(|a| a.end > as_of || a.disputed_on.is_some_and(|d| d <= as_of))
    }

    fn cut(&mut self, as_of: NaiveDate) {
        let later = |d: Option<NaiveDate>| d.is_some_and(|d| d > as_of);
        let disputed = |a: &ActivityFact| a.disputed_on.is_some_and(|d| d <= as_of);
        self.activities.retain(|a| a.start <= as_of && !disputed(a));
        for a in &mut self.activities {
            a.end = a.end.min(as_of);
        }
        self.items.retain(|i| i.registered_on <= as_of);
        for i in &mut self.items {
            if later(i.told_on) {
                i.told_on = None;
            }
            if later(i.resolved_on) {
                i.resolved_on = None;
                i.closed_on = None;
                i.answered = false;
                i.status = "in_progress".into();
            } else if later(i.closed_on) {
                i.closed_on = None;
                i.status = if i.answered { "fed_back" } else { "resolved" }.into();
            }
        }
    }
}
