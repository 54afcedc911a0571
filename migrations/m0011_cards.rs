//! Contact cards 连心卡 / 亲情卡 (LXK-1..3, LH-3) and the resident's door.
//!
//! What a card prints comes from the registry: a unit's phone, service scope, duties and
//! responsible persons, a village's (or town desk's) duty phone. Each printed card is a
//! version (`card`): the facts it carried, when and by whom, and for a household card the
//! secret its QR code carries. `card_delivery` records a card reaching its holder (or a unit
//! card reaching a service object). `resident_rating` keeps a household's yearly rating of its
//! linked cadre for the assessment.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for col in [
            string_len_null("phone", 40),
            text_null("service_scope"),
            text_null("duties"),
            string_len_null("responsible", 200),
        ] {
            m.alter_table(Table::alter().table("unit").add_column(col).to_owned())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table("region")
                .add_column(string_len_null("duty_phone", 40))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("card")
                .col(pk_auto("id"))
                // household or unit
                .col(string_len("holder_kind", 16))
                .col(string_len("holder_code", 64))
                .col(integer("version"))
                .col(text("facts"))
                .col(string_len_null("secret", 64))
                .col(timestamp_with_time_zone("printed_at"))
                .col(date("printed_on"))
                .col(string_len("printed_by", 100))
                // The first day its facts no longer matched the registry.
                .col(date_null("stale_since"))
                // The day a newer version replaced it; its secret works for the grace days.
                .col(date_null("superseded_on"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_card_version")
                .table("card")
                .col("holder_kind")
                .col("holder_code")
                .col("version")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_card_secret")
                .table("card")
                .col("secret")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("card_delivery")
                .col(pk_auto("id"))
                .col(integer("card_id"))
                // The household, or a unit card's service object.
                .col(string_len("recipient_code", 64))
                .col(date("delivered_on"))
                .col(string_len("recorded_by", 100))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(integer_null("activity_id"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_card_delivery_card")
                        .from("card_delivery", "card_id")
                        .to("card", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_card_delivery")
                .table("card_delivery")
                .col("card_id")
                .col("recipient_code")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("resident_rating")
                .col(pk_auto("id"))
                .col(string_len("household_code", 64))
                .col(integer("year"))
                .col(integer("person_id"))
                // satisfied, basically_satisfied, dissatisfied
                .col(string_len("rating", 24))
                .col(text("note"))
                .col(timestamp_with_time_zone("at"))
                // A staff member's session filled it in for the resident 代填.
                .col(integer_null("on_behalf_account_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_resident_rating")
                .table("resident_rating")
                .col("household_code")
                .col("year")
                .col("person_id")
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["resident_rating", "card_delivery", "card"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table("region")
                .drop_column("duty_phone")
                .to_owned(),
        )
        .await?;
        for c in ["phone", "service_scope", "duties", "responsible"] {
            m.alter_table(Table::alter().table("unit").drop_column(c).to_owned())
                .await?;
        }
        Ok(())
    }
}
