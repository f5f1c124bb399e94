//! How much of a value read from input a message shows: every revchain tool
//! (the macro, the runtime, the CLI) echoes values through [`excerpt`], so a
//! 10 MB `parent = "…"` or a garbage row in a bookkeeping table never floods
//! a terminal, a compiler's output or a JSON document.

use std::borrow::Cow;

/// The most characters of one value a message shows.
pub const MAX_SHOWN_CHARS: usize = 80;

/// The most defects printed for one migrations directory; the rest are
/// counted (see [`Defects::shown`](crate::Defects::shown)).
pub const MAX_SHOWN_DEFECTS: usize = 50;

/// The most characters of a whole summary or help a [`Defect`](crate::Defect)
/// holds: a safety net behind [`excerpt`], for a sentence that echoes
/// several values.
pub(crate) const MAX_SENTENCE_CHARS: usize = 2_000;

/// `value` as a message shows it: whole when it has at most
/// [`MAX_SHOWN_CHARS`] characters, else its first ones followed by
/// `…(N more bytes)`.
///
/// ```
/// use revchain_internals::excerpt;
///
/// assert_eq!(excerpt("2026-01-01-000000"), "2026-01-01-000000");
/// let long = "a".repeat(10_000_000);
/// assert_eq!(excerpt(&long), format!("{}…(9999920 more bytes)", "a".repeat(80)));
/// ```
pub fn excerpt(value: &str) -> Cow<'_, str> {
    cut(value, MAX_SHOWN_CHARS)
}

/// `text` cut after `max` characters, saying how many bytes were left out.
pub(crate) fn cut(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!(
            "{}…({} more bytes)",
            &text[..end],
            text.len() - end
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_shown_whole() {
        assert!(matches!(excerpt("abc"), Cow::Borrowed("abc")));
        let exact = "x".repeat(MAX_SHOWN_CHARS);
        assert_eq!(excerpt(&exact), exact);
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_SHOWN_CHARS + 3);
        assert_eq!(
            excerpt(&long),
            format!("{}…(6 more bytes)", "é".repeat(MAX_SHOWN_CHARS))
        );
    }
}
