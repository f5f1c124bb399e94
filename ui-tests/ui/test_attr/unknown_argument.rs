// An argument the attribute does not take: the error says which it takes.
#[revchain::test(database = "postgres://localhost/app")]
fn migrated(conn: &mut diesel::SqliteConnection) {
    let _ = conn;
}

fn main() {}
