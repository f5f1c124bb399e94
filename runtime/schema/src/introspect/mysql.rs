//! MySQL and MariaDB: the current database (`DATABASE()`), from
//! `information_schema`.

use diesel::{MysqlConnection, RunQueryDsl};
use revchain_internals::sql::Dialect;

use super::information_schema::{Catalog, ColumnRow, Query};
use super::{Introspect, IntrospectError, NameRow, Sample, context};
use crate::model::{Column, Schema};
use crate::mysql_type;

const CATALOG: Catalog = Catalog {
    dialect: Dialect::Mysql,
    tables: Query {
        sql: "SELECT CAST(table_name AS CHAR) AS name, CAST(table_name AS CHAR) AS table_key \
              FROM information_schema.tables \
              WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
        what: "listing the tables in `information_schema.tables`",
        table_column: "table_name",
    },
    columns: Query {
        sql: "SELECT CAST(table_name AS CHAR) AS table_name, CAST(column_name AS CHAR) AS column_name, \
              CAST(data_type AS CHAR) AS data_type, CAST(column_type AS CHAR) AS type_name, \
              CAST(column_type AS CHAR) AS database_type, \
              CAST(is_nullable AS CHAR) AS is_nullable, \
              CAST(character_maximum_length AS SIGNED) AS max_length, \
              CAST(column_default AS CHAR) AS default_value, CAST(extra AS CHAR) AS extra \
              FROM information_schema.columns WHERE table_schema = DATABASE() \
              ORDER BY table_name, ordinal_position",
        what: "reading the columns in `information_schema.columns`",
        table_column: "table_name",
    },
    primary_keys: Query {
        sql: "SELECT CAST(table_name AS CHAR) AS table_name, CAST(constraint_name AS CHAR) AS constraint_name, \
              CAST(column_name AS CHAR) AS column_name FROM information_schema.key_column_usage \
              WHERE table_schema = DATABASE() AND constraint_name = 'PRIMARY' \
              ORDER BY table_name, ordinal_position",
        what: "reading the primary keys in `information_schema.key_column_usage`",
        table_column: "table_name",
    },
    foreign_keys: Query {
        sql: "SELECT CAST(table_name AS CHAR) AS table_name, CAST(constraint_name AS CHAR) AS constraint_name, \
              CAST(column_name AS CHAR) AS column_name, CAST(referenced_table_name AS CHAR) AS referenced_table, \
              CAST(referenced_column_name AS CHAR) AS referenced_column \
              FROM information_schema.key_column_usage \
              WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL \
              ORDER BY table_name, constraint_name, ordinal_position",
        what: "reading the foreign keys in `information_schema.key_column_usage`",
        table_column: "table_name",
    },
    // MySQL 8 has no `column_name` for a part of a functional index; a
    // part on a prefix (`sub_part`) is no whole column either: the model
    // cannot describe either, and leaves such an index out.
    indexes: Query {
        sql: "SELECT CAST(table_name AS CHAR) AS table_name, CAST(index_name AS CHAR) AS index_name, \
              CAST(CASE WHEN sub_part IS NULL THEN column_name END AS CHAR) AS column_name, \
              CAST(CASE WHEN non_unique = 0 THEN 1 ELSE 0 END AS SIGNED) AS is_unique \
              FROM information_schema.statistics \
              WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY' \
              ORDER BY table_name, index_name, seq_in_index",
        what: "reading the indexes in `information_schema.statistics`",
        table_column: "table_name",
    },
};

impl Introspect for MysqlConnection {
    fn introspect(&mut self, version_table: &str) -> Result<Schema, IntrospectError> {
        let mariadb = is_mariadb(self)?;
        let mut schema = CATALOG.read(self, version_table, |row| column(row, mariadb))?;
        forget_primary_key_names(&mut schema);
        Ok(schema)
    }

    fn introspect_some(
        &mut self,
        version_table: &str,
        pick: &dyn Fn(&str) -> bool,
    ) -> Result<Sample, IntrospectError> {
        let mariadb = is_mariadb(self)?;
        let mut sample =
            CATALOG.read_some(self, version_table, pick, |row| column(row, mariadb))?;
        forget_primary_key_names(&mut sample.schema);
        Ok(sample)
    }
}

/// Whether the server is MariaDB.
fn is_mariadb(conn: &mut MysqlConnection) -> Result<bool, IntrospectError> {
    let version: Vec<NameRow> = context(
        diesel::sql_query("SELECT CAST(VERSION() AS CHAR) AS name").load(conn),
        || "reading the server's version".to_owned(),
    )?;
    Ok(version.iter().any(|v| v.name.contains("MariaDB")))
}

/// MySQL names the primary key `PRIMARY`, always: no name to keep.
fn forget_primary_key_names(schema: &mut Schema) {
    for table in &mut schema.tables {
        table.primary_key_name = None;
    }
}

/// The column of `row`, on MariaDB if `mariadb`.
fn column(row: ColumnRow, mariadb: bool) -> Result<Column, String> {
    // The lengths of other types (`TEXT`, `BLOB`) are not the model's.
    let max_length = if row.data_type == "varchar" || row.data_type == "char" {
        row.length()?
    } else {
        None
    };
    let mut column = Column::new(
        row.column_name,
        mysql_type(&row.data_type, &row.type_name),
        row.is_nullable == "YES",
    );
    column.max_length = max_length;
    column.default = mysql_default(row.default_value, &row.extra, mariadb);
    column.auto_increment = row.extra.to_lowercase().contains("auto_increment");
    column.database_type = Some(row.database_type);
    Ok(column)
}

/// The default as an expression to write after `DEFAULT`.
fn mysql_default(value: Option<String>, extra: &str, mariadb: bool) -> Option<String> {
    let value = value?;
    if mariadb {
        // MariaDB writes expressions and quoted literals, and `NULL` for
        // no default on a nullable column.
        return (value != "NULL").then_some(value);
    }
    if extra.contains("DEFAULT_GENERATED") {
        if value.to_uppercase().starts_with("CURRENT_TIMESTAMP") {
            return Some(value);
        }
        return Some(format!("({value})"));
    }
    if value.parse::<f64>().is_ok() {
        return Some(value);
    }
    Some(format!(
        "'{}'",
        value.replace('\\', "\\\\").replace('\'', "''")
    ))
}
