// An argument without `= VALUE`: the error says what the attribute takes.
#[revchain::test(to)]
fn migrated(conn: &mut diesel::SqliteConnection) {
    let _ = conn;
}

fn main() {}
