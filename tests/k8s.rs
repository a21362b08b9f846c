//! `rcompose convert kubernetes` on whole projects: the Elastic stack and corpus files
//! against golden manifests and warnings, every document read back into the k8s-openapi
//! types, and `-o DIR`.
//!
//! Regenerate the goldens with `UPDATE_GOLDEN=1 cargo test --test k8s`, then review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rcompose::project::load::yaml::{Positions, parse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The compose file of a golden case.
fn compose_file(case: &str) -> PathBuf {
    if case == "elastic" {
        repo().join("stacks/elastic.yml")
    } else {
        repo()
            .join("tests/fixtures/k8s")
            .join(case)
            .join("compose.yaml")
    }
}

/// Run `rcompose -f FILE convert kubernetes ARGS` in the file's directory, with no
/// environment but PATH so that only the project's .env counts.
fn convert(case: &str, args: &[&str]) -> (String, String) {
    let file = compose_file(case);
    let dir = file.parent().expect("a directory");
    let output = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir)
        .arg("-f")
        .arg(&file)
        .args(["convert", "kubernetes"])
        .args(args)
        .output()
        .expect("run rcompose");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "convert {case} failed:\n{stderr}");
    (stdout, stderr)
}

/// Compare with a golden file, or rewrite it when UPDATE_GOLDEN is set.
fn check_golden(name: &str, actual: &str) {
    let path = repo().join("tests/golden/k8s").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("create golden dir");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nrun UPDATE_GOLDEN=1 cargo test --test k8s",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output, first at line {}:\n  golden: {:?}\n  actual: {:?}\n\
             run UPDATE_GOLDEN=1 cargo test --test k8s and review the diff",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

fn golden(case: &str) {
    let (stdout, stderr) = convert(case, &[]);
    check_golden(&format!("{case}.yaml"), &stdout);
    check_golden(&format!("{case}.stderr"), &stderr);
    assert_documents_parse_back(case, &stdout);
}

/// The documents of a multi-document stream.
fn documents(stream: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in stream.lines() {
        if line == "---" {
            docs.push(String::new());
        } else if let Some(doc) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.retain(|d| !d.trim().is_empty());
    docs
}

/// Read `value` as a `T` and write it back: it must come back the same, so no field was
/// misnamed, mistyped or lost.
fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<(), String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    let again = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    if &again == value {
        Ok(())
    } else {
        Err(format!("written back as {again:#}"))
    }
}

fn assert_documents_parse_back(case: &str, stream: &str) {
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    use k8s_openapi::api::batch::v1::Job;
    use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Secret, Service};
    let docs = documents(stream);
    assert!(!docs.is_empty(), "{case}: no documents");
    for (i, doc) in docs.iter().enumerate() {
        let node = parse(doc, &Arc::from(format!("{case}[{i}]")))
            .unwrap_or_else(|e| panic!("{case} document {i} is not YAML: {e}\n{doc}"));
        let value = node.to_json(&mut Positions::default());
        let kind = value["kind"].as_str().unwrap_or_default().to_string();
        let result = match kind.as_str() {
            "Deployment" => round_trip::<Deployment>(&value),
            "StatefulSet" => round_trip::<StatefulSet>(&value),
            "DaemonSet" => round_trip::<DaemonSet>(&value),
            "Job" => round_trip::<Job>(&value),
            "Service" => round_trip::<Service>(&value),
            "PersistentVolumeClaim" => round_trip::<PersistentVolumeClaim>(&value),
            "ConfigMap" => round_trip::<ConfigMap>(&value),
            "Secret" => round_trip::<Secret>(&value),
            other => Err(format!("unexpected kind {other:?}")),
        };
        if let Err(e) = result {
            panic!("{case} document {i} ({kind}) does not parse back: {e}\n{doc}");
        }
    }
}

#[test]
fn elastic_stack() {
    golden("elastic");
}

#[test]
fn features() {
    golden("features");
}

#[test]
fn nginx_golang_mysql() {
    golden("nginx-golang-mysql");
}

#[test]
fn react_express_mysql() {
    golden("react-express-mysql");
}

#[test]
fn elasticsearch_logstash_kibana() {
    golden("elasticsearch-logstash-kibana");
}

#[test]
fn wordpress_mysql() {
    golden("wordpress-mysql");
}

#[test]
fn output_directory_gets_one_file_per_object() {
    let dir = std::env::temp_dir().join(format!("rcompose-k8s-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("manifests");
    let out_arg = out.to_string_lossy().into_owned();
    let (stdout, stderr) = convert("features", &["-o", &out_arg]);
    assert_eq!(stdout, "");
    let (stream, _) = convert("features", &[]);
    let docs = documents(&stream);
    assert!(
        stderr.contains(&format!("wrote {} manifests to ", docs.len())),
        "{stderr}"
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("the output directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert!(
        files.contains(&"deployment-api.yaml".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"statefulset-db.yaml".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"persistentvolumeclaim-pgdata.yaml".to_string()),
        "{files:?}"
    );
    // The name the README's `kubectl apply -f DIR/job-migrate.yaml` relies on.
    assert!(files.contains(&"job-migrate.yaml".to_string()), "{files:?}");
    assert!(
        files.contains(&"configmap-api-env.yaml".to_string()),
        "{files:?}"
    );
    assert_eq!(files.len(), docs.len());
    let mut written: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(out.join(f)).expect("a manifest"))
        .collect();
    written.sort();
    let mut expected = docs.clone();
    expected.sort();
    assert_eq!(written, expected);
    let _ = std::fs::remove_dir_all(&dir);
}
