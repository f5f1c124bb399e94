// With no argument the directory is `migrations` next to `Cargo.toml`. The
// runner copies `ui/pass/default_path/migrations` there, into trybuild's
// project, since no other case uses that path.
static REVISIONS: revchain::Revisions = revchain::embed_revisions!();

fn main() {
    let ids: Vec<&str> = REVISIONS.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["default-path-1"]);
    assert_eq!(
        REVISIONS.head().map(|r| r.dir()),
        Some("migrations/default-path-1_init")
    );
}
