// `#[revchain::test]` adds `#[test]` itself: a second one is an error.
#[revchain::test]
#[test]
fn migrated(conn: &mut diesel::SqliteConnection) {
    let _ = conn;
}

fn main() {}
