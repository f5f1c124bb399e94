//! Reading a live database's schema into the same model as `schema.rs`.
//!
//! SQLite: `sqlite_master`, `pragma_table_info`, `pragma_foreign_key_list`,
//! `pragma_index_list` and `pragma_index_info`. PostgreSQL (the current
//! schema) and MySQL/MariaDB (`DATABASE()`): `information_schema`. revchain's
//! own tables (the version table and its `_log`) and diesel's
//! `__diesel_schema_migrations` are left out.

use std::fmt;

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use diesel::QueryableByName;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use diesel::sql_types::{Nullable, Text};

use crate::model::SqlType;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use crate::model::{Column, ForeignKey, Schema, Table};

/// Introspection failed: a query the database refused.
#[derive(Debug)]
pub struct IntrospectError {
    /// What was being read, lowercase.
    pub context: String,
    /// The database's error.
    pub source: diesel::result::Error,
}

impl fmt::Display for IntrospectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read the schema of the database: {}",
            self.context
        )
    }
}

impl std::error::Error for IntrospectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
fn context<T>(
    result: diesel::QueryResult<T>,
    what: impl FnOnce() -> String,
) -> Result<T, IntrospectError> {
    result.map_err(|source| IntrospectError {
        context: what(),
        source,
    })
}

/// The tables introspection leaves out for the version table
/// `version_table`: it, its log and diesel's `__diesel_schema_migrations`.
///
/// ```
/// assert_eq!(
///     revchain_schema::excluded_tables("revchain_version"),
///     ["revchain_version", "revchain_version_log", "__diesel_schema_migrations"]
/// );
/// ```
pub fn excluded_tables(version_table: &str) -> [String; 3] {
    [
        version_table.to_owned(),
        format!("{version_table}_log"),
        "__diesel_schema_migrations".to_owned(),
    ]
}

/// A diesel connection whose schema can be read: `SqliteConnection`
/// (feature `sqlite`), `PgConnection` (`postgres`), `MysqlConnection`
/// (`mysql`).
pub trait Introspect {
    /// The schema of the database, without the version table
    /// `version_table`, its log and `__diesel_schema_migrations`.
    fn introspect(&mut self, version_table: &str) -> Result<crate::Schema, IntrospectError>;
}

/// Reads the schema of the database behind `conn`, leaving out the version
/// table `version_table` (revchain's default is `revchain_version`), its log
/// and `__diesel_schema_migrations`.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use diesel::connection::{Connection, SimpleConnection};
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// conn.batch_execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100))").unwrap();
/// let schema = revchain_schema::introspect(&mut conn, "revchain_version").unwrap();
/// let users = schema.table("users").unwrap();
/// assert_eq!(users.primary_key, ["id"]);
/// assert_eq!(users.columns[1].sql_type, revchain_schema::SqlType::Varchar);
/// # }
/// ```
pub fn introspect<C: Introspect>(
    conn: &mut C,
    version_table: &str,
) -> Result<crate::Schema, IntrospectError> {
    conn.introspect(version_table)
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    constraint_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    constraint_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    referenced_table: String,
    #[diesel(sql_type = Text)]
    referenced_column: String,
}

/// Adds the keys of `rows` (ordered by table, constraint, position) to
/// their tables.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn assemble_keys(tables: &mut [Table], primary: Vec<KeyRow>, foreign: Vec<ForeignKeyRow>) {
    for row in primary {
        if let Some(table) = tables.iter_mut().find(|t| t.name == row.table_name) {
            table.primary_key.push(row.column_name);
            table.primary_key_name = Some(row.constraint_name);
        }
    }
    for row in foreign {
        let Some(table) = tables.iter_mut().find(|t| t.name == row.table_name) else {
            continue;
        };
        let name = Some(row.constraint_name);
        match table.foreign_keys.iter_mut().find(|fk| fk.name == name) {
            Some(fk) => {
                fk.columns.push(row.column_name);
                fk.referenced_columns.push(row.referenced_column);
            }
            None => table.foreign_keys.push(ForeignKey {
                columns: vec![row.column_name],
                referenced_table: row.referenced_table,
                referenced_columns: vec![row.referenced_column],
                name,
            }),
        }
    }
}

// ---- SQLite ----

