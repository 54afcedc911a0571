//! Regions, units, people, households and members; links and activities; the history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("ix_{}_{}", table, cols.join("_")))
        .table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("region")
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 20))
                .col(string("name"))
                .col(string_len("level", 16))
                .col(string_len_null("parent_code", 20))
                .col(string("tags").default(""))
                .col(string("path"))
                .col(string("pinyin").default(""))
                .col(string("initials").default(""))
                .foreign_key(&mut fk(
                    "fk_region_parent",
                    ("region", "parent_code"),
                    ("region", "code"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("region", &["parent_code"], false))
            .await?;
        m.create_index(index("region", &["path"], false)).await?;

        m.create_table(
            Table::create()
                .table("unit")
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 40))
                .col(string("name"))
                .col(string_len("kind", 32))
                .col(string_len("region_code", 20))
                .col(string_len_null("parent_code", 40))
                .col(string("tags").default(""))
                .col(string_len_null("supervision_phone", 20))
                .col(string("pinyin").default(""))
                .col(string("initials").default(""))
                .foreign_key(&mut fk(
                    "fk_unit_region",
                    ("unit", "region_code"),
                    ("region", "code"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("unit", &["region_code"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("person")
                .col(pk_auto("id"))
                .col(string_len_uniq("id_number", 18))
                .col(string("name"))
                .col(string_len_null("phone", 20))
                .col(string_len("unit_code", 40))
                .col(string_null("post"))
                .col(string("roles").default(""))
                .col(string_len_null("region_code", 20))
                .col(string("area_codes").default(""))
                .col(date_null("term_start"))
                .col(boolean_null("grassroots_experience"))
                .col(string_len_null("branch_code", 40))
                .col(string("pinyin").default(""))
                .col(string("initials").default(""))
                .foreign_key(&mut fk(
                    "fk_person_unit",
                    ("person", "unit_code"),
                    ("unit", "code"),
                ))
                .foreign_key(&mut fk(
                    "fk_person_region",
                    ("person", "region_code"),
                    ("region", "code"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("person", &["unit_code"], false))
            .await?;
        m.create_index(index("person", &["region_code"], false))
            .await?;
        m.create_index(index("person", &["initials"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("household")
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 40))
                .col(string("head_name"))
                .col(string_len_null("head_id_number", 18))
                .col(string_len("region_code", 20))
                .col(string_null("address"))
                .col(string_len_null("phone", 20))
                .col(integer_null("size"))
                .col(string("tags").default(""))
                .col(string_null("income_sources"))
                .col(text_null("situation"))
                .col(string("pinyin").default(""))
                .col(string("initials").default(""))
                .foreign_key(&mut fk(
                    "fk_household_region",
                    ("household", "region_code"),
                    ("region", "code"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("household", &["region_code"], false))
            .await?;
        m.create_index(index("household", &["initials"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("member")
                .col(pk_auto("id"))
                .col(integer("household_id"))
                .col(string("member_key"))
                .col(string("name"))
                .col(string_len_null("id_number", 18))
                .col(string_null("relation"))
                .col(string_len_null("phone", 20))
                .col(string_null("employment"))
                .col(string_null("health"))
                .col(string("pinyin").default(""))
                .col(string("initials").default(""))
                .foreign_key(&mut fk(
                    "fk_member_household",
                    ("member", "household_id"),
                    ("household", "id"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("member", &["household_id", "member_key"], true))
            .await?;

        m.create_table(
            Table::create()
                .table("link")
                .col(pk_auto("id"))
                .col(string_uniq("link_key"))
                .col(integer("year"))
                .col(integer_null("person_id"))
                .col(string_len_null("unit_code", 40))
                .col(string_len("kind", 40))
                .col(string_len("target_code", 60))
                .col(date_null("start_date"))
                .col(date_null("end_date"))
                .foreign_key(&mut fk(
                    "fk_link_person",
                    ("link", "person_id"),
                    ("person", "id"),
                ))
                .foreign_key(&mut fk(
                    "fk_link_unit",
                    ("link", "unit_code"),
                    ("unit", "code"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("link", &["person_id", "year"], false))
            .await?;
        m.create_index(index("link", &["target_code"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("activity")
                .col(pk_auto("id"))
                .col(string_len_uniq("fingerprint", 32))
                .col(date("start_date"))
                .col(date("end_date"))
                .col(string_len("kind", 32))
                .col(integer_null("companions"))
                .col(double_null("hours"))
                .col(text_null("notes"))
                .col(text("matters").default(""))
                .to_owned(),
        )
        .await?;
        m.create_index(index("activity", &["start_date"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("activity_participant")
                .col(integer("activity_id"))
                .col(integer("person_id"))
                .primary_key(Index::create().col("activity_id").col("person_id"))
                .foreign_key(&mut fk(
                    "fk_ap_activity",
                    ("activity_participant", "activity_id"),
                    ("activity", "id"),
                ))
                .foreign_key(&mut fk(
                    "fk_ap_person",
                    ("activity_participant", "person_id"),
                    ("person", "id"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("activity_participant", &["person_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("activity_target")
                .col(integer("activity_id"))
                .col(string_len("target_code", 60))
                .primary_key(Index::create().col("activity_id").col("target_code"))
                .foreign_key(&mut fk(
                    "fk_at_activity",
                    ("activity_target", "activity_id"),
                    ("activity", "id"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("activity_target", &["target_code"], false))
            .await?;

        // Append-only: the application has no code path that updates or deletes here.
        m.create_table(
            Table::create()
                .table("history")
                .col(pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("actor"))
                .col(string_len("entity", 32))
                .col(string_len("entity_key", 60))
                .col(string_len("action", 16))
                .col(text("changes"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("history", &["entity", "entity_key"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "history",
            "activity_target",
            "activity_participant",
            "activity",
            "link",
            "member",
            "household",
            "person",
            "unit",
            "region",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
