//! SQLite: the tables of `sqlite_master`, each read with the `pragma_…`
//! table-valued functions.

use diesel::QueryableByName;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{RunQueryDsl, SqliteConnection};
use revchain_internals::sql::Dialect;

use super::{Introspect, IntrospectError, NameRow, Sample, context, excluded_tables, unreadable};
use crate::model::{Column, ForeignKey, Index, Schema, Table};
use crate::sqlite_type;

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Nullable<Text>)]
    default_value: Option<String>,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    referenced_table: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    referenced_column: Option<String>,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    is_unique: i32,
    #[diesel(sql_type = Text)]
    origin: String,
}

#[derive(QueryableByName)]
struct IndexColumnRow {
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

/// The columns of a table, with their place in the primary key.
const TABLE_INFO: &str = "SELECT name, type AS declared, \"notnull\" AS not_null, dflt_value AS default_value, pk FROM pragma_table_info(?) ORDER BY cid";

/// The foreign keys of a table, a row per column.
const FOREIGN_KEY_LIST: &str = "SELECT id, \"table\" AS referenced_table, \"from\" AS column_name, \"to\" AS referenced_column FROM pragma_foreign_key_list(?) ORDER BY id, seq";

/// The indexes of a table.
const INDEX_LIST: &str =
    "SELECT name, \"unique\" AS is_unique, origin FROM pragma_index_list(?) ORDER BY name";

/// The columns of an index, `NULL` for an expression.
const INDEX_INFO: &str = "SELECT name FROM pragma_index_info(?) ORDER BY seqno";

impl Introspect for SqliteConnection {
    fn introspect(&mut self, version_table: &str) -> Result<Schema, IntrospectError> {
        let names = table_names(self, version_table)?;
        read(self, names, None)
    }

    fn introspect_some(
        &mut self,
        version_table: &str,
        pick: &dyn Fn(&str) -> bool,
    ) -> Result<Sample, IntrospectError> {
        let tables = table_names(self, version_table)?;
        let schema = read(self, tables.clone(), Some(pick))?;
        Ok(Sample { tables, schema })
    }
}

/// The names of the tables, sorted, without those [`excluded_tables`]
/// names for `version_table`.
fn table_names(
    conn: &mut SqliteConnection,
    version_table: &str,
) -> Result<Vec<String>, IntrospectError> {
    let excluded = excluded_tables(version_table);
    let names: Vec<NameRow> = context(
        diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .load(conn),
        || "listing the tables in `sqlite_master`".to_owned(),
    )?;
    Ok(names
        .into_iter()
        .map(|row| row.name)
        .filter(|name| !excluded.contains(name))
        .collect())
}

/// The tables `names`, or of them those `only` picks. The foreign keys of
/// each are read once; a key that names no columns references the primary
/// key of its table, read for that even when not picked.
fn read(
    conn: &mut SqliteConnection,
    names: Vec<String>,
    only: Option<&dyn Fn(&str) -> bool>,
) -> Result<Schema, IntrospectError> {
    let picked: Vec<String> = match only {
        Some(pick) => names.iter().filter(|n| pick(n)).cloned().collect(),
        None => names.clone(),
    };
    let mut keys = Vec::with_capacity(picked.len());
    for name in &picked {
        keys.push(read_foreign_keys(conn, name)?);
    }
    let mut parents: Vec<&String> = Vec::new();
    for key in keys.iter().flatten() {
        // SQLite compares names without regard to ASCII case.
        if let Some(parent) = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&key.referenced_table))
            && !picked.contains(parent)
            && !parents.contains(&parent)
        {
            parents.push(parent);
        }
    }
    let mut tables = Vec::with_capacity(picked.len() + parents.len());
    for name in &picked {
        let mut table = Table::new(name.clone());
        read_columns(conn, &mut table)?;
        read_indexes(conn, &mut table)?;
        tables.push(table);
    }
    for name in parents {
        let mut table = Table::new(name.clone());
        read_columns(conn, &mut table)?;
        tables.push(table);
    }
    // Only now are the primary keys that implicit references stand for
    // known.
    let resolved = keys
        .into_iter()
        .zip(&picked)
        .map(|(keys, name)| {
            keys.into_iter()
                .map(|key| key.resolve(name, &tables))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    tables.truncate(picked.len());
    for (table, keys) in tables.iter_mut().zip(resolved) {
        table.foreign_keys = keys;
    }
    Ok(Schema {
        tables,
        dialect: Some(Dialect::Sqlite),
    })
}

/// The rows of `sql`, a query of one `pragma_…(?)` function, for `name`;
/// `what` it reads (`the columns of`) is the error's context.
fn pragma<U>(
    conn: &mut SqliteConnection,
    sql: &str,
    name: &str,
    what: &str,
) -> Result<Vec<U>, IntrospectError>
where
    U: QueryableByName<Sqlite> + 'static,
{
    context(
        diesel::sql_query(sql).bind::<Text, _>(name).load(conn),
        || format!("reading {what} `{name}`"),
    )
}

/// Adds the columns and primary key of `table`.
fn read_columns(conn: &mut SqliteConnection, table: &mut Table) -> Result<(), IntrospectError> {
    let columns: Vec<ColumnRow> = pragma(conn, TABLE_INFO, &table.name, "the columns of")?;
    let mut key: Vec<(i32, String)> = Vec::new();
    for row in columns {
        let mut column = Column::new(
            row.name.clone(),
            sqlite_type(&row.declared),
            row.not_null == 0 && row.pk == 0,
        );
        column.default = row.default_value;
        column.database_type = Some(row.declared).filter(|d| !d.is_empty());
        if row.pk > 0 {
            key.push((row.pk, row.name));
        }
        table.columns.push(column);
    }
    key.sort();
    table.primary_key = key.into_iter().map(|(_, n)| n).collect();
    Ok(())
}

/// A foreign key as `pragma_foreign_key_list` gives it: a referenced
/// column is `None` where the key names none, to reference the primary key
/// of its table.
struct ReadForeignKey {
    columns: Vec<String>,
    referenced_table: String,
    referenced_columns: Vec<Option<String>>,
}

impl ReadForeignKey {
    /// The foreign key of the table `owner`, its referenced columns
    /// completed from the primary keys of `tables`. An error if it names
    /// no columns and its table is not among `tables` or has no primary key.
    fn resolve(self, owner: &str, tables: &[Table]) -> Result<ForeignKey, IntrospectError> {
        let named: Option<Vec<String>> = self.referenced_columns.into_iter().collect();
        let referenced_columns = match named {
            Some(columns) => columns,
            None => {
                // SQLite compares names without regard to ASCII case.
                let parent = tables
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(&self.referenced_table));
                match parent {
                    Some(parent) if !parent.primary_key.is_empty() => parent.primary_key.clone(),
                    found => {
                        let lacks = match found {
                            Some(_) => "which has no primary key",
                            None => "which is not a table of the database",
                        };
                        return Err(unreadable(
                            format!("reading the foreign keys of `{owner}`"),
                            format!(
                                "the foreign key on {} names no columns of `{}`, {lacks}",
                                names(&self.columns),
                                self.referenced_table
                            ),
                        ));
                    }
                }
            }
        };
        Ok(ForeignKey {
            columns: self.columns,
            referenced_table: self.referenced_table,
            referenced_columns,
            name: None,
        })
    }
}

