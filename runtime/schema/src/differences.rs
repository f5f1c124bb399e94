//! Two introspections of one database compared: what the stairway of
//! `revchain test` reports when a `down.sql` does not restore the schema
//! that its `up.sql` found.

use crate::diff::{Operation, compare};
use crate::model::{Column, ForeignKey, Schema, Table};

/// What `actual` has that `expected` lacks (`left behind: …`), what it lacks
/// (`removed: …`) and what differs (`changed: …`), one sentence each, names
/// in backticks: tables, columns (type and nullability), primary keys,
/// foreign keys and indexes (by name, columns and uniqueness; an index on
/// an expression is not read).
///
/// ```
/// use revchain_schema::{differences, parse_str};
///
/// let before = parse_str("diesel::table! { users { id -> Integer, } }", "before").unwrap();
/// let after = parse_str(
///     "diesel::table! { users { id -> Integer, email -> Nullable<Text>, } }",
///     "after",
/// )
/// .unwrap();
/// assert_eq!(differences(&before, &after), ["left behind: column `users`.`email` (Nullable<Text>)"]);
/// assert_eq!(differences(&after, &before), ["removed: column `users`.`email` (Nullable<Text>)"]);
/// assert!(differences(&before, &before).is_empty());
/// ```
pub fn differences(expected: &Schema, actual: &Schema) -> Vec<String> {
    let mut lines: Vec<String> = compare(expected, actual, &[])
        .operations
        .iter()
        .map(describe)
        .collect();
    for table in &expected.tables {
        if let Some(now) = actual.table(&table.name) {
            index_differences(table, now, &mut lines);
        }
    }
    lines
}

/// One operation that would turn `actual` back into `expected`, told as
/// what happened to `expected`.
fn describe(operation: &Operation) -> String {
    match operation {
        Operation::AddTable(t) => format!("removed: table `{}`", t.name),
        Operation::DropTable(t) => format!("left behind: table `{}`", t.name),
        Operation::AddColumn { table, column } => {
            format!(
                "removed: column `{table}`.`{}` ({})",
                column.name,
                shown(column)
            )
        }
        Operation::DropColumn { table, column } => {
            format!(
                "left behind: column `{table}`.`{}` ({})",
                column.name,
                shown(column)
            )
        }
        Operation::AlterColumn { table, from, to } => format!(
            "changed: column `{table}`.`{}` is {}, was {}",
            to.name,
            shown(from),
            shown(to)
        ),
        Operation::AddPrimaryKey { table, columns, .. } => {
            format!("removed: the primary key of `{table}` ({})", names(columns))
        }
        Operation::DropPrimaryKey { table, columns, .. } => {
            format!(
                "left behind: the primary key of `{table}` ({})",
                names(columns)
            )
        }
        Operation::AddForeignKey { table, foreign_key } => {
            format!("removed: foreign key {}", foreign(table, foreign_key))
        }
        Operation::DropForeignKey { table, foreign_key } => {
            format!("left behind: foreign key {}", foreign(table, foreign_key))
        }
    }
}

/// A column's type as diesel writes it: `Nullable<Text>`, `Integer`.
fn shown(column: &Column) -> String {
    if column.nullable {
        format!("Nullable<{}>", column.sql_type)
    } else {
        column.sql_type.to_string()
    }
}

fn names(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn foreign(table: &str, fk: &ForeignKey) -> String {
    format!(
        "`{table}` ({}) -> `{}` ({})",
        names(&fk.columns),
        fk.referenced_table,
        names(&fk.referenced_columns)
    )
}

/// The indexes of a table that both schemas have, by name, columns and
/// uniqueness.
fn index_differences(expected: &Table, actual: &Table, lines: &mut Vec<String>) {
    for index in &expected.indexes {
        if !actual.indexes.contains(index) {
            lines.push(format!(
                "removed: index `{}` on `{}` ({})",
                index.name,
                expected.name,
                names(&index.columns)
            ));
        }
    }
    for index in &actual.indexes {
        if !expected.indexes.contains(index) {
            lines.push(format!(
                "left behind: index `{}` on `{}` ({})",
                index.name,
                actual.name,
                names(&index.columns)
            ));
        }
    }
}
