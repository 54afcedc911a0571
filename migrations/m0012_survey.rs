//! The annual survey 民意调查, spot checks 抽查 and the assessment 考核 (PJ-1..4).
//!
//! `survey` is one year's questionnaire with its recorded seed; `survey_subject` what it asks
//! about (a leadership team, a unit, a contact point, a linked cadre) and how many households
//! could answer; `survey_sample` the households drawn and the subjects each answers about;
//! `survey_answer` one answer, with its channel (phone, resident page, paper) and who entered
//! it. `spot_round` is one draw of recorded work; `spot_check` one record drawn, what the
//! checker found and what the office decided. `assessment` keeps an issued year's scorecards.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn unique(
    m: &SchemaManager<'_>,
    name: &str,
    table: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table)).unique();
    for c in cols {
        i.col(Alias::new(*c));
    }
    m.create_index(i.to_owned()).await
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("survey")
                .col(pk_auto("id"))
                .col(integer("year"))
                .col(string_len("name", 200))
                .col(big_integer("seed"))
                // open, closed
                .col(string_len("status", 16))
                .col(integer("min_per_subject"))
                .col(string_len("created_by", 100))
                .col(timestamp_with_time_zone("created_at"))
                .col(date("opened_on"))
                .col(date_null("closed_on"))
                .col(string_len_null("closed_by", 100))
                .col(date_null("circulated_on"))
                .col(string_len_null("circulated_by", 100))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("survey_subject")
                .col(pk_auto("id"))
                .col(integer("survey_id"))
                .col(string_len("kind", 24))
                // A region (team), unit, person id (cadre) or `person|place` (contact point).
                .col(string_len("code", 140))
                .col(string_len("name", 300))
                .col(integer_null("person_id"))
                .col(string_len("region_code", 64))
                // How many households could have answered about it.
                .col(integer("population"))
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "ux_survey_subject",
            "survey_subject",
            &["survey_id", "kind", "code"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table("survey_sample")
                .col(pk_auto("id"))
                .col(integer("survey_id"))
                .col(string_len("household_code", 64))
                .col(string_len("village_code", 64))
                // `,id,id,` of its subjects.
                .col(text("subjects"))
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "ux_survey_sample",
            "survey_sample",
            &["survey_id", "household_code"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table("survey_answer")
                .col(pk_auto("id"))
                .col(integer("survey_id"))
                .col(string_len("household_code", 64))
                .col(integer("subject_id"))
                .col(string_len("rating", 24))
                // phone, resident, paper
                .col(string_len("channel", 16))
                .col(integer_null("account_id"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(text("note"))
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "ux_survey_answer",
            "survey_answer",
            &["survey_id", "household_code", "subject_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table("spot_round")
                .col(pk_auto("id"))
                .col(string_len("region_code", 64))
                .col(date("from_date"))
                .col(date("to_date"))
                .col(integer("per_cadre"))
                .col(big_integer("seed"))
                .col(string_len("drawn_by", 100))
                .col(timestamp_with_time_zone("drawn_at"))
                .col(date("drawn_on"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("spot_check")
                .col(pk_auto("id"))
                .col(integer("round_id"))
                .col(integer("activity_id"))
                // The cadre whose stratum drew it.
                .col(integer("person_id"))
                .col(string_len("unit_code", 64))
                // An integrity flag made it weigh more.
                .col(boolean("flagged"))
                // phone, field
                .col(string_len_null("method", 16))
                // confirmed, not_confirmed, unreachable
                .col(string_len_null("outcome", 16))
                .col(text("note"))
                .col(string_len_null("checked_by", 100))
                .col(date_null("checked_on"))
                // counts, discarded: the office's decision on a record not confirmed
                .col(string_len_null("decision", 16))
                .col(string_len_null("decided_by", 100))
                .col(date_null("decided_on"))
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "ux_spot_check",
            "spot_check",
            &["round_id", "activity_id"],
        )
        .await?;
        m.create_table(
            Table::create()
                .table("assessment")
                .col(pk_auto("id"))
                .col(integer("year"))
                .col(date("issued_on"))
                .col(string_len("issued_by", 100))
                .col(timestamp_with_time_zone("issued_at"))
                // JSON: the scorecards as issued.
                .col(text("cards"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "assessment",
            "spot_check",
            "spot_round",
            "survey_answer",
            "survey_sample",
            "survey_subject",
            "survey",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
