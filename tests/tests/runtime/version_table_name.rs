//! Version table names the database would cut, empty or dotted ones are
//! refused by every operation before anything is created; a name of exactly
//! the longest length works, with its log and lock tables distinct.

use revchain::{Error, LockStrategy, MigrationConnection, Migrator};
use revchain_tests::{EXAMPLE, Probe};

fn assert_refused<T: std::fmt::Debug>(result: Result<T, Error>) {
    match result {
        Err(error @ Error::VersionTableName { .. }) => {
            let text = error.to_string();
            assert!(text.contains("\n  = help: choose another name"), "{text}");
        }
        other => panic!("expected a refused version table name, got {other:?}"),
    }
}

fn refused_before_anything_is_created(conn: &mut (impl MigrationConnection + Probe)) {
    let before = conn.tables();
    // 59 bytes: its `_lock` table (64) and, on PostgreSQL, a 60-byte name's
    // `_log` table (64) would be cut to 63 bytes.
    for name in [
        String::new(),
        "v".repeat(59),
        "v".repeat(200),
        "public.revchain_version".to_owned(),
        " padded".to_owned(),
    ] {
        let migrator = Migrator::new(&EXAMPLE)
            .version_table(name.as_str())
            .lock(LockStrategy::Table);
        assert_refused(migrator.upgrade(conn, "head"));
        assert_refused(migrator.stamp(conn, "head", false));
        assert_refused(migrator.current(conn));
        assert_refused(migrator.status(conn));
        assert_refused(migrator.verify(conn));
        assert_refused(migrator.lock_status(conn));
        assert_refused(migrator.upgrade_sql(revchain::Dialect::Postgres, None, "head"));
    }
    assert_eq!(conn.tables(), before, "nothing was created");
}

crate::on_every_backend!(
    bad_version_table_names_are_refused_on_sqlite,
    bad_version_table_names_are_refused_on_postgres,
    bad_version_table_names_are_refused_on_mysql,
    |conn| { refused_before_anything_is_created(&mut conn) }
);

fn longest_name_works(conn: &mut (impl MigrationConnection + Probe)) {
    let name = "v".repeat(revchain::MAX_TABLE_NAME_BYTES - "_lock".len());
    let migrator = Migrator::new(&EXAMPLE)
        .version_table(name.as_str())
        .lock(LockStrategy::Table);
    migrator.upgrade(conn, "head").unwrap();
    assert!(migrator.is_at_head(conn).unwrap());
    let tables = conn.tables();
    for table in [name.clone(), format!("{name}_log"), format!("{name}_lock")] {
        assert!(tables.contains(&table), "{table} missing from {tables:?}");
    }
    assert_eq!(
        conn.count(&format!("SELECT COUNT(*) AS n FROM {name}_log")),
        i64::try_from(EXAMPLE.len()).unwrap()
    );
}

crate::on_every_backend!(
    the_longest_version_table_name_works_on_sqlite,
    the_longest_version_table_name_works_on_postgres,
    the_longest_version_table_name_works_on_mysql,
    |conn| { longest_name_works(&mut conn) }
);
