"""Containers pane benchmark against the docker testbed.

    python benchmarks/containers.py [--containers 200] [--window 60] [--refresh 2]
                                    [--events 50] [--log-lines 1000000] [--skip glances,docker-stats]

Starts the testbed with N extra sleeping containers, then, one after the
other over the same window length:
  idle        nothing watching: dockerd's own CPU (the baseline)
  megam-tui   the real app, headless, only the docker layer configured
  pane+layer  only the ContainersPane and the DockerLayer in a bare Textual app
  glances     `glances --stdout docker --time <refresh>` (Debian package)
  docker stats  the CLI, streaming
and prints, for each, CPU % of one core used by the tool's process tree and
the extra dockerd (+containerd) CPU it causes over the idle baseline. Then:
event -> screen latency (engine event timestamp -> after the pane's table
was refreshed) over N outside `docker stop -t 0` / `docker start`, and log
ingest lines/s + RSS for a container printing as fast as it can.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TESTBED = Path(os.environ.get("MEGAM_TESTBED_DIR", REPO / ".testbed"))
SCRIPT = REPO / "scripts" / "testbed" / "docker.sh"
ENV = dict(os.environ, DOCKER_API_VERSION="1.41")
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- process CPU


def tree_pids(pid: int) -> list[int]:
    import psutil

    try:
        p = psutil.Process(pid)
        return [pid] + [c.pid for c in p.children(recursive=True)]
    except psutil.Error:
        return []


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            # utime + stime + cutime + cstime: reaped children (short-lived calls) included
            total += sum(int(x) for x in fields[11:15]) / TICK
        except (OSError, IndexError, ValueError):
            pass
    return total


def dockerd_pids() -> list[int]:
    pid = int((TESTBED / "docker" / "dockerd.pid").read_text())
    import psutil

    # dockerd + its containerd (shims are reparented to init and belong to containers)
    return [pid] + [c.pid for c in psutil.Process(pid).children() if "containerd" in c.name() and "shim" not in c.name()]


class Disturbed(Exception):
    """dockerd restarted or containers stopped during a window (another process touched the testbed)."""


def running_count() -> int:
    return len(docker("ps", "-q").split())


def measure(window: float, tool_pid: int | None) -> tuple[float | None, float]:
    """CPU % of one core of the tool's tree and of dockerd over `window` seconds."""
    d = dockerd_pids()
    n0 = running_count()
    tool = tree_pids(tool_pid) if tool_pid else []
    t0, d0, c0 = time.monotonic(), cpu_seconds(d), cpu_seconds(tool)
    time.sleep(window)
    tool = [p for p in (tree_pids(tool_pid) if tool_pid else []) if p in tool] or tool
    t1, d1, c1 = time.monotonic(), cpu_seconds(d), cpu_seconds(tool)
    dt = t1 - t0
    if dockerd_pids()[:1] != d[:1] or running_count() < n0 - 5 or d1 < d0:
        raise Disturbed("dockerd restarted or containers stopped during the window")
    return (100 * (c1 - c0) / dt if tool_pid else None), 100 * (d1 - d0) / dt


# ---------------------------------------------------------------- children


def child_app(out: str, stop_file: str, refresh: float) -> None:
    """The real MegamApp, headless, docker only; records event->screen latencies."""
    import yaml

    from megam_tui.app import MegamApp
    from megam_tui.backends.docker_models import ContainerUpdate
    from megam_tui.settings import EngineSpec, Settings

    frag = yaml.safe_load((TESTBED / "docker.yaml").read_text())
    engines = tuple(EngineSpec(name=e["name"], url=e["url"]) for e in frag["docker"]["engines"])
    home = Path(tempfile.mkdtemp(prefix="megam-bench-"))
    settings = Settings(docker_engines=engines, docker_configured=True, refresh=refresh, home=home, ssh_include_local=False)
    app = MegamApp(settings)
    fh = open(out, "a", buffering=1)

    def hook() -> None:
        pane = app.panes["docker"]
        orig = pane.apply

        def apply(obj):
            orig(obj)
            if isinstance(obj, ContainerUpdate) and obj.event_time:
                ev, name, state = obj.event_time, obj.container.name, obj.container.state
                rec = {"recv": obj.received - ev, "applied": time.time() - ev, "name": name, "state": state}

                def shown() -> None:
                    rec["lat"] = time.time() - ev
                    fh.write(json.dumps(rec) + "\n")

                pane.table.call_after_refresh(shown)

        pane.apply = apply

        def check() -> None:
            if not getattr(app, "_bench_ready", False) and len(pane.model.containers) > 0 and pane.model.stats:
                app._bench_ready = True
                fh.write(json.dumps({"ready": time.time(), "rows": len(pane._rows)}) + "\n")
            if os.path.exists(stop_file):
                fh.write(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "rows": len(pane._rows), "redraws": pane.redraws}) + "\n")
                app.exit()

        app.set_interval(0.2, check)

    app.call_after_refresh(hook)
    app.run(headless=True, size=(200, 60))


