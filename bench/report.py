#!/usr/bin/env python3
"""The table of bench/run.sh (bench/README.md): reads the driver's JSON files and run facts of one
run directory, prints the table, optionally writes bench/RESULTS.md and checks that every scenario
got verified answers (--check, the smoke run).

Files in --dir: portcullis-<ALG>-<USERS>.json / .meta and peer-<ALG>.json / .meta, where the JSON is
load.mjs's LOAD_JSON (or bench/smoke.py's, same shape) and .meta holds key=value lines.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import subprocess
import sys

NAMES = {
    "discovery": "discovery",
    "jwks": "JWKS",
    "cc": "client_credentials",
    "refresh": "refresh_token (rotating)",
    "introspect": "introspection",
    "userinfo": "userinfo",
    "codeflow": "code flow with a session (per flow)",
    "password": "password grant",
}


def load_run(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    meta = {}
    meta_path = path[: -len(".json")] + ".meta"
    if os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    meta[k] = v
    return {"rows": {r["scenario"]: r for r in data.get("rows", [])}, "data": data, "meta": meta}


def fmt(x, digits=1):
    if x is None:
        return "n/a"
    if isinstance(x, float) and x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}" if isinstance(x, float) else f"{x:,}"


def ratio(ours, theirs):
    if not ours or not theirs:
        return "n/a"
    return f"{theirs / ours:.2f}x"


def table(ours, peer, scenarios, alg):
    out = [
        f"| scenario | Portcullis server CPU µs/req ({alg}) | reference µs/req | ratio | "
        "p50 ms (P / ref) | p99 ms (P / ref) | req/s (P / ref) |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in scenarios:
        o = ours["rows"].get(s) if ours else None
        p = peer["rows"].get(s) if peer else None
        if not o and not p:
            continue
        g = lambda r, k: (r or {}).get(k)  # noqa: E731
        unit = "flows/s" if (o or p or {}).get("unit") == "flow" else ""
        out.append(
            f"| {NAMES.get(s, s)} | {fmt(g(o, 'cpu_us_per_ok'))} | {fmt(g(p, 'cpu_us_per_ok'))} | "
            f"{ratio(g(o, 'cpu_us_per_ok'), g(p, 'cpu_us_per_ok'))} | "
            f"{fmt(g(o, 'latency_ms_p50'), 2)} / {fmt(g(p, 'latency_ms_p50'), 2)} | "
            f"{fmt(g(o, 'latency_ms_p99'), 2)} / {fmt(g(p, 'latency_ms_p99'), 2)} | "
            f"{fmt(g(o, 'req_per_s'))} / {fmt(g(p, 'req_per_s'))} {unit}|"
        )
    return "\n".join(out)


def scale_table(small, large, scenarios, alg, n_small, n_large):
    out = [
        f"| scenario ({alg}) | req/s at {n_small:,} users | req/s at {n_large:,} | change | "
        f"µs/req at {n_small:,} | µs/req at {n_large:,} |",
        "|---|---|---|---|---|---|",
    ]
    for s in scenarios:
        a, b = small["rows"].get(s), large["rows"].get(s)
        if not a or not b:
            continue
        change = "n/a"
        if a.get("req_per_s"):
            change = f"{100.0 * (b['req_per_s'] - a['req_per_s']) / a['req_per_s']:+.1f}%"
        out.append(
            f"| {NAMES.get(s, s)} | {fmt(a.get('req_per_s'))} | {fmt(b.get('req_per_s'))} | {change} | "
            f"{fmt(a.get('cpu_us_per_ok'))} | {fmt(b.get('cpu_us_per_ok'))} |"
        )
    return "\n".join(out)


def footprint(runs):
    out = ["| server | start to first discovery answer | RSS idle | RSS right after the scenarios | RSS 5 s later |", "|---|---|---|---|---|"]
    for name, run in sorted(runs.items()):
        m = run["meta"]
        if not m:
            continue
        mb = lambda k: f"{int(m[k]) / 1024:.1f} MB" if m.get(k, "").isdigit() else "n/a"  # noqa: E731
        out.append(f"| {name} | {m.get('start_ms', 'n/a')} ms | {mb('rss_idle_kib')} | {mb('rss_after_kib')} | {mb('rss_settled_kib')} |")
    return "\n".join(out)


def check(runs, scenarios):
    """Every Portcullis run answered every scenario with verified answers only."""
    bad = []
    for name, run in sorted(runs.items()):
        rows, data = run["rows"], run["data"]
        for f in data.get("failed", []):
            bad.append(f"{name}: {f.get('scenario')}: {f.get('error')}")
        for s in scenarios:
            r = rows.get(s)
            if r is None:
                if name.startswith("portcullis"):
                    bad.append(f"{name}: {s}: no result (skipped or failed)")
                continue
            if not r.get("ok_2xx") or r.get("non_2xx") or r.get("errors") or r.get("invalid"):
                bad.append(
                    f"{name}: {s}: ok {r.get('ok_2xx')}, non-2xx {r.get('non_2xx')}, errors {r.get('errors')}, "
                    f"invalid {r.get('invalid')} {r.get('first_failure', '')}"
                )
    return bad


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "n/a"


def machine():
    cpu = "n/a"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores",
        f"- Kernel: {platform.system()} {platform.release()}",
        f"- {sh(['rustc', '--version'])}; Node {sh(['node', '--version'])}",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--backend", default="sqlite")
    ap.add_argument("--connections", default="10")
    ap.add_argument("--duration", default="10")
    ap.add_argument("--results")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    scenarios = a.scenarios.split(",")
    runs = {os.path.basename(p)[: -len(".json")]: load_run(p) for p in glob.glob(os.path.join(a.dir, "*.json"))}
    if not runs:
        print("bench: no results", file=sys.stderr)
        return 1
    algs = sorted({n.split("-")[1] for n in runs if n.startswith("portcullis-")}, reverse=False)
    sections = []
    for alg in algs:
        ours, peer = runs.get(f"portcullis-{alg}-1"), runs.get(f"peer-{alg}")
        sections.append(f"### Access tokens {alg}\n\n" + table(ours, peer, scenarios, alg))
        sizes = sorted(int(n.rsplit("-", 1)[1]) for n in runs if n.startswith(f"portcullis-{alg}-") and not n.endswith("-1"))
        if len(sizes) >= 2:
            sections.append(
                f"### Scale, access tokens {alg}\n\n"
                + scale_table(runs[f"portcullis-{alg}-{sizes[0]}"], runs[f"portcullis-{alg}-{sizes[-1]}"], scenarios, alg, sizes[0], sizes[-1])
            )
    sections.append("### Footprint and start\n\n" + footprint(runs))
    text = "\n\n".join(sections)
    print(text)
    status = 0
    if a.check:
        bad = check(runs, scenarios)
        for b in bad:
            print(f"bench smoke: {b}", file=sys.stderr)
        if bad:
            status = 1
        else:
            print(f"bench smoke: every scenario got verified answers ({', '.join(sorted(runs))})", file=sys.stderr)
    if a.results:
        speed = sh(["openssl", "speed", "-seconds", "1", "rsa2048", "ecdsap256", "ed25519"])
        speed = "\n".join(l for l in speed.splitlines() if l.strip() and not l.startswith(("Doing", "version", "built", "options", "compiler", "CPUINFO")))
        doc = [
            "# Benchmark results",
            "",
            "Written by `bench/run.sh` (bench/README.md). Both servers ran on this machine in one run, driven in turn",
            f"by the same driver (the peer's `load.mjs`) at {a.connections} connections for {a.duration} s per scenario,",
            "alternating which went first; only verified answers count. Server CPU per request is read from",
            "/proc/PID/stat over the measured window. The machine is shared (other builds ran during the",
            "measurements), so absolute rates are noisy: compare CPU µs per request, and the two servers of one",
            "run. Ratio = reference µs / Portcullis µs (above 1: Portcullis spends less CPU per answer).",
            "",
            f"Backend: {a.backend}. Raw numbers: `{a.dir}`.",
            "",
            "## Machine",
            "",
            *machine(),
            "",
            "## Results",
            "",
            text,
            "",
            "## Ceilings (`openssl speed -seconds 1 rsa2048 ecdsap256 ed25519`)",
            "",
            "```",
            speed,
            "```",
            "",
        ]
        notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
        if os.path.exists(notes):  # the targets, read against these figures (kept across runs)
            with open(notes, encoding="utf-8") as f:
                doc += ["", f.read()]
        with open(a.results, "w", encoding="utf-8") as f:
            f.write("\n".join(doc))
        print(f"bench: wrote {a.results}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
