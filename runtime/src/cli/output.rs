//! Where and how the commands print: results on stdout, logs, warnings and
//! errors on stderr; colour only on a terminal without `NO_COLOR`; with
//! `--format json`, one JSON document on stdout, errors included. What is
//! printed is printed as it is: a password never reaches here, since URLs
//! are redacted where they are rendered and drivers' messages where they
//! are wrapped (see `url`), so scripts, history and JSON come through
//! byte for byte.
//!
//! A write to stdout that fails is the command's error ([`CliError::Stdout`]);
//! writes to stderr are best effort: with stderr gone, nothing is left to
//! report a failure on.

use std::cell::Cell;
use std::io::{self, IsTerminal, Write};

use serde_json::{Value, json};

use super::args::Format;
use super::error::CliError;

/// A colour, as an SGR code.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Style {
    Error,
    Warning,
    Head,
    Current,
    Ok,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Error => "1;31",
            Style::Warning => "1;33",
            Style::Head => "32",
            Style::Current => "36",
            Style::Ok => "1;32",
        }
    }
}

pub(crate) struct Output {
    format: Format,
    colour_stdout: bool,
    colour_stderr: bool,
    /// Whether a progress line was started on stderr and not ended.
    open_line: Cell<bool>,
}

impl Output {
    pub(crate) fn new(format: Format) -> Self {
        let colour = std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
        Output {
            format,
            colour_stdout: colour && std::io::stdout().is_terminal(),
            colour_stderr: colour && std::io::stderr().is_terminal(),
            open_line: Cell::new(false),
        }
    }

    pub(crate) fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Wraps `text` in a colour, if stdout is a colour terminal.
    pub(crate) fn paint(&self, text: &str, style: Style) -> String {
        paint(text, style, self.colour_stdout)
    }

    /// Writes a line on stdout, flushed, so that a failure shows here.
    fn write_stdout(&self, line: &str) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()
    }

    /// Writes text and a newline on stderr, best effort (see the module).
    fn write_stderr(&self, text: &str) {
        let _ = writeln!(io::stderr().lock(), "{text}");
    }

    /// A line of results on stdout.
    pub(crate) fn print(&self, line: &str) -> Result<(), CliError> {
        self.write_stdout(line).map_err(CliError::Stdout)
    }

    /// A JSON document on stdout.
    pub(crate) fn print_json(&self, value: &Value) -> Result<(), CliError> {
        self.print(&format!("{value:#}"))
    }

    /// A log line on stderr (nothing in JSON mode).
    pub(crate) fn log(&self, line: &str) {
        if self.json() {
            return;
        }
        self.end_line();
        self.write_stderr(line);
    }

    /// Starts a log line on stderr, to be finished by [`Self::finish_line`].
    pub(crate) fn start_line(&self, text: &str) {
        if self.json() {
            return;
        }
        self.end_line();
        let mut stderr = io::stderr().lock();
        // Best effort, as every write to stderr.
        let _ = write!(stderr, "{text}").and_then(|()| stderr.flush());
        self.open_line.set(true);
    }

    /// Finishes the line [`Self::start_line`] started.
    pub(crate) fn finish_line(&self, text: &str) {
        if self.json() {
            return;
        }
        self.write_stderr(text);
        self.open_line.set(false);
    }

    fn end_line(&self) {
        if self.open_line.replace(false) {
            self.write_stderr("");
        }
    }

    /// `warning: …` on stderr (nothing in JSON mode).
    pub(crate) fn warn(&self, message: &str) {
        if self.json() {
            return;
        }
        self.end_line();
        let prefix = paint("warning:", Style::Warning, self.colour_stderr);
        self.write_stderr(&format!("{prefix} {message}"));
    }

    /// An error, once, with its causes: `error: …` then `  caused by: …`
    /// lines on stderr, or `{"error": {…}}` on stdout in JSON mode. A failed
    /// write to stdout is told on stderr in either mode, as is any error whose
    /// JSON cannot be written; a closed stdout is left unsaid.
    pub(crate) fn error(&self, error: &CliError) {
        self.end_line();
        if matches!(error, CliError::Reported) {
            return;
        }
        if let CliError::Stdout(source) = error {
            if source.kind() != io::ErrorKind::BrokenPipe {
                self.write_stderr(&self.error_text(error));
            }
            return;
        }
        if !self.json() {
            self.write_stderr(&self.error_text(error));
            return;
        }
        match self.write_stdout(&format!("{:#}", error_json(error))) {
            Ok(()) => {}
            Err(failure) if failure.kind() == io::ErrorKind::BrokenPipe => {}
            Err(_) => self.write_stderr(&self.error_text(error)),
        }
    }

    /// An error as text: each defect of a chain or of a `schema.rs` as an
    /// `error: …` line, as the compiler prints them, else `error: …` and
    /// its causes.
    fn error_text(&self, error: &CliError) -> String {
        let prefix = paint("error:", Style::Error, self.colour_stderr);
        match error {
            CliError::Defects(defects) => defects
                .shown()
                .0
                .into_iter()
                .map(|defect| format!("{prefix} {defect}"))
                .chain(defects.more_line().map(|more| format!("{prefix} {more}")))
                .collect::<Vec<_>>()
                .join("\n\n"),
            CliError::Models(errors) => errors
                .errors
                .iter()
                .map(|error| format!("{prefix} {error}"))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => {
                let message = error.to_string();
                let mut text = format!("{prefix} {message}");
                for cause in causes(error, &message) {
                    text.push_str("\n  caused by: ");
                    text.push_str(&cause);
                }
                text
            }
        }
    }
}

