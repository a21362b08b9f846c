//! Reading YAML into a tree that remembers where every value came from.
//!
//! Built on saphyr-parser's event stream. Resolves anchors, aliases and merge keys (`<<`),
//! rejects duplicate keys, keeps the compose tags `!reset` and `!override`, and stops alias
//! bombs and absurd nesting early with limits.
//!
//! Longer than most files (about 850 lines of code, then its tests): the event reader, the
//! positioned tree and the alias and merge-key rules share one state and one set of limits,
//! and splitting them would spread that state across modules.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::error::{Error, Mark, Result};

/// Deepest nesting of mappings and sequences accepted. Compose files are shallow.
pub const MAX_DEPTH: usize = 64;
/// Most nodes a document may expand to, aliases included. Large real compose files have a
/// few thousand; every node costs a few hundred bytes through the whole load, so this bounds
/// the memory an alias bomb or a dense hostile file can take to about a hundred megabytes.
pub const MAX_NODES: usize = 250_000;

/// A YAML node with the position of its start.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub mark: Mark,
    pub tag: Option<Tag>,
}

/// The compose-specific YAML tags of the merge rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Reset,
    Override,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key: always a string (scalar keys are stringified as compose does).
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub mark: Mark,
}

impl Node {
    pub fn new(value: Value, mark: Mark) -> Self {
        Node {
            value,
            mark,
            tag: None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Vec<(Key, Node)>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Vec<(Key, Node)>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut()?
            .iter_mut()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// The key and value of `key`, when this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&(Key, Node)> {
        self.as_map()?.iter().find(|(k, _)| k.name == key)
    }

    /// Set `key` to `value`, replacing an existing entry or appending a new one.
    pub fn set(&mut self, key: &str, value: Node) {
        let mark = value.mark.clone();
        if let Some(map) = self.as_map_mut() {
            if let Some(slot) = map.iter_mut().find(|(k, _)| k.name == key) {
                slot.1 = value;
            } else {
                map.push((
                    Key {
                        name: key.to_string(),
                        mark,
                    },
                    value,
                ));
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let map = self.as_map_mut()?;
        let at = map.iter().position(|(k, _)| k.name == key)?;
        Some(map.remove(at).1)
    }

    /// A short name of the node's type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    /// The scalar as text (numbers and booleans as written by YAML), if it is one.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Null => None,
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// Convert to JSON (positions are recorded only when needed, see [`SourceMap`]).
    pub fn to_json_plain(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| serde_json::Value::String(f.to_string())),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json_plain).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json_plain()))
                    .collect(),
            ),
        }
    }

    /// Convert to JSON, recording the position of every value under its JSON pointer.
    pub fn to_json(&self, positions: &mut Positions) -> serde_json::Value {
        let mut pointer = String::new();
        self.to_json_at(&mut pointer, positions)
    }

    fn to_json_at(&self, pointer: &mut String, positions: &mut Positions) -> serde_json::Value {
        positions.values.insert(pointer.clone(), self.mark.clone());
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| serde_json::Value::String(f.to_string())),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                let len = pointer.len();
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    out.push(item.to_json_at(pointer, positions));
                    pointer.truncate(len);
                }
                serde_json::Value::Array(out)
            }
            Value::Map(entries) => {
                let len = pointer.len();
                let mut out = serde_json::Map::with_capacity(entries.len());
                for (key, value) in entries {
                    pointer.push('/');
                    pointer.push_str(&escape_pointer(&key.name));
                    positions.keys.insert(pointer.clone(), key.mark.clone());
                    out.insert(key.name.clone(), value.to_json_at(pointer, positions));
                    pointer.truncate(len);
                }
                serde_json::Value::Object(out)
            }
        }
    }
}

/// Where each value of a converted tree came from, by JSON pointer (`/services/web/ports/0`).
#[derive(Debug, Default, Clone)]
pub struct Positions {
    pub values: HashMap<String, Mark>,
    pub keys: HashMap<String, Mark>,
}

