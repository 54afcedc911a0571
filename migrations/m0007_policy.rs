//! Versions of the county's policy saved through the policy page: each save is a new row (the
//! history); the latest is the policy in force.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("policy_version")
                .col(pk_auto("id"))
                .col(text("text"))
                .col(string("saved_by"))
                .col(timestamp_with_time_zone("saved_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("policy_version").to_owned())
            .await
    }
}
