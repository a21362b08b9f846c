//! The `.env` / `env_file` dialect of docker compose v2: `KEY=VALUE` lines with quoting,
//! escapes, comments and `${}` interpolation.
//!
//! The rules, following compose:
//! - blank lines and lines starting with `#` are ignored; a UTF-8 BOM at the start is skipped;
//!   `\r\n` line endings are accepted;
//! - a statement may start with `export `; the key ends at the first `=` or `:` (compose also
//!   accepts the YAML-like `KEY: VALUE`); spaces around the key and before the value are
//!   ignored;
//! - keys start with a letter or `_` and continue with letters, digits, `_`, `.`, `-`, `[`
//!   and `]` (compose silently drops keys that start with a digit; here they are an error);
//! - unquoted values run to the end of the line, lose trailing whitespace, and a ` #` (space,
//!   hash) starts a comment;
//! - single-quoted values are literal, except that `\'` stands for `'`;
//! - double-quoted values understand `\n \t \r \a \b \f \v \\ \" \$` (other backslashes are
//!   kept as they are) and may span lines;
//! - unquoted and double-quoted values are interpolated (see [`super::template`]); a variable
//!   is looked up in `lookup` first, then among the keys defined earlier in the file; an
//!   unset variable becomes "";
//! - a line with only `KEY` takes the value of `KEY` from `lookup`, and is skipped if unset;
//! - after a closing quote only whitespace and a `#` comment may follow on the line;
//! - a key defined twice keeps its first position and its last value.
//!
//! Over 700 lines only because half of it is the table of dialect cases its tests check.
//!
//! Over 700 lines with its tests (about 410 lines of code): one test per rule above.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::template;
use crate::error::{Error, Mark};

const KEY_HINT: &str = "a variable name starts with a letter or '_' and contains only letters, \
                        digits, '_', '.', '-', '[' and ']'; each line looks like NAME=value";

/// Parse dotenv text. `file` is used in error marks. `lookup` resolves ${VAR} in values not
/// found earlier in this file.
pub fn parse(
    source: &str,
    file: &Arc<str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> crate::Result<Vec<(String, String)>> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    let text: Cow<str> = if text.contains("\r\n") {
        Cow::Owned(text.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(text)
    };
    let mut parser = Parser {
        src: &text,
        pos: 0,
        file,
        lookup,
        entries: Vec::new(),
        index: HashMap::new(),
    };
    parser.run().map_err(|e| e.with_source(&text))?;
    Ok(parser.entries)
}

/// Parse text in the `raw` env file format (`env_file: {path, format: raw}`), the one
/// `docker run --env-file` reads: `KEY=VALUE` lines taken literally (quotes and `$` kept),
/// blank lines and `#` comments skipped, a bare `KEY` taking its value from `lookup` (or
/// skipped when unset).
pub fn parse_raw(
    source: &str,
    file: &Arc<str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> crate::Result<Vec<(String, String)>> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut entries: Vec<(String, String)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line).trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (line, None),
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(Error::at(
                &Mark::new(file.clone(), to_u32(n + 1), 1),
                format!("invalid variable name \"{key}\" in a raw env file"),
            )
            .with_hint("each line looks like NAME=value, with no spaces in NAME"));
        }
        let Some(value) = value.or_else(|| lookup(key)) else {
            continue;
        };
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key.to_string(), value)),
        }
    }
    Ok(entries)
}

/// Read and parse a file; IO errors and non-UTF-8 content become crate::Error naming the path
/// (non-UTF-8: give the line).
pub fn parse_file(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> crate::Result<Vec<(String, String)>> {
    parse_file_of_kind(path, "env file", lookup)
}

/// [`parse_file`] for a file in the dotenv dialect that is not an env file (a label file):
/// `what` names it in messages.
pub fn parse_file_of_kind(
    path: &Path,
    what: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> crate::Result<Vec<(String, String)>> {
    let (text, file) = read_text(path, what)?;
    parse(&text, &file, lookup)
}

/// Read a file of `what` (an env file, a label file) as UTF-8 text, within the size limit.
pub fn read_text(path: &Path, what: &str) -> crate::Result<(String, Arc<str>)> {
    let file: Arc<str> = Arc::from(path.display().to_string());
    let bytes = std::fs::File::open(path)
        .and_then(super::read_bounded)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::new(format!("{what} {} not found", path.display()))
                    .with_hint("create the file or correct its path")
            } else {
                Error::new(format!("cannot read {what} {}: {e}", path.display()))
            }
        })?;
    if let Some(e) = super::too_large(&file, &bytes, &format!("the {what}")) {
        return Err(e);
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = &e.as_bytes()[..valid];
        let line_start = prefix
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = std::str::from_utf8(&prefix[line_start..]).map_or(0, |s| s.chars().count());
        Error::at(
            &Mark::new(file.clone(), to_u32(line), to_u32(column + 1)),
            format!("{what} is not valid UTF-8 text"),
        )
        .with_hint("save the file with UTF-8 encoding")
    })?;
    Ok((text, file))
}

