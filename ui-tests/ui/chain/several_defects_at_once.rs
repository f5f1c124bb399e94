// A misspelled key, a fork, a revision without `up.sql` and a stray file, all
// reported in one build.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/several_defects_at_once/migrations");

fn main() {
    let _ = REVISIONS.len();
}
