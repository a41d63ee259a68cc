"""Helpers (no tests) for the Ceph integration tests: the testbed cluster, its faults, waiting."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

from megam_tui.backends.ceph import CephLayer
from megam_tui.config import parse_duration
from megam_tui.settings import ClusterSpec, Settings
from tests.conftest import REPO
from tests.integration import conftest as testbed

SCRIPT = REPO / "scripts" / "testbed" / "ceph.sh"


def cluster_spec(transport: str = "auto", **overrides: Any) -> ClusterSpec:
    """The testbed cluster as ceph.sh wrote it to .testbed/ceph.yaml (fails under CI if missing)."""
    frag = testbed.testbed_fragment("ceph")
    testbed.testbed_up("ceph")
    c = frag["ceph"]["clusters"][0]
    kw: dict[str, Any] = {"name": c["name"], "conf": c["conf"], "timeout": parse_duration(c.get("timeout", "5s"))}
    kw.update(overrides)
    return ClusterSpec(transport=transport, **kw)


def make_layer(transport: str = "auto", refresh: float = 1.0, **overrides: Any) -> CephLayer:
    return CephLayer(Settings(refresh=refresh, ceph_clusters=(cluster_spec(transport, **overrides),)))


def ceph_sh(*args: str, timeout: float = 120) -> None:
    res = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"ceph.sh {' '.join(args)} failed: {res.stderr[-500:]}"


def cli_status(conf: str) -> dict[str, Any] | None:
    """`ceph status` straight from the CLI (independent of the code under test)."""
    try:
        res = subprocess.run(
            ["ceph", "--conf", conf, "--connect-timeout", "3", "-f", "json", "status"],
            capture_output=True, text=True, timeout=10, env={**os.environ, "LC_ALL": "C"},
        )
    except subprocess.TimeoutExpired:
        return None
    if res.returncode != 0:
        return None
    try:
        return json.loads(res.stdout)
    except ValueError:
        return None


def wait_until(pred: Callable[[], Any], timeout: float, step: float = 0.2) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > end:
            return value
        time.sleep(step)


def healthy(conf: str) -> bool:
    s = cli_status(conf)
    if not s:
        return False
    o = s["osdmap"]
    pgs = s["pgmap"]
    clean = sum(x["count"] for x in pgs.get("pgs_by_state", []) if x["state_name"] == "active+clean")
    return (
        s["health"]["status"] == "HEALTH_OK"
        and not s["health"].get("checks")  # muted checks leave HEALTH_OK but are listed
        and o["num_osds"] == o["num_up_osds"] == o["num_in_osds"] == 3
        and clean == pgs["num_pgs"]
    )


def restore(conf: str, timeout: float = 90) -> None:
    """Bring the testbed back: daemons up, flags and mutes cleared, OSDs in, HEALTH_OK."""
    if healthy(conf):
        res = subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True, text=True, timeout=30)
        if res.returncode == 0:
            return
    ceph_sh("start-mon")
    undo = [["osd", "unset", f] for f in ("noout", "noscrub", "nodeep-scrub", "norebalance")]
    undo += [["health", "unmute", "OSDMAP_FLAGS"], ["osd", "in", "0", "1", "2"]]
    for args in undo:
        subprocess.run(["ceph", "--conf", conf, "--connect-timeout", "3", *args], capture_output=True, timeout=15)
    ceph_sh("up", timeout=timeout + 60)
    assert wait_until(lambda: healthy(conf), timeout), f"testbed not back to HEALTH_OK: {cli_status(conf)}"
