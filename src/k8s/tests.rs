//! Tests of the whole conversion on small projects: which objects come out, how they refer
//! to each other, and what is warned about.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::*;

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "rcompose-k8s-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path).expect("create scratch dir");
        Scratch(path)
    }

    fn write(&self, name: &str, content: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).expect("write file");
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn convert_in(dir: &Path, project: Value, env: &[(&str, &str)]) -> Result<Conversion> {
    let project = Project::from_value(project).expect("a valid project");
    let environment: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    convert(&Inputs {
        project: &project,
        environment: &environment,
        working_dir: dir,
    })
}

fn convert_value(project: Value) -> Conversion {
    convert_in(Path::new("/nonexistent"), project, &[]).expect("a conversion")
}

fn document<'a>(conversion: &'a Conversion, kind: &str, name: &str) -> &'a Value {
    conversion
        .manifests
        .iter()
        .find(|m| m.kind == kind && m.name == name)
        .map(|m| &m.document)
        .unwrap_or_else(|| panic!("no {kind} {name} in {:#?}", kinds(conversion)))
}

fn kinds(conversion: &Conversion) -> Vec<String> {
    conversion
        .manifests
        .iter()
        .map(|m| format!("{}/{}", m.kind, m.name))
        .collect()
}

fn pod(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]
}

#[test]
fn objects_come_in_a_fixed_order() {
    let c = convert_value(json!({
        "name": "shop",
        "services": {
            "web": {"image": "nginx", "ports": ["8080:80"], "volumes": ["/tmp/x"]},
            "db": {"image": "postgres", "volumes": ["data:/var/lib/postgresql/data"]},
            "agent": {"image": "agent", "deploy": {"mode": "global"}}
        },
        "volumes": {"data": {}},
        "secrets": {"pw": {"content": "x"}},
        "configs": {"conf": {"content": "y"}}
    }));
    assert_eq!(
        kinds(&c),
        [
            "PersistentVolumeClaim/data",
            "Service/agent",
            "Service/db",
            "Service/web",
            "Deployment/web",
            "StatefulSet/db",
            "DaemonSet/agent",
        ],
        "unused configs and secrets make no objects"
    );
    let stream = c.to_stream();
    assert_eq!(stream.matches("\n---\n").count(), 6);
    assert!(stream.starts_with("apiVersion: v1\nkind: PersistentVolumeClaim\n"));
    assert_eq!(
        c.manifests[0].file_name(),
        "persistentvolumeclaim-data.yaml"
    );
}

#[test]
fn workloads_carry_labels_replicas_and_the_selector() {
    let c = convert_value(json!({
        "name": "shop",
        "services": {"web": {"image": "nginx", "deploy": {"replicas": 3, "labels": {"tier": "front"}},
                             "labels": {"com.example.role": "web"}}}
    }));
    let web = document(&c, "Deployment", "web");
    assert_eq!(web["spec"]["replicas"], 3);
    assert_eq!(
        web["metadata"]["labels"],
        json!({"app.kubernetes.io/managed-by": "rcompose", "app.kubernetes.io/name": "web",
               "app.kubernetes.io/part-of": "shop"})
    );
    assert_eq!(web["metadata"]["annotations"], json!({"tier": "front"}));
    let selector = json!({"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop"});
    assert_eq!(web["spec"]["selector"]["matchLabels"], selector);
    assert_eq!(web["spec"]["template"]["metadata"]["labels"], selector);
    assert_eq!(
        web["spec"]["template"]["metadata"]["annotations"],
        json!({"com.example.role": "web"})
    );
    assert_eq!(pod(web)["enableServiceLinks"], false);
    let service = document(&c, "Service", "web");
    assert_eq!(service["spec"]["selector"], selector);
    assert_eq!(service["spec"]["clusterIP"], "None");
    assert_eq!(service["spec"]["publishNotReadyAddresses"], true);
}

