//! The compose `${}` interpolation language for one string: `$VAR`, `${VAR}`, the default,
//! alternative and required forms (`:-`, `-`, `:+`, `+`, `:?`, `?`) with nested expressions,
//! and `$$` for a literal `$`.
//!
//! Behaviour follows docker compose v2:
//! - a `$` that is not followed by a name, `{` or `$` is kept as it is (`a $ b`, `^x$`, `$1`);
//! - the text after an operator (default, alternative, message) runs to the matching `}`,
//!   counting every `{` and `}` in it, and is itself interpolated, but only when it is used:
//!   `${SET:-${X:?}}` does not fail when `SET` has a value;
//! - a variable with no value and no default becomes `""` and is reported in
//!   [`Substituted::unset`] so that the caller can warn.

use std::fmt;

/// The result of a successful substitution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Substituted {
    pub value: String,
    /// Variables referenced with no default whose value was absent (compose warns and uses
    /// ""), in order of first use, without repeats.
    pub unset: Vec<String>,
}

/// An invalid expression, or a required variable with no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    /// Byte offset in the input where the bad expression (its `$`) starts.
    pub offset: usize,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// Interpolate `input`, resolving variables with `lookup` (`None` means unset).
pub fn substitute(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Substituted, TemplateError> {
    let mut interpolator = Interpolator {
        whole: input,
        lookup,
        unset: Vec::new(),
    };
    let value = interpolator.expand(input, 0)?;
    Ok(Substituted {
        value,
        unset: interpolator.unset,
    })
}

/// The operators allowed after a name in `${NAME...}`, two-character ones first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    /// `:-`: default when unset or empty.
    DefaultIfEmpty,
    /// `-`: default when unset.
    DefaultIfUnset,
    /// `:?`: error when unset or empty.
    RequireNonEmpty,
    /// `?`: error when unset.
    RequireSet,
    /// `:+`: alternative when set and non-empty.
    AltIfNonEmpty,
    /// `+`: alternative when set.
    AltIfSet,
}

const OPERATORS: [(&str, Operator); 6] = [
    (":-", Operator::DefaultIfEmpty),
    (":?", Operator::RequireNonEmpty),
    (":+", Operator::AltIfNonEmpty),
    ("-", Operator::DefaultIfUnset),
    ("?", Operator::RequireSet),
    ("+", Operator::AltIfSet),
];

struct Interpolator<'a> {
    /// The whole input, for error messages.
    whole: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    unset: Vec<String>,
}

impl Interpolator<'_> {
    /// Interpolate `text`, which starts at byte `base` of the whole input.
    fn expand(&mut self, text: &str, base: usize) -> Result<String, TemplateError> {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut literal_start = 0;
        let mut i = 0;
        // `$`, `{`, `}` and name characters are ASCII, so byte positions found here are always
        // on character boundaries.
        while i < bytes.len() {
            if bytes[i] != b'$' {
                i += 1;
                continue;
            }
            out.push_str(&text[literal_start..i]);
            match bytes.get(i + 1) {
                Some(b'$') => {
                    out.push('$');
                    i += 2;
                }
                Some(b'{') => {
                    let (value, end) = self.braced(text, i, base)?;
                    out.push_str(&value);
                    i = end;
                }
                Some(&c) if is_name_start(c) => {
                    let end = name_end(bytes, i + 1);
                    out.push_str(&self.plain(&text[i + 1..end]));
                    i = end;
                }
                _ => {
                    out.push('$');
                    i += 1;
                }
            }
            literal_start = i;
        }
        out.push_str(&text[literal_start..]);
        Ok(out)
    }

    /// The value of a variable referenced without an operator.
    fn plain(&mut self, name: &str) -> String {
        match (self.lookup)(name) {
            Some(value) => value,
            None => {
                if !self.unset.iter().any(|n| n == name) {
                    self.unset.push(name.to_string());
                }
                String::new()
            }
        }
    }

    /// Evaluate the `${...}` expression whose `$` is at `start` in `text`; returns its value
    /// and the position just after its closing brace.
    fn braced(
        &mut self,
        text: &str,
        start: usize,
        base: usize,
    ) -> Result<(String, usize), TemplateError> {
        let bytes = text.as_bytes();
        let Some(close) = matching_brace(bytes, start + 1) else {
            return Err(self.invalid(&text[start..], base + start));
        };
        let inner = &text[start + 2..close];
        let name_len = name_end(inner.as_bytes(), 0);
        let name = &inner[..name_len];
        let rest = &inner[name_len..];
        let operator = OPERATORS.iter().find(|(t, _)| rest.starts_with(t));
        let valid_name = inner.as_bytes().first().copied().is_some_and(is_name_start);
        if !valid_name || (operator.is_none() && !rest.is_empty()) {
            return Err(self.invalid(&text[start..=close], base + start));
        }
        let Some((token, operator)) = operator else {
            return Ok((self.plain(name), close + 1));
        };
        let argument = &rest[token.len()..];
        let argument_base = base + start + 2 + name_len + token.len();
        let value = (self.lookup)(name);
        let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
        let result = match operator {
            Operator::DefaultIfEmpty | Operator::DefaultIfUnset => {
                let keep = match operator {
                    Operator::DefaultIfEmpty => non_empty,
                    _ => value.is_some(),
                };
                match value {
                    Some(v) if keep => v,
                    _ => self.expand(argument, argument_base)?,
                }
            }
            Operator::AltIfNonEmpty | Operator::AltIfSet => {
                let use_alternative = match operator {
                    Operator::AltIfNonEmpty => non_empty,
                    _ => value.is_some(),
                };
                if use_alternative {
                    self.expand(argument, argument_base)?
                } else {
                    String::new()
                }
            }
            Operator::RequireNonEmpty | Operator::RequireSet => {
                let satisfied = match operator {
                    Operator::RequireNonEmpty => non_empty,
                    _ => value.is_some(),
                };
                match value {
                    Some(v) if satisfied => v,
                    _ => {
                        let reason = self.expand(argument, argument_base)?;
                        let message = if reason.is_empty() {
                            format!("required variable {name} is missing a value")
                        } else {
                            format!("required variable {name} is missing a value: {reason}")
                        };
                        return Err(TemplateError {
                            message,
                            offset: base + start,
                        });
                    }
                }
            }
        };
        Ok((result, close + 1))
    }

    fn invalid(&self, expression: &str, offset: usize) -> TemplateError {
        TemplateError {
            message: format!(
                "invalid interpolation format for {:?}: {expression:?}; \
                 you may need to escape any $ with another $",
                self.whole
            ),
            offset,
        }
    }
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The end of the run of name characters starting at `from`.
fn name_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&c| !is_name_char(c))
        .map_or(bytes.len(), |n| from + n)
}

