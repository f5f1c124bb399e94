//! What PostgreSQL and MySQL/MariaDB read alike from their catalogs: the
//! base tables, their columns, primary keys, foreign keys and indexes, each
//! with one query in the backend's SQL (a [`Catalog`]).
//!
//! A read of some tables ([`Catalog::read_some`], the stairway's) lists the
//! tables once, with each table's key (PostgreSQL's oid, MySQL's name), and
//! restricts the other queries to the keys of the tables picked: by oid,
//! PostgreSQL plans each query in a fraction of the time it takes by name
//! (measured with `pgbench` on a thousand tables: 2.2 ms against 6.1 ms for
//! the three queries of one table).

use diesel::query_builder::SqlQuery;
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use revchain_internals::sql::{Dialect, quote_literal};

use super::{IntrospectError, Sample, context, excluded_tables, unreadable};
use crate::model::{Column, ForeignKey, Index, Schema, Table};

/// A query, and what it reads, for the error when it fails.
pub(super) struct Query {
    /// The SQL, without parameters.
    pub(super) sql: &'static str,
    /// What it reads, lowercase (`reading the columns in …`).
    pub(super) what: &'static str,
    /// The column of the table's key (see [`TableRow`]), to restrict the
    /// query to some tables (`c.oid`, `table_name`).
    pub(super) table_column: &'static str,
}

impl Query {
    /// The SQL, restricted to the tables whose keys are `only` when given
    /// (rendered by [`key_literal`]): `AND column IN (…)` goes before the
    /// final `ORDER BY`.
    fn sql(&self, only: Option<&[String]>) -> String {
        let Some(only) = only else {
            return self.sql.to_owned();
        };
        let condition = if only.is_empty() {
            " AND 1 = 0".to_owned()
        } else {
            format!(" AND {} IN ({})", self.table_column, only.join(", "))
        };
        match self.sql.rfind(" ORDER BY ") {
            Some(at) => format!("{}{condition}{}", &self.sql[..at], &self.sql[at..]),
            None => format!("{}{condition}", self.sql),
        }
    }
}

/// A table's key as a literal of `dialect`: PostgreSQL's oid as a number
/// (checked to be one, so nothing else reaches the SQL), MySQL's name
/// quoted.
fn key_literal(dialect: Dialect, row: &TableRow) -> Result<String, IntrospectError> {
    match dialect {
        Dialect::Postgres => row
            .table_key
            .parse::<u32>()
            .map(|oid| oid.to_string())
            .map_err(|_| {
                unreadable(
                    "listing the tables".to_owned(),
                    format!(
                        "table `{}` has the oid `{}`, which is not a number",
                        row.name, row.table_key
                    ),
                )
            }),
        _ => Ok(quote_literal(dialect, &row.table_key)),
    }
}

/// How one backend reads its schema from `information_schema`.
pub(super) struct Catalog {
    /// The dialect of the schema read.
    pub(super) dialect: Dialect,
    /// The base tables, as `name` and `table_key` ([`TableRow`]), ordered
    /// by name.
    pub(super) tables: Query,
    /// The columns, as the backend's row, ordered by table and position.
    pub(super) columns: Query,
    /// The columns of the primary keys, as `table_name`,
    /// `constraint_name`, `column_name`, ordered by table and position.
    pub(super) primary_keys: Query,
    /// The columns of the foreign keys, as `table_name`,
    /// `constraint_name`, `column_name`, `referenced_table`,
    /// `referenced_column`, ordered by table, constraint and position.
    pub(super) foreign_keys: Query,
    /// The columns of the indexes other than the primary key, as
    /// [`IndexRow`], ordered by table, index and position.
    pub(super) indexes: Query,
}

impl Catalog {
    /// The schema behind `conn` without the tables [`excluded_tables`]
    /// names for `version_table`. `column` makes a row of the columns query
    /// into the column, or says what in the row it cannot hold.
    pub(super) fn read<C>(
        &self,
        conn: &mut C,
        version_table: &str,
        column: impl FnMut(ColumnRow) -> Result<Column, String>,
    ) -> Result<Schema, IntrospectError>
    where
        C: Connection,
        SqlQuery: LoadQuery<'static, C, TableRow>
            + LoadQuery<'static, C, ColumnRow>
            + LoadQuery<'static, C, KeyRow>
            + LoadQuery<'static, C, ForeignKeyRow>
            + LoadQuery<'static, C, IndexRow>,
    {
        let names = self.names(conn, version_table)?;
        let tables = names.into_iter().map(|row| Table::new(row.name)).collect();
        self.read_tables(conn, tables, None, column)
    }

