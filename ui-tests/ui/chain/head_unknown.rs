// `HEAD` names `5e8a41`, a revision whose directory was deleted.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/head_unknown/migrations");

fn main() {
    let _ = REVISIONS.len();
}
