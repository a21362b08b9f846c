//! rcompose reads compose files exactly as Docker Compose v5.6.1 does: `config --format json`
//! under both, on every case of `../shared/corpus/reference/` (compose-go's loader testdata and
//! docker/compose's e2e fixtures) and on awesome-compose, compared after normalising
//! presentation only (see [`normalise`]). A difference fails the test unless
//! `tests/reference/known-differences.json` lists it (case, field, and the spec text that
//! shows the reference is wrong); a listed difference that no longer occurs fails too, so the
//! list stays true.
//!
//! The round trip: what `rcompose config` prints loads back to the same project.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> PathBuf {
    repo().join("../shared/corpus")
}

/// One way to run `config`: the arguments before it, the environment, the directory.
struct Case {
    name: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    cwd: PathBuf,
}

/// Every case of the reference corpus (from its case.json) and every awesome-compose sample
/// (run in its folder with no arguments: file discovery as a user would have it).
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let reference = corpus().join("reference");
    assert!(
        reference.is_dir(),
        "{} is missing: the corpus is part of the test suite (../shared beside the checkout)",
        reference.display()
    );
    for group in sorted_dirs(&reference) {
        for dir in sorted_dirs(&group) {
            let spec = dir.join("case.json");
            let text = std::fs::read_to_string(&spec)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec.display()));
            let json: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", spec.display()));
            let args = json["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default();
            let env = json["env"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let cwd = dir.join(json["cwd"].as_str().unwrap_or("."));
            cases.push(Case {
                name: format!("{}/{}", file_name(&group), file_name(&dir)),
                args,
                env,
                cwd,
            });
        }
    }
    let awesome = corpus().join("awesome-compose");
    assert!(awesome.is_dir(), "{} is missing", awesome.display());
    for dir in sorted_dirs(&awesome) {
        cases.push(Case {
            name: format!("awesome-compose/{}", file_name(&dir)),
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: dir,
        });
    }
    cases
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    list.sort();
    list
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// A home of its own, so that neither tool reads this machine's docker configuration.
fn home() -> PathBuf {
    let home = std::env::temp_dir().join(format!("rcompose-refcfg-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("create home");
    home
}

/// Run `binary <case args> <extra...>` as the case says, from an environment that holds only
/// PATH, LANG and HOME plus the case's variables.
fn run(binary: &Path, case: &Case, extra: &[&str]) -> Output {
    Command::new(binary)
        .args(&case.args)
        .args(extra)
        .current_dir(&case.cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", home())
        .envs(&case.env)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()))
}

fn rcompose() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_rcompose"))
}

/// Run `f` over every case on a few threads; results in case order.
fn each_case<T: Send>(cases: &[Case], f: impl Fn(&Case) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    let r = f(case);
                    results.lock().unwrap().push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Keys whose mappings are named by the user (service names, variables, labels, options...):
/// there a null or empty value is data (`environment: {X: null}` unsets X, `networks:
/// {default: null}` attaches to `default`, `volumes: {data: {}}` declares a volume) and is
/// kept. Everywhere else the mapping is a struct of the model.
const USER_NAMED: &[&str] = &[
    "services",
    "networks",
    "volumes",
    "secrets",
    "configs",
    "models",
    "environment",
    "labels",
    "annotations",
    "args",
    "additional_contexts",
    "driver_opts",
    "options",
    "sysctls",
    "storage_opt",
    "ulimits",
    "extra_hosts",
];

/// Presentation-only normalisation, applied to both outputs:
/// 1. key order: mappings compare as sets of entries (JSON objects are unordered; the
///    reference sorts some levels and not others);
/// 2. string escapes (`\u0026` for `&`): gone once the JSON is parsed;
/// 3. a struct field that is null, `{}` or `[]` is dropped: the reference's Go marshaller
///    writes zero-valued fields that have no `omitempty` (`"entrypoint": null`, `"ipam": {}`,
///    `"resources": {}`), and they mean "not set", exactly as an absent key does. Entries of
///    user-named mappings ([`USER_NAMED`]) are never dropped: there null and empty are data.
///
/// `key` is the key under which `value` sits when its parent is a struct; `None` for the
/// root, list items and entries of user-named mappings (which are structs whatever their
/// name: a service called `secrets` is a service).
fn normalise(value: &Value, key: Option<&str>) -> Value {
    match value {
        Value::Object(map) => {
            let user_named = key.is_some_and(|k| USER_NAMED.contains(&k));
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let v = normalise(v, if user_named { None } else { Some(k) });
                let empty = match &v {
                    Value::Null => true,
                    Value::Object(m) => m.is_empty(),
                    Value::Array(a) => a.is_empty(),
                    _ => false,
                };
                if empty && !user_named {
                    continue;
                }
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| normalise(v, None)).collect()),
        other => other.clone(),
    }
}

/// The differences between two normalised outputs: (JSON pointer, rcompose's, reference's).
fn differences(ours: &Value, theirs: &Value, path: &str, out: &mut Vec<(String, String, String)>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => differences(x, y, &p, out),
                    (Some(x), None) => out.push((p, short(x), "(absent)".into())),
                    (None, Some(y)) => out.push((p, "(absent)".into(), short(y))),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a != b => out.push((path.to_string(), short(a), short(b))),
        _ => {}
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!("{}…", &s[..s.floor_char_boundary(300)])
    } else {
        s
    }
}

/// A case's outcome under one tool: the normalised project, or the first line of the error.
fn outcome(out: &Output) -> Result<Value, String> {
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| !l.contains("level=warning"))
            .unwrap_or("")
            .to_string();
        return Err(line);
    }
    serde_json::from_slice(&out.stdout)
        .map(|v| normalise(&v, None))
        .map_err(|e| format!("output is not JSON: {e}"))
}

