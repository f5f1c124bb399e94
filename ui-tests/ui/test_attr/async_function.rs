// diesel's connections are synchronous: an `async` test has nothing to await.
#[revchain::test]
async fn migrated(conn: &mut diesel::SqliteConnection) {
    let _ = conn;
}

fn main() {}
