// `up.sql` holds a NUL byte, which no database accepts in SQL text: the
// compiler refuses it, as `revchain check` and the runtime do.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/sql_nul_byte/migrations");

fn main() {
    let _ = REVISIONS.len();
}