impl Positions {
    /// The best known position for a pointer: the key if there is one, else the value, else
    /// the nearest parent.
    pub fn find(&self, pointer: &str) -> Option<&Mark> {
        let mut p = pointer;
        loop {
            if let Some(m) = self.keys.get(p).or_else(|| self.values.get(p)) {
                return Some(m);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.values.get(""),
            }
        }
    }

    /// The position of the value at `pointer` (falling back to parents).
    pub fn find_value(&self, pointer: &str) -> Option<&Mark> {
        self.values.get(pointer).or_else(|| self.find(pointer))
    }
}

/// A tree kept beside its JSON form, to find positions when an error needs one. Recording the
/// position of every value costs as much as the rest of loading, so it is done on demand.
#[derive(Debug)]
pub struct SourceMap {
    tree: Node,
    positions: std::sync::OnceLock<Positions>,
}

impl SourceMap {
    pub fn new(tree: Node) -> Self {
        SourceMap {
            tree,
            positions: std::sync::OnceLock::new(),
        }
    }

    pub fn positions(&self) -> &Positions {
        self.positions.get_or_init(|| {
            let mut positions = Positions::default();
            self.tree.to_json(&mut positions);
            positions
        })
    }

    pub fn find(&self, pointer: &str) -> Option<&Mark> {
        self.positions().find(pointer)
    }

    pub fn find_value(&self, pointer: &str) -> Option<&Mark> {
        self.positions().find_value(pointer)
    }
}

pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

pub fn pointer_of(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        out.push('/');
        out.push_str(&escape_pointer(segment));
    }
    out
}

/// Parse one YAML document. An empty document gives a `Null` node.
///
/// Like the YAML libraries compose users have (Go's yaml.v3 in docker compose), a line
/// inside a flow collection may sit at or left of its key's indentation (a closing `]` under
/// `test: [`); YAML 1.2 refuses that, so such a line is moved right until it parses. Only
/// lines inside an open `[`/`{` are moved, and only when the strict parse fails there.
pub fn parse(source: &str, file: &Arc<str>) -> Result<Node> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let first = match parse_strict(source, file) {
        Ok(node) => return Ok(node),
        Err(failure) => failure,
    };
    let mut text = source.to_string();
    let mut failure = &first;
    let mut retry;
    for _ in 0..MAX_FLOW_REINDENTS {
        let Failure::Scan {
            line, col, info, ..
        } = failure
        else {
            break;
        };
        if !info.starts_with("invalid indentation") || !inside_flow(&text, *line, *col) {
            break;
        }
        text = indent_line(&text, *line);
        match parse_strict(&text, file) {
            Ok(node) => return Ok(node),
            Err(next) => {
                retry = next;
                failure = &retry;
            }
        }
    }
    Err(first.into_error(source))
}

/// How many lines a lenient parse may move right before the strict error stands.
const MAX_FLOW_REINDENTS: usize = 256;

/// Why a strict parse failed.
enum Failure {
    /// The scanner refused the text at this line (1-based) and column (0-based).
    Scan {
        error: Box<Error>,
        line: usize,
        col: usize,
        info: String,
    },
    /// The text is YAML, but not a compose tree (duplicate keys, alias limits...).
    Tree(Box<Error>),
}

impl Failure {
    fn into_error(self, source: &str) -> Error {
        match self {
            Failure::Scan { error, .. } | Failure::Tree(error) => error.with_source(source),
        }
    }
}

