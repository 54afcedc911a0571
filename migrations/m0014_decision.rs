//! Decision records 三问决策 (DY-7, issue 18): a major decision of a decision-making body and
//! its consultation of the people before (问需), during (问计) and after (问效).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("decision")
                .col(pk_auto("id"))
                .col(string_len("unit_code", 64))
                .col(string_len("title", 200))
                .col(date("decided_on"))
                .col(date_null("completed_on"))
                .col(string_len("client_key", 64))
                .col(string_len("created_by", 100))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_decision_client_key")
                .table("decision")
                .col("client_key")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("decision_consultation")
                .col(pk_auto("id"))
                .col(integer("decision_id"))
                // before, during, after
                .col(string_len("stage", 16))
                .col(date("held_on"))
                .col(string_len("asked", 500))
                .col(string_len("said", 2000))
                .col(string_len("changed", 2000))
                .col(string_len("client_key", 64))
                .col(string_len("recorded_by", 100))
                .col(timestamp_with_time_zone("recorded_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_decision_consultation_client_key")
                .table("decision_consultation")
                .col("client_key")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_decision_consultation_decision")
                .table("decision_consultation")
                .col("decision_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["decision_consultation", "decision"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
