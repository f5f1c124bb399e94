//! Parsing `metadata.toml`: `parent`, `message` and diesel's `run_in_transaction`.

use toml::de::{DeTable, DeValue};

use crate::defect::{Defect, DefectKind, Defects};
use crate::excerpt::excerpt;
use crate::naming::validate_id;
use crate::suggest::closest;

/// The keys `metadata.toml` may hold.
pub const METADATA_KEYS: [&str; 3] = ["parent", "message", "run_in_transaction"];

/// The contents of one `metadata.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Metadata {
    pub(crate) parent: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) run_in_transaction: Option<bool>,
}

/// Parses `text`, read from the file shown as `path`. Reports every bad key at
/// once.
pub(crate) fn parse(text: &str, path: &str) -> Result<Metadata, Defects> {
    let table = match DeTable::parse(text) {
        Ok(table) => table.into_inner(),
        Err(error) => {
            let position = error
                .span()
                .map(|span| {
                    let (line, column) = line_and_column(text, span.start);
                    format!("{path}:{line}:{column}")
                })
                .unwrap_or_else(|| path.to_owned());
            return Err(Defects::one(Defect::new(
                DefectKind::MalformedMetadata,
                format!(
                    "`{path}` is not valid TOML: {}",
                    first_line(error.message())
                ),
                vec![position],
                "fix the syntax at that position; the file holds lines like `parent = \"<id>\"`",
            )));
        }
    };

    let mut metadata = Metadata::default();
    let mut defects = Vec::new();
    for (key, value) in &table {
        let key_name: &str = key.get_ref();
        let (line, column) = line_and_column(text, key.span().start);
        let at = format!("{path}:{line}:{column}");
        let value = value.get_ref();
        match key_name {
            "parent" => match string_value(value) {
                Some(parent) => match validate_id(parent) {
                    Ok(()) => metadata.parent = Some(parent.to_owned()),
                    Err(_) if parent.is_empty() => defects.push(Defect::new(
                        DefectKind::InvalidMetadataValue,
                        format!("`parent` in `{path}` is empty"),
                        vec![at],
                        "write the id of the parent revision, or remove the line if this is the root revision",
                    )),
                    Err(reason) => defects.push(Defect::new(
                        DefectKind::InvalidMetadataValue,
                        format!("`parent` in `{path}` is not a revision id: {reason}"),
                        vec![at],
                        "write the id of the parent revision: the part of its directory name before the first `_`",
                    )),
                },
                None => defects.push(wrong_type(path, at, "parent", "a string", value)),
            },
            "message" => match string_value(value) {
                Some(message) => metadata.message = Some(message.to_owned()),
                None => defects.push(wrong_type(path, at, "message", "a string", value)),
            },
            "run_in_transaction" => match value.as_bool() {
                Some(flag) => metadata.run_in_transaction = Some(flag),
                None => defects.push(wrong_type(
                    path,
                    at,
                    "run_in_transaction",
                    "a boolean (`true` or `false`)",
                    value,
                )),
            },
            unknown => {
                let help = match closest(unknown, METADATA_KEYS) {
                    Some(known) => format!("did you mean `{known}`? (the keys are `parent`, `message` and `run_in_transaction`)"),
                    None => "remove it; the keys are `parent`, `message` and `run_in_transaction`".to_owned(),
                };
                defects.push(Defect::new(
                    DefectKind::UnknownMetadataKey,
                    format!("unknown key `{}` in `{path}`", excerpt(unknown)),
                    vec![at],
                    help,
                ));
            }
        }
    }
    match Defects::from_vec(defects) {
        None => Ok(metadata),
        Some(defects) => Err(defects),
    }
}

/// `text`, a `metadata.toml` that [`parse`] accepts, with its `parent`
/// set to `parent`: only the bytes of the old value (its quotes included)
/// are replaced, found by the TOML parser's span of that value, so every
/// other byte (comments, spacing, other keys, line endings) stays. A file
/// without `parent` gets the line `parent = "<id>"` first (after a byte
/// order mark, if any). `parent` must be a valid id, which needs no escape
/// in a TOML string.
///
/// ```
/// let text = "# why\nparent  =  'a'   # old\r\nmessage = \"m\"\n";
/// let rewritten = revchain_internals::rewrite_parent(text, "b").unwrap();
/// assert_eq!(rewritten, "# why\nparent  =  \"b\"   # old\r\nmessage = \"m\"\n");
/// assert_eq!(revchain_internals::rewrite_parent("", "b").unwrap(), "parent = \"b\"\n");
/// ```
pub fn rewrite_parent(text: &str, parent: &str) -> Result<String, String> {
    validate_id(parent)?;
    let table = DeTable::parse(text)
        .map_err(|error| format!("it is not valid TOML: {}", first_line(error.message())))?
        .into_inner();
    let quoted = format!("\"{parent}\"");
    let found = table
        .iter()
        .find(|(key, _)| AsRef::<str>::as_ref(key.get_ref()) == "parent");
    match found {
        Some((_, value)) => {
            let span = value.span();
            if value.get_ref().as_str().is_none() || text.get(span.clone()).is_none() {
                return Err("its `parent` is not a string".to_owned());
            }
            Ok(format!(
                "{}{quoted}{}",
                &text[..span.start],
                &text[span.end..]
            ))
        }
        None => {
            let body = text.strip_prefix('\u{feff}');
            let bom = if body.is_some() { "\u{feff}" } else { "" };
            let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
            Ok(format!(
                "{bom}parent = {quoted}{newline}{}",
                body.unwrap_or(text)
            ))
        }
    }
}

