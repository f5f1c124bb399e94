// The connection's type chooses the backend, so it is named, not generic.
#[revchain::test]
fn migrated<C: diesel::Connection>(conn: &mut C) {
    let _ = conn;
}

fn main() {}
