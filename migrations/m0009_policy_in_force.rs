//! A saved policy version carries the day it takes effect: each period is judged by the
//! version in force on its first day. Versions saved before this had none: they count from the
//! start, as they were used.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("policy_version")
                .add_column(ColumnDef::new("in_force_from").date().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("policy_version")
                .drop_column("in_force_from")
                .to_owned(),
        )
        .await
    }
}
