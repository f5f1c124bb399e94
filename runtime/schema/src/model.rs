//! The dialect-neutral schema both sides are read into: tables, their
//! columns in order, their primary key and foreign keys.
//!
//! Some fields describe what only a database knows ([`Column::default`],
//! [`Table::indexes`], constraint names). [`compare`](crate::compare)
//! never compares them with the models; the renderer uses them to keep a
//! table whole when SQLite has to rebuild it, and to name the constraints it
//! drops. [`differences`](crate::differences), which compares two readings
//! of one database, compares the indexes too.

use std::fmt;

use revchain_internals::sql::Dialect;

/// A whole schema: the models of a `schema.rs`, or what a database holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// The tables, in the order they were read.
    pub tables: Vec<Table>,
    /// The dialect of the database this schema was introspected from, if any.
    /// [`compare`](crate::compare) uses it to compare types (see
    /// [`SqlType::same_as`]).
    pub dialect: Option<Dialect>,
}

impl Schema {
    /// The table called `name`.
    ///
    /// ```
    /// use revchain_schema::{Schema, Table};
    ///
    /// let schema = Schema { tables: vec![Table::new("users")], dialect: None };
    /// assert!(schema.table("users").is_some());
    /// assert!(schema.table("posts").is_none());
    /// ```
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// A table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The table's name in the database (`#[sql_name]` when given).
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// The columns of the primary key, in order; empty when there is none.
    pub primary_key: Vec<String>,
    /// The foreign keys whose referencing columns are in this table.
    pub foreign_keys: Vec<ForeignKey>,
    /// The primary key constraint's name in the database (PostgreSQL), never
    /// compared.
    pub primary_key_name: Option<String>,
    /// Indexes and unique constraints other than the primary key, but those
    /// on an expression; never compared with the models (`schema.rs` cannot
    /// express them), compared by [`differences`](crate::differences).
    pub indexes: Vec<Index>,
}

impl Table {
    /// An empty table called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Table {
            name: name.into(),
            ..Table::default()
        }
    }

    /// The column called `name`.
    ///
    /// ```
    /// use revchain_schema::{Column, SqlType, Table};
    ///
    /// let mut users = Table::new("users");
    /// users.columns.push(Column::new("id", SqlType::Integer, false));
    /// assert_eq!(users.column("id").map(|c| c.nullable), Some(false));
    /// ```
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The column's name in the database (`#[sql_name]` when given).
    pub name: String,
    /// Its logical type.
    pub sql_type: SqlType,
    /// Whether it accepts `NULL` (`Nullable<…>` in `schema.rs`).
    pub nullable: bool,
    /// The maximum length of a text column (`#[max_length = N]` in
    /// `schema.rs`, `VARCHAR(N)` in a database), never compared; used when
    /// rendering `VARCHAR`.
    pub max_length: Option<u32>,
    /// The default as an SQL expression, as the database reports it, never
    /// compared; kept when SQLite rebuilds a table and when MySQL modifies a
    /// column.
    pub default: Option<String>,
    /// The type as the database spells it (`VARCHAR(100)`, `int(11)`,
    /// `numeric(10,2)`), never compared; written instead of the logical
    /// type's spelling when the type does not change.
    pub database_type: Option<String>,
    /// MySQL's `AUTO_INCREMENT`, never compared; kept when MySQL modifies
    /// the column.
    pub auto_increment: bool,
}

impl Column {
    /// A column of `sql_type`, with nothing else known.
    pub fn new(name: impl Into<String>, sql_type: SqlType, nullable: bool) -> Self {
        Column {
            name: name.into(),
            sql_type,
            nullable,
            max_length: None,
            default: None,
            database_type: None,
            auto_increment: false,
        }
    }
}

/// A foreign key: columns of the table that holds it referencing columns of
/// another table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referencing columns, in this table.
    pub columns: Vec<String>,
    /// The referenced table.
    pub referenced_table: String,
    /// The referenced columns, in the order of `columns`.
    pub referenced_columns: Vec<String>,
    /// The constraint's name in the database, never compared. `None` for a
    /// foreign key from `joinable!`: the renderer then names it
    /// `<table>_<columns>_fkey`.
    pub name: Option<String>,
}

