//! The measures: what a rule of the policy counts and how it is judged, one module each.
//!
//! A measure's module holds its parameters (as the policy file writes them), the keys it
//! accepts, its own checks of those parameters, the threshold as the policy page shows it, its
//! judgement and its tests. Adding a measure is a new module and one line in `measures!` below;
//! the compiler then asks for nothing else, and `policy/default.toml` names it by its tag.

use crate::domain::labels::ActivityKind;
use crate::domain::policy::{Policy, Rule};
use crate::domain::rules::context::{Context, Rows};
use serde::Deserialize;

pub mod cards;
pub mod companions;
pub mod contact_points;
pub mod count;
pub mod covers;
pub mod days;
pub mod decisions;
pub mod distinct_contacts;
pub mod distinct_targets;
pub mod hours;
pub mod household_coverage;
pub mod household_forms;
pub mod items;
pub mod links;
pub mod members;
pub mod on_dates;
pub mod postings;
pub mod projects;
pub mod proposals;
pub mod survey;
pub mod unmeasured;
pub mod visits_per_target;

/// The three things a measure does.
pub trait Judge {
    /// The keys a rule of this measure may carry beside the rule's own (id, name, who …).
    const KEYS: &'static [&'static str];

    /// What is wrong with the parameters, one Chinese sentence each (the rule is named by the
    /// caller).
    fn check(&self, rule: &Rule, policy: &Policy) -> Vec<String>;

    /// The threshold as the policy page shows it (“次数 ≥ 2”).
    fn threshold(&self) -> String;

    /// The rule's rows: one per subject, period (and target) it binds.
    fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows);
}

/// The one list of measures: the variant, the type holding its parameters, and the tag the
/// policy file names it by.
macro_rules! measures {
    ($($(#[$doc:meta])* $variant:ident($ty:path) = $tag:literal,)*) => {
        /// What a rule measures, tagged by `measure = "…"` in the policy file.
        #[derive(Clone, Debug, Deserialize)]
        #[serde(tag = "measure")]
        pub enum Measure {
            $($(#[$doc])* #[serde(rename = $tag)] $variant($ty),)*
        }

        impl Measure {
            /// The keys a rule of the measure named `tag` may carry; `None` for no such measure.
            pub fn keys(tag: &str) -> Option<&'static [&'static str]> {
                match tag {
                    $($tag => Some(<$ty as Judge>::KEYS),)*
                    _ => None,
                }
            }

            pub fn check(&self, rule: &Rule, policy: &Policy) -> Vec<String> {
                match self {
                    $(Measure::$variant(m) => m.check(rule, policy),)*
                }
            }

            pub fn threshold(&self) -> String {
                match self {
                    $(Measure::$variant(m) => m.threshold(),)*
                }
            }

            pub fn judge(&self, rule: &Rule, cx: &Context, rows: &mut Rows) {
                match self {
                    $(Measure::$variant(m) => m.judge(rule, cx, rows),)*
                }
            }
        }
    };
}

measures! {
    /// Records of these kinds in each period.
    Count(count::Count) = "count",
    /// Distinct days covered by records of these kinds.
    Days(days::Days) = "days",
    /// The longest run of consecutive days covered by records of these kinds.
    Run(days::Run) = "run",
    /// Hours of records of these kinds.
    Hours(hours::Hours) = "hours",
    /// Distinct targets of records of these kinds.
    DistinctTargets(distinct_targets::DistinctTargets) = "distinct_targets",
    /// Links of these kinds held.
    Links(links::Links) = "links",
    /// Records on the named dates of each period.
    OnDates(on_dates::OnDates) = "on_dates",
    /// Not measurable yet: the report says why.
    Unmeasured(unmeasured::Unmeasured) = "unmeasured",
    /// Companions on each visit to a contact point.
    Companions(companions::Companions) = "companions",
    /// A share of a set of places visited.
    Covers(covers::Covers) = "covers",
    /// Each ledger item judged on its own.
    Items(items::Items) = "items",
    /// A leader's yearly contact points.
    ContactPoints(contact_points::ContactPoints) = "contact_points",
    /// No target a contact point of two leaders of one tier.
    DistinctContacts(distinct_contacts::DistinctContacts) = "distinct_contacts",
    /// The share of households with a link.
    HouseholdCoverage(household_coverage::HouseholdCoverage) = "household_coverage",
    /// Records per linked target.
    VisitsPerTarget(visits_per_target::VisitsPerTarget) = "visits_per_target",
    /// Each grassroots posting judged on its own.
    Postings(postings::Postings) = "postings",
    /// Each linked household's basic-information form.
    HouseholdForms(household_forms::HouseholdForms) = "household_forms",
    /// A unit's printed card carries every field named (LXK-1).
    CardFields(cards::CardFields) = "card_fields",
    /// Cards delivered to every linked target in the period (LXK-2, LH-3).
    CardsDelivered(cards::CardsDelivered) = "cards_delivered",
    /// No card out of date in a holder's hands longer than the days allowed (LXK-3).
    CardsCurrent(cards::CardsCurrent) = "cards_current",
    /// The year's survey closed, covering every team, unit and contact point (PJ-1).
    SurveyHeld(survey::SurveyHeld) = "survey_held",
    /// The year's survey results circulated (PJ-2).
    SurveyCirculated(survey::SurveyCirculated) = "survey_circulated",
    /// Spot checks drawn in the region and made by the named methods (PJ-3).
    SpotChecked(survey::SpotChecked) = "spot_checked",
    /// The cadre's scorecard in an issued assessment, with the named parts (PJ-4).
    Assessed(survey::Assessed) = "assessed",
    /// Members of a body holding a role (DDB-1's convener).
    Members(members::Members) = "members",
    /// Each major decision with its three consultations (DY-7).
    Decisions(decisions::Decisions) = "decisions",
    /// Community service projects claimed, completed and confirmed (BF-7).
    Projects(projects::Projects) = "projects",
    /// Each representatives' proposal forwarded and answered in time (DDB-5).
    Proposals(proposals::Proposals) = "proposals",
}

/// Activity kinds as a sentence says them: 入户走访或电话联系.
pub(crate) fn kinds_zh(k: &[ActivityKind]) -> String {
    k.iter().map(|k| k.zh()).collect::<Vec<_>>().join("或")
}

/// `activity_kinds` may not be empty.
pub(crate) fn need_kinds(kinds: &[ActivityKind]) -> Vec<String> {
    if kinds.is_empty() {
        vec!["activity_kinds 不能为空".into()]
    } else {
        vec![]
    }
}

/// Defaults the policy file may leave out.
pub(crate) fn whole() -> f64 {
    1.0
}

pub(crate) fn once() -> u32 {
    1
}

pub(crate) fn five() -> u32 {
    5
}
