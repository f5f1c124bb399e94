//! `compare`: every kind of difference, its order, its description and its
//! inverse, without a database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use revchain_schema::{Dialect, Operation, Schema, SqlType, compare, parse_str};

fn schema(source: &str) -> Schema {
    parse_str(source, "schema.rs").unwrap_or_else(|e| panic!("{e}"))
}

fn on(dialect: Dialect, source: &str) -> Schema {
    Schema {
        dialect: Some(dialect),
        ..schema(source)
    }
}

const USERS: &str = "diesel::table! { users { id -> Integer, name -> Text, } }";
const POSTS: &str = "diesel::table! { posts { id -> Integer, author_id -> Integer, } }";

fn lines(models: &str, database: &str) -> Vec<String> {
    compare(&schema(models), &schema(database), &[]).lines()
}

#[test]
fn identical_schemas_have_no_differences() {
    let s = schema(&format!(
        "{USERS}\n{POSTS}\ndiesel::joinable!(posts -> users (author_id));"
    ));
    let diff = compare(&s, &s, &[]);
    assert!(diff.is_empty());
    assert!(diff.warnings.is_empty());
    assert_eq!(diff.describe(), "no new upgrade operations detected");
}

#[test]
fn tables_added_and_dropped_in_dependency_order() {
    let models = format!(
        "{USERS}\n{POSTS}\ndiesel::table! {{ comments {{ id -> Integer, post_id -> Integer, }} }}\n\
         diesel::joinable!(comments -> posts (post_id));\ndiesel::joinable!(posts -> users (author_id));"
    );
    // Models list `comments` after `posts`, but order by references anyway.
    let diff = compare(&schema(&models), &schema(""), &[]);
    assert_eq!(
        diff.lines(),
        [
            "('add_table', 'users')",
            "('add_table', 'posts')",
            "('add_table', 'comments')"
        ]
    );
    // Dropping: referencing tables first.
    let inverse = compare(&schema(""), &schema(&models), &[]);
    assert_eq!(
        inverse.lines(),
        [
            "('remove_table', 'comments')",
            "('remove_table', 'posts')",
            "('remove_table', 'users')"
        ]
    );
    assert_eq!(diff.inverse().lines(), inverse.lines());
}

#[test]
fn columns_added_and_dropped() {
    assert_eq!(
        lines(
            "diesel::table! { users { id -> Integer, email -> Nullable<Text>, } }",
            USERS
        ),
        [
            "('remove_column', 'users', 'name')",
            "('add_column', 'users', 'email')"
        ]
    );
}

#[test]
fn a_changed_type_or_nullability() {
    assert_eq!(
        lines(
            "diesel::table! { users { id -> BigInt, name -> Nullable<Text>, } }",
            USERS
        ),
        [
            "('modify_type', 'users', 'id', 'Integer', 'BigInt')",
            "('modify_nullable', 'users', 'name', 'not null', 'null')"
        ]
    );
    assert_eq!(
        lines(
            "diesel::table! { users { id -> Integer, name -> Nullable<Bool>, } }",
            USERS
        ),
        [
            "('modify_type', 'users', 'name', 'Text', 'Bool')",
            "('modify_nullable', 'users', 'name', 'not null', 'null')"
        ]
    );
}

#[test]
fn equivalent_types_are_no_difference() {
    let models = "diesel::table! { t { id -> Int4, a -> Varchar, b -> Timestamp, c -> Mood, d -> Unsigned<Integer>, } }";
    let database = "diesel::table! { t { id -> Integer, a -> Text, b -> Datetime, c -> mood, d -> Integer, } }";
    assert!(compare(&schema(models), &on(Dialect::Postgres, database), &[]).is_empty());
    // On MySQL, `Unsigned` is its own type, `Timestamptz` is `Timestamp`.
    let diff = compare(&schema(models), &on(Dialect::Mysql, database), &[]);
    assert_eq!(
        diff.lines(),
        ["('modify_type', 't', 'd', 'Integer', 'Unsigned<Integer>')"]
    );
    let tz = "diesel::table! { t { id -> Integer, at -> Timestamptz, } }";
    let plain = "diesel::table! { t { id -> Integer, at -> Timestamp, } }";
    assert!(compare(&schema(tz), &on(Dialect::Mysql, plain), &[]).is_empty());
    assert!(!compare(&schema(tz), &on(Dialect::Postgres, plain), &[]).is_empty());
    assert!(SqlType::Varchar.same_as(&SqlType::Text, None));
}

#[test]
fn a_changed_primary_key() {
    let diff = compare(
        &schema("diesel::table! { users (id, name) { id -> Integer, name -> Text, } }"),
        &schema(USERS),
        &[],
    );
    assert_eq!(
        diff.lines(),
        [
            "('remove_pk', 'users', ['id'])",
            "('add_pk', 'users', ['id', 'name'])"
        ]
    );
    assert_eq!(
        diff.inverse().lines(),
        [
            "('remove_pk', 'users', ['id', 'name'])",
            "('add_pk', 'users', ['id'])"
        ]
    );
}

