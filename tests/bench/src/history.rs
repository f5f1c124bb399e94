//! Synthetic histories: the same N revisions in revchain's format and in
//! diesel_migrations' format, plus the concatenated SQL for the raw clients.
//!
//! Files are written only when their content differs, so that regenerating
//! an unchanged history does not make cargo rebuild what embeds it.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where the histories of one size live.
#[derive(Clone, Debug)]
pub struct History {
    /// How many revisions.
    pub len: usize,
    /// The revchain directory (`HEAD`, `<id>_<slug>/metadata.toml`, …).
    pub revchain: PathBuf,
    /// The diesel_migrations directory (`<version>_<name>/up.sql`, …).
    pub diesel: PathBuf,
    /// Every `up.sql`, in order, between `BEGIN;` and `COMMIT;`.
    pub raw: PathBuf,
    /// Total bytes of the SQL files of one format (`up.sql` and `down.sql`).
    pub sql_bytes: u64,
    /// The `up.sql` of the middle revision, in the revchain directory.
    pub middle_up_revchain: PathBuf,
    /// The same file in the diesel directory.
    pub middle_up_diesel: PathBuf,
}

/// The id of revision `index`: a zero-padded timestamp, one revision per
/// hour and a few minutes from 2020-01-01, as `YYYY-MM-DD-HHMMSS`. The ids
/// sort as the chain runs, for revchain and for diesel (which compares the
/// versions as strings, `-` removed).
pub fn revision_id(index: usize) -> String {
    let seconds = index as u64 * 3_600 + (index as u64 * 7 % 60) * 60 + index as u64 % 60;
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    let (year, month, day) = civil_from_days(days as i64 + DAYS_TO_2020);
    format!(
        "{year:04}-{month:02}-{day:02}-{:02}{:02}{:02}",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// Days from 1970-01-01 to 2020-01-01.
const DAYS_TO_2020: i64 = 18_262;

/// Howard Hinnant's `civil_from_days`: a day count since 1970-01-01 to a
/// proleptic Gregorian date.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The table a revision creates.
fn table(index: usize) -> String {
    format!("inventory_item_{index:05}")
}

/// A realistic `up.sql` of about 1 KiB: a table with several columns, an
/// index and a few seed rows. Valid on SQLite and PostgreSQL.
pub fn up_sql(index: usize) -> String {
    let table = table(index);
    let mut sql = format!(
        "-- Revision {index}: the {table} table, its lookup index and seed rows.\n\
         CREATE TABLE {table} (\n    \
             id BIGINT PRIMARY KEY,\n    \
             owner_id BIGINT NOT NULL,\n    \
             sku VARCHAR(64) NOT NULL,\n    \
             name VARCHAR(200) NOT NULL,\n    \
             description TEXT,\n    \
             status VARCHAR(16) NOT NULL DEFAULT 'active',\n    \
             price NUMERIC(12, 2) NOT NULL DEFAULT 0,\n    \
             quantity INTEGER NOT NULL DEFAULT 0,\n    \
             created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    \
             updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n\
         );\n\
         CREATE INDEX {table}_owner_status ON {table} (owner_id, status);\n\
         INSERT INTO {table} (id, owner_id, sku, name, description, status, price, quantity) VALUES\n"
    );
    let mut row = 1;
    loop {
        let _ = write!(
            sql,
            "    ({row}, {owner}, 'SKU-{index:05}-{row:03}', 'Item {row} of revision {index}', 'Seeded by revision {index}', 'active', {price}.{cents:02}, {quantity})",
            owner = row % 7 + 1,
            price = row * 3 + 1,
            cents = (row * 37) % 100,
            quantity = row * 10,
        );
        row += 1;
        if sql.len() >= 930 {
            sql.push_str(";\n");
            break;
        }
        sql.push_str(",\n");
    }
    sql
}

/// The `down.sql` that reverts [`up_sql`].
pub fn down_sql(index: usize) -> String {
    let table = table(index);
    format!("DROP INDEX {table}_owner_status;\nDROP TABLE {table};\n")
}

/// Writes `content` to `path` unless it already holds exactly that.
pub fn write_if_changed(path: &Path, content: &[u8]) -> io::Result<()> {
    match fs::read(path) {
        Ok(existing) if existing == content => Ok(()),
        _ => fs::write(path, content),
    }
}

fn io_context(path: &Path) -> impl Fn(io::Error) -> String + '_ {
    move |error| format!("{}: {error}", path.display())
}

/// Generates (or refreshes) the histories of `len` revisions under `root`.
pub fn generate(root: &Path, len: usize) -> Result<History, String> {
    let revchain = root.join(format!("revchain-{len}"));
    let diesel = root.join(format!("diesel-{len}"));
    let raw = root.join(format!("raw-{len}.sql"));
    for dir in [&revchain, &diesel] {
        fs::create_dir_all(dir).map_err(io_context(dir))?;
    }
    let mut all = String::from("BEGIN;\n");
    let mut sql_bytes = 0;
    let mut parent: Option<String> = None;
    let middle = len / 2;
    let (mut middle_up_revchain, mut middle_up_diesel) = (PathBuf::new(), PathBuf::new());
    let mut expected_names = Vec::with_capacity(len);
    for index in 0..len {
        let id = revision_id(index);
        let name = format!("{id}_create_{}", table(index));
        let (up, down) = (up_sql(index), down_sql(index));
        sql_bytes += (up.len() + down.len()) as u64;
        all.push_str(&up);
        for (base, metadata) in [(&revchain, true), (&diesel, false)] {
            let dir = base.join(&name);
            fs::create_dir_all(&dir).map_err(io_context(&dir))?;
            let up_path = dir.join("up.sql");
            write_if_changed(&up_path, up.as_bytes()).map_err(io_context(&up_path))?;
            let down_path = dir.join("down.sql");
            write_if_changed(&down_path, down.as_bytes()).map_err(io_context(&down_path))?;
            if metadata && let Some(parent) = &parent {
                let path = dir.join("metadata.toml");
                write_if_changed(&path, format!("parent = \"{parent}\"\n").as_bytes())
                    .map_err(io_context(&path))?;
            }
            if index == middle {
                if metadata {
                    middle_up_revchain = up_path;
                } else {
                    middle_up_diesel = up_path;
                }
            }
        }
        expected_names.push(name);
        parent = Some(id);
    }
    all.push_str("COMMIT;\n");
    write_if_changed(&raw, all.as_bytes()).map_err(io_context(&raw))?;
    let head = revchain.join("HEAD");
    match &parent {
        Some(head_id) => {
            write_if_changed(&head, format!("{head_id}\n").as_bytes()).map_err(io_context(&head))?
        }
        None => match fs::remove_file(&head) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                return Err(io_context(&head)(error));
            }
            _ => {}
        },
    }
    // A directory left by an earlier, different generation would change the
    // history: refuse it rather than measure something else.
    for dir in [&revchain, &diesel] {
        let mut found = 0;
        for entry in fs::read_dir(dir).map_err(io_context(dir))? {
            let entry = entry.map_err(io_context(dir))?;
            if entry.path().is_dir() {
                found += 1;
            }
        }
        if found != len {
            return Err(format!(
                "{} holds {found} revision directories instead of {len}: remove it and run again",
                dir.display()
            ));
        }
    }
    Ok(History {
        len,
        revchain,
        diesel,
        raw,
        sql_bytes,
        middle_up_revchain,
        middle_up_diesel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_zero_padded_timestamps_in_chain_order() {
        assert_eq!(revision_id(0), "2020-01-01-000000");
        assert_eq!(civil_from_days(DAYS_TO_2020 + 59), (2020, 2, 29));
        assert_eq!(civil_from_days(DAYS_TO_2020 + 366), (2021, 1, 1));
        let ids: Vec<String> = (0..10_000).map(revision_id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let diesel: Vec<String> = ids.iter().map(|id| id.replace('-', "")).collect();
        assert!(diesel.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn up_sql_is_about_one_kib() {
        for index in [0, 42, 9_999] {
            let len = up_sql(index).len();
            assert!((950..1_150).contains(&len), "{len}");
        }
    }
}