fn parse_strict(source: &str, file: &Arc<str>) -> std::result::Result<Node, Failure> {
    let mut composer = Composer {
        file: file.clone(),
        anchors: HashMap::new(),
        stack: Vec::new(),
        nodes: 0,
        documents: 0,
        root: None,
    };
    for event in Parser::new_from_str(source) {
        let (event, span) = event.map_err(|e| {
            let marker = e.marker();
            Failure::Scan {
                error: Box::new(Error::at(
                    &Mark::new(file.clone(), marker.line() as u32, marker.col() as u32 + 1),
                    format!("invalid YAML: {}", e.info()),
                )),
                line: marker.line(),
                col: marker.col(),
                info: e.info().to_string(),
            }
        })?;
        composer
            .event(event, span)
            .map_err(|e| Failure::Tree(Box::new(e)))?;
    }
    Ok(composer
        .root
        .unwrap_or_else(|| Node::new(Value::Null, Mark::new(file.clone(), 1, 1))))
}

/// Whether (`line`, `col`) lies inside a flow collection: a `[` or `{` that opens a value
/// (after a key's `:`, a `-`, `,` or another opener) and is not closed before that point.
/// Quoted scalars and comments are skipped; brackets inside plain scalars (`a[1]`) are not
/// flow indicators.
fn inside_flow(text: &str, line: usize, col: usize) -> bool {
    let mut depth = 0usize;
    for (n, content) in text.lines().enumerate() {
        let content = if n + 1 == line {
            let end = content
                .char_indices()
                .nth(col)
                .map_or(content.len(), |(i, _)| i);
            &content[..end]
        } else if n + 1 > line {
            break;
        } else {
            content
        };
        let mut quote: Option<char> = None;
        let mut previous = ' ';
        let mut value_start = true;
        for c in content.chars() {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                previous = c;
                continue;
            }
            match c {
                '#' if previous == ' ' || previous == '\t' => break,
                '"' | '\'' if value_start => quote = Some(c),
                '[' | '{' if value_start => depth += 1,
                ']' | '}' if depth > 0 => depth -= 1,
                _ => {}
            }
            value_start = match c {
                ' ' | '\t' => value_start || matches!(previous, ':' | '-' | ',' | '[' | '{'),
                '[' | '{' | ',' => depth > 0 || c != ',',
                _ => false,
            };
            previous = c;
        }
    }
    depth > 0
}

/// `text` with one more space at the start of line `line` (1-based).
fn indent_line(text: &str, line: usize) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for (n, content) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            out.push(' ');
        }
        out.push_str(content);
    }
    out
}

enum Frame {
    Seq {
        node: Node,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        node: Node,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        /// Key name → position in `entries`, so that duplicate checks stay linear in the
        /// size of huge mappings.
        index: HashMap<String, usize>,
        merged: Vec<(Key, Node)>,
        /// Names in `merged`.
        merged_names: HashSet<String>,
        pending_key: Option<Key>,
        merge_key: bool,
    },
}

struct Composer {
    file: Arc<str>,
    anchors: HashMap<usize, (Node, usize)>,
    stack: Vec<Frame>,
    nodes: usize,
    documents: usize,
    root: Option<Node>,
}

fn node_count(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| node_count(v)).sum::<usize>(),
        _ => 1,
    }
}

impl Composer {
    fn mark(&self, span: &Span) -> Mark {
        Mark::new(
            self.file.clone(),
            span.start.line() as u32,
            span.start.col() as u32 + 1,
        )
    }

