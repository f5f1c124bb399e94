//! The logical type of a column from each database's name for its type:
//! SQLite's declared type, PostgreSQL's and MySQL's `information_schema`
//! columns. Available without a backend feature, for callers that read
//! type names themselves.

use crate::model::SqlType;

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
        .split_once('(')
        .map_or(upper.as_str(), |(name, _)| name);
    match base.trim() {
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
