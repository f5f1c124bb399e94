// Two branches each added a revision on top of `1`, and git left conflict markers in `HEAD`.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/head_conflict/migrations");

fn main() {
    let _ = REVISIONS.len();
}
