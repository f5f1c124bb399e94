//! Comparing the models with the database: the operations that turn the
//! database into the models, in an order the databases accept.

use std::collections::BTreeSet;

use revchain_internals::sql::Dialect;

use crate::model::{Column, ForeignKey, Schema, Table};

/// One change to the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Creates a table, with its primary key and foreign keys.
    AddTable(Table),
    /// Drops a table (its definition is kept for the inverse).
    DropTable(Table),
    /// Adds a column.
    AddColumn {
        /// The table.
        table: String,
        /// The column.
        column: Column,
    },
    /// Drops a column (its definition is kept for the inverse).
    DropColumn {
        /// The table.
        table: String,
        /// The column.
        column: Column,
    },
    /// Changes a column's type, nullability, or both.
    AlterColumn {
        /// The table.
        table: String,
        /// The column as it is.
        from: Column,
        /// The column as it becomes.
        to: Column,
    },
    /// Adds a primary key.
    AddPrimaryKey {
        /// The table.
        table: String,
        /// Its columns.
        columns: Vec<String>,
        /// The constraint's name, when known.
        name: Option<String>,
    },
    /// Drops the primary key.
    DropPrimaryKey {
        /// The table.
        table: String,
        /// Its columns.
        columns: Vec<String>,
        /// The constraint's name, when known.
        name: Option<String>,
    },
    /// Adds a foreign key.
    AddForeignKey {
        /// The referencing table.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKey,
    },
    /// Drops a foreign key.
    DropForeignKey {
        /// The referencing table.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKey,
    },
}

impl Operation {
    /// The operation that undoes this one.
    pub fn inverse(&self) -> Operation {
        match self.clone() {
            Operation::AddTable(t) => Operation::DropTable(t),
            Operation::DropTable(t) => Operation::AddTable(t),
            Operation::AddColumn { table, column } => Operation::DropColumn { table, column },
            Operation::DropColumn { table, column } => Operation::AddColumn { table, column },
            Operation::AlterColumn { table, from, to } => Operation::AlterColumn {
                table,
                from: to,
                to: from,
            },
            Operation::AddPrimaryKey {
                table,
                columns,
                name,
            } => Operation::DropPrimaryKey {
                table,
                columns,
                name,
            },
            Operation::DropPrimaryKey {
                table,
                columns,
                name,
            } => Operation::AddPrimaryKey {
                table,
                columns,
                name,
            },
            Operation::AddForeignKey { table, foreign_key } => {
                Operation::DropForeignKey { table, foreign_key }
            }
            Operation::DropForeignKey { table, foreign_key } => {
                Operation::AddForeignKey { table, foreign_key }
            }
        }
    }

    /// The table the operation changes.
    pub fn table(&self) -> &str {
        match self {
            Operation::AddTable(t) | Operation::DropTable(t) => &t.name,
            Operation::AddColumn { table, .. }
            | Operation::DropColumn { table, .. }
            | Operation::AlterColumn { table, .. }
            | Operation::AddPrimaryKey { table, .. }
            | Operation::DropPrimaryKey { table, .. }
            | Operation::AddForeignKey { table, .. }
            | Operation::DropForeignKey { table, .. } => table,
        }
    }

