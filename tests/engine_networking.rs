//! How services reach each other on the real engine, compared with docker compose v5: `links`
//! aliases on the project's networks, legacy links under `network_mode: bridge`, and static
//! addresses (`ipv4_address`) on a network with a subnet. Written with [`TestProject::compose`],
//! so `RCOMPOSE_TEST_AGAINST=reference` runs them against the reference.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use support::{TestProject, docker, looping_service, ok, stdout};

fn compose(services: &[String], rest: &str) -> String {
    format!("services:\n{}{rest}", services.concat())
}

fn inspect(container: &str, format: &str) -> String {
    docker(&["inspect", "--format", format, container])
}

/// Run `command` in replica 1 of `service`; its output and whether it succeeded.
fn exec(p: &TestProject, service: &str, command: &[&str]) -> (bool, String) {
    let mut args = vec!["-p", p.name.as_str(), "exec", "-T", service];
    args.extend_from_slice(command);
    let out = p.compose(&args);
    let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn a_link_alias_reaches_the_linked_container() {
    let p = TestProject::new("link-alias");
    let name = &p.name;
    p.write(
        "compose.yml",
        &compose(
            &[
                looping_service("db", ""),
                looping_service("web", "    links:\n      - db:database\n"),
            ],
            "",
        ),
    );
    ok(&p.compose(&["-p", name, "up", "-d"]), "up");
    let db_ip = inspect(
        &format!("{name}-db-1"),
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    );
    let (reached, output) = exec(&p, "web", &["ping", "-c", "1", "-W", "5", "database"]);
    assert!(reached, "ping database from web: {output}");
    assert!(
        output.contains(&db_ip),
        "database resolves to db ({db_ip}): {output}"
    );
    // The alias is a link on web's endpoint, as compose sends it.
    let links = inspect(
        &format!("{name}-web-1"),
        &format!("{{{{json (index .NetworkSettings.Networks \"{name}_default\").Links}}}}"),
    );
    assert!(
        links.contains(&format!("{name}-db-1:database")),
        "links of web on the default network: {links}"
    );
    // Only web has the alias: db cannot resolve `database`.
    let (resolved, output) = exec(&p, "db", &["ping", "-c", "1", "-W", "2", "database"]);
    assert!(!resolved, "db resolved database: {output}");
}

#[test]
fn legacy_links_work_on_the_default_bridge() {
    let p = TestProject::new("legacy-links");
    let name = &p.name;
    p.write(
        "compose.yml",
        &compose(
            &[
                looping_service("db", "    network_mode: bridge\n"),
                looping_service(
                    "web",
                    "    network_mode: bridge\n    links:\n      - db:database\n",
                ),
            ],
            "",
        ),
    );
    ok(&p.compose(&["-p", name, "up", "-d"]), "up");
    let web = format!("{name}-web-1");
    assert_eq!(inspect(&web, "{{.HostConfig.NetworkMode}}"), "bridge");
    let links = inspect(&web, "{{json .HostConfig.Links}}");
    assert!(
        links.contains(&format!("/{name}-db-1:/{web}/database")),
        "legacy links of web: {links}"
    );
    let (reached, output) = exec(&p, "web", &["ping", "-c", "1", "-W", "5", "database"]);
    assert!(
        reached,
        "ping database from web over the default bridge: {output}"
    );
}

/// A /24 in 10.0.0.0/8 that no network of the engine uses now.
fn free_subnet() -> String {
    let used = docker(&[
        "network",
        "inspect",
        "--format",
        "{{range .IPAM.Config}}{{.Subnet}} {{end}}",
        "bridge",
    ]);
    let all = docker(&["network", "ls", "-q"]);
    let ids: Vec<&str> = all.lines().collect();
    let mut args = vec![
        "network",
        "inspect",
        "--format",
        "{{range .IPAM.Config}}{{.Subnet}} {{end}}",
    ];
    args.extend(ids);
    let used = format!("{used} {}", docker(&args));
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ std::process::id();
    (0..250u32)
        .map(|i| {
            let n = (seed.wrapping_add(i * 7919)) % 250 + 1;
            format!("10.{}.{}.0/24", 200 + n % 50, n)
        })
        .find(|subnet| !used.contains(&subnet[..subnet.len() - 4]))
        .expect("a free /24 in 10.200.0.0/10")
}

#[test]
fn a_static_ipv4_address_is_the_container_address() {
    let p = TestProject::new("static-ip");
    let name = &p.name;
    let subnet = free_subnet();
    let prefix = subnet.trim_end_matches("0/24");
    let address = format!("{prefix}42");
    p.write(
        "compose.yml",
        &compose(
            &[
                looping_service(
                    "web",
                    &format!("    networks:\n      front:\n        ipv4_address: {address}\n"),
                ),
                looping_service("probe", "    networks: [front]\n"),
            ],
            &format!("networks:\n  front:\n    ipam:\n      config:\n        - subnet: {subnet}\n"),
        ),
    );
    ok(&p.compose(&["-p", name, "up", "-d"]), "up");
    let web = format!("{name}-web-1");
    let network = format!("{name}_front");
    assert_eq!(
        inspect(
            &web,
            &format!("{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}")
        ),
        address
    );
    assert_eq!(
        inspect(
            &web,
            &format!(
                "{{{{(index .NetworkSettings.Networks \"{network}\").IPAMConfig.IPv4Address}}}}"
            )
        ),
        address,
        "the address is asked for, not merely given"
    );
    let (reached, output) = exec(&p, "probe", &["ping", "-c", "1", "-W", "5", &address]);
    assert!(reached, "ping {address} from probe: {output}");
}