/// `names` as `` `a`, `b` ``.
fn names(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

/// The foreign keys of the table `name`, in order.
fn read_foreign_keys(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<Vec<ReadForeignKey>, IntrospectError> {
    let rows: Vec<ForeignKeyRow> = pragma(conn, FOREIGN_KEY_LIST, name, "the foreign keys of")?;
    let mut keys: Vec<(i32, ReadForeignKey)> = Vec::new();
    for row in rows {
        match keys.iter_mut().find(|(id, _)| *id == row.id) {
            Some((_, key)) => {
                key.columns.push(row.column_name);
                key.referenced_columns.push(row.referenced_column);
            }
            None => keys.push((
                row.id,
                ReadForeignKey {
                    columns: vec![row.column_name],
                    referenced_table: row.referenced_table,
                    referenced_columns: vec![row.referenced_column],
                },
            )),
        }
    }
    Ok(keys.into_iter().map(|(_, key)| key).collect())
}

/// Adds the indexes and unique constraints of `table`, but those on
/// expressions.
fn read_indexes(conn: &mut SqliteConnection, table: &mut Table) -> Result<(), IntrospectError> {
    let indexes: Vec<IndexRow> = pragma(conn, INDEX_LIST, &table.name, "the indexes of")?;
    for row in indexes {
        if row.origin == "pk" {
            continue;
        }
        let columns: Vec<IndexColumnRow> =
            pragma(conn, INDEX_INFO, &row.name, "the columns of index")?;
        let columns: Option<Vec<String>> = columns.into_iter().map(|c| c.name).collect();
        // An index on an expression cannot be described: leave it out.
        let Some(columns) = columns else { continue };
        let index_name = if row.origin == "u" {
            // `sqlite_autoindex_…` names are reserved: a rebuild creates
            // the unique constraint as an index of this name.
            format!("{}_{}_key", table.name, columns.join("_"))
        } else {
            row.name
        };
        table.indexes.push(Index {
            name: index_name,
            columns,
            unique: row.is_unique != 0,
        });
    }
    Ok(())
}
