"""libvirt faults through the running app: libvirtd stopped and restarted; a domain destroyed
outside the app. The VMs pane says so, the app answers keys, the other layers are untouched,
and the pane recovers by itself."""

from __future__ import annotations

import asyncio
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
from tests.integration.test_vms_actions import running_domain, virsh


def dom_state(app, name, hv="local"):
    d = app.panes["libvirt"].domains.get(f"{hv}/{name}")
    return d.state if d else None


@pytest.fixture
def scratch_vm():
    """A disk-less domain of our own, running; destroyed and undefined after the test."""
    with running_domain("megam-fault") as name:
        yield name


async def test_domain_destroyed_outside_the_app(settings, scratch_vm):
    async with running_app(settings, need=("libvirt",)) as (app, pilot):
        assert await wait_for(pilot, lambda: dom_state(app, scratch_vm) == "running", 20)
        baseline = ok_keys(app)
        t = time.monotonic()
        await asyncio.to_thread(virsh, "destroy", "--domain", scratch_vm)
        assert await wait_for(pilot, lambda: dom_state(app, scratch_vm) == "shut off", 10), dom_state(app, scratch_vm)
        seen_in = time.monotonic() - t
        assert any(ev.layer == "libvirt" and ev.object == scratch_vm and ev.kind == "stopped" for ev in timeline(app))
        assert scratch_vm in screen_text(app) or app.panes["libvirt"].table.row_count > 10
        assert app.frames["libvirt"].problem is None
        await assert_responsive(pilot, app)
        await assert_undisturbed(pilot, app, baseline, spared=set())
        print(f"domain destroyed outside: pane shows 'shut off' after {seen_in:.2f} s")


async def test_libvirtd_stopped_then_restarted(settings):
    async with running_app(settings, need=("libvirt",)) as (app, pilot):
        assert await wait_for(pilot, lambda: dom_state(app, "megam-vm1") == "running", 20)
        baseline = ok_keys(app)
        frame = app.frames["libvirt"]
        stopped = time.monotonic()
        await asyncio.to_thread(testbed_sh, "libvirt", "stop-libvirtd")
        try:
            assert await wait_for(pilot, lambda: frame.problem is not None, 20), "no problem shown"
            seen_in, shown = time.monotonic() - stopped, frame.problem
            assert "unreachable" in shown, shown
            assert "unreachable" in screen_text(app)
            assert any(ev.layer == "libvirt" and ev.kind == "reachability" and ev.severity == "error" for ev in timeline(app))
            await assert_responsive(pilot, app)
            await assert_undisturbed(pilot, app, baseline, "libvirt")
        finally:
            restarted = time.monotonic()
            await asyncio.to_thread(testbed_sh, "libvirt", "start-libvirtd")
        assert await wait_for(pilot, lambda: frame.problem is None and dom_state(app, "megam-vm1") == "running", 30), frame.problem
        back_in = time.monotonic() - restarted
        reach = [ev.severity for ev in timeline(app) if ev.layer == "libvirt" and ev.kind == "reachability"]
        assert "error" in reach and "info" in reach[reach.index("error"):], reach  # down, then back
        await assert_responsive(pilot, app)
        await assert_undisturbed(pilot, app, baseline, "libvirt")
        print(f"libvirtd stopped: shown after {seen_in:.2f} s ({shown!r}); recovered {back_in:.2f} s after restart")
