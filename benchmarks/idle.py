"""Whole-app idle budget: megam-tui watching the full testbed, side by side with glances.

    python benchmarks/idle.py [--window 60] [--refresh 2] [--containers 200] [--skip glances]

Makes sure the testbed has N extra sleeping containers (docker.sh many N), one extra
running scratch VM (removed at the end), Ceph, and the three good SSH hosts. Then, one
window after the other (same length), every tool window between two baseline windows:
  baseline    nothing watching: the engines' own CPU
  megam-tui   the real app in tmux (160x50), a config with docker + ceph + libvirt +
              node1..3 at the given refresh (--rounds times, started anew each time)
  glances     `glances -t <refresh>` in tmux (Debian package; its docker plugin on)
and prints, per window, CPU % of one core of the tool's process tree, the extra engine
CPU it causes (dockerd+containerd, ceph daemons, libvirtd, the testbed sshds and their
session processes; window minus the mean of the baselines just before and after it: the
engines' own CPU drifts, e.g. Ceph's housekeeping, and this cancels a steady drift), the
total, the tool's RSS, and megam-tui's mean over its rounds. Target: megam-tui
total <= 1 % of a core. Other work on the machine adds noise to the engine columns: the
1-minute load average is printed with each window.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import CpuMeter, Sample, engine_processes, tree  # noqa: E402
from _tmux import TmuxSession  # noqa: E402

TESTBED = Path(os.environ.get("MEGAM_TESTBED_DIR", REPO / ".testbed"))
ENV = dict(os.environ, DOCKER_API_VERSION="1.41")
URI = "qemu:///system"


def sh(*argv: str, check: bool = True, timeout: float = 600) -> str:
    res = subprocess.run(list(argv), capture_output=True, text=True, env=ENV, timeout=timeout)
    if check and res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {res.stderr.strip()[-400:]}")
    return res.stdout


def testbed(engine: str, *args: str) -> None:
    sh("bash", str(REPO / "scripts" / "testbed" / f"{engine}.sh"), *args)


def scratch_vm() -> str:
    name = f"megam-bench-{secrets.token_hex(3)}"
    kind = "kvm" if os.path.exists("/dev/kvm") else "qemu"
    xml = (f"<domain type='{kind}'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
           "<os><type arch='x86_64'>hvm</type><bios rebootTimeout='-1'/></os><devices/></domain>")
    subprocess.run(["virsh", "-c", URI, "define", "/dev/stdin"], input=xml, text=True, capture_output=True, check=True)
    sh("virsh", "-c", URI, "start", name)
    # no OS to boot: the firmware spins (~30 % of a core) for its first seconds, then idles
    # (~1 %); rebootTimeout=-1 keeps it from rebooting, and it settles before any baseline
    time.sleep(20)
    return name


def remove_vm(name: str) -> None:
    sh("virsh", "-c", URI, "destroy", name, check=False)
    sh("virsh", "-c", URI, "undefine", name, check=False)


LAYERS = ("docker", "ceph", "libvirt", "ssh")
DRIFT_MAX = 0.1  # % of a core: a window whose two neighbouring baselines are further apart is unsteady


def write_config(path: Path, refresh: float, home: Path, only: str | None = None) -> None:
    import yaml

    ssh = yaml.safe_load((TESTBED / "ssh.yaml").read_text())["ssh"]
    ssh["hosts"] = [h for h in ssh["hosts"] if h["name"] in ("node1", "node2", "node3")]
    cfg = {
        "refresh": f"{refresh:g}s",
        "docker": yaml.safe_load((TESTBED / "docker.yaml").read_text())["docker"],
        "ceph": yaml.safe_load((TESTBED / "ceph.yaml").read_text())["ceph"],
        "libvirt": yaml.safe_load((TESTBED / "libvirt.yaml").read_text())["libvirt"],
        "ssh": ssh,
    }
    if only is not None:  # one layer alone (the others absent; no local host row)
        cfg = {"refresh": cfg["refresh"], only: cfg[only]}
        cfg.setdefault("ssh", {"hosts": []})["include_local"] = False
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def engines_cpu_meter() -> CpuMeter:
    return CpuMeter(lambda: [p for procs in engine_processes(TESTBED).values() for p in procs])


def per_engine(window: float) -> dict[str, float]:
    """CPU % of each engine group over the window (measured in parallel threads)."""
    import threading

    out: dict[str, float] = {}
    groups = ("docker", "ceph", "libvirt", "sshd")

    def run(g: str) -> None:
        out[g] = CpuMeter(lambda: engine_processes(TESTBED)[g]).run(window)

    threads = [threading.Thread(target=run, args=(g,)) for g in groups]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def measure(window: float, tool_pid: int | None) -> dict:
    import threading

    res: dict = {"load1": os.getloadavg()[0]}
    rss_peak = [0]

    def tool() -> None:
        if tool_pid is None:
            return
        res["cpu"] = CpuMeter(lambda: tree(tool_pid)).run(window)

    def rss() -> None:
        end = time.monotonic() + window
        while time.monotonic() < end and tool_pid is not None:
            rss_peak[0] = max(rss_peak[0], Sample.of(tree(tool_pid)).rss)
            time.sleep(2)

    threads = [threading.Thread(target=tool), threading.Thread(target=rss)]
    for t in threads:
        t.start()
    res["engines"] = per_engine(window)
    for t in threads:
        t.join()
    res["rss_mb"] = rss_peak[0] / 2**20
    return res


def run_in_tmux(argv: list[str], ready, window: float, settle: float, env: dict[str, str] | None = None) -> dict:
    s = TmuxSession(argv, env=env)
    try:
        t = s.wait_for(ready, timeout=90, interval=0.5)
        if t is None:
            raise SystemExit(f"{argv[0]} did not show its data within 90 s:\n{s.screen()}")
        time.sleep(settle)
        pid = s.pane_pid()
        out = measure(window, pid)
        out["ready_s"] = t
        out["screen"] = s.screen()
        return out
    finally:
        s.kill()


def sandwich(results: dict, order: list[str]) -> dict[str, dict]:
    """Each tool window against the baselines just before and just after it.

    order is the run order, baselines named "baseline N". Returns, per tool window, the
    extra engine CPU per group (window minus the mean of its two neighbours) and the
    groups whose neighbours differ by more than DRIFT_MAX (the engine drifted meanwhile).
    """
    out: dict[str, dict] = {}
    for i, name in enumerate(order):
        if name.startswith("baseline"):
            continue
        before, after = results[order[i - 1]]["engines"], results[order[i + 1]]["engines"]
        extra = {g: results[name]["engines"][g] - (before[g] + after[g]) / 2 for g in before}
        drift = {g: after[g] - before[g] for g in before if abs(after[g] - before[g]) > DRIFT_MAX}
        out[name] = {"extra": extra, "drift": drift}
    return out


def total_of(cpu: float, extra: dict[str, float]) -> tuple[float, float]:
    """(engines caused, total): a tool cannot make an engine cheaper, a negative mean difference is noise, counted as 0."""
    caused = sum(max(0.0, v) for v in extra.values())
    return caused, cpu + caused


def at_least_one(text: str) -> int:
    """--rounds: the mean needs at least one megam-tui window."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


