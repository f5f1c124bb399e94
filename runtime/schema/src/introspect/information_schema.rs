//! What PostgreSQL and MySQL/MariaDB read alike from `information_schema`:
//! the rows of primary and foreign keys, and how they join their tables.

use diesel::QueryableByName;
use diesel::sql_types::Text;

use crate::model::{ForeignKey, Table};

#[derive(QueryableByName)]
pub(super) struct KeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    constraint_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[derive(QueryableByName)]
pub(super) struct ForeignKeyRow {
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
pub(super) fn assemble_keys(
    tables: &mut [Table],
    primary: Vec<KeyRow>,
    foreign: Vec<ForeignKeyRow>,
) {
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