def child_pane(stop_file: str, refresh: float) -> None:
    """Only the ContainersPane + DockerLayer in a bare Textual app (no shell widgets):
    separates the pane's cost from the app shell's (clock, header, other panes)."""
    import yaml
    from textual.app import App

    from megam_tui.backends.docker import DockerLayer
    from megam_tui.settings import EngineSpec, Settings
    from megam_tui.ui.containers import ContainersPane
    from megam_tui.ui.messages import LayerUpdate

    frag = yaml.safe_load((TESTBED / "docker.yaml").read_text())
    engines = tuple(EngineSpec(name=e["name"], url=e["url"]) for e in frag["docker"]["engines"])
    settings = Settings(docker_engines=engines, refresh=refresh)

    class PaneOnly(App):
        def compose(self):
            yield ContainersPane(id="containers")

        def on_mount(self) -> None:
            self.layer = DockerLayer(settings)
            self.layer.start(lambda obj: self.post_message(LayerUpdate("docker", obj)))
            self.set_interval(0.2, lambda: os.path.exists(stop_file) and self.exit())

        def on_layer_update(self, message: LayerUpdate) -> None:
            self.query_one(ContainersPane).apply(message.obj)

        def on_unmount(self) -> None:
            self.layer.stop()

    PaneOnly().run(headless=True, size=(200, 60))


def child_logs(out: str, lines: int) -> None:
    """Follow a container printing `lines` lines as fast as it can; report lines/s and RSS."""
    import yaml

    from megam_tui.backends.docker import DockerLayer
    from megam_tui.backends.docker_logs import LogBatch
    from megam_tui.settings import EngineSpec, Settings

    frag = yaml.safe_load((TESTBED / "docker.yaml").read_text())
    engines = tuple(EngineSpec(name=e["name"], url=e["url"]) for e in frag["docker"]["engines"])
    layer = DockerLayer(Settings(docker_engines=engines))
    name = f"bench-logs-{os.getpid()}"
    cid = subprocess.run(
        ["docker", "create", "--name", name, "busybox:local", "sh", "-c", f"sleep 1; yes 'a log line [red]x[/] \x1b[31mred\x1b[0m' | head -n {lines}"],
        env=ENV, capture_output=True, text=True, check=True,
    ).stdout.strip()
    state = {"n": 0, "first": None, "last": None}

    def sink(obj):
        if isinstance(obj, LogBatch) and obj.lines:
            now = time.monotonic()
            state["first"] = state["first"] or now
            state["n"] += len(obj.lines)
            state["last"] = now

    try:
        subprocess.run(["docker", "start", name], env=ENV, check=True, capture_output=True)
        layer.follow_logs("bench", [f"local/{cid}"], tail=0, emit=sink)
        end = time.monotonic() + 120
        while state["n"] < lines and time.monotonic() < end:
            time.sleep(0.05)
        follower = next(iter(layer._log_sessions["bench"].followers.values()))
        res = {
            "lines": state["n"],
            "read": follower.lines_in,
            "secs": (state["last"] or 0) - (state["first"] or 0),
            "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    finally:
        layer.stop()
        subprocess.run(["docker", "rm", "-f", name], env=ENV, capture_output=True)
    Path(out).write_text(json.dumps(res))


# ---------------------------------------------------------------- driver


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], env=ENV, capture_output=True, text=True, check=True).stdout.strip()


def run_megam(window: float, refresh: float, events: int) -> dict:
    out = tempfile.NamedTemporaryFile(prefix="megam-bench-", suffix=".jsonl", delete=False).name
    stop = out + ".stop"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child-app", out, "--stop-file", stop, "--refresh", str(refresh)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, start_new_session=True,
    )
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and '"ready"' not in Path(out).read_text():
            time.sleep(0.2)
        time.sleep(2 * refresh)  # let the first stats ticks settle
        cpu, dockerd = measure(window, proc.pid)
        # event -> screen latency over outside stop/start of sleeping containers
        names = [f"many-{i}" for i in range(1, 6)]
        for i in range(events):
            n = names[i % len(names)]
            docker("stop", "-t", "0", n) if i % 2 == 0 else docker("start", n)
            time.sleep(0.3)
        for n in names:
            docker("start", n)
        time.sleep(1.0)
        Path(stop).touch()
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
    recs = [json.loads(line) for line in Path(out).read_text().splitlines() if line.strip()]
    lats = sorted(r["lat"] * 1000 for r in recs if "lat" in r and r["name"].startswith("many-"))
    final = next((r for r in recs if "rss_kb" in r), {})
    os.unlink(out)
    if os.path.exists(stop):
        os.unlink(stop)
    return {"cpu": cpu, "dockerd": dockerd, "lat": lats, "rss_mb": final.get("rss_kb", 0) / 1024, "rows": final.get("rows")}


def run_pane(window: float, refresh: float) -> tuple[float | None, float]:
    stop = tempfile.NamedTemporaryFile(prefix="megam-bench-pane-", delete=False).name
    os.unlink(stop)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child-pane", "--stop-file", stop, "--refresh", str(refresh)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, start_new_session=True,
    )
    try:
        time.sleep(max(5.0, 3 * refresh))  # start-up (first list, pid lookups) is not the steady state
        return measure(window, proc.pid)
    finally:
        Path(stop).touch()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        os.unlink(stop)


