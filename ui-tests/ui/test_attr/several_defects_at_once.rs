// An unknown argument, a `to` that is not a string, a repeated argument, an
// `async` function, a generic parameter, a `#[test]` of its own and a shared
// borrow: all reported in one build.
#[revchain::test(database = "app", to = head, to = "base")]
#[test]
async fn migrated<C>(conn: &C) {
    let _ = conn;
}

fn main() {}