/// The position of the `}` matching the `{` at `open`, counting every brace in between and
/// skipping `$$` escapes.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A variable an input refers to, as `config --variables` lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// The text after `:-` or `-`.
    pub default: String,
    /// The text after `:+` or `+`.
    pub alternate: String,
    /// Referred to with `:?` or `?`.
    pub required: bool,
}

/// The variables `input` refers to (nested expressions included), in order, without
/// interpolating anything.
pub fn variables(input: &str) -> Vec<Variable> {
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(&c) if is_name_start(c) => {
                let end = name_end(bytes, i + 1);
                out.push(Variable {
                    name: input[i + 1..end].to_string(),
                    ..Variable::default()
                });
                i = end;
            }
            Some(b'{') => {
                let Some(close) = matching_brace(bytes, i + 1) else {
                    break;
                };
                let inner = &input[i + 2..close];
                let end = name_end(inner.as_bytes(), 0);
                let (name, rest) = inner.split_at(end);
                let mut variable = Variable {
                    name: name.to_string(),
                    ..Variable::default()
                };
                for (operator, field) in [
                    (":-", 0),
                    ("-", 0),
                    (":?", 2),
                    ("?", 2),
                    (":+", 1),
                    ("+", 1),
                ] {
                    if let Some(text) = rest.strip_prefix(operator) {
                        match field {
                            0 => variable.default = text.to_string(),
                            1 => variable.alternate = text.to_string(),
                            _ => variable.required = true,
                        }
                        out.extend(variables(text));
                        break;
                    }
                }
                if !variable.name.is_empty() {
                    out.push(variable);
                }
                i = close + 1;
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FOO=first, BAR="" (set but empty), JSON={"json":2}, EMPTY="", everything else unset.
    fn env(name: &str) -> Option<String> {
        match name {
            "FOO" => Some("first".into()),
            "BAR" | "EMPTY" => Some(String::new()),
            "JSON" => Some(r#"{"json":2}"#.into()),
            "DOLLAR" => Some("$FOO".into()),
            "lower_9" => Some("low".into()),
            _ => None,
        }
    }

    fn run(input: &str) -> Result<Substituted, TemplateError> {
        substitute(input, &env)
    }

    #[test]
    fn variables_are_listed_with_their_defaults() {
        let found = variables("${IMG:-busybox} $$x $PLAIN ${REQ:?need} ${ALT:+a} ${D-${N}}");
        let names: Vec<&str> = found.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["IMG", "PLAIN", "REQ", "ALT", "N", "D"]);
        assert_eq!(found[0].default, "busybox");
        assert!(found[2].required && !found[0].required);
        assert_eq!(found[3].alternate, "a");
        assert_eq!(found[5].default, "${N}");
    }

    #[test]
    fn values() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("foo", "foo"),
            ("é ü 中文", "é ü 中文"),
            // Plain references.
            ("$FOO", "first"),
            ("${FOO}", "first"),
            ("This $FOO var", "This first var"),
            ("This ${FOO} var", "This first var"),
            ("$FOO-bar", "first-bar"),
            ("$FOO.bar", "first.bar"),
            ("${FOO}bar", "firstbar"),
            ("$FOObar", ""),
            ("$lower_9!", "low!"),
            ("${lower_9}", "low"),
            ("$FOO$FOO", "firstfirst"),
            ("é$FOO", "éfirst"),
            ("${BAR}", ""),
            ("${missing}", ""),
            // Values are not interpolated again.
            ("$DOLLAR", "$FOO"),
            ("${JSON}", r#"{"json":2}"#),
            // Escapes and lone dollars.
            ("$$", "$"),
            ("$${foo}", "${foo}"),
            ("$$FOO", "$FOO"),
            ("$$$FOO", "$first"),
            ("$$$$", "$$"),
            ("a $ string", "a $ string"),
            ("^REGEX$", "^REGEX$"),
            ("$}", "$}"),
            ("$", "$"),
            ("$1abc", "$1abc"),
            ("$-x", "$-x"),
            ("$ é", "$ é"),
            ("$é", "$é"),
            ("}", "}"),
            ("{FOO}", "{FOO}"),
            // :- and -
            ("ok ${missing:-def}", "ok def"),
            ("ok ${missing-def}", "ok def"),
            ("ok ${BAR:-def}", "ok def"),
            ("ok ${BAR-def}", "ok "),
            ("ok ${FOO:-def}", "ok first"),
            ("ok ${FOO-def}", "ok first"),
            ("${missing:-}", ""),
            ("${missing-}", ""),
            ("ok ${BAR:-/non:-alphanumeric}", "ok /non:-alphanumeric"),
            ("${missing:-a b  c}", "a b  c"),
            ("${missing:-é}", "é"),
            ("${missing:-{x}}", "{x}"),
            (r#"${missing:-{"a":1}}"#, r#"{"a":1}"#),
            ("${missing:-x}}", "x}"),
            ("${missing:-$$}", "$"),
            ("${missing:-$${x}}", "${x}"),
            ("${missing:-line1\nline2}", "line1\nline2"),
            // :+ and +
            ("ok ${missing:+alt}", "ok "),
            ("ok ${missing+alt}", "ok "),
            ("ok ${FOO:+alt}", "ok alt"),
            ("ok ${FOO+alt}", "ok alt"),
            ("ok ${BAR+alt}", "ok alt"),
            ("ok ${BAR:+alt}", "ok "),
            ("${FOO:+}", ""),
            // :? and ? with a value.
            ("ok ${FOO:?err}", "ok first"),
            ("ok ${FOO?err}", "ok first"),
            ("ok ${BAR?err}", "ok "),
            // Nesting.
            ("ok ${missing-$FOO}", "ok first"),
            ("ok ${missing-${FOO}}", "ok first"),
            ("ok ${missing-${FOO} ${FOO}}", "ok first first"),
            ("ok ${BAR:-$FOO}", "ok first"),
            ("ok ${BAR:-${FOO}}", "ok first"),
            ("ok ${BAR+$FOO}", "ok first"),
            ("ok ${BAR+$FOO ${FOO:+second}}", "ok first second"),
            ("${missing:-${other:-x}}", "x"),
            ("${missing:-${FOO:-x}}", "first"),
            ("${missing:-${other:-${FOO}}}", "first"),
            ("${FOO:+[${FOO}]}", "[first]"),
            ("+ok ${missing:-${BAR-defaultValue}}", "+ok "),
            // Operators in the surrounding text do not matter.
            ("-ok ${BAR:-defaultValue}", "-ok defaultValue"),
            (":-ok ${missing-defaultValue}", ":-ok defaultValue"),
            (":?ok ${BAR-defaultValue}", ":?ok "),
            ("?ok ${BAR:-defaultValue}", "?ok defaultValue"),
            // Several expressions.
            ("${FOO}-${missing:-d}-$FOO", "first-d-first"),
            ("${missing:-a}${missing:-b}", "ab"),
            // Unused arguments are not evaluated, so they cannot fail.
            ("${FOO:-${1bad}}", "first"),
            ("${FOO:-${missing:?boom}}", "first"),
            ("${missing:+${missing:?boom}}", ""),
        ];
        for (input, expected) in cases {
            match run(input) {
                Ok(got) => assert_eq!(got.value, *expected, "input {input:?}"),
                Err(e) => panic!("input {input:?}: unexpected error {e}"),
            }
        }
    }

    #[test]
    fn unset_variables() {
        let cases: &[(&str, &[&str])] = &[
            ("$FOO ${BAR}", &[]),
            ("$missing", &["missing"]),
            ("${missing}", &["missing"]),
            ("$a ${b} $a", &["a", "b"]),
            ("${missing:-x}", &[]),
            ("${missing-x}", &[]),
            ("${missing:+x}", &[]),
            ("${missing:-$other}", &["other"]),
            ("${missing:-${other}}", &["other"]),
            ("${FOO:-$other}", &[]),
            ("${FOO:+$other}", &["other"]),
            ("$$missing", &[]),
        ];
        for (input, expected) in cases {
            let got = run(input).expect(input);
            assert_eq!(got.unset, *expected, "input {input:?}");
        }
    }

    #[test]
    fn errors() {
        let invalid = |input: &str, expression: &str| {
            format!(
                "invalid interpolation format for {input:?}: {expression:?}; \
                 you may need to escape any $ with another $"
            )
        };
        let cases: Vec<(&str, String, usize)> = vec![
            ("${", invalid("${", "${"), 0),
            ("${}", invalid("${}", "${}"), 0),
            ("${ }", invalid("${ }", "${ }"), 0),
            ("${ foo}", invalid("${ foo}", "${ foo}"), 0),
            ("${foo }", invalid("${foo }", "${foo }"), 0),
            ("${foo!}", invalid("${foo!}", "${foo!}"), 0),
            ("${A B}", invalid("${A B}", "${A B}"), 0),
            ("${1abc}", invalid("${1abc}", "${1abc}"), 0),
            ("${A:x}", invalid("${A:x}", "${A:x}"), 0),
            ("${A:}", invalid("${A:}", "${A:}"), 0),
            ("${é}", invalid("${é}", "${é}"), 0),
            ("${FOO", invalid("${FOO", "${FOO"), 0),
            ("ab ${FOO", invalid("ab ${FOO", "${FOO"), 3),
            ("é ${FOO", invalid("é ${FOO", "${FOO"), 3),
            (
                "$FOO ${x y} ${ok}",
                invalid("$FOO ${x y} ${ok}", "${x y}"),
                5,
            ),
            ("${A:-${B}", invalid("${A:-${B}", "${A:-${B}"), 0),
            ("${A:-$${x}", invalid("${A:-$${x}", "${A:-$${x}"), 0),
            // Errors inside a used argument point at the nested expression.
            (
                "x ${missing:-${1}}",
                invalid("x ${missing:-${1}}", "${1}"),
                13,
            ),
            (
                "not ok ${missing:?Mandatory Variable Unset}",
                "required variable missing is missing a value: Mandatory Variable Unset".into(),
                7,
            ),
            (
                "not ok ${BAR:?Mandatory Variable Empty}",
                "required variable BAR is missing a value: Mandatory Variable Empty".into(),
                7,
            ),
            (
                "not ok ${missing:?}",
                "required variable missing is missing a value".into(),
                7,
            ),
            (
                "not ok ${missing?Mandatory Variable Unset}",
                "required variable missing is missing a value: Mandatory Variable Unset".into(),
                7,
            ),
            (
                "not ok ${missing?}",
                "required variable missing is missing a value".into(),
                7,
            ),
            (
                "${missing:?Mandatory Variable ${FOO}}",
                "required variable missing is missing a value: Mandatory Variable first".into(),
                0,
            ),
            (
                "${missing?value of $FOO: $$5}",
                "required variable missing is missing a value: value of first: $5".into(),
                0,
            ),
            (
                "${missing:-${other:?needed}}",
                "required variable other is missing a value: needed".into(),
                11,
            ),
            (
                "${FOO} ${missing:+x} ${BAR:?}",
                "required variable BAR is missing a value".into(),
                21,
            ),
            // The first error wins.
            (
                "${a:?first} ${",
                "required variable a is missing a value: first".into(),
                0,
            ),
        ];
        for (input, message, offset) in cases {
            let err = run(input).expect_err(input);
            assert_eq!(err.message, message, "input {input:?}");
            assert_eq!(err.offset, offset, "input {input:?}");
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn lookup_sees_exact_names() {
        let seen = std::cell::RefCell::new(Vec::new());
        let lookup = |name: &str| {
            seen.borrow_mut().push(name.to_string());
            None
        };
        let got = substitute("$A ${B_1:-x} ${c?} ", &lookup);
        assert!(got.is_err());
        assert_eq!(*seen.borrow(), vec!["A", "B_1", "c"]);
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let pieces = [
            "$", "{", "}", "$$", ":", "-", "?", "+", "A", "1", "é", " ", "\n",
        ];
        // Every string of up to four pieces.
        let mut inputs = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            frontier = frontier
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
                .collect();
            inputs.extend(frontier.iter().cloned());
        }
        for input in inputs {
            if let Err(e) = run(&input) {
                assert!(e.offset < input.len().max(1), "input {input:?}");
                assert!(input.is_char_boundary(e.offset), "input {input:?}");
            }
        }
    }
}
