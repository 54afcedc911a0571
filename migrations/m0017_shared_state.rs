//! Issue 19: what several lianxin processes serving one county must share. One counter that
//! every process reads before it trusts a session it remembers (a logout, a changed password, a
//! disabled account or a revoked token raises it, so every process forgets at once); and the
//! resident page's requests per minute, counted in the database instead of each process's
//! memory, so that two processes do not give a flood twice the allowance. And what a link's
//! history is about (its target), indexed: a household's page read every link's history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("auth_epoch")
                .col(integer("id").primary_key())
                .col(big_integer("n").default(0))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table("auth_epoch")
                .columns(["id", "n"])
                .values_panic([1.into(), 0i64.into()])
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("rate_count")
                // A hash of what is counted (a card's secret, an address), never the thing.
                .col(string_len("key", 80))
                .col(big_integer("minute"))
                .col(integer("n").default(0))
                .primary_key(Index::create().col("key").col("minute"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("history")
                .add_column(string_len_null("about", 64))
                .to_owned(),
        )
        .await?;
        // The target is the key's fourth part: `year|holder|kind|target`.
        let fill = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE history SET about = split_part(entity_key, '|', 4) WHERE entity = 'link'"
                    .to_string()
            }
            _ => {
                let rest = |s: &str| format!("substr({s}, instr({s}, '|') + 1)");
                format!(
                    "UPDATE history SET about = {} WHERE entity = 'link'",
                    rest(&rest(&rest("entity_key")))
                )
            }
        };
        m.get_connection().execute_unprepared(&fill).await?;
        m.create_index(
            Index::create()
                .name("ix_history_about")
                .table("history")
                .col("about")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_history_about").table("history").to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table("history")
                .drop_column("about")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("rate_count").to_owned())
            .await?;
        m.drop_table(Table::drop().table("auth_epoch").to_owned())
            .await
    }
}
