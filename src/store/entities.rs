//! SeaORM entities, one per table of `migrations/`. Codes of the closed
//! vocabularies are stored as their English code; code sets as `,a,b,`.

macro_rules! entity {
    ($module:ident, $table:literal { $($body:tt)* }) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;
            #[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
            #[sea_orm(table_name = $table)]
            pub struct Model { $($body)* }
            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}
            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(region, "region" {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub tags: String,
    /// `/county/town/village/` codes from the root, for subtree queries.
    pub path: String,
    pub pinyin: String,
    pub initials: String,
    /// The village office's (or town desk's) duty phone 值班电话, printed on cards.
    pub duty_phone: Option<String>,
});

entity!(unit, "unit" {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    pub parent_code: Option<String>,
    pub tags: String,
    pub supervision_phone: Option<String>,
    pub pinyin: String,
    pub initials: String,
    /// What its 连心卡 prints (LXK-1): phone, service scope, duties, responsible persons.
    pub phone: Option<String>,
    pub service_scope: Option<String>,
    pub duties: Option<String>,
    pub responsible: Option<String>,
});

entity!(person, "person" {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub id_number: String,
    pub name: String,
    pub phone: Option<String>,
    pub unit_code: String,
    pub post: Option<String>,
    pub roles: String,
    pub region_code: Option<String>,
    pub area_codes: String,
    pub term_start: Option<Date>,
    pub grassroots_experience: Option<bool>,
    pub branch_code: Option<String>,
    pub pinyin: String,
    pub initials: String,
});

entity!(household, "household" {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub head_name: String,
    pub head_id_number: Option<String>,
    pub region_code: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub size: Option<i32>,
    pub tags: String,
    pub income_sources: Option<String>,
    pub situation: Option<String>,
    pub pinyin: String,
    pub initials: String,
});

entity!(member, "member" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_id: i32,
    pub member_key: String,
    pub name: String,
    pub id_number: Option<String>,
    pub relation: Option<String>,
    pub phone: Option<String>,
    pub employment: Option<String>,
    pub health: Option<String>,
    pub pinyin: String,
    pub initials: String,
});

entity!(link, "link" {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub link_key: String,
    pub year: i32,
    pub person_id: Option<i32>,
    pub unit_code: Option<String>,
    pub kind: String,
    pub target_code: String,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    /// Grassroots posting: 农村, 信访 or 重点项目.
    pub front_line: Option<String>,
    /// Grassroots posting: the day the end-of-posting report was handed in.
    pub report_on: Option<Date>,
    /// Grassroots posting: the organisation department's assessment.
    pub assessment: Option<String>,
});

entity!(activity, "activity" {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub fingerprint: String,
    pub start_date: Date,
    pub end_date: Date,
    pub kind: String,
    pub companions: Option<i32>,
    pub hours: Option<f64>,
    pub notes: Option<String>,
    pub matters: String,
    /// Who recorded it through the form (imported records have none).
    pub author_account_id: Option<i32>,
    pub author_person_id: Option<i32>,
    pub recorded_at: Option<DateTimeUtc>,
    /// A condolence visit's aid: what was given, and its value in yuan.
    pub aid: Option<String>,
    pub aid_value: Option<f64>,
});

entity!(ledger_item, "ledger_item" {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// livelihood, hardship or stability.
    pub ledger: String,
    pub household_code: Option<String>,
    pub region_code: String,
    pub source: String,
    pub activity_id: Option<i32>,
    pub matter: String,
    pub status: String,
    pub level: String,
    pub owner_person_id: Option<i32>,
    pub owner_unit_code: Option<String>,
    pub registered_on: Date,
    pub deadline: Option<Date>,
    pub closed_on: Option<Date>,
    /// Which time limit runs: item, petition or hotline (policy `[ledger]`).
    pub clock: String,
    pub category: Option<String>,
    pub resident_name: Option<String>,
    /// Personal data: shown only to callers who may reveal it.
    pub resident_phone: Option<String>,
    pub extended: bool,
    pub supervised: bool,
    pub supervision_deadline: Option<Date>,
    pub overdue_reason: Option<String>,
    pub answer: Option<String>,
    pub answered_on_behalf: bool,
    pub resolution: Option<String>,
    pub resolved_on: Option<Date>,
    /// 包案领导 of a key petition case.
    pub case_owner_person_id: Option<i32>,
    /// The first petition of the same person on the same matter.
    pub repeat_of: Option<i32>,
    /// The secret in the resident's feedback link.
    #[serde(skip)]
    pub feedback_token: Option<String>,
    /// Bumped by every step, so that two offices acting at once cannot both succeed.
    pub version: i32,
    /// The key the registering form or client made once (`a{account}:{key}`).
    pub client_key: Option<String>,
    /// A petition under the national clocks: 0 first handling, 1 复查, 2 复核.
    pub review_round: i32,
    /// The first handling's deadline, kept while a review runs on its own.
    pub answer_due: Option<Date>,
    /// The day the latest review (复查意见, 复核意见) was given.
    pub reviewed_on: Option<Date>,
});

