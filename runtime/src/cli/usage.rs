//! Bad usage, `--help` and `--version`, as clap reports them, printed in the
//! format the command line asks for: with `--format json`, one JSON document
//! on stdout like every other outcome, the help in fields of its own.
//!
//! When clap fails, `--format` itself may be unparsed, so the format is read
//! from the raw arguments ([`requested_format`]): the last `--format json`
//! or `--format=json` before a `--` asks for JSON; anything else, a value
//! clap would refuse included, for text.
//!
//! The documents:
//!
//! - bad usage (exit 2): `{"error": {"kind": "usage", "clap_kind":
//!   "unknown_argument", "message": "unexpected argument '--bogus' found",
//!   "tips": [...], "usage": "Usage: revchain upgrade [OPTIONS] [TARGET]",
//!   "help": "For more information, try '--help'.", "causes": []}}`;
//! - `--help` (exit 0): `{"help": "<the help text>"}`;
//! - `--version` (exit 0): `{"version": "revchain 0.1.0"}`.

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use serde_json::{Value, json};

use super::args::Format;
use super::error::CliError;
use super::output::Output;

/// The format the raw arguments ask for (see the [module](self)).
pub(crate) fn requested_format<T: Into<OsString> + Clone>(args: &[T]) -> Format {
    let mut format = Format::Text;
    let mut args = args.iter().map(|arg| arg.clone().into());
    while let Some(arg) = args.next() {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        let value = if arg == "--format" {
            args.next()
        } else if let Some(value) = arg.strip_prefix("--format=") {
            Some(OsString::from(value))
        } else {
            continue;
        };
        format = match value.as_ref().and_then(|value| value.to_str()) {
            Some("json") => Format::Json,
            _ => Format::Text,
        };
    }
    format
}

/// Prints a clap error, or the help or version it stands for, in `format`,
/// and returns its exit status: 2 for bad usage, else that of writing the
/// help or version on stdout.
pub(crate) fn exit(error: &clap::Error, format: Format) -> ExitCode {
    let output = Output::new(format);
    if format == Format::Text {
        let printed = error.print();
        if error.use_stderr() {
            return ExitCode::from(2);
        }
        return finish(&output, printed.and_then(|()| io::stdout().flush()));
    }
    let text = error.render().to_string();
    let document = match error.kind() {
        ErrorKind::DisplayHelp => json!({ "help": text.trim_end() }),
        ErrorKind::DisplayVersion => json!({ "version": text.trim_end() }),
        _ => usage_json(error.kind(), &text),
    };
    let printed = writeln!(io::stdout().lock(), "{document:#}").and_then(|()| io::stdout().flush());
    if error.use_stderr() {
        // Bad usage: 2, even when stdout is gone.
        return ExitCode::from(2);
    }
    finish(&output, printed)
}

fn finish(output: &Output, printed: io::Result<()>) -> ExitCode {
    super::finish(output, printed.map_err(CliError::Stdout))
}

/// A usage error as JSON, from clap's rendering: `error: <message>`, then
/// paragraphs of `tip:` lines, `Usage: …` and `For more information, …`.
/// Help printed for a missing command (`revchain` alone) is the `help`.
fn usage_json(kind: ErrorKind, text: &str) -> Value {
    let text = text.trim_end();
    if kind == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return json!({
            "error": {
                "kind": "usage",
                "clap_kind": clap_kind(kind),
                "message": "a command is required",
                "tips": [],
                "usage": Value::Null,
                "help": text,
                "causes": [],
            }
        });
    }
    let text = text.strip_prefix("error: ").unwrap_or(text);
    let mut message = Vec::new();
    let mut tips = Vec::new();
    let mut usage = Value::Null;
    let mut help = Value::Null;
    for (index, paragraph) in text.split("\n\n").enumerate() {
        let trimmed = paragraph.trim();
        if index > 0 && trimmed.starts_with("tip:") {
            tips.extend(
                trimmed
                    .lines()
                    .map(|line| line.trim().trim_start_matches("tip:").trim().to_owned()),
            );
        } else if index > 0 && trimmed.starts_with("Usage:") {
            usage = Value::String(trimmed.to_owned());
        } else if index > 0 && trimmed.starts_with("For more information") {
            help = Value::String(trimmed.to_owned());
        } else {
            message.push(paragraph.trim_end());
        }
    }
    json!({
        "error": {
            "kind": "usage",
            "clap_kind": clap_kind(kind),
            "message": message.join("\n\n"),
            "tips": tips,
            "usage": usage,
            "help": help,
            "causes": [],
        }
    })
}

/// clap's kind of error, in `snake_case`.
fn clap_kind(kind: ErrorKind) -> String {
    let name = format!("{kind:?}");
    let mut snake = String::with_capacity(name.len() + 4);
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    fn error(args: &[&str]) -> clap::Error {
        Cli::try_parse_from(args).err().unwrap()
    }

    #[test]
    fn the_format_is_read_from_raw_arguments() {
        assert_eq!(
            requested_format(&["revchain", "--format", "json"]),
            Format::Json
        );
        assert_eq!(
            requested_format(&["revchain", "x", "--format=json", "--bogus"]),
            Format::Json
        );
        assert_eq!(
            requested_format(&["revchain", "--format", "json", "--format", "text"]),
            Format::Text
        );
        assert_eq!(
            requested_format(&["revchain", "--format", "xml"]),
            Format::Text
        );
        assert_eq!(requested_format(&["revchain", "--format"]), Format::Text);
        assert_eq!(
            requested_format(&["revchain", "--", "--format", "json"]),
            Format::Text
        );
        assert_eq!(
            requested_format(&["revchain", "--format", "JSON"]),
            Format::Text
        );
    }

    #[test]
    fn an_unknown_argument_keeps_its_usage_and_tips_apart() {
        let error = error(&["revchain", "upgrade", "--sq"]);
        let json = usage_json(error.kind(), &error.render().to_string());
        let error = &json["error"];
        assert_eq!(error["kind"], "usage");
        assert_eq!(error["clap_kind"], "unknown_argument");
        assert_eq!(error["message"], "unexpected argument '--sq' found");
        assert_eq!(error["tips"][0], "a similar argument exists: '--sql'");
        assert!(
            error["usage"]
                .as_str()
                .unwrap()
                .starts_with("Usage: revchain upgrade")
        );
        assert_eq!(error["help"], "For more information, try '--help'.");
    }

    #[test]
    fn a_missing_argument_names_it_in_the_message() {
        let error = error(&["revchain", "stamp"]);
        let json = usage_json(error.kind(), &error.render().to_string());
        let message = json["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("the following required arguments"),
            "{message}"
        );
        assert!(message.contains("<TARGET>"), "{message}");
        assert!(!message.contains("Usage:"), "{message}");
    }

    #[test]
    fn clap_kinds_are_snake_case() {
        assert_eq!(clap_kind(ErrorKind::UnknownArgument), "unknown_argument");
        assert_eq!(clap_kind(ErrorKind::InvalidValue), "invalid_value");
    }
}
