//! A multi-host test bed on one machine: several Docker Engines, each in a network namespace of
//! its own (its own addresses, hostname, data root, exec root and socket), joined by a bridge,
//! plus a "client" namespace standing for the user's machine. Optionally one node runs an
//! OpenSSH server (for `ssh://` engines) and one listens on TCP with TLS (for docker contexts
//! with TLS material).
//!
//! Everything it makes is named after the bed: `rctb-<id>` where `<id>` is six hex digits
//! (namespaces `rctb-<id>-node1`, bridge `rctb-<id>`, veths `rctb-<id>-1`, the iptables rule
//! commented `rctb-<id>`, cgroups `/rctb-<id>-node1`, files under `$TMPDIR/rctb-<id>`, whose
//! `owner` file names the test process). Dropping the [`Bed`] removes all of it, also while a
//! failed test unwinds; [`sweep`] removes what a crashed run left behind (beds whose process is
//! gone) before a new bed is made. The machine's own engine is never touched: its images reach
//! the nodes by `docker save | docker load`.
//!
//! The private addresses (10.213.0.0/24) exist only inside the bed's namespaces: the host keeps
//! none, so anything that talks to a node over the network runs in the client namespace
//! ([`Bed::client_command`]). The host's only rule is one FORWARD accept for the bridge (bridged
//! frames pass the host's FORWARD chain, whose policy drops them).
//!
//! Engines are started with `nsenter --net=...` (not `ip netns exec`, which remounts /sys and
//! hides the cgroup mounts from dockerd) under `unshare --uts` (a hostname per node), each with
//! a `--config-file` of its own (empty), the `vfs` storage driver and its containers under a
//! cgroup parent of the bed's. Each keeps docker's defaults otherwise: its `docker0`, its
//! iptables rules and its swarm's overlay (VXLAN) interfaces live in its own namespace, so they
//! meet neither the machine's nor each other's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The prefix of every name the bed uses.
const PREFIX: &str = "rctb-";

/// The network of the bed (inside its namespaces only).
const SUBNET: &str = "10.213.0";

/// How long an engine may take to answer after it is started.
const ENGINE_START: Duration = Duration::from_secs(60);

/// How long an engine may take to stop (it stops its containers first).
const ENGINE_STOP: Duration = Duration::from_secs(30);

/// What to build.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// How many engines (`node1`, `node2`, ...).
    pub nodes: usize,
    /// The node (1-based) that runs an OpenSSH server for `ssh://` engines.
    pub ssh_node: Option<usize>,
    /// The node (1-based) whose engine also listens on `tcp://<address>:2376` with TLS.
    pub tls_node: Option<usize>,
    /// Images of the machine's engine to load into every node.
    pub images: Vec<String>,
}

/// One engine of the bed.
pub struct Node {
    /// `node1`, `node2`, ... (also its hostname).
    pub name: String,
    /// Its address on the bed's network.
    pub address: String,
    /// Its network namespace.
    pub netns: String,
    pub dir: PathBuf,
    /// Its engine's socket.
    pub socket: PathBuf,
    engine: Mutex<Option<Child>>,
}

impl Node {
    /// `unix://<socket>`, for `DOCKER_HOST` or `-H`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Run the docker CLI against this node's engine.
    pub fn docker_output(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .arg("-H")
            .arg(self.host())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run docker: {e}"))
    }

