//! The version row is never guessed: a row deleted while the log lists
//! applied revisions, and a version table the role cannot read, are errors,
//! never base.

use revchain::{Error, MigrationConnection, Migrator};
use revchain_tests::{EXAMPLE, Probe, TestDatabase};

const HEAD: &str = "2026-05-18-094500";

fn log_lines(conn: &mut impl Probe) -> i64 {
    conn.count("SELECT COUNT(*) AS n FROM revchain_version_log")
}

fn assert_row_missing(error: Result<impl std::fmt::Debug, Error>) {
    match error {
        Err(Error::VersionRowMissing { stamp, last, .. }) => {
            assert_eq!((stamp.as_str(), last.as_str()), (HEAD, HEAD));
        }
        other => panic!("expected a missing version row, got {other:?}"),
    }
}

fn deleted_row_is_not_base(conn: &mut (impl MigrationConnection + Probe)) {
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(conn, "head").unwrap();
    let lines = log_lines(conn);
    conn.run("DELETE FROM revchain_version");

    let error = migrator.upgrade(conn, "head").unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!("`stamp {HEAD}`")) && text.contains("has no row"),
        "{text}"
    );
    assert_row_missing(Err::<(), _>(error));
    // Nothing was applied again, and the row is still missing.
    assert_eq!(log_lines(conn), lines);
    assert_eq!(conn.count("SELECT COUNT(*) AS n FROM revchain_version"), 0);
    assert_row_missing(migrator.downgrade(conn, "base"));
    assert_row_missing(migrator.current(conn));
    assert_row_missing(migrator.status(conn));
    assert_row_missing(migrator.is_at_head(conn));
    assert_row_missing(migrator.ensure_at_head(conn));

    // What the error says to do repairs it.
    migrator.stamp(conn, HEAD, false).unwrap();
    assert!(migrator.is_at_head(conn).unwrap());
    assert_eq!(migrator.upgrade(conn, "head").unwrap().steps.len(), 0);
}

crate::on_every_backend!(
    deleted_version_row_is_refused_on_sqlite,
    deleted_version_row_is_refused_on_postgres,
    deleted_version_row_is_refused_on_mysql,
    |conn| { deleted_row_is_not_base(&mut conn) }
);

/// A row deleted after the first revision was reverted: the log says base,
/// and base it is.
#[test]
fn deleted_row_after_reverting_everything_is_base() {
    let db = revchain_tests::TestSqlite::new();
    let mut conn = db.conn();
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(&mut conn, "head").unwrap();
    migrator.downgrade(&mut conn, "base").unwrap();
    conn.run("DELETE FROM revchain_version");
    assert_eq!(migrator.current(&mut conn).unwrap(), None);
    assert_eq!(
        migrator.upgrade(&mut conn, "head").unwrap().steps.len(),
        EXAMPLE.len()
    );
}

/// A PostgreSQL role, dropped (with what it owns) when the test ends.
struct PgRole<'a> {
    db: &'a TestDatabase,
    name: String,
}

impl PgRole<'_> {
    fn url(&self) -> String {
        self.db
            .url
            .replacen("postgres@", &format!("{}@", self.name), 1)
    }
}

impl Drop for PgRole<'_> {
    fn drop(&mut self) {
        let mut conn = self.db.pg();
        let name = &self.name;
        conn.run(&format!(
            "DROP OWNED BY {name}; REVOKE ALL ON DATABASE {} FROM {name}",
            self.db.url.rsplit('/').next().unwrap()
        ));
        // The database is dropped after this; the role is the server's.
        drop(conn);
        let server = revchain_tests::postgres_server_url();
        let mut admin =
            <diesel::PgConnection as diesel::Connection>::establish(&format!("{server}/postgres"))
                .unwrap();
        admin.run(&format!("DROP ROLE IF EXISTS {name}"));
    }
}

