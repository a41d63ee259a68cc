"""Start-up: launch -> first frame showing real data from every testbed engine.

Both programs run in tmux (160x50) exactly as an operator starts them; the
screen is read every 20 ms. megam-tui is done when the screen shows a testbed
container, a VM, an SSH host and the Ceph health; glances (the anchor, same
run, same machine) when its screen shows its CPU, MEM and CONTAINERS sections
with the testbed's containers.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--config .testbed/megam.yaml]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _tmux import TmuxSession  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def megam_ready(screen: str) -> bool:
    return all(m in screen for m in ("chatty", "megam-vm1", "node1")) and "HEALTH_" in screen


def glances_ready(screen: str) -> bool:
    return "CPU" in screen and "MEM" in screen and "chatty" in screen


def measure(argv: list[str], ready, runs: int, timeout: float) -> list[float]:
    times = []
    for _ in range(runs):
        s = TmuxSession(argv)
        try:
            t = s.wait_for(ready, timeout=timeout)
            if t is None:
                print(f"  timeout ({timeout}s); last screen:\n{s.screen()}", file=sys.stderr)
            else:
                times.append(t)
        finally:
            s.kill()
    return times


def fmt(times: list[float]) -> str:
    if not times:
        return "n/a"
    return f"median {statistics.median(times):.2f}s  min {min(times):.2f}s  max {max(times):.2f}s  (n={len(times)})"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--config", default=str(REPO / ".testbed" / "megam.yaml"))
    ap.add_argument("--timeout", type=float, default=30)
    args = ap.parse_args()
    megam = [str(REPO / ".venv" / "bin" / "megam-tui"), "--config", args.config]
    results = {"megam-tui": measure(megam, megam_ready, args.runs, args.timeout)}
    glances = shutil.which("glances")
    if glances is None:
        subprocess.run(["bash", "-c", f"source {REPO}/scripts/testbed/lib.sh && ensure_pkgs glances"], check=False)
        glances = shutil.which("glances")
    if glances:
        results["glances"] = measure([glances, "-t", "2"], glances_ready, args.runs, args.timeout)
    print("\nlaunch -> first frame with real data (tmux 160x50)")
    for name, times in results.items():
        print(f"  {name:10} {fmt(times)}")
    return 0 if results["megam-tui"] else 1


if __name__ == "__main__":
    sys.exit(main())
