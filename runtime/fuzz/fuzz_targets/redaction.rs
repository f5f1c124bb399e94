//! The redaction promise: a password written in a database URL (of any
//! scheme, in a libpq keyword/value string), in a config file or in `.env`
//! never appears in what revchain renders of them: the URL as shown, or the
//! error that refuses it.
//!
//! The input is a template and a password. The password is prefixed with
//! `§`, which no template holds, so that any piece of it that is rendered
//! (raw, or percent-encoded as `%C2%A7`) is found, however the URL around it
//! is cut.

#![no_main]

use libfuzzer_sys::fuzz_target;
use revchain::cli::fuzzing::rendered_settings;
use revchain::cli::redact_url;

/// Where a password goes: `{}` in each template, written raw.
const TEMPLATES: &[&str] = &[
    "postgres://app:{}@db:5432/app",
    "postgresql://app:{}@db/app?sslmode=require",
    "postgres://app@db/app?password={}",
    "postgres://app@db/app?sslpassword={}&application_name=x",
    "mysql://root:{}@127.0.0.1:3306/app",
    "mariadb://root:{}@db/app",
    "mysql://root@db/app?password={}",
    "host=db user=app password={} dbname=app",
    "host=db user=app password='{}' dbname=app",
];

/// Whether `shown` holds the marked password, or its marker, in any form.
fn leaks(shown: &str) -> bool {
    shown.contains('§') || shown.to_ascii_uppercase().contains("%C2%A7")
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    // The marker is the password's alone.
    if leaks(&text) {
        return;
    }
    // Either the input is a password in one of the templates, raw or
    // percent-encoded, or (choice ≥ 128) a password and the rest of a URL,
    // split at the first NUL, both free: `SCHEME://app:§PASSWORD@REST`.
    let password = format!("§{text}");
    let url = if choice >= 128 {
        let scheme = ["postgres", "postgresql", "mysql", "mariadb"][usize::from(choice) % 4];
        let (password, rest) = text.split_once('\0').unwrap_or((&text, "db/app"));
        format!("{scheme}://app:§{password}@{rest}")
    } else {
        let template = TEMPLATES[usize::from(choice) % TEMPLATES.len()];
        let written = if choice & 64 != 0 {
            percent_encoding::utf8_percent_encode(&password, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        } else {
            password.clone()
        };
        template.replacen("{}", &written, 1)
    };
    let shown = redact_url(&url);
    assert!(!leaks(&shown), "{url:?} shown as {shown:?}");
    // The same URL in a config file (a TOML string, and unquoted, which
    // does not parse) and in `.env`.
    let quoted = format!("\"{}\"", url.replace('\\', "\\\\").replace('"', "\\\""));
    for settings in [
        format!("database_url = {quoted}\nDATABASE_URL={quoted}\n"),
        format!("database_url = {url}\n"),
        format!("DATABASE_URL='{url}\n"),
        format!("lock = {quoted}\n"),
    ] {
        for rendered in rendered_settings(&settings) {
            assert!(!leaks(&rendered), "{settings:?} rendered as {rendered:?}");
        }
    }
});
