//! Issue 18's last pieces: a petition's 复查 and 复核 under the national clocks (the round, the
//! first handling's deadline kept while a review runs, the day the review answered); the aid
//! given on a condolence visit (what and its value, BF-1/BF-4, the household page and village
//! book); a representative's published contact details (DDB-4).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for (table, col) in [
            ("ledger_item", integer("review_round").default(0).to_owned()),
            ("ledger_item", date_null("answer_due")),
            ("ledger_item", date_null("reviewed_on")),
            ("activity", string_len_null("aid", 200)),
            ("activity", double_null("aid_value")),
        ] {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(col.to_owned())
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table("contact_publication")
                .col(pk_auto("id"))
                .col(integer("person_id"))
                .col(date("published_on"))
                // Where: 党代表工作室公示栏, 村务公开栏, 县委组织部网站 …
                .col(string_len("place", 200))
                .col(string_len("created_by", 100))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_contact_publication_person")
                .table("contact_publication")
                .col("person_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("contact_publication").to_owned())
            .await?;
        for (table, col) in [
            ("activity", "aid_value"),
            ("activity", "aid"),
            ("ledger_item", "reviewed_on"),
            ("ledger_item", "answer_due"),
            ("ledger_item", "review_round"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
