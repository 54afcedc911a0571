//! Ledger items get what their life needs (the clock they run on, the resident, extension,
//! supervision, the resident's answer, key-case owner, repeat petitions) and an append-only
//! history of every step, `ledger_event`. Sensitive and special periods are declared in
//! `declared_period`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 16] = [
    "clock",
    "category",
    "resident_name",
    "resident_phone",
    "extended",
    "supervised",
    "supervision_deadline",
    "overdue_reason",
    "answer",
    "answered_on_behalf",
    "resolution",
    "resolved_on",
    "case_owner_person_id",
    "repeat_of",
    "feedback_token",
    "version",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for col in [
            string_len("clock", 16).default("item").to_owned(),
            string_len_null("category", 40),
            string_len_null("resident_name", 60),
            string_len_null("resident_phone", 40),
            boolean("extended").default(false).to_owned(),
            boolean("supervised").default(false).to_owned(),
            date_null("supervision_deadline"),
            text_null("overdue_reason"),
            string_len_null("answer", 16),
            boolean("answered_on_behalf").default(false).to_owned(),
            text_null("resolution"),
            date_null("resolved_on"),
            integer_null("case_owner_person_id"),
            integer_null("repeat_of"),
            string_len_null("feedback_token", 64),
            integer("version").default(0).to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table("ledger_item")
                    .add_column(col.to_owned())
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("ux_ledger_item_feedback_token")
                .table("ledger_item")
                .col("feedback_token")
                .unique()
                .to_owned(),
        )
        .await?;
        for cols in [
            &["level", "status"][..],
            &["region_code", "status"],
            &["deadline"],
            &["repeat_of"],
        ] {
            let mut i = Index::create();
            i.name(format!("ix_ledger_item_{}", cols.join("_")))
                .table("ledger_item");
            for c in cols {
                i.col(*c);
            }
            m.create_index(i.to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table("ledger_event")
                .col(pk_auto("id"))
                .col(integer("item_id"))
                .col(timestamp_with_time_zone("at"))
                .col(date("on_date"))
                .col(integer_null("account_id"))
                .col(string("actor"))
                .col(string_len("actor_role", 24))
                .col(string_len("action", 24))
                .col(string_len("from_status", 16))
                .col(string_len("to_status", 16))
                .col(string_len("level", 16))
                .col(text("note"))
                .col(text("data"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ledger_event_item")
                        .from("ledger_event", "item_id")
                        .to("ledger_item", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // Sensitive and special periods an administrator declares (XF-3, CG-2).
        m.create_table(
            Table::create()
                .table("declared_period")
                .col(pk_auto("id"))
                .col(string_len("kind", 16))
                .col(string_len_null("region_code", 40))
                .col(date("start_date"))
                .col(date("end_date"))
                .col(string("name"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ledger_event_item_id")
                .table("ledger_event")
                .col("item_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("ledger_event").to_owned())
            .await?;
        m.drop_table(Table::drop().table("declared_period").to_owned())
            .await?;
        for name in [
            "ux_ledger_item_feedback_token",
            "ix_ledger_item_level_status",
            "ix_ledger_item_region_code_status",
            "ix_ledger_item_deadline",
            "ix_ledger_item_repeat_of",
        ] {
            m.drop_index(Index::drop().name(name).table("ledger_item").to_owned())
                .await?;
        }
        for c in COLUMNS {
            m.alter_table(
                Table::alter()
                    .table("ledger_item")
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
