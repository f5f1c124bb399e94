//! `check [--schema [FILE]]`: the chain's rules, and the models against the
//! database at head.

use serde_json::{Map, Value, json};

use super::Session;
use super::args::CheckArgs;
use super::commands::sentence_name;
use super::error::CliError;
use super::output::Style;
use crate::{Revision, Revisions};

/// The one-line summary of a valid chain, the same for a directory and an
/// embedded chain.
pub(crate) fn chain_summary(revisions: &Revisions) -> String {
    let all = revisions.as_slice();
    match (all, all) {
        ([root, ..], [.., head]) => format!(
            "{} revision{} in one straight line, from `{}` to `{}` (head)",
            all.len(),
            if all.len() == 1 { "" } else { "s" },
            root.id(),
            head.id()
        ),
        _ => "no revisions yet".to_owned(),
    }
}

/// `check`: exit 0 when the chain is linear (and, with `--schema`, when the
/// models match the database at head), 1 otherwise.
pub(crate) fn check(session: &mut Session<'_>, args: &CheckArgs) -> Result<(), CliError> {
    // A missing directory is a defect here, as for the compiler.
    let revisions = session.chain().map_err(CliError::Defects)?;
    let comparison = match &args.schema {
        None => None,
        Some(schema) => {
            let comparison = super::autogenerate::compare_with_head(
                session,
                schema.as_deref(),
                &args.ignore_tables,
            )?;
            if !comparison.diff.is_empty() {
                return Err(CliError::message(
                    comparison.diff.describe(),
                    format!(
                        "`{}` and the database at {} differ: write a revision with `revchain revision -m MESSAGE --autogenerate`, or change the models back",
                        comparison.schema,
                        sentence_name(comparison.head.as_deref())
                    ),
                ));
            }
            Some(comparison)
        }
    };
    if session.output.json() {
        let mut value = Map::from_iter([
            ("ok".to_owned(), json!(true)),
            ("revisions".to_owned(), json!(revisions.len())),
            (
                "root".to_owned(),
                json!(revisions.iter().next().map(Revision::id)),
            ),
            ("head".to_owned(), json!(revisions.head().map(Revision::id))),
        ]);
        if let Some(comparison) = &comparison {
            value.insert("schema".to_owned(), json!(comparison.schema));
            value.insert("operations".to_owned(), json!([]));
        }
        return session.output.print_json(&Value::Object(value));
    }
    let ok = session.output.paint("ok:", Style::Ok);
    session
        .output
        .print(&format!("{ok} {}", chain_summary(&revisions)))?;
    match &comparison {
        None => Ok(()),
        Some(comparison) => session.output.print(&format!(
            "{ok} no new upgrade operations detected: `{}` matches the database at {}",
            comparison.schema,
            sentence_name(comparison.head.as_deref())
        )),
    }
}
