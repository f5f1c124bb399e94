#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;

#[test]
fn redacts_the_password_of_every_scheme() {
    for (url, shown) in [
        ("postgres://u:pw@h:5432/d", "postgres://u:***@h:5432/d"),
        ("postgresql://u:pw@h/d", "postgresql://u:***@h/d"),
        (
            "mysql://root:pw@127.0.0.1:3306/x",
            "mysql://root:***@127.0.0.1:3306/x",
        ),
        ("mariadb://root:pw@h/x", "mariadb://root:***@h/x"),
        ("postgres://:pw@h/d", "postgres://:***@h/d"),
        ("postgres://u:@h/d", "postgres://u:***@h/d"),
        ("POSTGRES://u:pw@h/d", "POSTGRES://u:***@h/d"),
    ] {
        assert_eq!(redact_url(url), shown, "{url}");
    }
}

#[test]
fn raw_reserved_characters_in_a_password_are_redacted_as_the_driver_reads_them() {
    // libpq: up to the first `@`; `?`, `#` and `:` are the password's.
    assert_eq!(
        redact_url("postgres://u:p?a#s:s@h/d"),
        "postgres://u:***@h/d"
    );
    // MySQL (the `url` crate, as diesel): up to the last `@`.
    assert_eq!(redact_url("mysql://u:p@a:s@h/d"), "mysql://u:***@h/d");
    assert_eq!(
        redact_url("postgres://u:p%40ss%2Fw@h/d"),
        "postgres://u:***@h/d"
    );
}

#[test]
fn a_password_the_driver_would_misread_is_refused_without_showing_it() {
    for url in [
        "postgres://u:p@Xq7@h/d",
        "postgres://u:pa/Xq7@h/d",
        "postgres://u:Xq7/pa@h/d",
        "postgres://u:pa%zzXq7@h/d",
        "postgres://u:@?=@Xq7/d",
        "mysql://u:pa/Xq7@h/d",
        "mysql://u:pa?Xq7@h/d",
        "mysql://u:pa#Xq7@h/d",
        "mysql://u:12/Xq7@h/d",
        "mariadb://u:12?Xq7@h/d",
    ] {
        let error = DatabaseUrl::parse(url).unwrap_err().to_string();
        assert!(!error.contains("Xq7"), "{url}: {error}");
        assert!(!redact_url(url).contains("Xq7"), "{url}");
    }
}

#[test]
fn keyword_strings_are_postgres_with_their_password_redacted() {
    let url = DatabaseUrl::parse(r"host=127.0.0.1 user=u password='a b\'c' dbname=d").unwrap();
    assert_eq!(url.backend, Dialect::Postgres);
    assert_eq!(url.shown, "host=127.0.0.1 user=u password=*** dbname=d");
    assert_eq!(
        url.connect,
        r"host=127.0.0.1 user=u password='a b\'c' dbname=d"
    );
    assert!(url.secrets.contains(&"a b'c".to_owned()));
    for text in ["host=h password secret", "a.db password=secret", "x=secret"] {
        let error = DatabaseUrl::parse(text).unwrap_err().to_string();
        assert!(!error.contains("secret"), "{text}: {error}");
    }
}

#[test]
fn leaves_urls_without_a_password_alone() {
    for url in [
        "postgres://u@h/d",
        "postgres://h/d",
        "postgres://h/d?application_name=a%40b",
        "sqlite://blog.db",
        "sqlite:blog.db",
        "blog.db",
        ":memory:",
        "/var/lib/app/db.sqlite",
        "mysql://h/d?ssl_mode=required",
        "host=h dbname=d",
    ] {
        assert_eq!(redact_url(url), url);
    }
}

#[test]
fn redacts_password_query_parameters() {
    assert_eq!(
        redact_url("postgres://u@h/d?sslmode=require&password=pw#x"),
        "postgres://u@h/d?sslmode=require&password=***"
    );
    assert_eq!(
        redact_url("postgres://u:a@h/d?sslpassword=b"),
        "postgres://u:***@h/d?sslpassword=***"
    );
    assert_eq!(
        redact_url("mysql://u@h/d?password=p&x=1#f"),
        "mysql://u@h/d?password=***&x=1#f"
    );
}

#[test]
fn the_database_of_a_url_is_replaced() {
    let with = |url: &str, database: Option<&str>| {
        DatabaseUrl::parse(url)
            .unwrap()
            .with_database(database)
            .unwrap()
            .connect
    };
    assert_eq!(
        with(
            "postgres://u:p@h:5432/app?sslmode=disable",
            Some("postgres")
        ),
        "postgres://u:p@h:5432/postgres?sslmode=disable"
    );
    assert_eq!(
        with("postgres://u:p?x@h", Some("revchain_scratch_1")),
        "postgres://u:p?x@h/revchain_scratch_1"
    );
    assert_eq!(
        with("postgres://h/app", Some("a b/c")),
        "postgres://h/a%20b%2Fc"
    );
    assert_eq!(
        with("mysql://root:p@h:3306/app", None),
        "mysql://root:p@h:3306"
    );
    assert_eq!(
        with("mysql://root@h/app?ssl_mode=required", None),
        "mysql://root@h?ssl_mode=required"
    );
    assert_eq!(
        with("host=h dbname=app password='a b'", Some("postgres")),
        "host=h  password='a b' dbname='postgres'"
    );
    let url = DatabaseUrl::parse("host=h dbname=app password='a b'")
        .unwrap()
        .with_database(None)
        .unwrap();
    assert_eq!(url.shown, "host=h  password=***");
}

