// The attribute goes on a function.
#[revchain::test]
struct Migrated;

fn main() {}