fn string_value<'a>(value: &'a DeValue<'_>) -> Option<&'a str> {
    value.as_str()
}

fn wrong_type(path: &str, at: String, key: &str, expected: &str, found: &DeValue<'_>) -> Defect {
    Defect::new(
        DefectKind::InvalidMetadataValue,
        format!(
            "`{key}` in `{path}` must be {expected}, but it is {} {}",
            article(found.type_str()),
            found.type_str()
        ),
        vec![at],
        match key {
            "parent" => "write the parent's id in quotes: `parent = \"<id>\"`".to_owned(),
            "message" => "write the message in quotes: `message = \"...\"`".to_owned(),
            _ => format!("write `{key} = false` or `{key} = true`"),
        },
    )
}

fn article(type_name: &str) -> &'static str {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

fn first_line(message: &str) -> &str {
    message
        .lines()
        .next()
        .unwrap_or(message)
        .trim_end_matches('.')
}

/// The 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "migrations/2_b/metadata.toml";

    fn kinds(text: &str) -> Vec<DefectKind> {
        parse(text, PATH)
            .unwrap_err()
            .iter()
            .map(Defect::kind)
            .collect()
    }

    #[test]
    fn reads_every_key() {
        let metadata = parse(
            "parent = \"1\"\nmessage = \"add posts\"\nrun_in_transaction = false\n",
            PATH,
        )
        .unwrap();
        assert_eq!(metadata.parent.as_deref(), Some("1"));
        assert_eq!(metadata.message.as_deref(), Some("add posts"));
        assert_eq!(metadata.run_in_transaction, Some(false));
    }

    #[test]
    fn an_empty_file_is_a_root_with_defaults() {
        assert_eq!(parse("", PATH).unwrap(), Metadata::default());
        assert_eq!(
            parse("# just a comment\n", PATH).unwrap(),
            Metadata::default()
        );
    }

    #[test]
    fn malformed_toml_names_file_line_and_column() {
        let defects = parse("parent = \"1\"\nmessage = oops\n", PATH).unwrap_err();
        assert_eq!(defects.len(), 1);
        assert_eq!(defects[0].kind(), DefectKind::MalformedMetadata);
        assert_eq!(defects[0].locations(), [format!("{PATH}:2:11")]);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_suggestion() {
        let defects = parse("parnet = \"1\"\n", PATH).unwrap_err();
        assert_eq!(defects[0].kind(), DefectKind::UnknownMetadataKey);
        assert!(defects[0].summary().contains("`parnet`"));
        assert!(defects[0].help().contains("did you mean `parent`"));
        assert_eq!(defects[0].locations(), [format!("{PATH}:1:1")]);
    }

    #[test]
    fn unknown_tables_are_unknown_keys() {
        assert_eq!(kinds("[diesel]\nx = 1\n"), [DefectKind::UnknownMetadataKey]);
    }

    #[test]
    fn wrong_types_are_errors() {
        assert_eq!(
            kinds("parent = 1\nmessage = true\nrun_in_transaction = \"no\"\n"),
            [DefectKind::InvalidMetadataValue; 3]
        );
        let defects = parse("run_in_transaction = \"no\"\n", PATH).unwrap_err();
        assert!(
            defects[0].summary().contains("must be a boolean"),
            "{}",
            defects[0]
        );
    }

    #[test]
    fn an_invalid_or_empty_parent_is_an_error() {
        assert_eq!(kinds("parent = \"\"\n"), [DefectKind::InvalidMetadataValue]);
        assert_eq!(
            kinds("parent = \"a b\"\n"),
            [DefectKind::InvalidMetadataValue]
        );
    }

    #[test]
    fn all_bad_keys_are_reported_together() {
        assert_eq!(kinds("a = 1\nb = 2\nparent = 3\n").len(), 3);
    }

    #[test]
    fn rewriting_the_parent_keeps_every_other_byte() {
        let text = "\u{feff}message = \"x\" # m\n\n  parent=\"1\"\t# the parent\nrun_in_transaction = false";
        let rewritten = rewrite_parent(text, "2026-01-01-000000").unwrap();
        assert_eq!(rewritten, text.replace("\"1\"", "\"2026-01-01-000000\""));
        assert_eq!(
            parse(&rewritten, PATH).unwrap().parent.as_deref(),
            Some("2026-01-01-000000")
        );
        let literal = rewrite_parent("parent = '''1'''\n", "2").unwrap();
        assert_eq!(literal, "parent = \"2\"\n");
    }

    #[test]
    fn rewriting_adds_a_missing_parent_first() {
        assert_eq!(
            rewrite_parent("\u{feff}message = \"m\"\r\n", "2").unwrap(),
            "\u{feff}parent = \"2\"\r\nmessage = \"m\"\r\n"
        );
    }

    #[test]
    fn rewriting_refuses_what_it_cannot_keep() {
        assert!(rewrite_parent("parent = \"1\"\n", "a b").is_err());
        assert!(rewrite_parent("parent = 1\n", "2").is_err());
        assert!(rewrite_parent("parent = \n", "2").is_err());
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_and_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_and_column("", 0), (1, 1));
    }
}
