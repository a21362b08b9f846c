//! Reading a container's output as timestamped lines: one task per container stream, sending
//! [`Message`]s into a channel that a multiplexer reads. The engine is always asked for
//! timestamps, so that a reader can drop lines it has already shown when it follows the same
//! container again after a restart.

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::errors::message_of;

/// What to ask the engine for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// Keep the stream open while the container runs.
    pub follow: bool,
    /// `--tail N` (`None`: all lines).
    pub tail: Option<String>,
    /// Only lines from this Unix time on (seconds).
    pub since: Option<i64>,
    /// Only lines before this Unix time (seconds).
    pub until: Option<i64>,
}

/// One line of output, without its line ending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The engine's RFC 3339 timestamp with nanoseconds (fixed width, so comparable as text);
    /// empty when the engine sent none.
    pub timestamp: String,
    pub text: String,
}

/// What a log reader reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Line {
        id: String,
        line: Line,
        /// It came on the container's standard error.
        stderr: bool,
    },
    /// The stream ended: the container stopped (when following) or all lines were read.
    Ended { id: String, error: Option<String> },
}

/// Split `2024-05-01T10:00:00.123456789Z text` into timestamp and text.
pub fn split_timestamp(raw: &str) -> Line {
    match raw.split_once(' ') {
        Some((ts, text)) if looks_like_timestamp(ts) => Line {
            timestamp: ts.to_string(),
            text: text.to_string(),
        },
        _ if looks_like_timestamp(raw) => Line {
            timestamp: raw.to_string(),
            text: String::new(),
        },
        _ => Line {
            timestamp: String::new(),
            text: raw.to_string(),
        },
    }
}

fn looks_like_timestamp(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() >= 20
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b'T'
}

/// Read the output of container `id` into `tx`, ending with [`Message::Ended`].
pub fn spawn(
    docker: &Docker,
    id: &str,
    request: &Request,
    tx: UnboundedSender<Message>,
) -> JoinHandle<()> {
    let mut options = LogsOptionsBuilder::default()
        .follow(request.follow)
        .stdout(true)
        .stderr(true)
        .timestamps(true);
    if let Some(tail) = &request.tail {
        options = options.tail(tail);
    }
    if let Some(since) = request.since {
        options = options.since(i32::try_from(since).unwrap_or(i32::MAX));
    }
    if let Some(until) = request.until {
        options = options.until(i32::try_from(until).unwrap_or(i32::MAX));
    }
    let options = options.build();
    let docker = docker.clone();
    let id = id.to_string();
    tokio::spawn(async move {
        let mut stream = docker.logs(&id, Some(options));
        // Partial lines, per stream: a long line can arrive in several frames.
        let mut out = String::new();
        let mut err = String::new();
        let mut error = None;
        while let Some(item) = stream.next().await {
            let (pending, bytes, stderr) = match item {
                Ok(LogOutput::StdErr { message }) => (&mut err, message, true),
                Ok(other) => (&mut out, other.into_bytes(), false),
                Err(e) => {
                    error = Some(message_of(&e));
                    break;
                }
            };
            pending.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(i) = pending.find('\n') {
                let raw: String = pending.drain(..=i).collect();
                let line = split_timestamp(raw.trim_end_matches(['\n', '\r']));
                if tx
                    .send(Message::Line {
                        id: id.clone(),
                        line,
                        stderr,
                    })
                    .is_err()
                {
                    return;
                }
            }
        }
        for (rest, stderr) in [(out, false), (err, true)] {
            if !rest.is_empty() {
                let line = split_timestamp(rest.trim_end_matches('\r'));
                let _ = tx.send(Message::Line {
                    id: id.clone(),
                    line,
                    stderr,
                });
            }
        }
        let _ = tx.send(Message::Ended { id, error });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_split_off() {
        let line = split_timestamp("2024-05-01T10:00:00.123456789Z hello world");
        assert_eq!(line.timestamp, "2024-05-01T10:00:00.123456789Z");
        assert_eq!(line.text, "hello world");
        let empty = split_timestamp("2024-05-01T10:00:00.123456789Z");
        assert_eq!(empty.text, "");
        let plain = split_timestamp("no timestamp here");
        assert_eq!(plain.timestamp, "");
        assert_eq!(plain.text, "no timestamp here");
    }
}
