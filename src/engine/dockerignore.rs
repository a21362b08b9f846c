//! `.dockerignore`: which files of a build context stay out of the tar sent to the engine.
//!
//! The rules are Docker's: one pattern a line, `#` starts a comment line, paths are relative
//! to the context root (a leading `/` changes nothing), `*` and `?` match within one path
//! segment, `**` matches any number of segments, `[a-z]` is a class, `\` escapes. A pattern
//! that matches a directory matches everything below it. `!pattern` re-includes what earlier
//! patterns excluded; the last matching pattern decides.

/// One pattern of a `.dockerignore` file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    /// Cleaned, slash-separated, without a leading `/`.
    glob: String,
    /// `!pattern`: re-include.
    exception: bool,
}

/// The patterns of a `.dockerignore` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

impl DockerIgnore {
    /// Parse the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> DockerIgnore {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, rest) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let glob = clean(rest);
            if glob.is_empty() {
                continue;
            }
            patterns.push(Pattern { glob, exception });
        }
        DockerIgnore { patterns }
    }

    /// Whether the file or directory at `path` (relative to the context root, `/`-separated)
    /// stays out of the context.
    pub fn excludes(&self, path: &str) -> bool {
        let path = clean(path);
        let mut excluded = false;
        for pattern in &self.patterns {
            // An exclusion cannot change an excluded path, nor an exception an included one.
            if pattern.exception != excluded {
                continue;
            }
            if matches_or_parent_matches(&pattern.glob, &path) {
                excluded = !pattern.exception;
            }
        }
        excluded
    }

    /// Whether some exception could re-include a path below the directory `dir`, so that an
    /// excluded directory must still be walked.
    pub fn may_include_below(&self, dir: &str) -> bool {
        let dir = clean(dir);
        let dir_segments: Vec<&str> = dir.split('/').collect();
        self.patterns
            .iter()
            .filter(|p| p.exception)
            .any(|p| could_match_below(&p.glob, &dir_segments))
    }
}

/// `path` cleaned like Go's `filepath.Clean`, relative, without a leading `/`.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

fn matches_or_parent_matches(glob: &str, path: &str) -> bool {
    if glob_match(glob, path) {
        return true;
    }
    let mut end = 0;
    while let Some(i) = path[end..].find('/') {
        end += i;
        if glob_match(glob, &path[..end]) {
            return true;
        }
        end += 1;
    }
    false
}

fn could_match_below(glob: &str, dir: &[&str]) -> bool {
    let segments: Vec<&str> = glob.split('/').collect();
    for (i, dir_segment) in dir.iter().enumerate() {
        let Some(segment) = segments.get(i) else {
            // The pattern names a parent of `dir`: everything below matches it.
            return true;
        };
        if segment.contains("**") {
            return true;
        }
        if !glob_match(segment, dir_segment) {
            return false;
        }
    }
    true
}

/// Whether `text` matches the whole `glob`.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let glob: Vec<char> = glob.chars().collect();
    let text: Vec<char> = text.chars().collect();
    match_from(&glob, &text)
}

fn match_from(glob: &[char], text: &[char]) -> bool {
    let Some((&first, rest)) = glob.split_first() else {
        return text.is_empty();
    };
    match first {
        '*' if rest.first() == Some(&'*') => {
            let after = &rest[1..];
            if let Some(after_slash) = after.strip_prefix(&['/']) {
                // `**/`: zero or more whole segments.
                if match_from(after_slash, text) {
                    return true;
                }
                (0..text.len())
                    .filter(|&i| text[i] == '/')
                    .any(|i| match_from(after_slash, &text[i + 1..]))
            } else {
                (0..=text.len()).any(|i| match_from(after, &text[i..]))
            }
        }
        '*' => {
            for i in 0..=text.len() {
                if match_from(rest, &text[i..]) {
                    return true;
                }
                if text.get(i) == Some(&'/') {
                    break;
                }
            }
            false
        }
        '?' => match text.split_first() {
            Some((&c, tail)) if c != '/' => match_from(rest, tail),
            _ => false,
        },
        '[' => match (class_match(rest, text.first().copied()), text.split_first()) {
            (Some((true, after)), Some((_, tail))) => match_from(after, tail),
            _ => false,
        },
        '\\' => match (rest.split_first(), text.split_first()) {
            (Some((&want, after)), Some((&got, tail))) if want == got => match_from(after, tail),
            _ => false,
        },
        literal => match text.split_first() {
            Some((&got, tail)) if got == literal => match_from(rest, tail),
            _ => false,
        },
    }
}