#[test]
fn foreign_keys_added_and_dropped() {
    let plain = format!("{USERS}\n{POSTS}");
    let joined = format!("{plain}\ndiesel::joinable!(posts -> users (author_id));");
    assert_eq!(
        lines(&joined, &plain),
        ["('add_fk', 'posts', ['author_id'], 'users', ['id'])"]
    );
    assert_eq!(
        lines(&plain, &joined),
        ["('remove_fk', 'posts', ['author_id'], 'users', ['id'])"]
    );
}

#[test]
fn foreign_keys_go_first_and_come_last() {
    let database = format!("{USERS}\n{POSTS}\ndiesel::joinable!(posts -> users (author_id));");
    let models = "diesel::table! { users { id -> BigInt, name -> Text, } }\n\
                  diesel::table! { posts { id -> Integer, author_id -> BigInt, } }\n\
                  diesel::table! { tags { id -> Integer, } }\n\
                  diesel::joinable!(posts -> tags (author_id));";
    let diff = compare(&schema(models), &schema(&database), &[]);
    let kinds: Vec<&str> = diff
        .operations
        .iter()
        .map(|op| match op {
            Operation::DropForeignKey { .. } => "drop fk",
            Operation::AlterColumn { .. } => "alter",
            Operation::AddTable(_) => "add table",
            Operation::AddForeignKey { .. } => "add fk",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["drop fk", "alter", "alter", "add table", "add fk"]);
}

#[test]
fn renames_are_a_drop_and_an_add_with_a_warning() {
    let diff = compare(
        &schema("diesel::table! { users { id -> Integer, full_name -> Nullable<Text>, } }"),
        &schema(USERS),
        &[],
    );
    assert_eq!(
        diff.lines(),
        [
            "('remove_column', 'users', 'name')",
            "('add_column', 'users', 'full_name')"
        ]
    );
    assert_eq!(
        diff.warnings,
        [
            "table `users` loses `name` and gains `full_name`: a rename cannot be told from a drop and an add; if it is one, replace them with a rename in `up.sql` and `down.sql`, or the data is lost"
        ]
    );
    let diff = compare(
        &schema("diesel::table! { people { id -> Integer, name -> Text, } }"),
        &schema(USERS),
        &[],
    );
    assert_eq!(
        diff.lines(),
        ["('remove_table', 'users')", "('add_table', 'people')"]
    );
    assert!(diff.warnings[0].starts_with("the database loses table `users` and gains `people`"));
}

#[test]
fn not_null_columns_without_default_are_flagged() {
    let diff = compare(
        &schema("diesel::table! { users { id -> Integer, name -> Text, age -> Integer, } }"),
        &schema(USERS),
        &[],
    );
    assert_eq!(
        diff.warnings,
        [
            "column `users`.`age` is added `NOT NULL` without a default: the upgrade fails if `users` has rows; add a default or fill the column in `up.sql`"
        ]
    );
}

#[test]
fn ignored_tables_are_skipped_on_both_sides() {
    let database = format!("{USERS}\ndiesel::table! {{ legacy {{ id -> Integer, }} }}");
    let models = format!("{POSTS}\ndiesel::table! {{ users {{ id -> BigInt, }} }}");
    let diff = compare(&schema(&models), &schema(&database), &["legacy", "users"]);
    assert_eq!(diff.lines(), ["('add_table', 'posts')"]);
}

#[test]
fn what_is_not_compared() {
    // Column order, lengths, defaults, indexes and constraint names.
    let mut database = schema("diesel::table! { users { name -> Varchar, id -> Integer, } }");
    let users = &mut database.tables[0];
    users.columns[0].max_length = Some(100);
    users.columns[0].default = Some("'x'".to_owned());
    users.primary_key_name = Some("users_primary".to_owned());
    users.indexes.push(revchain_schema::Index {
        name: "users_name".to_owned(),
        columns: vec!["name".to_owned()],
        unique: true,
    });
    assert!(compare(&schema(USERS), &database, &[]).is_empty());
}

#[test]
fn the_after_schema_keeps_what_only_the_database_knows() {
    let mut database = schema(USERS);
    database.tables[0].columns[1].default = Some("'anonymous'".to_owned());
    database.tables[0].columns[1].database_type = Some("VARCHAR(100)".to_owned());
    let models = schema("diesel::table! { users { id -> Integer, name -> Nullable<Text>, } }");
    let diff = compare(&models, &database, &[]);
    let name = diff.after.tables[0].column("name").unwrap();
    assert_eq!(name.default.as_deref(), Some("'anonymous'"));
    assert_eq!(name.database_type.as_deref(), Some("VARCHAR(100)"));
    assert!(name.nullable);
}

#[test]
fn describe_is_one_line() {
    let diff = compare(
        &schema(
            "diesel::table! { users { id -> Integer, name -> Text, email -> Nullable<Text>, } }",
        ),
        &schema(USERS),
        &[],
    );
    assert_eq!(
        diff.describe(),
        "new upgrade operations detected: [('add_column', 'users', 'email')]"
    );
}