#[cfg(feature = "sqlite")]
mod sqlite {
    use diesel::sql_types::Integer;
    use diesel::{RunQueryDsl, SqliteConnection};
    use revchain_internals::sql::Dialect;

    use super::*;
    use crate::model::Index;

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

    fn table(conn: &mut SqliteConnection, name: String) -> Result<Table, IntrospectError> {
        let columns: Vec<ColumnRow> = context(
            diesel::sql_query(
                "SELECT name, type AS declared, \"notnull\" AS not_null, dflt_value AS default_value, pk FROM pragma_table_info(?) ORDER BY cid",
            )
            .bind::<Text, _>(&name)
            .load(conn),
            || format!("reading the columns of `{name}`"),
        )?;
        let mut table = Table::new(name.clone());
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

        let foreign: Vec<ForeignKeyRow> = context(
            diesel::sql_query(
                "SELECT id, \"table\" AS referenced_table, \"from\" AS column_name, \"to\" AS referenced_column FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            )
            .bind::<Text, _>(&name)
            .load(conn),
            || format!("reading the foreign keys of `{name}`"),
        )?;
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

        let indexes: Vec<IndexRow> = context(
            diesel::sql_query(
                "SELECT name, \"unique\" AS is_unique, origin FROM pragma_index_list(?) ORDER BY name",
            )
            .bind::<Text, _>(&name)
            .load(conn),
            || format!("reading the indexes of `{name}`"),
        )?;
        for row in indexes {
            if row.origin == "pk" {
                continue;
            }
            let columns: Vec<IndexColumnRow> = context(
                diesel::sql_query("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind::<Text, _>(&row.name)
                    .load(conn),
                || format!("reading the columns of index `{}`", row.name),
            )?;
            let columns: Option<Vec<String>> = columns.into_iter().map(|c| c.name).collect();
            // An index on an expression cannot be described: leave it out.
            let Some(columns) = columns else { continue };
            let index_name = if row.origin == "u" {
                // `sqlite_autoindex_…` names are reserved: a rebuild creates
                // the unique constraint as an index of this name.
                format!("{name}_{}_key", columns.join("_"))
            } else {
                row.name
            };
            table.indexes.push(Index {
                name: index_name,
                columns,
                unique: row.is_unique != 0,
            });
        }
        Ok(table)
    }
}

/// The logical type of a column SQLite declares as `declared`: diesel's
/// reading of type names, by name first, then by SQLite's affinity rules.
///
/// ```
/// use revchain_schema::{sqlite_type, SqlType};
///
/// assert_eq!(sqlite_type("VARCHAR(100)"), SqlType::Varchar);
/// assert_eq!(sqlite_type("BOOLEAN"), SqlType::Bool);
/// assert_eq!(sqlite_type("UNSIGNED BIG INT"), SqlType::BigInt);
/// ```
pub fn sqlite_type(declared: &str) -> SqlType {
    let upper = declared.trim().to_uppercase();
    let base = upper
        .split('(')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    match base.as_str() {
        "TINYINT" => return SqlType::TinyInt,
        "SMALLINT" | "INT2" => return SqlType::SmallInt,
        "BIGINT" | "INT8" | "UNSIGNED BIG INT" => return SqlType::BigInt,
        "INTEGER" | "INT" | "INT4" | "MEDIUMINT" => return SqlType::Integer,
        "BOOLEAN" | "BOOL" => return SqlType::Bool,
        "DATE" => return SqlType::Date,
        "TIME" => return SqlType::Time,
        "TIMESTAMP" => return SqlType::Timestamp,
        "DATETIME" => return SqlType::Datetime,
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => return SqlType::Timestamptz,
        "VARCHAR" | "CHARACTER VARYING" | "NVARCHAR" | "VARYING CHARACTER" => {
            return SqlType::Varchar;
        }
        "TEXT" | "CHAR" | "CHARACTER" | "NCHAR" | "NATIVE CHARACTER" | "CLOB" => {
            return SqlType::Text;
        }
        "BLOB" | "" => return SqlType::Binary,
        "REAL" | "DOUBLE" | "DOUBLE PRECISION" | "FLOAT8" => return SqlType::Double,
        "FLOAT" | "FLOAT4" => return SqlType::Float,
        "NUMERIC" | "DECIMAL" => return SqlType::Numeric,
        "UUID" => return SqlType::Uuid,
        "JSON" => return SqlType::Json,
        "JSONB" => return SqlType::Jsonb,
        "INTERVAL" => return SqlType::Interval,
        _ => {}
    }
    if upper.contains("INT") {
        SqlType::Integer
    } else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
        SqlType::Text
    } else if upper.contains("BLOB") {
        SqlType::Binary
    } else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
        SqlType::Double
    } else {
        SqlType::Other(declared.trim().to_owned())
    }
}

