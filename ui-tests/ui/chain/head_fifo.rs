// `HEAD` is a FIFO (made by `tests/ui.rs`, since git cannot keep one): the
// compiler refuses it at once instead of waiting for a writer.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/head_fifo/migrations");

fn main() {
    let _ = REVISIONS.len();
}
