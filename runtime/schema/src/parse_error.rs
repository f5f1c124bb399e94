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
pub type ParseErrorList = revchain_internals::NonEmpty<ParseError>;
