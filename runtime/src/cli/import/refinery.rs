//! refinery's layout: files `V<N>__<name>.sql`, in any subdirectory, run in
//! the order of `N`. Unversioned `U<N>__<name>.sql` files are refused: a
//! chain has one order, and refinery runs those in a separate one. Rust
//! migrations (`.rs`) are refused too: revchain runs SQL only. A file with
//! a line `-- refinery:noTransaction` runs outside a transaction, as
//! refinery runs it. refinery records the SipHash-1-3 of the file it ran in
//! `refinery_schema_history`: the file is kept byte for byte, annotation
//! included, so that adoption can check it.

use std::collections::BTreeMap;
use std::path::Path;

use revchain_internals::DefectKind;

use super::{Foreign, Layout, Problems, entries, shown, top_level_file};
use crate::cli::error::CliError;

/// Reads the refinery migrations under `dir`, shown as `display`, in
/// refinery's order.
pub(crate) fn read(dir: &Path, display: &str) -> Result<Layout, CliError> {
    let mut problems = Problems::default();
    let mut layout = Layout::default();
    let mut versions: BTreeMap<i32, Foreign> = BTreeMap::new();
    walk(
        dir,
        display,
        true,
        &mut versions,
        &mut layout,
        &mut problems,
    )?;
    layout.migrations = versions.into_values().collect();
    problems.into_result(layout)
}

fn walk(
    dir: &Path,
    display: &str,
    top: bool,
    versions: &mut BTreeMap<i32, Foreign>,
    layout: &mut Layout,
    problems: &mut Problems,
) -> Result<(), CliError> {
    for (name, path, is_dir) in entries(dir, display, problems)? {
        let source = shown(display, &name);
        if is_dir {
            walk(&path, &source, false, versions, layout, problems)?;
            continue;
        }
        let Some((prefix, version, migration_name, extension)) = parse(&name) else {
            if top {
                top_level_file(&name, display, layout, problems);
            } else {
                problems.push(
                    DefectKind::StrayFile,
                    format!("stray file `{source}` belongs to no migration"),
                    source,
                    "move it out of the migrations directory, then import again; nothing was written",
                );
            }
            continue;
        };
        if prefix == 'U' {
            problems.push(
                DefectKind::InvalidName,
                format!("`{source}` is an unversioned refinery migration: refinery runs those apart from the versioned ones, in an order of their own, and a revchain history is one line"),
                source,
                "rename it `V<N>__<name>.sql` with the version it should run at, or apply it outside the migrations, then import again",
            );
            continue;
        }
        if extension != "sql" {
            problems.push(
                DefectKind::UnexpectedFile,
                format!("`{source}` is a Rust migration: revchain runs SQL only"),
                source,
                "write its SQL in `V<N>__<name>.sql` instead, then import again",
            );
            continue;
        }
        let Ok(number) = version.parse::<i32>() else {
            problems.push(
                DefectKind::InvalidName,
                format!(
                    "the version `{version}` of `{source}` is not a whole number refinery accepts"
                ),
                source,
                "rename it `V<N>__<name>.sql` with a whole number N, then import again",
            );
            continue;
        };
        let up_sql = match revchain_internals::read_sql_file(&path, &source) {
            Ok(sql) => sql,
            Err(defect) => {
                problems.add(defect);
                continue;
            }
        };
        if let Some(first) = versions.get(&number) {
            problems.push(
                DefectKind::DuplicateId,
                format!(
                    "`{}` and `{source}` have the same version {number}",
                    first.source
                ),
                source,
                "give one of them a new version, then import again",
            );
            continue;
        }
        let mut foreign = Foreign {
            id: version.to_owned(),
            slug: migration_name.to_owned(),
            source,
            up_sql,
            run_in_transaction: true,
            ..Foreign::default()
        };
        if let Some((number, line)) = no_transaction_line(&foreign.up_sql) {
            let why = format!("line {number} of its SQL is `{line}`, refinery's annotation");
            foreign.outside_transaction(&why);
        }
        foreign
            .notes
            .push("no `down.sql`: refinery migrations cannot be reverted".to_owned());
        versions.insert(number, foreign);
    }
    Ok(())
}

