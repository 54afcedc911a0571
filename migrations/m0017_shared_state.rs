//! Issue 19: what several lianxin processes serving one county must share. Counters (`stamp`)
//! that every process reads before it trusts what it remembers: `auth`, raised by a logout, a
//! changed password, a disabled account or a revoked token, so every process forgets its
//! remembered sessions at once; `registry`, raised by triggers on every write to households,
//! people, regions, units and links, so a remembered count of a list is used only while nothing
//! it counts has changed. The resident page's requests per minute, counted in the database
//! instead of each process's memory, so that two processes do not give a flood twice the
//! allowance. What a link's history is about (its target), indexed: a household's page read
//! every link's history. And the planner's statistics, without which SQLite searched a year's
//! links by kind and year instead of by household.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables a list of households or people counts through (its rows and the reader's reach).
const REGISTRY: [&str; 5] = ["household", "person", "region", "unit", "link"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("stamp")
                .col(string_len("name", 16).primary_key())
                .col(big_integer("n").default(0))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("INSERT INTO stamp (name, n) VALUES ('auth', 0), ('registry', 0)")
            .await?;
        let bump = "UPDATE stamp SET n = n + 1 WHERE name = 'registry'";
        match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION lianxin_registry_changed() RETURNS trigger LANGUAGE plpgsql \
                     AS $$ BEGIN {bump}; RETURN NULL; END $$"
                ))
                .await?;
                for t in REGISTRY {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER stamp_{t} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
                         ON {t} FOR EACH STATEMENT EXECUTE FUNCTION lianxin_registry_changed()"
                    ))
                    .await?;
                }
            }
            _ => {
                for t in REGISTRY {
                    for event in ["INSERT", "UPDATE", "DELETE"] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER stamp_{t}_{} AFTER {event} ON {t} \
                             BEGIN {bump}; END",
                            event.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
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
        db.execute_unprepared("ANALYZE").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_history_about")
                .table("history")
                .to_owned(),
        )
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
        let db = m.get_connection();
        match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                for t in REGISTRY {
                    db.execute_unprepared(&format!("DROP TRIGGER stamp_{t} ON {t}"))
                        .await?;
                }
                db.execute_unprepared("DROP FUNCTION lianxin_registry_changed()")
                    .await?;
            }
            _ => {
                for t in REGISTRY {
                    for event in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!("DROP TRIGGER stamp_{t}_{event}"))
                            .await?;
                    }
                }
            }
        }
        m.drop_table(Table::drop().table("stamp").to_owned()).await
    }
}
