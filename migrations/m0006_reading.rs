//! The year's records are read whole by the rule engine: an index holding every column it reads
//! answers that from the index alone, instead of one table lookup per record (on the county
//! demo, 0.55 s → 0.14 s in SQLite). It replaces the index on the start date, its prefix.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 5] = ["start_date", "end_date", "kind", "hours", "companions"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut i = Index::create();
        i.name("ix_activity_period").table("activity");
        for c in COLUMNS {
            i.col(c);
        }
        m.create_index(i.to_owned()).await?;
        m.drop_index(
            Index::drop()
                .name("ix_activity_start_date")
                .table("activity")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_activity_start_date")
                .table("activity")
                .col("start_date")
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_activity_period")
                .table("activity")
                .to_owned(),
        )
        .await
    }
}
