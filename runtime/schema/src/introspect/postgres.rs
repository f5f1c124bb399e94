//! PostgreSQL: the current schema, from `pg_catalog`, read as
//! `information_schema` reads it, ten times faster on a schema of a
//! thousand tables (which the stairway of `revchain test` reads twice per
//! revision). The current schema's oid is read once per query by a
//! subquery: compared with `CAST(current_schema() AS regnamespace)`, which
//! PostgreSQL evaluates for every row of `pg_class`, listing a thousand
//! tables takes a quarter of the time.

use diesel::PgConnection;
use revchain_internals::sql::Dialect;

use super::information_schema::{Catalog, ColumnRow, Query};
use super::{Introspect, IntrospectError, Sample};
use crate::model::{Column, Schema};
use crate::postgres_type;

/// The oid of the current schema, for `relnamespace = …`.
macro_rules! current_schema {
    () => {
        "(SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = current_schema())"
    };
}

const CATALOG: Catalog = Catalog {
    dialect: Dialect::Postgres,
    tables: Query {
        sql: concat!(
            "SELECT CAST(c.relname AS TEXT) AS name, CAST(c.oid AS TEXT) AS table_key \
             FROM pg_catalog.pg_class c WHERE c.relnamespace = ",
            current_schema!(),
            " AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        ),
        what: "listing the tables in `pg_catalog.pg_class`",
        table_column: "c.oid",
    },
    // The columns as `information_schema.columns` reads them (`data_type`
    // `ARRAY` for an array, `udt_name` the domain's base type, the length
    // of a character type), from `pg_catalog` directly.
    columns: Query {
        sql: concat!(
            "SELECT CAST(c.relname AS TEXT) AS table_name, CAST(a.attname AS TEXT) AS column_name, \
             CASE WHEN COALESCE(bt.typcategory, t.typcategory) = 'A' THEN 'ARRAY' \
                  ELSE format_type(COALESCE(bt.oid, t.oid), NULL) END AS data_type, \
             CAST(COALESCE(bt.typname, t.typname) AS TEXT) AS type_name, \
             CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS is_nullable, \
             CAST(CASE WHEN COALESCE(bt.typname, t.typname) IN ('varchar', 'bpchar') \
                         AND COALESCE(NULLIF(t.typtypmod, -1), a.atttypmod) > 4 \
                       THEN COALESCE(NULLIF(t.typtypmod, -1), a.atttypmod) - 4 END AS BIGINT) AS max_length, \
             pg_get_expr(d.adbin, d.adrelid) AS default_value, \
             format_type(a.atttypid, a.atttypmod) AS database_type, CAST('' AS TEXT) AS extra \
             FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE c.relnamespace = ",
            current_schema!(),
            " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY c.relname, a.attnum"
        ),
        what: "reading the columns in `pg_catalog.pg_attribute`",
        table_column: "c.oid",
    },
    primary_keys: Query {
        sql: concat!(
            "SELECT CAST(cl.relname AS TEXT) AS table_name, CAST(con.conname AS TEXT) AS constraint_name, \
             CAST(a.attname AS TEXT) AS column_name \
             FROM pg_catalog.pg_constraint con \
             JOIN pg_catalog.pg_class cl ON cl.oid = con.conrelid \
             CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
             WHERE con.contype = 'p' AND cl.relnamespace = ",
            current_schema!(),
            " ORDER BY cl.relname, k.ord"
        ),
        what: "reading the primary keys in `pg_catalog.pg_constraint`",
        table_column: "cl.oid",
    },
    foreign_keys: Query {
        sql: concat!(
            "SELECT CAST(cl.relname AS TEXT) AS table_name, CAST(con.conname AS TEXT) AS constraint_name, \
             CAST(a.attname AS TEXT) AS column_name, CAST(rcl.relname AS TEXT) AS referenced_table, \
             CAST(ra.attname AS TEXT) AS referenced_column \
             FROM pg_catalog.pg_constraint con \
             JOIN pg_catalog.pg_class cl ON cl.oid = con.conrelid \
             JOIN pg_catalog.pg_class rcl ON rcl.oid = con.confrelid \
             CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
             JOIN pg_catalog.pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.refnum \
             WHERE con.contype = 'f' AND cl.relnamespace = ",
            current_schema!(),
            " ORDER BY cl.relname, con.conname, k.ord"
        ),
        what: "reading the foreign keys in `pg_catalog.pg_constraint`",
        table_column: "cl.oid",
    },
    // The key columns of each index (not its `INCLUDE` columns); an
    // expression's position has no attribute, so no `column_name`.
    indexes: Query {
        sql: concat!(
            "SELECT CAST(c.relname AS TEXT) AS table_name, CAST(ic.relname AS TEXT) AS index_name, \
             CAST(a.attname AS TEXT) AS column_name, CAST(CASE WHEN i.indisunique THEN 1 ELSE 0 END AS BIGINT) AS is_unique \
             FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class c ON c.oid = i.indrelid \
             JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
             CROSS JOIN LATERAL unnest(CAST(i.indkey AS INT2[])) WITH ORDINALITY AS k(attnum, ord) \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0 \
             WHERE NOT i.indisprimary AND k.ord <= i.indnkeyatts AND c.relkind IN ('r', 'p') \
               AND c.relnamespace = ",
            current_schema!(),
            " ORDER BY c.relname, ic.relname, k.ord"
        ),
        what: "reading the indexes in `pg_catalog.pg_index`",
        table_column: "c.oid",
    },
};

impl Introspect for PgConnection {
    fn introspect(&mut self, version_table: &str) -> Result<Schema, IntrospectError> {
        CATALOG.read(self, version_table, column)
    }

    fn introspect_some(
        &mut self,
        version_table: &str,
        pick: &dyn Fn(&str) -> bool,
    ) -> Result<Sample, IntrospectError> {
        CATALOG.read_some(self, version_table, pick, column)
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
