// A revision has `down.sql` and `metadata.toml`, but no `up.sql`.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/up_sql_missing/migrations");

fn main() {
    let _ = REVISIONS.len();
}
