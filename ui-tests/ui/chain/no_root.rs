// Every revision names a parent: `1` and `2` name each other.
static REVISIONS: revchain::Revisions = revchain::embed_revisions!("ui/chain/no_root/migrations");

fn main() {
    let _ = REVISIONS.len();
}
