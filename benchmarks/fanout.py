"""Fan-out benchmark: one metrics refresh over N SSH hosts, megam vs a sequential ssh loop.

Hosts: node1..3 of the testbed, up to 50 extra sshd listeners (`ssh.sh many N`,
127.0.1.x) and the silent host (TCP connects, no SSH banner ever). Per-host
deadline = the testbed's ssh timeout (3 s).

    .venv/bin/python benchmarks/fanout.py [--extra 50] [--rounds 3] [--no-sequential]

megam: SshLayer.probe_all() - every host in parallel over one pooled connection
each, ONE /proc command per host. Round 1 is cold (connect + auth), later rounds
reuse the connections; the silent host is in back-off after its first failure
(fails at once until the back-off expires), so a "--fresh-silent" round drops
its back-off to show the worst case again.
Baseline: `ssh -o BatchMode=yes ... host cat /proc/loadavg` once per host, one
after the other (a new connection each time), as a shell loop would.
Expected: megam total ~ slowest healthy host (cold: ~ the silent host's
deadline, never more than deadline + slack); sequential ~ N x one ssh + deadline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from megam_tui.backends.ssh import SshLayer  # noqa: E402
from megam_tui.settings import HostSpec, Settings  # noqa: E402

TESTBED = Path(os.environ.get("MEGAM_TESTBED_DIR", REPO / ".testbed"))
SSH_SH = REPO / "scripts" / "testbed" / "ssh.sh"


def load_hosts(extra: int) -> tuple[list[HostSpec], Settings, float]:
    frag_path = TESTBED / "ssh.yaml"
    if not frag_path.exists() or subprocess.run(["bash", str(SSH_SH), "status"], capture_output=True).returncode:
        subprocess.run(["bash", str(SSH_SH), "up"], check=True)
    many_path = TESTBED / "ssh" / "many.yaml"
    have = len((yaml.safe_load(many_path.read_text()) or {}).get("hosts", [])) if many_path.exists() else -1
    if have != extra:
        subprocess.run(["bash", str(SSH_SH), "many", str(extra)], check=True)
    frag = yaml.safe_load(frag_path.read_text())["ssh"]
    timeout = float(str(frag.get("timeout", "3s")).rstrip("s"))
    base = {h["name"]: h for h in frag["hosts"]}
    many = (yaml.safe_load(many_path.read_text()) or {}).get("hosts", []) if extra else []
    chosen = [base["node1"], base["node2"], base["node3"], *many, base["silent"]]
    specs = [HostSpec(**h, timeout=timeout) for h in chosen]
    settings = Settings(
        ssh_hosts=tuple(specs),
        ssh_known_hosts=frag["known_hosts"],
        ssh_config=frag["config"],
        ssh_include_local=False,
    )
    return specs, settings, timeout


def megam_round(layer: SshLayer, timeout: float) -> dict:
    durations: dict[str, float] = {}
    real_probe = layer.probe

    def timed(name: str, t: float | None = None):
        start = time.monotonic()
        try:
            return real_probe(name, t)
        finally:
            durations[name] = time.monotonic() - start

    layer.probe = timed  # type: ignore[method-assign]
    start = time.monotonic()
    cpu0 = time.process_time()
    hosts = layer.probe_all(timeout)
    total = time.monotonic() - start
    cpu = time.process_time() - cpu0
    layer.probe = real_probe  # type: ignore[method-assign]
    ok = [h for h in hosts if h.reachable]
    healthy = [durations[h.name] for h in ok if h.name in durations]
    silent = next(h for h in hosts if h.name == "silent")
    return {
        "total": total,
        "cpu": cpu,
        "ok": len(ok),
        "n": len(hosts),
        "slowest_healthy": max(healthy) if healthy else float("nan"),
        "median_healthy": statistics.median(healthy) if healthy else float("nan"),
        "silent": durations.get("silent", float("nan")),
        "silent_kind": silent.error_kind,
    }


def sequential(specs: list[HostSpec], settings: Settings, timeout: float) -> dict:
    per: dict[str, float] = {}
    ok = 0
    start = time.monotonic()
    for s in specs:
        known = s.known_hosts or settings.ssh_known_hosts
        argv = [
            "ssh", "-F", str(settings.ssh_config), "-o", "BatchMode=yes", "-o", f"ConnectTimeout={int(timeout)}",
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known}",
            "-i", str(s.identity_file), "-p", str(s.port), f"{s.user}@{s.address}", "cat", "/proc/loadavg",
        ]
        t0 = time.monotonic()
        try:
            res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 5)
            ok += res.returncode == 0
        except subprocess.TimeoutExpired:
            pass
        per[s.name] = time.monotonic() - t0
    total = time.monotonic() - start
    healthy = [v for k, v in per.items() if k != "silent"]
    return {
        "total": total,
        "ok": ok,
        "n": len(specs),
        "slowest_healthy": max(healthy),
        "median_healthy": statistics.median(healthy),
        "silent": per.get("silent", float("nan")),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extra", type=int, default=50, help="extra sshd hosts (0..50)")
    ap.add_argument("--rounds", type=int, default=3, help="megam rounds (first is cold)")
    ap.add_argument("--no-sequential", action="store_true", help="skip the ssh loop baseline")
    args = ap.parse_args()
    extra = max(0, min(50, args.extra))
    specs, settings, timeout = load_hosts(extra)
    print(f"hosts: 3 real + {extra} extra sshd + 1 silent = {len(specs)}; per-host deadline {timeout:g} s; "
          f"{os.cpu_count()} CPUs")
    layer = SshLayer(settings)
    rows = []
    try:
        for i in range(args.rounds):
            r = megam_round(layer, timeout)
            rows.append((f"megam parallel, round {i + 1} ({'cold' if i == 0 else 'warm'})", r))
        # worst case again: the silent host out of back-off, pooled connections kept
        entry = layer.pool._entry("silent")
        entry.retry_at = 0.0
        rows.append(("megam parallel, warm + silent retried", megam_round(layer, timeout)))
    finally:
        layer.stop()
    if not args.no_sequential:
        rows.append(("sequential `ssh host cat /proc/loadavg`", sequential(specs, settings, timeout)))

    head = f"{'':44} {'total s':>8} {'ok/n':>7} {'slowest ok s':>13} {'median ok s':>12} {'silent s':>9} {'cpu s':>6}"
    print(head)
    print("-" * len(head))
    for label, r in rows:
        cpu = f"{r['cpu']:6.2f}" if "cpu" in r else f"{'':>6}"
        print(
            f"{label:44} {r['total']:8.2f} {r['ok']:>3}/{r['n']:<3} {r['slowest_healthy']:13.3f} "
            f"{r['median_healthy']:12.3f} {r['silent']:9.2f} {cpu}"
        )
    worst = max(r["total"] for label, r in rows if label.startswith("megam"))
    limit = timeout + 2.0
    print(f"\nmegam worst round {worst:.2f} s vs limit deadline + 2 s = {limit:.2f} s: {'OK' if worst <= limit else 'OVER'}")
    return 0 if worst <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
