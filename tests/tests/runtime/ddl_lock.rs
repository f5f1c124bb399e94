//! Table-lock timeouts of the DDL itself (PostgreSQL): a revision whose
//! statement waits too long for a table lock rolls back and runs again after
//! a back-off, each retry reported; once the retries run out, nothing of it
//! is applied and the error says so. SQLite refuses the options.

use std::time::Duration;

use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use revchain::{Error, Migrator, Progress};
use revchain_tests::{EXAMPLE, TestDatabase, TestSqlite};

/// The migrator of these tests: 200 ms per attempt, two retries.
fn migrator() -> Migrator<'static> {
    Migrator::new(&EXAMPLE)
        .ddl_lock_timeout(Some(Duration::from_millis(200)))
        .ddl_retries(2)
}

/// The id of the `n`th revision of the example chain, from 0.
fn id(n: usize) -> &'static str {
    EXAMPLE.as_slice()[n].id()
}

/// A database at `create_posts`, and a second connection holding `users`
/// in `ACCESS EXCLUSIVE` mode in an open transaction: the next revision,
/// `add_email_to_users`, waits for it.
fn blocked() -> Option<(TestDatabase, PgConnection, PgConnection)> {
    let db = TestDatabase::postgres()?;
    let mut conn = db.pg();
    migrator().upgrade(&mut conn, "+2").unwrap();
    let mut blocker = db.pg();
    blocker
        .batch_execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    Some((db, conn, blocker))
}

/// Whether `users` has an `email` column.
fn has_email(conn: &mut PgConnection) -> bool {
    conn.batch_execute("SELECT email FROM users LIMIT 0")
        .is_ok()
}

#[test]
fn a_revision_that_never_gets_its_table_lock_fails_after_its_retries_with_nothing_applied() {
    let Some((_db, mut conn, mut blocker)) = blocked() else {
        return;
    };
    let mut retries = Vec::new();
    let error = migrator()
        .upgrade_with_progress(&mut conn, "+1", &mut |event| {
            if let Progress::Retrying {
                id,
                attempt,
                of,
                reason,
                wait,
                ..
            } = event
            {
                retries.push((id, attempt, of, reason, wait));
            }
        })
        .expect_err("`users` is locked: the revision must give up");
    assert_eq!(
        retries,
        [1, 2].map(|attempt| (
            id(2).to_owned(),
            attempt,
            2,
            "canceling statement due to lock timeout".to_owned(),
            Duration::from_secs(u64::from(attempt))
        ))
    );
    let Error::DdlLockTimeout(timeout) = &error else {
        panic!("expected a DDL lock timeout, got: {error}");
    };
    assert_eq!(timeout.id, id(2));
    assert_eq!(timeout.attempts, 3);
    assert_eq!(timeout.at, id(1));
    assert_eq!(timeout.timeout, Some(Duration::from_millis(200)));
    let text = error.to_string();
    for part in [
        &format!(
            "revision `{}` could not get its table lock within 200 ms after 3 attempts (line 1 of `",
            id(2)
        ),
        "add_email_to_users/up.sql`: `ALTER TABLE users ADD COLUMN email VARCHAR(255)`): canceling statement due to lock timeout\n",
        "so nothing of `../migrations/2026-02-02-103000_add_email_to_users/up.sql` was applied",
        &format!("the database is still at `{}`", id(1)),
        "raise `--ddl-lock-timeout`",
        "`pg_stat_activity`",
    ] {
        assert!(text.contains(part), "{part:?} is not in:\n{text}");
    }
    blocker.batch_execute("ROLLBACK").unwrap();
    // Nothing was applied: still at `create_posts`, clean, without the
    // column; a run without the blocker then goes on.
    assert_eq!(
        migrator().current(&mut conn).unwrap().as_deref(),
        Some(id(1))
    );
    assert!(migrator().status(&mut conn).unwrap().dirty.is_none());
    assert!(!has_email(&mut conn));
    migrator().upgrade(&mut conn, "head").unwrap();
    assert!(migrator().is_at_head(&mut conn).unwrap());
}

#[test]
fn a_revision_retried_after_the_lock_is_released_is_applied() {
    let Some((_db, mut conn, mut blocker)) = blocked() else {
        return;
    };
    let mut events = Vec::new();
    let report = migrator()
        .upgrade_with_progress(&mut conn, "+1", &mut |event| {
            if matches!(event, Progress::Retrying { attempt: 1, .. }) {
                // The first attempt gave up: the blocking session ends.
                blocker.batch_execute("COMMIT").unwrap();
            }
            events.push(event);
        })
        .unwrap();
    let retried: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            Progress::Retrying {
                id, attempt, of, ..
            } => Some((id.as_str(), *attempt, *of)),
            _ => None,
        })
        .collect();
    assert_eq!(retried, [(id(2), 1, 2)]);
    let started = events
        .iter()
        .filter(|event| matches!(event, Progress::Starting { .. }))
        .count();
    assert_eq!(started, 2, "the revision starts once per attempt");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.to.as_deref(), Some(id(2)));
    assert!(has_email(&mut conn));
}

#[test]
fn a_run_without_a_blocker_sets_the_timeout_in_each_revisions_transaction() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    migrator().upgrade(&mut conn, "head").unwrap();
    assert!(migrator().is_at_head(&mut conn).unwrap());
    // `SET LOCAL` ended with each transaction.
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        lock_timeout: String,
    }
    let setting: Vec<Setting> =
        diesel::RunQueryDsl::load(diesel::sql_query("SHOW lock_timeout"), &mut conn).unwrap();
    assert_eq!(setting[0].lock_timeout, "0");
}

#[test]
fn sqlite_and_single_transaction_mode_refuse_the_options_before_writing() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    let error = migrator().upgrade(&mut conn, "head").unwrap_err();
    assert!(matches!(error, Error::DdlOptions { .. }), "{error}");
    assert!(error.to_string().contains("PostgreSQL only"), "{error}");
    assert_eq!(migrator().current(&mut conn).unwrap(), None);
    let error = Migrator::new(&EXAMPLE)
        .ddl_retries(1)
        .upgrade_sql(revchain::Dialect::Mysql, None, "head")
        .unwrap_err();
    assert!(matches!(error, Error::DdlOptions { .. }), "{error}");
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    let error = migrator()
        .single_transaction(true)
        .upgrade(&mut conn, "head")
        .unwrap_err();
    assert!(
        error.to_string().contains("single-transaction mode"),
        "{error}"
    );
    let error = Migrator::new(&EXAMPLE)
        .ddl_lock_timeout(Some(Duration::ZERO))
        .upgrade(&mut conn, "head")
        .unwrap_err();
    assert!(error.to_string().contains("1 ms to 24 days"), "{error}");
}
