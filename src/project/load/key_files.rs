//! `env_file` and `label_file`: the files a service reads its environment and labels from,
//! folded into `environment` and `labels` in the dotenv dialect.

use super::*;

/// Fold each service's `env_file` entries and `environment` into one `environment` mapping:
/// env files in order, then `environment`; a bare `KEY` takes its value from the project's
/// variables and stays without a value when unset (the container then does not inherit the
/// image's value, as with docker compose).
///
/// A service whose required env file is missing gets no environment from its files, and the
/// error is returned for it: only the commands that need that service's environment fail,
/// as with docker compose (`down`, `ps` or `logs` of the project still work).
pub(super) fn resolve_environment(
    json: &mut Json,
    positions: &SourceMap,
    vars: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Error>> {
    let mut unresolved = BTreeMap::new();
    let Some(services) = json.get_mut("services").and_then(Json::as_object_mut) else {
        return Ok(unresolved);
    };
    for (name, service) in services.iter_mut() {
        let Some(map) = service.as_object_mut() else {
            continue;
        };
        let base = format!("/services/{}", yaml::escape_pointer(name));
        let files = key_files(map, &base, "env_file");
        let hint = "create the file, fix the path, or mark it `required: false`";
        let mut env = match missing_file(name, "env_file", &files, hint, positions) {
            Some(err) => {
                unresolved.insert(name.clone(), err);
                BTreeMap::new()
            }
            None => read_key_files(name, "env_file", files, hint, positions, vars)?,
        };
        match map.get("environment") {
            Some(Json::Object(m)) => {
                for (k, v) in m {
                    let value = match v {
                        Json::Null => vars.get(k).map_or(Json::Null, |s| Json::String(s.clone())),
                        other => Json::String(scalar_text(other)),
                    };
                    env.insert(k.clone(), value);
                }
            }
            Some(Json::Array(items)) => {
                for item in items {
                    let Some(text) = item
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| (!item.is_null()).then(|| item.to_string()))
                    else {
                        continue;
                    };
                    match text.split_once('=') {
                        Some((k, v)) => {
                            env.insert(k.to_string(), Json::String(v.to_string()));
                        }
                        None => {
                            let value = vars
                                .get(&text)
                                .map_or(Json::Null, |v| Json::String(v.clone()));
                            env.insert(text, value);
                        }
                    }
                }
            }
            _ => {}
        }
        if env.is_empty() {
            map.remove("environment");
        } else {
            map.insert(
                "environment".into(),
                Json::Object(env.into_iter().collect()),
            );
        }
    }
    Ok(unresolved)
}

/// A scalar as the text docker compose makes of it (numbers as Go prints them).
pub(super) fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Number(n) if !n.is_i64() && !n.is_u64() => {
            crate::project::model::float_text(n.as_f64().unwrap_or_default())
        }
        other => other.to_string(),
    }
}

/// One file of a service's `env_file` or `label_file`: its path, whether it must exist, and
/// the JSON pointer of its entry (where an error points).
pub(super) struct KeyFile {
    path: String,
    required: bool,
    /// `raw` for the `docker run --env-file` format; `None` for the dotenv format.
    format: Option<String>,
    pointer: String,
}