#[test]
fn unreadable_version_table_is_an_error_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    if !db.url.contains("postgres@") {
        eprintln!("note: skipping: the server URL does not log in as `postgres`");
        return;
    }
    let mut conn = db.pg();
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(&mut conn, "head").unwrap();
    let name = format!("revchain_ro_{}", std::process::id());
    let database = db.url.rsplit('/').next().unwrap().to_owned();
    conn.run(&format!(
        "CREATE ROLE {name} LOGIN; GRANT CONNECT ON DATABASE {database} TO {name}"
    ));
    let role = PgRole { db: &db, name };
    let mut reader = <diesel::PgConnection as diesel::Connection>::establish(&role.url()).unwrap();
    for error in [
        migrator.current(&mut reader).map(drop).unwrap_err(),
        migrator.status(&mut reader).map(drop).unwrap_err(),
        migrator.is_at_head(&mut reader).map(drop).unwrap_err(),
    ] {
        let text = format!("{error}: {:?}", std::error::Error::source(&error));
        assert!(
            text.starts_with("database error while reading the version table `revchain_version`"),
            "{text}"
        );
        assert!(text.contains("permission denied"), "{text}");
    }
    let error = migrator.upgrade(&mut reader, "head").unwrap_err();
    let text = format!("{error}: {:?}", std::error::Error::source(&error));
    assert!(text.contains("permission denied"), "{text}");
    drop(reader);
}

/// A MySQL user, dropped when the test ends.
struct MysqlUser<'a> {
    db: &'a TestDatabase,
    name: String,
}

impl MysqlUser<'_> {
    fn create<'a>(db: &'a TestDatabase, suffix: &str, grants: &[String]) -> MysqlUser<'a> {
        let name = format!("rc_{suffix}_{}", std::process::id());
        let mut conn = db.mysql_conn();
        conn.run(&format!("CREATE USER '{name}'@'%'"));
        for grant in grants {
            conn.run(&format!("GRANT {grant} TO '{name}'@'%'"));
        }
        MysqlUser { db, name }
    }

    fn conn(&self) -> diesel::MysqlConnection {
        let url = self.db.url.replacen("root@", &format!("{}@", self.name), 1);
        <diesel::MysqlConnection as diesel::Connection>::establish(&url).unwrap()
    }
}

impl Drop for MysqlUser<'_> {
    fn drop(&mut self) {
        self.db
            .mysql_conn()
            .run(&format!("DROP USER IF EXISTS '{}'@'%'", self.name));
    }
}

#[test]
fn a_mysql_user_without_privileges_gets_errors_never_base() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    if !db.url.contains("root@") {
        eprintln!("note: skipping: the server URL does not log in as `root`");
        return;
    }
    let mut conn = db.mysql_conn();
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(&mut conn, "head").unwrap();
    let database = db.url.rsplit('/').next().unwrap().to_owned();
    let lines = log_lines(&mut conn);

    // SELECT only: reading works, writing is refused, nothing changes.
    let reader = MysqlUser::create(&db, "sel", &[format!("SELECT ON `{database}`.*")]);
    let mut reader_conn = reader.conn();
    assert_eq!(
        migrator.current(&mut reader_conn).unwrap().as_deref(),
        Some(HEAD)
    );
    migrator.verify(&mut reader_conn).unwrap();
    let error = migrator.stamp(&mut reader_conn, "base", false).unwrap_err();
    assert!(
        format!("{error} {:?}", std::error::Error::source(&error)).contains("denied"),
        "{error}"
    );
    assert_eq!(migrator.current(&mut conn).unwrap().as_deref(), Some(HEAD));
    assert_eq!(log_lines(&mut conn), lines);

    // No privilege on revchain's tables (only on another one): the version
    // table is hidden from it, and still never read as base.
    let stranger = MysqlUser::create(&db, "none", &[format!("SELECT ON `{database}`.`users`")]);
    let mut stranger_conn = stranger.conn();
    for error in [
        migrator.current(&mut stranger_conn).map(drop).unwrap_err(),
        migrator
            .is_at_head(&mut stranger_conn)
            .map(drop)
            .unwrap_err(),
        migrator.status(&mut stranger_conn).map(drop).unwrap_err(),
    ] {
        let text = format!("{error} {:?}", std::error::Error::source(&error));
        assert!(text.contains("denied"), "{text}");
    }
}
