//! The `schema.rs` parser: every construct, and errors with positions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use revchain_schema::{ForeignKey, ParseErrors, Schema, SqlType, parse_file, parse_str};

fn parse(source: &str) -> Schema {
    match parse_str(source, "src/schema.rs") {
        Ok(schema) => schema,
        Err(errors) => panic!("{errors}"),
    }
}

fn errors(source: &str) -> ParseErrors {
    parse_str(source, "src/schema.rs").expect_err("the source has defects")
}

fn fk(columns: &[&str], table: &str, referenced: &[&str]) -> ForeignKey {
    ForeignKey {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        referenced_table: table.to_owned(),
        referenced_columns: referenced.iter().map(|c| c.to_string()).collect(),
        name: None,
    }
}

#[test]
fn the_example_schema_as_diesel_prints_it() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/blog/schema.rs");
    let schema = parse_file(&path).unwrap();
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["comments", "post_tags", "posts", "tags", "users"]);
    let post_tags = schema.table("post_tags").unwrap();
    assert_eq!(post_tags.primary_key, ["post_id", "tag_id"]);
    assert_eq!(
        post_tags.foreign_keys,
        [
            fk(&["post_id"], "posts", &["id"]),
            fk(&["tag_id"], "tags", &["id"])
        ]
    );
    let posts = schema.table("posts").unwrap();
    let published_at = posts.column("published_at").unwrap();
    assert_eq!(published_at.sql_type, SqlType::Timestamp);
    assert!(published_at.nullable);
    assert!(!posts.column("published").unwrap().nullable);
    assert_eq!(posts.foreign_keys, [fk(&["author_id"], "users", &["id"])]);
}

#[test]
fn table_without_prefix_default_primary_key_and_sql_names() {
    let schema = parse(
        r#"
        use diesel::prelude::*;

        table! {
            use diesel::sql_types::*;
            use crate::schema::sql_types::Mood;

            /// The people.
            #[sql_name = "people"]
            users {
                id -> Int4,
                #[sql_name = "full_name"]
                #[max_length = 100]
                name -> Varchar,
                r#type -> Nullable<Mood>,
                score -> diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
            }
        }
        "#,
    );
    let people = schema.table("people").unwrap();
    assert_eq!(people.primary_key, ["id"]);
    let names: Vec<&str> = people.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "full_name", "type", "score"]);
    assert_eq!(people.columns[0].sql_type, SqlType::Integer);
    assert_eq!(people.columns[1].sql_type, SqlType::Varchar);
    assert_eq!(people.columns[1].max_length, Some(100));
    assert_eq!(people.columns[2].sql_type, SqlType::Other("Mood".into()));
    assert!(people.columns[2].nullable);
    assert_eq!(people.columns[3].sql_type, SqlType::BigInt);
    assert!(people.columns[3].nullable);
}

#[test]
fn several_tables_in_one_invocation_and_nested_modules() {
    let schema = parse(
        r#"
        pub mod schema {
            pub mod sql_types {
                #[derive(diesel::sql_types::SqlType)]
                pub struct Mood;
            }

            diesel::table! {
                a (x) { x -> SmallInt, }
                b (p, q) { p -> Text, q -> Bool, r -> Array<Nullable<Int4>>, }
            }

            mod inner {
                ::diesel::table! { c { id -> Unsigned<BigInt>, d -> Date, } }
            }
        }
        "#,
    );
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(schema.table("a").unwrap().primary_key, ["x"]);
    assert_eq!(schema.table("b").unwrap().primary_key, ["p", "q"]);
    assert_eq!(
        schema.table("b").unwrap().columns[2].sql_type,
        SqlType::Array(Box::new(SqlType::Integer))
    );
    assert_eq!(
        schema.table("c").unwrap().columns[0].sql_type,
        SqlType::Unsigned(Box::new(SqlType::BigInt))
    );
}

