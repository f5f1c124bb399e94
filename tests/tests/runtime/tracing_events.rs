//! The feature `tracing`: a span per operation with its target and backend,
//! and an event per revision with its id, direction, duration and statement
//! count, all inside the operation's span, and the events of a wait for the
//! migration lock; recorded by a subscriber of the test's own, on all three
//! backends.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use diesel::Connection;
use std::time::Duration;

use revchain::{Dialect, LockStrategy, MigrationConnection, Migrator, Progress};
use revchain_internals::sql::split;
use revchain_tests::{EXAMPLE, TestDatabase, TestSqlite};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span or an event: its name (the event's message), target, fields, and
/// for an event the span it happened in.
#[derive(Clone, Debug)]
struct Recorded {
    name: String,
    target: String,
    fields: BTreeMap<String, String>,
    span: Option<u64>,
}

#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<BTreeMap<u64, Recorded>>>,
    events: Arc<Mutex<Vec<Recorded>>>,
    stack: Arc<Mutex<Vec<u64>>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        self.spans.lock().unwrap().insert(
            id,
            Recorded {
                name: span.metadata().name().to_owned(),
                target: span.metadata().target().to_owned(),
                fields,
                span: None,
            },
        );
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.events.lock().unwrap().push(Recorded {
            name: fields.remove("message").unwrap_or_default(),
            target: event.metadata().target().to_owned(),
            fields,
            span: self.stack.lock().unwrap().last().copied(),
        });
    }

    fn enter(&self, span: &Id) {
        self.stack.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        self.stack.lock().unwrap().pop();
    }
}

impl Recorder {
    /// The one span called `name`, and its id.
    fn span(&self, name: &str) -> (u64, Recorded) {
        let spans = self.spans.lock().unwrap();
        let found: Vec<_> = spans.iter().filter(|(_, s)| s.name == name).collect();
        assert_eq!(found.len(), 1, "spans called `{name}`: {spans:?}");
        (*found[0].0, found[0].1.clone())
    }

    /// The events with this message.
    fn events(&self, message: &str) -> Vec<Recorded> {
        let events = self.events.lock().unwrap();
        events
            .iter()
            .filter(|e| e.name == message)
            .cloned()
            .collect()
    }
}

/// While a single dispatcher is registered, tracing-core decides whether a
/// callsite is enabled with the default dispatcher of the thread that hits
/// it first: another test's thread, without a subscriber, would disable
/// revchain's callsites for this one. A second dispatcher kept alive makes
/// it ask every registered dispatcher instead.
fn keep_a_second_dispatcher() {
    static SECOND: OnceLock<tracing::Dispatch> = OnceLock::new();
    SECOND.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
}

/// Upgrades, downgrades and stamps under the recorder, and checks what it
/// recorded.
fn check<C: MigrationConnection>(conn: &mut C, dialect: Dialect, backend: &str) {
    keep_a_second_dispatcher();
    let recorder = Recorder::default();
    let migrator = Migrator::new(&EXAMPLE);
    tracing::subscriber::with_default(recorder.clone(), || {
        migrator.upgrade(conn, "head").unwrap();
        migrator.downgrade(conn, "-1").unwrap();
        migrator.stamp(conn, "head", false).unwrap();
    });

    let (upgrade, span) = recorder.span("upgrade");
    assert_eq!(span.target, "revchain");
    assert_eq!(span.fields["target"], "head");
    assert_eq!(span.fields["backend"], backend);
    let applied = recorder.events("revision applied");
    let ups: Vec<_> = applied
        .iter()
        .filter(|e| e.fields["direction"] == "up")
        .collect();
    assert_eq!(
        ups.len(),
        EXAMPLE.len(),
        "events: {:?}",
        recorder.events.lock().unwrap()
    );
    for (event, revision) in ups.iter().zip(EXAMPLE.iter()) {
        assert_eq!(event.target, "revchain");
        assert_eq!(event.span, Some(upgrade), "outside the upgrade's span");
        assert_eq!(event.fields["id"], revision.id());
        let statements = split(revision.up_sql(), dialect).unwrap().len();
        assert_eq!(event.fields["statements"], statements.to_string());
        let duration: f64 = event.fields["duration_ms"].parse().unwrap();
        assert!(duration >= 0.0);
    }

    let (downgrade, span) = recorder.span("downgrade");
    assert_eq!(span.fields["target"], "-1");
    assert_eq!(span.fields["backend"], backend);
    let downs: Vec<_> = applied
        .iter()
        .filter(|e| e.fields["direction"] == "down")
        .collect();
    assert_eq!(downs.len(), 1);
    let head = EXAMPLE.head().unwrap();
    assert_eq!(downs[0].fields["id"], head.id());
    assert_eq!(downs[0].span, Some(downgrade));

    let (_, span) = recorder.span("stamp");
    assert_eq!(span.fields["target"], "head");
    assert_eq!(span.fields["backend"], backend);
    assert_eq!(applied.len(), EXAMPLE.len() + 1, "a stamp runs no revision");
}