impl ForeignKey {
    /// Whether both describe the same reference, whatever their names.
    pub fn same_as(&self, other: &ForeignKey) -> bool {
        self.columns == other.columns
            && self.referenced_table == other.referenced_table
            && self.referenced_columns == other.referenced_columns
    }
}

/// An index or unique constraint that is not the primary key. Never
/// compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
}

/// A logical SQL type: diesel's `sql_types`, without the dialect.
///
/// [`SqlType::from_diesel`] reads diesel's names and aliases; introspection
/// maps each database's types to the same values; [`SqlType::same_as`]
/// decides whether two types are the same for a comparison.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// `TinyInt` (MySQL's `TINYINT`).
    TinyInt,
    /// `SmallInt`, `Int2`.
    SmallInt,
    /// `Integer`, `Int4`.
    Integer,
    /// `BigInt`, `Int8`.
    BigInt,
    /// `Float`, `Float4`.
    Float,
    /// `Double`, `Float8`.
    Double,
    /// `Numeric`, `Decimal`.
    Numeric,
    /// `Text` and MySQL's `Tinytext`, `Mediumtext`, `Longtext`; also `Char`.
    Text,
    /// `Varchar`, `VarChar`: the same as [`SqlType::Text`] for comparisons,
    /// rendered as `VARCHAR`.
    Varchar,
    /// `Binary`, `Bytea`, `Blob` and MySQL's other blobs.
    Binary,
    /// `Bool`.
    Bool,
    /// `Date`.
    Date,
    /// `Time`.
    Time,
    /// `Timestamp`.
    Timestamp,
    /// `Datetime` (MySQL): the same as [`SqlType::Timestamp`] for
    /// comparisons, rendered as `DATETIME` on MySQL.
    Datetime,
    /// `Timestamptz`, `TimestamptzSqlite`.
    Timestamptz,
    /// `Interval`.
    Interval,
    /// `Uuid`.
    Uuid,
    /// `Json`.
    Json,
    /// `Jsonb`.
    Jsonb,
    /// `Array<T>` (PostgreSQL).
    Array(Box<SqlType>),
    /// `Unsigned<T>` (MySQL).
    Unsigned(Box<SqlType>),
    /// Any other type, by name: a custom type from `schema.rs` (such as
    /// `crate::schema::sql_types::Mood`, kept as `Mood`) or a database type
    /// revchain does not know (such as `mood`).
    Other(String),
}

impl SqlType {
    /// The logical type named by diesel's type `name` (the last segment of
    /// its path), or [`SqlType::Other`].
    ///
    /// ```
    /// use revchain_schema::SqlType;
    ///
    /// assert_eq!(SqlType::from_diesel("Int4"), SqlType::Integer);
    /// assert_eq!(SqlType::from_diesel("Mood"), SqlType::Other("Mood".to_owned()));
    /// ```
    pub fn from_diesel(name: &str) -> SqlType {
        match name {
            "TinyInt" | "Tinyint" => SqlType::TinyInt,
            "SmallInt" | "Smallint" | "Int2" => SqlType::SmallInt,
            "Integer" | "Int4" => SqlType::Integer,
            "BigInt" | "Bigint" | "Int8" => SqlType::BigInt,
            "Float" | "Float4" => SqlType::Float,
            "Double" | "Float8" => SqlType::Double,
            "Numeric" | "Decimal" => SqlType::Numeric,
            "Text" | "Tinytext" | "TinyText" | "Mediumtext" | "MediumText" | "Longtext"
            | "LongText" | "Char" | "Bpchar" => SqlType::Text,
            "Varchar" | "VarChar" => SqlType::Varchar,
            "Binary" | "Bytea" | "Blob" | "Tinyblob" | "TinyBlob" | "Mediumblob" | "MediumBlob"
            | "Longblob" | "LongBlob" | "Varbinary" | "VarBinary" => SqlType::Binary,
            "Bool" | "Boolean" => SqlType::Bool,
            "Date" => SqlType::Date,
            "Time" => SqlType::Time,
            "Timestamp" => SqlType::Timestamp,
            "Datetime" => SqlType::Datetime,
            "Timestamptz" | "TimestamptzSqlite" => SqlType::Timestamptz,
            "Interval" => SqlType::Interval,
            "Uuid" => SqlType::Uuid,
            "Json" => SqlType::Json,
            "Jsonb" => SqlType::Jsonb,
            other => SqlType::Other(other.to_owned()),
        }
    }

