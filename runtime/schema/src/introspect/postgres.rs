//! PostgreSQL: the current schema, from `information_schema` and
//! `pg_catalog.pg_attribute` (for each column's spelling).

use diesel::PgConnection;
use revchain_internals::sql::Dialect;

use super::information_schema::{Catalog, ColumnRow, Query};
use super::{Introspect, IntrospectError};
use crate::model::{Column, Schema};
use crate::postgres_type;

const CATALOG: Catalog = Catalog {
    dialect: Dialect::Postgres,
    schema: "current_schema()",
    text: "TEXT",
    columns: Query {
        sql: "SELECT CAST(c.table_name AS TEXT) AS table_name, CAST(c.column_name AS TEXT) AS column_name, \
              CAST(c.data_type AS TEXT) AS data_type, CAST(c.udt_name AS TEXT) AS type_name, \
              CAST(c.is_nullable AS TEXT) AS is_nullable, \
              CAST(c.character_maximum_length AS BIGINT) AS max_length, \
              CAST(c.column_default AS TEXT) AS default_value, \
              format_type(a.atttypid, a.atttypmod) AS database_type, CAST('' AS TEXT) AS extra \
              FROM information_schema.columns c \
              JOIN pg_catalog.pg_attribute a \
                ON a.attrelid = CAST(format('%I.%I', c.table_schema, c.table_name) AS regclass) \
               AND a.attname = c.column_name \
              WHERE c.table_schema = current_schema() \
              ORDER BY c.table_name, c.ordinal_position",
        what: "reading the columns in `information_schema.columns`",
        table_column: "c.table_name",
    },
    primary_keys: Query {
        sql: "SELECT CAST(tc.table_name AS TEXT) AS table_name, CAST(tc.constraint_name AS TEXT) AS constraint_name, \
              CAST(kcu.column_name AS TEXT) AS column_name \
              FROM information_schema.table_constraints tc \
              JOIN information_schema.key_column_usage kcu \
                ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name \
               AND kcu.table_name = tc.table_name \
              WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY' \
              ORDER BY tc.table_name, kcu.ordinal_position",
        what: "reading the primary keys in `information_schema.table_constraints`",
        table_column: "tc.table_name",
    },
    foreign_keys: Query {
        sql: "SELECT CAST(kcu.table_name AS TEXT) AS table_name, CAST(kcu.constraint_name AS TEXT) AS constraint_name, \
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
        what: "reading the foreign keys in `information_schema.referential_constraints`",
        table_column: "kcu.table_name",
    },
};

impl Introspect for PgConnection {
    fn introspect(&mut self, version_table: &str) -> Result<Schema, IntrospectError> {
        CATALOG.read(self, version_table, None, column)
    }

    fn introspect_tables(
        &mut self,
        version_table: &str,
        tables: &[String],
    ) -> Result<Schema, IntrospectError> {
        CATALOG.read(self, version_table, Some(tables), column)
    }

    fn table_names(&mut self, version_table: &str) -> Result<Vec<String>, IntrospectError> {
        CATALOG.names(self, version_table, None)
    }
}

/// The column of `row`.
fn column(row: ColumnRow) -> Result<Column, String> {
    let max_length = row.length()?;
    let mut column = Column::new(
        row.column_name,
        postgres_type(&row.data_type, &row.type_name),
        row.is_nullable == "YES",
    );
    column.max_length = max_length;
    // A serial's sequence goes with its column: do not restore it.
    column.default = row.default_value.filter(|d| !d.contains("nextval("));
    column.database_type = Some(row.database_type);
    Ok(column)
}
