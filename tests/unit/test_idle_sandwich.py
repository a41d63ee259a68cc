"""benchmarks/idle.py compares each tool window with the baselines on either side of it
(issue #7): a steady drift of an engine's own CPU cancels instead of being charged to the tool."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

IDLE = Path(__file__).resolve().parents[2] / "benchmarks" / "idle.py"


def _idle():
    sys.path.insert(0, str(IDLE.parent))
    spec = importlib.util.spec_from_file_location("idle_under_test", IDLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _eng(docker: float, ceph: float, libvirt: float = 1.0, sshd: float = 0.0) -> dict:
    return {"engines": {"docker": docker, "ceph": ceph, "libvirt": libvirt, "sshd": sshd}}


def test_drift_between_neighbours_cancels():
    idle = _idle()
    # ceph's own CPU climbs 0.04 per window; the tool adds exactly 0.10 to sshd and nothing to ceph
    results = {
        "baseline 1": _eng(0.5, 2.00),
        "megam-tui #1": _eng(0.5, 2.04, sshd=0.10),
        "baseline 2": _eng(0.5, 2.08),
        "megam-tui #2": _eng(0.5, 2.12, sshd=0.10),
        "baseline 3": _eng(0.5, 2.16),
    }
    order = list(results)
    out = idle.sandwich(results, order)
    assert set(out) == {"megam-tui #1", "megam-tui #2"}
    for name in out:
        assert abs(out[name]["extra"]["ceph"]) < 1e-9
        assert abs(out[name]["extra"]["sshd"] - 0.10) < 1e-9
        assert out[name]["drift"] == {}  # 0.08 apart: within DRIFT_MAX


def test_drift_larger_than_limit_is_flagged_on_that_window_only():
    idle = _idle()
    results = {
        "baseline 1": _eng(0.5, 2.0),
        "megam-tui #1": _eng(0.5, 2.0),
        "baseline 2": _eng(0.5, 2.0),
        "glances": _eng(30.5, 2.3),
        "baseline 3": _eng(0.5, 2.5),
    }
    out = idle.sandwich(results, list(results))
    assert out["megam-tui #1"]["drift"] == {}
    assert set(out["glances"]["drift"]) == {"ceph"}
    assert abs(out["glances"]["extra"]["docker"] - 30.0) < 1e-9


def test_total_counts_negative_noise_as_zero():
    idle = _idle()
    caused, total = idle.total_of(0.6, {"docker": -0.05, "ceph": 0.02, "libvirt": 0.0, "sshd": 0.15})
    assert abs(caused - 0.17) < 1e-9
    assert abs(total - 0.77) < 1e-9