/// The files a service (at JSON pointer `base`) lists under `key`: one path, or a list of
/// paths and (for env_file) `{path, required}` mappings.
pub(super) fn key_files(
    map: &serde_json::Map<String, Json>,
    base: &str,
    key: &str,
) -> Vec<KeyFile> {
    let entry = |item: &Json, pointer: String| match item {
        Json::String(path) => Some(KeyFile {
            path: path.clone(),
            required: true,
            format: None,
            pointer,
        }),
        Json::Object(m) => Some(KeyFile {
            path: m.get("path")?.as_str()?.to_string(),
            required: !matches!(m.get("required"), Some(Json::Bool(false)))
                && m.get("required").and_then(Json::as_str) != Some("false"),
            format: m.get("format").and_then(Json::as_str).map(str::to_string),
            pointer,
        }),
        _ => None,
    };
    match map.get(key) {
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| entry(item, format!("{base}/{key}/{i}")))
            .collect(),
        Some(item) => entry(item, format!("{base}/{key}")).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The error for the first required file of `files` (of key `key`) that is missing, at its
/// entry, with `hint`.
pub(super) fn missing_file(
    service: &str,
    key: &str,
    files: &[KeyFile],
    hint: &str,
    positions: &SourceMap,
) -> Option<Error> {
    let kind = key.replace('_', " ");
    let file = files
        .iter()
        .find(|f| f.required && !Path::new(&f.path).is_file())?;
    let path = Path::new(&file.path);
    let what = if path.exists() {
        "is not a regular file"
    } else {
        "not found"
    };
    let mut err = Error::new(format!(
        "service \"{service}\": {kind} {} {what}",
        path.display()
    ))
    .with_hint(hint);
    if let Some(mark) = positions.find_value(&file.pointer) {
        err = err.with_mark(mark.clone());
    }
    Some(err)
}

/// Read `files` (of key `key`: `env_file` or `label_file`) in the dotenv dialect, in order,
/// a later file winning; `${VAR}` from the project's variables. A missing required file is
/// an error at its entry, with `hint`.
pub(super) fn read_key_files(
    service: &str,
    key: &str,
    files: Vec<KeyFile>,
    hint: &str,
    positions: &SourceMap,
    vars: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Json>> {
    let kind = key.replace('_', " ");
    if let Some(err) = missing_file(service, key, &files, hint, positions) {
        return Err(err);
    }
    let mut values = BTreeMap::new();
    for file in files {
        let path = PathBuf::from(&file.path);
        if !path.is_file() {
            continue; // optional and missing
        }
        let lookup = |k: &str| vars.get(k).cloned();
        let context = |e: Error| e.context(format!("service \"{service}\": {key}"));
        let entries = match file.format.as_deref() {
            None | Some(".env") => {
                dotenv::parse_file_of_kind(&path, &kind, &lookup).map_err(context)?
            }
            Some("raw") => {
                let (text, name) = dotenv::read_text(&path, &kind).map_err(context)?;
                dotenv::parse_raw(&text, &name, &lookup).map_err(context)?
            }
            Some(other) => {
                let mut err = Error::new(format!(
                    "service \"{service}\": unsupported {kind} format \"{other}\""
                ))
                .with_hint("leave `format` out for the .env format, or use `format: raw`");
                if let Some(mark) = positions.find_value(&format!("{}/format", file.pointer)) {
                    err = err.with_mark(mark.clone());
                }
                return Err(err);
            }
        };
        for (k, v) in entries {
            values.insert(k, Json::String(v));
        }
    }
    Ok(values)
}

/// Fold each service's `label_file` entries into its `labels`: files in order (a later file
/// wins), then `labels:`, which wins over every file. Label files are read in the dotenv
/// dialect, as env files are, with `${VAR}` taken from the project's variables.
pub(super) fn resolve_labels(
    json: &mut Json,
    positions: &SourceMap,
    vars: &BTreeMap<String, String>,
) -> Result<()> {
    let Some(services) = json.get_mut("services").and_then(Json::as_object_mut) else {
        return Ok(());
    };
    for (name, service) in services.iter_mut() {
        let Some(map) = service.as_object_mut() else {
            continue;
        };
        let base = format!("/services/{}", yaml::escape_pointer(name));
        let files = key_files(map, &base, "label_file");
        if files.is_empty() {
            continue;
        }
        let hint = "create the file (one LABEL=value a line) or fix the path under label_file";
        let mut labels = read_key_files(name, "label_file", files, hint, positions, vars)?;
        match map.get("labels") {
            Some(Json::Object(m)) => {
                for (k, v) in m {
                    let value = match v {
                        Json::Null => String::new(),
                        other => scalar_text(other),
                    };
                    labels.insert(k.clone(), Json::String(value));
                }
            }
            Some(Json::Array(items)) => {
                for item in items {
                    let Some(text) = item.as_str() else { continue };
                    let (k, v) = text.split_once('=').unwrap_or((text, ""));
                    labels.insert(k.to_string(), Json::String(v.to_string()));
                }
            }
            _ => {}
        }
        if !labels.is_empty() {
            map.insert("labels".into(), Json::Object(labels.into_iter().collect()));
        }
    }
    Ok(())
}
