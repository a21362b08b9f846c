use super::*;
use serde_json::json;

fn project(value: serde_json::Value) -> Project {
    Project::from_value(value).unwrap()
}

fn options(stack: &str) -> Options {
    Options {
        stack: stack.to_string(),
        api_version: ApiVersion(1, 41),
        scale: BTreeMap::new(),
    }
}

fn plan(value: serde_json::Value) -> StackPlan {
    convert(&project(value), &options("shop")).unwrap()
}

fn service<'a>(plan: &'a StackPlan, key: &str) -> &'a ServiceSpec {
    &plan.services.iter().find(|s| s.key == key).unwrap().spec
}

fn container(spec: &ServiceSpec) -> &TaskSpecContainerSpec {
    spec.task_template
        .as_ref()
        .unwrap()
        .container_spec
        .as_ref()
        .unwrap()
}

fn warned(plan: &StackPlan) -> Vec<String> {
    plan.warnings
        .iter()
        .map(|w| format!("{}:{}", w.service.as_deref().unwrap_or("-"), w.key))
        .collect()
}

#[test]
fn a_full_service() {
    let plan = plan(
        serde_json::from_str(
            r#"{
        "name": "shop",
        "services": {"web": {
            "image": "busybox",
            "command": ["httpd", "-f"],
            "entrypoint": ["/bin/sh", "-c"],
            "environment": {"B": "2", "A": "1", "UNSET": null},
            "labels": {"c": "container"},
            "hostname": "w", "user": "1000", "working_dir": "/srv",
            "extra_hosts": ["db=10.0.0.2"], "dns": ["8.8.8.8"],
            "stop_grace_period": "3s", "stop_signal": "SIGINT",
            "init": true, "read_only": true, "tty": true,
            "cap_add": ["NET_ADMIN"], "ulimits": {"nofile": 1024},
            "sysctls": {"net.core.somaxconn": "1024"},
            "healthcheck": {"test": "wget -q localhost", "interval": "5s", "retries": 3},
            "ports": ["8080:80", {"target": 9000, "published": "9001", "mode": "host",
                                  "protocol": "udp"}],
            "volumes": ["data:/data:ro", "/srv/static:/static", {"type": "tmpfs",
                        "target": "/t", "tmpfs": {"size": "1m"}}],
            "networks": {"front": {"aliases": ["www"]}, "default": null},
            "configs": [{"source": "conf", "target": "/etc/app.conf", "mode": "0440"},
                        "plain"],
            "secrets": ["token"],
            "logging": {"driver": "json-file", "options": {"max-size": "1m"}},
            "deploy": {
                "replicas": 3, "labels": {"s": "service"}, "endpoint_mode": "vip",
                "resources": {"limits": {"cpus": "0.5", "memory": "64M", "pids": 100},
                              "reservations": {"cpus": "0.25", "memory": "16M"}},
                "restart_policy": {"condition": "on-failure", "delay": "2s",
                                   "max_attempts": 5, "window": "1m"},
                "update_config": {"parallelism": 2, "delay": "1s", "order": "start-first",
                                  "failure_action": "rollback", "monitor": "10s",
                                  "max_failure_ratio": 0.2},
                "rollback_config": {"parallelism": 1, "failure_action": "continue"},
                "placement": {"constraints": ["node.role==manager"],
                              "preferences": [{"spread": "node.labels.zone"}],
                              "max_replicas_per_node": 2}
            }
        }},
        "networks": {"front": {"driver_opts": {"encrypted": "true"}, "attachable": true,
                               "labels": {"n": "1"}}},
        "volumes": {"data": {"labels": {"v": "1"}}},
        "configs": {"conf": {"file": "/src/app.conf"}, "plain": {"content": "x=1"}},
        "secrets": {"token": {"environment": "TOKEN", "labels": {"k": "v"}}}
    }"#,
        )
        .unwrap(),
    );
    assert_eq!(warned(&plan), Vec::<String>::new());
    let spec = service(&plan, "web");
    assert_eq!(spec.name.as_deref(), Some("shop_web"));
    let labels = spec.labels.as_ref().unwrap();
    assert_eq!(labels["com.docker.stack.namespace"], "shop");
    assert_eq!(labels["com.docker.stack.image"], "busybox");
    assert_eq!(labels["s"], "service");
    let c = container(spec);
    assert_eq!(c.image.as_deref(), Some("busybox"));
    assert_eq!(c.labels.as_ref().unwrap()["c"], "container");
    assert_eq!(
        c.labels.as_ref().unwrap()["com.docker.stack.namespace"],
        "shop"
    );
    assert_eq!(c.command, Some(vec!["/bin/sh".into(), "-c".into()]));
    assert_eq!(c.args, Some(vec!["httpd".into(), "-f".into()]));
    assert_eq!(
        c.env,
        Some(vec!["A=1".into(), "B=2".into(), "UNSET".into()])
    );
    assert_eq!(c.hosts, Some(vec!["10.0.0.2 db".into()]));
    assert_eq!(c.stop_grace_period, Some(3_000_000_000));
    assert_eq!(c.init, Some(true));
    assert_eq!(c.capability_add, Some(vec!["NET_ADMIN".into()]));
    assert_eq!(c.ulimits.as_ref().unwrap()[0].hard, Some(1024));
    let health = c.health_check.as_ref().unwrap();
    assert_eq!(
        health.test,
        Some(vec!["CMD-SHELL".into(), "wget -q localhost".into()])
    );
    assert_eq!(health.interval, Some(5_000_000_000));
    assert_eq!(health.retries, Some(3));

    let mounts = c.mounts.as_ref().unwrap();
    assert_eq!(mounts[0].source.as_deref(), Some("shop_data"));
    assert_eq!(mounts[0].read_only, Some(true));
    let volume_labels = mounts[0]
        .volume_options
        .as_ref()
        .unwrap()
        .labels
        .as_ref()
        .unwrap();
    assert_eq!(volume_labels["v"], "1");
    assert_eq!(volume_labels["com.docker.stack.namespace"], "shop");
    assert_eq!(mounts[1].typ, Some(MountType::BIND));
    assert_eq!(mounts[2].typ, Some(MountType::TMPFS));
    assert_eq!(
        mounts[2].tmpfs_options.as_ref().unwrap().size_bytes,
        Some(1 << 20)
    );

    let configs = c.configs.as_ref().unwrap();
    let file = configs[0].file.as_ref().unwrap();
    assert_eq!(file.name.as_deref(), Some("/etc/app.conf"));
    assert_eq!(file.mode, Some(0o440));
    assert_eq!(configs[0].config_name.as_deref(), Some("shop_conf"));
    assert_eq!(
        configs[1].file.as_ref().unwrap().name.as_deref(),
        Some("/plain")
    );
    let secret = &c.secrets.as_ref().unwrap()[0];
    assert_eq!(secret.secret_name.as_deref(), Some("shop_token"));
    let file = secret.file.as_ref().unwrap();
    assert_eq!(file.name.as_deref(), Some("token"));
    assert_eq!((file.uid.as_deref(), file.mode), (Some("0"), Some(0o444)));

    let task = spec.task_template.as_ref().unwrap();
    let limits = task.resources.as_ref().unwrap().limits.as_ref().unwrap();
    assert_eq!(limits.nano_cpus, Some(500_000_000));
    assert_eq!(limits.memory_bytes, Some(64 << 20));
    assert_eq!(limits.pids, Some(100));
    let reservations = task
        .resources
        .as_ref()
        .unwrap()
        .reservations
        .as_ref()
        .unwrap();
    assert_eq!(reservations.nano_cpus, Some(250_000_000));
    let restart = task.restart_policy.as_ref().unwrap();
    assert_eq!(
        restart.condition,
        Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE)
    );
    assert_eq!(restart.max_attempts, Some(5));
    assert_eq!(restart.window, Some(60_000_000_000));
    let placement = task.placement.as_ref().unwrap();
    assert_eq!(
        placement.constraints,
        Some(vec!["node.role==manager".into()])
    );
    assert_eq!(placement.max_replicas, Some(2));
    assert_eq!(
        placement.preferences.as_ref().unwrap()[0]
            .spread
            .as_ref()
            .unwrap()
            .spread_descriptor
            .as_deref(),
        Some("node.labels.zone")
    );
    let networks = task.networks.as_ref().unwrap();
    let targets: Vec<_> = networks.iter().map(|n| n.target.clone().unwrap()).collect();
    assert_eq!(targets, ["shop_default", "shop_front"]);
    assert_eq!(
        networks[1].aliases,
        Some(vec!["web".to_string(), "www".to_string()])
    );
    assert_eq!(
        task.log_driver.as_ref().unwrap().name.as_deref(),
        Some("json-file")
    );

    assert_eq!(
        spec.mode
            .as_ref()
            .unwrap()
            .replicated
            .as_ref()
            .unwrap()
            .replicas,
        Some(3)
    );
    let update = spec.update_config.as_ref().unwrap();
    assert_eq!(update.parallelism, Some(2));
    assert_eq!(update.max_failure_ratio, Some(0.2));
    assert_eq!(
        serde_json::to_value(update).unwrap()["FailureAction"],
        json!("rollback")
    );
    assert_eq!(
        serde_json::to_value(spec.rollback_config.as_ref().unwrap()).unwrap()["FailureAction"],
        json!("continue")
    );
    let endpoint = serde_json::to_value(spec.endpoint_spec.as_ref().unwrap()).unwrap();
    assert_eq!(
        endpoint,
        json!({"Mode": "vip", "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080,
             "PublishMode": "ingress"},
            {"Protocol": "udp", "TargetPort": 9000, "PublishedPort": 9001,
             "PublishMode": "host"}]})
    );

    let networks: Vec<(&str, &str, bool)> = plan
        .networks
        .iter()
        .map(|n| (n.key.as_str(), n.name.as_str(), n.create.is_some()))
        .collect();
    assert_eq!(
        networks,
        [
            ("default", "shop_default", true),
            ("front", "shop_front", true)
        ]
    );
    let front = plan.networks[1].create.as_ref().unwrap();
    assert_eq!(front.driver.as_deref(), Some("overlay"));
    assert_eq!(front.attachable, Some(true));
    assert_eq!(front.labels.as_ref().unwrap()["n"], "1");
    assert_eq!(
        front.labels.as_ref().unwrap()["com.docker.stack.namespace"],
        "shop"
    );
    let default = plan.networks[0].create.as_ref().unwrap();
    assert_eq!(default.attachable, None);

    let configs: Vec<(&str, &FileSource)> = plan
        .configs
        .iter()
        .map(|c| (c.name.as_str(), &c.source))
        .collect();
    assert_eq!(
        configs,
        [
            ("shop_conf", &FileSource::File("/src/app.conf".into())),
            ("shop_plain", &FileSource::Content("x=1".into())),
        ]
    );
    assert_eq!(plan.secrets[0].name, "shop_token");
    assert_eq!(
        plan.secrets[0].source,
        FileSource::Environment("TOKEN".into())
    );
    assert_eq!(plan.secrets[0].labels["k"], "v");
    assert_eq!(plan.secrets[0].labels["com.docker.stack.namespace"], "shop");
}

