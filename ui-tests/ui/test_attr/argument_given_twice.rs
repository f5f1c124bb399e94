// The same argument twice: the second one is the error.
#[revchain::test(to = "base", to = "head")]
fn migrated(conn: &mut diesel::SqliteConnection) {
    let _ = conn;
}

fn main() {}
