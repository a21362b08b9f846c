//! The loader through `rcompose config`: discovery, names, env files, interpolation, merging,
//! extends, include, profiles, and real-world files (the awesome-compose corpus, Elastic's).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shared() -> PathBuf {
    repo().join("../shared")
}

/// A scratch directory removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "rcompose-loader-{}-{}/{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path).expect("create scratch dir");
        Dir(path)
    }

    /// A scratch copy of `tests/fixtures/valid/<name>` (tests may add files to it).
    fn fixture(name: &str) -> Dir {
        fn copy(from: &Path, to: &Path) {
            std::fs::create_dir_all(to).expect("create dir");
            for entry in std::fs::read_dir(from).expect("read fixture dir") {
                let entry = entry.expect("entry");
                let target = to.join(entry.file_name());
                if entry.path().is_dir() {
                    copy(&entry.path(), &target);
                } else {
                    std::fs::copy(entry.path(), &target).expect("copy fixture file");
                }
            }
        }
        let dir = Dir::new(name);
        copy(&repo().join("tests/fixtures/valid").join(name), &dir.0);
        dir
    }

    fn write(&self, rel: &str, content: &str) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&path, content).expect("write file");
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        if let Some(parent) = self.0.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

fn rcompose(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcompose"));
    cmd.current_dir(dir).args(args);
    for var in [
        "COMPOSE_FILE",
        "COMPOSE_PROJECT_NAME",
        "COMPOSE_PROFILES",
        "COMPOSE_PATH_SEPARATOR",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run rcompose")
}

fn ok_json(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["config", "--format", "json"]);
    let out = rcompose(dir, &all, env);
    assert!(
        out.status.success(),
        "rcompose {all:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "config output is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn corpus_files_all_load() {
    let corpus = shared().join("corpus/awesome-compose");
    if !corpus.is_dir() {
        assert!(
            std::env::var("CI").is_err(),
            "the awesome-compose corpus is missing at {} (CI must have it)",
            corpus.display()
        );
        eprintln!(
            "corpus not found at {}, skipping outside CI",
            corpus.display()
        );
        return;
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&corpus).expect("read corpus") {
        let dir = entry.expect("entry").path();
        for name in [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yml",
            "docker-compose.yaml",
        ] {
            if dir.join(name).is_file() {
                files.push(dir.join(name));
            }
        }
    }
    assert_eq!(files.len(), 39, "the corpus holds 39 compose files");
    let mut failures = Vec::new();
    for file in &files {
        let dir = file.parent().expect("parent");
        let out = rcompose(dir, &["-f", &file.to_string_lossy(), "config", "-q"], &[]);
        if !out.status.success() {
            failures.push(format!("{}: {}", file.display(), stderr(&out)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn elastic_official_file_loads_like_compose() {
    let reference = shared().join("reference/elastic");
    if !reference.is_dir() {
        assert!(
            std::env::var("CI").is_err(),
            "shared/reference/elastic is missing"
        );
        return;
    }
    let dir = Dir::new("elastic");
    let compose = std::fs::read_to_string(reference.join("elasticsearch-8-docker-compose.yml"))
        .expect("read elastic file");
    dir.write("docker-compose.yml", &compose);
    let env = std::fs::read_to_string(reference.join("elasticsearch-8.env"))
        .expect("read env")
        .replace("ELASTIC_PASSWORD=\n", "ELASTIC_PASSWORD=secret-one\n")
        .replace("KIBANA_PASSWORD=\n", "KIBANA_PASSWORD=secret-two\n")
        .replace("STACK_VERSION={version}", "STACK_VERSION=8.15.3");
    dir.write(".env", &env);
    let v = ok_json(&dir.0, &["-p", "es"], &[]);
    let services = v["services"].as_object().expect("services");
    let names: Vec<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(names, ["es01", "es02", "es03", "kibana", "setup"]);
    for node in ["es01", "es02", "es03"] {
        assert_eq!(
            v["services"]["kibana"]["depends_on"][node]["condition"],
            "service_healthy"
        );
        let es = &v["services"][node];
        assert_eq!(es["mem_limit"], "1073741824");
        assert_eq!(es["ulimits"]["memlock"]["soft"], -1);
        assert_eq!(es["ulimits"]["memlock"]["hard"], -1);
        assert_eq!(es["healthcheck"]["interval"], "10s");
        assert_eq!(es["healthcheck"]["timeout"], "10s");
        assert_eq!(es["healthcheck"]["retries"], 120);
        assert_eq!(
            es["image"],
            "docker.elastic.co/elasticsearch/elasticsearch:8.15.3"
        );
    }
    assert_eq!(v["services"]["setup"]["healthcheck"]["interval"], "1s");
    let port = &v["services"]["es01"]["ports"][0];
    assert_eq!(port["target"], 9200);
    assert_eq!(port["published"], "9200");
    assert_eq!(
        v["services"]["es01"]["environment"]["ELASTIC_PASSWORD"],
        "secret-one"
    );
    assert_eq!(v["volumes"]["esdata01"]["name"], "es_esdata01");
    // The obsolete `version:` is reported, not fatal.
    let out = rcompose(&dir.0, &["-p", "es", "config", "-q"], &[]);
    assert!(
        stderr(&out).contains("`version` is obsolete"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stacks_elastic_has_the_expected_model() {
    let v = ok_json(
        repo(),
        &["-f", "stacks/elastic.yml"],
        &[("ELASTIC_PASSWORD", "")],
    );
    assert_eq!(v["name"], "elastic");
    let names: Vec<&String> = v["services"]
        .as_object()
        .expect("services")
        .keys()
        .collect();
    assert_eq!(names, ["es01", "es02", "es03", "kibana", "setup"]);
    assert_eq!(v["services"]["es01"]["ports"][0]["host_ip"], "127.0.0.1");
    assert_eq!(
        v["services"]["es01"]["depends_on"]["setup"]["condition"],
        "service_healthy"
    );
    assert_eq!(
        v["services"]["es02"]["depends_on"]["es01"]["condition"],
        "service_started"
    );
    for volume in ["certs", "esdata01", "esdata02", "esdata03", "kibanadata"] {
        assert_eq!(v["volumes"][volume]["name"], format!("elastic_{volume}"));
    }
}

#[test]
fn yml_argument_is_taken_as_the_compose_file() {
    let out = rcompose(repo(), &["config", "--services", "stacks/elastic.yml"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "es01\nes02\nes03\nkibana\nsetup\n"
    );
}

#[test]
fn discovery_finds_files_in_parents_and_merges_the_override() {
    let dir = Dir::fixture("My_Project");
    std::fs::create_dir_all(dir.0.join("sub/deeper")).expect("mkdir");
    let v = ok_json(&dir.0.join("sub/deeper"), &[], &[]);
    assert_eq!(v["name"], "my_project");
    assert_eq!(v["services"]["web"]["environment"]["A"], "1");
    assert_eq!(v["services"]["web"]["environment"]["B"], "2");
    // With -f, the override is not merged.
    let v = ok_json(&dir.0, &["-f", "compose.yaml"], &[]);
    assert!(v["services"]["web"]["environment"].get("B").is_none());
}

#[test]
fn no_compose_file_is_a_clear_error() {
    let dir = Dir::new("empty");
    let out = rcompose(&dir.0, &["config"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no configuration file provided"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn project_name_precedence() {
    let dir = Dir::new("dirname");
    dir.write(
        "compose.yaml",
        "name: fromfile\nservices:\n  a:\n    image: x\n",
    );
    assert_eq!(ok_json(&dir.0, &[], &[])["name"], "fromfile");
    assert_eq!(
        ok_json(&dir.0, &[], &[("COMPOSE_PROJECT_NAME", "fromenv")])["name"],
        "fromenv"
    );
    assert_eq!(
        ok_json(
            &dir.0,
            &["-p", "fromflag"],
            &[("COMPOSE_PROJECT_NAME", "fromenv")]
        )["name"],
        "fromflag"
    );
    let out = rcompose(&dir.0, &["-p", "Bad Name", "config"], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("invalid project name"));
    let dir2 = Dir::new("Dir.Name");
    dir2.write("compose.yaml", "services:\n  a:\n    image: x\n");
    assert_eq!(ok_json(&dir2.0, &[], &[])["name"], "dirname");
}

#[test]
fn dotenv_and_process_environment() {
    let dir = Dir::fixture("envs");
    let v = ok_json(&dir.0, &[], &[("OVER", "fromprocess")]);
    let env = &v["services"]["a"]["environment"];
    assert_eq!(v["services"]["a"]["image"], "img:1.0");
    // `$` is printed `$$`, as docker compose prints it, so that the output loads back.
    assert_eq!(env["Q"], "lit $$TAG");
    assert_eq!(env["D"], "v1.0\tx");
    assert_eq!(env["E"], "[]");
    assert_eq!(env["O"], "fromprocess");
    assert_eq!(env["S"], "[trimmed]");
    // --env-file replaces .env
    dir.write("other.env", "TAG=2.0\n");
    let v = ok_json(&dir.0, &["--env-file", "other.env"], &[]);
    assert_eq!(v["services"]["a"]["image"], "img:2.0");
}

#[test]
fn label_files_are_read_into_labels_which_win_over_them() {
    let dir = Dir::fixture("labels");
    let v = ok_json(&dir.0, &[], &[("RELEASE", "from-process")]);
    let web = &v["services"]["web"]["labels"];
    // `labels:` wins over the files; a later file wins over an earlier one.
    assert_eq!(web["com.example.tier"], "frontend");
    assert_eq!(web["com.example.owner"], "payments");
    // Values are read in the dotenv dialect, `${VAR}` from the project's variables.
    assert_eq!(web["com.example.release"], "from-process");
    assert_eq!(web["com.example.empty"], "");
    assert_eq!(web.as_object().map(|m| m.len()), Some(4), "{web}");
    let worker = &v["services"]["worker"]["labels"];
    assert_eq!(worker["com.example.role"], "worker");
    assert_eq!(worker["com.example.owner"], "payments");
    assert_eq!(worker.as_object().map(|m| m.len()), Some(3), "{worker}");
    let v = ok_json(&dir.0, &[], &[]);
    assert_eq!(
        v["services"]["web"]["labels"]["com.example.release"], "2024.1",
        "from .env"
    );

    // A broken line in a label file is reported at its own file and line.
    dir.write("team.labels", "com.example.owner=payments\nnot a label\n");
    let out = rcompose(&dir.0, &["config", "-q"], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("team.labels:2:"), "{err}");
    assert!(err.contains("service \"web\": label_file"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn interpolation_forms() {
    let dir = Dir::fixture("interp");
    let out = rcompose(
        &dir.0,
        &["config", "--format", "json"],
        &[("SET", "s"), ("EMPTY", "")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let l = &v["services"]["a"]["labels"];
    assert_eq!(l["plain"], "s");
    assert_eq!(l["braced"], "s");
    assert_eq!(l["dash"], "d1");
    assert_eq!(l["colon_dash"], "d2");
    assert_eq!(l["dash_empty"], "[]");
    assert_eq!(l["plus"], "alt");
    assert_eq!(l["colon_plus"], "[]");
    assert_eq!(l["nested"], "s");
    assert_eq!(l["dollar"], "$$SET");
    assert_eq!(l["unset"], "[]");
    assert!(
        stderr(&out).contains("The \"UNSET\" variable is not set"),
        "{}",
        stderr(&out)
    );
    // --no-interpolate keeps the text.
    let out = rcompose(&dir.0, &["config", "--no-interpolate"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("${UNSET-d1}"));
}

#[test]
fn extends_same_file_and_other_file_with_rebased_paths() {
    let dir = Dir::fixture("ext");
    let v = ok_json(&dir.0, &[], &[]);
    let root = dir.0.to_string_lossy().into_owned();
    assert_eq!(v["services"]["cli"]["user"], "root");
    assert_eq!(v["services"]["cli"]["command"], serde_json::json!(["echo"]));
    let web = &v["services"]["web"];
    assert_eq!(web["environment"]["PORT"], "8080");
    assert_eq!(web["environment"]["TZ"], "utc");
    assert_eq!(web["environment"]["FROM_BASE"], "1");
    assert_eq!(web["volumes"][0]["source"], format!("{root}/common/data"));
}

#[test]
fn include_loads_other_projects_with_their_own_directory() {
    let dir = Dir::fixture("inc");
    let v = ok_json(&dir.0, &[], &[]);
    let root = dir.0.to_string_lossy().into_owned();
    assert_eq!(v["services"]["db"]["image"], "db:15");
    assert_eq!(
        v["services"]["db"]["volumes"][0]["source"],
        format!("{root}/lib/initdb")
    );
    // A conflict between the including file and the included one is an error.
    dir.write(
        "compose.yaml",
        "include:\n  - lib/compose.yaml\nservices:\n  db:\n    image: other\n",
    );
    let out = rcompose(&dir.0, &["config", "-q"], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("conflicts"), "{}", stderr(&out));
}

#[test]
fn profiles_select_services() {
    let dir = Dir::fixture("prof");
    let services = |args: &[&str], env: &[(&str, &str)]| -> Vec<String> {
        let v = ok_json(&dir.0, args, env);
        v["services"]
            .as_object()
            .expect("services")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(services(&[], &[]), ["always"]);
    assert_eq!(services(&["--profile", "tools"], &[]), ["always", "tools"]);
    assert_eq!(
        services(&[], &[("COMPOSE_PROFILES", "debug")]),
        ["always", "debug", "tools"]
    );
    let out = rcompose(&dir.0, &["config", "--profiles"], &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "debug\ntools\n");
}

#[test]
fn reset_and_override_tags_across_files() {
    let dir = Dir::fixture("tags");
    let v = ok_json(&dir.0, &[], &[]);
    let ports = v["services"]["app"]["ports"].as_array().expect("ports");
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0]["target"], 443);
    assert!(v["services"]["app"].get("environment").is_none());
}

#[test]
fn stdin_and_compose_file_variable() {
    let dir = Dir::new("stdin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .current_dir(&dir.0)
        .args(["-p", "fromstdin", "-f", "-", "config", "--services"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"services:\n  x:\n    image: busybox\n")
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x\n");

    dir.write("a.yml", "services:\n  a:\n    image: a\n");
    dir.write("b.yml", "services:\n  b:\n    image: b\n");
    let v = ok_json(&dir.0, &["-p", "cf"], &[("COMPOSE_FILE", "a.yml:b.yml")]);
    assert_eq!(v["services"].as_object().map(|m| m.len()), Some(2));
}

#[test]
fn config_listing_flags_and_output_file() {
    let dir = Dir::fixture("listing");
    let text = |args: &[&str]| {
        let out = rcompose(&dir.0, args, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(text(&["-p", "l", "config", "--services"]), "app\nweb\n");
    assert_eq!(text(&["-p", "l", "config", "--volumes"]), "data\n");
    assert_eq!(
        text(&["-p", "l", "config", "--networks"]),
        "default\nfront\n"
    );
    assert_eq!(text(&["-p", "l", "config", "--images"]), "l-app\nnginx\n");
    let yaml = text(&["-p", "l", "config"]);
    assert!(yaml.starts_with("name: l\n"), "{yaml}");
    text(&["-p", "l", "config", "-o", "out.yml"]);
    let written = std::fs::read_to_string(dir.0.join("out.yml")).expect("out.yml");
    assert_eq!(written, yaml);
    // The printed YAML loads again to the same project.
    dir.write("again/compose.yaml", &yaml);
    let first = ok_json(&dir.0, &["-p", "l"], &[]);
    let second = ok_json(&dir.0.join("again"), &["-p", "l"], &[]);
    assert_eq!(first["services"]["web"], second["services"]["web"]);
}

#[test]
fn project_directory_sets_the_base_for_discovery_env_and_paths() {
    let dir = Dir::fixture("envs");
    let elsewhere = Dir::new("elsewhere");
    let project_dir = dir.0.to_string_lossy().into_owned();
    let v = ok_json(&elsewhere.0, &["--project-directory", &project_dir], &[]);
    // The compose file and its .env are found in the project directory, not the cwd.
    assert_eq!(v["services"]["a"]["image"], "img:1.0");
    assert_eq!(v["name"], "envs");
}

/// What a container gets, as docker compose reads the same file: the project name is a
/// variable, a bare unset variable stays in the environment without a value (so the image's
/// value is dropped), `:Z` relabels a named volume, and unused resources are not part of the
/// project.
#[test]
fn values_a_container_gets_as_docker_compose_reads_them() {
    let dir = Dir::new("fidelity");
    dir.write(
        "compose.yaml",
        "name: fid-${SUFFIX:-x}\nservices:\n  a:\n    image: img:${COMPOSE_PROJECT_NAME}\n    environment: [UNSET_HERE, SET_HERE]\n    volumes: ['data:/d:Z']\nvolumes:\n  data:\n  unused:\nnetworks:\n  spare:\n",
    );
    let v = ok_json(&dir.0, &[], &[("SET_HERE", "1")]);
    let a = &v["services"]["a"];
    assert_eq!(v["name"], "fid-x");
    assert_eq!(a["image"], "img:fid-x");
    assert_eq!(
        a["environment"],
        serde_json::json!({"UNSET_HERE": null, "SET_HERE": "1"})
    );
    assert_eq!(a["volumes"][0]["bind"]["selinux"], "Z");
    assert_eq!(
        v["volumes"],
        serde_json::json!({"data": {"name": "fid-x_data"}})
    );
    assert!(v["networks"].get("spare").is_none(), "{v}");
    let named = ok_json(&dir.0, &["-p", "given"], &[]);
    assert_eq!(named["services"]["a"]["image"], "img:given");
}

/// `COMPOSE_FILE` and `COMPOSE_PROJECT_NAME` may come from the `.env` of the working
/// directory; a compose file found in a parent directory adds that directory's `.env` below
/// the working directory's.
#[test]
fn compose_variables_from_dot_env_and_parent_discovery() {
    let dir = Dir::new("dotenv-compose-file");
    dir.write("deploy/app.yaml", "services:\n  a:\n    image: x:${TAG}\n");
    dir.write(
        ".env",
        "COMPOSE_FILE=deploy/app.yaml\nCOMPOSE_PROJECT_NAME=from-dotenv\nTAG=1\n",
    );
    let v = ok_json(&dir.0, &[], &[]);
    assert_eq!(v["name"], "from-dotenv");
    assert_eq!(v["services"]["a"]["image"], "x:1");

    let nested = Dir::new("nested");
    nested.write("compose.yaml", "services:\n  a:\n    image: x:${A}-${B}\n");
    nested.write(".env", "A=parent\nB=parent\n");
    nested.write("sub/.env", "B=sub\n");
    let v = ok_json(&nested.0.join("sub"), &[], &[]);
    assert_eq!(v["services"]["a"]["image"], "x:parent-sub");
}

/// `config --no-interpolate` prints values as written, also where they do not have their
/// final form yet (a port from a variable).
#[test]
fn no_interpolate_keeps_variables_where_values_are_typed() {
    let dir = Dir::new("no-interpolate");
    dir.write(
        "compose.yaml",
        "services:\n  a:\n    image: x:${TAG}\n    ports: [\"${PORT:-8080}:80\"]\n",
    );
    let v = ok_json(&dir.0, &[], &[("PORT", "9000"), ("TAG", "1")]);
    assert_eq!(v["services"]["a"]["ports"][0]["published"], "9000");
    let out = rcompose(&dir.0, &["config", "--no-interpolate"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("${PORT:-8080}:80"), "{text}");
    assert!(text.contains("x:${TAG}"), "{text}");
    let services = rcompose(&dir.0, &["config", "--no-interpolate", "--services"], &[]);
    assert_eq!(String::from_utf8_lossy(&services.stdout), "a\n");
}
