// Without a connection argument, the backend is unknown.
#[revchain::test]
fn migrated() {}

fn main() {}
