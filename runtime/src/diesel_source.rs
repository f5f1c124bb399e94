//! The embedded chain as diesel's `MigrationSource`, so that a project on
//! `diesel_migrations::MigrationHarness` can keep calling
//! `conn.run_pending_migrations(&REVISIONS)`.
//!
//! diesel applies pending migrations in ascending version order, compared as
//! strings, and records them in `__diesel_schema_migrations`. Each revision's
//! version is its id without `-` (diesel's own convention for directory
//! names), and `migrations()` refuses a chain whose versions do not sort in
//! chain order. On this path there is no lock, no drift check and no dirty
//! state: use [`Migrator`](crate::Migrator) for those. A database migrated
//! this way is adopted by `Migrator::upgrade` later.

use std::fmt;

use diesel::backend::Backend;
use diesel::connection::BoxableConnection;
use diesel::migration::{Migration, MigrationMetadata, MigrationName, MigrationVersion};
use revchain_internals::sql::Dialect;

use crate::backend::KnownBackend;
use crate::migrator::diesel_version;
use crate::{Revision, Revisions};

/// One revision seen through diesel's `Migration` trait.
struct DieselRevision {
    /// The chain (a cheap clone), and the revision's position in it.
    revisions: Revisions,
    position: usize,
    version: String,
    dialect: Dialect,
}

impl fmt::Display for DieselRevision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            self.revision()
                .dir()
                .rsplit('/')
                .next()
                .unwrap_or(self.revision().id())
        )
    }
}

impl MigrationName for DieselRevision {
    fn version(&self) -> MigrationVersion<'_> {
        MigrationVersion::from(self.version.as_str())
    }
}

impl MigrationMetadata for DieselRevision {
    fn run_in_transaction(&self) -> bool {
        self.revision().run_in_transaction()
    }
}

impl DieselRevision {
    fn revision(&self) -> &Revision {
        &self.revisions.as_slice()[self.position]
    }

    fn execute<DB: Backend>(
        &self,
        conn: &mut dyn BoxableConnection<DB>,
        file: &str,
        sql: &str,
    ) -> diesel::migration::Result<()> {
        let statements = revchain_internals::sql::split(sql, self.dialect).map_err(|error| {
            format!(
                "revision `{}`: `{}`: {error}",
                self.revision().id(),
                self.revision().file(file)
            )
        })?;
        for statement in statements {
            conn.batch_execute(statement.text).map_err(|error| {
                format!(
                    "revision `{}` failed at `{}` line {}: {}",
                    self.revision().id(),
                    self.revision().file(file),
                    statement.line,
                    crate::migrator::database_message(&error)
                )
            })?;
        }
        Ok(())
    }
}

impl<DB: Backend> Migration<DB> for DieselRevision {
    fn run(&self, conn: &mut dyn BoxableConnection<DB>) -> diesel::migration::Result<()> {
        self.execute(conn, "up.sql", self.revision().up_sql())
    }

    fn revert(&self, conn: &mut dyn BoxableConnection<DB>) -> diesel::migration::Result<()> {
        match self.revision().down_sql() {
            Some(sql) => self.execute(conn, "down.sql", sql),
            None => Err(format!(
                "cannot revert `{}`: it has no `{}`",
                self.revision().id(),
                self.revision().file("down.sql")
            )
            .into()),
        }
    }

    fn metadata(&self) -> &dyn MigrationMetadata {
        self
    }

    fn name(&self) -> &dyn MigrationName {
        self
    }
}

fn migrations<DB: Backend>(
    revisions: &Revisions,
    dialect: Dialect,
) -> diesel::migration::Result<Vec<Box<dyn Migration<DB>>>> {
    let mut previous: Option<(String, &str)> = None;
    let mut list: Vec<Box<dyn Migration<DB>>> = Vec::with_capacity(revisions.len());
    for (position, revision) in revisions.iter().enumerate() {
        let version = diesel_version(revision.id());
        if let Some((before, before_id)) = &previous
            && version <= *before
        {
            return Err(format!(
                    "diesel would apply revision `{}` before `{before_id}`, because it orders migrations by version (`{version}` sorts before `{before}`)\n  = help: use `revchain::Migrator`, which applies the chain in order",
                    revision.id()
                )
                .into());
        }
        previous = Some((version.clone(), revision.id()));
        list.push(Box::new(DieselRevision {
            revisions: revisions.clone(),
            position,
            version,
            dialect,
        }));
    }
    Ok(list)
}

impl<DB: KnownBackend> diesel::migration::MigrationSource<DB> for &Revisions {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<DB>>>> {
        migrations(self, DB::DIALECT)
    }
}
