"""ContainersPane in a tiny host app, fed with fake models through apply()."""

import dataclasses
import time

from textual.app import App
from textual.widgets import DataTable, Input, Static

from megam_tui.backends.docker_models import ContainerRemoved, ContainersSnapshot, ContainerUpdate, StatsSnapshot
from megam_tui.models import BackendState, Container, ContainerStats
from megam_tui.ui.containers import ContainersPane
from megam_tui.ui.messages import RunAction


def C(cid, name, state="running", project=None, engine="local", **kw):
    return Container(id=cid, name=name, engine=engine, image="busybox:local", state=state, project=project, started_at=time.time() - 65 if state == "running" else None, **kw)


OK = BackendState("docker", "local", True)
BASE = (C("a1", "web", project="demo"), C("b2", "[red]x[/]"), C("c3", "done", state="exited", exit_code=3), C("d4", "chatty", project="demo"))


class Host(App):
    def __init__(self):
        super().__init__()
        self.actions = []

    def compose(self):
        yield ContainersPane(id="containers")

    def on_run_action(self, msg: RunAction):
        self.actions.append(msg)


def pane(app) -> ContainersPane:
    return app.query_one(ContainersPane)


def keys(app):
    return [r.key.value for r in app.query_one(DataTable).ordered_rows]


def cell(app, key, col):
    return app.query_one(DataTable).get_cell(key, col)


def screen_row(app, key) -> str:
    """What the table actually draws for the row (not just its data)."""
    t = app.query_one(DataTable)
    y = t.get_row_index(key) + 1  # + header
    return "".join(seg.text for seg in t.render_line(y - int(t.scroll_y)))


async def start(pilot):
    p = pane(pilot.app)
    p.apply(OK)
    # fresh start times: BASE was built at import, maybe minutes ago in a long run
    fresh = tuple(dataclasses.replace(c, started_at=time.time() - 65) if c.started_at else c for c in BASE)
    p.apply(ContainersSnapshot("local", fresh, OK))
    p.table.focus()
    await pilot.pause()
    return p


async def test_rows_keyed_sorted_and_untrusted_text_literal():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        await start(pilot)
        assert keys(app) == ["local/b2", "local/d4", "local/c3", "local/a1"]  # by name: "[red]x[/]" < chatty < done < web
        assert cell(app, "local/b2", "name").plain == "[red]x[/]"
        assert cell(app, "local/c3", "state").plain == "exited (3)"
        assert cell(app, "local/a1", "project").plain == "demo"
        assert cell(app, "local/a1", "uptime").plain == "1m"


async def test_update_changes_only_changed_cells_and_keeps_cursor():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        p.table.move_cursor(row=keys(app).index("local/c3"))
        before = p.redraws
        p.apply(ContainerUpdate(C("c3", "done", state="running"), time.time()))
        await pilot.pause()
        # state + uptime + (stats-less) cells: only what changed is written
        assert 1 <= p.redraws - before <= 3
        assert cell(app, "local/c3", "state").plain == "running"
        assert "running" in screen_row(app, "local/c3") and "exited" not in screen_row(app, "local/c3")
        assert "web" in screen_row(app, "local/a1")  # other rows still drawn right
        # a new container sorted before the highlighted row: the cursor follows its row
        p.apply(ContainerUpdate(C("e5", "0-first"), time.time()))
        await pilot.pause()
        assert keys(app)[0] == "local/e5"
        assert p._highlighted_key() == "local/c3"
        p.apply(ContainerRemoved("local", "e5"))
        await pilot.pause()
        assert "local/e5" not in keys(app) and p._highlighted_key() == "local/c3"


async def test_stats_update_cpu_mem_and_sparkline_history():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        p.table.move_cursor(row=keys(app).index("local/a1"))
        for i in range(70):
            p.apply(StatsSnapshot("local", (ContainerStats("a1", cpu_pct=float(i), mem_bytes=50 * 1024 * 1024, mem_limit=200 * 1024 * 1024),)))
        await pilot.pause()
        shown = float(cell(app, "local/a1", "cpu").plain)
        assert 69.0 * 0.9 <= shown <= 69.0  # hysteresis: within 10 % of the latest sample
        assert cell(app, "local/a1", "mem").plain == "50.0M"
        assert cell(app, "local/a1", "mem_pct").plain == "25.0"
        assert len(p.model.cpu_hist["local/a1"]) == 60  # bounded ring
        assert app.query_one("#containers-cpu").data[-1] == 69.0
        before = p.redraws
        p.apply(StatsSnapshot("local", (ContainerStats("a1", cpu_pct=69.0, mem_bytes=50 * 1024 * 1024, mem_limit=200 * 1024 * 1024),)))
        await pilot.pause()
        assert p.redraws == before  # nothing changed: nothing redrawn
        # noise below the hysteresis is not redrawn; a real move is
        p.apply(StatsSnapshot("local", (ContainerStats("a1", cpu_pct=shown + 0.4, mem_bytes=50 * 1024 * 1024 + 1000, mem_limit=200 * 1024 * 1024),)))
        await pilot.pause()
        assert p.redraws == before and float(cell(app, "local/a1", "cpu").plain) == shown
        p.apply(StatsSnapshot("local", (ContainerStats("a1", cpu_pct=20.0, mem_bytes=80 * 1024 * 1024, mem_limit=200 * 1024 * 1024),)))
        await pilot.pause()
        assert cell(app, "local/a1", "cpu").plain == "20.0" and cell(app, "local/a1", "mem").plain == "80.0M"
        assert "20.0" in screen_row(app, "local/a1") and "80.0M" in screen_row(app, "local/a1")
        assert p.redraws - before == 3  # cpu, mem, mem%
        # stats of an exited container are not shown
        p.apply(StatsSnapshot("local", (ContainerStats("c3", cpu_pct=5.0, mem_bytes=1),)))
        await pilot.pause()
        assert cell(app, "local/c3", "cpu").plain == ""


