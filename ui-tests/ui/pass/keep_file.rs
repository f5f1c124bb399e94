// `.keep`, which `diesel setup` leaves in the migrations directory, may stay
// there next to the revisions.
static REVISIONS: revchain::Revisions = revchain::embed_revisions!("ui/pass/keep_file/migrations");

fn main() {
    let ids: Vec<&str> = REVISIONS.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["1"]);
}
