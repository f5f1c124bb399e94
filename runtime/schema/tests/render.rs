//! `render`: the SQL of each operation on each dialect, without a database
//! (the round trips run it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use revchain_schema::{Dialect, HEADER, Migration, Schema, compare, parse_str, render};

fn schema(source: &str) -> Schema {
    parse_str(source, "schema.rs").unwrap_or_else(|e| panic!("{e}"))
}

fn migration(models: &str, database: &str, dialect: Dialect) -> Migration {
    let database = Schema {
        dialect: Some(dialect),
        ..schema(database)
    };
    render(&compare(&schema(models), &database, &[]), dialect)
}

/// The statements of a file, without comments.
fn statements(sql: &str) -> Vec<String> {
    sql.split(";\n")
        .map(|s| {
            s.lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

const USERS: &str = "diesel::table! { users { id -> Integer, name -> Text, } }";

#[test]
fn every_name_is_quoted() {
    let models = r#"diesel::table! { #[sql_name = "we\"ird"] t { id -> Integer, #[sql_name = "a`b"] c -> Nullable<Text>, } }"#;
    let m = migration(models, "", Dialect::Postgres);
    assert_eq!(
        statements(&m.up_sql),
        [
            "CREATE TABLE \"we\"\"ird\" (\n    \"id\" INTEGER NOT NULL,\n    \"a`b\" TEXT,\n    CONSTRAINT \"we\"\"ird_pkey\" PRIMARY KEY (\"id\")\n)"
        ]
    );
    let m = migration(models, "", Dialect::Mysql);
    assert_eq!(
        statements(&m.up_sql),
        [
            "CREATE TABLE `we\"ird` (\n    `id` INTEGER NOT NULL,\n    `a``b` TEXT NULL,\n    PRIMARY KEY (`id`)\n)"
        ]
    );
    assert_eq!(statements(&m.down_sql), ["DROP TABLE `we\"ird`"]);
}

#[test]
fn files_start_with_the_header_and_warnings() {
    let m = migration(
        "diesel::table! { users { id -> Integer, full_name -> Text, } }",
        USERS,
        Dialect::Postgres,
    );
    assert!(
        m.up_sql
            .starts_with(&format!("{HEADER}\n-- warning: column `users`.`full_name`"))
    );
    assert!(
        m.up_sql
            .contains("\n-- warning: table `users` loses `name` and gains `full_name`")
    );
    assert_eq!(m.warnings.len(), 2);
    assert!(m.down_sql.starts_with(&format!("{HEADER}\n\n")));
    let m = migration(USERS, USERS, Dialect::Sqlite);
    assert_eq!(
        m.up_sql,
        format!("{HEADER}\n-- no differences: nothing to do\n")
    );
}

#[test]
fn postgres_statements() {
    let models = "diesel::table! { users (id, name) { id -> BigInt, name -> Nullable<Text>, age -> Nullable<SmallInt>, } }\n\
                  diesel::table! { posts { id -> Integer, author_id -> BigInt, } }";
    let m = migration(models, USERS, Dialect::Postgres);
    assert_eq!(
        statements(&m.up_sql),
        [
            r#"ALTER TABLE "users" DROP CONSTRAINT "users_pkey""#,
            r#"ALTER TABLE "users" ADD COLUMN "age" SMALLINT"#,
            r#"ALTER TABLE "users" ALTER COLUMN "id" TYPE BIGINT USING "id"::BIGINT"#,
            r#"ALTER TABLE "users" ALTER COLUMN "name" DROP NOT NULL"#,
            r#"ALTER TABLE "users" ADD CONSTRAINT "users_pkey" PRIMARY KEY ("id", "name")"#,
            "CREATE TABLE \"posts\" (\n    \"id\" INTEGER NOT NULL,\n    \"author_id\" BIGINT NOT NULL,\n    CONSTRAINT \"posts_pkey\" PRIMARY KEY (\"id\")\n)",
        ]
    );
    assert_eq!(
        statements(&m.down_sql),
        [
            r#"DROP TABLE "posts""#,
            r#"ALTER TABLE "users" DROP CONSTRAINT "users_pkey""#,
            r#"ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL"#,
            r#"ALTER TABLE "users" ALTER COLUMN "id" TYPE INTEGER USING "id"::INTEGER"#,
            r#"ALTER TABLE "users" DROP COLUMN "age""#,
            r#"ALTER TABLE "users" ADD CONSTRAINT "users_pkey" PRIMARY KEY ("id")"#,
        ]
    );
}

#[test]
fn mysql_modifies_and_drops_the_foreign_keys_in_the_way() {
    let database = "diesel::table! { users { id -> Integer, name -> Text, } }\n\
                    diesel::table! { posts { id -> Integer, author_id -> Integer, } }\n\
                    diesel::joinable!(posts -> users (author_id));";
    let models = "diesel::table! { users { id -> BigInt, name -> Text, } }\n\
                  diesel::table! { posts { id -> Integer, author_id -> BigInt, } }\n\
                  diesel::joinable!(posts -> users (author_id));";
    let m = migration(models, database, Dialect::Mysql);
    assert_eq!(
        statements(&m.up_sql),
        [
            "ALTER TABLE `posts` DROP FOREIGN KEY `posts_author_id_fkey`",
            "ALTER TABLE `users` MODIFY COLUMN `id` BIGINT NOT NULL",
            "ALTER TABLE `posts` MODIFY COLUMN `author_id` BIGINT NOT NULL",
            "ALTER TABLE `posts` ADD CONSTRAINT `posts_author_id_fkey` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`)",
        ]
    );
}

#[test]
fn mysql_keys_of_text_are_varchar() {
    let m = migration(
        "diesel::table! { tags (name) { name -> Text, body -> Text, data -> Binary, } }",
        "",
        Dialect::Mysql,
    );
    assert!(
        m.up_sql.contains("`name` VARCHAR(255) NOT NULL"),
        "{}",
        m.up_sql
    );
    assert!(m.up_sql.contains("`body` TEXT NOT NULL"), "{}", m.up_sql);
    assert!(m.up_sql.contains("`data` BLOB NOT NULL"), "{}", m.up_sql);
}

#[test]
fn sqlite_adds_and_drops_columns_directly_when_it_can() {
    let m = migration(
        "diesel::table! { users { id -> Integer, email -> Nullable<Text>, } }",
        USERS,
        Dialect::Sqlite,
    );
    assert_eq!(
        statements(&m.up_sql),
        [
            r#"ALTER TABLE "users" DROP COLUMN "name""#,
            r#"ALTER TABLE "users" ADD COLUMN "email" TEXT"#
        ]
    );
    assert_eq!(
        statements(&m.down_sql),
        [
            // Adding `name TEXT NOT NULL` needs a rebuild, which drops
            // `email` too.
            "CREATE TABLE \"new_users\" (\n    \"id\" INTEGER NOT NULL,\n    \"name\" TEXT NOT NULL,\n    PRIMARY KEY (\"id\")\n)",
            r#"INSERT INTO "new_users" ("id") SELECT "id" FROM "users""#,
            r#"DROP TABLE "users""#,
            r#"ALTER TABLE "new_users" RENAME TO "users""#,
        ]
    );
    assert!(m.down_sql.contains("12-step procedure"));
    assert!(
        m.down_sql
            .contains("`PRAGMA foreign_keys` cannot change inside the revision's transaction")
    );
}

#[test]
fn sqlite_rebuilds_keep_defaults_and_indexes() {
    let mut database = Schema {
        dialect: Some(Dialect::Sqlite),
        ..schema(USERS)
    };
    let users = &mut database.tables[0];
    users.columns[1].default = Some("'anonymous'".to_owned());
    users.columns[1].database_type = Some("VARCHAR(100)".to_owned());
    users.indexes.push(revchain_schema::Index {
        name: "users_name_key".to_owned(),
        columns: vec!["name".to_owned()],
        unique: true,
    });
    let models = schema("diesel::table! { users { id -> BigInt, name -> Text, } }");
    let m = render(&compare(&models, &database, &[]), Dialect::Sqlite);
    assert_eq!(
        statements(&m.up_sql),
        [
            "CREATE TABLE \"new_users\" (\n    \"id\" BIGINT NOT NULL,\n    \"name\" VARCHAR(100) NOT NULL DEFAULT 'anonymous',\n    PRIMARY KEY (\"id\")\n)",
            r#"INSERT INTO "new_users" ("id", "name") SELECT "id", "name" FROM "users""#,
            r#"DROP TABLE "users""#,
            r#"ALTER TABLE "new_users" RENAME TO "users""#,
            r#"CREATE UNIQUE INDEX "users_name_key" ON "users" ("name")"#,
        ]
    );
    assert!(
        m.warnings
            .iter()
            .any(|w| w.starts_with("table `users` is rebuilt on sqlite"))
    );
}

#[test]
fn types_without_a_spelling_are_flagged() {
    let m = migration(
        "diesel::table! { t { id -> Integer, tags -> Array<Text>, mood -> Mood, } }",
        "",
        Dialect::Mysql,
    );
    assert_eq!(m.warnings.len(), 2, "{:?}", m.warnings);
    assert!(
        m.warnings[0].starts_with("type `Array<Text>` of column `t`.`tags` has no mysql spelling")
    );
    let m = migration(
        "diesel::table! { t { id -> Integer, tags -> Array<Text>, mood -> Mood, } }",
        "",
        Dialect::Postgres,
    );
    assert!(m.warnings.is_empty());
    assert!(m.up_sql.contains("\"tags\" TEXT[] NOT NULL"));
    assert!(m.up_sql.contains("\"mood\" \"mood\" NOT NULL"));
}