#[test]
fn sql_type_names_and_aliases() {
    let cases = [
        ("Integer", SqlType::Integer),
        ("Int4", SqlType::Integer),
        ("BigInt", SqlType::BigInt),
        ("Int8", SqlType::BigInt),
        ("SmallInt", SqlType::SmallInt),
        ("Int2", SqlType::SmallInt),
        ("TinyInt", SqlType::TinyInt),
        ("Text", SqlType::Text),
        ("Varchar", SqlType::Varchar),
        ("VarChar", SqlType::Varchar),
        ("Bool", SqlType::Bool),
        ("Timestamp", SqlType::Timestamp),
        ("Timestamptz", SqlType::Timestamptz),
        ("Datetime", SqlType::Datetime),
        ("Date", SqlType::Date),
        ("Time", SqlType::Time),
        ("Double", SqlType::Double),
        ("Float8", SqlType::Double),
        ("Float", SqlType::Float),
        ("Float4", SqlType::Float),
        ("Binary", SqlType::Binary),
        ("Bytea", SqlType::Binary),
        ("Blob", SqlType::Binary),
        ("Numeric", SqlType::Numeric),
        ("Decimal", SqlType::Numeric),
        ("Uuid", SqlType::Uuid),
        ("Json", SqlType::Json),
        ("Jsonb", SqlType::Jsonb),
        ("Interval", SqlType::Interval),
    ];
    for (name, expected) in cases {
        let schema = parse(&format!(
            "diesel::table! {{ t {{ id -> Integer, c -> diesel::sql_types::{name}, }} }}"
        ));
        assert_eq!(schema.tables[0].columns[1].sql_type, expected, "{name}");
    }
}

#[test]
fn joinable_with_sql_names_and_ignored_macros() {
    let schema = parse(
        r#"
        diesel::table! { #[sql_name = "accounts"] users { id -> Integer, } }
        diesel::table! { posts { id -> Integer, #[sql_name = "writer"] author_id -> Integer, } }
        diesel::joinable!(posts -> users (author_id));
        diesel::allow_tables_to_appear_in_same_query!(posts, users);
        println!("not a schema macro");
        "#,
    );
    assert_eq!(
        schema.table("posts").unwrap().foreign_keys,
        [fk(&["writer"], "accounts", &["id"])]
    );
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let e = errors("\ndiesel::table! {\n    users {\n        id -> ,\n    }\n}\n");
    assert_eq!(e.errors.len(), 1);
    let error = &e.errors[0];
    assert_eq!(
        (error.file.as_str(), error.line, error.column),
        ("src/schema.rs", 4, 15)
    );
    assert!(
        error
            .message
            .contains("write `name (primary key) { column -> Type, … }`"),
        "{error}"
    );
    assert!(e.to_string().starts_with("src/schema.rs:4:15: "));
}

#[test]
fn every_defect_at_once() {
    let e = errors(
        r#"diesel::table! {
    users (uid) {
        id -> Integer,
        id -> Text,
    }
}
diesel::table! { posts { id -> Integer, } }
diesel::table! { posts { id -> Integer, } }
diesel::joinable!(posts -> authors (author_id));
diesel::joinable!(posts -> users (writer_id));
diesel::table! { broken { id -> } }
diesel::table! { s.other { id -> Integer, } }
diesel::table! { t { id -> Nullable, } }
"#,
    );
    let found: Vec<(usize, usize, &str)> = e
        .errors
        .iter()
        .map(|e| (e.line, e.column, e.message.as_str()))
        .collect();
    let expect = [
        (2, 12, "the primary key of table `users` names column `uid`"),
        (4, 9, "column `id` appears twice in table `users`"),
        (8, 18, "table `posts` is defined twice"),
        (
            9,
            28,
            "`joinable!` names table `authors`, which no `table!` defines",
        ),
        (11, 33, "unexpected end of input"),
        (12, 18, "table `s.other` is in another schema"),
        (13, 28, "`Nullable` needs the type it wraps"),
    ];
    for (line, column, message) in expect {
        assert!(
            found
                .iter()
                .any(|(l, c, m)| *l == line && *c == column && m.contains(message)),
            "no error `{message}` at {line}:{column} in:\n{e}"
        );
    }
    // `users` has no primary key column, so `joinable!` to it is refused too.
    assert!(
        e.errors
            .iter()
            .all(|e| e.message.chars().next().is_some_and(|c| !c.is_uppercase()))
    );
    assert!(e.errors.iter().all(|e| !e.message.ends_with('.')));
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let e = parse_file(std::path::Path::new("no/such/schema.rs")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("no/such/schema.rs:1:1: cannot read `no/such/schema.rs`")
    );
}