entity!(ledger_event, "ledger_event" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub item_id: i32,
    pub at: DateTimeUtc,
    pub on_date: Date,
    pub account_id: Option<i32>,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub level: String,
    pub note: String,
    /// JSON: what the step set (owner, deadline, answer, guarantee …).
    pub data: String,
});

entity!(activity_participant, "activity_participant" {
    #[sea_orm(primary_key, auto_increment = false)]
    pub activity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: i32,
});

// A participant beyond the author's reach, named by ID number, until they confirm.
entity!(activity_invitation, "activity_invitation" {
    #[sea_orm(primary_key, auto_increment = false)]
    pub activity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_number: String,
    pub invited_at: DateTimeUtc,
});

entity!(activity_target, "activity_target" {
    #[sea_orm(primary_key, auto_increment = false)]
    pub activity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_code: String,
});

entity!(history, "history" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: DateTimeUtc,
    pub actor: String,
    pub entity: String,
    pub entity_key: String,
    pub action: String,
    /// JSON: `{"field": [old, new]}`; personal data masked.
    pub changes: String,
    /// What a link's history is about: the target's code (the key's last part), indexed so a
    /// household's page finds its links' history without reading every link's.
    pub about: Option<String>,
});

entity!(account, "account" {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    pub display_name: String,
    pub person_id: Option<i32>,
    #[serde(skip)]
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
});

entity!(account_grant, "account_grant" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub account_id: i32,
    pub role: String,
    pub scope_kind: String,
    pub scope_code: Option<String>,
});

entity!(session, "session" {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub address: String,
});

entity!(api_token, "api_token" {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub account_id: i32,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
});

entity!(audit, "audit" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: DateTimeUtc,
    pub account_id: Option<i32>,
    pub username: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub address: String,
});

entity!(calendar_day, "calendar_day" {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    /// holiday or workday.
    pub kind: String,
    pub name: String,
});

entity!(declared_period, "declared_period" {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// sensitive or special.
    pub kind: String,
    /// None: the whole county.
    pub region_code: Option<String>,
    pub start_date: Date,
    pub end_date: Date,
    pub name: String,
});

entity!(policy_version, "policy_version" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub text: String,
    pub saved_by: String,
    pub saved_at: DateTimeUtc,
    /// The day it takes effect; none for a version in force from the start.
    pub in_force_from: Option<Date>,
});

// One printed version of a contact card: the facts it carried, when and by whom.
entity!(card, "card" {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// household or unit
    pub holder_kind: String,
    pub holder_code: String,
    pub version: i32,
    /// JSON: the printed fields, key → value (and the linked cadre's person id).
    pub facts: String,
    /// A household card's QR secret.
    pub secret: Option<String>,
    pub printed_at: DateTimeUtc,
    pub printed_on: Date,
    pub printed_by: String,
    pub stale_since: Option<Date>,
    pub superseded_on: Option<Date>,
});

entity!(card_delivery, "card_delivery" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub card_id: i32,
    pub recipient_code: String,
    pub delivered_on: Date,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
    pub activity_id: Option<i32>,
});

// A household's yearly rating of its linked cadre (kept for the assessment, PJ-4).
entity!(resident_rating, "resident_rating" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_code: String,
    pub year: i32,
    pub person_id: i32,
    pub rating: String,
    pub note: String,
    pub at: DateTimeUtc,
    pub on_behalf_account_id: Option<i32>,
});

