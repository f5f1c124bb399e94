// Three branches each added a revision on top of `1`.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/fork_three_way/migrations");

fn main() {
    let _ = REVISIONS.len();
}
