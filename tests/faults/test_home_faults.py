"""MEGAM_HOME not writable (it lies under a regular file): the audit log and a log save fail
with a clear message on screen, the actions themselves still work, and the app keeps running."""

from __future__ import annotations

from dataclasses import replace

from megam_tui.ui.logs import LogsScreen
from megam_tui.ui.messages import RunAction
from tests.faults.conftest import assert_responsive, running_app, screen_text, wait_for


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_unwritable_home_shows_errors_and_keeps_running(settings, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    home = blocker / "megam"
    monkeypatch.setenv("MEGAM_HOME", str(home))
    settings = replace(settings, home=home)
    async with running_app(settings, need=("docker", "ssh")) as (app, pilot):
        assert await wait_for(pilot, lambda: app.panes["ssh"].hosts.get("node1") and app.panes["ssh"].hosts["node1"].reachable, 20)
        # an action: it runs, but its audit record cannot be written -> a warning toast
        app.post_message(RunAction("ssh", "run", ["node1"], {"command": "echo audit-me"}))
        assert await wait_for(pilot, lambda: any(j.state == "done" for j in app.jobs.jobs()), 20), [
            (j.state, j.error) for j in app.jobs.jobs()]
        job = app.jobs.jobs()[-1]
        assert any("audit-me" in line for line in job.output)
        assert await wait_for(pilot, lambda: any("audit log" in t for t in toasts(app)), 5), toasts(app)
        msg = next(t for t in toasts(app) if "audit log" in t)
        assert "Not a directory" in msg and "\n" not in msg and "Traceback" not in msg
        assert await wait_for(pilot, lambda: "audit log" in screen_text(app), 5), screen_text(app)[-4000:]
        assert not home.exists()
        await assert_responsive(pilot, app)
        # saving a followed log fails with a message too
        pane = app.panes["docker"]
        key = next(k for k, c in pane.model.containers.items() if c.name == "chatty")
        pane.table.focus()
        pane.table.move_cursor(row=pane.table.get_row_index(key))
        await pilot.press("l")
        assert await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), 5)
        logs = app.screen
        assert await wait_for(pilot, lambda: len(logs.view.entries) >= 1, 15)
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: any("save failed" in t for t in toasts(app)), 5), toasts(app)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: app.screen is app.screen_stack[0], 5)
        await assert_responsive(pilot, app)
        assert app.is_running
