"""The whole app watching the testbed cluster: what the operator sees and is told.

OSD killed -> the Ceph pane shows HEALTH_WARN, OSD_DOWN and its detail line within 5 s,
the badge turns to the alarm colour and a warning notification is raised; mon stopped ->
"unreachable" shown within the timeout while the rest of the app keeps answering keys.
`megam-tui status --json` reports the cluster like `ceph health`.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import yaml

from megam_tui.app import MegamApp
from megam_tui.settings import Settings
from megam_tui.ui.ceph import CephPane
from megam_tui.ui.ceph_badge import CephBadge
from tests.conftest import REPO
from tests.integration import test_ceph_testbed as tb


def testbed_conf() -> str:
    """The testbed's ceph.conf without asking for a healthy cluster (restore runs when it is not)."""
    return tb.testbed.testbed_fragment("ceph")["ceph"]["clusters"][0]["conf"]


def make_app(tmp_path, timeout: float = 5.0) -> MegamApp:
    spec = tb.cluster_spec("rados", timeout=timeout)
    tb.restore(spec.conf)
    settings = Settings(refresh=1.0, ceph_clusters=(spec,), home=tmp_path / "home", ssh_include_local=False, bell=False)
    app = MegamApp(settings)
    app.seen_notes = []
    orig = app.notify

    def notify(message, *a, **kw):
        app.seen_notes.append((str(message), kw.get("severity")))
        return orig(message, *a, **kw)

    app.notify = notify
    return app


async def wait_for(pilot, pred, timeout: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if pred():
            return time.monotonic() - start
        await pilot.pause(0.05)
    return None


def head(app) -> str:
    return str(app.query_one("#ceph-head").render())


def osd_down_shown(pane: CephPane, osd: int) -> bool:
    node = pane._check_nodes.get("OSD_DOWN")
    return bool(node and node.is_expanded and any(
        f"osd.{osd} " in c.label.plain and "is down" in c.label.plain for c in node.children))


async def test_osd_down_shown_with_detail_and_notified_then_back_to_ok(tmp_path):
    app = make_app(tmp_path)
    try:
        async with app.run_test(size=(180, 50)) as pilot:
            pane = app.panes["ceph"]
            badge = app.query_one(CephBadge)
            assert await wait_for(pilot, lambda: "HEALTH_OK" in head(app), 15), head(app)
            assert badge.has_class("-ok")
            await asyncio.to_thread(tb.ceph_sh, "kill-osd", "1")
            took = await wait_for(pilot, lambda: "HEALTH_WARN" in head(app) and osd_down_shown(pane, 1), 5)
            assert took is not None, f"not on screen within 5 s: {head(app)}"
            assert badge.has_class("-warn") and "HEALTH_WARN" in str(badge.render())
            # toasts are coalesced (and held for the first seconds after start): wait for it
            assert await wait_for(pilot, lambda: any(sev == "warning" and "HEALTH_WARN" in msg for msg, sev in app.seen_notes), 10) is not None, app.seen_notes
            await asyncio.to_thread(tb.ceph_sh, "start-osd", "1")
            assert await wait_for(pilot, lambda: "OSD_DOWN" not in pane._check_nodes, 30)
            assert await wait_for(pilot, lambda: "HEALTH_OK" in head(app), 60)
            assert badge.has_class("-ok")
    finally:
        tb.restore(testbed_conf())


async def test_noout_from_the_app_shows_osdmap_flags_and_unset_clears(tmp_path):
    app = make_app(tmp_path)
    try:
        async with app.run_test(size=(180, 50)) as pilot:
            pane = app.panes["ceph"]
            assert await wait_for(pilot, lambda: "HEALTH_OK" in head(app), 15)
            frame = app.query_one("#frame-ceph")
            for _ in range(5):  # at start the focus may sit in another pane's Input, which eats the "4"
                await pilot.press("4")
                await pilot.pause(0.2)
                if app.focused is not None and frame in app.focused.ancestors_with_self:
                    break
            assert frame in app.focused.ancestors_with_self
            await pilot.press("o")  # the pane's noout toggle -> RunAction -> job -> layer
            assert await wait_for(pilot, lambda: "OSDMAP_FLAGS" in pane._check_nodes, 8), head(app)
            assert "noout flag(s) set" in pane._check_nodes["OSDMAP_FLAGS"].label.plain
            await pilot.press("o")
            assert await wait_for(pilot, lambda: "OSDMAP_FLAGS" not in pane._check_nodes, 8)
            done = [j for j in app.jobs.jobs() if j.layer == "ceph"]
            assert [(j.action, j.state) for j in done] == [("set_flag", "done"), ("unset_flag", "done")]
    finally:
        tb.restore(testbed_conf())


async def test_mon_down_unreachable_within_timeout_app_keeps_working(tmp_path):
    app = make_app(tmp_path, timeout=3.0)
    try:
        async with app.run_test(size=(180, 50)) as pilot:
            assert await wait_for(pilot, lambda: "HEALTH_OK" in head(app), 15)
            await asyncio.to_thread(tb.ceph_sh, "stop-mon")
            took = await wait_for(pilot, lambda: "cluster unreachable" in head(app), 3.0 + 1.0 + 1.0)
            assert took is not None, head(app)
            frame = app.query_one("#frame-ceph")
            assert frame.has_class("-down")
            assert app.query_one(CephBadge).has_class("-err")
            await pilot.press("6")  # the rest of the app still answers
            await pilot.pause()
            assert app.query_one("#frame-events") in app.focused.ancestors_with_self
            await asyncio.to_thread(tb.ceph_sh, "start-mon")
            assert await wait_for(pilot, lambda: "unreachable" not in head(app) and "HEALTH_" in head(app), 20)
            assert not frame.has_class("-down")
    finally:
        tb.restore(testbed_conf())


def test_status_json_reports_health_like_ceph_health(tmp_path):
    spec = tb.cluster_spec()
    tb.restore(spec.conf)
    cfg = tmp_path / "megam.yaml"
    cfg.write_text(yaml.safe_dump({"ssh": {"include_local": False},
                                   "ceph": {"clusters": [{"name": "lab", "conf": spec.conf, "timeout": "5s"}]}}))
    cfg.chmod(0o600)
    res = subprocess.run([sys.executable, "-m", "megam_tui", "--config", str(cfg), "status", "--json"],
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    out = json.loads(res.stdout)
    ceph = out["ceph"]
    assert ceph["ok"] is True and ceph["health"] == "HEALTH_OK", ceph
    assert ceph["clusters"][0]["name"] == "lab" and ceph["clusters"][0]["checks"] == []