#[test]
fn what_swarm_cannot_do_is_warned_once_per_key() {
    let plan = plan(json!({
        "name": "shop",
        "services": {
            "web": {
                "image": "busybox", "build": ".", "container_name": "web",
                "privileged": true, "network_mode": "host", "devices": ["/dev/fuse"],
                "depends_on": {"db": {"condition": "service_healthy"}},
                "cpus": 1.5, "mem_limit": "1g", "links": ["db"], "expose": [80],
                "oom_score_adj": 10, "security_opt": ["label=disable", "seccomp=x"],
                "healthcheck": {"test": "true", "start_interval": "1s"},
                "ports": [{"target": 80, "host_ip": "127.0.0.1", "published": "80-81"}],
                "volumes": [{"type": "bind", "source": "/a", "target": "/a",
                             "bind": {"selinux": "z"}},
                            {"type": "bind", "source": "/b", "target": "/b",
                             "bind": {"selinux": "Z"}}],
                "deploy": {"resources": {"reservations": {"devices": [
                    {"capabilities": ["gpu"]}]}}}
            },
            "db": {"image": "postgres", "tmpfs": ["/run"], "pid": "host"}
        }
    }));
    assert_eq!(
        warned(&plan),
        [
            "db:pid",
            "db:tmpfs",
            "web:build",
            "web:container_name",
            "web:cpus",
            "web:mem_limit",
            "web:depends_on.db",
            "web:devices",
            "web:expose",
            "web:links",
            "web:network_mode",
            "web:privileged",
            "web:oom_score_adj",
            "web:security_opt",
            "web:healthcheck.start_interval",
            "web:volumes.bind.selinux",
            "web:deploy.resources.reservations.devices",
            "web:ports.host_ip",
            "web:ports.published",
        ]
    );
    let text = plan.warnings[4].to_string();
    assert_eq!(
        text,
        "service \"web\": cpus: ignored by swarm services; use deploy.resources.limits.cpus"
    );
    let oom = plan
        .warnings
        .iter()
        .find(|w| w.key == "oom_score_adj")
        .unwrap();
    assert_eq!(
        oom.message,
        "needs Engine API 1.46 or later (this engine speaks 1.41); ignored"
    );
    let web = container(service(&plan, "web"));
    assert_eq!(web.oom_score_adj, None);
    let ports = service(&plan, "web")
        .endpoint_spec
        .as_ref()
        .unwrap()
        .ports
        .clone();
    assert_eq!(ports.unwrap()[0].published_port, Some(80));

    let mut newer = options("shop");
    newer.api_version = ApiVersion(1, 46);
    let again = convert(
        &project(json!({"services": {"web": {"image": "b", "oom_score_adj": 10}}})),
        &newer,
    )
    .unwrap();
    assert!(again.warnings.is_empty());
    assert_eq!(container(&again.services[0].spec).oom_score_adj, Some(10));
}

