//! Community service projects of 双报到 (BF-7) and representatives' proposals 议案/建议
//! (DDB-5), issue 18.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("service_project")
                .col(pk_auto("id"))
                // The community that listed the need.
                .col(string_len("region_code", 40))
                .col(string_len("title", 200))
                .col(string_len("need", 2000))
                .col(date("listed_on"))
                .col(string_len_null("unit_code", 64))
                .col(date_null("claimed_on"))
                .col(date_null("completed_on"))
                .col(string_len("took_part", 500))
                .col(string_len("outcome", 2000))
                .col(date_null("confirmed_on"))
                .col(string_len("confirmed_by", 100))
                .col(string_len("confirmation", 500))
                .col(string_len("client_key", 64))
                .col(string_len("created_by", 100))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("proposal")
                .col(pk_auto("id"))
                // The liaison office (党代表联络办, 党建办) that compiled it.
                .col(string_len("unit_code", 64))
                .col(string_len("meeting", 100))
                // motion 议案, suggestion 建议
                .col(string_len("kind", 16))
                .col(string_len("title", 200))
                .col(string_len("content", 2000))
                .col(string_len("raised_by", 500))
                .col(date("submitted_on"))
                .col(string_len_null("forwarded_to", 64))
                .col(date_null("forwarded_on"))
                .col(date_null("due_on"))
                .col(boolean("extended"))
                .col(date_null("answered_on"))
                .col(string_len("answer", 2000))
                .col(date_null("closed_on"))
                .col(string_len("client_key", 64))
                .col(string_len("created_by", 100))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        // The ledger items (issues representatives collected) a proposal compiles.
        m.create_table(
            Table::create()
                .table("proposal_item")
                .col(pk_auto("id"))
                .col(integer("proposal_id"))
                .col(integer("item_id"))
                .to_owned(),
        )
        .await?;
        for (name, table, cols, unique) in [
            (
                "ux_service_project_client_key",
                "service_project",
                &["client_key"][..],
                true,
            ),
            (
                "ix_service_project_unit",
                "service_project",
                &["unit_code"][..],
                false,
            ),
            (
                "ix_service_project_region",
                "service_project",
                &["region_code"][..],
                false,
            ),
            (
                "ux_proposal_client_key",
                "proposal",
                &["client_key"][..],
                true,
            ),
            (
                "ix_proposal_unit_submitted",
                "proposal",
                &["unit_code", "submitted_on"][..],
                false,
            ),
            (
                "ux_proposal_item",
                "proposal_item",
                &["proposal_id", "item_id"][..],
                true,
            ),
        ] {
            let mut i = Index::create();
            i.name(name).table(table);
            for c in cols {
                i.col(*c);
            }
            if unique {
                i.unique();
            }
            m.create_index(i.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["proposal_item", "proposal", "service_project"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
