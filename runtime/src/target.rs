//! Targets of `upgrade`, `downgrade` and `stamp`, parsed with Alembic's rules:
//! `head`, `base`, a full id or a unique prefix of at least 4 characters,
//! `+N`, `-N`, `<id>+N`, `head-N` and `base+N`. Ids contain `-`, so
//! `<id>-N` is not a target: write `-N` from the current revision instead.

use std::fmt;
use std::str::FromStr;

use crate::Revisions;
use crate::error::TargetError;

/// The shortest prefix accepted for an id, as in Alembic.
pub const MIN_PREFIX_LEN: usize = 4;

/// A parsed target, not yet resolved against a chain.
///
/// ```
/// use revchain::Target;
///
/// assert_eq!("head".parse::<Target>().unwrap(), Target::head());
/// assert_eq!("-2".parse::<Target>().unwrap().to_string(), "-2");
/// assert_eq!("ae10+2".parse::<Target>().unwrap().to_string(), "ae10+2");
/// assert!("head+x".parse::<Target>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    anchor: Anchor,
    delta: i64,
}

/// Where a target counts from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Anchor {
    Head,
    Base,
    Current,
    Id(String),
}

impl Target {
    /// The newest revision.
    pub fn head() -> Self {
        Target {
            anchor: Anchor::Head,
            delta: 0,
        }
    }

    /// Before the first revision: an empty schema.
    pub fn base() -> Self {
        Target {
            anchor: Anchor::Base,
            delta: 0,
        }
    }

    /// `delta` revisions from the current one (`+N` or `-N`).
    pub fn relative(delta: i64) -> Self {
        Target {
            anchor: Anchor::Current,
            delta,
        }
    }

    /// Whether the target counts from the database's current revision.
    pub fn is_relative_to_current(&self) -> bool {
        self.anchor == Anchor::Current
    }

    /// Resolves the target against a chain: `Some(position)` of the revision
    /// (0 is the root) or `None` for base. `current` is the position of the
    /// database's revision (`None` at base).
    pub fn resolve(
        &self,
        revisions: &Revisions,
        current: Option<usize>,
    ) -> Result<Option<usize>, TargetError> {
        // Positions are shifted by one so that base is 0.
        let start: i64 = match &self.anchor {
            Anchor::Head => revisions.len() as i64,
            Anchor::Base => 0,
            Anchor::Current => current.map_or(0, |p| p as i64 + 1),
            Anchor::Id(prefix) => resolve_prefix(prefix, revisions)? as i64 + 1,
        };
        // `head+9223372036854775807` goes past the head without overflowing.
        let end = start.saturating_add(self.delta);
        if end < 0 || end > revisions.len() as i64 {
            return Err(TargetError::OutOfRange {
                target: self.to_string(),
                delta: self.delta,
                available: if self.delta < 0 {
                    start
                } else {
                    revisions.len() as i64 - start
                },
            });
        }
        Ok(if end == 0 {
            None
        } else {
            Some(end as usize - 1)
        })
    }
}

/// Finds the revision whose id is `prefix`, or the only one starting with it.
pub(crate) fn resolve_prefix(prefix: &str, revisions: &Revisions) -> Result<usize, TargetError> {
    match revisions.position(prefix) {
        Some(position) => Ok(position),
        None => resolve_id(prefix, revisions.iter().map(|revision| revision.id())),
    }
}

