"""Ceph faults through the running app: an OSD killed, the mon stopped, the mgr stopped,
each then restored. The Ceph pane and the timeline say what happened, the app answers
keys, the other layers are untouched, and the pane recovers by itself."""

from __future__ import annotations

import asyncio
import subprocess
import time

import pytest

from tests.faults.conftest import (
    assert_responsive,
    assert_undisturbed,
    ok_keys,
    running_app,
    screen_text,
    testbed_sh,
    timeline,
    wait_for,
)
from tests.integration import test_ceph_testbed as tb


@pytest.fixture
def conf():
    spec = tb.cluster_spec()
    tb.restore(spec.conf)
    yield spec.conf
    tb.restore(spec.conf)


def view(app):
    return app.panes["ceph"].clusters.get("lab")


def health(app):
    v = view(app)
    return v.status.health if v and v.status else None


def codes(app):
    v = view(app)
    return {c.code for c in v.status.checks} if v and v.status else set()


async def ceph_sh(*args):
    await asyncio.to_thread(testbed_sh, "ceph", *args)


async def test_osd_killed_shows_warn_with_detail_then_ok(settings, conf):
    async with running_app(settings, need=("ceph",)) as (app, pilot):
        assert await wait_for(pilot, lambda: health(app) == "HEALTH_OK", 20)
        baseline = ok_keys(app)
        killed = time.monotonic()
        await ceph_sh("kill-osd", "1")
        try:
            assert await wait_for(pilot, lambda: "OSD_DOWN" in codes(app), 15), codes(app)
            seen_in = time.monotonic() - killed
            assert health(app) == "HEALTH_WARN"
            text = screen_text(app)
            assert "HEALTH_WARN" in text and "OSD_DOWN" in text, text
            assert any(ev.layer == "ceph" and ev.kind == "OSD_DOWN" for ev in timeline(app))
            assert app.frames["ceph"].problem is None  # the cluster answers: degraded, not unreachable
            await assert_responsive(pilot, app)
            await assert_undisturbed(pilot, app, baseline, "ceph")
        finally:
            restarted = time.monotonic()
            await ceph_sh("start-osd", "1")
        assert await wait_for(pilot, lambda: "OSD_DOWN" not in codes(app) and view(app).status.num_up_osds == 3, 60), codes(app)
        back_in = time.monotonic() - restarted
        await assert_responsive(pilot, app)
        print(f"OSD killed: OSD_DOWN on screen after {seen_in:.2f} s; cleared {back_in:.2f} s after restart")


async def test_mon_stopped_shows_unreachable_then_recovers(settings, conf):
    async with running_app(settings, need=("ceph",)) as (app, pilot):
        assert await wait_for(pilot, lambda: health(app) == "HEALTH_OK", 20)
        baseline = ok_keys(app)
        stopped = time.monotonic()
        await ceph_sh("stop-mon")
        try:
            frame = app.frames["ceph"]
            assert await wait_for(pilot, lambda: (frame.problem or "").startswith("cluster unreachable: "), 20), frame.problem
            seen_in = time.monotonic() - stopped
            assert "cluster unreachable" in screen_text(app)
            assert view(app).error and view(app).error.startswith("cluster unreachable")
            assert any(ev.layer == "ceph" and ev.kind == "reachability" and ev.severity == "error" for ev in timeline(app))
            await assert_responsive(pilot, app)  # a hung mon must not hang the UI
            await assert_undisturbed(pilot, app, baseline, "ceph")
        finally:
            restarted = time.monotonic()
            await ceph_sh("start-mon")
        assert await wait_for(pilot, lambda: frame.problem is None and view(app).error is None, 30), frame.problem
        back_in = time.monotonic() - restarted
        assert any(ev.layer == "ceph" and ev.kind == "reachability" and "back" in ev.message for ev in timeline(app))
        await assert_responsive(pilot, app)
        print(f"mon stopped: unreachable on screen after {seen_in:.2f} s; back {back_in:.2f} s after restart")


def ceph_cli(conf: str, *args: str, tries: int = 5) -> int:
    """Run a ceph CLI command, retrying while the mon is still settling (e.g. right after a restart)."""
    rc = -1
    for _ in range(tries):
        rc = subprocess.run(["ceph", "--conf", conf, "--connect-timeout", "3", *args],
                            capture_output=True, timeout=20, check=False).returncode
        if rc == 0:
            break
        time.sleep(2)
    return rc


async def test_mgr_stopped_shows_mgr_down_then_recovers(settings, conf):
    async with running_app(settings, need=("ceph",)) as (app, pilot):
        assert await wait_for(pilot, lambda: health(app) == "HEALTH_OK", 20)
        baseline = ok_keys(app)
        stopped = time.monotonic()
        await ceph_sh("stop-mgr")
        try:
            # the mon notices a silent mgr only after its beacon grace (30 s+); `mgr fail`
            # tells it now, as it would be told later
            await asyncio.to_thread(ceph_cli, conf, "mgr", "fail", "x")
            # what is certain at once: the mgr map says no active mgr, and the pane says so;
            # the MGR_DOWN check follows when the mon raises it (seconds on a long-running
            # cluster, later on one created a minute ago)
            assert await wait_for(pilot, lambda: view(app).status is not None and view(app).status.mgr_available is False, 40)
            seen_in = time.monotonic() - stopped
            assert "mgr NONE" in screen_text(app)
            if await wait_for(pilot, lambda: "MGR_DOWN" in codes(app), 20):
                assert health(app) == "HEALTH_WARN" and "MGR_DOWN" in screen_text(app)
            assert app.frames["ceph"].problem is None  # the mon still answers
            await assert_responsive(pilot, app)
            await assert_undisturbed(pilot, app, baseline, "ceph")
        finally:
            restarted = time.monotonic()
            await ceph_sh("start-mgr")
        assert await wait_for(pilot, lambda: "MGR_DOWN" not in codes(app) and view(app).status.mgr_available, 45), codes(app)
        back_in = time.monotonic() - restarted
        await assert_responsive(pilot, app)
        print(f"mgr stopped: MGR_DOWN on screen after {seen_in:.2f} s; cleared {back_in:.2f} s after restart")
