//! MySQL and MariaDB: the current database (`DATABASE()`), from
//! `information_schema`.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{MysqlConnection, RunQueryDsl};
use revchain_internals::sql::Dialect;

use super::information_schema::{ForeignKeyRow, KeyRow, assemble_keys};
use super::{Introspect, IntrospectError, NameRow, context, excluded_tables};
use crate::model::{Column, Schema, Table};
use crate::mysql_type;

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    max_length: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    default_value: Option<String>,
    #[diesel(sql_type = Text)]
    extra: String,
}

impl Introspect for MysqlConnection {
    fn introspect(&mut self, version_table: &str) -> Result<Schema, IntrospectError> {
        let excluded = excluded_tables(version_table);
        let version: Vec<NameRow> = context(
            diesel::sql_query("SELECT CAST(VERSION() AS CHAR) AS name").load(self),
            || "reading the server's version".to_owned(),
        )?;
        let mariadb = version.iter().any(|v| v.name.contains("MariaDB"));
        let names: Vec<NameRow> = context(
            diesel::sql_query(
                "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
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
                "SELECT CAST(table_name AS CHAR) AS table_name, CAST(column_name AS CHAR) AS column_name, \
                 CAST(data_type AS CHAR) AS data_type, CAST(column_type AS CHAR) AS column_type, \
                 CAST(is_nullable AS CHAR) AS is_nullable, \
                 CAST(character_maximum_length AS SIGNED) AS max_length, \
                 CAST(column_default AS CHAR) AS default_value, CAST(extra AS CHAR) AS extra \
                 FROM information_schema.columns WHERE table_schema = DATABASE() \
                 ORDER BY table_name, ordinal_position",
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
                mysql_type(&row.data_type, &row.column_type),
                row.is_nullable == "YES",
            );
            if row.data_type == "varchar" || row.data_type == "char" {
                column.max_length = row.max_length.and_then(|n| u32::try_from(n).ok());
            }
            column.default = mysql_default(row.default_value, &row.extra, mariadb);
            column.auto_increment = row.extra.to_lowercase().contains("auto_increment");
            column.database_type = Some(row.column_type);
            table.columns.push(column);
        }
        let primary: Vec<KeyRow> = context(
            diesel::sql_query(
                "SELECT CAST(table_name AS CHAR) AS table_name, CAST(constraint_name AS CHAR) AS constraint_name, \
                 CAST(column_name AS CHAR) AS column_name FROM information_schema.key_column_usage \
                 WHERE table_schema = DATABASE() AND constraint_name = 'PRIMARY' \
                 ORDER BY table_name, ordinal_position",
            )
            .load(self),
            || "reading the primary keys in `information_schema.key_column_usage`".to_owned(),
        )?;
        let foreign: Vec<ForeignKeyRow> = context(
            diesel::sql_query(
                "SELECT CAST(table_name AS CHAR) AS table_name, CAST(constraint_name AS CHAR) AS constraint_name, \
                 CAST(column_name AS CHAR) AS column_name, CAST(referenced_table_name AS CHAR) AS referenced_table, \
                 CAST(referenced_column_name AS CHAR) AS referenced_column \
                 FROM information_schema.key_column_usage \
                 WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL \
                 ORDER BY table_name, constraint_name, ordinal_position",
            )
            .load(self),
            || "reading the foreign keys in `information_schema.key_column_usage`".to_owned(),
        )?;
        assemble_keys(&mut tables, primary, foreign);
        for table in &mut tables {
            // MySQL names the primary key `PRIMARY`, always.
            table.primary_key_name = None;
        }
        Ok(Schema {
            tables,
            dialect: Some(Dialect::Mysql),
        })
    }
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
