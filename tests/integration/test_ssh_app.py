"""The real app with the real SshLayer against the sshd testbed (other layers absent).

Hosts pane shows real metrics for node1..3 and each fault host's own error;
`x` + a command streams output from 3 hosts through jobs; ctrl+c stops a
remote `sleep` on all of them.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import megam_tui.app

from megam_tui.app import MegamApp
from megam_tui.backends.ssh import SshLayer
from megam_tui.ui.hosts import HostsPane
from megam_tui.ui.run_command import RunCommandScreen
from tests.integration.test_ssh_layer import FAULTS, GOOD, make_settings, sleepers
from tests.ui.fakes import FakeLayer


class SshOnlyApp(MegamApp):
    # The header's own local-load sampler is not under test here, and its
    # LocalSample can reach the app after the header is gone at exit (NoMatches
    # 'LocalLoad', reported to the app shell's owner): leave it out.
    CSS_PATH = str(Path(megam_tui.app.__file__).parent / MegamApp.CSS_PATH)

    def _sample_local(self) -> None:
        pass


def make_app(tmp_path):
    settings = make_settings(tmp_path, include_local=True, refresh="1s")
    layers = {n: FakeLayer(n) for n in ("docker", "ceph", "libvirt")}
    layers["ssh"] = SshLayer(settings)
    return SshOnlyApp(settings, layers=layers, start_layers=True), layers["ssh"]


async def wait_for(pilot, cond, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        await pilot.pause(0.1)
    return cond()


def cell(pane: HostsPane, name: str, col: str) -> str:
    t = pane.table
    keys = [k.value for k in t.columns]
    return t.get_row(name)[keys.index(col)].plain


async def test_hosts_pane_shows_real_metrics_and_distinct_errors(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(180, 50)) as pilot:
        pane = app.panes["ssh"]
        assert isinstance(pane, HostsPane)
        assert await wait_for(pilot, lambda: set(pane.hosts) >= {"local", *GOOD, *FAULTS})
        assert await wait_for(pilot, lambda: all(cell(pane, h, "cpu").endswith("%") for h in GOOD))
        assert pane.displayed()[0] == "local"
        for h in GOOD:
            assert cell(pane, h, "state") == "up"
            assert cell(pane, h, "mem") != "–" and cell(pane, h, "disk").endswith("%")
        states = {h: cell(pane, h, "state") for h in FAULTS}
        assert states == {"refused": "refused", "silent": "timeout", "badauth": "auth failed", "changedkey": "host key changed"}


async def test_run_command_on_three_hosts_then_cancel_a_sleep(tmp_path):
    app, layer = make_app(tmp_path)
    async with app.run_test(size=(180, 50)) as pilot:
        pane = app.panes["ssh"]
        assert await wait_for(pilot, lambda: set(GOOD) <= set(pane.hosts))
        await pilot.press("3")
        pane.selected = set(GOOD)
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunCommandScreen) and sorted(screen.hosts) == sorted(GOOD)
        await pilot.press(*"echo out-$((6*7)); echo err >&2; exit 3", "enter")
        assert await wait_for(pilot, lambda: not screen.running)
        for h in GOOD:
            mine = [o for o in screen.outputs if o.host == h]
            assert any(o.line == "out-42" and o.stream == "stdout" for o in mine), mine
            assert any(o.line == "err" and o.stream == "stderr" for o in mine)
            assert mine[-1].done and mine[-1].exit_code == 3
        # cancel: a long sleep on all three, ctrl+c, the sleeps are gone on the hosts
        await pilot.press(*"sleep 91", "enter")
        assert await wait_for(pilot, lambda: len(sleepers(layer, "91")) == 3)
        await pilot.press("ctrl+c")
        assert await wait_for(pilot, lambda: not screen.running)
        for h in GOOD:
            assert [o for o in screen.outputs if o.host == h][-1].done
        end = time.monotonic() + 6
        while sleepers(layer, "91") and time.monotonic() < end:
            await asyncio.sleep(0.2)
        assert sleepers(layer, "91") == []
        assert "cancelled" in str(screen.query_one("#run-status").render())