async def test_filter_enter_and_escape():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        await pilot.press("slash")
        assert app.focused is app.query_one("#containers-filter", Input)
        await pilot.press("w", "e")
        await pilot.pause()
        assert keys(app) == ["local/a1"]
        await pilot.press("enter")
        assert app.focused is p.table and p._highlighted_key() == "local/a1"
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(keys(app)) == 4 and p.model.filter == ""


async def test_sort_by_header_click_and_key_and_group():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        p.apply(StatsSnapshot("local", (ContainerStats("a1", cpu_pct=50.0), ContainerStats("d4", cpu_pct=10.0), ContainerStats("b2", cpu_pct=90.0))))
        p.model.sort_column = "cpu"
        p._reconcile()
        await pilot.pause()
        assert keys(app) == ["local/b2", "local/a1", "local/d4", "local/c3"]
        await pilot.press("O")  # reverse
        assert keys(app)[-1] == "local/b2"
        await pilot.press("o")  # next sort column after cpu: mem
        assert p.model.sort_column == "mem"
        await pilot.press("g")
        await pilot.pause()
        assert keys(app)[0] == "group:demo" and keys(app)[3] == "group:(no project)"
        assert set(keys(app)[1:3]) == {"local/a1", "local/d4"}
        assert cell(app, "group:demo", "name").plain == "▾ demo (2)"


async def test_actions_post_runaction_with_pending_marker_and_multiselect():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        p.table.move_cursor(row=keys(app).index("local/a1"))
        await pilot.press("s")
        await pilot.pause()
        assert [(m.layer, m.action, m.targets) for m in app.actions] == [("docker", "toggle", ["local/a1"])]
        assert cell(app, "local/a1", "mark").plain.endswith("…")
        # the job finishing (or an event for the row) clears the marker
        class Job:
            layer, target, state = "docker", "local/a1", "failed"
        p.apply(Job())
        await pilot.pause()
        assert not cell(app, "local/a1", "mark").plain.endswith("…")
        p.table.move_cursor(row=0)
        await pilot.press("space", "space")  # selects rows 0 and 1 (cursor moves down)
        await pilot.press("r", "K", "D", "p")
        await pilot.pause()
        sel = keys(app)[:2]
        assert [(m.action, m.targets) for m in app.actions[1:]] == [("restart", sel), ("kill", sel), ("remove", sel), ("pause_toggle", sel)]
        await pilot.press("escape")
        assert not p.model.selected


async def test_group_rows_are_not_targets():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        await pilot.press("g")
        p.table.move_cursor(row=0)
        await pilot.press("s")
        await pilot.pause()
        assert app.actions == []


async def test_engine_unreachable_then_recovered():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        down = BackendState("docker", "local", False, "engine unreachable: socket not found")
        p.apply(down)
        p.apply(ContainersSnapshot("local", BASE, down))
        await pilot.pause()
        status = app.query_one("#containers-status", Static)
        assert str(status.render()) == "local: engine unreachable: socket not found"
        assert cell(app, "local/a1", "state").plain == "unreachable"
        p.apply(OK)
        p.apply(ContainersSnapshot("local", BASE, OK))
        await pilot.pause()
        assert cell(app, "local/a1", "state").plain == "running"
        assert "running" in str(status.render())


async def test_snapshot_after_reconnect_drops_vanished_rows():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        p.apply(ContainersSnapshot("local", BASE[:2], OK))
        await pilot.pause()
        assert sorted(keys(app)) == ["local/a1", "local/b2"]


async def test_uptime_refresh_rebuilds_only_rows_whose_uptime_text_moved():
    app = Host()
    async with app.run_test(size=(180, 30)) as pilot:
        p = await start(pilot)
        assert cell(app, "local/a1", "uptime").plain == "1m"
        # web has now been up for 2 hours; the others' texts ("1m") did not move
        web = p.model.containers["local/a1"]
        p.model.containers["local/a1"] = dataclasses.replace(web, started_at=time.time() - 7300)
        rebuilt = []
        values = p._values
        p._values = lambda item: (rebuilt.append(item), values(item))[1]
        p._refresh_uptimes()
        assert cell(app, "local/a1", "uptime").plain == "2h01m"
        assert rebuilt == ["local/a1"]