#[test]
fn named_volumes_are_shared_claims_of_statefulsets() {
    let c = convert_value(json!({
        "name": "p",
        "services": {
            "a": {"image": "a", "volumes": ["db_data:/data", "db_data:/again:ro", "/anon",
                                           {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "64m"}},
                                           "ext:/ext"],
                  "tmpfs": ["/run:size=1m"], "shm_size": "256m"},
            "b": {"image": "b", "volumes": ["db_data:/shared"], "scale": 2}
        },
        "volumes": {"db_data": {"labels": {"backup": "daily"}}, "ext": {"external": true, "name": "existing"}}
    }));
    let claim = document(&c, "PersistentVolumeClaim", "db-data");
    assert_eq!(claim["spec"]["accessModes"], json!(["ReadWriteOnce"]));
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "1Gi");
    assert_eq!(claim["metadata"]["annotations"], json!({"backup": "daily"}));
    assert!(
        !kinds(&c)
            .iter()
            .any(|k| k.contains("existing") || k.contains("ext")),
        "external volumes are not made"
    );
    let a = document(&c, "StatefulSet", "a");
    assert_eq!(a["spec"]["serviceName"], "a");
    assert_eq!(a["spec"]["podManagementPolicy"], "Parallel");
    let volumes = &pod(a)["volumes"];
    assert_eq!(
        *volumes,
        json!([
            {"name": "db-data", "persistentVolumeClaim": {"claimName": "db-data"}},
            {"emptyDir": {}, "name": "anonymous"},
            {"emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}, "name": "tmpfs"},
            {"name": "ext", "persistentVolumeClaim": {"claimName": "existing"}},
            {"emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}, "name": "tmpfs-2"},
            {"emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}, "name": "dshm"},
        ])
    );
    let mounts = &pod(a)["containers"][0]["volumeMounts"];
    assert_eq!(mounts[0], json!({"mountPath": "/data", "name": "db-data"}));
    assert_eq!(
        mounts[1],
        json!({"mountPath": "/again", "name": "db-data", "readOnly": true})
    );
    assert_eq!(mounts[6], json!({"mountPath": "/dev/shm", "name": "dshm"}));
    let shared: Vec<&String> = c
        .warnings
        .iter()
        .filter(|w| w.starts_with("volumes.db_data: shared by 3 pods (a, b)"))
        .collect();
    assert_eq!(shared.len(), 1, "{:#?}", c.warnings);
    assert!(
        c.warnings.contains(
            &"volumes.ext: external: expected to exist as PersistentVolumeClaim \"existing\""
                .to_string()
        ),
        "{:#?}",
        c.warnings
    );
}

#[test]
fn configs_and_secrets_are_mounted_as_files() {
    let dir = Scratch::new();
    let conf = dir.write("app.ini", b"[app]\nx=1\n");
    let key = dir.write("key.bin", &[0xff, 0x00, 0x01]);
    let c = convert_in(
        &dir.0,
        json!({
            "name": "p",
            "services": {"app": {
                "image": "app",
                "configs": [{"source": "ini", "target": "/etc/app.ini", "mode": "0440"},
                            "inline", "from_env", "outside"],
                "secrets": ["key", {"source": "token", "target": "tok"}]
            }},
            "configs": {"ini": {"file": conf}, "inline": {"content": "hello"},
                        "from_env": {"environment": "GREETING"},
                        "outside": {"external": true, "name": "made-elsewhere"}},
            "secrets": {"key": {"file": key}, "token": {"environment": "TOKEN"}}
        }),
        &[("GREETING", "hi"), ("TOKEN", "s3cret")],
    )
    .expect("a conversion");
    assert_eq!(
        document(&c, "ConfigMap", "ini")["data"],
        json!({"ini": "[app]\nx=1\n"})
    );
    assert_eq!(
        document(&c, "ConfigMap", "inline")["data"],
        json!({"inline": "hello"})
    );
    assert_eq!(
        document(&c, "ConfigMap", "from-env")["data"],
        json!({"from_env": "hi"})
    );
    let secret = document(&c, "Secret", "key");
    assert_eq!(secret["data"], json!({"key": "/wAB"}));
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(
        document(&c, "Secret", "token")["data"],
        json!({"token": "czNjcmV0"})
    );

    let app = document(&c, "Deployment", "app");
    let mounts = &pod(app)["containers"][0]["volumeMounts"];
    assert_eq!(
        *mounts,
        json!([
            {"mountPath": "/etc/app.ini", "name": "config-ini", "readOnly": true, "subPath": "ini"},
            {"mountPath": "/inline", "name": "config-inline", "readOnly": true, "subPath": "inline"},
            {"mountPath": "/from_env", "name": "config-from-env", "readOnly": true, "subPath": "from_env"},
            {"mountPath": "/outside", "name": "config-made-elsewhere", "readOnly": true, "subPath": "outside"},
            {"mountPath": "/run/secrets/key", "name": "secret-key", "readOnly": true, "subPath": "key"},
            {"mountPath": "/run/secrets/tok", "name": "secret-token", "readOnly": true, "subPath": "token"},
        ])
    );
    assert_eq!(
        pod(app)["volumes"][0],
        json!({"configMap": {"defaultMode": 0o440, "name": "ini"}, "name": "config-ini"})
    );
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("made-elsewhere") && w.starts_with("configs.outside: external")),
        "{:#?}",
        c.warnings
    );
}

