//! Broken compose files: each gives a non-zero exit and a message naming the file and line,
//! within bounded memory.
//! Broken `.env` files and generated hostile inputs (huge files, dense documents) are in
//! `hostile_input.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken")
}

fn config(file: &str) -> (i32, String) {
    let path = fixtures().join(file);
    let out = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["-p", "broken", "-f"])
        .arg(&path)
        .args(["config", "-q"])
        .env_remove("TAG")
        .output()
        .expect("run rcompose");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (file, line the message must point at, words the message must hold)
const CASES: &[(&str, u32, &[&str])] = &[
    ("syntax-unclosed-bracket.yml", 5, &["invalid YAML"]),
    ("syntax-bad-indent.yml", 4, &["invalid YAML"]),
    ("syntax-tab-indent.yml", 2, &["invalid YAML"]),
    ("duplicate-service.yml", 4, &["duplicate key \"web\""]),
    (
        "duplicate-key-in-service.yml",
        4,
        &["duplicate key \"image\""],
    ),
    (
        "unknown-service-key.yml",
        4,
        &["services.web", "\"imagee\"", "not allowed"],
    ),
    (
        "unknown-top-level-key.yml",
        4,
        &["\"servicess\"", "not allowed"],
    ),
    (
        "wrong-type-image.yml",
        4,
        &["services.web.image", "must be a string"],
    ),
    (
        "wrong-type-ports.yml",
        4,
        &["services.web.ports", "sequence"],
    ),
    ("bad-port.yml", 5, &["services.web.ports", "80:abc"]),
    ("bad-duration.yml", 6, &["interval", "10 parsecs"]),
    ("bad-size.yml", 4, &["mem_limit", "12q"]),
    ("bad-restart.yml", 4, &["restart policy", "sometimes"]),
    ("undefined-dependency.yml", 5, &["undefined service \"db\""]),
    ("dependency-cycle.yml", 4, &["cycle", "a -> b -> c -> a"]),
    (
        "undeclared-volume.yml",
        5,
        &["volume \"data\"", "not declared"],
    ),
    (
        "undeclared-network.yml",
        5,
        &["network \"backend\"", "not declared"],
    ),
    (
        "undeclared-secret.yml",
        5,
        &["secret \"token\"", "not declared"],
    ),
    (
        "undeclared-config.yml",
        5,
        &["config \"app\"", "not declared"],
    ),
    (
        "invalid-service-name.yml",
        2,
        &["invalid service name \"my web\""],
    ),
    (
        "no-image-no-build.yml",
        2,
        &["neither an image nor a build"],
    ),
    (
        "bind-without-source.yml",
        5,
        &["service \"web\"", "bind mount needs a `source`"],
    ),
    (
        "healthcheck-test-form.yml",
        5,
        &["healthcheck.test must start with \"CMD\""],
    ),
    (
        "link-to-undefined-service.yml",
        4,
        &["links to undefined service \"db\""],
    ),
    (
        "undeclared-model.yml",
        4,
        &["model \"llm\"", "not declared"],
    ),
    (
        "platform-not-built.yml",
        4,
        &["platform \"linux/riscv64\"", "build.platforms"],
    ),
    (
        "missing-env-file.yml",
        4,
        &["env file", "does-not-exist.env", "not found"],
    ),
    (
        "missing-label-file.yml",
        5,
        &[
            "service \"web\"",
            "label file",
            "does-not-exist.labels",
            "not found",
            "label_file",
        ],
    ),
    (
        "missing-include.yml",
        2,
        &["included file", "does not exist"],
    ),
    ("required-variable.yml", 3, &["TAG", "TAG must be set"]),
    (
        "bad-interpolation.yml",
        3,
        &["invalid interpolation format"],
    ),
    ("top-level-list.yml", 1, &["must be a mapping"]),
    ("empty.yml", 1, &["empty"]),
    (
        "services-not-mapping.yml",
        2,
        &["services", "must be a mapping"],
    ),
    (
        "bad-depends-condition.yml",
        8,
        &["condition", "service_ready"],
    ),
    ("undefined-alias.yml", 2, &["invalid YAML"]),
    (
        "multiple-documents.yml",
        4,
        &["more than one YAML document"],
    ),
    ("extends-missing-service.yml", 5, &["nothere"]),
    ("extends-cycle.yml", 4, &["circular `extends`"]),
    ("bad-ulimit.yml", 6, &["ulimits", "lots"]),
    ("bad-cpus.yml", 4, &["cpus", "many"]),
    ("bad-volume-spec.yml", 5, &["volumes", "too many colons"]),
    ("non-utf8.yml", 3, &["not valid UTF-8"]),
    ("binary.yml", 1, &[]),
    ("merge-key-scalar.yml", 4, &["merge key", "an integer"]),
    (
        "mapping-as-key.yml",
        5,
        &["mapping key must be a plain value"],
    ),
    (
        "port-out-of-range.yml",
        5,
        &["99999", "between 0 and 65535"],
    ),
    ("negative-replicas.yml", 5, &["replicas", "-1"]),
    ("bad-file-mode.yml", 6, &["mode", "0999"]),
    (
        "network-mode-and-networks.yml",
        5,
        &["network_mode", "networks", "exclude each other"],
    ),
    (
        "container-name-with-replicas.yml",
        4,
        &["container_name", "2 replicas"],
    ),
    ("number-overflow.yml", 4, &["cpus", "invalid number"]),
    ("extends-missing-file.yml", 4, &["does-not-exist.yml"]),
    ("alias-bomb.yml", 7, &["more than", "alias bomb"]),
    ("deep-nesting.yml", 4, &["nested more than"]),
];

#[test]
fn every_broken_file_fails_with_file_line_and_reason() {
    let mut failures = Vec::new();
    for (file, line, words) in CASES {
        let (code, stderr) = config(file);
        let location = format!("{file}:{line}:");
        let mut problems = Vec::new();
        if code == 0 {
            problems.push("exit code 0".to_string());
        }
        if !stderr.contains(&location) {
            problems.push(format!("no `{location}`"));
        }
        for word in *words {
            if !stderr.contains(word) {
                problems.push(format!("no `{word}`"));
            }
        }
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            problems.push("panic".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!("{file}: {}\n{stderr}", problems.join(", ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The peak memory of the largest of those runs (this test binary starts no other child).
    // SAFETY: an all-zero rusage is a valid value for getrusage to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid rusage to write into.
    let measured = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(measured, 0, "getrusage");
    assert!(
        usage.ru_maxrss < 500 * 1024,
        "a broken file took {} MiB of memory",
        usage.ru_maxrss / 1024
    );
}

#[test]
fn every_fixture_is_in_the_table() {
    let mut listed: Vec<&str> = CASES.iter().map(|(f, _, _)| *f).collect();
    listed.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk);
    assert!(listed.len() >= 40);
}
