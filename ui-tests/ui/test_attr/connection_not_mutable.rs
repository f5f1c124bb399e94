// diesel runs queries through `&mut` a connection: a shared borrow is an error.
#[revchain::test]
fn migrated(conn: &diesel::SqliteConnection) {
    let _ = conn;
}

fn main() {}