struct Parser<'a> {
    /// The text, without BOM and with `\n` line endings.
    src: &'a str,
    /// Byte position of the next character to read.
    pos: usize,
    file: &'a Arc<str>,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    entries: Vec<(String, String)>,
    /// Key → position in `entries`.
    index: HashMap<String, usize>,
}

impl Parser<'_> {
    fn run(&mut self) -> crate::Result<()> {
        loop {
            self.skip_while(char::is_whitespace);
            match self.peek() {
                None => return Ok(()),
                Some('#') => self.pos = self.line_end(),
                Some(_) => self.statement()?,
            }
        }
    }

    /// One `[export ]KEY[=value]` statement, starting at a non-blank character.
    fn statement(&mut self) -> crate::Result<()> {
        if let Some(after) = self.rest().strip_prefix("export")
            && after.starts_with(is_inline_space)
        {
            self.pos += "export".len();
            self.skip_while(is_inline_space);
        }
        let key_start = self.pos;
        let line_end = self.line_end();
        let separator = self.src[key_start..line_end]
            .find(['=', ':'])
            .map(|i| key_start + i);
        let key =
            self.src[key_start..separator.unwrap_or(line_end)].trim_end_matches(is_inline_space);
        self.check_key(key, key_start, separator)?;
        let Some(separator) = separator else {
            self.pos = line_end;
            if let Some(value) = (self.lookup)(key) {
                self.set(key, value);
            }
            return Ok(());
        };
        self.pos = separator + 1;
        self.skip_while(is_inline_space);
        let value = match self.peek() {
            Some(quote @ ('"' | '\'')) => self.quoted(key, quote)?,
            _ => self.unquoted(key)?,
        };
        self.set(key, value);
        Ok(())
    }

    fn check_key(&self, key: &str, at: usize, separator: Option<usize>) -> crate::Result<()> {
        if key.is_empty() {
            let message = match separator.and_then(|s| self.src[s..].chars().next()) {
                Some(sep) => format!("missing variable name before '{sep}'"),
                None => "missing variable name".to_string(),
            };
            return Err(Error::at(&self.mark(at), message).with_hint(KEY_HINT));
        }
        for (i, c) in key.char_indices() {
            let valid = if i == 0 {
                c.is_alphabetic() || c == '_'
            } else {
                c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
            };
            if valid {
                continue;
            }
            let problem = if c == ' ' {
                "it contains a space".to_string()
            } else if c.is_whitespace() {
                "it contains whitespace".to_string()
            } else if i == 0 && c.is_numeric() {
                "it starts with a digit".to_string()
            } else {
                format!("unexpected character {c:?}")
            };
            return Err(Error::at(
                &self.mark(at + i),
                format!("invalid variable name {key:?}: {problem}"),
            )
            .with_hint(KEY_HINT));
        }
        Ok(())
    }

    /// An unquoted value: the rest of the line, up to a ` #` comment, trimmed.
    fn unquoted(&mut self, key: &str) -> crate::Result<String> {
        let start = self.pos;
        let end = self.line_end();
        self.pos = end;
        let mut value = &self.src[start..end];
        if let Some(comment) = value.find(" #") {
            value = &value[..comment];
        }
        self.interpolate(key, value.trim_end(), &|offset| start + offset)
    }

    /// A value in single or double quotes, starting at the opening quote.
    fn quoted(&mut self, key: &str, quote: char) -> crate::Result<String> {
        let open = self.pos;
        let body = open + quote.len_utf8();
        // The value, and for each of its bytes the source position it came from, so that
        // interpolation errors can point into the file.
        let mut value = String::new();
        let mut origin: Vec<usize> = Vec::new();
        let mut push = |s: &str, at: usize| {
            value.push_str(s);
            origin.resize(value.len(), at);
        };
        let mut chars = self.src[body..].char_indices().map(|(i, c)| (body + i, c));
        let close = loop {
            let Some((at, c)) = chars.next() else {
                return Err(self.unterminated(key, quote, open));
            };
            if c == quote {
                break at;
            }
            if c != '\\' {
                push(c.encode_utf8(&mut [0; 4]), at);
                continue;
            }
            let Some((_, escaped)) = chars.next() else {
                return Err(self.unterminated(key, quote, open));
            };
            let replacement = match (quote, escaped) {
                (_, e) if e == quote => e.to_string(),
                ('"', 'n') => "\n".into(),
                ('"', 't') => "\t".into(),
                ('"', 'r') => "\r".into(),
                ('"', 'a') => "\u{7}".into(),
                ('"', 'b') => "\u{8}".into(),
                ('"', 'f') => "\u{c}".into(),
                ('"', 'v') => "\u{b}".into(),
                ('"', '\\') => "\\".into(),
                // `$$` keeps the dollar literal through interpolation.
                ('"', '$') => "$$".into(),
                (_, e) => format!("\\{e}"),
            };
            push(&replacement, at);
        };
        self.pos = close + quote.len_utf8();
        self.skip_while(is_inline_space);
        match self.peek() {
            None | Some('\n') => {}
            Some('#') => self.pos = self.line_end(),
            Some(_) => {
                return Err(Error::at(
                    &self.mark(self.pos),
                    format!("unexpected text after the closing quote of the value of {key}"),
                )
                .with_hint(
                    "put the whole value inside the quotes; a comment after it must start with '#'",
                ));
            }
        }
        if quote == '\'' {
            return Ok(value);
        }
        self.interpolate(key, &value, &|offset| {
            origin.get(offset).copied().unwrap_or(open)
        })
    }

    fn unterminated(&self, key: &str, quote: char, open: usize) -> Error {
        Error::at(
            &self.mark(open),
            format!("unterminated quoted value of {key}"),
        )
        .with_hint(format!(
            "add the closing {quote}; a quoted value may span several lines, so the rest of \
             the file was read as part of it"
        ))
    }

    /// Interpolate `value`; `source_at` maps a byte offset in `value` to a position in the
    /// source, for error marks.
    fn interpolate(
        &self,
        key: &str,
        value: &str,
        source_at: &dyn Fn(usize) -> usize,
    ) -> crate::Result<String> {
        let lookup = |name: &str| {
            (self.lookup)(name).or_else(|| {
                self.index
                    .get(name)
                    .and_then(|&i| self.entries.get(i))
                    .map(|(_, v)| v.clone())
            })
        };
        template::substitute(value, &lookup)
            .map(|s| s.value)
            .map_err(|e| {
                Error::at(&self.mark(source_at(e.offset)), e.message)
                    .context(format_args!("in the value of {key}"))
            })
    }

    fn set(&mut self, key: &str, value: String) {
        match self.index.get(key) {
            Some(&i) => {
                if let Some(entry) = self.entries.get_mut(i) {
                    entry.1 = value;
                }
            }
            None => {
                self.index.insert(key.to_string(), self.entries.len());
                self.entries.push((key.to_string(), value));
            }
        }
    }

    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_while(&mut self, keep: impl Fn(char) -> bool) {
        let rest = self.rest();
        self.pos += rest.find(|c| !keep(c)).unwrap_or(rest.len());
    }

    /// The position of the end of the current line (its `\n`, or the end of the text).
    fn line_end(&self) -> usize {
        self.rest()
            .find('\n')
            .map_or(self.src.len(), |i| self.pos + i)
    }

    /// The 1-based line and column (in characters) of byte position `pos`.
    fn mark(&self, pos: usize) -> Mark {
        let before = self.src.get(..pos).unwrap_or(self.src);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        Mark::new(self.file.clone(), to_u32(line), to_u32(column))
    }
}

