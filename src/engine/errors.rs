//! Engine errors turned into one-line user errors: the engine's own message, prefixed with what
//! rcompose was doing, plus helpers to recognise "not found" and "conflict" answers.

use crate::error::Error;

/// The HTTP status of an engine error answer, if it is one.
pub fn status_of(err: &bollard::errors::Error) -> Option<u16> {
    match err {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The engine answered 404.
pub fn is_not_found(err: &bollard::errors::Error) -> bool {
    status_of(err) == Some(404)
}

/// The engine answered 409 (name in use, container not stopped...).
pub fn is_conflict(err: &bollard::errors::Error) -> bool {
    status_of(err) == Some(409)
}

/// The engine answered 304 (already started / already stopped).
pub fn is_not_modified(err: &bollard::errors::Error) -> bool {
    status_of(err) == Some(304)
}

/// The engine's message for `err`, on one line, without bollard's decoration.
pub fn message_of(err: &bollard::errors::Error) -> String {
    let text = match err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    };
    text.trim().replace('\n', " ")
}

/// `<doing>: <engine message>` as a user error.
pub fn engine_error(doing: impl std::fmt::Display, err: &bollard::errors::Error) -> Error {
    Error::new(format!("{doing}: {}", message_of(err)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_the_engine_message() {
        let err = bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message: "No such container: x\n".to_string(),
        };
        assert!(is_not_found(&err));
        assert!(!is_conflict(&err));
        assert_eq!(
            engine_error("cannot start x", &err).message,
            "cannot start x: No such container: x"
        );
    }
}
