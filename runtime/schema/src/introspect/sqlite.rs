//! SQLite: the tables of `sqlite_master`, each read with the `pragma_…`
//! table-valued functions.

use diesel::QueryableByName;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{RunQueryDsl, SqliteConnection};
use revchain_internals::sql::Dialect;

use super::{Introspect, IntrospectError, NameRow, context, excluded_tables};
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
        let excluded = excluded_tables(version_table);
        let names: Vec<NameRow> = context(
            diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            )
            .load(self),
            || "listing the tables in `sqlite_master`".to_owned(),
        )?;
        let mut tables = Vec::new();
        for NameRow { name } in names {
            if excluded.contains(&name) {
                continue;
            }
            tables.push(table(self, name)?);
        }
        // A foreign key that names no column references the primary key.
        let keys: Vec<(String, Vec<String>)> = tables
            .iter()
            .map(|t| (t.name.clone(), t.primary_key.clone()))
            .collect();
        for table in &mut tables {
            for fk in &mut table.foreign_keys {
                if fk.referenced_columns.iter().any(String::is_empty)
                    && let Some((_, key)) = keys.iter().find(|(n, _)| *n == fk.referenced_table)
                {
                    fk.referenced_columns.clone_from(key);
                }
            }
        }
        Ok(Schema {
            tables,
            dialect: Some(Dialect::Sqlite),
        })
    }
}

/// The table `name`: its columns, primary key, foreign keys and indexes.
fn table(conn: &mut SqliteConnection, name: String) -> Result<Table, IntrospectError> {
    let mut table = Table::new(name);
    read_columns(conn, &mut table)?;
    read_foreign_keys(conn, &mut table)?;
    read_indexes(conn, &mut table)?;
    Ok(table)
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

/// Adds the foreign keys of `table`.
fn read_foreign_keys(
    conn: &mut SqliteConnection,
    table: &mut Table,
) -> Result<(), IntrospectError> {
    let foreign: Vec<ForeignKeyRow> =
        pragma(conn, FOREIGN_KEY_LIST, &table.name, "the foreign keys of")?;
    let mut ids: Vec<i32> = Vec::new();
    for row in foreign {
        let position = ids.iter().position(|id| *id == row.id);
        let referenced = row.referenced_column.unwrap_or_default();
        match position.and_then(|p| table.foreign_keys.get_mut(p)) {
            Some(fk) => {
                fk.columns.push(row.column_name);
                fk.referenced_columns.push(referenced);
            }
            None => {
                ids.push(row.id);
                table.foreign_keys.push(ForeignKey {
                    columns: vec![row.column_name],
                    referenced_table: row.referenced_table,
                    referenced_columns: vec![referenced],
                    name: None,
                });
            }
        }
    }
    Ok(())
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
