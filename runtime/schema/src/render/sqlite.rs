//! SQLite: `ADD COLUMN` and `DROP COLUMN` where SQLite can, a rebuild of
//! the table (its 12-step procedure) for every other change.

use super::{Renderer, in_own_key, is_key};
use crate::diff::Operation;

impl Renderer<'_> {
    /// Writes the operations for SQLite.
    pub(super) fn sqlite(&mut self) {
        let diff = self.diff;
        let rebuilt: Vec<String> = {
            let mut names: Vec<String> = Vec::new();
            for op in &diff.operations {
                if self.sqlite_needs_rebuild(op) && !names.iter().any(|n| n == op.table()) {
                    names.push(op.table().to_owned());
                }
            }
            names
        };
        if !rebuilt.is_empty() {
            self.out.notes.push(format!(
                "sqlite cannot alter these columns or keys: {} rebuilt with its 12-step procedure (https://www.sqlite.org/lang_altertable.html#otheralter): create `new_<table>`, copy the columns, drop the table, rename `new_<table>`, create its indexes",
                if rebuilt.len() == 1 { "the table is" } else { "the tables are" }
            ));
            self.out.notes.push(
                "`PRAGMA foreign_keys` cannot change inside the revision's transaction, so this file does not switch it: apply it with foreign key enforcement off, SQLite's default (diesel leaves it off), or the drop fails for a table other tables reference".to_owned(),
            );
        }
        let mut done: Vec<&str> = Vec::new();
        for op in &diff.operations {
            let table = op.table();
            if rebuilt.iter().any(|n| n == table) {
                if !done.contains(&table) {
                    done.push(table);
                    self.rebuild(table);
                }
                continue;
            }
            let statements = match op {
                Operation::AddTable(t) => {
                    let mut statements = vec![self.create_table(t, &t.name)];
                    statements.extend(self.create_indexes(t));
                    statements
                }
                Operation::DropTable(t) => vec![self.drop_table(&t.name)],
                Operation::AddColumn { table, column } => vec![self.add_column(table, column)],
                Operation::DropColumn { table, column } => {
                    vec![self.drop_column(table, &column.name)]
                }
                // Every other operation rebuilds its table.
                _ => Vec::new(),
            };
            self.out.statements.extend(statements);
        }
    }

    fn sqlite_needs_rebuild(&self, op: &Operation) -> bool {
        match op {
            Operation::AddTable(_) | Operation::DropTable(_) => false,
            Operation::AddColumn { table, column } => {
                let in_key =
                    (self.diff.after.table(table)).is_some_and(|t| in_own_key(t, &column.name));
                !column.nullable || column.default.is_some() || in_key
            }
            Operation::DropColumn { table, column } => {
                is_key(&self.diff.before, table, &column.name)
            }
            _ => true,
        }
    }

    fn rebuild(&mut self, name: &str) {
        let (Some(before), Some(after)) =
            (self.diff.before.table(name), self.diff.after.table(name))
        else {
            return;
        };
        let new_name = format!("new_{name}");
        self.out.warnings.push(format!(
            "table `{name}` is rebuilt on sqlite: its checks, triggers, collations and any view on it are not carried over; add them to `up.sql` and `down.sql` if it has any"
        ));
        let mut statements = vec![self.create_table(after, &new_name)];
        let common: Vec<String> = after
            .columns
            .iter()
            .filter(|c| before.column(&c.name).is_some())
            .map(|c| c.name.clone())
            .collect();
        if !common.is_empty() {
            let columns = self.list(&common);
            statements.push(format!(
                "INSERT INTO {} ({columns}) SELECT {columns} FROM {}",
                self.q(&new_name),
                self.q(name)
            ));
        }
        statements.push(self.drop_table(name));
        statements.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            self.q(&new_name),
            self.q(name)
        ));
        statements.extend(self.create_indexes(after));
        self.out.statements.extend(statements);
    }
}