    /// Every table's name, and in full those `pick` picks, listing the
    /// tables once and reading the picked ones by their keys.
    pub(super) fn read_some<C>(
        &self,
        conn: &mut C,
        version_table: &str,
        pick: &dyn Fn(&str) -> bool,
        column: impl FnMut(ColumnRow) -> Result<Column, String>,
    ) -> Result<Sample, IntrospectError>
    where
        C: Connection,
        SqlQuery: LoadQuery<'static, C, TableRow>
            + LoadQuery<'static, C, ColumnRow>
            + LoadQuery<'static, C, KeyRow>
            + LoadQuery<'static, C, ForeignKeyRow>
            + LoadQuery<'static, C, IndexRow>,
    {
        let rows = self.names(conn, version_table)?;
        let mut keys = Vec::new();
        let mut picked = Vec::new();
        for row in rows.iter().filter(|row| pick(&row.name)) {
            keys.push(key_literal(self.dialect, row)?);
            picked.push(Table::new(row.name.clone()));
        }
        let schema = self.read_tables(conn, picked, Some(&keys), column)?;
        Ok(Sample {
            tables: rows.into_iter().map(|row| row.name).collect(),
            schema,
        })
    }

    /// `tables` (already listed) read in full; `only` their keys, to
    /// restrict the queries to them, or `None` for every table.
    fn read_tables<C>(
        &self,
        conn: &mut C,
        mut tables: Vec<Table>,
        only: Option<&[String]>,
        mut column: impl FnMut(ColumnRow) -> Result<Column, String>,
    ) -> Result<Schema, IntrospectError>
    where
        C: Connection,
        SqlQuery: LoadQuery<'static, C, ColumnRow>
            + LoadQuery<'static, C, KeyRow>
            + LoadQuery<'static, C, ForeignKeyRow>
            + LoadQuery<'static, C, IndexRow>,
    {
        if only.is_some_and(<[String]>::is_empty) {
            return Ok(Schema {
                tables,
                dialect: Some(self.dialect),
            });
        }
        let columns: Vec<ColumnRow> = load(conn, &self.columns.sql(only), self.columns.what)?;
        for row in columns {
            // Views and left-out tables have columns too.
            let name = &row.table_name;
            let Some(table) = tables.iter_mut().find(|t| t.name == *name) else {
                continue;
            };
            let column =
                column(row).map_err(|problem| unreadable(self.columns.what.to_owned(), problem))?;
            table.columns.push(column);
        }
        let primary = load(conn, &self.primary_keys.sql(only), self.primary_keys.what)?;
        let foreign = load(conn, &self.foreign_keys.sql(only), self.foreign_keys.what)?;
        assemble_keys(&mut tables, primary, foreign);
        let indexes = load(conn, &self.indexes.sql(only), self.indexes.what)?;
        assemble_indexes(&mut tables, indexes);
        Ok(Schema {
            tables,
            dialect: Some(self.dialect),
        })
    }
}

impl Catalog {
    /// The base tables, sorted, without those [`excluded_tables`] names
    /// for `version_table`.
    fn names<C>(&self, conn: &mut C, version_table: &str) -> Result<Vec<TableRow>, IntrospectError>
    where
        C: Connection,
        SqlQuery: LoadQuery<'static, C, TableRow>,
    {
        let excluded = excluded_tables(version_table);
        let rows: Vec<TableRow> = load(conn, self.tables.sql, self.tables.what)?;
        Ok(rows
            .into_iter()
            .filter(|row| !excluded.contains(&row.name))
            .collect())
    }
}

/// A base table: its name, and its key, by which the other queries are
/// restricted to it (PostgreSQL's oid, MySQL's name).
#[derive(QueryableByName)]
pub(super) struct TableRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    table_key: String,
}

