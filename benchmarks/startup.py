"""Start-up: launch -> first frame showing real data from every testbed engine.

Both programs run in tmux (160x50) exactly as an operator starts them; the
screen is read every 20 ms. megam-tui is done when the screen shows a testbed
container, a VM, an SSH host and the Ceph health; glances (the anchor, same
run, same machine) when its screen shows its CPU and MEM sections and its
CONTAINERS section listing the testbed's containers. The two are run
alternately (megam-tui, glances, megam-tui, ...) so that load from other work
on the machine falls on both alike.

glances lists containers only with its docker plugin, which needs the Debian
package python3-docker next to glances; both are installed when missing.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--config .testbed/megam.yaml] [--skip glances]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _tmux import TmuxSession  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
GLANCES_PKGS = ("glances", "python3-docker")  # python3-docker: glances' CONTAINERS section


def megam_ready(screen: str) -> bool:
    return all(m in screen for m in ("chatty", "megam-vm1", "node1")) and "HEALTH_" in screen


def glances_ready(screen: str) -> bool:
    return "CPU" in screen and "MEM" in screen and re.search(r"CONTAINERS \d+", screen) is not None and "chatty" in screen


def glances_why(screen: str) -> str:
    if "CPU" in screen and "MEM" in screen and "CONTAINERS" not in screen:
        return "no CONTAINERS section: glances' docker plugin is off (is python3-docker installed?)"
    return "did not show the containers in time"


def ensure_glances() -> str | None:
    """glances and its docker plugin's library (Debian packages, via the testbed's helper)."""
    glances = shutil.which("glances")
    if glances and _has_docker_module(glances):
        return glances
    subprocess.run(["bash", "-c", f"source {REPO}/scripts/testbed/lib.sh && ensure_pkgs {' '.join(GLANCES_PKGS)}"], check=False)
    return shutil.which("glances")


def _has_docker_module(glances: str) -> bool:
    with open(glances, "rb") as f:
        first = f.readline().decode(errors="replace")
    python = first[2:].strip().split()[0] if first.startswith("#!") else sys.executable
    if not os.path.exists(python):
        return True  # not a python script we can check: let the measurement tell
    return subprocess.run([python, "-c", "import docker"], capture_output=True).returncode == 0


def measure_once(argv: list[str], ready, timeout: float) -> tuple[float | None, str]:
    s = TmuxSession(argv)
    try:
        t = s.wait_for(ready, timeout=timeout)
        return t, ("" if t is not None else s.screen())
    finally:
        s.kill()


def fmt(times: list[float], failures: list[str]) -> str:
    fails = f"  {len(failures)} failed: {failures[0]}" if failures else ""
    if not times:
        return "n/a" + fails
    return f"median {statistics.median(times):.2f}s  min {min(times):.2f}s  max {max(times):.2f}s  (n={len(times)}){fails}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--config", default=str(REPO / ".testbed" / "megam.yaml"))
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--glances-timeout", type=float, default=15)
    ap.add_argument("--skip", default="", help="comma list: glances")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    tools = {"megam-tui": ([str(REPO / ".venv" / "bin" / "megam-tui"), "--config", args.config], megam_ready, args.timeout, None)}
    if "glances" not in skip:
        glances = ensure_glances()
        if glances:
            tools["glances"] = ([glances, "-t", "2"], glances_ready, args.glances_timeout, glances_why)
    results: dict[str, list[float]] = {name: [] for name in tools}
    failures: dict[str, list[str]] = {name: [] for name in tools}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    for i in range(args.runs):
        for name, (argv, ready, timeout, why) in tools.items():
            t, screen = measure_once(argv, ready, timeout)
            if t is None:
                reason = why(screen) if why else f"timeout ({timeout:g}s)"
                failures[name].append(reason)
                print(f"  run {i + 1} {name:10} failed: {reason}; last screen:\n{screen}", file=sys.stderr, flush=True)
            else:
                results[name].append(t)
                print(f"  run {i + 1} {name:10} {t:.2f}s", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\nlaunch -> first frame with real data (tmux 160x50)")
    for name in tools:
        print(f"  {name:10} {fmt(results[name], failures[name])}")
    if "glances" not in tools and "glances" not in skip:
        print("  glances    n/a (not installed and could not be installed)")
    return 0 if results["megam-tui"] else 1


if __name__ == "__main__":
    sys.exit(main())