#[test]
fn spans_and_revision_events_are_recorded_on_sqlite() {
    let db = TestSqlite::new();
    check(&mut db.conn(), Dialect::Sqlite, "sqlite");
}

#[test]
fn spans_and_revision_events_are_recorded_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    check(&mut db.pg(), Dialect::Postgres, "postgres");
}

#[test]
fn spans_and_revision_events_are_recorded_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut conn = diesel::MysqlConnection::establish(&db.url).unwrap();
    check(&mut conn, Dialect::Mysql, "mysql");
}

/// While `holder` holds the migration lock, an upgrade on `waiter` waits:
/// the events of its wait (one per [`Progress::Waiting`] report, which come
/// after about a second) and of taking the lock once it is free.
fn lock_wait_events<C: MigrationConnection + Send + 'static>(
    strategy: LockStrategy,
    holder: C,
    mut waiter: C,
) {
    keep_a_second_dispatcher();
    let waiting = crate::locks::while_holding(strategy, holder, |migrator| {
        let migrator = migrator.clone();
        let waiting = std::thread::spawn(move || {
            let recorder = Recorder::default();
            let mut reports = 0;
            tracing::subscriber::with_default(recorder.clone(), || {
                migrator
                    .upgrade_with_progress(&mut waiter, "head", &mut |event| {
                        if matches!(event, Progress::Waiting { .. }) {
                            reports += 1;
                        }
                    })
                    .unwrap();
            });
            (recorder, reports)
        });
        // Long enough for the waiter to try, and to report its wait.
        std::thread::sleep(Duration::from_millis(2500));
        waiting
    });
    let (recorder, reports) = waiting.join().unwrap();
    let waits = recorder.events("waiting for the migration lock");
    assert_eq!(waits.len(), reports);
    assert!(waits.iter().all(|e| e.fields.contains_key("holder")));
    let taken = recorder.events("migration lock taken after waiting");
    assert_eq!(taken.len(), 1, "{:?}", recorder.events.lock().unwrap());
    assert!(taken[0].fields["waited_ms"].parse::<f64>().unwrap() > 0.0);
    let (upgrade, _) = recorder.span("upgrade");
    assert_eq!(taken[0].span, Some(upgrade));
}

#[test]
fn lock_waits_are_recorded_on_sqlite() {
    let db = TestSqlite::new();
    lock_wait_events(LockStrategy::Table, db.conn(), db.conn());
}

#[test]
fn lock_waits_are_recorded_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    lock_wait_events(LockStrategy::Advisory, db.pg(), db.pg());
}

#[test]
fn lock_waits_are_recorded_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    lock_wait_events(LockStrategy::Advisory, db.mysql_conn(), db.mysql_conn());
}
