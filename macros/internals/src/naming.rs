//! What a revision id and a revision directory name may look like.

use crate::excerpt::excerpt;

/// The longest id accepted: the width of diesel's
/// `__diesel_schema_migrations.version` column, so that every revision can
/// also be recorded there.
pub const MAX_ID_LEN: usize = 50;

/// Checks a revision id: 1 to [`MAX_ID_LEN`] characters from `[A-Za-z0-9-]`.
/// The error explains, in lowercase, what is wrong.
///
/// ```
/// use revchain_internals::validate_id;
///
/// assert!(validate_id("2026-11-24-093000").is_ok());
/// assert!(validate_id("ae10f2").is_ok());
/// assert!(validate_id("bad id").is_err());
/// assert!(validate_id("").is_err());
/// ```
pub fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("the id is empty".to_owned());
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "the id `{}` contains {}, but only letters, digits and `-` are allowed",
            excerpt(id),
            describe_char(bad)
        ));
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!(
            "the id `{}` is {} characters long, more than the {MAX_ID_LEN} allowed",
            excerpt(id),
            id.chars().count()
        ));
    }
    Ok(())
}

/// Splits a revision directory name `<id>_<slug>` at its first `_` and checks
/// both halves.
///
/// ```
/// use revchain_internals::split_directory_name;
///
/// assert_eq!(
///     split_directory_name("2026-11-24-093000_create_users"),
///     Ok(("2026-11-24-093000", "create_users"))
/// );
/// assert!(split_directory_name("create users").is_err());
/// ```
pub fn split_directory_name(name: &str) -> Result<(&str, &str), String> {
    let Some((id, slug)) = name.split_once('_') else {
        return Err(format!(
            "`{}` has no `_`: a revision directory is named `<id>_<slug>`",
            excerpt(name)
        ));
    };
    validate_id(id)?;
    if slug.is_empty() {
        return Err(format!(
            "`{}` has an empty slug: a revision directory is named `<id>_<slug>`",
            excerpt(name)
        ));
    }
    if let Some(bad) = slug.chars().find(|c| forbidden_in_slug(*c)) {
        return Err(format!(
            "the slug of `{}` contains {}, which cannot be part of a slug",
            excerpt(name),
            describe_char(bad)
        ));
    }
    Ok((id, slug))
}

/// Whether a slug may not hold `c`: whitespace, control characters and path
/// separators.
fn forbidden_in_slug(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\')
}

/// The slug closest to `slug` that [`split_directory_name`] accepts: each
/// character a slug cannot hold (whitespace, control characters, `/`, `\`)
/// becomes `_`; an empty slug becomes `migration`. A valid slug is returned
/// unchanged. Used to import histories of other tools, whose names revchain
/// may refuse.
///
/// ```
/// use revchain_internals::{repair_slug, split_directory_name};
///
/// assert_eq!(repair_slug("create users\ttable"), "create_users_table");
/// assert_eq!(repair_slug("create_users"), "create_users");
/// assert_eq!(repair_slug(""), "migration");
/// let name = format!("1_{}", repair_slug("a b/c"));
/// assert!(split_directory_name(&name).is_ok());
/// ```
pub fn repair_slug(slug: &str) -> String {
    if slug.is_empty() {
        return "migration".to_owned();
    }
    slug.chars()
        .map(|c| if forbidden_in_slug(c) { '_' } else { c })
        .collect()
}

/// The version diesel_migrations records for the revision directory whose id
/// is `id` (the text before the first `_`, with every `-` removed), and by
/// which it orders migrations, as strings.
///
/// ```
/// assert_eq!(revchain_internals::diesel_version("2026-11-24-093000"), "20261124093000");
/// assert_eq!(revchain_internals::diesel_version("2026-11-24-093000-0000"), "202611240930000000");
/// ```
pub fn diesel_version(id: &str) -> String {
    id.replace('-', "")
}

/// The message of a revision whose `metadata.toml` sets none: its slug, with
/// `_` read as spaces.
///
/// ```
/// assert_eq!(revchain_internals::default_message("create_users"), "create users");
/// ```
pub fn default_message(slug: &str) -> String {
    slug.replace('_', " ")
}

/// Turns a message into a slug: lowercase ASCII words joined by `_`.
///
/// ```
/// assert_eq!(revchain_internals::slugify("Add e-mail to Users!"), "add_e_mail_to_users");
/// assert_eq!(revchain_internals::slugify("!!!"), "revision");
/// ```
pub fn slugify(message: &str) -> String {
    let words: Vec<String> = message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let slug = words.join("_");
    if slug.is_empty() {
        "revision".to_owned()
    } else {
        slug.chars()
            .take(60)
            .collect::<String>()
            .trim_end_matches('_')
            .to_owned()
    }
}

fn describe_char(c: char) -> String {
    if c == ' ' {
        "a space".to_owned()
    } else if c.is_whitespace() || c.is_control() {
        format!("the character {:?}", c)
    } else {
        format!("`{c}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_allow_letters_digits_and_dashes_only() {
        assert!(validate_id("ABC-def-0123").is_ok());
        for bad in ["a b", "a.b", "a/b", "é", "a_b"] {
            assert!(validate_id(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn ids_longer_than_diesel_allows_are_rejected() {
        assert!(validate_id(&"a".repeat(MAX_ID_LEN)).is_ok());
        let error = validate_id(&"a".repeat(MAX_ID_LEN + 1)).unwrap_err();
        assert!(error.contains("51 characters"), "{error}");
    }

    #[test]
    fn directory_names_split_at_the_first_underscore() {
        assert_eq!(split_directory_name("1_a_b"), Ok(("1", "a_b")));
        assert!(
            split_directory_name("1_")
                .unwrap_err()
                .contains("empty slug")
        );
        assert!(split_directory_name("_x").unwrap_err().contains("empty"));
        assert!(
            split_directory_name("nounderscore")
                .unwrap_err()
                .contains("no `_`")
        );
        assert!(
            split_directory_name("1_a b")
                .unwrap_err()
                .contains("a space")
        );
    }
}
