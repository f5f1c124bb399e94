//! PostgreSQL: the current schema, from `information_schema` and
//! `pg_catalog.pg_attribute` (for each column's spelling).

use diesel::QueryableByName;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::{PgConnection, RunQueryDsl};
use revchain_internals::sql::Dialect;

use super::information_schema::{ForeignKeyRow, KeyRow, assemble_keys};
use super::{Introspect, IntrospectError, NameRow, context, excluded_tables};
use crate::model::{Column, Schema, Table};
use crate::postgres_type;

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<Integer>)]
    max_length: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    default_value: Option<String>,
    #[diesel(sql_type = Text)]
    database_type: String,
}

impl Introspect for PgConnection {
    fn introspect(&mut self, version_table: &str) -> Result<Schema, IntrospectError> {
        let excluded = excluded_tables(version_table);
        let names: Vec<NameRow> = context(
            diesel::sql_query(
                "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
            )
            .load(self),
            || "listing the tables in `information_schema.tables`".to_owned(),
        )?;
        let mut tables: Vec<Table> = names
            .into_iter()
            .filter(|n| !excluded.contains(&n.name))
            .map(|n| Table::new(n.name))
            .collect();
        let columns: Vec<ColumnRow> = context(
            diesel::sql_query(
                "SELECT CAST(c.table_name AS TEXT) AS table_name, CAST(c.column_name AS TEXT) AS column_name, \
                 CAST(c.data_type AS TEXT) AS data_type, CAST(c.udt_name AS TEXT) AS udt_name, \
                 CAST(c.is_nullable AS TEXT) AS is_nullable, \
                 CAST(c.character_maximum_length AS INTEGER) AS max_length, \
                 CAST(c.column_default AS TEXT) AS default_value, \
                 format_type(a.atttypid, a.atttypmod) AS database_type \
                 FROM information_schema.columns c \
                 JOIN pg_catalog.pg_attribute a \
                   ON a.attrelid = CAST(format('%I.%I', c.table_schema, c.table_name) AS regclass) \
                  AND a.attname = c.column_name \
                 WHERE c.table_schema = current_schema() \
                 ORDER BY c.table_name, c.ordinal_position",
            )
            .load(self),
            || "reading the columns in `information_schema.columns`".to_owned(),
        )?;
        for row in columns {
            let Some(table) = tables.iter_mut().find(|t| t.name == row.table_name) else {
                continue;
            };
            let mut column = Column::new(
                row.column_name,
                postgres_type(&row.data_type, &row.udt_name),
                row.is_nullable == "YES",
            );
            column.max_length = row.max_length.and_then(|n| u32::try_from(n).ok());
            // A serial's sequence goes with its column: do not restore it.
            column.default = row.default_value.filter(|d| !d.contains("nextval("));
            column.database_type = Some(row.database_type);
            table.columns.push(column);
        }
        let primary: Vec<KeyRow> = context(
            diesel::sql_query(
                "SELECT CAST(tc.table_name AS TEXT) AS table_name, CAST(tc.constraint_name AS TEXT) AS constraint_name, \
                 CAST(kcu.column_name AS TEXT) AS column_name \
                 FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage kcu \
                   ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name \
                  AND kcu.table_name = tc.table_name \
                 WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY' \
                 ORDER BY tc.table_name, kcu.ordinal_position",
            )
            .load(self),
            || "reading the primary keys in `information_schema.table_constraints`".to_owned(),
        )?;
        let foreign: Vec<ForeignKeyRow> = context(
            diesel::sql_query(
                "SELECT CAST(kcu.table_name AS TEXT) AS table_name, CAST(kcu.constraint_name AS TEXT) AS constraint_name, \
                 CAST(kcu.column_name AS TEXT) AS column_name, CAST(r.table_name AS TEXT) AS referenced_table, \
                 CAST(r.column_name AS TEXT) AS referenced_column \
                 FROM information_schema.referential_constraints rc \
                 JOIN information_schema.key_column_usage kcu \
                   ON kcu.constraint_schema = rc.constraint_schema AND kcu.constraint_name = rc.constraint_name \
                 JOIN information_schema.key_column_usage r \
                   ON r.constraint_schema = rc.unique_constraint_schema AND r.constraint_name = rc.unique_constraint_name \
                  AND r.ordinal_position = kcu.position_in_unique_constraint \
                 WHERE kcu.table_schema = current_schema() \
                 ORDER BY kcu.table_name, kcu.constraint_name, kcu.ordinal_position",
            )
            .load(self),
            || "reading the foreign keys in `information_schema.referential_constraints`".to_owned(),
        )?;
        assemble_keys(&mut tables, primary, foreign);
        Ok(Schema {
            tables,
            dialect: Some(Dialect::Postgres),
        })
    }
}
