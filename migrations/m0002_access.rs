//! Accounts with grants (role + scope), sessions and API tokens in the database
//! (so several server processes share them), and the append-only audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("account")
                .col(pk_auto("id"))
                .col(string_len_uniq("username", 32))
                .col(string("display_name"))
                .col(integer_null("person_id").unique_key())
                .col(string("password_hash"))
                .col(boolean("must_change_password"))
                .col(boolean("disabled"))
                .col(integer("failed_logins").default(0))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_account_person")
                        .from("account", "person_id")
                        .to("person", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("account_grant")
                .col(pk_auto("id"))
                .col(integer("account_id"))
                .col(string_len("role", 32))
                .col(string_len("scope_kind", 16))
                .col(string_len_null("scope_code", 40))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_grant_account")
                        .from("account_grant", "account_id")
                        .to("account", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_grant_account")
                .table("account_grant")
                .col("account_id")
                .to_owned(),
        )
        .await?;

        // The id is the SHA-256 of the cookie's token: a copy of this table opens no session.
        m.create_table(
            Table::create()
                .table("session")
                .col(string_len("id", 64).primary_key())
                .col(integer("account_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(string_len("address", 64))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_session_account")
                        .from("session", "account_id")
                        .to("account", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_session_account")
                .table("session")
                .col("account_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("api_token")
                .col(pk_auto("id"))
                .col(string_len_uniq("token_hash", 64))
                .col(integer("account_id"))
                .col(string("name"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_token_account")
                        .from("api_token", "account_id")
                        .to("account", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        // Append-only: the application has no code path that updates or deletes here.
        m.create_table(
            Table::create()
                .table("audit")
                .col(pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(integer_null("account_id"))
                .col(string_len("username", 64))
                .col(string_len("action", 32))
                .col(string("target"))
                .col(text("detail"))
                .col(string_len("address", 64))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_action_at")
                .table("audit")
                .col("action")
                .col("at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_address_at")
                .table("audit")
                .col("address")
                .col("at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["audit", "api_token", "session", "account_grant", "account"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
