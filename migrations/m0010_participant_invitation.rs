//! A record may name a participant beyond its author's reach (a county leader on a village
//! cadre's visit): that person is invited, by ID number, and the record counts for them only
//! once they confirm (the invitation then becomes an `activity_participant` row). An ID number
//! nobody holds is kept the same way, so that naming one tells the author nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("activity_invitation")
                .col(integer("activity_id"))
                .col(string_len("id_number", 18))
                .col(timestamp_with_time_zone("invited_at"))
                .primary_key(Index::create().col("activity_id").col("id_number"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_activity_invitation_activity")
                        .from("activity_invitation", "activity_id")
                        .to("activity", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_activity_invitation_id_number")
                .table("activity_invitation")
                .col("id_number")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("activity_invitation").to_owned())
            .await
    }
}