#[test]
fn a_missing_secret_source_is_an_error() {
    let err = convert_in(
        Path::new("/"),
        json!({"services": {"a": {"image": "a", "secrets": ["token"]}},
               "secrets": {"token": {"environment": "TOKEN"}}}),
        &[],
    )
    .expect_err("an unset variable");
    assert_eq!(
        err.message,
        "service \"a\": secret \"token\": environment variable TOKEN is not set"
    );
    let err = convert_in(
        Path::new("/elsewhere"),
        json!({"services": {"a": {"image": "a", "configs": ["c"]}},
               "configs": {"c": {"file": "/nonexistent/c.ini"}}}),
        &[],
    )
    .expect_err("a missing file");
    assert!(
        err.message
            .starts_with("service \"a\": config \"c\": cannot read /nonexistent/c.ini"),
        "{err}"
    );
}

#[test]
fn bind_mounts_of_files_become_config_maps() {
    let dir = Scratch::new();
    let file = dir.write("nginx.conf", b"server {}\n");
    let sub = dir.0.join("site");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let c = convert_in(
        &dir.0,
        json!({
            "name": "p",
            "services": {"proxy": {"image": "nginx", "volumes": [
                {"type": "bind", "source": file, "target": "/etc/nginx/nginx.conf"},
                {"type": "bind", "source": sub.to_string_lossy(), "target": "/srv"},
                {"type": "bind", "source": dir.0.join("gone").to_string_lossy(), "target": "/gone"}
            ]}}
        }),
        &[],
    )
    .expect("a conversion");
    let map = document(&c, "ConfigMap", "proxy-nginx-conf");
    assert_eq!(map["data"], json!({"nginx.conf": "server {}\n"}));
    assert_eq!(map["metadata"]["labels"]["app.kubernetes.io/name"], "proxy");
    let proxy = document(&c, "Deployment", "proxy");
    assert_eq!(
        pod(proxy)["volumes"],
        json!([
            {"configMap": {"name": "proxy-nginx-conf"}, "name": "bind"},
            {"emptyDir": {}, "name": "bind-2"},
            {"emptyDir": {}, "name": "bind-3"},
        ])
    );
    assert_eq!(
        pod(proxy)["containers"][0]["volumeMounts"][0],
        json!({"mountPath": "/etc/nginx/nginx.conf", "name": "bind", "readOnly": true,
               "subPath": "nginx.conf"})
    );
    let bind_warnings: Vec<&String> = c
        .warnings
        .iter()
        .filter(|w| w.starts_with("service \"proxy\": volumes: bind mount of "))
        .collect();
    assert_eq!(bind_warnings.len(), 3, "{:#?}", c.warnings);
    assert!(bind_warnings[0].contains("of file nginx.conf at /etc/nginx/nginx.conf"));
    assert!(bind_warnings[1].contains("of site at /srv"));
    assert!(bind_warnings[2].contains("gone at /gone: the path does not exist"));
}