/// Finds, among `ids`, the one that is `prefix`, or the only one starting
/// with it (at least [`MIN_PREFIX_LEN`] characters): its index in `ids`.
/// Every command that takes a revision resolves it here, over a chain or,
/// in `rebase`, over revision directories that are not one chain yet.
pub(crate) fn resolve_id<'a>(
    prefix: &str,
    ids: impl Iterator<Item = &'a str> + Clone,
) -> Result<usize, TargetError> {
    if let Some(position) = ids.clone().position(|id| id == prefix) {
        return Ok(position);
    }
    if prefix.len() < MIN_PREFIX_LEN {
        return Err(TargetError::NoSuchRevision {
            target: prefix.to_owned(),
            short: true,
        });
    }
    let candidates: Vec<(usize, &str)> = ids
        .enumerate()
        .filter(|(_, id)| id.starts_with(prefix))
        .collect();
    match candidates.as_slice() {
        [] => Err(TargetError::NoSuchRevision {
            target: prefix.to_owned(),
            short: false,
        }),
        [(one, _)] => Ok(*one),
        many => Err(TargetError::Ambiguous {
            prefix: prefix.to_owned(),
            candidates: many.iter().map(|(_, id)| (*id).to_owned()).collect(),
        }),
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let invalid = || TargetError::Invalid {
            target: text.to_owned(),
        };
        if text.is_empty() {
            return Err(invalid());
        }
        // Split off a trailing `+N` / `-N`. Ids contain `-`, so only a sign
        // followed by digits to the end counts, and only when what precedes
        // it is empty, `head`, `base` or an id that is not itself all digits
        // up to another dash (`2026-01-05-090000` stays an id).
        let split = text.rfind(['+', '-']).filter(|&at| {
            at + 1 < text.len() && text[at + 1..].bytes().all(|b| b.is_ascii_digit())
        });
        let (anchor_text, delta) = match split {
            Some(at)
                if text.as_bytes()[at] == b'+'
                    || at == 0
                    || matches!(&text[..at], "head" | "base" | "current") =>
            {
                let magnitude: i64 = text[at + 1..].parse().map_err(|_| invalid())?;
                let delta = if text.as_bytes()[at] == b'-' {
                    -magnitude
                } else {
                    magnitude
                };
                (&text[..at], delta)
            }
            _ => (text, 0),
        };
        let anchor = match anchor_text {
            "" => Anchor::Current,
            "head" => Anchor::Head,
            "base" => Anchor::Base,
            "current" => Anchor::Current,
            id if id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                Anchor::Id(id.to_owned())
            }
            _ => return Err(invalid()),
        };
        if anchor == Anchor::Current && delta == 0 && anchor_text.is_empty() {
            return Err(invalid());
        }
        Ok(Target { anchor, delta })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.anchor {
            Anchor::Head => f.write_str("head")?,
            Anchor::Base => f.write_str("base")?,
            Anchor::Current if self.delta == 0 => f.write_str("current")?,
            Anchor::Current => {}
            Anchor::Id(id) => f.write_str(id)?,
        }
        match self.delta {
            0 => Ok(()),
            d if d > 0 => write!(f, "+{d}"),
            d => write!(f, "{d}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_dashes_stay_ids() {
        let target: Target = "2026-01-05-090000".parse().unwrap();
        assert_eq!(target.anchor, Anchor::Id("2026-01-05-090000".to_owned()));
        assert_eq!(target.delta, 0);
    }

    #[test]
    fn ids_take_a_plus_delta() {
        let target: Target = "2026-01-05-090000+2".parse().unwrap();
        assert_eq!(target.anchor, Anchor::Id("2026-01-05-090000".to_owned()));
        assert_eq!(target.delta, 2);
    }

    #[test]
    fn relative_and_anchored_forms_parse() {
        assert_eq!("+3".parse::<Target>().unwrap(), Target::relative(3));
        assert_eq!("-1".parse::<Target>().unwrap(), Target::relative(-1));
        let head_minus: Target = "head-2".parse().unwrap();
        assert_eq!((head_minus.anchor, head_minus.delta), (Anchor::Head, -2));
        let base_plus: Target = "base+1".parse().unwrap();
        assert_eq!((base_plus.anchor, base_plus.delta), (Anchor::Base, 1));
    }

    #[test]
    fn ids_resolve_by_unique_prefix_among_plain_ids() {
        let ids = [
            "2026-01-05-090000",
            "2026-01-12-141500",
            "2026-02-01-000000",
        ];
        assert_eq!(resolve_id("2026-02", ids.into_iter()), Ok(2));
        assert_eq!(resolve_id("2026-01-12-141500", ids.into_iter()), Ok(1));
        assert_eq!(
            resolve_id("2026-01", ids.into_iter()),
            Err(TargetError::Ambiguous {
                prefix: "2026-01".to_owned(),
                candidates: vec![ids[0].to_owned(), ids[1].to_owned()],
            })
        );
        assert_eq!(
            resolve_id("2027", ids.into_iter()),
            Err(TargetError::NoSuchRevision {
                target: "2027".to_owned(),
                short: false,
            })
        );
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "+", "head+x", "a b", "x;DROP TABLE"] {
            assert!(bad.parse::<Target>().is_err(), "{bad:?} accepted");
        }
    }
}