    /// The operation as Alembic-style tuples, one per change (an
    /// [`Operation::AlterColumn`] that changes both the type and the
    /// nullability gives two):
    ///
    /// | operation | tuple |
    /// | --- | --- |
    /// | add / drop a table | `('add_table', 'posts')`, `('remove_table', 'posts')` |
    /// | add / drop a column | `('add_column', 'users', 'email')`, `('remove_column', 'users', 'email')` |
    /// | type | `('modify_type', 'users', 'age', 'Integer', 'BigInt')` |
    /// | nullability | `('modify_nullable', 'users', 'email', 'null', 'not null')` |
    /// | primary key | `('remove_pk', 't', ['a'])`, `('add_pk', 't', ['a', 'b'])` |
    /// | foreign key | `('add_fk', 'posts', ['author_id'], 'users', ['id'])`, `('remove_fk', …)` |
    ///
    /// ```
    /// use revchain_schema::{Column, Operation, SqlType};
    ///
    /// let op = Operation::AddColumn {
    ///     table: "users".to_owned(),
    ///     column: Column::new("email", SqlType::Text, true),
    /// };
    /// assert_eq!(op.describe(), ["('add_column', 'users', 'email')"]);
    /// ```
    pub fn describe(&self) -> Vec<String> {
        fn list(names: &[String]) -> String {
            let quoted: Vec<String> = names.iter().map(|n| quote(n)).collect();
            format!("[{}]", quoted.join(", "))
        }
        fn nullable(n: bool) -> &'static str {
            if n { "'null'" } else { "'not null'" }
        }
        fn foreign_key_line(kind: &str, table: &str, fk: &ForeignKey) -> String {
            format!(
                "('{kind}', {}, {}, {}, {})",
                quote(table),
                list(&fk.columns),
                quote(&fk.referenced_table),
                list(&fk.referenced_columns)
            )
        }
        match self {
            Operation::AddTable(t) => vec![format!("('add_table', {})", quote(&t.name))],
            Operation::DropTable(t) => vec![format!("('remove_table', {})", quote(&t.name))],
            Operation::AddColumn { table, column } => vec![format!(
                "('add_column', {}, {})",
                quote(table),
                quote(&column.name)
            )],
            Operation::DropColumn { table, column } => vec![format!(
                "('remove_column', {}, {})",
                quote(table),
                quote(&column.name)
            )],
            Operation::AlterColumn { table, from, to } => {
                let mut lines = Vec::new();
                let type_changed = from.sql_type.canonical(None) != to.sql_type.canonical(None);
                // A type that differs only on the database's dialect is a
                // type change too.
                if type_changed || from.nullable == to.nullable {
                    lines.push(format!(
                        "('modify_type', {}, {}, {}, {})",
                        quote(table),
                        quote(&to.name),
                        quote(&from.sql_type.to_string()),
                        quote(&to.sql_type.to_string())
                    ));
                }
                if from.nullable != to.nullable {
                    lines.push(format!(
                        "('modify_nullable', {}, {}, {}, {})",
                        quote(table),
                        quote(&to.name),
                        nullable(from.nullable),
                        nullable(to.nullable)
                    ));
                }
                lines
            }
            Operation::AddPrimaryKey { table, columns, .. } => {
                vec![format!("('add_pk', {}, {})", quote(table), list(columns))]
            }
            Operation::DropPrimaryKey { table, columns, .. } => {
                vec![format!(
                    "('remove_pk', {}, {})",
                    quote(table),
                    list(columns)
                )]
            }
            Operation::AddForeignKey { table, foreign_key } => {
                vec![foreign_key_line("add_fk", table, foreign_key)]
            }
            Operation::DropForeignKey { table, foreign_key } => {
                vec![foreign_key_line("remove_fk", table, foreign_key)]
            }
        }
    }
}

