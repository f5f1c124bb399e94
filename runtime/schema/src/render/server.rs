//! PostgreSQL and MySQL/MariaDB: each operation as `ALTER TABLE`, with
//! MySQL's foreign keys dropped around the columns they use.

use revchain_internals::sql::Dialect;

use super::{Renderer, foreign_key_name, primary_key_name};
use crate::diff::Operation;
use crate::model::{Column, ForeignKey};

impl Renderer<'_> {
    /// Writes the operations for PostgreSQL or MySQL.
    pub(super) fn server(&mut self) {
        let diff = self.diff;
        // MySQL refuses to modify a column a foreign key uses: drop those
        // keys first and add them back at the end.
        let mut wrapped: Vec<(String, ForeignKey)> = Vec::new();
        if self.dialect == Dialect::Mysql {
            for op in &diff.operations {
                if let Operation::AlterColumn { table, to, .. } = op {
                    for (owner, fk) in self.keys_using(table, &to.name) {
                        if !wrapped.iter().any(|(t, f)| *t == owner && f.same_as(&fk)) {
                            wrapped.push((owner, fk));
                        }
                    }
                }
            }
        }
        for (table, fk) in &wrapped {
            let statement = self.drop_foreign_key(table, fk);
            self.out.statements.push(statement);
        }
        for op in &diff.operations {
            self.server_operation(op);
        }
        for (table, fk) in &wrapped {
            let statement = self.add_foreign_key(table, fk);
            self.out.statements.push(statement);
        }
    }

    /// The foreign keys present before and after that use `table`.`column`,
    /// on either side.
    fn keys_using(&self, table: &str, column: &str) -> Vec<(String, ForeignKey)> {
        let mut keys = Vec::new();
        for owner in &self.diff.before.tables {
            let Some(after) = self.diff.after.table(&owner.name) else {
                continue;
            };
            for fk in &owner.foreign_keys {
                let uses = (owner.name == table && fk.columns.iter().any(|c| c == column))
                    || (fk.referenced_table == table
                        && fk.referenced_columns.iter().any(|c| c == column));
                if uses && after.foreign_keys.iter().any(|f| f.same_as(fk)) {
                    keys.push((owner.name.clone(), fk.clone()));
                }
            }
        }
        keys
    }

    fn server_operation(&mut self, op: &Operation) {
        let statements = match op {
            Operation::AddTable(table) => {
                let mut statements = vec![self.create_table(table, &table.name)];
                statements.extend(self.create_indexes(table));
                statements
            }
            Operation::DropTable(table) => vec![self.drop_table(&table.name)],
            Operation::AddColumn { table, column } => vec![self.add_column(table, column)],
            Operation::DropColumn { table, column } => vec![self.drop_column(table, &column.name)],
            Operation::AlterColumn { table, from, to } => self.alter_column(table, from, to),
            Operation::AddPrimaryKey {
                table,
                columns,
                name,
            } => {
                let columns = self.list(columns);
                match self.dialect {
                    Dialect::Mysql => {
                        vec![format!(
                            "ALTER TABLE {} ADD PRIMARY KEY ({columns})",
                            self.q(table)
                        )]
                    }
                    _ => vec![format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({columns})",
                        self.q(table),
                        self.q(&primary_key_name(table, name.as_deref()))
                    )],
                }
            }
            Operation::DropPrimaryKey { table, name, .. } => match self.dialect {
                Dialect::Mysql => vec![format!("ALTER TABLE {} DROP PRIMARY KEY", self.q(table))],
                _ => vec![format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    self.q(table),
                    self.q(&primary_key_name(table, name.as_deref()))
                )],
            },
            Operation::AddForeignKey { table, foreign_key } => {
                vec![self.add_foreign_key(table, foreign_key)]
            }
            Operation::DropForeignKey { table, foreign_key } => {
                vec![self.drop_foreign_key(table, foreign_key)]
            }
        };
        self.out.statements.extend(statements);
    }

    fn add_foreign_key(&self, table: &str, fk: &ForeignKey) -> String {
        format!(
            "ALTER TABLE {} ADD {}",
            self.q(table),
            self.foreign_key_clause(table, fk)
        )
    }

    fn drop_foreign_key(&self, table: &str, fk: &ForeignKey) -> String {
        let name = foreign_key_name(table, fk);
        match self.dialect {
            Dialect::Mysql => format!(
                "ALTER TABLE {} DROP FOREIGN KEY {}",
                self.q(table),
                self.q(&name)
            ),
            _ => format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.q(table),
                self.q(&name)
            ),
        }
    }

    fn alter_column(&mut self, table: &str, from: &Column, to: &Column) -> Vec<String> {
        let t = self.q(table);
        let c = self.q(&to.name);
        match self.dialect {
            Dialect::Mysql => {
                let definition = self.column_definition(table, to, &self.diff.after);
                vec![format!("ALTER TABLE {t} MODIFY COLUMN {definition}")]
            }
            _ => {
                let mut statements = Vec::new();
                if from.sql_type != to.sql_type || from.database_type != to.database_type {
                    let ty = self.column_type(table, to, &self.diff.after);
                    statements.push(format!(
                        "ALTER TABLE {t} ALTER COLUMN {c} TYPE {ty} USING {c}::{ty}"
                    ));
                }
                if from.nullable != to.nullable {
                    let change = if to.nullable { "DROP" } else { "SET" };
                    statements.push(format!(
                        "ALTER TABLE {t} ALTER COLUMN {c} {change} NOT NULL"
                    ));
                }
                statements
            }
        }
    }
}
