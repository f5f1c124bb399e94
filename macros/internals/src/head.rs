//! The `HEAD` rules: the file exists once there are revisions, holds one line,
//! has no git conflict markers, and names the head of the chain.

use crate::chain::Node;
use crate::defect::{Defect, DefectKind};
use crate::discover::HeadFile;
use crate::excerpt::excerpt;
use crate::suggest;

/// Git's conflict markers, as they start a line.
const CONFLICT_MARKERS: [&str; 4] = ["<<<<<<<", "=======", ">>>>>>>", "|||||||"];

/// Checks `HEAD` (shown as `head_path`) against the revisions `nodes`, whose
/// head, when the chain rules know it, is `expected`. Returns the one defect
/// of `HEAD`, if any.
pub(crate) fn check(
    head: &HeadFile,
    nodes: &[Node],
    expected: Option<&str>,
    head_path: &str,
) -> Option<Defect> {
    let defect = |kind: DefectKind, summary: String, help: String| {
        Some(Defect::new(kind, summary, vec![head_path.to_owned()], help))
    };
    let wanted = match expected {
        Some(id) => format!("the single line `{id}`"),
        None => "the id of the newest revision, once the other errors are fixed".to_owned(),
    };
    let text = match head {
        HeadFile::Unreadable => return None,
        HeadFile::Missing if nodes.is_empty() => return None,
        HeadFile::Missing => {
            return defect(
                DefectKind::HeadMissing,
                format!(
                    "`{head_path}` is missing: it names the newest revision, so that two branches that each add one conflict in git"
                ),
                format!("create `{head_path}` holding {wanted}"),
            );
        }
        // Some Windows editors start a UTF-8 file with a byte order mark;
        // `metadata.toml` may have one too (TOML allows it).
        HeadFile::Text(text) => text.strip_prefix('\u{feff}').unwrap_or(text),
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if lines.iter().any(|line| is_conflict_marker(line)) {
        let sides: Vec<String> = lines
            .iter()
            .filter(|line| !is_conflict_marker(line))
            .map(|line| format!("`{}`", excerpt(line)))
            .collect();
        return defect(
            DefectKind::HeadConflict,
            format!(
                "`{head_path}` has git conflict markers: two branches each added revisions ({})",
                sides.join(" and ")
            ),
            format!(
                "put the revisions of one branch after those of the other by re-parenting them as the fork error says, then replace the whole of `{head_path}` with {wanted}; `revchain rebase` does both"
            ),
        );
    }
    let id = match lines.as_slice() {
        [] if nodes.is_empty() => return None,
        [] => {
            return defect(
                DefectKind::HeadEmpty,
                format!("`{head_path}` is empty, but it must name the newest revision"),
                format!("write {wanted} in `{head_path}`"),
            );
        }
        [id] => *id,
        _ => {
            return defect(
                DefectKind::HeadStale,
                format!(
                    "`{head_path}` holds {} lines, but it must hold the id of the newest revision alone",
                    lines.len()
                ),
                format!("replace its contents with {wanted}"),
            );
        }
    };
    if !nodes.iter().any(|node| node.id == id) {
        // With a known head the help names it; a guess would only compete.
        let hint = match (
            expected,
            suggest::closest(id, nodes.iter().map(|n| n.id.as_str())),
        ) {
            (None, Some(close)) => format!(" (did you mean `{close}`?)"),
            _ => String::new(),
        };
        return defect(
            DefectKind::HeadStale,
            format!(
                "`{head_path}` names `{}`{hint}, but there is no revision `{}`",
                excerpt(id),
                excerpt(id)
            ),
            format!("replace its contents with {wanted}"),
        );
    }
    match expected {
        Some(expected) if id != expected => defect(
            DefectKind::HeadStale,
            format!("`{head_path}` names `{id}`, but the head of the chain is `{expected}`"),
            format!(
                "write `{expected}` in `{head_path}`; update it whenever you add a revision (`revchain revision` does)"
            ),
        ),
        _ => None,
    }
}

/// Whether a trimmed line of `HEAD` starts with a git conflict marker.
fn is_conflict_marker(line: &str) -> bool {
    CONFLICT_MARKERS
        .iter()
        .any(|marker| line.starts_with(marker))
}