#[test]
fn dependencies_wait_for_ports_or_are_noted() {
    let c = convert_value(json!({
        "name": "p",
        "services": {
            "web": {"image": "web", "depends_on": {
                "db": {"condition": "service_healthy"},
                "cache": {"condition": "service_started"},
                "queue": {"condition": "service_healthy"},
                "seed": {"condition": "service_started"},
                "migrate": {"condition": "service_completed_successfully"}}},
            "db": {"image": "postgres", "expose": ["5432"],
                   "healthcheck": {"test": ["CMD", "pg_isready"]}},
            "cache": {"image": "redis"},
            "queue": {"image": "queue", "healthcheck": {"test": ["CMD", "true"]}},
            "seed": {"image": "seed", "restart": "no"},
            "migrate": {"image": "migrate", "ports": ["9000:9000"]}
        }
    }));
    let web = document(&c, "Deployment", "web");
    let init = &pod(web)["initContainers"];
    let names: Vec<&str> = init
        .as_array()
        .map(|list| list.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    // A port: wait until it answers. No port: wait until the headless name resolves.
    assert_eq!(names, ["wait-for-cache", "wait-for-db", "wait-for-queue"]);
    assert_eq!(init[0]["image"], network::WAIT_IMAGE);
    assert_eq!(
        init[0]["command"][2],
        "until nslookup cache >/dev/null 2>&1; do echo waiting for cache; sleep 2; done"
    );
    assert_eq!(
        init[1]["command"][2],
        "until nc -z -w 2 db 5432; do echo waiting for db:5432; sleep 2; done"
    );
    assert_eq!(
        web["metadata"]["annotations"]["rcompose/depends-on"],
        "cache:service_started,db:service_healthy,migrate:service_completed_successfully,\
         queue:service_healthy,seed:service_started"
    );
    let unenforced = web["metadata"]["annotations"]["rcompose/depends-on-unenforced"]
        .as_str()
        .expect("a note");
    let notes: Vec<&str> = unenforced.split("; ").collect();
    assert_eq!(notes.len(), 3, "{unenforced}");
    assert!(notes[0].starts_with(
        "migrate:service_completed_successfully (cannot be enforced: migrate runs as Job"
    ));
    assert!(
        notes[1].starts_with("queue:service_healthy (enforced in part: it declares no TCP port")
    );
    assert!(notes[2].starts_with("seed:service_started (cannot be enforced: seed runs as a Job"));
    // Awaited until it completes: a Job, even with ports.
    assert_eq!(document(&c, "Job", "migrate")["kind"], "Job");
    let db = document(&c, "Deployment", "db");
    let container = &pod(db)["containers"][0];
    assert_eq!(container["readinessProbe"], container["livenessProbe"]);
    assert_eq!(
        container["readinessProbe"]["exec"]["command"],
        json!(["pg_isready"])
    );
    assert_eq!(
        c.warnings
            .iter()
            .filter(|w| w.starts_with("service \"web\": depends_on."))
            .count(),
        3,
        "one per note"
    );
}

#[test]
fn service_names_are_made_valid_and_clashes_are_errors() {
    let c = convert_value(json!({
        "name": "p",
        "services": {"my_api": {"image": "a", "ports": ["80"]}}
    }));
    assert_eq!(
        document(&c, "Service", "my-api")["spec"]["ports"][0]["port"],
        80
    );
    assert_eq!(
        c.warnings[0],
        "service \"my_api\": name: Kubernetes names it \"my-api\": other services must use that host name"
    );
    let project = Project::from_value(json!({
        "name": "p",
        "services": {"my_api": {"image": "a"}, "my-api": {"image": "b"}}
    }))
    .expect("a project");
    let err = convert(&Inputs {
        project: &project,
        environment: &BTreeMap::new(),
        working_dir: Path::new("/"),
    })
    .expect_err("a clash");
    assert_eq!(
        err.message,
        "services \"my-api\" and \"my_api\" both become \"my-api\" in Kubernetes"
    );
}

#[test]
fn container_settings_are_carried_over() {
    let c = convert_value(json!({
        "name": "p",
        "services": {"app": {
            "build": {"context": "/nonexistent/app"},
            "entrypoint": ["/entry"], "command": "serve --port $PORT",
            "environment": {"A": "1", "B": "$(not a var)"},
            "working_dir": "/srv", "user": "1000:1000", "privileged": true,
            "stdin_open": true, "tty": true, "stop_grace_period": "1m30s",
            "hostname": "apphost", "network_mode": "host", "pull_policy": "always",
            "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "256m"}}},
            "healthcheck": {"test": "true", "interval": "5s", "start_period": "20s"}
        }}
    }));
    let app = document(&c, "Deployment", "app");
    let container = &pod(app)["containers"][0];
    assert_eq!(container["image"], "p-app");
    assert_eq!(container["imagePullPolicy"], "Always");
    assert_eq!(container["command"], json!(["/entry"]));
    assert_eq!(container["args"], json!(["serve", "--port", "$PORT"]));
    assert_eq!(
        container["env"],
        json!([{"name": "A", "value": "1"}, {"name": "B", "value": "$$(not a var)"}])
    );
    assert_eq!(container["workingDir"], "/srv");
    assert_eq!(
        container["securityContext"],
        json!({"privileged": true, "runAsGroup": 1000, "runAsUser": 1000})
    );
    assert_eq!(container["stdin"], true);
    assert_eq!(container["tty"], true);
    assert_eq!(
        container["resources"],
        json!({"limits": {"cpu": "500m", "memory": "256Mi"}})
    );
    assert_eq!(container["readinessProbe"]["initialDelaySeconds"], 20);
    assert_eq!(container["readinessProbe"]["periodSeconds"], 5);
    assert_eq!(pod(app)["terminationGracePeriodSeconds"], 90);
    assert_eq!(pod(app)["hostname"], "apphost");
    assert_eq!(pod(app)["hostNetwork"], true);
    assert_eq!(
        app["metadata"]["annotations"]["rcompose/build-context"], "app",
        "relative to the project directory"
    );
    assert!(
        c.warnings.iter().any(|w| w.starts_with(
            "service \"app\": build: Kubernetes runs images only: build and push p-app"
        )),
        "{:#?}",
        c.warnings
    );
}

#[test]
fn every_left_out_key_is_warned_about() {
    let c = convert_value(json!({
        "name": "p",
        "services": {"a": {"image": "a", "ulimits": {"nofile": 1024}, "logging": {"driver": "syslog"},
                           "restart": "on-failure", "links": ["b:bee"], "expose": ["80"],
                           "networks": {"front": {"aliases": ["x"]}}},
                     "b": {"image": "b", "networks": ["front"]}},
        "networks": {"front": {}},
        "models": {"llm": {"model": "ai/smollm2"}}
    }));
    let expected = [
        "networks.front: ",
        "models.llm: ",
        "service \"a\": logging: ",
        "service \"a\": ulimits: ",
        "service \"a\": restart: ",
        "service \"a\": links: the alias \"bee\" of b",
        "service \"a\": networks.front.aliases: ",
    ];
    assert_eq!(c.warnings.len(), expected.len(), "{:#?}", c.warnings);
    for (warning, start) in c.warnings.iter().zip(expected) {
        assert!(
            warning.starts_with(start),
            "{warning} should start with {start}"
        );
    }
}

#[test]
fn env_files_become_config_maps_and_secret_values_stay_in_secrets() {
    let dir = Scratch::new();
    let common = dir.write(
        "common.env",
        b"REGION=eu\nLEVEL=debug\nPASSWORD=${DB_PASSWORD}\nODD[0]=x\nDROPPED=1\n",
    );
    let local = dir.write("local.env", b"LEVEL=trace\n");
    let missing = dir.0.join("missing.env").to_string_lossy().into_owned();
    // The environment as the loader folds it: env files in order, then `environment`.
    let c = convert_in(
        &dir.0,
        json!({
            "name": "p",
            "services": {
                "api": {
                    "image": "a",
                    "env_file": [common, local, {"path": missing, "required": false}],
                    "environment": {"REGION": "eu", "LEVEL": "info", "PASSWORD": "hunter2",
                                    "ODD[0]": "x", "PLAIN": "$(kept)", "DROPPED": "1"}
                },
                "worker": {
                    "image": "w",
                    "env_file": [common],
                    "environment": {"REGION": "eu", "LEVEL": "debug", "PASSWORD": "hunter2",
                                    "ODD[0]": "x"}
                }
            },
            "secrets": {"db_password": {"environment": "DB_PASSWORD"}}
        }),
        &[("DB_PASSWORD", "hunter2")],
    )
    .expect("a conversion");
    // One ConfigMap per env file, shared by the services that read it; neither the secret
    // value nor a key a ConfigMap cannot hold is in it.
    let map = document(&c, "ConfigMap", "common-env");
    assert_eq!(
        map["data"],
        json!({"DROPPED": "1", "LEVEL": "debug", "REGION": "eu"})
    );
    assert_eq!(
        map["metadata"]["annotations"]["rcompose/env-file"],
        "common.env"
    );
    assert_eq!(
        document(&c, "ConfigMap", "local-env")["data"],
        json!({"LEVEL": "trace"})
    );
    assert_eq!(
        document(&c, "Secret", "db-password")["data"],
        json!({"db_password": "aHVudGVyMg=="})
    );
    let secret_ref = json!({"name": "PASSWORD", "valueFrom": {"secretKeyRef":
        {"key": "db_password", "name": "db-password"}}});

    let api = &pod(document(&c, "Deployment", "api"))["containers"][0];
    assert_eq!(
        api["envFrom"],
        json!([{"configMapRef": {"name": "common-env"}}, {"configMapRef": {"name": "local-env"}}])
    );
    // `env` wins over `envFrom`: only what the ConfigMaps do not already give is listed.
    assert_eq!(
        api["env"],
        json!([
            {"name": "LEVEL", "value": "info"},
            {"name": "ODD[0]", "value": "x"},
            secret_ref,
            {"name": "PLAIN", "value": "$$(kept)"}
        ])
    );
    let worker = &pod(document(&c, "Deployment", "worker"))["containers"][0];
    assert_eq!(
        worker["envFrom"],
        json!([{"configMapRef": {"name": "common-env"}}])
    );
    assert_eq!(
        worker["env"],
        json!([{"name": "ODD[0]", "value": "x"}, secret_ref])
    );
    // worker's environment has no DROPPED (as when `environment` unsets it): said so.
    assert_eq!(
        c.warnings,
        [
            "service \"worker\": environment.DROPPED: unset here but set by an env file: the \
          container gets the env file's value from its ConfigMap"
        ]
    );
}

#[test]
fn one_shot_services_are_jobs() {
    let c = convert_value(json!({
        "name": "p",
        "services": {
            "migrate": {"image": "m", "deploy": {"replicas": 2}},
            "seed": {"image": "s", "restart": "on-failure:4"},
            "sweep": {"image": "s", "deploy": {"mode": "global-job"}},
            "web": {"image": "w", "ports": ["80"],
                    "depends_on": {"migrate": {"condition": "service_completed_successfully"}}}
        }
    }));
    assert_eq!(
        kinds(&c),
        [
            "Service/migrate",
            "Service/seed",
            "Service/sweep",
            "Service/web",
            "Job/migrate",
            "Job/seed",
            "Job/sweep",
            "Deployment/web"
        ]
    );
    assert_eq!(
        c.warnings[0],
        "service \"sweep\": deploy.mode: \"global-job\": Kubernetes has no Job that runs once \
         per node; it runs as one Job with one pod"
    );
    assert!(
        c.warnings[1].starts_with("service \"web\": depends_on.migrate: "),
        "{:#?}",
        c.warnings
    );
    assert_eq!(c.warnings.len(), 2);
    let migrate = document(&c, "Job", "migrate");
    assert_eq!(migrate["apiVersion"], "batch/v1");
    assert_eq!(migrate["spec"]["backoffLimit"], 0);
    assert_eq!(migrate["spec"]["completions"], 2);
    assert_eq!(migrate["spec"]["parallelism"], 2);
    assert_eq!(migrate["spec"]["selector"], Value::Null);
    assert_eq!(pod(migrate)["restartPolicy"], "Never");
    let seed = document(&c, "Job", "seed");
    assert_eq!(seed["spec"]["backoffLimit"], 4);
    assert_eq!(seed["spec"]["completions"], Value::Null);
    assert_eq!(pod(seed)["restartPolicy"], "OnFailure");
    let web = document(&c, "Deployment", "web");
    assert!(
        web["metadata"]["annotations"]["rcompose/depends-on-unenforced"]
            .as_str()
            .is_some_and(|a| a.contains("kubectl wait --for=condition=complete job/migrate")),
        "{web:#}"
    );
}
