//! Errors shown to users: what is wrong, where (file:line:column), and what to do.

use std::fmt;
use std::sync::Arc;

/// A position in a source file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mark {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl Mark {
    pub fn new(file: Arc<str>, line: u32, column: u32) -> Self {
        Mark { file, line, column }
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// What kind of failure an error is, for code that decides what to do next. Code branches on
/// this, never on the message text (which is for people and may be reworded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorKind {
    #[default]
    Other,
    /// Services depend on each other in a loop: nothing can be ordered.
    DependencyCycle,
    /// The engine refused to start a container because a host port it publishes is taken.
    PortConflict,
}

/// The one error type of rcompose. Its `Display` is what the user reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    /// What kind of failure this is (see [`ErrorKind`]).
    pub kind: ErrorKind,
    pub mark: Option<Mark>,
    /// The source line the mark points into, shown with a caret.
    pub snippet: Option<String>,
    /// What the user can do about it.
    pub hint: Option<String>,
    /// Process exit code to use for this error.
    pub exit_code: i32,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            kind: ErrorKind::Other,
            mark: None,
            snippet: None,
            hint: None,
            exit_code: 1,
        }
    }

    /// Several failures of one operation (one per image, say): one failure as it is; more, each
    /// on its own line read as an error of its own, with their distinct hints.
    pub fn several(mut errors: Vec<Error>) -> Self {
        if errors.len() == 1
            && let Some(only) = errors.pop()
        {
            return only;
        }
        let mut hints: Vec<&str> = Vec::new();
        for hint in errors.iter().filter_map(|e| e.hint.as_deref()) {
            if !hints.contains(&hint) {
                hints.push(hint);
            }
        }
        let message: Vec<String> = errors
            .iter()
            .map(|e| match &e.mark {
                Some(mark) => format!("{mark}: {}", e.message),
                None => e.message.clone(),
            })
            .collect();
        let mut error = Error::new(message.join("\nerror: "));
        if !hints.is_empty() {
            error.hint = Some(hints.join("\n  hint: "));
        }
        error
    }

    /// Ok when an operation over several items had no failure; else all of them as one
    /// error ([`Error::several`]).
    pub fn none_or_several(errors: Vec<Error>) -> Result<()> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::several(errors))
        }
    }

    pub fn at(mark: &Mark, message: impl Into<String>) -> Self {
        Error::new(message).with_mark(mark.clone())
    }

    pub fn with_mark(mut self, mark: Mark) -> Self {
        if self.mark.is_none() {
            self.mark = Some(mark);
        }
        self
    }

    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_snippet(mut self, snippet: impl Into<String>) -> Self {
        self.snippet = Some(snippet.into());
        self
    }

    pub fn with_exit_code(mut self, code: i32) -> Self {
        self.exit_code = code;
        self
    }

    /// Prefix the message with context, such as `service "web"`.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Attach the offending source line, read from `source`, for display with a caret.
    pub fn with_source(mut self, source: &str) -> Self {
        let Some(mark) = &self.mark else {
            return self;
        };
        let Some(line) = source.lines().nth(mark.line.saturating_sub(1) as usize) else {
            return self;
        };
        // Show at most 80 characters around the column, so huge lines stay readable.
        let col = mark.column.saturating_sub(1) as usize;
        let start = col.saturating_sub(40);
        let shown: String = line.chars().skip(start).take(80).collect();
        let pad: String = line
            .chars()
            .skip(start)
            .take(col - start)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        self.snippet = Some(format!("{shown}\n{pad}^"));
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(mark) = &self.mark {
            write!(f, "{mark}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(snippet) = &self.snippet {
            for line in snippet.lines() {
                write!(f, "\n  | {line}")?;
            }
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_failures_read_as_one_error_a_line() {
        let one = Error::new("cannot pull a").with_hint("check the name");
        let kept = Error::several(vec![one.clone()]);
        assert_eq!(kept.to_string(), one.to_string());
        assert_eq!(Error::none_or_several(Vec::new()), Ok(()));
        assert_eq!(Error::none_or_several(vec![one.clone()]), Err(one.clone()));
        let two = Error::several(vec![
            Error::new("cannot pull a").with_hint("check the registry"),
            Error::new("cannot pull b").with_hint("check the registry"),
            Error::new("cannot pull c"),
        ]);
        assert_eq!(
            format!("error: {two}"),
            "error: cannot pull a\nerror: cannot pull b\nerror: cannot pull c\n  hint: check the registry"
        );
    }
}