#[test]
fn every_dependency_and_every_dropped_preference_is_warned() {
    let plan = plan(json!({
        "name": "shop",
        "services": {
            "api": {"image": "a", "depends_on": {
                "db": {"condition": "service_healthy"},
                "migrate": {"condition": "service_completed_successfully"}},
                "deploy": {"placement": {"preferences": [
                    {"spread": "node.labels.zone"}, {"x-other": "rack"}]}}},
            "db": {"image": "postgres"},
            "migrate": {"image": "a"}
        }
    }));
    let list: Vec<String> = plan.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        list,
        [
            "service \"api\": depends_on.db: swarm starts services in no particular order \
             and has no dependency conditions; service_healthy is not waited for",
            "service \"api\": depends_on.migrate: swarm starts services in no particular \
             order and has no dependency conditions; service_completed_successfully is not \
             waited for",
            "service \"api\": deploy.placement.preferences: swarm knows spread preferences \
             only; the others are ignored",
        ]
    );
    let placement = service(&plan, "api")
        .task_template
        .as_ref()
        .and_then(|t| t.placement.as_ref())
        .and_then(|p| p.preferences.as_ref())
        .map(Vec::len);
    assert_eq!(placement, Some(1));
}

#[test]
fn a_built_service_runs_the_image_compose_would_build() {
    let plan = plan(json!({"name": "shop", "services": {"api": {"build": "."}}}));
    assert_eq!(
        container(service(&plan, "api")).image.as_deref(),
        Some("shop-api")
    );
    assert!(plan.warnings[0].message.contains("\"shop-api\""));
}