// ---- PostgreSQL ----

#[cfg(feature = "postgres")]
mod postgres {
    use diesel::sql_types::Integer;
    use diesel::{PgConnection, RunQueryDsl};
    use revchain_internals::sql::Dialect;

    use super::*;

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
}

/// The logical type of a PostgreSQL column, from `information_schema`'s
/// `data_type` and `udt_name`.
///
/// ```
/// use revchain_schema::{postgres_type, SqlType};
///
/// assert_eq!(postgres_type("character varying", "varchar"), SqlType::Varchar);
/// assert_eq!(postgres_type("ARRAY", "_int4"), SqlType::Array(Box::new(SqlType::Integer)));
/// ```
pub fn postgres_type(data_type: &str, udt_name: &str) -> SqlType {
    if data_type == "ARRAY" {
        let element = udt_name.strip_prefix('_').unwrap_or(udt_name);
        return SqlType::Array(Box::new(postgres_type("", element)));
    }
    match udt_name {
        "int2" => SqlType::SmallInt,
        "int4" => SqlType::Integer,
        "int8" => SqlType::BigInt,
        "float4" => SqlType::Float,
        "float8" => SqlType::Double,
        "numeric" => SqlType::Numeric,
        "text" | "bpchar" => SqlType::Text,
        "varchar" => SqlType::Varchar,
        "bytea" => SqlType::Binary,
        "bool" => SqlType::Bool,
        "date" => SqlType::Date,
        "time" => SqlType::Time,
        "timestamp" => SqlType::Timestamp,
        "timestamptz" => SqlType::Timestamptz,
        "interval" => SqlType::Interval,
        "uuid" => SqlType::Uuid,
        "json" => SqlType::Json,
        "jsonb" => SqlType::Jsonb,
        other => SqlType::Other(other.to_owned()),
    }
}

// ---- MySQL and MariaDB ----

#[cfg(feature = "mysql")]
mod mysql {
    use diesel::sql_types::BigInt;
    use diesel::{MysqlConnection, RunQueryDsl};
    use revchain_internals::sql::Dialect;

    use super::*;

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
}

/// The logical type of a MySQL/MariaDB column, from `information_schema`'s
/// `data_type` and `column_type`.
///
/// ```
/// use revchain_schema::{mysql_type, SqlType};
///
/// assert_eq!(mysql_type("tinyint", "tinyint(1)"), SqlType::Bool);
/// assert_eq!(mysql_type("int", "int(10) unsigned"), SqlType::Unsigned(Box::new(SqlType::Integer)));
/// ```
pub fn mysql_type(data_type: &str, column_type: &str) -> SqlType {
    let column_type = column_type.to_lowercase();
    let base = match data_type.to_lowercase().as_str() {
        "tinyint" if column_type.starts_with("tinyint(1)") => return SqlType::Bool,
        "bool" | "boolean" => return SqlType::Bool,
        "tinyint" => SqlType::TinyInt,
        "smallint" => SqlType::SmallInt,
        "mediumint" | "int" | "integer" => SqlType::Integer,
        "bigint" => SqlType::BigInt,
        "float" => SqlType::Float,
        "double" | "real" => SqlType::Double,
        "decimal" | "numeric" => SqlType::Numeric,
        "varchar" => SqlType::Varchar,
        "char" | "text" | "tinytext" | "mediumtext" | "longtext" => SqlType::Text,
        "binary" | "varbinary" | "blob" | "tinyblob" | "mediumblob" | "longblob" => SqlType::Binary,
        "date" => SqlType::Date,
        "time" => SqlType::Time,
        "datetime" => SqlType::Datetime,
        "timestamp" => SqlType::Timestamp,
        "json" => SqlType::Json,
        "uuid" => SqlType::Uuid,
        _ => return SqlType::Other(column_type),
    };
    if column_type.contains("unsigned") {
        SqlType::Unsigned(Box::new(base))
    } else {
        base
    }
}