    /// The type with the distinctions a comparison ignores removed:
    /// `Varchar` is `Text`, `Datetime` is `Timestamp`; outside MySQL
    /// `Unsigned<T>` is `T`; on PostgreSQL `TinyInt` is `SmallInt`; on MySQL
    /// `Timestamptz` is `Timestamp` and `Jsonb` is `Json`; the names of
    /// [`SqlType::Other`] are compared lowercase without `_`.
    pub fn canonical(&self, dialect: Option<Dialect>) -> SqlType {
        match (self, dialect) {
            (SqlType::Varchar, _) => SqlType::Text,
            (SqlType::Datetime, _) => SqlType::Timestamp,
            (SqlType::Unsigned(inner), Some(Dialect::Mysql)) => {
                SqlType::Unsigned(Box::new(inner.canonical(dialect)))
            }
            (SqlType::Unsigned(inner), _) => inner.canonical(dialect),
            (SqlType::TinyInt, Some(Dialect::Postgres)) => SqlType::SmallInt,
            (SqlType::Timestamptz, Some(Dialect::Mysql)) => SqlType::Timestamp,
            (SqlType::Jsonb, Some(Dialect::Mysql)) => SqlType::Json,
            (SqlType::Array(inner), _) => SqlType::Array(Box::new(inner.canonical(dialect))),
            (SqlType::Other(name), _) => SqlType::Other(name.to_lowercase().replace('_', "")),
            (other, _) => other.clone(),
        }
    }

    /// Whether two types are the same for a comparison on `dialect` (see
    /// [`SqlType::canonical`]).
    ///
    /// ```
    /// use revchain_schema::{Dialect, SqlType};
    ///
    /// assert!(SqlType::Varchar.same_as(&SqlType::Text, None));
    /// assert!(SqlType::Timestamptz.same_as(&SqlType::Timestamp, Some(Dialect::Mysql)));
    /// assert!(!SqlType::Timestamptz.same_as(&SqlType::Timestamp, Some(Dialect::Postgres)));
    /// ```
    pub fn same_as(&self, other: &SqlType, dialect: Option<Dialect>) -> bool {
        self.canonical(dialect) == other.canonical(dialect)
    }
}

impl fmt::Display for SqlType {
    /// diesel's name of the type: `Integer`, `Array<Text>`, …
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            SqlType::TinyInt => "TinyInt",
            SqlType::SmallInt => "SmallInt",
            SqlType::Integer => "Integer",
            SqlType::BigInt => "BigInt",
            SqlType::Float => "Float",
            SqlType::Double => "Double",
            SqlType::Numeric => "Numeric",
            SqlType::Text => "Text",
            SqlType::Varchar => "Varchar",
            SqlType::Binary => "Binary",
            SqlType::Bool => "Bool",
            SqlType::Date => "Date",
            SqlType::Time => "Time",
            SqlType::Timestamp => "Timestamp",
            SqlType::Datetime => "Datetime",
            SqlType::Timestamptz => "Timestamptz",
            SqlType::Interval => "Interval",
            SqlType::Uuid => "Uuid",
            SqlType::Json => "Json",
            SqlType::Jsonb => "Jsonb",
            SqlType::Array(inner) => return write!(f, "Array<{inner}>"),
            SqlType::Unsigned(inner) => return write!(f, "Unsigned<{inner}>"),
            SqlType::Other(name) => name,
        };
        f.write_str(name)
    }
}
