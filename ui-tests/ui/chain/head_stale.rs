// `3` was added by hand without updating `HEAD`.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/head_stale/migrations");

fn main() {
    let _ = REVISIONS.len();
}
