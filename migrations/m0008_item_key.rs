//! A ledger item registered through the API or the registration page carries the key its form
//! (or client) made once: sent again, it is recorded once. Unique; empty for items raised by
//! work records and imports (they have their own keys).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("ledger_item")
                .add_column(ColumnDef::new("client_key").string().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_ledger_item_client_key")
                .table("ledger_item")
                .col("client_key")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_ledger_item_client_key")
                .table("ledger_item")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("ledger_item")
                .drop_column("client_key")
                .to_owned(),
        )
        .await
    }
}
