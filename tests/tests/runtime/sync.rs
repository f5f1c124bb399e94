//! `Migrator::sync` through the migrator's own plan and apply: a revision
//! the chain lacks is reverted with the down SQL its log line stored, under
//! the same transaction and dirty-state rules as `downgrade`. On MySQL and
//! MariaDB, whose DDL commits at once, a revert that fails halfway leaves
//! the database dirty with that revision; elsewhere it rolls back whole.

use revchain::{Dialect, Error, MigrationConnection, Migrator, revision_checksum};
use revchain_tests::Probe;
use revchain_tests::fixtures::{DRIFT_ORIGINAL, SHORT};

/// `DRIFT_ORIGINAL` (1, 2, 3) applied, then a build with `SHORT` (1, 2):
/// `3` is reverted with its stored down SQL.
fn reverts_what_the_chain_lacks(conn: &mut (impl MigrationConnection + Probe)) {
    Migrator::new(&DRIFT_ORIGINAL)
        .upgrade(conn, "head")
        .unwrap();
    let short = Migrator::new(&SHORT);
    assert!(matches!(
        short.upgrade(conn, "head"),
        Err(Error::UnknownRevision { .. })
    ));
    let plan = short.sync_plan(conn).unwrap();
    assert_eq!(plan.common.as_deref(), Some("2"));
    assert_eq!(plan.revert.len(), 1);
    assert!(plan.revert[0].stored);
    assert!(plan.upgrade.is_empty());
    let report = short.sync(conn).unwrap();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.to.as_deref(), Some("2"));
    assert!(short.is_at_head(conn).unwrap());
    assert!(!conn.tables().contains(&"c".to_owned()));
    // The original build applies `3` again: its table was dropped.
    Migrator::new(&DRIFT_ORIGINAL)
        .upgrade(conn, "head")
        .unwrap();
}

crate::on_every_backend!(
    sync_reverts_with_stored_down_sql_on_sqlite,
    sync_reverts_with_stored_down_sql_on_postgres,
    sync_reverts_with_stored_down_sql_on_mysql,
    |conn| { reverts_what_the_chain_lacks(&mut conn) }
);

/// The stored down SQL of `3` fails at its second statement.
fn failing_revert(conn: &mut (impl MigrationConnection + Probe)) {
    Migrator::new(&DRIFT_ORIGINAL)
        .upgrade(conn, "head")
        .unwrap();
    let down = "DROP TABLE c;\nDROP TABLE no_such_table;\n";
    conn.run(&format!(
        "UPDATE revchain_version_log SET down_sql = '{down}', down_checksum = '{}' WHERE revision = '3'",
        revision_checksum(down)
    ));
    let short = Migrator::new(&SHORT);
    let error = short.sync(conn).unwrap_err();
    let Error::RevisionFailed(failed) = &error else {
        panic!("{error}");
    };
    assert_eq!(failed.id, "3");
    assert_eq!(failed.file, "revchain_version_log/3/down.sql");
    assert_eq!(failed.line, 2);
    let current = Migrator::new(&DRIFT_ORIGINAL);
    if conn.dialect() == Dialect::Mysql {
        // `DROP TABLE c` committed: dirty, and `sync` refuses until stamped.
        assert!(failed.help.contains("marked dirty"), "{}", failed.help);
        assert!(current.status(conn).unwrap().dirty.is_some());
        assert!(matches!(short.sync(conn), Err(Error::Dirty { .. })));
    } else {
        // Rolled back: still at `3`, clean, with `c`.
        assert!(current.is_at_head(conn).unwrap());
        assert!(conn.tables().contains(&"c".to_owned()));
    }
}

crate::on_every_backend!(
    a_failing_revert_follows_the_downgrade_rules_on_sqlite,
    a_failing_revert_follows_the_downgrade_rules_on_postgres,
    a_failing_revert_follows_the_downgrade_rules_on_mysql,
    |conn| { failing_revert(&mut conn) }
);
