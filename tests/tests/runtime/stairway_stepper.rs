//! The stairway's two ways of stepping, on every backend: a migrator that
//! takes a lock or runs in one transaction steps by whole runs, and reports
//! what the default stairway (one planned step at a time) reports; and after
//! a failed `down.sql`, the next step starts from the position read again
//! from the database.

use std::any::Any;

use diesel::{MysqlConnection, PgConnection, SqliteConnection};
use revchain::testing::{Check, Failure, Skipped, Stairway, StairwayConnection, StairwayReport};
use revchain::{Dialect, LockState, LockStrategy, Migrator, Revisions};
use revchain_tests::fixtures::{STAIRWAY_DIRTY, STAIRWAY_FAULTS, STAIRWAY_REREAD};
use revchain_tests::{EXAMPLE, Probe, TestDatabase, TestSqlite, schema_tables};

/// A connection to a fresh database, which is removed after it is closed.
struct Fresh<C> {
    conn: C,
    /// The database's name on its server (empty for SQLite): MySQL's
    /// messages quote it.
    name: String,
    /// The [`TestSqlite`] or [`TestDatabase`], dropped after `conn`.
    _db: Box<dyn Any>,
}

/// A fresh SQLite file.
fn sqlite() -> Option<Fresh<SqliteConnection>> {
    let db = TestSqlite::new();
    Some(Fresh {
        conn: db.conn(),
        name: String::new(),
        _db: Box::new(db),
    })
}

/// A fresh PostgreSQL database, `None` when the server is unreachable.
fn postgres() -> Option<Fresh<PgConnection>> {
    let db = TestDatabase::postgres()?;
    Some(Fresh {
        conn: db.pg(),
        name: db.name().to_owned(),
        _db: Box::new(db),
    })
}

/// A fresh MySQL/MariaDB database, `None` when the server is unreachable.
fn mysql() -> Option<Fresh<MysqlConnection>> {
    let db = TestDatabase::mysql()?;
    Some(Fresh {
        conn: db.mysql_conn(),
        name: db.name().to_owned(),
        _db: Box::new(db),
    })
}

/// What a report says, without its timings, and with the name of the
/// database `name` (quoted in MySQL's messages) left out.
type Outcome = (
    usize,
    Vec<String>,
    Vec<Skipped>,
    Vec<Failure>,
    Option<String>,
    bool,
);

fn outcome(report: &StairwayReport, name: &str) -> Outcome {
    let mut failures = report.failures.clone();
    if !name.is_empty() {
        for failure in &mut failures {
            failure.message = failure.message.replace(name, "<database>");
        }
    }
    (
        report.revisions,
        report.tested.clone(),
        report.skipped.clone(),
        failures,
        report.stopped.clone(),
        report.downgraded_to_base,
    )
}

/// The migrators that take a lock or run in one transaction, so that the
/// stairway steps by whole runs: single-transaction mode only where the
/// backend allows it (not MySQL).
fn whole_run_migrators(
    revisions: &Revisions,
    dialect: Dialect,
) -> Vec<(&'static str, Migrator<'_>)> {
    let mut migrators = vec![
        (
            "advisory",
            Migrator::new(revisions).lock(LockStrategy::Advisory),
        ),
        ("table", Migrator::new(revisions).lock(LockStrategy::Table)),
    ];
    if dialect != Dialect::Mysql {
        migrators.push((
            "single transaction",
            Migrator::new(revisions)
                .lock(LockStrategy::None)
                .single_transaction(true),
        ));
        migrators.push((
            "table, single transaction",
            Migrator::new(revisions)
                .lock(LockStrategy::Table)
                .single_transaction(true),
        ));
    }
    migrators
}

/// For a good history and histories with a failing `down.sql`: each
/// whole-run migrator's stairway, on its own fresh database, reports what
/// the default stairway reports; a stairway that went down to base leaves
/// the database at base, and no lock is left held.
fn whole_runs_report_as_steps<C: StairwayConnection + Probe>(
    fresh: fn() -> Option<Fresh<C>>,
    dialect: Dialect,
) {
    for (history, revisions) in [
        ("example", &EXAMPLE),
        ("stairway_faults", &STAIRWAY_FAULTS),
        ("stairway_dirty", &STAIRWAY_DIRTY),
        ("stairway_reread", &STAIRWAY_REREAD),
    ] {
        let Some(mut db) = fresh() else {
            return;
        };
        let expected = Stairway::new(revisions).run(&mut db.conn).unwrap();
        let expected_outcome = outcome(&expected, &db.name);
        // Each history is one of the cases this test is meant for.
        match history {
            "example" => assert!(expected.is_ok() && expected.downgraded_to_base),
            _ => assert!(
                expected
                    .failures
                    .iter()
                    .any(|f| f.check == Check::Downgrade),
                "{history}: {expected}"
            ),
        }
        drop(db);
        for (name, migrator) in whole_run_migrators(revisions, dialect) {
            let Some(mut db) = fresh() else {
                return;
            };
            let report = Stairway::with_migrator(migrator.clone())
                .run(&mut db.conn)
                .unwrap();
            assert_eq!(
                outcome(&report, &db.name),
                expected_outcome,
                "{history}, {name}:\n{report}\nexpected:\n{expected}"
            );
            if report.downgraded_to_base {
                assert_eq!(
                    migrator.current(&mut db.conn).unwrap(),
                    None,
                    "{history}, {name}"
                );
                assert!(
                    schema_tables(db.conn.tables()).is_empty(),
                    "{history}, {name}: {:?}",
                    db.conn.tables()
                );
            }
            let status = migrator.lock_status(&mut db.conn).unwrap();
            match (migrator_strategy(name), dialect) {
                (LockStrategy::Table, _) => {
                    assert_eq!(status.state, LockState::Free, "{history}, {name}: {status}");
                    // The steps took the lock: its row is there, released.
                    assert!(
                        db.conn
                            .tables()
                            .contains(&"revchain_version_lock".to_owned()),
                        "{history}, {name}: the stairway never took the `table` lock"
                    );
                    assert_eq!(
                        db.conn.count(
                            "SELECT COUNT(*) AS n FROM revchain_version_lock WHERE token IS NULL"
                        ),
                        1,
                        "{history}, {name}"
                    );
                }
                (LockStrategy::Advisory, Dialect::Sqlite) => {
                    assert_eq!(status.state, LockState::Unknown, "{history}, {name}");
                }
                (LockStrategy::Advisory, _) => {
                    assert_eq!(status.state, LockState::Free, "{history}, {name}: {status}");
                }
                _ => assert_eq!(status.state, LockState::NoLock, "{history}, {name}"),
            }
        }
    }
}