#[test]
fn replicas_come_from_scale_flags_then_the_file() {
    let value = json!({"services": {
        "web": {"image": "b", "deploy": {"replicas": 3}},
        "one": {"image": "b"},
        "all": {"image": "b", "deploy": {"mode": "global"}},
        "job": {"image": "b", "deploy": {"mode": "replicated-job", "replicas": 2}}
    }});
    let replicas = |plan: &StackPlan, key: &str| {
        service(plan, key)
            .mode
            .as_ref()
            .and_then(|m| m.replicated.as_ref())
            .and_then(|r| r.replicas)
    };
    let mut opts = options("s");
    let plan = convert(&project(value.clone()), &opts).unwrap();
    assert_eq!(replicas(&plan, "web"), Some(3));
    assert_eq!(replicas(&plan, "one"), Some(1));
    assert!(
        service(&plan, "all")
            .mode
            .as_ref()
            .unwrap()
            .global
            .is_some()
    );
    let job = service(&plan, "job")
        .mode
        .clone()
        .unwrap()
        .replicated_job
        .unwrap();
    assert_eq!(job.total_completions, Some(2));

    opts.scale.insert("web".into(), 5);
    let plan = convert(&project(value.clone()), &opts).unwrap();
    assert_eq!(replicas(&plan, "web"), Some(5));

    opts.scale = BTreeMap::from([("all".to_string(), 2)]);
    let err = convert(&project(value.clone()), &opts).unwrap_err();
    assert!(
        err.message
            .starts_with("service \"all\": deploy.mode global"),
        "{err}"
    );

    opts.scale = BTreeMap::from([("nope".to_string(), 2)]);
    let err = convert(&project(value), &opts).unwrap_err();
    assert_eq!(err.message, "--scale: no such service: nope");
}