ENGINE_COLS = (("docker", 8), ("ceph", 7), ("libvirt", 8), ("sshd", 6))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=float, default=60.0)
    ap.add_argument("--refresh", type=float, default=2.0)
    ap.add_argument("--settle", type=float, default=30.0,
                    help="s between the first frame and the window: start-up work (imports after the "
                         "first frame, first full stats pass) is startup.py's, this is the steady state")
    ap.add_argument("--containers", type=int, default=200)
    ap.add_argument("--rounds", type=at_least_one, default=2,
                    help="megam-tui windows, each between two baseline windows (their mean is reported)")
    ap.add_argument("--skip", default="", help="comma list: glances")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--breakdown", action="store_true", help="also run megam-tui with each layer alone")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    print(f"setting up: {args.containers} containers, +1 running VM, ceph, node1..3", flush=True)
    testbed("docker", "many", str(args.containers))
    for e in ("ceph", "libvirt", "ssh"):
        testbed(e, "status")
    vm = scratch_vm()
    work = Path(tempfile.mkdtemp(prefix="megam-idle-"))
    results: dict[str, dict] = {}
    order: list[str] = []

    def baseline() -> None:
        name = f"baseline {sum(n.startswith('baseline') for n in order) + 1}"
        print(f"{name} ...", flush=True)
        results[name] = measure(args.window, None)
        order.append(name)

    def tool(name: str, argv: list[str], ready, env: dict[str, str]) -> None:
        print(f"{name} ...", flush=True)
        results[name] = run_in_tmux(argv, ready, args.window, args.settle, env=env)
        order.append(name)
        baseline()  # every tool window sits between two baselines

    try:
        cfg = work / "megam.yaml"
        write_config(cfg, args.refresh, work / "home")
        n_running = len(sh("docker", "ps", "-q").split())
        vms = [v for v in sh("virsh", "-c", URI, "list", "--all", "--name").split() if v]
        print(f"watching: {n_running} running containers, {len(vms)} VMs, ceph lab, 3 ssh hosts; "
              f"window {args.window:g} s, refresh {args.refresh:g} s, {args.rounds} megam-tui rounds", flush=True)
        env = {"MEGAM_HOME": str(work / "home"), "TERM": "xterm-256color", "PYTHONPATH": str(REPO)}
        baseline()
        for i in range(1, args.rounds + 1):
            tool(f"megam-tui #{i}", [sys.executable, "-m", "megam_tui", "--config", str(cfg)],
                 lambda scr: "many-" in scr and "HEALTH_" in scr and "node3" in scr, env)
        if args.breakdown:
            ready = {"docker": "many-", "ceph": "HEALTH_", "libvirt": "megam-vm1", "ssh": "node3"}
            for layer in LAYERS:
                one = work / f"{layer}.yaml"
                write_config(one, args.refresh, work / "home", only=layer)
                tool(f"only {layer}", [sys.executable, "-m", "megam_tui", "--config", str(one)],
                     lambda scr, w=ready[layer]: w in scr, env)
        if "glances" not in skip and shutil.which("glances"):
            tool("glances", ["glances", "-t", f"{args.refresh:g}"],
                 lambda scr: "CONTAINERS" in scr.upper() or "many-" in scr, {"TERM": "xterm-256color"})
    finally:
        remove_vm(vm)
        shutil.rmtree(work, ignore_errors=True)

    diffs = sandwich(results, order)
    print()
    print(f"{'window':<14} {'own CPU%':>8} {'dockerd':>8} {'ceph':>7} {'libvirt':>8} {'sshd':>6} {'engines+':>9} {'TOTAL%':>7} {'RSS MB':>7} {'load1':>6}")
    for name in order:
        r = results[name]
        if name.startswith("baseline"):
            b = r["engines"]
            print(f"{name:<14} {'-':>8} " + " ".join(f"{b[g]:>{w}.2f}" for g, w in ENGINE_COLS)
                  + f" {'-':>9} {'-':>7} {'-':>7} {r['load1']:>6.2f}")
            continue
        extra = r["engines_extra"] = diffs[name]["extra"]
        caused, r["total"] = total_of(r["cpu"], extra)
        flag = "  UNSTEADY: " + ", ".join(f"{g} {v:+.2f}" for g, v in diffs[name]["drift"].items()) if diffs[name]["drift"] else ""
        print(f"{name:<14} {r['cpu']:>8.2f} " + " ".join(f"{extra[g]:>+{w}.2f}" for g, w in ENGINE_COLS)
              + f" {caused:>+9.2f} {r['total']:>7.2f} {r['rss_mb']:>7.0f} {r['load1']:>6.2f}{flag}")
    rounds = [n for n in order if n.startswith("megam-tui #")]
    cpu = sum(results[n]["cpu"] for n in rounds) / len(rounds)
    extra = {g: sum(results[n]["engines_extra"][g] for n in rounds) / len(rounds) for g, _ in ENGINE_COLS}
    caused, total = total_of(cpu, extra)
    results["megam-tui"] = {"cpu": cpu, "engines_extra": extra, "total": total, "rounds": len(rounds)}
    print(f"{'megam-tui mean':<14} {cpu:>8.2f} " + " ".join(f"{extra[g]:>+{w}.2f}" for g, w in ENGINE_COLS)
          + f" {caused:>+9.2f} {total:>7.2f}   (mean of {len(rounds)} rounds)")
    print("\n(engine columns: CPU % of one core during the window minus the mean of the baseline windows just before "
          "and just after it; engines+ and TOTAL count negative differences as 0; UNSTEADY: those two baselines "
          f"differ by more than {DRIFT_MAX:g} on an engine, so that window's engine columns are not reliable)")
    steady = [n for n in rounds if not diffs[n]["drift"]]
    print(f"megam-tui total {total:.2f} % of a core (mean of {len(rounds)} rounds, {len(steady)} steady): "
          f"{'within' if total <= 1.0 else 'OVER'} the 1 % budget")
    if args.json:
        Path(args.json).write_text(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "screen"} for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