/// The lock strategy a migrator of [`whole_run_migrators`] was given.
fn migrator_strategy(name: &str) -> LockStrategy {
    match name {
        "advisory" => LockStrategy::Advisory,
        "table" | "table, single transaction" => LockStrategy::Table,
        _ => LockStrategy::None,
    }
}

#[test]
fn a_locking_or_single_transaction_stairway_reports_as_the_default_sqlite() {
    whole_runs_report_as_steps(sqlite, Dialect::Sqlite);
}

#[test]
fn a_locking_or_single_transaction_stairway_reports_as_the_default_postgres() {
    whole_runs_report_as_steps(postgres, Dialect::Postgres);
}

#[test]
fn a_locking_or_single_transaction_stairway_reports_as_the_default_mysql() {
    whole_runs_report_as_steps(mysql, Dialect::Mysql);
}

/// How many times the log records `revision` applied in `direction`.
fn logged(conn: &mut impl Probe, revision: &str, direction: &str) -> i64 {
    conn.count(&format!(
        "SELECT COUNT(*) AS n FROM revchain_version_log WHERE revision = '{revision}' AND direction = '{direction}'"
    ))
}

/// After 2's `down.sql` failed, the stairway reads the position again (2,
/// clean: nothing of the `down.sql` stayed) and tests 3 from there: 2 is
/// not applied again, 3 is applied, reverted and applied again without a
/// failure, and the database ends at 3 with the tables of 1 to 3. Except
/// on MySQL for `STAIRWAY_DIRTY`, whose `down.sql` of 2 fails at its second
/// statement after the first committed: the database is dirty, and the run
/// stops and says why. (On SQLite each step's claim also reads the version
/// again, under the write lock.)
fn steps_on_from_the_position_read_again<C: StairwayConnection + Probe>(
    fresh: fn() -> Option<Fresh<C>>,
    dialect: Dialect,
) {
    for revisions in [&STAIRWAY_REREAD, &STAIRWAY_DIRTY] {
        let Some(mut db) = fresh() else {
            return;
        };
        let conn = &mut db.conn;
        let report = Stairway::new(revisions).run(conn).unwrap();
        let failures: Vec<(Check, Option<&str>)> = report
            .failures
            .iter()
            .map(|f| (f.check, f.revision.as_deref()))
            .collect();
        assert_eq!(failures, [(Check::Downgrade, Some("2"))], "{report}");
        assert!(
            report.failures[0].message.contains("no_such_table"),
            "{report}"
        );
        // A failed `down.sql` means no downgrade from head to base.
        assert!(!report.downgraded_to_base, "{report}");
        let status = Migrator::new(revisions).status(conn).unwrap();
        let dirty = std::ptr::eq(revisions, &STAIRWAY_DIRTY) && dialect == Dialect::Mysql;
        if dirty {
            // MySQL committed the `DROP TABLE posts` before the failing
            // statement: the database is dirty at 2, and the run stops.
            let stopped = report.stopped.as_deref().unwrap();
            assert!(
                stopped.contains("the failed `down.sql` of `2` left the database dirty"),
                "{stopped}"
            );
            assert_eq!(report.tested, ["1", "2"], "{report}");
            assert_eq!(status.dirty.as_deref(), Some("2"));
            assert_eq!(logged(conn, "3", "up"), 0);
            continue;
        }
        assert_eq!(report.stopped, None, "{report}");
        assert_eq!(report.tested, ["1", "2", "3"], "{report}");
        assert!(report.skipped.is_empty(), "{report}");
        // Read again at 2: 2 is not applied a second time (as it would be
        // from a position read as 1), and its failed `down.sql` logged
        // nothing.
        assert_eq!(logged(conn, "2", "up"), 1);
        assert_eq!(logged(conn, "2", "down"), 0);
        // 3: up, down, up again.
        assert_eq!(logged(conn, "3", "up"), 2);
        assert_eq!(logged(conn, "3", "down"), 1);
        assert_eq!(status.current.as_deref(), Some("3"));
        assert_eq!(status.dirty, None);
        assert!(status.is_at_head());
        assert_eq!(schema_tables(conn.tables()), ["posts", "tags", "users"]);
    }
}

#[test]
fn after_a_failed_down_the_stairway_steps_on_from_the_position_read_again_sqlite() {
    steps_on_from_the_position_read_again(sqlite, Dialect::Sqlite);
}

#[test]
fn after_a_failed_down_the_stairway_steps_on_from_the_position_read_again_postgres() {
    steps_on_from_the_position_read_again(postgres, Dialect::Postgres);
}

#[test]
fn after_a_failed_down_the_stairway_steps_on_from_the_position_read_again_mysql() {
    steps_on_from_the_position_read_again(mysql, Dialect::Mysql);
}