#[test]
fn restart_translates_when_there_is_no_restart_policy() {
    let policy = |restart: &str| {
        let plan = plan(json!({"services": {"w": {"image": "b", "restart": restart}}}));
        let p = service(&plan, "w")
            .task_template
            .clone()
            .unwrap()
            .restart_policy
            .unwrap();
        (p.condition, p.max_attempts)
    };
    use TaskSpecRestartPolicyConditionEnum as C;
    assert_eq!(policy("no"), (Some(C::NONE), None));
    assert_eq!(policy("always"), (Some(C::ANY), None));
    assert_eq!(policy("unless-stopped"), (Some(C::ANY), None));
    assert_eq!(policy("on-failure:3"), (Some(C::ON_FAILURE), Some(3)));
}

#[test]
fn external_and_named_objects_keep_their_names() {
    let plan = plan(json!({
        "name": "shop",
        "services": {"web": {"image": "b", "networks": ["outside", "named"],
                             "secrets": ["ext"], "configs": ["own"],
                             "volumes": ["shared:/s"]}},
        "networks": {"outside": {"external": true}, "named": {"name": "my-net"}},
        "volumes": {"shared": {"external": true, "name": "shared-data"}},
        "secrets": {"ext": {"external": true, "name": "real-secret"}},
        "configs": {"own": {"name": "conf-v2", "content": "x"}}
    }));
    let networks: Vec<(&str, bool)> = plan
        .networks
        .iter()
        .map(|n| (n.name.as_str(), n.create.is_some()))
        .collect();
    assert_eq!(networks, [("my-net", true), ("outside", false)]);
    assert_eq!(plan.secrets[0].name, "real-secret");
    assert_eq!(plan.secrets[0].source, FileSource::External);
    assert_eq!(plan.configs[0].name, "conf-v2");
    let c = container(service(&plan, "web"));
    assert_eq!(
        c.secrets.as_ref().unwrap()[0].secret_name.as_deref(),
        Some("real-secret")
    );
    assert_eq!(
        c.configs.as_ref().unwrap()[0].config_name.as_deref(),
        Some("conf-v2")
    );
    let mount = &c.mounts.as_ref().unwrap()[0];
    assert_eq!(mount.source.as_deref(), Some("shared-data"));
    assert_eq!(mount.volume_options.as_ref().unwrap().labels, None);
}

#[test]
fn invalid_values_are_user_errors() {
    let cases = [
        (
            json!({"services": {"w": {"image": "b", "deploy": {"mode": "sometimes"}}}}),
            "service \"w\": invalid deploy.mode \"sometimes\"",
        ),
        (
            json!({"services": {"w": {"image": "b",
                                      "deploy": {"rollback_config": {"failure_action": "rollback"}}}}}),
            "service \"w\": invalid deploy.rollback_config.failure_action \"rollback\"",
        ),
        (
            json!({"services": {"w": {"image": "b", "deploy": {"endpoint_mode": "x"}}}}),
            "service \"w\": invalid deploy.endpoint_mode \"x\"",
        ),
        (
            json!({"services": {"w": {"image": "b", "secrets": ["s"]}},
                   "secrets": {"s": {}}}),
            "secret \"s\" has no file, content or environment",
        ),
    ];
    for (value, message) in cases {
        let err = convert(&project(value), &options("s")).unwrap_err();
        assert_eq!(err.message, message);
    }
}
