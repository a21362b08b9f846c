use super::*;
use crate::project::load::yaml;

/// A YAML document as a plain tree (keys kept in order, duplicates rejected).
#[derive(Debug, Clone, PartialEq)]
enum Yaml {
    Scalar(String),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    /// Parse with the project's own YAML reader (which also rejects duplicate keys).
    fn parse(src: &str) -> Yaml {
        let node = yaml::parse(src, &std::sync::Arc::from("rendered.yml"))
            .unwrap_or_else(|e| panic!("invalid YAML: {e}\n{src}"));
        Yaml::from_node(&node)
    }

    fn from_node(node: &yaml::Node) -> Yaml {
        match &node.value {
            yaml::Value::Seq(items) => Yaml::Seq(items.iter().map(Yaml::from_node).collect()),
            yaml::Value::Map(entries) => Yaml::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), Yaml::from_node(v)))
                    .collect(),
            ),
            _ => Yaml::Scalar(node.scalar_text().unwrap_or_default()),
        }
    }

    fn get(&self, key: &str) -> &Yaml {
        self.try_get(key)
            .unwrap_or_else(|| panic!("no key {key} in {self:?}"))
    }

    fn try_get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        match self {
            Yaml::Map(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("not a mapping: {other:?}"),
        }
    }

    fn str(&self) -> &str {
        match self {
            Yaml::Scalar(s) => s,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    fn strs(&self) -> Vec<&str> {
        match self {
            Yaml::Seq(items) => items.iter().map(Yaml::str).collect(),
            other => panic!("not a sequence: {other:?}"),
        }
    }
}

fn sets(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn render_fixed(pairs: &[(&str, &str)]) -> Rendered {
    render_with_passwords("elastic", &sets(pairs), "elasticpw123", "kibanapw456")
        .unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn error_of(pairs: &[(&str, &str)]) -> String {
    match render_with_passwords("elastic", &sets(pairs), "elasticpw123", "kibanapw456") {
        Ok(_) => panic!("expected an error for {pairs:?}"),
        Err(e) => e.to_string(),
    }
}

/// The `KEY=value` lines of an environment list, as (key, value).
fn environment(service: &Yaml) -> Vec<(&str, &str)> {
    service
        .get("environment")
        .strs()
        .into_iter()
        .map(|line| line.split_once('=').expect("KEY=value"))
        .collect()
}

fn env_value<'a>(service: &'a Yaml, key: &str) -> Option<&'a str> {
    environment(service)
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn node_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("es{i:02}")).collect()
}

