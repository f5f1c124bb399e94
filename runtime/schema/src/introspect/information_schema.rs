//! What PostgreSQL and MySQL/MariaDB read alike from `information_schema`:
//! the base tables, their columns, primary keys and foreign keys, each
//! with one query in the backend's SQL (a [`Catalog`]).

use diesel::query_builder::SqlQuery;
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use revchain_internals::sql::{Dialect, quote_literal};

use super::{IntrospectError, NameRow, context, excluded_tables, unreadable};
use crate::model::{Column, ForeignKey, Schema, Table};

/// A query, and what it reads, for the error when it fails.
pub(super) struct Query {
    /// The SQL, without parameters.
    pub(super) sql: &'static str,
    /// What it reads, lowercase (`reading the columns in …`).
    pub(super) what: &'static str,
    /// The column of the table's name, to restrict the query to some
    /// tables (`c.table_name`).
    pub(super) table_column: &'static str,
}

impl Query {
    /// The SQL, restricted to the tables in `only` when given: the
    /// condition goes before the final `ORDER BY`.
    fn sql(&self, dialect: Dialect, only: Option<&[String]>) -> String {
        restrict(self.sql, self.table_column, dialect, only)
    }
}

/// `sql` (whose last clause is `ORDER BY`) with `AND column IN (…)`
/// before that clause when `only` is given.
fn restrict(sql: &str, column: &str, dialect: Dialect, only: Option<&[String]>) -> String {
    let Some(only) = only else {
        return sql.to_owned();
    };
    let names: Vec<String> = only.iter().map(|n| quote_literal(dialect, n)).collect();
    let condition = if names.is_empty() {
        " AND 1 = 0".to_owned()
    } else {
        format!(" AND {column} IN ({})", names.join(", "))
    };
    match sql.rfind(" ORDER BY ") {
        Some(at) => format!("{}{condition}{}", &sql[..at], &sql[at..]),
        None => format!("{sql}{condition}"),
    }
}

/// How one backend reads its schema from `information_schema`.
pub(super) struct Catalog {
    /// The dialect of the schema read.
    pub(super) dialect: Dialect,
    /// The base tables' names, as `name`, ordered.
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
}

impl Catalog {
    /// The schema behind `conn` without the tables [`excluded_tables`]
    /// names for `version_table`. `column` makes a row of the columns query
    /// into the column, or says what in the row it cannot hold.
    pub(super) fn read<C>(
        &self,
        conn: &mut C,
        version_table: &str,
        only: Option<&[String]>,
        mut column: impl FnMut(ColumnRow) -> Result<Column, String>,
    ) -> Result<Schema, IntrospectError>
    where
        C: Connection,
        SqlQuery: LoadQuery<'static, C, NameRow>
            + LoadQuery<'static, C, ColumnRow>
            + LoadQuery<'static, C, KeyRow>
            + LoadQuery<'static, C, ForeignKeyRow>,
    {
        let mut tables: Vec<Table> = self
            .names(conn, version_table, only)?
            .into_iter()
            .map(Table::new)
            .collect();
        let dialect = self.dialect;
        let columns: Vec<ColumnRow> =
            load(conn, &self.columns.sql(dialect, only), self.columns.what)?;
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
        let primary = load(
            conn,
            &self.primary_keys.sql(dialect, only),
            self.primary_keys.what,
        )?;
        let foreign = load(
            conn,
            &self.foreign_keys.sql(dialect, only),
            self.foreign_keys.what,
        )?;
        assemble_keys(&mut tables, primary, foreign);
        Ok(Schema {
            tables,
            dialect: Some(self.dialect),
        })
    }
}

impl Catalog {
    /// The base tables, sorted, without those [`excluded_tables`] names
    /// for `version_table`; only those in `only` when given.
    pub(super) fn names<C>(
        &self,
        conn: &mut C,
        version_table: &str,
        only: Option<&[String]>,
    ) -> Result<Vec<String>, IntrospectError>
    where
        C: Connection,
        SqlQuery: LoadQuery<'static, C, NameRow>,
    {
        let excluded = excluded_tables(version_table);
        let tables = self.tables.sql(self.dialect, only);
        let names: Vec<NameRow> = load(conn, &tables, self.tables.what)?;
        Ok(names
            .into_iter()
            .map(|n| n.name)
            .filter(|n| !excluded.contains(n))
            .collect())
    }
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
