//! What reading the models reports: the defects of a `schema.rs`, never an
//! empty list of them.

use std::fmt;

/// A defect of a `schema.rs`, at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The file, as given to [`parse_file`](crate::parse_file) or
    /// [`parse_str`](crate::parse_str).
    pub file: String,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
    /// What is wrong and what to do, lowercase.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// Every defect found in a `schema.rs`, in the order of the file; never
/// empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseErrors {
    /// The defects.
    pub errors: ParseErrorList,
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}

/// A list of [`ParseError`]s that holds a first one and any number more.
#[derive(Clone, PartialEq, Eq)]
pub struct ParseErrorList {
    first: ParseError,
    rest: Vec<ParseError>,
}

/// The iterator of [`ParseErrorList::iter`].
pub type ParseErrorIter<'a> =
    std::iter::Chain<std::iter::Once<&'a ParseError>, std::slice::Iter<'a, ParseError>>;

impl ParseErrorList {
    /// A single error.
    pub fn one(error: ParseError) -> Self {
        ParseErrorList {
            first: error,
            rest: Vec::new(),
        }
    }

    /// The errors of a list, in its order, or `None` when it holds none.
    pub fn from_vec(errors: Vec<ParseError>) -> Option<Self> {
        let mut errors = errors.into_iter();
        let first = errors.next()?;
        Some(ParseErrorList {
            first,
            rest: errors.collect(),
        })
    }

    /// The first error.
    pub fn first(&self) -> &ParseError {
        &self.first
    }

    /// The errors, in order.
    pub fn iter(&self) -> ParseErrorIter<'_> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    /// How many errors there are: at least one.
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Always `false`: the list holds at least one error.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// As a list, the way it was shown when the errors were a `Vec`.
impl fmt::Debug for ParseErrorList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The error at `index`, in order.
///
/// # Panics
///
/// When `index` is not below [`ParseErrorList::len`], like a slice.
impl std::ops::Index<usize> for ParseErrorList {
    type Output = ParseError;

    fn index(&self, index: usize) -> &ParseError {
        match index.checked_sub(1) {
            None => &self.first,
            Some(later) => &self.rest[later],
        }
    }
}

impl<'a> IntoIterator for &'a ParseErrorList {
    type Item = &'a ParseError;
    type IntoIter = ParseErrorIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for ParseErrorList {
    type Item = ParseError;
    type IntoIter = std::iter::Chain<std::iter::Once<ParseError>, std::vec::IntoIter<ParseError>>;

    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(self.first).chain(self.rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(line: usize) -> ParseError {
        ParseError {
            file: "src/schema.rs".to_owned(),
            line,
            column: 1,
            message: format!("defect {line}"),
        }
    }

    #[test]
    fn a_list_keeps_its_order_and_is_never_empty() {
        assert_eq!(ParseErrorList::from_vec(Vec::new()), None);
        let list = ParseErrorList::from_vec(vec![error(1), error(2)]);
        assert_eq!(list.as_ref().map(ParseErrorList::first), Some(&error(1)));
        assert_eq!(list.as_ref().map(|list| &list[1]), Some(&error(2)));
        assert_eq!(list.as_ref().map(ParseErrorList::len), Some(2));
        assert_eq!(
            format!("{list:?}"),
            format!("{:?}", Some(vec![error(1), error(2)]))
        );
        let lines: Vec<usize> = list.into_iter().flatten().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2]);
    }
}
