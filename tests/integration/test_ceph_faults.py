"""CephLayer watching the testbed while it breaks: OSD down, flags, mutes, out/in, mon down.

Each test leaves the cluster as it found it (HEALTH_OK, 3 up / 3 in, no flags).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import replace

import pytest

from megam_tui.backends.ceph import CephLayer
from megam_tui.settings import Settings

from megam_tui.backends.base import BackendError
from megam_tui.backends.ceph_models import CephLogBacklog, CephOsdTree, CephPools
from megam_tui.jobs import Job
from megam_tui.models import BackendState, CephStatus, Event
from tests.integration import test_ceph_testbed as tb


class Seen:
    """Thread-safe record of everything a layer emitted, with waiting helpers."""

    def __init__(self) -> None:
        self.items: list[tuple[float, object]] = []
        self.cond = threading.Condition()

    def __call__(self, obj: object) -> None:
        with self.cond:
            self.items.append((time.monotonic(), obj))
            self.cond.notify_all()

    def wait_for(self, pred, timeout: float, since: float = 0.0):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, obj in self.items:
                    if t >= since and pred(obj):
                        return t, obj
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def of(self, cls):
        with self.cond:
            return [o for _, o in self.items if isinstance(o, cls)]


def job(action: str = "x") -> Job:
    return Job(1, "ceph", action, "lab", func=lambda j: None)


def is_status(pred):
    return lambda o: isinstance(o, CephStatus) and pred(o)


def codes(st: CephStatus) -> set[str]:
    return {c.code for c in st.checks}


@pytest.fixture(scope="module")
def spec():
    s = tb.cluster_spec()
    tb.restore(s.conf)
    return s


@pytest.fixture
def watched(spec):
    """A started layer (rados, 1 s refresh) and what it emitted; restores the cluster after."""
    layer = tb.make_layer("rados", refresh=1.0)
    seen = Seen()
    layer.start(seen)
    ok = seen.wait_for(is_status(lambda s: s.health == "HEALTH_OK"), 15)
    assert ok, f"no HEALTH_OK status emitted: {seen.items[-3:]}"
    yield layer, seen
    layer.stop()
    tb.restore(spec.conf)


def test_start_emits_status_tree_pools_backlog_and_reachability(watched):
    layer, seen = watched
    assert seen.wait_for(lambda o: isinstance(o, CephOsdTree), 5)
    assert seen.wait_for(lambda o: isinstance(o, CephPools), 5)
    assert seen.wait_for(lambda o: isinstance(o, CephLogBacklog), 5)
    states = seen.of(BackendState)
    assert states and states[0].ok and states[0].layer == "ceph" and states[0].name == "lab"
    tree = seen.of(CephOsdTree)[-1]
    assert sorted(n.name for n in tree.nodes if n.type == "osd") == ["osd.0", "osd.1", "osd.2"]


def test_osd_down_warn_with_detail_within_5s_then_ok(watched, spec):
    layer, seen = watched
    killed_at = time.monotonic()
    tb.ceph_sh("kill-osd", "1")
    hit = seen.wait_for(
        is_status(lambda s: s.health == "HEALTH_WARN" and "OSD_DOWN" in codes(s)
                  and any(re.match(r"osd\.1 .*is down", d) for c in s.checks if c.code == "OSD_DOWN" for d in c.detail)),
        5, since=killed_at)
    assert hit, f"no HEALTH_WARN with OSD_DOWN detail within 5 s: {[o for _, o in seen.items[-4:]]}"
    latency = hit[0] - killed_at
    assert seen.wait_for(lambda o: isinstance(o, Event) and o.kind == "health" and o.severity == "warn", 1, since=killed_at)
    assert seen.wait_for(lambda o: isinstance(o, Event) and o.kind == "OSD_DOWN" and "raised" in o.message, 1, since=killed_at)
    assert seen.wait_for(lambda o: isinstance(o, CephOsdTree)
                         and any(n.name == "osd.1" and n.status == "down" for n in o.nodes), 3, since=killed_at)
    # the cluster log says so too, as an Event with the [WRN] priority
    assert seen.wait_for(lambda o: isinstance(o, Event) and o.kind == "log:OSD_DOWN" and o.severity == "warn", 5, since=killed_at)
    restarted = time.monotonic()
    tb.ceph_sh("start-osd", "1")
    assert seen.wait_for(is_status(lambda s: "OSD_DOWN" not in codes(s) and s.num_up_osds == 3), 30, since=restarted)
    assert seen.wait_for(lambda o: isinstance(o, Event) and o.kind == "OSD_DOWN" and "cleared" in o.message, 1, since=restarted)
    assert seen.wait_for(is_status(lambda s: s.health == "HEALTH_OK"), 60, since=restarted)
    print(f"OSD down -> emitted WARN with detail: {latency:.2f} s")


def test_noout_set_and_unset_through_run_action(watched):
    layer, seen = watched
    t0 = time.monotonic()
    msg = layer.run_action("set_flag", "lab", {"flag": "noout"}, job("set_flag"))
    assert "noout" in msg
    assert seen.wait_for(is_status(lambda s: "OSDMAP_FLAGS" in codes(s)
                                   and any("noout" in c.summary for c in s.checks)), 5, since=t0)
    t1 = time.monotonic()
    layer.run_action("unset_flag", "lab", {"flag": "noout"}, job("unset_flag"))
    assert seen.wait_for(is_status(lambda s: "OSDMAP_FLAGS" not in codes(s)), 5, since=t1)


def test_mute_and_unmute_a_check(watched):
    layer, seen = watched
    t0 = time.monotonic()
    layer.run_action("set_flag", "lab", {"flag": "noscrub"}, job())
    layer.run_action("mute", "lab", {"code": "OSDMAP_FLAGS", "ttl": "10m"}, job())
    muted = seen.wait_for(is_status(lambda s: any(c.code == "OSDMAP_FLAGS" and c.muted for c in s.checks)), 5, since=t0)
    assert muted
    t1 = time.monotonic()
    layer.run_action("unmute", "lab", {"code": "OSDMAP_FLAGS"}, job())
    assert seen.wait_for(is_status(lambda s: any(c.code == "OSDMAP_FLAGS" and not c.muted for c in s.checks)), 5, since=t1)


def test_osd_out_and_in(watched):
    layer, seen = watched
    t0 = time.monotonic()
    layer.run_action("osd_out", "lab/osd.2", {}, job())
    assert seen.wait_for(is_status(lambda s: s.num_in_osds == 2), 5, since=t0)
    assert seen.wait_for(lambda o: isinstance(o, CephOsdTree)
                         and any(n.name == "osd.2" and n.reweight == 0.0 for n in o.nodes), 5, since=t0)
    t1 = time.monotonic()
    layer.run_action("osd_in", "lab/osd.2", {}, job())
    assert seen.wait_for(is_status(lambda s: s.num_in_osds == 3), 5, since=t1)


def test_bad_action_input_is_a_one_line_error(watched):
    layer, _ = watched
    for action, target, params in [
        ("set_flag", "lab", {"flag": "pause; rm -rf /"}),
        ("osd_out", "lab/osd.x", {}),
        ("mute", "lab", {"code": "lower", "ttl": "1h"}),
        ("mute", "lab", {"code": "OSD_DOWN", "ttl": "10 minutes"}),
        ("frobnicate", "lab", {}),
        ("set_flag", "nosuch", {"flag": "noout"}),
    ]:
        with pytest.raises(BackendError) as ei:
            layer.run_action(action, target, params, job())
        assert "\n" not in str(ei.value)


def test_mon_down_unreachable_within_timeout_then_recovers(spec):
    layer = tb.make_layer("rados", refresh=1.0, timeout=3.0)
    seen = Seen()
    layer.start(seen)
    try:
        assert seen.wait_for(is_status(lambda s: s.health == "HEALTH_OK"), 15)
        stopped = time.monotonic()
        tb.ceph_sh("stop-mon")
        down = seen.wait_for(lambda o: isinstance(o, BackendState) and not o.ok, 3.0 + 1.0 + 1.0, since=stopped)
        assert down, "no unreachable state within timeout + refresh"
        assert down[1].error.startswith("cluster unreachable: ")
        t = time.monotonic()
        s = layer.summary(3)
        assert time.monotonic() - t < 3.5
        assert s["ok"] is False and s["clusters"][0]["error"].startswith("cluster unreachable")
        cli = CephLayer(Settings(ceph_clusters=(replace(spec, transport="cli", timeout=3.0),)))
        t = time.monotonic()
        s = cli.summary(3)
        assert time.monotonic() - t < 3.5 and s["ok"] is False
        restarted = time.monotonic()
        tb.ceph_sh("start-mon")
        assert seen.wait_for(lambda o: isinstance(o, BackendState) and o.ok, 20, since=restarted), "did not recover"
        assert seen.wait_for(lambda o: isinstance(o, CephStatus), 5, since=restarted)
    finally:
        layer.stop()
        tb.restore(spec.conf)


def test_stop_is_quick(spec):
    layer = tb.make_layer("rados", refresh=1.0)
    seen = Seen()
    layer.start(seen)
    assert seen.wait_for(lambda o: isinstance(o, CephStatus), 10)
    t = time.monotonic()
    layer.stop()
    assert time.monotonic() - t < 1.0
    n = len(seen.items)
    time.sleep(1.5)
    assert len(seen.items) == n  # nothing emitted after stop


def _log_line(spec, text: str) -> None:
    import subprocess

    res = subprocess.run(["ceph", "--conf", spec.conf, "--connect-timeout", "5", "log", text], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr


def test_cluster_log_is_pushed_live_and_survives_a_mon_restart(spec):
    """`ceph log` lines reach the timeline from the mon's push (no `log last` after the
    backlog), literally, and still do after the mon was restarted."""
    import secrets

    layer = tb.make_layer("rados", refresh=1.0, timeout=3.0)
    asked: list[float] = []
    real = layer.log_last
    layer.log_last = lambda *a, **k: (asked.append(time.monotonic()), real(*a, **k))[1]
    seen = Seen()
    layer.start(seen)
    try:
        assert seen.wait_for(lambda o: isinstance(o, CephLogBacklog), 15)
        token = secrets.token_hex(4)
        t0 = time.monotonic()
        _log_line(spec, f"megam-push {token} [red]x[/]")
        got = seen.wait_for(lambda o: isinstance(o, Event) and token in o.message, 5, since=t0)
        assert got, "the pushed log line did not arrive"
        assert got[1].message == f"megam-push {token} [red]x[/]" and got[1].layer == "ceph"
        assert len(asked) == 1, f"`log last` asked {len(asked)} times: only the backlog should be"

        tb.ceph_sh("stop-mon")
        assert seen.wait_for(lambda o: isinstance(o, BackendState) and not o.ok, 6, since=t0)
        restarted = time.monotonic()
        tb.ceph_sh("start-mon")
        assert seen.wait_for(lambda o: isinstance(o, BackendState) and o.ok, 20, since=restarted)
        token2 = secrets.token_hex(4)
        t1 = time.monotonic()
        _log_line(spec, f"megam-push {token2}")
        assert seen.wait_for(lambda o: isinstance(o, Event) and token2 in o.message, 8, since=t1), \
            "no cluster log after the mon restart"
    finally:
        layer.stop()
        tb.restore(spec.conf)