    /// Run the docker CLI against this node's engine; its stdout, trimmed. Panics on failure.
    pub fn docker(&self, args: &[&str]) -> String {
        let out = self.docker_output(args);
        if !out.status.success() {
            panic!(
                "docker -H {} {} failed ({}):\n{}",
                self.name,
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Stop this node's engine as `systemctl stop docker` would (SIGTERM, then wait for it to
    /// exit). Its containers stop with it.
    pub fn stop_engine(&self) {
        let mut engine = self.engine.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(child) = engine.as_mut() {
            stop_child(child, ENGINE_STOP);
        }
        *engine = None;
    }

    /// Whether this node's engine process is still running.
    pub fn engine_running(&self) -> bool {
        let mut engine = self.engine.lock().unwrap_or_else(|p| p.into_inner());
        engine
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }
}

/// The OpenSSH server of the bed and a client set up for it.
pub struct Ssh {
    /// `root@<address>`: log in as this.
    pub destination: String,
    /// A directory holding an `ssh` that runs the system's ssh with the bed's own client
    /// configuration (key, known_hosts with the server's key, strict host key checking):
    /// put it first in `PATH`.
    pub bin: PathBuf,
    server: Mutex<Option<Child>>,
    /// `/run/sshd` was made for the bed (sshd needs it) and is removed with it.
    made_privsep_dir: bool,
}

/// TLS material for the engine of [`Spec::tls_node`].
pub struct TlsFiles {
    /// `tcp://<address>:2376`.
    pub host: String,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A running bed. Dropping it removes everything it made.
pub struct Bed {
    pub id: String,
    pub dir: PathBuf,
    pub nodes: Vec<Node>,
    /// The namespace standing for the user's machine.
    pub client_netns: String,
    pub ssh: Option<Ssh>,
    pub tls: Option<TlsFiles>,
    swarm: OnceLock<Swarm>,
}

/// What [`Bed::swarm`] set up.
pub struct Swarm {
    /// Node IDs, by node index.
    pub node_ids: Vec<String>,
}

impl Bed {
    /// Make a bed as `spec` says (after sweeping up what crashed runs left behind).
    pub fn start(spec: &Spec) -> Bed {
        // SAFETY: geteuid has no side effects.
        if unsafe { libc::geteuid() } != 0 {
            panic!("the multi-host test bed needs root: it makes network namespaces and bridges");
        }
        sweep();
        let (id, dir) = claim();
        // From here on, a panic drops the bed, which removes what was made so far.
        let mut bed = Bed {
            client_netns: format!("{PREFIX}{id}-client"),
            id,
            dir,
            nodes: Vec::new(),
            ssh: None,
            tls: None,
            swarm: OnceLock::new(),
        };
        bed.network(spec.nodes);
        if let Some(n) = spec.tls_node {
            bed.tls = Some(bed.certificates(n));
        }
        bed.engines(spec);
        bed.load_images(&spec.images);
        if let Some(n) = spec.ssh_node {
            bed.ssh = Some(bed.ssh_server(n));
        }
        bed
    }

    fn name(&self) -> String {
        format!("{PREFIX}{}", self.id)
    }

    /// The bridge, the FORWARD rule, and a namespace with a veth on the bridge for the client
    /// and each node.
    fn network(&mut self, nodes: usize) {
        let name = self.name();
        must("ip", &["link", "add", &name, "type", "bridge"]);
        must("ip", &["link", "set", &name, "up"]);
        // Bridged frames go through the host's FORWARD chain (br_netfilter), whose policy drops.
        let mut insert = vec!["-I".to_string(), "FORWARD".to_string(), "1".to_string()];
        insert.extend(forward_rule(&name));
        must(
            "iptables",
            &insert.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let client = self.client_netns.clone();
        self.attach(&client, &format!("{name}-c"), &format!("{SUBNET}.2"));
        for n in 1..=nodes {
            let node = format!("node{n}");
            let netns = format!("{name}-{node}");
            let address = format!("{SUBNET}.{}", 10 + n);
            self.attach(&netns, &format!("{name}-{n}"), &address);
            let dir = self.dir.join(&node);
            std::fs::create_dir_all(&dir)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
            self.nodes.push(Node {
                socket: dir.join("docker.sock"),
                name: node,
                address,
                netns,
                dir,
                engine: Mutex::new(None),
            });
        }
    }

    /// Namespace `netns` with address `address` on a veth (`veth` on the host side) on the
    /// bridge.
    fn attach(&self, netns: &str, veth: &str, address: &str) {
        must("ip", &["netns", "add", netns]);
        must(
            "ip",
            &[
                "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns,
            ],
        );
        must("ip", &["link", "set", veth, "master", &self.name(), "up"]);
        must(
            "ip",
            &[
                "-n",
                netns,
                "addr",
                "add",
                &format!("{address}/24"),
                "dev",
                "eth0",
            ],
        );
        must("ip", &["-n", netns, "link", "set", "eth0", "up"]);
        must("ip", &["-n", netns, "link", "set", "lo", "up"]);
    }

    /// `/var/run/netns/<netns>`, for `nsenter --net=`.
    pub fn netns_path(netns: &str) -> String {
        format!("/var/run/netns/{netns}")
    }

    /// Start every node's engine at once, then wait for all of them to answer.
    fn engines(&mut self, spec: &Spec) {
        for (i, node) in self.nodes.iter().enumerate() {
            let config = node.dir.join("daemon.json");
            std::fs::write(&config, "{}\n")
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
            let log = std::fs::File::create(node.dir.join("dockerd.log"))
                .unwrap_or_else(|e| panic!("cannot create the log of {}: {e}", node.name));
            let mut args: Vec<String> = vec![
                format!("--config-file={}", config.display()),
                format!("--data-root={}", node.dir.join("data").display()),
                format!("--exec-root={}", node.dir.join("exec").display()),
                format!("--pidfile={}", node.dir.join("dockerd.pid").display()),
                format!("--host={}", node.host()),
                "--storage-driver=vfs".to_string(),
                // Containers in cgroups of the bed's own, so that nothing can hide among the
                // machine's.
                format!("--cgroup-parent=/{}-{}", self.name(), node.name),
            ];
            if spec.tls_node == Some(i + 1)
                && let Some(tls) = &self.tls
            {
                let server = self.dir.join("tls");
                args.extend([
                    format!("--host=tcp://{}:2376", node.address),
                    "--tlsverify".to_string(),
                    format!("--tlscacert={}", tls.ca.display()),
                    format!("--tlscert={}", server.join("server-cert.pem").display()),
                    format!("--tlskey={}", server.join("server-key.pem").display()),
                ]);
            }
            let script = format!(
                "hostname {} && exec dockerd {}",
                node.name,
                args.iter()
                    .map(|a| format!("'{a}'"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let child = Command::new("nsenter")
                .arg(format!("--net={}", Bed::netns_path(&node.netns)))
                .args(["unshare", "--uts", "sh", "-c", &script])
                .stdin(Stdio::null())
                .stdout(
                    log.try_clone()
                        .unwrap_or_else(|e| panic!("cannot share the log: {e}")),
                )
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start dockerd for {}: {e}", node.name));
            *node.engine.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
        }
        for node in &self.nodes {
            let deadline = Instant::now() + ENGINE_START;
            loop {
                let out = node.docker_output(&["version", "--format", "{{.Server.Version}}"]);
                if out.status.success() {
                    break;
                }
                if !node.engine_running() || Instant::now() > deadline {
                    panic!(
                        "the engine of {} did not start:\n{}",
                        node.name,
                        tail(&node.dir.join("dockerd.log"), 30)
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// `docker save` each image once, `docker load` it into every node at once.
    fn load_images(&self, images: &[String]) {
        if images.is_empty() {
            return;
        }
        let tar = self.dir.join("images.tar");
        let mut save = vec!["save", "-o"];
        let tar_arg = tar.display().to_string();
        save.push(&tar_arg);
        save.extend(images.iter().map(String::as_str));
        must("docker", &save);
        std::thread::scope(|scope| {
            for node in &self.nodes {
                let tar = &tar_arg;
                scope.spawn(move || node.docker(&["load", "-q", "-i", tar]));
            }
        });
        let _ = std::fs::remove_file(&tar);
    }

    /// A CA, a server certificate for the TLS node's address and a client certificate.
    fn certificates(&self, n: usize) -> TlsFiles {
        let dir = self.dir.join("tls");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let address = format!("{SUBNET}.{}", 10 + n);
        let path = |file: &str| dir.join(file).display().to_string();
        let key = |file: &str| {
            must(
                "openssl",
                &[
                    "ecparam",
                    "-name",
                    "prime256v1",
                    "-genkey",
                    "-noout",
                    "-out",
                    &path(file),
                ],
            )
        };
        key("ca-key.pem");
        must(
            "openssl",
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &path("ca-key.pem"),
                "-subj",
                "/CN=rctb-ca",
                "-days",
                "2",
                "-out",
                &path("ca.pem"),
            ],
        );
        for (who, ext) in [
            (
                "server",
                format!("subjectAltName=IP:{address}\nextendedKeyUsage=serverAuth\n"),
            ),
            ("client", "extendedKeyUsage=clientAuth\n".to_string()),
        ] {
            key(&format!("{who}-key.pem"));
            must(
                "openssl",
                &[
                    "req",
                    "-new",
                    "-key",
                    &path(&format!("{who}-key.pem")),
                    "-subj",
                    &format!("/CN={who}"),
                    "-out",
                    &path(&format!("{who}.csr")),
                ],
            );
            std::fs::write(dir.join(format!("{who}.ext")), ext)
                .unwrap_or_else(|e| panic!("cannot write the {who} extensions: {e}"));
            must(
                "openssl",
                &[
                    "x509",
                    "-req",
                    "-in",
                    &path(&format!("{who}.csr")),
                    "-CA",
                    &path("ca.pem"),
                    "-CAkey",
                    &path("ca-key.pem"),
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-extfile",
                    &path(&format!("{who}.ext")),
                    "-out",
                    &path(&format!("{who}-cert.pem")),
                ],
            );
        }
        TlsFiles {
            host: format!("tcp://{address}:2376"),
            ca: dir.join("ca.pem"),
            cert: dir.join("client-cert.pem"),
            key: dir.join("client-key.pem"),
        }
    }

    /// sshd in node `n`'s namespace (root may log in with the bed's key; sessions talk to that
    /// node's engine), and a client configuration that trusts exactly its host key.
    fn ssh_server(&self, n: usize) -> Ssh {
        let node = &self.nodes[n - 1];
        let dir = self.dir.join("ssh");
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", bin.display()));
        let path = |file: &str| dir.join(file).display().to_string();
        for key in ["host_key", "client_key"] {
            must(
                "ssh-keygen",
                &[
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    "rctb",
                    "-f",
                    &path(key),
                ],
            );
        }
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("cannot read {file}: {e}"))
        };
        write(&dir.join("authorized_keys"), &read("client_key.pub"));
        write(
            &dir.join("known_hosts"),
            &format!("{} {}", node.address, read("host_key.pub")),
        );
        write(
            &dir.join("sshd_config"),
            &format!(
                "ListenAddress {address}\nPort 22\nHostKey {host_key}\nPidFile {pid}\n\
                 AuthorizedKeysFile {keys}\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
                 StrictModes no\nSetEnv DOCKER_HOST={host}\n",
                address = node.address,
                host_key = path("host_key"),
                pid = path("sshd.pid"),
                keys = path("authorized_keys"),
                host = node.host(),
            ),
        );
        write(
            &dir.join("ssh_config"),
            &format!(
                "Host *\n  IdentityFile {key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n\
                 \x20 GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n",
                key = path("client_key"),
                known = path("known_hosts"),
            ),
        );
        let wrapper = bin.join("ssh");
        write(
            &wrapper,
            &format!(
                "#!/bin/sh\nexec /usr/bin/ssh -F '{}' \"$@\"\n",
                path("ssh_config")
            ),
        );
        must("chmod", &["0755", &wrapper.display().to_string()]);

        let privsep = Path::new("/run/sshd");
        let made_privsep_dir = !privsep.exists();
        if made_privsep_dir {
            std::fs::create_dir_all(privsep)
                .unwrap_or_else(|e| panic!("cannot create /run/sshd: {e}"));
        }
        let log = std::fs::File::create(dir.join("sshd.log"))
            .unwrap_or_else(|e| panic!("cannot create the sshd log: {e}"));
        let server = Command::new("nsenter")
            .arg(format!("--net={}", Bed::netns_path(&node.netns)))
            .args(["/usr/sbin/sshd", "-D", "-e", "-f", &path("sshd_config")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start sshd: {e} (install Debian's openssh-server)"));
        let ssh = Ssh {
            destination: format!("root@{}", node.address),
            bin,
            server: Mutex::new(Some(server)),
            made_privsep_dir,
        };
        // Ready once a login from the client namespace works.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self
                .client_command(&wrapper)
                .args([&ssh.destination, "true"])
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run ssh: {e}"));
            if out.status.success() {
                break;
            }
            if Instant::now() > deadline {
                panic!(
                    "cannot log in to the bed's sshd: {}\n{}",
                    String::from_utf8_lossy(&out.stderr),
                    tail(&dir.join("sshd.log"), 20)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        ssh
    }

    /// `program` run in the client namespace (the user's machine), with the bed's `ssh` first
    /// in `PATH` when the bed has an ssh server.
    pub fn client_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("nsenter");
        command
            .arg(format!("--net={}", Bed::netns_path(&self.client_netns)))
            .arg("--")
            .arg(program);
        if let Some(ssh) = &self.ssh {
            let path = std::env::var("PATH").unwrap_or_default();
            command.env("PATH", format!("{}:{path}", ssh.bin.display()));
        }
        command
    }

    /// Make the nodes one swarm (node1 the manager, the others workers), once; node `n` gets
    /// the labels `labels[n-1]`.
    pub fn swarm(&self, labels: &[&[(&str, &str)]]) -> &Swarm {
        self.swarm.get_or_init(|| {
            let manager = &self.nodes[0];
            let listen = format!("{}:2377", manager.address);
            manager.docker(&[
                "swarm",
                "init",
                "--advertise-addr",
                &manager.address,
                "--listen-addr",
                &listen,
            ]);
            let token = manager.docker(&["swarm", "join-token", "-q", "worker"]);
            std::thread::scope(|scope| {
                for node in &self.nodes[1..] {
                    let (token, listen) = (&token, &listen);
                    scope.spawn(move || {
                        node.docker(&[
                            "swarm",
                            "join",
                            "--token",
                            token,
                            "--advertise-addr",
                            &node.address,
                            "--listen-addr",
                            &format!("{}:2377", node.address),
                            listen,
                        ])
                    });
                }
            });
            let node_ids: Vec<String> = self
                .nodes
                .iter()
                .map(|node| node.docker(&["info", "--format", "{{.Swarm.NodeID}}"]))
                .collect();
            for (id, labels) in node_ids.iter().zip(labels) {
                for (key, value) in labels.iter() {
                    manager.docker(&[
                        "node",
                        "update",
                        "--label-add",
                        &format!("{key}={value}"),
                        id,
                    ]);
                }
            }
            Swarm { node_ids }
        })
    }
}

impl Drop for Bed {
    /// Best effort, never panics: it also runs while a failed test unwinds.
    fn drop(&mut self) {
        if let Some(ssh) = &self.ssh {
            if let Some(mut server) = ssh.server.lock().unwrap_or_else(|p| p.into_inner()).take() {
                stop_child(&mut server, Duration::from_secs(5));
            }
            if ssh.made_privsep_dir {
                let _ = std::fs::remove_dir("/run/sshd");
            }
        }
        std::thread::scope(|scope| {
            for node in &self.nodes {
                scope.spawn(|| node.stop_engine());
            }
        });
        teardown(&self.id);
    }
}

/// The bed shared by the tests of one test binary: made by the first test that asks, removed
/// when the test binary exits (the tests are over by then).
pub fn shared(spec: &Spec) -> Arc<Bed> {
    static SHARED: Mutex<Option<Arc<Bed>>> = Mutex::new(None);
    extern "C" fn remove_shared() {
        let bed = SHARED.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(bed);
    }
    let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(bed) = shared.as_ref() {
        return bed.clone();
    }
    let bed = Arc::new(Bed::start(spec));
    // SAFETY: registers a plain function to run at exit; it only touches the mutex above.
    unsafe {
        libc::atexit(remove_shared);
    }
    *shared = Some(bed.clone());
    bed
}

/// Remove the leftovers of beds whose test process is gone.
pub fn sweep() {
    let mut ids: Vec<String> = Vec::new();
    let mut found = |name: &str| {
        if let Some(rest) = name.strip_prefix(PREFIX) {
            let id: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            if id.len() == 6 && !ids.contains(&id) {
                ids.push(id);
            }
        }
    };
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // `.new`: a bed being made (see `claim`).
            if !name.ends_with(".new") {
                found(&name);
            }
        }
    }
    for line in text(&run("ip", &["netns", "list"])).lines() {
        found(line.split_whitespace().next().unwrap_or_default());
    }
    for line in text(&run("ip", &["-o", "link", "show"])).lines() {
        // `12: rctb-1f2e-1@if2: <...`
        if let Some(name) = line.split(": ").nth(1) {
            found(name.split('@').next().unwrap_or_default());
        }
    }
    for line in text(&run("iptables", &["-S", "FORWARD"])).lines() {
        if let Some(i) = line.find("--comment ") {
            found(line[i + 10..].split_whitespace().next().unwrap_or_default());
        }
    }
    for id in ids {
        if !owner_alive(&id) {
            teardown(&id);
        }
    }
}

/// A fresh bed ID and its directory, which holds the `owner` file from the moment it exists
/// (made under another name and renamed), so that [`sweep`] never takes a bed being made.
fn claim() -> (String, PathBuf) {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let pid = std::process::id();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let id = format!(
            "{:06x}",
            (pid ^ nanos.rotate_left(7) ^ (n << 20)) & 0xff_ffff
        );
        let dir = std::env::temp_dir().join(format!("{PREFIX}{id}"));
        let links = text(&run("ip", &["-o", "link", "show"]));
        if dir.exists() || links.contains(&format!("{PREFIX}{id}")) {
            continue;
        }
        let new = std::env::temp_dir().join(format!("{PREFIX}{id}.new"));
        let _ = std::fs::remove_dir_all(&new);
        std::fs::create_dir_all(&new)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", new.display()));
        let record = format!("{pid} {}", start_time(pid).unwrap_or_default());
        write(&new.join("owner"), &record);
        if std::fs::rename(&new, &dir).is_ok() {
            return (id, dir);
        }
        let _ = std::fs::remove_dir_all(&new);
    }
}

fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // State is field 3 of stat (index 0 here); start time is field 22 (index 19).
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19).map(|s| s.to_string())
}

/// Whether the process that made bed `id` still runs (by its `owner` file: process ID and
/// start time). A bed without one is a leftover.
fn owner_alive(id: &str) -> bool {
    let record = std::env::temp_dir()
        .join(format!("{PREFIX}{id}"))
        .join("owner");
    let Ok(text) = std::fs::read_to_string(record) else {
        return false;
    };
    let mut fields = text.split_whitespace();
    let (Some(pid), Some(started)) = (
        fields.next().and_then(|p| p.parse::<u32>().ok()),
        fields.next(),
    ) else {
        return false;
    };
    start_time(pid).as_deref() == Some(started)
}

/// Remove everything named after bed `id`: processes, mounts, namespaces, links, the FORWARD
/// rule, cgroups and files. Idempotent; never panics.
fn teardown(id: &str) {
    let name = format!("{PREFIX}{id}");
    let dir = std::env::temp_dir().join(&name);
    let dir_text = dir.display().to_string();
    // Engines and sshd first, politely (they stop their containers), then whatever still runs.
    let own = processes_of(&name, &dir_text);
    let mut pidfiles: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("dockerd.pid"))
        .collect();
    pidfiles.push(dir.join("ssh").join("sshd.pid"));
    for pidfile in pidfiles {
        if let Some(pid) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
            .filter(|pid| own.contains(pid))
        {
            terminate(pid, ENGINE_STOP);
        }
    }
    for pid in processes_of(&name, &dir_text) {
        kill(pid, libc::SIGKILL);
    }
    // Mounts under the bed's directory (a crashed engine leaves some), deepest first.
    let mut mounts: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4).map(str::to_string))
        .filter(|m| m.starts_with(&format!("{dir_text}/")))
        .collect();
    mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for mount in mounts {
        let _ = run("umount", &["-l", &mount]);
    }
    for line in text(&run("ip", &["netns", "list"])).lines() {
        let netns = line.split_whitespace().next().unwrap_or_default();
        if netns.starts_with(&format!("{name}-")) {
            let _ = run("ip", &["netns", "delete", netns]);
        }
    }
    for line in text(&run("ip", &["-o", "link", "show"])).lines() {
        if let Some(link) = line.split(": ").nth(1) {
            let link = link.split('@').next().unwrap_or_default();
            if link == name || link.starts_with(&format!("{name}-")) {
                let _ = run("ip", &["link", "delete", link]);
            }
        }
    }
    let rule = forward_rule(&name);
    for _ in 0..10 {
        let with = |action: &str| {
            let mut args = vec![action, "FORWARD"];
            args.extend(rule.iter().map(String::as_str));
            run("iptables", &args)
        };
        if !with("-C").status.success() {
            break;
        }
        let _ = with("-D");
    }
    remove_cgroups(&name);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The FORWARD rule (after the chain name) that lets bridge `name` forward its frames, marked
/// with the bed's name.
pub fn forward_rule(name: &str) -> Vec<String> {
    [
        "-i",
        name,
        "-o",
        name,
        "-m",
        "comment",
        "--comment",
        name,
        "-j",
        "ACCEPT",
    ]
    .map(String::from)
    .to_vec()
}

/// IDs of processes that belong to bed `name`: in its cgroups, in its namespaces, or naming
/// its directory on their command line.
fn processes_of(name: &str, dir: &str) -> Vec<i32> {
    let netns_inodes: Vec<u64> = std::fs::read_dir("/var/run/netns")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{name}-"))
        })
        .filter_map(|e| std::fs::metadata(e.path()).ok())
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .collect();
    let own = std::process::id() as i32;
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == own {
            continue;
        }
        let proc_dir = entry.path();
        let cgroup = std::fs::read_to_string(proc_dir.join("cgroup")).unwrap_or_default();
        let cmdline = std::fs::read(proc_dir.join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let netns = std::fs::metadata(proc_dir.join("ns/net"))
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap_or(0);
        if cgroup.contains(&format!("/{name}-"))
            || cmdline.contains(dir)
            || netns_inodes.contains(&netns)
        {
            pids.push(pid);
        }
    }
    pids
}

/// Remove the bed's cgroups (empty once its processes are gone), deepest first.
fn remove_cgroups(name: &str) {
    let Ok(controllers) = std::fs::read_dir("/sys/fs/cgroup") else {
        return;
    };
    for controller in controllers.flatten() {
        let Ok(entries) = std::fs::read_dir(controller.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(&format!("{name}-"))
            {
                remove_cgroup(&entry.path());
            }
        }
    }
}

fn remove_cgroup(path: &Path) {
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup(&entry.path());
            }
        }
    }
    // cgroup directories are removed with rmdir, their files go with them.
    let _ = std::fs::remove_dir(path);
}

/// SIGTERM `pid`, wait up to `patience` for it to go, then SIGKILL it.
fn terminate(pid: i32, patience: Duration) {
    kill(pid, libc::SIGTERM);
    let deadline = Instant::now() + patience;
    while start_time(pid as u32).is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    kill(pid, libc::SIGKILL);
}

/// Stop a child of this process: SIGTERM, wait up to `patience`, then SIGKILL; reaped.
fn stop_child(child: &mut Child, patience: Duration) {
    if let Ok(None) = child.try_wait() {
        kill(child.id() as i32, libc::SIGTERM);
        let deadline = Instant::now() + patience;
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
    }
    let _ = child.wait();
}

fn kill(pid: i32, signal: i32) {
    // SAFETY: kill(2) has no memory effects; the PID belongs to the bed.
    unsafe {
        libc::kill(pid, signal);
    }
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| Output {
            status: std::os::unix::process::ExitStatusExt::from_raw(127 << 8),
            stdout: Vec::new(),
            stderr: format!("cannot run {program}: {e}").into_bytes(),
        })
}

/// Run a command that must succeed; its stdout.
fn must(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    if !out.status.success() {
        panic!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    text(&out)
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(path: &Path, content: &str) {
    std::fs::write(path, content)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The last `lines` lines of a log file.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What exists of bed `id` on the machine: namespaces, links, FORWARD rules, cgroups, files
/// and processes, one line each (empty once it is all gone).
pub fn leftovers(id: &str) -> Vec<String> {
    let name = format!("{PREFIX}{id}");
    let dir = std::env::temp_dir().join(&name);
    let mut found = Vec::new();
    for line in text(&run("ip", &["netns", "list"])).lines() {
        if line.starts_with(&format!("{name}-")) {
            found.push(format!("namespace {line}"));
        }
    }
    for line in text(&run("ip", &["-o", "link", "show"])).lines() {
        if let Some(link) = line.split(": ").nth(1) {
            let link = link.split('@').next().unwrap_or_default();
            if link == name || link.starts_with(&format!("{name}-")) {
                found.push(format!("link {link}"));
            }
        }
    }
    for line in text(&run("iptables", &["-S", "FORWARD"])).lines() {
        if line.contains(&name) {
            found.push(format!("iptables rule {line}"));
        }
    }
    for controller in std::fs::read_dir("/sys/fs/cgroup")
        .into_iter()
        .flatten()
        .flatten()
    {
        for entry in std::fs::read_dir(controller.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(&format!("{name}-"))
            {
                found.push(format!("cgroup {}", entry.path().display()));
            }
        }
    }
    if dir.exists() {
        found.push(format!("directory {}", dir.display()));
    }
    for pid in processes_of(&name, &dir.display().to_string()) {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        found.push(format!("process {pid} {cmdline}"));
    }
    found
}
