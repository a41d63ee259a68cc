"""Soak (issue #7): per-object UI state stays bounded while objects come and go."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult

from megam_tui.jobs import DONE, RUNNING, Job
from megam_tui.models import Event
from megam_tui.ui.events import EventsPane
from megam_tui.ui.jobs_pane import JobsPane
from megam_tui.ui.notify import Notifier


class _Host(App):
    def __init__(self, pane) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


def _job(jid: int, state: str) -> Job:
    return Job(jid, "docker", "restart", f"local/{jid:064x}", lambda job: None, state=state, started=time.time(), finished=time.time())


async def test_jobs_pane_keeps_at_most_max_rows_finished_jobs():
    pane = JobsPane(max_rows=20)
    async with _Host(pane).run_test(size=(120, 30)) as pilot:
        pane.job_changed(_job(1, RUNNING))  # a long-running job is never dropped
        for jid in range(2, 200):
            pane.job_changed(_job(jid, DONE))
        await pilot.pause()
        table = pane.query_one("#jobs-table")
        assert len(pane.jobs) == len(pane._cells) == table.row_count == 20
        assert 1 in pane.jobs and 199 in pane.jobs and 2 not in pane.jobs
        pane.job_changed(_job(1, DONE))  # its later update still reaches the row
        await pilot.pause()
        assert table.get_row("1")[4].plain == DONE


async def test_timeline_table_render_caches_hold_one_generation():
    """DataTable keys its render caches by an update counter every add/remove_row bumps:
    stale entries used to pile up to 10,000 cells per table over a soak."""
    pane = EventsPane(max_events=50)
    async with _Host(pane).run_test(size=(120, 30)) as pilot:
        table = pane.query_one("#events-table")
        for i in range(60):
            for j in range(3):
                pane.add(Event(time.time(), "docker", "info", "local", f"c-{i}-{j} start", object=f"c-{i}-{j}", kind="start"))
            pane._flush()
            await pilot.pause()
        visible_cells = 6 * (table.size.height + 1)
        assert table.row_count == 50
        assert 0 < len(table._cell_render_cache) <= visible_cells
        assert len(table._row_render_cache) <= table.size.height + 1
        assert len(table._line_cache) <= table.size.height + 1


class _FakeApp:
    def __init__(self) -> None:
        self.toasts = 0
        self.settings = None

    def notify(self, *args, **kwargs) -> None:
        self.toasts += 1


def test_notifier_forgets_expired_keys_of_objects_that_come_and_go():
    app = _FakeApp()
    n = Notifier(app, per_key=10.0, burst=5, window=10.0)
    now = 0.0
    for i in range(5000):  # a new container name every 3 s, each dying once
        now += 3.0
        n.event(Event(time.time(), "docker", "warn", "local", "died", object=f"run-{i}", kind="die"), now=now)
    assert app.toasts == 5000
    assert len(n._last) <= n.PRUNE_AT
    # the rate limit per key still holds
    ev = Event(time.time(), "docker", "warn", "local", "died", object="web", kind="die")
    assert n.event(ev, now=now + 100) is True
    assert n.event(ev, now=now + 101) is False


async def test_config_events_max_bounds_the_apps_timeline(tmp_path):
    from megam_tui.app import MegamApp
    from megam_tui.config import load_settings
    from tests.ui.fakes import FakeLayer

    cfg = tmp_path / "megam.yaml"
    cfg.write_text("events:\n  max: 7\n")
    settings, _ = load_settings(str(cfg), env={"MEGAM_HOME": str(tmp_path / "home")})
    assert settings.events_max == 7
    app = MegamApp(settings, layers={n: FakeLayer(n) for n in ("docker", "ceph", "libvirt", "ssh")}, start_layers=False)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(EventsPane)
        for i in range(20):
            pane.add(Event(time.time(), "docker", "info", "local", f"c{i} start", object=f"c{i}", kind="start"))
        pane._flush()
        await pilot.pause()
        assert len(pane.events) == 7 and pane.query_one("#events-table").row_count == 7