fn check_cluster(n: usize) {
    let rendered = render_fixed(&[("nodes", &n.to_string())]);
    let doc = Yaml::parse(&rendered.compose);
    let services = doc.get("services");
    let names = node_names(n);

    let mut expected_services = vec!["setup".to_string()];
    expected_services.extend(names.iter().cloned());
    expected_services.push("kibana".to_string());
    assert_eq!(services.keys(), expected_services);

    for (i, name) in names.iter().enumerate() {
        let node = services.get(name);
        assert_eq!(env_value(node, "node.name"), Some(name.as_str()));
        if n == 1 {
            assert_eq!(env_value(node, "discovery.type"), Some("single-node"));
            assert_eq!(env_value(node, "discovery.seed_hosts"), None);
            assert_eq!(env_value(node, "cluster.initial_master_nodes"), None);
        } else {
            let others: Vec<&str> = names
                .iter()
                .filter(|o| *o != name)
                .map(String::as_str)
                .collect();
            assert_eq!(
                env_value(node, "discovery.seed_hosts"),
                Some(others.join(",").as_str()),
                "{name}"
            );
            assert_eq!(
                env_value(node, "cluster.initial_master_nodes"),
                Some(names.join(",").as_str())
            );
            assert_eq!(env_value(node, "discovery.type"), None);
        }
        // Every key appears once.
        let keys: Vec<&str> = environment(node).into_iter().map(|(k, _)| k).collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(keys.len(), unique.len(), "{name}: {keys:?}");

        assert_eq!(
            env_value(node, "xpack.security.http.ssl.key"),
            Some(format!("certs/{name}/{name}.key").as_str())
        );
        assert_eq!(
            node.get("volumes").strs(),
            vec![
                "certs:/usr/share/elasticsearch/config/certs".to_string(),
                format!("esdata{:02}:/usr/share/elasticsearch/data", i + 1),
            ]
        );
        assert_eq!(node.get("mem_limit").str(), "${MEM_LIMIT}");
        let memlock = node.get("ulimits").get("memlock");
        assert_eq!(memlock.get("soft").str(), "-1");
        assert_eq!(memlock.get("hard").str(), "-1");
        assert!(node.try_get("healthcheck").is_some());

        if i == 0 {
            assert_eq!(node.get("ports").strs(), vec!["127.0.0.1:${ES_PORT}:9200"]);
            assert_eq!(
                env_value(node, "ELASTIC_PASSWORD"),
                Some("${ELASTIC_PASSWORD}")
            );
            let setup = node.get("depends_on").get("setup");
            assert_eq!(setup.get("condition").str(), "service_healthy");
        } else {
            assert!(node.try_get("ports").is_none(), "{name} publishes a port");
            assert_eq!(env_value(node, "ELASTIC_PASSWORD"), None);
            assert_eq!(node.get("depends_on").strs(), vec![names[i - 1].as_str()]);
        }
    }

    // One data volume per node, plus certs and kibanadata.
    let volumes = doc.get("volumes").keys();
    let data_volumes: Vec<&str> = volumes
        .iter()
        .copied()
        .filter(|v| v.starts_with("esdata"))
        .collect();
    let expected: Vec<String> = (1..=n).map(|i| format!("esdata{i:02}")).collect();
    assert_eq!(data_volumes, expected);
    assert!(volumes.contains(&"certs"));
    assert!(volumes.contains(&"kibanadata"));
    assert_eq!(volumes.len(), n + 2);

    // One certificate instance per node.
    let command = services.get("setup").get("command").str();
    assert_eq!(command.matches("  - name: ").count(), n, "{command}");
    for name in &names {
        assert!(
            command.contains(&format!("\"  - name: {name}\\n\"\\\n")),
            "{command}"
        );
        assert!(command.contains(&format!("\"      - {name}\\n\"\\\n")));
    }

    // Kibana waits for every node to be healthy.
    let kibana = services.get("kibana");
    let depends_on = kibana.get("depends_on");
    assert_eq!(
        depends_on.keys(),
        names.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for name in &names {
        assert_eq!(
            depends_on.get(name).get("condition").str(),
            "service_healthy"
        );
    }
    assert_eq!(
        kibana.get("ports").strs(),
        vec!["127.0.0.1:${KIBANA_PORT}:5601"]
    );
}

#[test]
fn single_node_cluster() {
    check_cluster(1);
}

#[test]
fn three_node_cluster() {
    check_cluster(3);
}

#[test]
fn seven_node_cluster() {
    check_cluster(7);
}

#[test]
fn ninety_nine_nodes_is_the_limit() {
    check_cluster(99);
    let err = error_of(&[("nodes", "100")]);
    assert!(err.contains("from 1 to 99"), "{err}");
}

#[test]
fn default_render_matches_the_elastic_stack() {
    let rendered = render_fixed(&[]);
    let template = Yaml::parse(&rendered.compose);
    // The stack gives the ports defaults and a project name; otherwise the same.
    let stack_src = include_str!("../../stacks/elastic.yml")
        .replace("${ES_PORT:-9200}", "${ES_PORT}")
        .replace("${KIBANA_PORT:-5601}", "${KIBANA_PORT}");
    let stack = Yaml::parse(&stack_src);
    assert_eq!(stack.keys(), vec!["name", "services", "volumes"]);
    assert_eq!(stack.get("name").str(), "elastic");
    assert_eq!(template.keys(), vec!["services", "volumes"]);
    assert_eq!(template.get("services"), stack.get("services"));
    assert_eq!(template.get("volumes"), stack.get("volumes"));

    let stack_env = include_str!("../../stacks/.env");
    assert!(stack_env.contains(&format!("\nSTACK_VERSION={ELASTIC_STACK_VERSION}\n")));
    assert!(
        rendered
            .env
            .contains(&format!("\nSTACK_VERSION={ELASTIC_STACK_VERSION}\n"))
    );
}

#[test]
fn env_holds_passwords_and_settings() {
    let rendered = render_fixed(&[("version", "8.14.0"), ("memory", "2g"), ("port", "19200")]);
    let lines: Vec<&str> = rendered
        .env
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        lines,
        vec![
            "ELASTIC_PASSWORD=elasticpw123",
            "KIBANA_PASSWORD=kibanapw456",
            "STACK_VERSION=8.14.0",
            "CLUSTER_NAME=docker-cluster",
            "LICENSE=basic",
            "ES_PORT=19200",
            "KIBANA_PORT=5601",
            "MEM_LIMIT=2g",
        ]
    );
}