/// A name as a Python string literal, as Alembic prints it.
fn quote(name: &str) -> String {
    format!("'{}'", name.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The difference between the models and the database: what
/// [`compare`](crate::compare) returns and [`render`](crate::render) writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// The operations that turn `before` into `after`, in order.
    pub operations: Vec<Operation>,
    /// What a human should review: drops that may be renames, `NOT NULL`
    /// columns added without a default. Lowercase, names in backticks.
    pub warnings: Vec<String>,
    /// The compared part of the database, as it is.
    pub before: Schema,
    /// The compared part of the database, as the operations leave it: the
    /// models, with what only the database knows (defaults, indexes,
    /// constraint names) carried over.
    pub after: Schema,
}

impl Diff {
    /// Whether the models and the database agree.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// The diff that undoes this one: inverse operations in reverse order,
    /// `before` and `after` swapped. [`render`](crate::render) writes its
    /// `down.sql` from it.
    pub fn inverse(&self) -> Diff {
        Diff {
            operations: self
                .operations
                .iter()
                .rev()
                .map(Operation::inverse)
                .collect(),
            warnings: Vec::new(),
            before: self.after.clone(),
            after: self.before.clone(),
        }
    }

    /// The operations as Alembic-style tuples (see [`Operation::describe`]).
    pub fn lines(&self) -> Vec<String> {
        self.operations
            .iter()
            .flat_map(Operation::describe)
            .collect()
    }

    /// One line for `check`, in the manner of Alembic's: `new upgrade
    /// operations detected: [('add_column', 'users', 'email'), …]`, or `no
    /// new upgrade operations detected`.
    ///
    /// ```
    /// use revchain_schema::{compare, parse_str};
    ///
    /// let database = parse_str("diesel::table! { users { id -> Integer, } }", "a.rs").unwrap();
    /// let models = parse_str(
    ///     "diesel::table! { users { id -> Integer, email -> Nullable<Text>, } }",
    ///     "b.rs",
    /// )
    /// .unwrap();
    /// assert_eq!(
    ///     compare(&models, &database, &[]).describe(),
    ///     "new upgrade operations detected: [('add_column', 'users', 'email')]"
    /// );
    /// assert_eq!(
    ///     compare(&models, &models, &[]).describe(),
    ///     "no new upgrade operations detected"
    /// );
    /// ```
    pub fn describe(&self) -> String {
        if self.is_empty() {
            "no new upgrade operations detected".to_owned()
        } else {
            format!(
                "new upgrade operations detected: [{}]",
                self.lines().join(", ")
            )
        }
    }
}

/// Compares the models (`schema.rs`) with the database: the operations that
/// turn `database` into `models`.
///
/// Only what `schema.rs` expresses is compared: tables, columns (type and
/// nullability; not their order), primary keys and foreign keys. Defaults,
/// checks, indexes and column lengths are not. Tables named in `ignore` are
/// skipped on both sides. Types are compared with [`SqlType::same_as`] for
/// the dialect of `database` (`Varchar` is `Text`, …).
///
/// [`SqlType::same_as`]: crate::SqlType::same_as
///
/// ```
/// use revchain_schema::{compare, parse_str, Operation};
///
/// let database = parse_str("diesel::table! { users { id -> Integer, name -> Text, } }", "db").unwrap();
/// let models = parse_str("diesel::table! { users { id -> Integer, } }", "schema.rs").unwrap();
/// let diff = compare(&models, &database, &[]);
/// assert!(matches!(&diff.operations[..], [Operation::DropColumn { .. }]));
/// assert!(compare(&models, &database, &["users"]).is_empty());
/// ```
pub fn compare(models: &Schema, database: &Schema, ignore: &[&str]) -> Diff {
    let dialect = database.dialect.or(models.dialect);
    let kept = |t: &&Table| !ignore.contains(&t.name.as_str());
    let before = Schema {
        tables: database.tables.iter().filter(kept).cloned().collect(),
        dialect: database.dialect,
    };
    let model_tables: Vec<&Table> = models.tables.iter().filter(kept).collect();

    // What the database becomes.
    let mut after_tables: Vec<Table> = Vec::new();
    for old in &before.tables {
        if let Some(new) = model_tables.iter().find(|t| t.name == old.name) {
            after_tables.push(merge(old, new, dialect));
        }
    }
    for new in &model_tables {
        if before.table(&new.name).is_none() {
            after_tables.push((*new).clone());
        }
    }
    let after = Schema {
        tables: after_tables,
        dialect: database.dialect,
    };

    let mut operations = Vec::new();
    let mut warnings = Vec::new();

    // 1. foreign keys that go, on the tables that stay
    for (old, new) in kept_tables(&before, &after) {
        for fk in foreign_keys_only_in(old, new) {
            operations.push(Operation::DropForeignKey {
                table: old.name.clone(),
                foreign_key: fk.clone(),
            });
        }
    }

    // 2. tables that go, referencing tables first
    let dropped = tables_only_in(&before, &after);
    for table in dependency_order(&dropped).into_iter().rev() {
        operations.push(Operation::DropTable(table.clone()));
    }

    // 3. the columns and primary keys of the tables that stay
    for (old, new) in kept_tables(&before, &after) {
        let pk_changes = old.primary_key != new.primary_key;
        if pk_changes && !old.primary_key.is_empty() {
            operations.push(Operation::DropPrimaryKey {
                table: old.name.clone(),
                columns: old.primary_key.clone(),
                name: old.primary_key_name.clone(),
            });
        }
        let mut dropped_columns = Vec::new();
        for column in &old.columns {
            if new.column(&column.name).is_none() {
                dropped_columns.push(column.name.clone());
                operations.push(Operation::DropColumn {
                    table: old.name.clone(),
                    column: column.clone(),
                });
            }
        }
        let mut added_columns = Vec::new();
        for column in &new.columns {
            if old.column(&column.name).is_none() {
                added_columns.push(column.name.clone());
                if !column.nullable && column.default.is_none() {
                    warnings.push(format!(
                        "column `{}`.`{}` is added `NOT NULL` without a default: the upgrade fails if `{}` has rows; add a default or fill the column in `up.sql`",
                        new.name, column.name, new.name
                    ));
                }
                operations.push(Operation::AddColumn {
                    table: old.name.clone(),
                    column: column.clone(),
                });
            }
        }
        for column in &new.columns {
            if let Some(was) = old.column(&column.name)
                && (!was.sql_type.same_as(&column.sql_type, dialect)
                    || was.nullable != column.nullable)
            {
                operations.push(Operation::AlterColumn {
                    table: old.name.clone(),
                    from: was.clone(),
                    to: column.clone(),
                });
            }
        }
        if pk_changes && !new.primary_key.is_empty() {
            operations.push(Operation::AddPrimaryKey {
                table: new.name.clone(),
                columns: new.primary_key.clone(),
                name: None,
            });
        }
        if !dropped_columns.is_empty() && !added_columns.is_empty() {
            warnings.push(format!(
                "table `{}` loses {} and gains {}: a rename cannot be told from a drop and an add; if it is one, replace them with a rename in `up.sql` and `down.sql`, or the data is lost",
                old.name,
                names(&dropped_columns),
                names(&added_columns)
            ));
        }
    }

    // 4. tables that come, referenced tables first
    let added = tables_only_in(&after, &before);
    for table in dependency_order(&added) {
        operations.push(Operation::AddTable(table.clone()));
    }
    if !dropped.is_empty() && !added.is_empty() {
        let dropped: Vec<String> = dropped.iter().map(|t| t.name.clone()).collect();
        let added: Vec<String> = added.iter().map(|t| t.name.clone()).collect();
        warnings.push(format!(
            "the database loses table {} and gains {}: a rename cannot be told from a drop and an add; if it is one, replace them with a rename in `up.sql` and `down.sql`, or the data is lost",
            names(&dropped),
            names(&added)
        ));
    }

    // 5. foreign keys that come, on the tables that stayed
    for (old, new) in kept_tables(&before, &after) {
        for fk in foreign_keys_only_in(new, old) {
            operations.push(Operation::AddForeignKey {
                table: new.name.clone(),
                foreign_key: fk.clone(),
            });
        }
    }

    Diff {
        operations,
        warnings,
        before,
        after,
    }
}

/// The tables in both `before` and `after`, as they are in each, in the
/// order of `before`.
fn kept_tables<'s>(
    before: &'s Schema,
    after: &'s Schema,
) -> impl Iterator<Item = (&'s Table, &'s Table)> {
    before
        .tables
        .iter()
        .filter_map(|old| after.table(&old.name).map(|new| (old, new)))
}

