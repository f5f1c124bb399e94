//! An edited applied revision, a revision inserted below the current one, and
//! a database ahead of the binary.

use revchain::{DriftReason, Error, Migrator};
use revchain_tests::fixtures::{DRIFT_EDITED, DRIFT_INSERTED, DRIFT_ORIGINAL, SHORT};

use crate::on_every_backend;

on_every_backend!(
    edited_revision_is_refused_sqlite,
    edited_revision_is_refused_postgres,
    edited_revision_is_refused_mysql,
    |conn| {
        Migrator::new(&DRIFT_ORIGINAL)
            .upgrade(&mut conn, "head")
            .unwrap();
        let edited = Migrator::new(&DRIFT_EDITED);
        // The cheap startup check sees it without reading the log.
        assert!(!edited.is_at_head(&mut conn).unwrap());
        for error in [
            edited.verify(&mut conn).unwrap_err(),
            edited.upgrade(&mut conn, "head").unwrap_err(),
        ] {
            match &error {
                Error::Drift { current, drifted } => {
                    assert_eq!(current, "3");
                    assert_eq!(drifted.len(), 1, "{error}");
                    assert_eq!(drifted[0].id, "2");
                    assert_eq!(
                        drifted[0].file,
                        "fixtures/drift_edited/migrations/2_create_b/up.sql"
                    );
                    assert!(matches!(drifted[0].reason, DriftReason::Edited { .. }));
                }
                other => panic!("expected drift, got {other}"),
            }
            assert!(
                error
                    .to_string()
                    .contains("`2` was edited after it was applied"),
                "{error}"
            );
        }
        // The original chain still verifies.
        Migrator::new(&DRIFT_ORIGINAL).verify(&mut conn).unwrap();
    }
);

on_every_backend!(
    inserted_revision_is_refused_sqlite,
    inserted_revision_is_refused_postgres,
    inserted_revision_is_refused_mysql,
    |conn| {
        Migrator::new(&DRIFT_ORIGINAL)
            .upgrade(&mut conn, "head")
            .unwrap();
        let error = Migrator::new(&DRIFT_INSERTED)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        match &error {
            Error::Drift { drifted, .. } => {
                assert_eq!(drifted.len(), 1, "{error}");
                assert_eq!(drifted[0].id, "1a");
                assert_eq!(drifted[0].reason, DriftReason::NeverApplied);
            }
            other => panic!("expected drift, got {other}"),
        }
    }
);

on_every_backend!(
    database_ahead_of_binary_is_refused_sqlite,
    database_ahead_of_binary_is_refused_postgres,
    database_ahead_of_binary_is_refused_mysql,
    |conn| {
        Migrator::new(&DRIFT_ORIGINAL)
            .upgrade(&mut conn, "head")
            .unwrap();
        let older = Migrator::new(&SHORT);
        let error = older.upgrade(&mut conn, "head").unwrap_err();
        match &error {
            Error::UnknownRevision { id, head } => {
                assert_eq!(id, "3");
                assert_eq!(head.as_deref(), Some("2"));
            }
            other => panic!("expected an unknown revision, got {other}"),
        }
        assert!(error.to_string().contains("newer build"), "{error}");
        // `current` still reports it, and status says it is unknown.
        assert_eq!(older.current(&mut conn).unwrap().as_deref(), Some("3"));
        let status = older.status(&mut conn).unwrap();
        assert!(!status.known && !status.is_at_head());
        assert!(matches!(
            older.verify(&mut conn),
            Err(Error::UnknownRevision { .. })
        ));
    }
);
