// The connection is borrowed from the test's database, not owned.
#[revchain::test]
fn migrated(conn: diesel::SqliteConnection) {
    let _ = conn;
}

fn main() {}