/// Match `c` against the class whose text follows `[` in `glob`: `Some((matched, rest of the
/// glob after ']'))`, or `None` for an unterminated class (which matches nothing).
fn class_match(glob: &[char], c: Option<char>) -> Option<(bool, &[char])> {
    let c = c.filter(|&c| c != '/')?;
    let (negated, mut i) = match glob.first() {
        Some('^') | Some('!') => (true, 1),
        _ => (false, 0),
    };
    let mut matched = false;
    let mut first = true;
    loop {
        let &start = glob.get(i)?;
        if start == ']' && !first {
            return Some((matched != negated, &glob[i + 1..]));
        }
        first = false;
        let (lo, next) = if start == '\\' {
            (*glob.get(i + 1)?, i + 2)
        } else {
            (start, i + 1)
        };
        if glob.get(next) == Some(&'-') && glob.get(next + 1).is_some_and(|&h| h != ']') {
            let (hi, after) = match glob.get(next + 1) {
                Some('\\') => (*glob.get(next + 2)?, next + 3),
                Some(&h) => (h, next + 2),
                None => return None,
            };
            matched |= lo <= c && c <= hi;
            i = after;
        } else {
            matched |= lo == c;
            i = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let table = [
            ("*.md", "README.md", true),
            ("*.md", "docs/README.md", false),
            ("*/*.md", "docs/README.md", true),
            ("**/*.md", "README.md", true),
            ("**/*.md", "a/b/c/README.md", true),
            ("**", "a/b", true),
            ("a/**/z", "a/z", true),
            ("a/**/z", "a/b/c/z", true),
            ("a/**/z", "a/b/c/y", false),
            ("dir/**", "dir/x/y", true),
            ("?.txt", "a.txt", true),
            ("?.txt", "ab.txt", false),
            ("[a-c]x", "bx", true),
            ("[a-c]x", "dx", false),
            ("[^a-c]x", "dx", true),
            ("\\*x", "*x", true),
            ("\\*x", "ax", false),
            ("a*", "a/b", false),
        ];
        for (glob, text, want) in table {
            assert_eq!(glob_match(glob, text), want, "{glob} vs {text}");
        }
    }

    #[test]
    fn the_last_matching_pattern_decides() {
        let ignore = DockerIgnore::parse(
            "# comment\n\n*.md\n!README.md\nsecret.txt\n/build/\nnode_modules\n!node_modules/keep\n",
        );
        assert!(ignore.excludes("CHANGES.md"));
        assert!(!ignore.excludes("README.md"));
        assert!(!ignore.excludes("docs/CHANGES.md"), "anchored at the root");
        assert!(ignore.excludes("secret.txt"));
        assert!(ignore.excludes("build"));
        assert!(
            ignore.excludes("build/out/x.o"),
            "below an excluded directory"
        );
        assert!(ignore.excludes("node_modules/x/index.js"));
        assert!(!ignore.excludes("node_modules/keep"));
        assert!(!ignore.excludes("node_modules/keep/a.js"));
        assert!(!ignore.excludes("src/main.rs"));
    }

    #[test]
    fn excluded_directories_are_walked_only_for_exceptions() {
        let ignore = DockerIgnore::parse("node_modules\n!node_modules/keep\nbuild\n");
        assert!(ignore.may_include_below("node_modules"));
        assert!(!ignore.may_include_below("build"));
        let ignore = DockerIgnore::parse("*\n!**/*.rs\n");
        assert!(ignore.may_include_below("src/deep"));
    }

    #[test]
    fn paths_are_cleaned() {
        let ignore = DockerIgnore::parse("./a/../b/c\n/d\n");
        assert!(ignore.excludes("b/c"));
        assert!(ignore.excludes("d"));
        assert!(ignore.excludes("./d/e"));
    }
}
