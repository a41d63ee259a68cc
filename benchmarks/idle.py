"""Whole-app idle budget: megam-tui watching the full testbed, side by side with glances.

    python benchmarks/idle.py [--window 60] [--refresh 2] [--containers 200] [--skip glances]

Makes sure the testbed has N extra sleeping containers (docker.sh many N), one extra
running scratch VM (removed at the end), Ceph, and the three good SSH hosts. Then, one
window after the other (same length):
  baseline    nothing watching: the engines' own CPU (measured again at the end; the mean is used)
  megam-tui   the real app in tmux (160x50), a config with docker + ceph + libvirt +
              node1..3 at the given refresh
  glances     `glances -t <refresh>` in tmux (Debian package; its docker plugin on)
and prints, per tool, CPU % of one core of its process tree, the extra engine CPU it
causes (dockerd+containerd, ceph daemons, libvirtd, the testbed sshds and their session
processes; window minus baseline), the total, and the tool's RSS. Target: megam-tui
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
DRIFT_MAX = 0.1  # % of a core: two baselines further apart than this make a run unsteady


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=float, default=60.0)
    ap.add_argument("--refresh", type=float, default=2.0)
    ap.add_argument("--settle", type=float, default=30.0,
                    help="s between the first frame and the window: start-up work (imports after the "
                         "first frame, first full stats pass) is startup.py's, this is the steady state")
    ap.add_argument("--containers", type=int, default=200)
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
    try:
        cfg = work / "megam.yaml"
        write_config(cfg, args.refresh, work / "home")
        n_running = len(sh("docker", "ps", "-q").split())
        vms = [v for v in sh("virsh", "-c", URI, "list", "--all", "--name").split() if v]
        print(f"watching: {n_running} running containers, {len(vms)} VMs, ceph lab, 3 ssh hosts; "
              f"window {args.window:g} s, refresh {args.refresh:g} s", flush=True)

        print("baseline ...", flush=True)
        results["baseline"] = measure(args.window, None)

        print("megam-tui ...", flush=True)
        env = {"MEGAM_HOME": str(work / "home"), "TERM": "xterm-256color"}
        results["megam-tui"] = run_in_tmux(
            [sys.executable, "-m", "megam_tui", "--config", str(cfg)],
            lambda scr: "many-" in scr and "HEALTH_" in scr and "node3" in scr,
            args.window, args.settle, env={**env, "PYTHONPATH": str(REPO)},
        )

        if args.breakdown:
            ready = {"docker": "many-", "ceph": "HEALTH_", "libvirt": "megam-vm1", "ssh": "node3"}
            for layer in LAYERS:
                print(f"megam-tui, {layer} only ...", flush=True)
                one = work / f"{layer}.yaml"
                write_config(one, args.refresh, work / "home", only=layer)
                results[f"only {layer}"] = run_in_tmux(
                    [sys.executable, "-m", "megam_tui", "--config", str(one)],
                    lambda scr, w=ready[layer]: w in scr, args.window, args.settle,
                    env={**env, "PYTHONPATH": str(REPO)},
                )

        if "glances" not in skip and shutil.which("glances"):
            print("glances ...", flush=True)
            results["glances"] = run_in_tmux(
                ["glances", "-t", f"{args.refresh:g}"],
                lambda scr: "CONTAINERS" in scr.upper() or "many-" in scr,
                args.window, args.settle, env={"TERM": "xterm-256color"},
            )
        # the engines' own CPU drifts (Ceph's housekeeping, the machine): a second
        # baseline after the tools, and the mean of the two is what they are compared with
        print("baseline again ...", flush=True)
        results["baseline 2"] = measure(args.window, None)
    finally:
        remove_vm(vm)
        shutil.rmtree(work, ignore_errors=True)

    before, after = results["baseline"]["engines"], results["baseline 2"]["engines"]
    base = {g: (before[g] + after[g]) / 2 for g in before}
    print()
    print(f"{'tool':<12} {'own CPU%':>8} {'dockerd':>8} {'ceph':>7} {'libvirt':>8} {'sshd':>6} {'engines+':>9} {'TOTAL%':>7} {'RSS MB':>7} {'load1':>6}")
    for name in ("baseline", "baseline 2"):
        b = results[name]["engines"]
        print(f"{name:<12} {'-':>8} " + " ".join(f"{b[g]:>{w}.2f}" for g, w in (("docker", 8), ("ceph", 7), ("libvirt", 8), ("sshd", 6)))
              + f" {'-':>9} {'-':>7} {'-':>7} {results[name]['load1']:>6.2f}")
    for name in ("megam-tui", *(f"only {layer}" for layer in LAYERS), "glances"):
        r = results.get(name)
        if not r:
            continue
        extra = {g: r["engines"][g] - base[g] for g in base}
        r["engines_extra"] = extra
        # a tool cannot make an engine cheaper: a negative difference is noise, counted as 0
        caused = sum(max(0.0, v) for v in extra.values())
        r["total"] = r["cpu"] + caused
        print(f"{name:<12} {r['cpu']:>8.2f} " + " ".join(f"{extra[g]:>+{w}.2f}" for g, w in (("docker", 8), ("ceph", 7), ("libvirt", 8), ("sshd", 6)))
              + f" {caused:>+9.2f} {r['total']:>7.2f} {r['rss_mb']:>7.0f} {r['load1']:>6.2f}")
    print("\n(engine columns: CPU % of one core during the tool's window minus the mean of the two baseline windows; engines+ and TOTAL count negative differences as 0)")
    drift = {g: after[g] - before[g] for g in before if abs(after[g] - before[g]) > DRIFT_MAX}
    if drift:  # e.g. a testbed that was just (re)started: its daemons still settling
        print("UNSTEADY engines (the two baselines differ by more than "
              f"{DRIFT_MAX:g}): " + ", ".join(f"{g} {v:+.2f}" for g, v in drift.items()) + "; the engine columns are not reliable, run again")
    verdict = results["megam-tui"]["total"] <= 1.0
    print(f"megam-tui total {results['megam-tui']['total']:.2f} % of a core: {'within' if verdict else 'OVER'} the 1 % budget")
    if args.json:
        Path(args.json).write_text(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "screen"} for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
