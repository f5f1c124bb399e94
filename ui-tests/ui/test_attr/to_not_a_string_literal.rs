// `to` takes a string literal, not a path.
#[revchain::test(to = head)]
fn migrated(conn: &mut diesel::SqliteConnection) {
    let _ = conn;
}

fn main() {}