/// Whitespace other than a line break.
fn is_inline_space(c: char) -> bool {
    c.is_whitespace() && c != '\n'
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HOST_VAR=host, EMPTY="" (set but empty), everything else unset.
    fn env(name: &str) -> Option<String> {
        match name {
            "HOST_VAR" => Some("host".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn file() -> Arc<str> {
        Arc::from(".env")
    }

    fn run(source: &str) -> crate::Result<Vec<(String, String)>> {
        parse(source, &file(), &env)
    }

    #[test]
    fn entries() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("", &[]),
            ("\n\n  \n\t\n", &[]),
            ("# only a comment", &[]),
            ("A=1", &[("A", "1")]),
            ("A=1\nB=2\n", &[("A", "1"), ("B", "2")]),
            ("  A = 1  ", &[("A", "1")]),
            ("\tA=1", &[("A", "1")]),
            (
                "# comment\nA=1\n\n  # indented comment\nB=2",
                &[("A", "1"), ("B", "2")],
            ),
            ("#A=1", &[]),
            // export
            ("export A=1", &[("A", "1")]),
            ("export\tA=1", &[("A", "1")]),
            ("export   A = 1", &[("A", "1")]),
            ("export=1", &[("export", "1")]),
            ("exportA=1", &[("exportA", "1")]),
            // YAML-like separator
            ("A: 1", &[("A", "1")]),
            ("A:1", &[("A", "1")]),
            ("A:b=c", &[("A", "b=c")]),
            ("URL=http://host:80/x", &[("URL", "http://host:80/x")]),
            // Unquoted values
            ("A=", &[("A", "")]),
            ("A=\nB=2", &[("A", ""), ("B", "2")]),
            ("A=   ", &[("A", "")]),
            ("A=b=c", &[("A", "b=c")]),
            ("A=a b  c", &[("A", "a b  c")]),
            ("A=a # comment", &[("A", "a")]),
            ("A=a   # comment # more", &[("A", "a")]),
            ("A=a#b", &[("A", "a#b")]),
            ("A= #b", &[("A", "#b")]),
            ("A=a\t#b", &[("A", "a\t#b")]),
            ("A=it's \"ok\"", &[("A", "it's \"ok\"")]),
            ("A=a\\nb", &[("A", "a\\nb")]),
            ("A=é ü", &[("A", "é ü")]),
            // Single quotes
            ("A='a b'", &[("A", "a b")]),
            ("A=''", &[("A", "")]),
            ("A = 'x'", &[("A", "x")]),
            ("A='$HOST_VAR \\n ${X:?}'", &[("A", "$HOST_VAR \\n ${X:?}")]),
            ("A='Let\\'s go!'", &[("A", "Let's go!")]),
            ("A='a\\\\'", &[("A", "a\\\\")]),
            ("A='a \" b'", &[("A", "a \" b")]),
            ("A='x # y'", &[("A", "x # y")]),
            (
                "A='first\nsecond'\nB=2",
                &[("A", "first\nsecond"), ("B", "2")],
            ),
            // Double quotes
            ("A=\"\"", &[("A", "")]),
            ("A=\"a b\"", &[("A", "a b")]),
            (r#"A="a\nb\tc\rd\\e\"f\$g""#, &[("A", "a\nb\tc\rd\\e\"f$g")]),
            (r#"A="\a\b\f\v""#, &[("A", "\u{7}\u{8}\u{c}\u{b}")]),
            (r#"A="\x\'\0""#, &[("A", "\\x\\'\\0")]),
            (r#"A="\\n""#, &[("A", "\\n")]),
            (r#"A="a ' b""#, &[("A", "a ' b")]),
            (
                "A=\"line1\nline2\"\nB=2",
                &[("A", "line1\nline2"), ("B", "2")],
            ),
            ("A=\"echo 'asd'\" # Inline comment", &[("A", "echo 'asd'")]),
            ("A=\"x\"#c", &[("A", "x")]),
            ("A=\"x\"   ", &[("A", "x")]),
            ("A=\"x # y\"", &[("A", "x # y")]),
            // Interpolation
            ("A=$HOST_VAR", &[("A", "host")]),
            ("A=${HOST_VAR}-x", &[("A", "host-x")]),
            ("A=\"$HOST_VAR\"", &[("A", "host")]),
            ("A=${MISSING:-def}", &[("A", "def")]),
            ("A=${MISSING}", &[("A", "")]),
            ("A=${EMPTY-def}", &[("A", "")]),
            ("A=$$x", &[("A", "$x")]),
            (r#"A="\$HOST_VAR""#, &[("A", "$HOST_VAR")]),
            (r#"A="\\$HOST_VAR""#, &[("A", "\\host")]),
            ("A=1\nB=${A}2", &[("A", "1"), ("B", "12")]),
            ("A=1\nB=\"${A:+set}\"", &[("A", "1"), ("B", "set")]),
            (
                "HOST_VAR=file\nB=$HOST_VAR",
                &[("HOST_VAR", "file"), ("B", "host")],
            ),
            ("B=$C\nC=1", &[("B", ""), ("C", "1")]),
            ("A=1\nA=${A}${A}", &[("A", "11")]),
            ("A=x\nB=${MISSING:-$A}", &[("A", "x"), ("B", "x")]),
            // Inherited keys
            ("HOST_VAR", &[("HOST_VAR", "host")]),
            ("HOST_VAR\n", &[("HOST_VAR", "host")]),
            ("  HOST_VAR  \nA=1", &[("HOST_VAR", "host"), ("A", "1")]),
            ("export HOST_VAR", &[("HOST_VAR", "host")]),
            ("MISSING", &[]),
            ("EMPTY", &[("EMPTY", "")]),
            // Duplicates: first position, last value
            ("A=1\nB=2\nA=3", &[("A", "3"), ("B", "2")]),
            ("A=1\nMISSING\nA=2", &[("A", "2")]),
            // Line endings and BOM
            (
                "A=1\r\nB='x'\r\nC=\"l1\r\nl2\"\r\nD=a # c\r\n",
                &[("A", "1"), ("B", "x"), ("C", "l1\nl2"), ("D", "a")],
            ),
            ("\u{feff}A=1", &[("A", "1")]),
            ("\u{feff}", &[]),
            // Key characters
            ("VAR.WITH.DOTS=dots", &[("VAR.WITH.DOTS", "dots")]),
            ("VAR-WITH-DASHES=d", &[("VAR-WITH-DASHES", "d")]),
            ("ARR[0]=x", &[("ARR[0]", "x")]),
            ("_U1=1", &[("_U1", "1")]),
            ("lower=1", &[("lower", "1")]),
            ("clé=1", &[("clé", "1")]),
        ];
        for (source, expected) in cases {
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            match run(source) {
                Ok(got) => assert_eq!(got, expected, "source {source:?}"),
                Err(e) => panic!("source {source:?}: unexpected error {e}"),
            }
        }
    }

    #[test]
    fn errors() {
        // (source, line, column, message, has hint)
        let cases: &[(&str, u32, u32, &str, bool)] = &[
            ("=", 1, 1, "missing variable name before '='", true),
            ("=x", 1, 1, "missing variable name before '='", true),
            (": x", 1, 1, "missing variable name before ':'", true),
            ("A=1\n  =x", 2, 3, "missing variable name before '='", true),
            ("export ", 1, 8, "missing variable name", true),
            (
                "1ABC=x",
                1,
                1,
                r#"invalid variable name "1ABC": it starts with a digit"#,
                true,
            ),
            (
                "A B=c",
                1,
                2,
                r#"invalid variable name "A B": it contains a space"#,
                true,
            ),
            (
                "A B",
                1,
                2,
                r#"invalid variable name "A B": it contains a space"#,
                true,
            ),
            (
                "\"A\"=1",
                1,
                1,
                r#"invalid variable name "\"A\"": unexpected character '"'"#,
                true,
            ),
            (
                "'",
                1,
                1,
                r#"invalid variable name "'": unexpected character '\''"#,
                true,
            ),
            (
                "\"",
                1,
                1,
                r#"invalid variable name "\"": unexpected character '"'"#,
                true,
            ),
            (
                "é$=1",
                1,
                2,
                r#"invalid variable name "é$": unexpected character '$'"#,
                true,
            ),
            (
                "-A=1",
                1,
                1,
                r#"invalid variable name "-A": unexpected character '-'"#,
                true,
            ),
            ("A=\"abc", 1, 3, "unterminated quoted value of A", true),
            ("A=\"", 1, 3, "unterminated quoted value of A", true),
            ("A='abc\nB=2", 1, 3, "unterminated quoted value of A", true),
            ("A=\"abc\\\"", 1, 3, "unterminated quoted value of A", true),
            ("A=\"abc\\", 1, 3, "unterminated quoted value of A", true),
            (
                "X=1\r\nA = 'x",
                2,
                5,
                "unterminated quoted value of A",
                true,
            ),
            (
                "X=1\n  A=\"x\" junk",
                2,
                9,
                "unexpected text after the closing quote of the value of A",
                true,
            ),
            (
                "A='x'y",
                1,
                6,
                "unexpected text after the closing quote of the value of A",
                true,
            ),
            (
                "A=${",
                1,
                3,
                r#"in the value of A: invalid interpolation format for "${": "${"; you may need to escape any $ with another $"#,
                false,
            ),
            ("A=\"x ${B\"", 1, 6, "invalid interpolation format", false),
            (
                "A=ok\nB=\"a\\nb ${1}\"",
                2,
                9,
                "invalid interpolation format",
                false,
            ),
            (
                "A=\"line1\nline2 ${1}\"",
                2,
                7,
                "invalid interpolation format",
                false,
            ),
            ("A=é ${1}", 1, 5, "invalid interpolation format", false),
            (
                "A=${MISSING:?need it}",
                1,
                3,
                "in the value of A: required variable MISSING is missing a value: need it",
                false,
            ),
            (
                "\u{feff}A=x\r\nB=${EMPTY:?}",
                2,
                3,
                "required variable EMPTY is missing a value",
                false,
            ),
        ];
        for (source, line, column, message, has_hint) in cases {
            let err = run(source).expect_err(source);
            let mark = err.mark.clone().expect("mark");
            assert_eq!(
                (mark.line, mark.column),
                (*line, *column),
                "source {source:?}: {err}"
            );
            assert_eq!(&*mark.file, ".env");
            assert!(
                err.message.contains(message),
                "source {source:?}: message {:?}",
                err.message
            );
            assert_eq!(err.hint.is_some(), *has_hint, "source {source:?}");
            assert!(err.snippet.is_some(), "source {source:?}");
        }
    }

    #[test]
    fn error_display() {
        let err = run("A=1\nB C=2\n").expect_err("space in key");
        assert_eq!(
            err.to_string(),
            format!(
                ".env:2:2: invalid variable name \"B C\": it contains a space\n  \
                 | B C=2\n  \
                 |  ^\n  \
                 hint: {KEY_HINT}"
            )
        );
    }

    #[test]
    fn lookup_takes_precedence_over_earlier_entries() {
        let lookup = |name: &str| (name == "A").then(|| "outer".to_string());
        let got = parse("A=inner\nB=$A\nC=\"${A}\"", &file(), &lookup).expect("parse");
        assert_eq!(
            got,
            vec![
                ("A".to_string(), "inner".to_string()),
                ("B".to_string(), "outer".to_string()),
                ("C".to_string(), "outer".to_string()),
            ]
        );
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let pieces = [
            "A", "=", ":", "'", "\"", "\\", "#", " ", "\n", "\r\n", "\r", "$", "{", "}", "é",
            "\u{feff}", "export ",
        ];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            frontier = frontier
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
                .collect();
            for source in &frontier {
                if let Err(e) = run(source) {
                    let mark = e.mark.expect("errors from text have a mark");
                    assert!(mark.line >= 1 && mark.column >= 1, "source {source:?}");
                }
            }
        }
    }

    /// A scratch file that is removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(name: &str, content: &[u8]) -> Self {
            let path =
                std::env::temp_dir().join(format!("rcompose-dotenv-{}-{name}", std::process::id()));
            std::fs::write(&path, content).expect("write temp file");
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn parse_file_reads_and_names_the_file() {
        let f = TempFile::new("ok.env", b"\xef\xbb\xbfA=1\r\nB=${A}2\r\n");
        let got = parse_file(&f.0, &env).expect("parse");
        assert_eq!(
            got,
            vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "12".to_string()),
            ]
        );

        let f = TempFile::new("bad.env", b"A=1\n1B=2\n");
        let err = parse_file(&f.0, &env).expect_err("bad key");
        let mark = err.mark.expect("mark");
        assert_eq!(&*mark.file, f.0.display().to_string());
        assert_eq!((mark.line, mark.column), (2, 1));
    }

    #[test]
    fn parse_file_rejects_non_utf8_with_position() {
        let f = TempFile::new("latin1.env", b"A=1\nB=caf\xe9\n");
        let err = parse_file(&f.0, &env).expect_err("not UTF-8");
        let mark = err.mark.clone().expect("mark");
        assert_eq!(&*mark.file, f.0.display().to_string());
        assert_eq!((mark.line, mark.column), (2, 6));
        assert!(err.message.contains("not valid UTF-8"), "{err}");
        assert!(err.hint.is_some());
    }

    #[test]
    fn parse_file_reports_missing_file() {
        let path = std::env::temp_dir().join(format!(
            "rcompose-dotenv-{}-does-not-exist.env",
            std::process::id()
        ));
        let err = parse_file(&path, &env).expect_err("missing");
        assert!(err.mark.is_none());
        assert!(
            err.message.contains(&path.display().to_string()),
            "{}",
            err.message
        );
        assert!(err.message.contains("not found"), "{}", err.message);

        let dir = std::env::temp_dir();
        let err = parse_file(&dir, &env).expect_err("directory");
        assert!(
            err.message.contains(&dir.display().to_string()),
            "{}",
            err.message
        );
    }
}
