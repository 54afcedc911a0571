//! What an evaluation answers: a row per subject, period (and target) with its status, the
//! rules not measured yet, and the policy versions used (FORMATS.md, “The compliance report”).

use chrono::NaiveDate;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Unmet,
    Pending,
}

/// One row of the compliance report (FORMATS.md).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = ReportRow)]
pub struct Outcome {
    pub rule: String,
    pub subject_kind: &'static str,
    pub subject_code: String,
    pub subject_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_code: Option<String>,
    pub period: String,
    pub status: Status,
    pub actual: f64,
    pub required: f64,
    pub detail: String,
    /// `Some(false)` on a pending row that can no longer be met in the days left of its period
    /// (118 days owed with 30 left); left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachable: Option<bool>,
}

/// A rule the engine cannot measure yet, and why.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Unmeasured {
    pub rule: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub year: i32,
    pub as_of: NaiveDate,
    pub policy: String,
    pub results: Vec<Outcome>,
    /// Rules of the policy that no module measures yet (not silently dropped).
    pub unmeasured: Vec<Unmeasured>,
    /// What the reader should know about this evaluation (a calendar year not yet entered).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The saved policy versions the report used, with the periods each judged; left out when
    /// one policy without a saved version judged everything (the county's file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<VersionUsed>,
}

/// A saved policy version and what it judged: the periods beginning on or after `from` (and
/// before the next version's day).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionUsed {
    pub version: i32,
    pub name: String,
    /// The day it takes effect; absent for a version in force from the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
}
