//! Rotas 排班 (issue 17): a planned rota for a rule and a scope over a period; its slots (a day
//! and a person, planned or cancelled, with the SEQUENCE a calendar feed sends); leave and
//! unavailability entered beforehand; the secret URLs of the calendar feeds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("rota")
                .col(pk_auto("id"))
                .col(string_len("rule", 32))
                .col(string_len("scope_code", 64))
                .col(date("from_date"))
                .col(date("to_date"))
                .col(string_len("created_by", 100))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("rota_slot")
                .col(pk_auto("id"))
                .col(integer("rota_id"))
                .col(date("day"))
                .col(integer("person_id"))
                // planned, cancelled
                .col(string_len("status", 16))
                .col(integer("sequence"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_rota_slot_day")
                .table("rota_slot")
                .col("rota_id")
                .col("day")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("rota_leave")
                .col(pk_auto("id"))
                .col(integer("person_id"))
                .col(date("from_date"))
                .col(date("to_date"))
                .col(string_len("note", 200))
                .col(string_len("created_by", 100))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("calendar_feed")
                .col(pk_auto("id"))
                // person (an id) or unit (a code)
                .col(string_len("owner_kind", 16))
                .col(string_len("owner_code", 64))
                .col(string_len("secret", 64))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_calendar_feed_owner")
                .table("calendar_feed")
                .col("owner_kind")
                .col("owner_code")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_calendar_feed_secret")
                .table("calendar_feed")
                .col("secret")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["calendar_feed", "rota_leave", "rota_slot", "rota"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