/// The rows `sql` returns; `what` it reads is the error's context.
fn load<C, U>(conn: &mut C, sql: &str, what: &str) -> Result<Vec<U>, IntrospectError>
where
    C: Connection,
    SqlQuery: LoadQuery<'static, C, U>,
{
    context(diesel::sql_query(sql).load(conn), || what.to_owned())
}

/// A row of the columns query, alike on both backends: `type_name` says
/// more of the type than `data_type` (`udt_name` on PostgreSQL,
/// `column_type` on MySQL), `database_type` is its spelling in a
/// definition.
#[derive(QueryableByName)]
pub(super) struct ColumnRow {
    #[diesel(sql_type = Text)]
    pub(super) table_name: String,
    #[diesel(sql_type = Text)]
    pub(super) column_name: String,
    #[diesel(sql_type = Text)]
    pub(super) data_type: String,
    #[diesel(sql_type = Text)]
    pub(super) type_name: String,
    #[diesel(sql_type = Text)]
    pub(super) database_type: String,
    #[diesel(sql_type = Text)]
    pub(super) is_nullable: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub(super) max_length: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) default_value: Option<String>,
    /// MySQL's `extra` (`auto_increment`, `DEFAULT_GENERATED`); empty on
    /// PostgreSQL.
    #[diesel(sql_type = Text)]
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    pub(super) extra: String,
}

impl ColumnRow {
    /// `max_length` as the model's length; an error for a length no column
    /// can have (negative, or over `u32::MAX`).
    pub(super) fn length(&self) -> Result<Option<u32>, String> {
        let Some(n) = self.max_length else {
            return Ok(None);
        };
        u32::try_from(n).map(Some).map_err(|_| {
            format!(
                "column `{}`.`{}` has the length {n}, which no column can have",
                self.table_name, self.column_name
            )
        })
    }
}

/// A column of a primary key.
#[derive(QueryableByName)]
pub(super) struct KeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    constraint_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// A column of a foreign key, with the column it references.
#[derive(QueryableByName)]
pub(super) struct ForeignKeyRow {
    #[diesel(embed)]
    key: KeyRow,
    #[diesel(sql_type = Text)]
    referenced_table: String,
    #[diesel(sql_type = Text)]
    referenced_column: String,
}

/// A column of an index other than the primary key; `column_name` is
/// `NULL` for an expression.
#[derive(QueryableByName)]
pub(super) struct IndexRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    column_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    is_unique: i64,
}

/// Adds the indexes of `rows` (ordered by table, index, position) to their
/// tables, but those on an expression, which the model cannot describe
/// (as SQLite's introspection leaves them out).
fn assemble_indexes(tables: &mut [Table], rows: Vec<IndexRow>) {
    let mut rows = rows.into_iter().peekable();
    while let Some(first) = rows.next() {
        let mut columns = vec![first.column_name];
        while let Some(next) = rows
            .next_if(|row| row.table_name == first.table_name && row.index_name == first.index_name)
        {
            columns.push(next.column_name);
        }
        let Some(columns) = columns.into_iter().collect::<Option<Vec<_>>>() else {
            continue;
        };
        if let Some(table) = tables.iter_mut().find(|t| t.name == first.table_name) {
            table.indexes.push(Index {
                name: first.index_name,
                columns,
                unique: first.is_unique != 0,
            });
        }
    }
}

/// Adds the keys of `primary` and `foreign` (ordered by table,
/// constraint, position) to their tables.
fn assemble_keys(tables: &mut [Table], primary: Vec<KeyRow>, foreign: Vec<ForeignKeyRow>) {
    for row in primary {
        if let Some(table) = tables.iter_mut().find(|t| t.name == row.table_name) {
            table.primary_key.push(row.column_name);
            table.primary_key_name = Some(row.constraint_name);
        }
    }
    for row in foreign {
        let Some(table) = tables.iter_mut().find(|t| t.name == row.key.table_name) else {
            continue;
        };
        let name = Some(row.key.constraint_name);
        match table.foreign_keys.iter_mut().find(|fk| fk.name == name) {
            Some(fk) => {
                fk.columns.push(row.key.column_name);
                fk.referenced_columns.push(row.referenced_column);
            }
            None => table.foreign_keys.push(ForeignKey {
                columns: vec![row.key.column_name],
                referenced_table: row.referenced_table,
                referenced_columns: vec![row.referenced_column],
                name,
            }),
        }
    }
}
