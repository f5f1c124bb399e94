// One connection only: the second argument is the error.
#[revchain::test]
fn migrated(conn: &mut diesel::SqliteConnection, other: &mut diesel::SqliteConnection) {
    let _ = (conn, other);
}

fn main() {}