#[test]
fn the_at_sign_in_a_path_is_not_userinfo() {
    assert_eq!(redact_url("sqlite://dir/a:b@c.db"), "sqlite://dir/a:b@c.db");
}

#[test]
fn scrubs_raw_and_decoded_passwords_from_driver_messages_only_as_tokens() {
    let url = DatabaseUrl::parse("postgres://u:p%40ss@h/d").unwrap();
    assert_eq!(url.shown, "postgres://u:***@h/d");
    let message = "password authentication failed: p@ss and p%40ss";
    assert_eq!(
        scrub(message, &url.secrets),
        "password authentication failed: *** and ***"
    );
    let url = DatabaseUrl::parse("postgres://u:o@h/d").unwrap();
    assert_eq!(
        scrub("could not connect to server: \"o\"", &url.secrets),
        "could not connect to server: \"***\""
    );
    let url = DatabaseUrl::parse("postgres://u:%22@h/d").unwrap();
    let message = "connection to server at \"127.0.0.1\", port 1 failed";
    assert_eq!(scrub(message, &url.secrets), message);
    assert_eq!(
        scrub("postgres://u:\"@h", &url.secrets),
        "postgres://u:***@h"
    );
    // A password of white space only leaves the message's spacing alone.
    let url = DatabaseUrl::parse("mysql://root:%20@127.0.0.1/app").unwrap();
    let message = "Can't connect to server on '127.0.0.1' (115)";
    assert_eq!(scrub(message, &url.secrets), message);
}

#[test]
fn schemes_choose_the_backend() {
    for (url, backend, connect) in [
        ("sqlite://a/b.db", Dialect::Sqlite, "a/b.db"),
        ("sqlite:b.db", Dialect::Sqlite, "b.db"),
        ("sqlite:///abs/b.db", Dialect::Sqlite, "/abs/b.db"),
        ("sqlite:a=b.db", Dialect::Sqlite, "a=b.db"),
        (":memory:", Dialect::Sqlite, ":memory:"),
        ("C:\\data\\b.db", Dialect::Sqlite, "C:\\data\\b.db"),
        ("my file.db", Dialect::Sqlite, "my file.db"),
        ("postgresql://h/d", Dialect::Postgres, "postgresql://h/d"),
        ("Postgres://h/d", Dialect::Postgres, "postgres://h/d"),
        ("host=h dbname=d", Dialect::Postgres, "host=h dbname=d"),
        ("mariadb://root@h/d", Dialect::Mysql, "mysql://root@h/d"),
    ] {
        let parsed = DatabaseUrl::parse(url).unwrap();
        assert_eq!(
            (parsed.backend, parsed.connect.as_str()),
            (backend, connect),
            "{url}"
        );
    }
    for url in ["oracle://h/d", "sqlite://", "", "weird=1.db"] {
        assert!(DatabaseUrl::parse(url).is_err(), "{url}");
    }
}

#[test]
fn an_unsupported_scheme_is_shown_redacted() {
    let error = DatabaseUrl::parse("oracle://u:topsecret@h/d").unwrap_err();
    assert!(!error.to_string().contains("topsecret"), "{error}");
    assert_eq!(redact_url("oracle://u:topsecret@h/d"), "oracle://***");
}

/// A password: any of the characters that matter to URL and libpq
/// grammars, letters and a digit, one to twelve of them.
fn password() -> &'static str {
    r#"[a-zA-Z0-9?#/@:%"\\' =&+]{1,12}"#
}

/// The forms a password is written in, each read by its driver's rules.
fn urls(password: &str) -> Vec<String> {
    let encoded =
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    vec![
        format!("postgres://app:{encoded}@db.example:5432/app"),
        format!("postgresql://app:{password}@db.example/app"),
        format!("postgres://app@db.example/app?sslmode=require&password={encoded}"),
        format!("mysql://root:{encoded}@127.0.0.1:3306/app"),
        format!("mariadb://root:{password}@127.0.0.1/app"),
        format!(
            "host=db user=app password={} dbname=app",
            libpq::quote_value(password)
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_password_is_never_in_the_shown_form(password in password()) {
        for (url, other) in urls(&password).into_iter().zip(urls("Zz9")) {
            let shown = redact_url(&url);
            if password.len() >= 4 {
                prop_assert!(!shown.contains(&password), "{} shown as {}", url, shown);
            }
            if let Ok(parsed) = DatabaseUrl::parse(&url) {
                // The shown form does not depend on the password: the same
                // URL with another password shows the same.
                prop_assert_eq!(&shown, &redact_url(&other), "{}", url);
                prop_assert_eq!(&parsed.shown, &shown);
                let scratch = parsed.with_database(Some("scratch"));
                prop_assert!(scratch.is_ok(), "{}", url);
            }
        }
    }

    #[test]
    fn refusals_never_quote_the_text(text in "[a-z:/@?#%=' ]{0,24}", password in password()) {
        for url in [format!("postgres://{text}{password}"), format!("mysql://{text}{password}"), format!("host=h {text}{password}")] {
            if let Err(error) = DatabaseUrl::parse(&url) {
                let message = error.to_string();
                if password.len() >= 4 {
                    prop_assert!(!message.contains(&password), "{}: {}", url, message);
                }
            }
        }
    }
}
