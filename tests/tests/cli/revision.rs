//! `revision -m`: a new revision on top of the head, `HEAD` updated, and
//! nothing written when it fails.

use crate::{HEAD, Project};

#[test]
fn revision_creates_the_next_revision_and_updates_head() {
    let project = Project::new();
    let run = project
        .run(&[
            "revision",
            "-m",
            "Add bio to users",
            "--rev-id",
            "2026-06-01-000000",
        ])
        .ok();
    assert_eq!(
        run.stdout,
        "Generating migrations/2026-06-01-000000_add_bio_to_users ...  done\n\
         Updating migrations/HEAD -> 2026-06-01-000000 ...  done\n"
    );
    let dir = project
        .migrations()
        .join("2026-06-01-000000_add_bio_to_users");
    let metadata = std::fs::read_to_string(dir.join("metadata.toml")).unwrap();
    assert_eq!(
        metadata,
        format!("parent = \"{HEAD}\"\nmessage = \"Add bio to users\"\n")
    );
    let up = std::fs::read_to_string(dir.join("up.sql")).unwrap();
    assert!(up.starts_with("-- Add bio to users\n"), "{up}");
    assert!(dir.join("down.sql").is_file());
    assert_eq!(
        std::fs::read_to_string(project.migrations().join("HEAD")).unwrap(),
        "2026-06-01-000000\n"
    );
    // The same rules as the compiler accept it, and it is the new head.
    let chain = revchain_internals::load(&project.migrations(), "migrations").unwrap();
    assert_eq!(chain.head().unwrap().id, "2026-06-01-000000");
    assert_eq!(chain.head().unwrap().parent.as_deref(), Some(HEAD));
    project.run(&["check"]).ok().stdout_has("ok: 8 revisions");
    assert!(project.run(&["history"]).ok().stdout.starts_with(&format!(
        "{HEAD} -> 2026-06-01-000000 (head), Add bio to users\n"
    )));
    // A placeholder revision applies.
    let url = project.sqlite_url("db.sqlite");
    project.run_on(&url, &["upgrade"]).ok();
    assert_eq!(
        project.run_on(&url, &["current"]).ok().stdout,
        "2026-06-01-000000 (head)\n"
    );
}

#[test]
fn revision_ids_default_to_the_utc_time() {
    let project = Project::new();
    let run = project.run(&["revision", "-m", "add avatars"]).ok();
    let chain = revchain_internals::load(&project.migrations(), "migrations").unwrap();
    let head = chain.head().unwrap();
    let id = head.id.as_bytes();
    assert_eq!(id.len(), "2026-06-01-000000".len(), "{}", head.id);
    for (i, byte) in id.iter().enumerate() {
        match i {
            4 | 7 | 10 => assert_eq!(*byte, b'-', "{}", head.id),
            _ => assert!(byte.is_ascii_digit(), "{}", head.id),
        }
    }
    assert!(
        head.id.as_str() > HEAD,
        "{} is older than the example",
        head.id
    );
    assert_eq!(head.dir_name, format!("{}_add_avatars", head.id));
    assert!(run.stdout.contains(&head.dir_name));
}

#[test]
fn a_message_with_quotes_and_lines_round_trips() {
    let project = Project::new();
    let message = "Rename \"users\" \\ people\n\nLonger explanation.";
    project
        .run(&["revision", "-m", message, "--rev-id", "x1"])
        .ok();
    let chain = revchain_internals::load(&project.migrations(), "migrations").unwrap();
    let head = chain.head().unwrap();
    assert_eq!(head.message, message);
    assert_eq!(head.dir_name, "x1_rename_users_people");
    let run = project.run(&["history", "-r", "-0:"]).ok();
    assert_eq!(
        run.stdout,
        format!("{HEAD} -> x1 (head), Rename \"users\" \\ people\n")
    );
}

#[test]
fn revision_refuses_a_taken_id_and_writes_nothing() {
    let project = Project::new();
    let before = project.snapshot();
    project
        .run(&["revision", "-m", "again", "--rev-id", HEAD])
        .code(1)
        .stderr_has(&format!(
            "error: the revision id `{HEAD}` is taken by `migrations/{HEAD}_add_published_at_to_posts`"
        ));
    project
        .run(&["revision", "-m", "bad", "--rev-id", "bad id"])
        .code(1)
        .stderr_has("error: invalid `--rev-id`: the id `bad id` contains a space");
    project
        .run(&["revision", "-m", "  "])
        .code(1)
        .stderr_has("error: the message is empty");
    project.run(&["revision"]).code(2);
    assert_eq!(project.snapshot(), before);
}

#[test]
fn revision_refuses_a_broken_chain_and_writes_nothing() {
    let project = Project::new();
    project.fork();
    let before = project.snapshot();
    let run = project
        .run(&["revision", "-m", "on top", "--rev-id", "2026-07-01-000000"])
        .code(1)
        .stderr_has("error: fork: `2026-06-01-000000` and `2026-06-02-000000` both name");
    assert_eq!(run.stdout, "");
    assert_eq!(project.snapshot(), before);

    // A stale `HEAD` too: the compiler's message.
    let project = Project::new();
    project.set_head("2026-04-01-120000");
    let before = project.snapshot();
    project
        .run(&["revision", "-m", "on top"])
        .code(1)
        .stderr_has(&format!(
            "error: `migrations/HEAD` names `2026-04-01-120000`, but the head of the chain is `{HEAD}`"
        ));
    assert_eq!(project.snapshot(), before);
}

#[test]
fn the_first_revision_creates_the_directory() {
    let project = Project::empty();
    let run = project
        .run(&[
            "--dir",
            "db/migrations",
            "revision",
            "-m",
            "create users",
            "--rev-id",
            "1",
        ])
        .ok();
    assert_eq!(
        run.stdout,
        "Generating db/migrations/1_create_users ...  done\nUpdating db/migrations/HEAD -> 1 ...  done\n"
    );
    let dir = project.path().join("db/migrations");
    assert_eq!(
        std::fs::read_to_string(dir.join("1_create_users/metadata.toml")).unwrap(),
        "message = \"create users\"\n"
    );
    assert_eq!(std::fs::read_to_string(dir.join("HEAD")).unwrap(), "1\n");
    project
        .run(&["check", "--dir", "db/migrations"])
        .ok()
        .stdout_has("ok: 1 revision in one straight line, from `1` to `1` (head)");
    // The second goes on top of it.
    project
        .run(&[
            "revision",
            "-m",
            "create posts",
            "--rev-id",
            "2",
            "--dir",
            "db/migrations",
        ])
        .ok();
    assert_eq!(
        std::fs::read_to_string(dir.join("2_create_posts/metadata.toml")).unwrap(),
        "parent = \"1\"\nmessage = \"create posts\"\n"
    );
}

#[test]
fn revision_prints_json() {
    let project = Project::new();
    let run = project
        .run(&[
            "revision", "-m", "json", "--rev-id", "j1", "--format", "json",
        ])
        .ok();
    let value = run.json();
    assert_eq!(value["id"], "j1");
    assert_eq!(value["parent"], HEAD);
    assert_eq!(value["dir"], "migrations/j1_json");
}