    fn count(&mut self, n: usize, mark: &Mark) -> Result<()> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(Error::at(
                mark,
                format!("the document expands to more than {MAX_NODES} values"),
            )
            .with_hint("this looks like an alias bomb: reduce the use of anchors and aliases"));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<()> {
        let mark = self.mark(&span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Error::at(
                        &mark,
                        "the file holds more than one YAML document",
                    )
                    .with_hint("a compose file is a single document: remove the `---` separator or split it into several files passed with -f"));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, &mark)?;
                // A plain `<<` in key position is a merge key.
                if style == ScalarStyle::Plain
                    && text == "<<"
                    && tag.is_none()
                    && let Some(Frame::Map {
                        pending_key,
                        merge_key,
                        ..
                    }) = self.stack.last_mut()
                    && pending_key.is_none()
                    && !*merge_key
                {
                    *merge_key = true;
                    return Ok(());
                }
                let tag_name = tag.as_ref().map(|t| format!("{}{}", t.handle, t.suffix));
                let (value, compose_tag) = resolve_scalar(&text, style, tag_name.as_deref());
                let mut node = Node::new(value, mark);
                node.tag = compose_tag;
                self.finish(node, anchor)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.count(1, &mark)?;
                self.check_depth(&mark)?;
                let mut node = Node::new(Value::Null, mark);
                node.tag = tag.and_then(|t| compose_tag(&format!("{}{}", t.handle, t.suffix)));
                self.stack.push(Frame::Seq {
                    node,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.count(1, &mark)?;
                self.check_depth(&mark)?;
                let mut node = Node::new(Value::Null, mark);
                node.tag = tag.and_then(|t| compose_tag(&format!("{}{}", t.handle, t.suffix)));
                self.stack.push(Frame::Map {
                    node,
                    anchor,
                    entries: Vec::new(),
                    index: HashMap::new(),
                    merged: Vec::new(),
                    merged_names: HashSet::new(),
                    pending_key: None,
                    merge_key: false,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    mut node,
                    anchor,
                    items,
                }) = self.stack.pop()
                {
                    node.value = Value::Seq(items);
                    self.finish(node, anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    mut node,
                    anchor,
                    mut entries,
                    index,
                    merged,
                    ..
                }) = self.stack.pop()
                {
                    for (key, value) in merged {
                        if !index.contains_key(&key.name) {
                            entries.push((key, value));
                        }
                    }
                    node.value = Value::Map(entries);
                    self.finish(node, anchor)?;
                }
            }
            Event::Alias(id) => {
                let size = self
                    .anchors
                    .get(&id)
                    .map(|(_, size)| *size)
                    .ok_or_else(|| {
                        Error::at(&mark, "alias refers to an anchor that is not defined")
                    })?;
                // Count before copying, so that a bomb stops before it takes the memory.
                self.count(size, &mark)?;
                let Some((node, _)) = self.anchors.get(&id).cloned() else {
                    return Ok(());
                };
                // A merge-key alias keeps the anchored node's marks; an ordinary alias is
                // reported where it was used.
                self.finish(node, 0)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn check_depth(&self, mark: &Mark) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Error::at(
                mark,
                format!("the document is nested more than {MAX_DEPTH} levels deep"),
            )
            .with_hint(
                "a compose file never needs this much nesting; check for runaway brackets",
            ));
        }
        Ok(())
    }

    /// A complete node: record its anchor and hand it to its parent.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<()> {
        if anchor != 0 {
            let size = node_count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                index,
                merged,
                merged_names,
                pending_key,
                merge_key,
                ..
            }) => {
                if *merge_key {
                    *merge_key = false;
                    return merge_into(merged, merged_names, node);
                }
                match pending_key.take() {
                    None => {
                        let name = match &node.value {
                            Value::Str(s) => s.clone(),
                            Value::Null => "null".to_string(),
                            Value::Seq(_) | Value::Map(_) => {
                                return Err(Error::at(
                                    &node.mark,
                                    "a mapping key must be a plain value, not a sequence or mapping",
                                ));
                            }
                            _ => node.scalar_text().unwrap_or_default(),
                        };
                        if let Some((first, _)) = index.get(&name).and_then(|&i| entries.get(i)) {
                            return Err(Error::at(
                                &node.mark,
                                format!(
                                    "duplicate key \"{name}\" (first defined at line {})",
                                    first.line_col()
                                ),
                            )
                            .with_hint("remove one of the two entries"));
                        }
                        *pending_key = Some(Key {
                            name,
                            mark: node.mark,
                        });
                    }
                    Some(key) => {
                        index.insert(key.name.clone(), entries.len());
                        entries.push((key, node));
                    }
                }
            }
        }
        Ok(())
    }
}

impl Key {
    fn line_col(&self) -> String {
        format!("{}:{}", self.mark.line, self.mark.column)
    }
}

