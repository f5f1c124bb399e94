// Following parents from `2` leads through `4` and `3` back to `2`.
static REVISIONS: revchain::Revisions = revchain::embed_revisions!("ui/chain/cycle/migrations");

fn main() {
    let _ = REVISIONS.len();
}