/// The tables of `schema` that `other` does not have, in order.
fn tables_only_in<'s>(schema: &'s Schema, other: &Schema) -> Vec<&'s Table> {
    schema
        .tables
        .iter()
        .filter(|t| other.table(&t.name).is_none())
        .collect()
}

/// The foreign keys of `table` that `other` has no equivalent of, in order.
fn foreign_keys_only_in<'t>(
    table: &'t Table,
    other: &Table,
) -> impl Iterator<Item = &'t ForeignKey> {
    table
        .foreign_keys
        .iter()
        .filter(|fk| !other.foreign_keys.iter().any(|f| f.same_as(fk)))
}

fn names(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

/// The model table `new` with what only the database knows of `old`
/// carried over: defaults and lengths of unchanged columns, indexes whose
/// columns remain, constraint names.
fn merge(old: &Table, new: &Table, dialect: Option<Dialect>) -> Table {
    let mut table = new.clone();
    for column in &mut table.columns {
        if let Some(was) = old.column(&column.name) {
            if was.sql_type.same_as(&column.sql_type, dialect) {
                if column.max_length.is_none() {
                    column.max_length = was.max_length;
                }
                // The database's spelling of the type, so that nothing but
                // the compared properties changes.
                column.sql_type = was.sql_type.clone();
                column.database_type.clone_from(&was.database_type);
            }
            column.default.clone_from(&was.default);
            column.auto_increment = was.auto_increment;
        }
    }
    if table.primary_key == old.primary_key {
        table.primary_key_name.clone_from(&old.primary_key_name);
    }
    for fk in &mut table.foreign_keys {
        if let Some(was) = old.foreign_keys.iter().find(|f| f.same_as(fk)) {
            fk.name.clone_from(&was.name);
        }
    }
    table.indexes = old
        .indexes
        .iter()
        .filter(|i| i.columns.iter().all(|c| table.column(c).is_some()))
        .cloned()
        .collect();
    table
}

/// `tables` with every table after the tables it references (among
/// `tables`); a cycle keeps the given order for its tables.
fn dependency_order<'t>(tables: &[&'t Table]) -> Vec<&'t Table> {
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < tables.len() {
        let ready = tables.iter().find(|t| {
            !placed.contains(t.name.as_str())
                && t.foreign_keys.iter().all(|fk| {
                    fk.referenced_table == t.name
                        || !names.contains(fk.referenced_table.as_str())
                        || placed.contains(fk.referenced_table.as_str())
                })
        });
        let next = match ready {
            Some(t) => *t,
            None => match tables.iter().find(|t| !placed.contains(t.name.as_str())) {
                Some(t) => *t,
                None => break,
            },
        };
        placed.insert(next.name.as_str());
        order.push(next);
    }
    order
}
