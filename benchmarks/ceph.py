"""Ceph watching benchmark against the testbed cluster (scripts/testbed/ceph.sh).

    python benchmarks/ceph.py [--window 90] [--warmup 45] [--refresh 2] [--kills 3]

Runs side by side, over the same window, each in its own process:
  app (rados)      the real MegamApp, headless, only the Ceph cluster configured
  layer (rados)    CephLayer alone, in-process librados transport
  layer (cli)      CephLayer alone, `ceph ... -f json` CLI transport
  ceph -s loop     `while :; do ceph -s; sleep <refresh>; done`
and prints CPU % of one core of each process tree (children included), measured
after --warmup seconds (steady state: sparkline window full, start-up done). Then
kills an OSD by PID (`ceph.sh kill-osd`) --kills times and prints the latency
from the kill to: the layer emitting HEALTH_WARN with OSD_DOWN and its detail
line (rados, cli) and the app's pane having it rendered (screen).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TESTBED = Path(os.environ.get("MEGAM_TESTBED_DIR", REPO / ".testbed"))
SCRIPT = REPO / "scripts" / "testbed" / "ceph.sh"
TICK = os.sysconf("SC_CLK_TCK")


def cluster_spec(transport: str):
    import yaml

    from megam_tui.config import parse_duration
    from megam_tui.settings import ClusterSpec

    c = yaml.safe_load((TESTBED / "ceph.yaml").read_text())["ceph"]["clusters"][0]
    return ClusterSpec(name=c["name"], conf=c["conf"], timeout=parse_duration(c.get("timeout", "5s")), transport=transport)


def osd_down_detail(st) -> bool:
    return any(c.code == "OSD_DOWN" and any("is down" in d for d in c.detail) for c in st.checks)


# ---------------------------------------------------------------- children


def child_layer(transport: str, out: str, stop_file: str, refresh: float) -> None:
    from megam_tui.backends.ceph import CephLayer
    from megam_tui.models import CephStatus
    from megam_tui.settings import Settings

    fh = open(out, "a", buffering=1)
    layer = CephLayer(Settings(refresh=refresh, ceph_clusters=(cluster_spec(transport),)))

    def emit(obj) -> None:
        if isinstance(obj, CephStatus):
            fh.write(json.dumps({"t": time.time(), "health": obj.health, "down": osd_down_detail(obj)}) + "\n")

    layer.start(emit)
    while not os.path.exists(stop_file):
        time.sleep(0.2)
    layer.stop()


def child_app(out: str, stop_file: str, refresh: float, with_ceph: bool = True) -> None:
    from megam_tui.app import MegamApp
    from megam_tui.models import CephStatus
    from megam_tui.settings import Settings

    fh = open(out, "a", buffering=1)
    if not with_ceph:
        fh.write(json.dumps({"t": time.time(), "health": "HEALTH_OK", "down": False}) + "\n")
    home = Path(tempfile.mkdtemp(prefix="megam-bench-"))
    clusters = (cluster_spec("rados"),) if with_ceph else ()
    settings = Settings(refresh=refresh, ceph_clusters=clusters, home=home, ssh_include_local=False, bell=False)
    app = MegamApp(settings)

    def hook() -> None:
        pane = app.panes["ceph"]
        orig = pane.apply

        def apply(obj):
            orig(obj)
            if isinstance(obj, CephStatus):
                down = osd_down_detail(obj) and "OSD_DOWN" in pane._check_nodes

                def shown() -> None:
                    fh.write(json.dumps({"t": time.time(), "health": obj.health, "down": down}) + "\n")

                pane.call_after_refresh(shown)

        pane.apply = apply

        def check() -> None:
            if os.path.exists(stop_file):
                app.exit()

        app.set_interval(0.2, check)

    app.call_after_refresh(hook)
    app.run(headless=True, size=(200, 60))


def child_loop(conf: str, refresh: float) -> list[str]:
    return ["bash", "-c", f'while :; do ceph --conf "$0" -s >/dev/null 2>&1; sleep {refresh}; done', conf]


# ---------------------------------------------------------------- measuring


def proc_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime (reaped children included), seconds."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in f[11:15]) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_cpu(pid: int) -> float:
    import psutil

    total = proc_cpu(pid)
    try:
        for c in psutil.Process(pid).children(recursive=True):
            total += proc_cpu(c.pid)
    except psutil.Error:
        pass
    return total


def ceph_sh(*args: str) -> None:
    subprocess.run(["bash", str(SCRIPT), *args], check=True, capture_output=True, timeout=180)


def records(path: str) -> list[dict]:
    try:
        return [json.loads(ln) for ln in Path(path).read_text().splitlines() if ln.strip()]
    except OSError:
        return []


def wait_ok(outs: dict[str, str], since: float, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if all(any(r["t"] >= since and r["health"] == "HEALTH_OK" for r in records(o)) for o in outs.values()):
            return True
        time.sleep(0.5)
    return False


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=float, default=90.0)
    ap.add_argument("--warmup", type=float, default=45.0)
    ap.add_argument("--refresh", type=float, default=2.0)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--child-layer")
    ap.add_argument("--child-app", action="store_true")
    ap.add_argument("--no-ceph", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--stop-file")
    args = ap.parse_args()
    if args.child_layer:
        child_layer(args.child_layer, args.out, args.stop_file, args.refresh)
        return 0
    if args.child_app:
        child_app(args.out, args.stop_file, args.refresh, with_ceph=not args.no_ceph)
        return 0

    ceph_sh("up")
    conf = cluster_spec("cli").conf
    tmp = Path(tempfile.mkdtemp(prefix="megam-ceph-bench-"))
    stop = str(tmp / "stop")
    outs = {"app (rados)": str(tmp / "app.jsonl"), "layer (rados)": str(tmp / "rados.jsonl"), "layer (cli)": str(tmp / "cli.jsonl")}
    idle_out = str(tmp / "idle.jsonl")
    me = [sys.executable, __file__, "--refresh", str(args.refresh), "--stop-file", stop]
    argvs = {
        "app, no cluster": me + ["--child-app", "--no-ceph", "--out", idle_out],
        "app (rados)": me + ["--child-app", "--out", outs["app (rados)"]],
        "layer (rados)": me + ["--child-layer", "rados", "--out", outs["layer (rados)"]],
        "layer (cli)": me + ["--child-layer", "cli", "--out", outs["layer (cli)"]],
        "ceph -s loop": child_loop(conf, args.refresh),
    }
    procs = {
        name: subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for name, argv in argvs.items()
    }
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and not all(records(o) for o in outs.values()):
            time.sleep(0.2)
        if not all(records(o) for o in outs.values()):
            print("a watcher never reported a status", file=sys.stderr)
            return 1
        time.sleep(args.warmup)
        c0 = {n: tree_cpu(p.pid) for n, p in procs.items()}
        t0 = time.monotonic()
        time.sleep(args.window)
        dt = time.monotonic() - t0
        cpu = {n: 100 * (tree_cpu(p.pid) - c0[n]) / dt for n, p in procs.items()}

        lat: dict[str, list[float]] = {n: [] for n in outs}
        for k in range(args.kills):
            osd = str(k % 3)
            killed = time.time()
            ceph_sh("kill-osd", osd)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if all(any(r["t"] >= killed and r["down"] for r in records(o)) for o in outs.values()):
                    break
                time.sleep(0.1)
            for n, o in outs.items():
                hit = [r["t"] for r in records(o) if r["t"] >= killed and r["down"]]
                lat[n].append(hit[0] - killed if hit else float("nan"))
            ceph_sh("start-osd", osd)
            wait_ok(outs, time.time(), 90)
    finally:
        Path(stop).touch()
        for p in procs.values():
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.wait()
        ceph_sh("up")
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nCeph watching, 1 cluster (1 mon, 3 OSDs), refresh {args.refresh:g} s, window {dt:.0f} s, side by side")
    print(f"{'watcher':<16} {'CPU % of a core':>16} {'OSD down -> WARN+detail (s), each kill':>42}")
    for n in argvs:
        ls = lat.get(n)
        lat_s = "  ".join(f"{x:.2f}" for x in ls) if ls else "-"
        med = f"  (median {statistics.median(ls):.2f})" if ls else ""
        print(f"{n:<16} {cpu[n]:>16.2f} {lat_s + med:>42}")
    print(f"Ceph part of the app: {cpu['app (rados)'] - cpu['app, no cluster']:.2f} % of a core "
          "(app watching the cluster minus the same app with nothing configured)")
    print("app (rados) latency is kill -> pane rendered (after refresh); layer latencies are kill -> emitted.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
