"""The console and the store: it opens with the stored past (marked), and records what it shows."""

from __future__ import annotations

import time

from megam_tui.app import MegamApp
from megam_tui.models import Event
from megam_tui.settings import Settings
from megam_tui.store import db, query, store_path
from megam_tui.store.writer import StoreWriter
from megam_tui.ui.messages import LayerUpdate


def make_app(tmp_path, **kw):
    settings = Settings(home=tmp_path / "home", ssh_include_local=False, **kw)
    return MegamApp(settings, layers={}, start_layers=False, history=True), settings


async def test_events_pane_opens_with_history_then_records_new(tmp_path):
    app, settings = make_app(tmp_path)
    w = StoreWriter(store_path(settings.home)).start()
    now = time.time()
    w.record_event(Event(now - 2 * 86400, "docker", "info", "local", "too old to load", object="old"))
    w.record_event(Event(now - 600, "docker", "warn", "local", "web died overnight", object="web", kind="die"))
    w.stop()
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.panes["events"]
        for _ in range(100):
            if pane._past:
                break
            await pilot.pause(0.05)
        assert [ev.message for _, ev in pane.events] == ["web died overnight"]
        app.post_message(LayerUpdate("docker", Event(time.time(), "docker", "error", "local", "db died now", object="db")))
        await pilot.pause(0.1)
        pane._flush()
        messages = [ev.message for _, ev in pane.events]
        assert messages == ["web died overnight", "db died now"]
        past = [eid for eid, ev in pane.events if eid in pane._past]
        assert len(past) == 1  # only the loaded one is marked
        assert "from history" in str(app.query_one("#events-bar").render())
    conn = db.open_reader(store_path(settings.home))
    stored = [e.message for e in query.events(conn, now - 3 * 86400)]
    assert stored == ["too old to load", "web died overnight", "db died now"]  # nothing stored twice


async def test_store_switched_off(tmp_path):
    app, settings = make_app(tmp_path, store_enabled=False)
    async with app.run_test(size=(160, 50)) as pilot:
        app.timeline(Event(time.time(), "app", "info", "megam", "hello"))
        await pilot.pause(0.05)
        assert app.store is None
    assert not store_path(settings.home).exists()


async def test_an_app_built_in_code_keeps_no_history_unless_asked(tmp_path):
    settings = Settings(home=tmp_path / "home", ssh_include_local=False)
    app = MegamApp(settings, layers={}, start_layers=False)  # tests, benchmarks: the CLI passes history=True
    async with app.run_test(size=(160, 50)) as pilot:
        app.timeline(Event(time.time(), "app", "info", "megam", "hello"))
        await pilot.pause(0.05)
        assert app.store is None
    assert not store_path(settings.home).exists()
