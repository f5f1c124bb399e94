//! `revchain::testing::stairway` on every backend: each kind of failure is
//! reported with its revision, file, statement and the database's message,
//! or the schema difference, and the run goes on where the database's state
//! allows it.

use revchain::testing::{Check, Stairway, StairwayReport, stairway};
use revchain_tests::fixtures::{STAIRWAY_DIRTY, STAIRWAY_FAULTS, STAIRWAY_INDEXES};
use revchain_tests::{EXAMPLE, Probe, schema_tables};

use crate::on_every_backend;

fn failures(report: &StairwayReport) -> Vec<(Check, Option<&str>)> {
    report
        .failures
        .iter()
        .map(|f| (f.check, f.revision.as_deref()))
        .collect()
}

on_every_backend!(
    a_clean_history_passes_and_ends_at_base_sqlite,
    a_clean_history_passes_and_ends_at_base_postgres,
    a_clean_history_passes_and_ends_at_base_mysql,
    |conn| {
        let report = stairway(&EXAMPLE, &mut conn).unwrap();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.tested.len(), EXAMPLE.len());
        assert!(report.skipped.is_empty());
        assert!(report.downgraded_to_base);
        assert!(schema_tables(conn.tables()).is_empty());
    }
);

on_every_backend!(
    every_failure_is_reported_sqlite,
    every_failure_is_reported_postgres,
    every_failure_is_reported_mysql,
    |conn| {
        let report = stairway(&STAIRWAY_FAULTS, &mut conn).unwrap();
        assert!(!report.is_ok());
        // The failing `down.sql` of 2 is reported and the run goes on: 3, 4
        // and 5 are tested after it.
        assert_eq!(report.tested, ["1", "2", "3", "4", "5"], "{report}");
        assert_eq!(
            failures(&report),
            [
                (Check::Downgrade, Some("2")),
                (Check::Schema, Some("4")),
                (Check::Schema, Some("5")),
                (Check::Reupgrade, Some("5")),
            ],
            "{report}"
        );

        // A failing `down.sql`: its file, line, statement and the database's
        // message.
        let down = &report.failures[0];
        assert_eq!(
            down.file.as_deref(),
            Some("fixtures/stairway_faults/migrations/2_failing_down/down.sql")
        );
        assert_eq!(down.line, Some(1));
        assert_eq!(down.statement.as_deref(), Some("DROP TABLE no_such_table"));
        assert!(down.message.contains("no_such_table"), "{}", down.message);

        // A `down.sql` that drops too much.
        assert_eq!(report.failures[1].differences, ["removed: table `tags`"]);
        // A `down.sql` that leaves a column behind.
        let left = &report.failures[2].differences;
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(
            left[0].starts_with("left behind: column `users`.`email`"),
            "{left:?}"
        );
        // Which cannot be applied again: the run stops, and says why.
        let stopped = report.stopped.as_deref().unwrap();
        assert!(stopped.contains("`5` cannot be applied again"), "{stopped}");

        // A revision without `down.sql`: skipped and listed.
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].revision, "3");
        assert!(!report.downgraded_to_base);

        let text = report.to_string();
        assert!(
            text.contains("failed: revision `2`: `down.sql` failed"),
            "{text}"
        );
        assert!(
            text.contains("skipped the down step of 1 revision without `down.sql`: `3`"),
            "{text}"
        );
        assert!(
            text.ends_with("5 of 6 revisions tested, 4 failures"),
            "{text}"
        );
    }
);

on_every_backend!(
    an_index_left_behind_is_reported_sqlite,
    an_index_left_behind_is_reported_postgres,
    an_index_left_behind_is_reported_mysql,
    |conn| {
        let report = stairway(&STAIRWAY_INDEXES, &mut conn).unwrap();
        // 2's unique index goes with its table: nothing to report.
        assert_eq!(
            failures(&report),
            [(Check::Schema, Some("3")), (Check::Reupgrade, Some("3"))],
            "{report}"
        );
        assert_eq!(
            report.failures[0].differences,
            ["left behind: index `users_name` on `users` (`name`, `email`)"],
            "{report}"
        );
        assert_eq!(report.tested, ["1", "2", "3"]);
    }
);

on_every_backend!(
    a_half_applied_down_stops_only_where_ddl_is_not_transactional_sqlite,
    a_half_applied_down_stops_only_where_ddl_is_not_transactional_postgres,
    a_half_applied_down_stops_only_where_ddl_is_not_transactional_mysql,
    |conn| {
        let report = stairway(&STAIRWAY_DIRTY, &mut conn).unwrap();
        assert_eq!(
            failures(&report),
            [(Check::Downgrade, Some("2"))],
            "{report}"
        );
        assert_eq!(report.failures[0].line, Some(2));
        assert!(!report.downgraded_to_base);
        if std::any::type_name_of_val(&conn).contains("Mysql") {
            // MySQL committed the first `DROP TABLE`: the database is dirty,
            // and what follows cannot be tested.
            let stopped = report.stopped.as_deref().unwrap();
            assert!(stopped.contains("left the database dirty"), "{stopped}");
            assert_eq!(report.tested, ["1", "2"]);
        } else {
            // Rolled back with its transaction: the run goes on.
            assert_eq!(report.stopped, None, "{report}");
            assert_eq!(report.tested, ["1", "2", "3"]);
        }
    }
);

on_every_backend!(
    from_starts_the_stairway_later_sqlite,
    from_starts_the_stairway_later_postgres,
    from_starts_the_stairway_later_mysql,
    |conn| {
        let report = Stairway::new(&STAIRWAY_FAULTS)
            .from("4")
            .run(&mut conn)
            .unwrap();
        // 1 to 3 are only upgraded: neither 2's failing `down.sql` nor 3's
        // missing one is seen.
        assert_eq!(report.tested, ["4", "5"], "{report}");
        assert!(report.skipped.is_empty());
        assert_eq!(
            failures(&report),
            [
                (Check::Schema, Some("4")),
                (Check::Schema, Some("5")),
                (Check::Reupgrade, Some("5")),
            ]
        );
    }
);

on_every_backend!(
    refuses_a_database_not_at_base_sqlite,
    refuses_a_database_not_at_base_postgres,
    refuses_a_database_not_at_base_mysql,
    |conn| {
        revchain::Migrator::new(&EXAMPLE)
            .upgrade(&mut conn, "+1")
            .unwrap();
        let error = stairway(&EXAMPLE, &mut conn).unwrap_err().to_string();
        assert!(
            error.starts_with("the stairway needs a database at base"),
            "{error}"
        );
    }
);