/// An error as JSON: `{"error": {"message": …, "help": …, "causes": […]}}`
/// (`help` is `null` where there is nothing to do), with the
/// `defects` of a chain or the `schema_errors` of a `schema.rs`.
fn error_json(error: &CliError) -> Value {
    match error {
        CliError::Defects(defects) => json!({
            "error": {
                "message": format!("the migrations directory breaks {} rule{}", defects.len(), if defects.len() == 1 { "" } else { "s" }),
                "causes": [],
                "defects": defects_json(defects),
                "more_defects": defects.shown().1,
            }
        }),
        CliError::Models(errors) => json!({
            "error": {
                "message": format!(
                    "cannot read the models in `{}`: {} error{}",
                    errors.errors.first().file,
                    errors.errors.len(),
                    if errors.errors.len() == 1 { "" } else { "s" }
                ),
                "causes": [],
                "schema_errors": errors.errors.iter().map(|e| json!({
                    "file": e.file,
                    "line": e.line,
                    "column": e.column,
                    "message": e.message,
                })).collect::<Vec<_>>(),
            }
        }),
        _ => {
            let text = error.to_string();
            let causes = causes(error, &text);
            // What to do, in a field of its own: every message ends with
            // it, after `\n  = help: `.
            let (message, help) = match text.split_once("\n  = help: ") {
                Some((message, help)) => (message, Some(help)),
                None => (text.as_str(), None),
            };
            json!({ "error": { "message": message, "help": help, "causes": causes } })
        }
    }
}

fn paint(text: &str, style: Style, on: bool) -> String {
    if on {
        format!("\x1b[{}m{text}\x1b[0m", style.code())
    } else {
        text.to_owned()
    }
}

/// The messages of the error's sources, leaving out any that the text
/// printed so far already holds (so that no message appears twice).
fn causes(error: &CliError, message: &str) -> Vec<String> {
    let mut shown = message.to_owned();
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        let text = text.trim_end();
        if !text.is_empty() && !shown.contains(text) {
            shown.push('\n');
            shown.push_str(text);
            causes.push(text.to_owned());
        }
        source = cause.source();
    }
    causes
}

/// A [`Report`](crate::Report) as JSON: `upgrade`, `downgrade`, `stamp`
/// and `sync`.
pub(crate) fn report_json(report: &crate::Report) -> Value {
    serde_json::json!({
        "from": report.from,
        "to": report.to,
        "steps": report.steps.iter().map(|step| serde_json::json!({
            "id": step.id,
            "message": step.message,
            "direction": step.direction.as_str(),
            "duration_ms": step.duration.as_secs_f64() * 1000.0,
        })).collect::<Vec<_>>(),
        "adopted": report.adopted,
    })
}

/// The defects [`Defects::shown`](revchain_internals::Defects::shown) keeps,
/// as JSON; `more_defects` beside them counts the rest.
pub(crate) fn defects_json(defects: &revchain_internals::Defects) -> Value {
    Value::Array(
        defects
            .shown()
            .0
            .into_iter()
            .map(|defect| {
                json!({
                    "kind": defect.kind().as_str(),
                    "summary": defect.summary(),
                    "locations": defect.locations(),
                    "help": defect.help(),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(paint("(head)", Style::Head, false), "(head)");
        assert_eq!(paint("(head)", Style::Head, true), "\x1b[32m(head)\x1b[0m");
    }

    #[test]
    fn causes_already_in_the_message_are_left_out() {
        let error = CliError::io(
            "cannot read `x`: gone",
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert!(causes(&error, &error.to_string()).is_empty());
        let error = CliError::io(
            "cannot read `x`",
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(causes(&error, &error.to_string()), vec!["gone".to_owned()]);
    }

    #[test]
    fn defect_kinds_are_snake_case() {
        assert_eq!(
            revchain_internals::DefectKind::HeadStale.as_str(),
            "head_stale"
        );
        assert_eq!(revchain_internals::DefectKind::Fork.as_str(), "fork");
    }
}
