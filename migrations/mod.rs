//! The schema, one source for SQLite and PostgreSQL. Applied at start-up and by `lianxin migrate`.
//! A migration, once released, is never edited: add a new one.

use sea_orm_migration::prelude::*;

mod m0001_registry;
mod m0002_access;
mod m0003_work;
mod m0004_calendar;
mod m0005_ledger;
mod m0006_reading;
mod m0007_policy;
mod m0008_item_key;
mod m0009_policy_in_force;
mod m0010_participant_invitation;
mod m0011_cards;
mod m0012_survey;
mod m0013_rota;
mod m0014_decision;
mod m0015_project_proposal;
mod m0016_review_aid_publication;
mod m0017_shared_state;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_registry::Migration),
            Box::new(m0002_access::Migration),
            Box::new(m0003_work::Migration),
            Box::new(m0004_calendar::Migration),
            Box::new(m0005_ledger::Migration),
            Box::new(m0006_reading::Migration),
            Box::new(m0007_policy::Migration),
            Box::new(m0008_item_key::Migration),
            Box::new(m0009_policy_in_force::Migration),
            Box::new(m0010_participant_invitation::Migration),
            Box::new(m0011_cards::Migration),
            Box::new(m0012_survey::Migration),
            Box::new(m0013_rota::Migration),
            Box::new(m0014_decision::Migration),
            Box::new(m0015_project_proposal::Migration),
            Box::new(m0016_review_aid_publication::Migration),
            Box::new(m0017_shared_state::Migration),
        ]
    }
}
