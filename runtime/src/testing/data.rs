//! Data migrations tested at their revision: the database brought to the
//! parent of a revision, seeded by the test, the revision applied, and the
//! result checked by the test; or the reverse, for its `down.sql`.

use crate::target::resolve_prefix;
use crate::{Error, MigrationConnection, Migrator, Revision, Revisions};

/// One revision whose data migration a test checks.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use diesel::connection::SimpleConnection;
/// use diesel::{Connection, RunQueryDsl};
/// use revchain::testing::DataMigration;
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// let head = REVISIONS.head().unwrap().id();
/// let tables = DataMigration::new(&REVISIONS, head)
///     .unwrap()
///     .upgrade(
///         &mut conn,
///         // At the parent of the head: seed what the revision must carry over.
///         |conn| conn.batch_execute("SELECT 1").unwrap(),
///         // At the head: check what it did.
///         |conn, ()| {
///             #[derive(diesel::QueryableByName)]
///             struct Count {
///                 #[diesel(sql_type = diesel::sql_types::BigInt)]
///                 n: i64,
///             }
///             diesel::sql_query("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'")
///                 .get_result::<Count>(conn)
///                 .unwrap()
///                 .n
///         },
///     )
///     .unwrap();
/// assert!(tables > 0);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct DataMigration<'r> {
    migrator: Migrator<'r>,
    position: usize,
}

impl<'r> DataMigration<'r> {
    /// The revision `id` (or a unique prefix of one) of `revisions`, run
    /// with a default [`Migrator`].
    pub fn new(revisions: &'r Revisions, id: &str) -> Result<Self, Error> {
        Self::with_migrator(Migrator::new(revisions), id)
    }

    /// The revision `id` of the migrator's chain, run by `migrator`.
    pub fn with_migrator(migrator: Migrator<'r>, id: &str) -> Result<Self, Error> {
        let position = resolve_prefix(id, migrator.revisions())?;
        Ok(DataMigration { migrator, position })
    }

    /// The revision.
    pub fn revision(&self) -> &'r Revision {
        &self.migrator.revisions().as_slice()[self.position]
    }

    /// Brings the database to the revision's parent (up or down), calls
    /// `seed`, applies the revision, and returns what `check` returns;
    /// `check` gets what `seed` returned.
    pub fn upgrade<C, S, T>(
        &self,
        conn: &mut C,
        seed: impl FnOnce(&mut C) -> S,
        check: impl FnOnce(&mut C, S) -> T,
    ) -> Result<T, Error>
    where
        C: MigrationConnection,
    {
        self.move_to(conn, self.position.checked_sub(1))?;
        let seeded = seed(conn);
        self.migrator.upgrade(conn, self.revision().id())?;
        Ok(check(conn, seeded))
    }

    /// Brings the database to the revision (up or down), calls `seed`,
    /// reverts the revision (its `down.sql`), and returns what `check`
    /// returns; `check` gets what `seed` returned.
    pub fn downgrade<C, S, T>(
        &self,
        conn: &mut C,
        seed: impl FnOnce(&mut C) -> S,
        check: impl FnOnce(&mut C, S) -> T,
    ) -> Result<T, Error>
    where
        C: MigrationConnection,
    {
        self.move_to(conn, Some(self.position))?;
        let seeded = seed(conn);
        self.migrator.downgrade(conn, "-1")?;
        Ok(check(conn, seeded))
    }

    /// Upgrades or downgrades to `position` (`None`: base).
    fn move_to<C: MigrationConnection>(
        &self,
        conn: &mut C,
        position: Option<usize>,
    ) -> Result<(), Error> {
        let revisions = self.migrator.revisions();
        let current = self
            .migrator
            .current(conn)?
            .map(|id| crate::target::resolve_prefix(&id, revisions))
            .transpose()?;
        let target = position.map_or("base", |p| revisions.as_slice()[p].id());
        match current.cmp(&position) {
            std::cmp::Ordering::Less => self.migrator.upgrade(conn, target).map(drop),
            std::cmp::Ordering::Greater => self.migrator.downgrade(conn, target).map(drop),
            std::cmp::Ordering::Equal => Ok(()),
        }
    }
}