def run_tool(argv: list[str], window: float, refresh: float) -> tuple[float | None, float]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, start_new_session=True)
    try:
        time.sleep(max(3.0, 2 * refresh))  # start-up is not part of the steady state
        if proc.poll() is not None:
            return None, 0.0
        return measure(window, proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--containers", type=int, default=200)
    ap.add_argument("--window", type=float, default=60.0)
    ap.add_argument("--refresh", type=float, default=2.0)
    ap.add_argument("--events", type=int, default=50)
    ap.add_argument("--log-lines", type=int, default=1_000_000)
    ap.add_argument("--skip", default="", help="comma list: pane,glances,docker-stats,logs")
    ap.add_argument("--child-app")
    ap.add_argument("--child-logs")
    ap.add_argument("--child-pane", action="store_true")
    ap.add_argument("--stop-file")
    args = ap.parse_args()
    if args.child_app:
        child_app(args.child_app, args.stop_file, args.refresh)
        return 0
    if args.child_pane:
        child_pane(args.stop_file, args.refresh)
        return 0
    if args.child_logs:
        child_logs(args.child_logs, args.log_lines)
        return 0

    skip = set(filter(None, args.skip.split(",")))
    print(f"testbed: {args.containers} extra containers …", file=sys.stderr)
    subprocess.run(["bash", str(SCRIPT), "up"], check=True, env=dict(ENV, MEGAM_TESTBED_CONTAINERS=str(args.containers)))
    running = len(docker("ps", "-q").split())
    print(f"{running} running containers; window {args.window:g}s each, refresh {args.refresh:g}s", file=sys.stderr)

    def retrying(what, func):
        for attempt in range(3):
            try:
                return func()
            except Disturbed as exc:
                print(f"{what}: {exc}; restoring the testbed and measuring again", file=sys.stderr)
                subprocess.run(["bash", str(SCRIPT), "up"], check=True, env=dict(ENV, MEGAM_TESTBED_CONTAINERS=str(args.containers)))
        raise SystemExit(f"{what}: the testbed kept being disturbed; no figures")

    rows = []
    _, idle = retrying("idle", lambda: measure(args.window, None))
    rows.append(("idle (baseline)", None, idle))
    print(f"idle: dockerd {idle:.2f}%", file=sys.stderr)
    m = retrying("megam-tui", lambda: run_megam(args.window, args.refresh, args.events))
    rows.append(("megam-tui", m["cpu"], m["dockerd"]))
    print(f"megam-tui: {m['cpu']:.2f}% + dockerd {m['dockerd']:.2f}%", file=sys.stderr)
    if "pane" not in skip:
        p = retrying("pane only", lambda: run_pane(args.window, args.refresh))
        rows.append(("  pane+layer only", *p))
    if "glances" not in skip and shutil.which("glances"):
        g = retrying("glances", lambda: run_tool(["glances", "--stdout", "docker", "--time", str(int(args.refresh))], args.window, args.refresh))
        rows.append(("glances", *g))
        print(f"glances: {g[0]}% + dockerd {g[1]:.2f}%", file=sys.stderr)
    if "docker-stats" not in skip:
        d = retrying("docker stats", lambda: run_tool(["docker", "stats", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}}"], args.window, args.refresh))
        rows.append(("docker stats", *d))

    print()
    print(f"{running} running containers, refresh {args.refresh:g}s, window {args.window:g}s; % of one core")
    print(f"{'tool':16} {'tool CPU %':>11} {'dockerd CPU %':>14} {'extra dockerd %':>16} {'total %':>9}")
    for name, cpu, dk in rows:
        extra = dk - idle
        # a tool cannot make dockerd cheaper: a negative difference is noise, counted as 0
        total = (cpu or 0) + (max(0.0, extra) if name != "idle (baseline)" else 0)
        print(f"{name:16} {('-' if cpu is None else f'{cpu:.2f}'):>11} {dk:>14.2f} {('-' if name.startswith('idle') else f'{extra:+.2f}'):>16} {('-' if name.startswith('idle') else f'{total:.2f}'):>9}")
    lat = m["lat"]
    print()
    print(f"event -> screen latency over {len(lat)} outside stop/start: p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f} ms, max {max(lat) if lat else float('nan'):.0f} ms")
    print(f"megam-tui max RSS {m['rss_mb']:.0f} MB with {m['rows']} rows")
    if "logs" not in skip:
        out = tempfile.NamedTemporaryFile(prefix="megam-bench-logs-", delete=False).name
        subprocess.run([sys.executable, __file__, "--child-logs", out, "--log-lines", str(args.log_lines)], check=True, env=ENV)
        r = json.loads(Path(out).read_text())
        os.unlink(out)
        rate = r["lines"] / r["secs"] if r["secs"] > 0 else float("nan")
        print(f"log ingest: {r['lines']} lines in {r['secs']:.2f}s = {rate:,.0f} lines/s; max RSS {r['rss_kb'] / 1024:.0f} MB (buffer bound 10k lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
