// Two branches both chose the id `2`.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/duplicate_id/migrations");

fn main() {
    let _ = REVISIONS.len();
}
