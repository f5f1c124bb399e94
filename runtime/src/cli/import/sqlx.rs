//! sqlx's layout: files `<VERSION>_<DESCRIPTION>.sql`, or pairs
//! `<VERSION>_<DESCRIPTION>.up.sql` and `.down.sql`, run in the order of the
//! version read as an `i64`. A file whose SQL starts with
//! `-- no-transaction` runs outside a transaction. sqlx records the SHA-384
//! of the file it ran in `_sqlx_migrations`: the `up` file is kept byte for
//! byte, so that adoption can check it.

use std::collections::BTreeMap;
use std::path::Path;

use revchain_internals::{DefectKind, repair_slug, split_directory_name, validate_id};

use super::{Foreign, Layout, Problems, entries, shown, top_level_file};
use crate::cli::error::CliError;

/// The marker sqlx reads on the first line of a migration.
const NO_TX_MARKER: &str = "-- no-transaction";

/// The `up` and `down` files of one version.
#[derive(Default)]
struct Pair {
    id: String,
    description: String,
    up: Option<(String, String)>,
    down: Option<String>,
}

/// Reads the sqlx migrations in `dir`, shown as `display`, in sqlx's order.
pub(crate) fn read(dir: &Path, display: &str) -> Result<Layout, CliError> {
    let mut problems = Problems::default();
    let mut layout = Layout::default();
    let mut versions: BTreeMap<i64, Pair> = BTreeMap::new();
    for (name, path, is_dir) in entries(dir, display, &mut problems)? {
        let source = shown(display, &name);
        if is_dir {
            problems.push(
                DefectKind::StrayFile,
                format!("`{source}` is a directory: sqlx reads only the files `<VERSION>_<DESCRIPTION>.sql` of its migrations directory"),
                source,
                "move it out of the migrations directory, then import again; nothing was written",
            );
            continue;
        }
        let Some((version_text, rest)) = name
            .split_once('_')
            .filter(|(_, rest)| rest.ends_with(".sql"))
        else {
            top_level_file(&name, display, &mut layout, &mut problems);
            continue;
        };
        let (description, kind) = if let Some(d) = rest.strip_suffix(".up.sql") {
            (d, Kind::Up)
        } else if let Some(d) = rest.strip_suffix(".down.sql") {
            (d, Kind::Down)
        } else {
            (rest.trim_end_matches(".sql"), Kind::Simple)
        };
        let version = match version_text.parse::<i64>() {
            Ok(version) if validate_id(version_text).is_ok() => version,
            _ => {
                problems.push(
                    DefectKind::InvalidName,
                    format!("the version `{version_text}` of `{source}` is not a whole number, as sqlx requires"),
                    source,
                    "rename the file `<VERSION>_<DESCRIPTION>.sql` with a whole-number version, then import again",
                );
                continue;
            }
        };
        let sql = match revchain_internals::read_sql_file(&path, &source) {
            Ok(sql) => sql,
            Err(defect) => {
                problems.add(defect);
                continue;
            }
        };
        let pair = versions.entry(version).or_default();
        if !pair.id.is_empty()
            && (pair.id != version_text
                || kind != Kind::Down && pair.up.is_some()
                || kind == Kind::Down && pair.down.is_some())
        {
            problems.push(
                DefectKind::DuplicateId,
                format!("`{source}` has the version {version}, as another migration does"),
                source,
                "give one of them a new version, then import again",
            );
            continue;
        }
        pair.id = version_text.to_owned();
        match kind {
            Kind::Down => pair.down = Some(sql),
            Kind::Up | Kind::Simple => {
                pair.description = description.to_owned();
                pair.up = Some((source, sql));
            }
        }
    }
    for (version, pair) in versions {
        let Some((source, up_sql)) = pair.up else {
            problems.push(
                DefectKind::MissingUpSql,
                format!("version {version} has a `.down.sql` file but no `.up.sql`"),
                shown(display, &pair.id),
                "add its `.up.sql`, or remove the `.down.sql`, then import again",
            );
            continue;
        };
        layout.migrations.push(foreign(
            pair.id,
            &pair.description,
            source,
            up_sql,
            pair.down,
        ));
    }
    problems.into_result(layout)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Up,
    Down,
}

/// One migration, with the slug revchain accepts.
fn foreign(
    id: String,
    description: &str,
    source: String,
    up_sql: String,
    down_sql: Option<String>,
) -> Foreign {
    let name = format!("{id}_{description}");
    let valid = split_directory_name(&name).is_ok();
    let mut foreign = Foreign {
        slug: if valid {
            description.to_owned()
        } else {
            repair_slug(description)
        },
        renamed_from: (!valid).then_some(name),
        run_in_transaction: true,
        id,
        source,
        up_sql,
        down_sql,
        ..Foreign::default()
    };
    if foreign.up_sql.starts_with(NO_TX_MARKER) {
        foreign.outside_transaction(&format!("its SQL starts with `{NO_TX_MARKER}`"));
    }
    if foreign.down_sql.is_none() {
        foreign
            .notes
            .push("no `down.sql`: it cannot be reverted".to_owned());
    }
    foreign
}
