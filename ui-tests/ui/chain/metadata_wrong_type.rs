// `run_in_transaction` is a string instead of a boolean.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/metadata_wrong_type/migrations");

fn main() {
    let _ = REVISIONS.len();
}
