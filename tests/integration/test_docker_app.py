"""The real app with the real DockerLayer against the testbed dockerd (other layers faked),
driven with Pilot: actions change the real engine, outside changes show up, logs are literal,
dockerd stopped and restarted -> unreachable, then recovered, app alive."""

from __future__ import annotations

import subprocess
import time

from megam_tui.app import MegamApp
from megam_tui.backends.docker import DockerLayer
from megam_tui.settings import Settings
from megam_tui.ui.containers import ContainersPane
from megam_tui.ui.logs import LogsScreen
from tests.integration.docker_helpers import SCRIPT, docker, engines, run_sleeper, unique
from tests.ui.fakes import FakeLayer


def make_app(tmp_path, **kw):
    settings = Settings(docker_engines=engines(), docker_configured=True, home=tmp_path, refresh=1.0, ssh_include_local=False, **kw)
    layers = {n: FakeLayer(n) for n in ("ssh", "ceph", "libvirt")}
    layers["docker"] = DockerLayer(settings)
    return MegamApp(settings, layers=layers, start_layers=True)


async def wait_for(pilot, cond, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        await pilot.pause(0.05)
    return cond()


def state(pane: ContainersPane, name: str) -> str | None:
    for key, c in pane.model.containers.items():
        if c.name == name and key in pane._rows:
            return pane.table.get_cell(key, "state").plain
    return None


def key_of(pane: ContainersPane, name: str) -> str:
    return next(k for k, c in pane.model.containers.items() if c.name == name)


async def focus_row(pilot, pane, name):
    pane.table.focus()
    pane.table.move_cursor(row=pane.table.get_row_index(key_of(pane, name)))
    await pilot.pause()


async def test_pane_lists_acts_and_follows_outside_changes(tmp_path):
    name = unique("app")
    run_sleeper(name)
    try:
        app = make_app(tmp_path)
        async with app.run_test(size=(200, 50)) as pilot:
            pane = app.panes["docker"]
            assert isinstance(pane, ContainersPane)
            assert await wait_for(pilot, lambda: state(pane, "web") == "running" and state(pane, "done") == "exited (3)")
            assert await wait_for(pilot, lambda: state(pane, name) == "running")
            # `s` on our container: a job stops it in the real engine; the pane shows it
            await focus_row(pilot, pane, name)
            await pilot.press("s")
            assert await wait_for(pilot, lambda: state(pane, name).startswith("exited"))
            assert docker("inspect", "-f", "{{.State.Status}}", name) == "exited"
            assert await wait_for(pilot, lambda: key_of(pane, name) not in pane.model.pending)
            await pilot.press("s")
            assert await wait_for(pilot, lambda: state(pane, name) == "running")
            await pilot.press("p")
            assert await wait_for(pilot, lambda: state(pane, name) == "paused")
            assert docker("inspect", "-f", "{{.State.Status}}", name) == "paused"
            await pilot.press("p")
            assert await wait_for(pilot, lambda: state(pane, name) == "running")
            # an outside `docker stop` is reflected through the event stream
            docker("stop", name)
            assert await wait_for(pilot, lambda: state(pane, name).startswith("exited"), timeout=5)
            docker("start", name)
            assert await wait_for(pilot, lambda: state(pane, name) == "running", timeout=5)
            # K asks for confirmation (confirm: kill) and then kills
            await focus_row(pilot, pane, name)
            await pilot.press("K")
            await pilot.pause()
            assert type(app.screen).__name__ == "ConfirmScreen"
            await pilot.press("y")
            assert await wait_for(pilot, lambda: state(pane, name) == "exited (137)")
            await focus_row(pilot, pane, name)
            await pilot.press("D")
            await pilot.pause()
            await pilot.press("y")
            assert await wait_for(pilot, lambda: all(c.name != name for c in pane.model.containers.values()))
            assert docker("ps", "-aq", "--filter", f"name=^{name}$") == ""
    finally:
        docker("rm", "-f", name, check=False)


async def test_logs_of_chatty_arrive_literally(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        pane = app.panes["docker"]
        assert await wait_for(pilot, lambda: state(pane, "chatty") == "running")
        await focus_row(pilot, pane, "chatty")
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        assert await wait_for(pilot, lambda: len(screen.view.entries) >= 3, timeout=10)
        line = screen.view.entries[-1].text
        assert "[red]x[/]" in line and "\x1b[31mred\x1b[0m" in line
        shown = "".join(seg.text for seg in screen.view.render_line(screen.view.size.height - 1 if len(screen.view.entries) >= screen.view.size.height else len(screen.view.entries) - 1))
        assert "[red]x[/]" in shown and "[b]bold[/b]" in shown and "\x1b" not in shown
        n = len(screen.view.entries)
        assert await wait_for(pilot, lambda: len(screen.view.entries) > n, timeout=5)  # live
        await pilot.press("escape")
        await pilot.pause()
        layer = app.layers["docker"]
        assert await wait_for(pilot, lambda: not layer._log_sessions, timeout=5)


async def test_engine_restart_while_the_app_runs(tmp_path):
    app = make_app(tmp_path)
    try:
        async with app.run_test(size=(200, 50)) as pilot:
            pane = app.panes["docker"]
            assert await wait_for(pilot, lambda: state(pane, "web") == "running")
            subprocess.run(["bash", str(SCRIPT), "down"], check=True, capture_output=True, timeout=120)
            assert await wait_for(pilot, lambda: state(pane, "web") == "unreachable", timeout=5)
            frame = app.frames["docker"]
            assert frame.problem and frame.problem.startswith("engine unreachable: ")
            subprocess.run(["bash", str(SCRIPT), "up"], check=True, capture_output=True, timeout=120)
            assert await wait_for(pilot, lambda: state(pane, "web") == "running", timeout=15)
            assert frame.problem is None
            await pilot.press("o")  # still responsive
            assert pane.model.sort_column == "state"
    finally:
        subprocess.run(["bash", str(SCRIPT), "up"], capture_output=True, timeout=120)
