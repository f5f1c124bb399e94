//! The autogenerate engine of revchain: the models of diesel's `schema.rs`
//! against a live database, written as a revision's `up.sql` and
//! `down.sql`.
//!
//! Four steps, each usable alone:
//!
//! 1. [`parse_file`] / [`parse_str`]: the `diesel::table!` and `joinable!`
//!    definitions of a `schema.rs`, read with syn, into a [`Schema`];
//! 2. [`introspect`]: the schema of a database, through a diesel connection
//!    (`SqliteConnection`, `PgConnection`, `MysqlConnection`, with the
//!    features `sqlite`, `postgres`, `mysql`), into the same model;
//! 3. [`compare`]: the [`Diff`], the ordered [`Operation`]s that turn the
//!    database into the models, with warnings (renames, `NOT NULL` columns
//!    without a default);
//! 4. [`render`]: the diff as a [`Migration`], `up.sql` and its exact
//!    inverse `down.sql`, for a [`Dialect`].
//!
//! `revchain revision --autogenerate` upgrades a scratch database to head and
//! runs all four; `revchain check --schema` stops after [`compare`] and
//! prints [`Diff::describe`]:
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use diesel::connection::{Connection, SimpleConnection};
//! use revchain_schema::{compare, introspect, parse_str, render, Dialect};
//!
//! // The database at head (here made by hand).
//! let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
//! conn.batch_execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").unwrap();
//!
//! // The models, edited: a new column.
//! let models = parse_str(
//!     r#"
//!     diesel::table! {
//!         users (id) {
//!             id -> Integer,
//!             name -> Text,
//!             email -> Nullable<Text>,
//!         }
//!     }
//!     "#,
//!     "src/schema.rs",
//! )
//! .unwrap();
//!
//! let database = introspect(&mut conn, "revchain_version").unwrap();
//! let diff = compare(&models, &database, &[]);
//! assert_eq!(
//!     diff.describe(),
//!     "new upgrade operations detected: [('add_column', 'users', 'email')]"
//! );
//!
//! let migration = render(&diff, Dialect::Sqlite);
//! conn.batch_execute(&migration.up_sql).unwrap();
//! let after = introspect(&mut conn, "revchain_version").unwrap();
//! assert!(compare(&models, &after, &[]).is_empty());
//!
//! conn.batch_execute(&migration.down_sql).unwrap();
//! let back = introspect(&mut conn, "revchain_version").unwrap();
//! assert!(compare(&database, &back, &[]).is_empty());
//! # }
//! ```
//!
//! # What is compared
//!
//! Only what `schema.rs` can express: tables, columns (type and
//! nullability, not their order), primary keys and foreign keys
//! (`joinable!`, always to the parent's primary key). Defaults, checks,
//! indexes, unique constraints, column lengths and `AUTO_INCREMENT` are not
//! compared, and tables named in `ignore` are skipped on both sides.
//!
//! Types are compared as logical types ([`SqlType`]), with the
//! distinctions of [`SqlType::canonical`] removed: `Varchar` and `Text` are
//! the same, as are `Datetime` and `Timestamp`, and on MySQL `Timestamptz`
//! and `Timestamp`. Each database's types map back to logical types
//! ([`sqlite_type`], [`postgres_type`], [`mysql_type`]) so that what
//! [`render`] writes reads back as the models.
//!
//! | logical type | PostgreSQL | MySQL/MariaDB | SQLite |
//! | --- | --- | --- | --- |
//! | `SmallInt` / `Integer` / `BigInt` | `SMALLINT` / `INTEGER` / `BIGINT` | same | same |
//! | `Float` / `Double` | `REAL` / `DOUBLE PRECISION` | `FLOAT` / `DOUBLE` | `FLOAT` / `DOUBLE` |
//! | `Numeric` | `NUMERIC` | `DECIMAL(38, 10)` | `NUMERIC` |
//! | `Text` | `TEXT` | `TEXT`, `VARCHAR(255)` in a key | `TEXT` |
//! | `Varchar` | `VARCHAR(n)`, `VARCHAR` | `VARCHAR(n)`, `VARCHAR(255)` | `VARCHAR(n)`, `VARCHAR` |
//! | `Binary` | `BYTEA` | `BLOB`, `VARBINARY(255)` in a key | `BLOB` |
//! | `Bool` | `BOOLEAN` | `BOOLEAN` (`tinyint(1)`) | `BOOLEAN` |
//! | `Date` / `Time` / `Timestamp` | `DATE` / `TIME` / `TIMESTAMP` | same | same |
//! | `Timestamptz` | `TIMESTAMPTZ` | `TIMESTAMP` | `TIMESTAMPTZ` |
//! | `Uuid` / `Json` / `Jsonb` | `UUID` / `JSON` / `JSONB` | `UUID` (MariaDB) / `JSON` / `JSON` | `UUID` / `JSON` / `JSONB` |
//!
//! `n` is `#[max_length = n]`. When a column's type does not change, its
//! database spelling (`VARCHAR(100)`, `int(11)`) is kept.

mod diff;
mod differences;
mod introspect;
mod model;
mod parse;
mod parse_error;
mod quote;
mod render;

pub use diff::{Diff, Operation, compare};
pub use differences::differences;
pub use introspect::{
    Introspect, IntrospectError, Sample, excluded_tables, introspect, mysql_type, postgres_type,
    sqlite_type,
};
pub use model::{Column, ForeignKey, Index, Schema, SqlType, Table};
pub use parse::{parse_file, parse_str};
pub use parse_error::{ParseError, ParseErrorList, ParseErrors};
pub use quote::quote_identifier;
pub use render::{HEADER, Migration, render};
pub use revchain_internals::sql::Dialect;
