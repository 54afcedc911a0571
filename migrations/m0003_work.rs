//! Work records keep who recorded them and when (for the correction window); links of a
//! grassroots posting keep its front line, end report and assessment; ledger items are born
//! from the matters residents raise.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for col in [
            integer_null("author_account_id"),
            integer_null("author_person_id"),
            timestamp_with_time_zone_null("recorded_at"),
        ] {
            m.alter_table(
                Table::alter()
                    .table("activity")
                    .add_column(col.to_owned())
                    .to_owned(),
            )
            .await?;
        }
        for col in [
            string_len_null("front_line", 16),
            date_null("report_on"),
            text_null("assessment"),
        ] {
            m.alter_table(
                Table::alter()
                    .table("link")
                    .add_column(col.to_owned())
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table("ledger_item")
                .col(pk_auto("id"))
                .col(string_len("ledger", 16))
                .col(string_len_null("household_code", 40))
                .col(string_len("region_code", 20))
                .col(string_len("source", 24))
                .col(integer_null("activity_id"))
                .col(text("matter"))
                .col(string_len("status", 16))
                .col(string_len("level", 16))
                .col(integer_null("owner_person_id"))
                .col(string_len_null("owner_unit_code", 40))
                .col(date("registered_on"))
                .col(date_null("deadline"))
                .col(date_null("closed_on"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ledger_item_activity")
                        .from("ledger_item", "activity_id")
                        .to("activity", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ledger_item_owner")
                        .from("ledger_item", "owner_person_id")
                        .to("person", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        for cols in [
            &["household_code"][..],
            &["region_code"],
            &["owner_person_id", "status"],
            &["activity_id"],
        ] {
            let mut i = Index::create();
            i.name(format!("ix_ledger_item_{}", cols.join("_")))
                .table("ledger_item");
            for c in cols {
                i.col(*c);
            }
            m.create_index(i.to_owned()).await?;
        }
        m.create_index(
            Index::create()
                .name("ix_link_kind_year")
                .table("link")
                .col("kind")
                .col("year")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("ledger_item").to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("ix_link_kind_year")
                .table("link")
                .to_owned(),
        )
        .await?;
        for c in ["front_line", "report_on", "assessment"] {
            m.alter_table(Table::alter().table("link").drop_column(c).to_owned())
                .await?;
        }
        for c in ["author_account_id", "author_person_id", "recorded_at"] {
            m.alter_table(Table::alter().table("activity").drop_column(c).to_owned())
                .await?;
        }
        Ok(())
    }
}
