//! A column's type as each dialect spells it.

use revchain_internals::sql::Dialect;

use super::{Renderer, is_key};
use crate::model::{Column, Schema, SqlType};

impl Renderer<'_> {
    /// The type of `table`.`column` in a definition: its database spelling
    /// when native, else the dialect's name for its logical type.
    pub(super) fn column_type(&mut self, table: &str, column: &Column, schema: &Schema) -> String {
        if self.native
            && let Some(spelling) = &column.database_type
        {
            return spelling.clone();
        }
        // MySQL indexes no TEXT or BLOB without a length: a key column gets
        // VARCHAR(255) or VARBINARY(255).
        let in_key = self.dialect == Dialect::Mysql && is_key(schema, table, &column.name);
        match (&column.sql_type, in_key) {
            (SqlType::Text, true) => "VARCHAR(255)".to_owned(),
            (SqlType::Binary, true) => "VARBINARY(255)".to_owned(),
            (ty, _) => self.type_name(ty, column.max_length, &column.name, table),
        }
    }

    fn type_name(
        &mut self,
        ty: &SqlType,
        max_length: Option<u32>,
        column: &str,
        table: &str,
    ) -> String {
        let d = self.dialect;
        let pick = |pg: &str, mysql: &str, sqlite: &str| -> String {
            match d {
                Dialect::Postgres => pg,
                Dialect::Mysql => mysql,
                Dialect::Sqlite => sqlite,
            }
            .to_owned()
        };
        match ty {
            SqlType::TinyInt => pick("SMALLINT", "TINYINT", "TINYINT"),
            SqlType::SmallInt => pick("SMALLINT", "SMALLINT", "SMALLINT"),
            SqlType::Integer => "INTEGER".to_owned(),
            SqlType::BigInt => "BIGINT".to_owned(),
            SqlType::Float => pick("REAL", "FLOAT", "FLOAT"),
            SqlType::Double => pick("DOUBLE PRECISION", "DOUBLE", "DOUBLE"),
            SqlType::Numeric => pick("NUMERIC", "DECIMAL(38, 10)", "NUMERIC"),
            SqlType::Text => "TEXT".to_owned(),
            SqlType::Varchar => match (max_length, d) {
                (Some(n), _) => format!("VARCHAR({n})"),
                (None, Dialect::Mysql) => "VARCHAR(255)".to_owned(),
                (None, _) => "VARCHAR".to_owned(),
            },
            SqlType::Binary => pick("BYTEA", "BLOB", "BLOB"),
            SqlType::Bool => "BOOLEAN".to_owned(),
            SqlType::Date => "DATE".to_owned(),
            SqlType::Time => "TIME".to_owned(),
            SqlType::Timestamp => "TIMESTAMP".to_owned(),
            SqlType::Datetime => pick("TIMESTAMP", "DATETIME", "DATETIME"),
            SqlType::Timestamptz => pick("TIMESTAMPTZ", "TIMESTAMP", "TIMESTAMPTZ"),
            SqlType::Interval => {
                if d == Dialect::Mysql {
                    self.unsupported(ty, table, column);
                }
                "INTERVAL".to_owned()
            }
            SqlType::Uuid => "UUID".to_owned(),
            SqlType::Json => "JSON".to_owned(),
            SqlType::Jsonb => pick("JSONB", "JSON", "JSONB"),
            SqlType::Array(inner) => {
                if d != Dialect::Postgres {
                    self.unsupported(ty, table, column);
                }
                format!("{}[]", self.type_name(inner, None, column, table))
            }
            SqlType::Unsigned(inner) => {
                let inner = self.type_name(inner, max_length, column, table);
                if d == Dialect::Mysql {
                    format!("{inner} UNSIGNED")
                } else {
                    inner
                }
            }
            SqlType::Other(name) => {
                if d == Dialect::Mysql {
                    self.unsupported(ty, table, column);
                }
                self.q(&snake_case(name))
            }
        }
    }

    fn unsupported(&mut self, ty: &SqlType, table: &str, column: &str) {
        self.out.warnings.push(format!(
            "type `{ty}` of column `{table}`.`{column}` has no {} spelling revchain knows: write the column's type in `up.sql` and `down.sql`",
            self.dialect
        ));
    }
}

/// `MyEnum` as `my_enum`; a name with `_` or lowercase only is unchanged.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