#[test]
fn render_generates_random_passwords() {
    let password = |env: &str, key: &str| -> String {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .expect("password line")
            .to_string()
    };
    let a = render("elastic", &[]).expect("render");
    let b = render("elastic", &[]).expect("render");
    for key in ["ELASTIC_PASSWORD", "KIBANA_PASSWORD"] {
        let pa = password(&a.env, key);
        assert_eq!(pa.len(), 20);
        assert!(pa.chars().all(|c| c.is_ascii_alphanumeric()), "{pa}");
        assert_ne!(pa, password(&b.env, key));
    }
    assert_ne!(
        password(&a.env, "ELASTIC_PASSWORD"),
        password(&a.env, "KIBANA_PASSWORD")
    );
    assert_eq!(a.compose, b.compose);
}

#[test]
fn without_security_there_is_no_setup_and_no_certs() {
    for n in ["1", "3"] {
        let rendered = render_fixed(&[("nodes", n), ("security", "false")]);
        let doc = Yaml::parse(&rendered.compose);
        let services = doc.get("services");
        assert!(services.try_get("setup").is_none());
        assert!(doc.get("volumes").try_get("certs").is_none());
        assert!(!rendered.compose.contains("certs"));
        assert!(!rendered.compose.contains("PASSWORD"));
        assert!(!rendered.env.contains("PASSWORD"));
        let es01 = services.get("es01");
        assert_eq!(env_value(es01, "xpack.security.enabled"), Some("false"));
        assert!(es01.try_get("depends_on").is_none());
        assert_eq!(
            services.get("kibana").get("environment").strs(),
            vec!["SERVERNAME=kibana", "ELASTICSEARCH_HOSTS=http://es01:9200"]
        );
    }
    let rendered = render_fixed(&[("security", "false")]);
    let services = Yaml::parse(&rendered.compose);
    let es03 = services.get("services").get("es03");
    assert_eq!(env_value(es03, "discovery.seed_hosts"), Some("es01,es02"));
    assert_eq!(es03.get("depends_on").strs(), vec!["es02"]);
}

#[test]
fn without_kibana_there_is_no_kibana() {
    let rendered = render_fixed(&[("kibana", "false")]);
    let doc = Yaml::parse(&rendered.compose);
    assert_eq!(
        doc.get("services").keys(),
        vec!["setup", "es01", "es02", "es03"]
    );
    assert!(doc.get("volumes").try_get("kibanadata").is_none());
    assert!(!rendered.compose.contains("kibana:"));
    assert!(!rendered.env.contains("KIBANA_PORT"));

    let rendered = render_fixed(&[("kibana", "false"), ("security", "false"), ("nodes", "1")]);
    let doc = Yaml::parse(&rendered.compose);
    assert_eq!(doc.get("services").keys(), vec!["es01"]);
    assert_eq!(doc.get("volumes").keys(), vec!["esdata01"]);
}

#[test]
fn rendering_is_deterministic() {
    for pairs in [
        vec![],
        vec![("nodes", "7")],
        vec![("nodes", "1"), ("security", "false")],
    ] {
        assert_eq!(render_fixed(&pairs), render_fixed(&pairs));
    }
}

#[test]
fn later_sets_win() {
    let rendered = render_fixed(&[("nodes", "5"), ("nodes", "2")]);
    let doc = Yaml::parse(&rendered.compose);
    assert_eq!(
        doc.get("services").keys(),
        vec!["setup", "es01", "es02", "kibana"]
    );
}

#[test]
fn accepted_values() {
    for (key, value) in [
        ("memory", "512m"),
        ("memory", "2GB"),
        ("memory", "1073741824"),
        ("memory", "100k"),
        ("kibana", "False"),
        ("security", "yes"),
        ("port", "1"),
        ("port", "65535"),
        ("version", "8.16.0-SNAPSHOT"),
    ] {
        render_fixed(&[(key, value)]);
    }
}