/// The annotation refinery reads in a comment line of a migration.
const NO_TX_ANNOTATION: &str = "refinery:noTransaction";

/// The first line of `sql` that asks refinery to run the migration outside
/// a transaction: its number (from 1) and its text.
fn no_transaction_line(sql: &str) -> Option<(usize, &str)> {
    sql.lines()
        .enumerate()
        .find(|(_, line)| is_no_transaction_annotation(line))
        .map(|(index, line)| (index + 1, line))
}

/// Whether `line` is refinery's annotation, by refinery's own rule
/// (`parse_no_transaction` in refinery-core's `util.rs`, for `.sql` files):
/// each of `str::lines` is matched against
/// `^[-]{2,}[\s]?(refinery:noTransaction)$`, that is two dashes or more, at
/// most one whitespace character, then the annotation, case-sensitive, and
/// nothing else on the line. (refinery's `embed_migrations!` reads `.sql`
/// files with its rule for `.rs` files, `[-|\/]{2,}` in place of
/// `[-]{2,}`; a line such as `--/refinery:noTransaction`, which only that
/// rule accepts, is not read here.)
fn is_no_transaction_annotation(line: &str) -> bool {
    let rest = line.trim_start_matches('-');
    if line.len() - rest.len() < 2 {
        return false;
    }
    let mut chars = rest.chars();
    rest == NO_TX_ANNOTATION
        || chars.next().is_some_and(char::is_whitespace) && chars.as_str() == NO_TX_ANNOTATION
}

/// `V<N>__<name>.<ext>` (or `U…`): the prefix, the version text, the name
/// (`[A-Za-z0-9_]+`, as refinery's `\w+`) and the extension, `sql` or `rs`.
fn parse(file_name: &str) -> Option<(char, &str, &str, &str)> {
    let (stem, extension) = file_name.rsplit_once('.')?;
    if extension != "sql" && extension != "rs" {
        return None;
    }
    let prefix = stem.chars().next().filter(|c| matches!(c, 'U' | 'V'))?;
    let (version, name) = stem[1..].split_once("__")?;
    let valid_version = !version.is_empty() && version.chars().all(|c| c.is_ascii_digit());
    let valid_name =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (valid_version && valid_name).then_some((prefix, version, name, extension))
}

#[cfg(test)]
mod tests {
    use super::{no_transaction_line, parse};

    #[test]
    fn file_names_follow_refinerys_pattern() {
        assert_eq!(parse("V1__init.sql"), Some(('V', "1", "init", "sql")));
        assert_eq!(
            parse("U2__seed_data.sql"),
            Some(('U', "2", "seed_data", "sql"))
        );
        assert_eq!(parse("V3__x.rs"), Some(('V', "3", "x", "rs")));
        for other in [
            "V1_init.sql",
            "Vx__a.sql",
            "V1__a b.sql",
            "V1__.sql",
            "README.md",
            "V1__a.txt",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }

    #[test]
    fn the_no_transaction_annotation_follows_refinerys_rule() {
        for accepted in [
            "--refinery:noTransaction",
            "-- refinery:noTransaction",
            "---- refinery:noTransaction",
            "--\trefinery:noTransaction",
            "--\u{a0}refinery:noTransaction",
        ] {
            let sql = format!("CREATE TABLE t (id INT);\r\n{accepted}\r\nSELECT 1;\n");
            assert_eq!(
                no_transaction_line(&sql),
                Some((2, accepted)),
                "{accepted:?}"
            );
        }
        for refused in [
            "-- refinery:notransaction",
            "-- refinery:noTransaction now",
            "-- refinery:noTransaction ",
            "# refinery:noTransaction",
            "- refinery:noTransaction",
            "--  refinery:noTransaction",
            " -- refinery:noTransaction",
            "/* refinery:noTransaction */",
            "// refinery:noTransaction",
            "SELECT 1; -- refinery:noTransaction",
            "refinery:noTransaction",
        ] {
            let sql = format!("{refused}\nSELECT 1;\n");
            assert_eq!(no_transaction_line(&sql), None, "{refused:?}");
        }
    }
}