entity!(survey, "survey" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub year: i32,
    pub name: String,
    pub seed: i64,
    /// open, closed
    pub status: String,
    pub min_per_subject: i32,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub opened_on: Date,
    pub closed_on: Option<Date>,
    pub closed_by: Option<String>,
    pub circulated_on: Option<Date>,
    pub circulated_by: Option<String>,
});

entity!(survey_subject, "survey_subject" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub survey_id: i32,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub person_id: Option<i32>,
    pub region_code: String,
    pub population: i32,
});

entity!(survey_sample, "survey_sample" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub survey_id: i32,
    pub household_code: String,
    pub village_code: String,
    /// `,id,id,` of the subjects it answers about.
    pub subjects: String,
});

entity!(survey_answer, "survey_answer" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub survey_id: i32,
    pub household_code: String,
    pub subject_id: i32,
    pub rating: String,
    /// phone, resident, paper
    pub channel: String,
    pub account_id: Option<i32>,
    pub recorded_at: DateTimeUtc,
    pub note: String,
});

entity!(spot_round, "spot_round" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub region_code: String,
    pub from_date: Date,
    pub to_date: Date,
    pub per_cadre: i32,
    pub seed: i64,
    pub drawn_by: String,
    pub drawn_at: DateTimeUtc,
    pub drawn_on: Date,
});

entity!(spot_check, "spot_check" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub round_id: i32,
    pub activity_id: i32,
    pub person_id: i32,
    pub unit_code: String,
    pub flagged: bool,
    pub method: Option<String>,
    pub outcome: Option<String>,
    pub note: String,
    pub checked_by: Option<String>,
    pub checked_on: Option<Date>,
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_on: Option<Date>,
});

entity!(assessment, "assessment" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub year: i32,
    pub issued_on: Date,
    pub issued_by: String,
    pub issued_at: DateTimeUtc,
    /// JSON: the scorecards as issued.
    pub cards: String,
});

entity!(rota, "rota" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub rule: String,
    pub scope_code: String,
    pub from_date: Date,
    pub to_date: Date,
    pub created_by: String,
    pub created_at: DateTimeUtc,
});

entity!(rota_slot, "rota_slot" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub rota_id: i32,
    pub day: Date,
    pub person_id: i32,
    /// planned, cancelled
    pub status: String,
    /// Raised on every change, as the calendar feed's SEQUENCE.
    pub sequence: i32,
    pub updated_at: DateTimeUtc,
});

entity!(rota_leave, "rota_leave" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub from_date: Date,
    pub to_date: Date,
    pub note: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
});

entity!(calendar_feed, "calendar_feed" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub owner_kind: String,
    pub owner_code: String,
    pub secret: String,
    pub created_at: DateTimeUtc,
});

entity!(decision, "decision" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_code: String,
    pub title: String,
    pub decided_on: Date,
    pub completed_on: Option<Date>,
    #[serde(skip)]
    pub client_key: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
});

entity!(decision_consultation, "decision_consultation" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub decision_id: i32,
    pub stage: String,
    pub held_on: Date,
    pub asked: String,
    pub said: String,
    pub changed: String,
    #[serde(skip)]
    pub client_key: String,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
});

entity!(service_project, "service_project" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub region_code: String,
    pub title: String,
    pub need: String,
    pub listed_on: Date,
    pub unit_code: Option<String>,
    pub claimed_on: Option<Date>,
    pub completed_on: Option<Date>,
    pub took_part: String,
    pub outcome: String,
    pub confirmed_on: Option<Date>,
    pub confirmed_by: String,
    pub confirmation: String,
    #[serde(skip)]
    pub client_key: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
});

entity!(proposal, "proposal" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_code: String,
    pub meeting: String,
    pub kind: String,
    pub title: String,
    pub content: String,
    pub raised_by: String,
    pub submitted_on: Date,
    pub forwarded_to: Option<String>,
    pub forwarded_on: Option<Date>,
    pub due_on: Option<Date>,
    pub extended: bool,
    pub answered_on: Option<Date>,
    pub answer: String,
    pub closed_on: Option<Date>,
    #[serde(skip)]
    pub client_key: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
});

entity!(proposal_item, "proposal_item" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub proposal_id: i32,
    pub item_id: i32,
});

// A representative's contact details made public (DDB-4): when and where.
entity!(contact_publication, "contact_publication" {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub published_on: Date,
    pub place: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
});