/// `--set` pairs and the parts the error message must contain.
type ErrorCase = (
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[test]
fn bad_inputs_say_what_is_expected() {
    let cases: &[ErrorCase] = &[
        (
            &[("nodes", "0")],
            &["\"0\" for nodes", "whole number from 1 to 99"],
        ),
        (
            &[("nodes", "abc")],
            &["\"abc\" for nodes", "whole number from 1 to 99"],
        ),
        (&[("nodes", "-1")], &["whole number"]),
        (
            &[("kibana", "maybe")],
            &["\"maybe\" for kibana", "true or false"],
        ),
        (&[("security", "")], &["for security", "true or false"]),
        (&[("memory", "12q")], &["\"12q\" for memory", "byte value"]),
        (&[("memory", "g")], &["byte value"]),
        (&[("memory", "0m")], &["byte value"]),
        (&[("memory", "1.5g")], &["byte value"]),
        (
            &[("port", "0")],
            &["for port", "port number from 1 to 65535"],
        ),
        (&[("port", "70000")], &["port number"]),
        (&[("version", "8.15 ; rm")], &["for version", "image tag"]),
        (&[("version", "")], &["image tag"]),
        (
            &[("colour", "blue")],
            &[
                "unknown variable \"colour\"",
                "valid variables: nodes, version, memory, kibana, security, port",
            ],
        ),
    ];
    for (pairs, expected) in cases {
        let err = error_of(pairs);
        for part in *expected {
            assert!(err.contains(part), "{pairs:?}: {err:?} lacks {part:?}");
        }
    }
}

#[test]
fn unknown_template_lists_the_known_ones() {
    let err = render("mongo", &[]).expect_err("an error").to_string();
    assert!(err.contains("unknown template \"mongo\""), "{err}");
    assert!(err.contains("known templates: elastic"), "{err}");
}

#[test]
fn bad_passwords_are_refused() {
    let err = render_with_passwords("elastic", &[], "short", "kibanapw456")
        .expect_err("an error")
        .to_string();
    assert!(err.contains("elastic password"), "{err}");
    let err = render_with_passwords("elastic", &[], "elasticpw123", "has\"quote")
        .expect_err("an error")
        .to_string();
    assert!(err.contains("kibana password"), "{err}");
}

#[test]
fn every_listed_template_renders_with_its_defaults() {
    for info in list() {
        let rendered = render(info.name, &[]).unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert!(!rendered.compose.contains("{{"));
        assert!(!rendered.env.contains("{{"));
        Yaml::parse(&rendered.compose);
    }
    let elastic = &list()[0];
    assert_eq!(elastic.name, "elastic");
    let names: Vec<&str> = elastic.variables.iter().map(|v| v.name).collect();
    assert_eq!(
        names,
        ["nodes", "version", "memory", "kibana", "security", "port"]
    );
}

#[test]
fn parse_set_splits_at_the_first_equals_sign() {
    assert_eq!(
        parse_set("nodes=5").expect("ok"),
        ("nodes".to_string(), "5".to_string())
    );
    assert_eq!(
        parse_set(" version = 8.15.3 ").expect("ok"),
        ("version".to_string(), "8.15.3".to_string())
    );
    assert_eq!(
        parse_set("a=b=c").expect("ok"),
        ("a".to_string(), "b=c".to_string())
    );
    assert_eq!(
        parse_set("memory=").expect("ok"),
        ("memory".to_string(), String::new())
    );
    for bad in ["nodes", "=5", ""] {
        let err = parse_set(bad).expect_err("an error").to_string();
        assert!(err.contains("expected key=value"), "{err}");
    }
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "rcompose-templates-{tag}-{}-{}",
            std::process::id(),
            Alphanumeric.sample_string(&mut rand::rng(), 8)
        ));
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn write_creates_the_files_and_never_overwrites() {
    let tmp = TempDir::new("write");
    let dir = tmp.0.join("cluster");
    let rendered = render_fixed(&[]);
    let written = write(&rendered, &dir).expect("write");
    assert_eq!(written, vec![dir.join("compose.yml"), dir.join(".env")]);
    assert_eq!(
        fs::read_to_string(dir.join("compose.yml")).expect("read"),
        rendered.compose
    );
    assert_eq!(
        fs::read_to_string(dir.join(".env")).expect("read"),
        rendered.env
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join(".env"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }

    let other = render_fixed(&[("nodes", "1")]);
    let err = write(&other, &dir).expect_err("an error").to_string();
    assert!(err.contains("compose.yml already exists"), "{err}");
    assert!(err.contains("never overwrite"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.join("compose.yml")).expect("read"),
        rendered.compose
    );

    // Only .env in the way: nothing is written.
    let dir2 = tmp.0.join("env-only");
    fs::create_dir_all(&dir2).expect("mkdir");
    fs::write(dir2.join(".env"), "KEEP=1\n").expect("write");
    let err = write(&rendered, &dir2).expect_err("an error").to_string();
    assert!(err.contains(".env already exists"), "{err}");
    assert!(!dir2.join("compose.yml").exists());
    assert_eq!(
        fs::read_to_string(dir2.join(".env")).expect("read"),
        "KEEP=1\n"
    );
}
