//! What a command can fail with.

use revchain_internals::Defects;

/// An error of a command. Printed once, with its causes, by
/// [`Output::error`](super::output::Output::error).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The runtime refused or failed.
    #[error(transparent)]
    Runtime(#[from] crate::Error),

    /// The migrations directory breaks the rules.
    #[error("{0}")]
    Defects(Defects),

    /// The database cannot be reached: the URL as shown (redacted), and
    /// the driver's message with the password scrubbed from it.
    #[error("cannot connect to `{url}`")]
    Connect {
        url: String,
        #[source]
        source: DriverMessage,
    },

    /// A file could not be read or written.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// The results cannot be written: stdout is full, closed (a pipe whose
    /// reader is gone, `BrokenPipe`), or otherwise broken.
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),

    /// diesel's `schema.rs` cannot be read: every defect, with its position.
    #[error("{0}")]
    Models(revchain_schema::ParseErrors),

    /// A step failed: what was being done, and why.
    #[error("{context}{}", help.as_ref().map(|h| format!("\n  = help: {h}")).unwrap_or_default())]
    Context {
        context: String,
        help: Option<String>,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// A failure the command already reported in its results (`test`
    /// prints its failures): exit 1, print nothing more.
    #[error("the command failed, as reported")]
    Reported,

    /// Anything else: what is wrong, and what to do.
    #[error("{message}{}", help.as_ref().map(|h| format!("\n  = help: {h}")).unwrap_or_default())]
    Message {
        message: String,
        help: Option<String>,
    },
}

/// A driver's message, scrubbed of the connection's secrets where it was
/// wrapped (see [`crate::database_url::scrub`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct DriverMessage(pub(crate) String);

impl From<crate::database_url::UrlError> for CliError {
    fn from(error: crate::database_url::UrlError) -> Self {
        CliError::message(error.message, error.help)
    }
}

impl CliError {
    pub(crate) fn message(message: impl Into<String>, help: impl Into<String>) -> Self {
        CliError::Message {
            message: message.into(),
            help: Some(help.into()),
        }
    }

    pub(crate) fn bare(message: impl Into<String>) -> Self {
        CliError::Message {
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn context(
        context: impl Into<String>,
        help: Option<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        CliError::Context {
            context: context.into(),
            help,
            source: source.into(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        CliError::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<crate::TargetError> for CliError {
    fn from(error: crate::TargetError) -> Self {
        CliError::Runtime(crate::Error::Target(error))
    }
}