/// One entry of the known-differences file.
#[derive(Debug)]
struct Known {
    case: String,
    /// A JSON pointer into the output, or `load` for "one tool accepts the file, the other
    /// rejects it".
    field: String,
}

fn known_differences() -> Vec<Known> {
    let path = repo().join("tests/reference/known-differences.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let list: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a JSON list: {e}", path.display()));
    list.iter()
        .map(|entry| {
            let field = |k: &str| {
                entry[k]
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or_else(|| {
                        panic!("{}: an entry without `{k}`: {entry}", path.display())
                    })
                    .to_string()
            };
            // Every entry says why: what the reference does and the spec text against it.
            field("reference");
            field("spec");
            Known {
                case: field("case"),
                field: field("field"),
            }
        })
        .collect()
}

#[test]
fn config_matches_the_reference_on_the_whole_corpus() {
    let reference = support::reference::reference_binary();
    let cases = cases();
    let outcomes = each_case(&cases, |case| {
        let ours = outcome(&run(rcompose(), case, &["config", "--format", "json"]));
        let theirs = outcome(&run(reference, case, &["config", "--format", "json"]));
        (ours, theirs)
    });
    let known = known_differences();
    let mut used = vec![false; known.len()];
    let mut is_known = |case: &str, field: &str| {
        let hit = known.iter().position(|k| {
            k.case == case && (k.field == field || field.starts_with(&format!("{}/", k.field)))
        });
        if let Some(i) = hit {
            used[i] = true;
        }
        hit.is_some()
    };
    let mut report = Vec::new();
    let mut agree = 0;
    for (case, (ours, theirs)) in cases.iter().zip(&outcomes) {
        let mut lines = Vec::new();
        match (ours, theirs) {
            (Ok(a), Ok(b)) => {
                let mut diffs = Vec::new();
                differences(a, b, "", &mut diffs);
                for (field, x, y) in diffs {
                    if !is_known(&case.name, &field) {
                        lines.push(format!("  {field}: rcompose {x}, reference {y}"));
                    }
                }
            }
            (Err(_), Err(_)) => {}
            (Ok(_), Err(e)) => {
                if !is_known(&case.name, "load") {
                    lines.push(format!(
                        "  load: rcompose accepts it, the reference rejects it: {e}"
                    ));
                }
            }
            (Err(e), Ok(_)) => {
                if !is_known(&case.name, "load") {
                    lines.push(format!(
                        "  load: rcompose rejects it, the reference accepts it: {e}"
                    ));
                }
            }
        }
        if lines.is_empty() {
            agree += 1;
        } else {
            report.push(format!(
                "{} ({}):\n{}",
                case.name,
                case.cwd.display(),
                lines.join("\n")
            ));
        }
    }
    let stale: Vec<String> = known
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(k, _)| format!("  {} {}", k.case, k.field))
        .collect();
    eprintln!("{agree} of {} cases agree with the reference", cases.len());
    assert!(
        report.is_empty() && stale.is_empty(),
        "{} of {} cases differ from the reference:\n{}\n\nknown differences that no longer occur \
         (remove them from tests/reference/known-differences.json):\n{}",
        report.len(),
        cases.len(),
        report.join("\n"),
        stale.join("\n")
    );
}

/// What `rcompose config` prints (YAML, the default) loads back to the same project: paths are
/// absolute, `$` is written as `$$`, and nothing is lost or added.
#[test]
fn config_output_loads_back_to_the_same_project() {
    let cases = cases();
    let scratch = std::env::temp_dir().join(format!("rcompose-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("create scratch dir");
    let failures = each_case(&cases, |case| {
        let first = run(rcompose(), case, &["config", "--format", "json"]);
        if !first.status.success() {
            return None; // rejected files have no output to load back
        }
        let yaml = run(rcompose(), case, &["config"]);
        if !yaml.status.success() {
            return Some(format!(
                "{}: `config` fails where `config --format json` works",
                case.name
            ));
        }
        let dir = scratch.join(case.name.replace('/', "_"));
        std::fs::create_dir_all(&dir).expect("create case dir");
        let file = dir.join("compose.yaml");
        std::fs::write(&file, &yaml.stdout).expect("write the printed project");
        // The printed project stands alone: no variables, no env files; every service it
        // lists is active (`--profile '*'`, since it lists only the active ones).
        let again = Case {
            name: case.name.clone(),
            args: vec![
                "-f".into(),
                file.to_string_lossy().into_owned(),
                "--profile".into(),
                "*".into(),
            ],
            env: BTreeMap::new(),
            cwd: dir,
        };
        let second = run(rcompose(), &again, &["config", "--format", "json"]);
        if !second.status.success() {
            return Some(format!(
                "{}: the printed project does not load: {}",
                case.name,
                String::from_utf8_lossy(&second.stderr).trim()
            ));
        }
        let a: Value = serde_json::from_slice(&first.stdout).expect("json");
        let b: Value = serde_json::from_slice(&second.stdout).expect("json");
        let mut diffs = Vec::new();
        differences(&a, &b, "", &mut diffs);
        (!diffs.is_empty()).then(|| {
            let lines: Vec<String> = diffs
                .iter()
                .map(|(f, x, y)| format!("  {f}: first {x}, loaded back {y}"))
                .collect();
            format!(
                "{}: loads back differently:\n{}",
                case.name,
                lines.join("\n")
            )
        })
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let failures: Vec<String> = failures.into_iter().flatten().collect();
    assert!(
        failures.is_empty(),
        "{} cases do not round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
