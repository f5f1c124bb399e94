// The blog's models: the example history in `migrations/` at its head, as
// `diesel print-schema` prints it. CI keeps the two in step:
//
//     revchain --dir migrations check --schema runtime/examples/blog/schema.rs
//
// After editing this file, `revchain revision -m "…" --autogenerate --schema
// runtime/examples/blog/schema.rs` writes the revision that matches it.

diesel::table! {
    comments (id) {
        id -> Integer,
        post_id -> Integer,
        author_id -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_tags (post_id, tag_id) {
        post_id -> Integer,
        tag_id -> Integer,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        author_id -> Integer,
        title -> Text,
        body -> Text,
        published -> Bool,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tags (id) {
        id -> Integer,
        name -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        name -> Text,
        created_at -> Timestamp,
        email -> Nullable<Text>,
    }
}

diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_tags -> tags (tag_id));
diesel::joinable!(posts -> users (author_id));

diesel::allow_tables_to_appear_in_same_query!(comments, post_tags, posts, tags, users,);