/// `<<: *a` or `<<: [*a, *b]`: earlier sources win over later ones; explicit keys win over all.
fn merge_into(
    merged: &mut Vec<(Key, Node)>,
    names: &mut HashSet<String>,
    source: Node,
) -> Result<()> {
    match source.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                if names.insert(key.name.clone()) {
                    merged.push((key, value));
                }
            }
            Ok(())
        }
        Value::Seq(items) => {
            for item in items {
                if !matches!(item.value, Value::Map(_)) {
                    return Err(Error::at(
                        &item.mark,
                        format!(
                            "a merge key `<<` takes mappings, but this is {}",
                            item.kind()
                        ),
                    ));
                }
                merge_into(merged, names, item)?;
            }
            Ok(())
        }
        _ => Err(Error::at(
            &source.mark,
            format!(
                "a merge key `<<` takes a mapping or a list of mappings, but this is {}",
                source.kind()
            ),
        )),
    }
}

fn compose_tag(tag: &str) -> Option<Tag> {
    match tag {
        "!reset" => Some(Tag::Reset),
        "!override" => Some(Tag::Override),
        _ => None,
    }
}

/// Resolve a scalar the way go-yaml v3 does for untyped values (YAML 1.2 core schema, with
/// leading-zero octal kept as compose users expect for file modes like `0440`).
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> (Value, Option<Tag>) {
    let compose = tag.and_then(compose_tag);
    match tag {
        Some("tag:yaml.org,2002:str") | Some("!!str") => {
            return (Value::Str(text.to_string()), None);
        }
        Some("tag:yaml.org,2002:null") | Some("!!null") => return (Value::Null, None),
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return (Value::Str(text.to_string()), compose);
    }
    (resolve_plain(text), compose)
}

pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    if is_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    // Go's yaml.v3 (docker compose's reader) also reads `1_000` as a number.
    if text.contains('_') && text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
    {
        let plain = text.replace('_', "");
        if !plain.is_empty()
            && !plain.ends_with(['-', '+'])
            && let number @ (Value::Int(_) | Value::Float(_)) = resolve_plain(&plain)
        {
            return number;
        }
    }
    Value::Str(text.to_string())
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, body) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(bin) = digits.strip_prefix("0b") {
        (2, bin)
    } else if let Some(oct) = digits.strip_prefix("0o") {
        (8, oct)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i64::from_str_radix(body, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn is_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = {
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
            None => (mantissa, None),
        };
        let int_ok = int.chars().all(|c| c.is_ascii_digit());
        let frac_ok = frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit()));
        int_ok && frac_ok && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()))
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(src: &str) -> Result<Node> {
        parse(src, &Arc::from("test.yml"))
    }

    fn json(src: &str) -> serde_json::Value {
        load(src)
            .map(|n| n.to_json(&mut Positions::default()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn scalars_resolve_like_compose() {
        let v = json(
            "a: 1\nb: '1'\nc: true\nd: yes\ne: ~\nf: 1.5\ng: 0440\nh: 0x1F\ni: 1e3\nj: -7\nk: 8080:80\nl:\nm: 1.2.3\n",
        );
        assert_eq!(v["a"], 1);
        assert_eq!(v["b"], "1");
        assert_eq!(v["c"], true);
        assert_eq!(v["d"], "yes");
        assert!(v["e"].is_null());
        assert_eq!(v["f"], 1.5);
        assert_eq!(v["g"], 288);
        assert_eq!(v["h"], 31);
        assert_eq!(v["i"], 1000.0);
        assert_eq!(v["j"], -7);
        assert_eq!(v["k"], "8080:80");
        assert!(v["l"].is_null());
        assert_eq!(v["m"], "1.2.3");
        let go = json("a: 1_000\nb: 0b101\nc: 1_000.5\nd: _1\ne: 1_\nf: a_1\n");
        assert_eq!(go["a"], 1000);
        assert_eq!(go["b"], 5);
        assert_eq!(go["c"], 1000.5);
        assert_eq!(go["d"], "_1");
        assert_eq!(go["f"], "a_1");
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = json(
            "x-base: &base\n  image: busybox\n  environment: {A: '1'}\nservices:\n  a:\n    <<: *base\n    image: override\n  b: *base\n  c:\n    <<: [*base, {user: root}]\n",
        );
        assert_eq!(v["services"]["a"]["image"], "override");
        assert_eq!(v["services"]["a"]["environment"]["A"], "1");
        assert_eq!(v["services"]["b"]["image"], "busybox");
        assert_eq!(v["services"]["c"]["user"], "root");
        assert_eq!(v["services"]["c"]["image"], "busybox");
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_lines() {
        let err = load("services:\n  a:\n    image: x\n  a:\n    image: y\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("test.yml:4:3: duplicate key \"a\""),
            "{text}"
        );
        assert!(text.contains("line 2:3"), "{text}");
    }

    #[test]
    fn merged_keys_may_be_overridden_without_duplicate_error() {
        let v = json("b: &b {x: 1}\na:\n  <<: *b\n  x: 2\n");
        assert_eq!(v["a"]["x"], 2);
    }

    #[test]
    fn syntax_errors_have_position_and_snippet() {
        let err = load("services:\n  web:\n    image: [a\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("test.yml:"), "{text}");
        assert!(text.contains("invalid YAML"), "{text}");
        assert!(err.mark.is_some());
    }

    #[test]
    fn alias_bombs_stop_quickly() {
        let mut src = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in "bcdefghijk".chars() {
            src.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let started = std::time::Instant::now();
        let err = load(&src).unwrap_err();
        assert!(err.to_string().contains("alias bomb"), "{err}");
        // Not a timing assertion on the product: a guard that the limit is what stopped it.
        assert!(started.elapsed().as_secs() < 30);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = load(&src).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("nested more than") || text.contains("recursion limit"),
            "{text}"
        );
        assert!(
            text.len() < 1000,
            "the snippet of a huge line is cut: {text}"
        );
    }

    #[test]
    fn compose_tags_are_kept() {
        let node = load("ports: !reset []\nenv: !override {A: b}\n").unwrap();
        assert_eq!(node.get("ports").and_then(|n| n.tag), Some(Tag::Reset));
        assert_eq!(node.get("env").and_then(|n| n.tag), Some(Tag::Override));
    }

    #[test]
    fn multiple_documents_are_refused() {
        let err = load("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(err.to_string().contains("more than one YAML document"));
    }

    #[test]
    fn positions_are_recorded_by_pointer() {
        let mut positions = Positions::default();
        load("services:\n  web:\n    ports:\n      - '80'\n")
            .unwrap()
            .to_json(&mut positions);
        let mark = positions.find("/services/web/ports/0").unwrap();
        assert_eq!((mark.line, mark.column), (4, 9));
        let key = positions.find("/services/web").unwrap();
        assert_eq!((key.line, key.column), (2, 3));
    }

    #[test]
    fn a_flow_collection_may_close_at_its_key_indentation() {
        let v = json(
            "a:\n  test: [\n    \"CMD\", \"true\"\n  ]\n  env: {\n  X: \"1\"\n  }\n  after: z\n",
        );
        assert_eq!(v["a"]["test"], serde_json::json!(["CMD", "true"]));
        assert_eq!(v["a"]["env"], serde_json::json!({"X": "1"}));
        assert_eq!(v["a"]["after"], "z");
    }

    #[test]
    fn bad_indentation_outside_flow_collections_is_still_refused() {
        let err = load("a:\n  b: 1\n c: 2\n").unwrap_err().to_string();
        assert!(err.contains("test.yml:3:"), "{err}");
        let err = load("a:\n  image: x[1]\n bad: 2\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid YAML"), "{err}");
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(load("").unwrap().value, Value::Null);
        assert_eq!(load("# only a comment\n").unwrap().value, Value::Null);
    }
}
