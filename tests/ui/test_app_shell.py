"""Pilot tests of the app shell with fake layers (fast; no engines)."""

import json
from pathlib import Path

from rich.text import Text
from textual.widgets import DataTable

from megam_tui.app import MegamApp
from megam_tui.models import BackendState
from megam_tui.settings import Settings
from megam_tui.ui.confirm import ConfirmScreen
from megam_tui.ui.help import HelpScreen
from megam_tui.ui.messages import LayerUpdate, RunAction
from tests.ui.fakes import FakeLayer, container, event, recording_factory


def make_app(tmp_path, **settings_kw):
    settings = Settings(home=tmp_path / "home", ssh_include_local=False, **settings_kw)
    layers = {n: FakeLayer(n, read_only=settings.read_only) for n in ("docker", "ceph", "libvirt", "ssh")}
    # make every layer "configured" by giving it a spec-free marker
    app = MegamApp(settings, layers=layers, start_layers=False, pane_factory=recording_factory)
    return app, layers


async def test_number_keys_focus_panes_and_z_zooms(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        for key, frame_id in (("1", "frame-docker"), ("2", "frame-libvirt"), ("3", "frame-ssh"),
                              ("4", "frame-ceph"), ("5", "frame-jobs"), ("6", "frame-events")):
            await pilot.press(key)
            await pilot.pause()
            assert app.query_one(f"#{frame_id}") in app.focused.ancestors_with_self, key
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#frame-events")
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is None
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None


async def test_layer_updates_reach_pane_timeline_and_frame(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        app.post_message(LayerUpdate("docker", [container("web"), container("[red]db[/]", "exited")]))
        app.post_message(LayerUpdate("docker", BackendState("docker", "local", False, "engine unreachable: gone [b]x[/b]")))
        await pilot.pause()
        pane = app.panes["docker"]
        assert any(isinstance(o, list) for o in pane.applied)
        frame = app.query_one("#frame-docker")
        # the title getter returns markup: parsing it back must give the literal text
        assert "engine unreachable: gone [b]x[/b]" in Text.from_markup(frame.border_subtitle).plain
        rows = app.query_one("#events-table", DataTable)
        messages = [rows.get_row_at(i)[-1].plain for i in range(rows.row_count)]
        assert "local: engine unreachable: gone [b]x[/b]" in messages
        app.post_message(LayerUpdate("docker", BackendState("docker", "local", True)))
        await pilot.pause()
        assert frame.border_subtitle is None
        assert ("docker", "[red]db[/]") in app.objects


async def test_untrusted_event_text_shown_literally(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        app.post_message(LayerUpdate("docker", event("died [bold red]x[/] \x1b[2J", obj="[link=http://x]w[/link]")))
        await pilot.pause()
        table = app.query_one("#events-table", DataTable)
        row = table.get_row_at(table.row_count - 1)
        assert isinstance(row[-1], Text) and row[-1].plain.startswith("died [bold red]x[/]")
        assert row[4].plain == "[link=http://x]w[/link]"


async def test_action_confirm_then_job_then_audit(tmp_path):
    app, layers = make_app(tmp_path, confirm=("kill",))
    async with app.run_test(size=(160, 50)) as pilot:
        app.post_message(RunAction("docker", "kill", ["local/web", "local/db"]))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert layers["docker"].actions == []
        app.post_message(RunAction("docker", "kill", ["local/web"]))
        await pilot.pause()
        await pilot.press("y")
        for _ in range(50):
            await pilot.pause(0.05)
            if app.jobs.jobs() and app.jobs.jobs()[-1].done:
                break
        await pilot.pause()
        assert layers["docker"].actions == [("kill", "local/web", {})]
        table = app.query_one("#jobs-table", DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[4].plain == "done"
        audit = [json.loads(l) for l in (tmp_path / "home" / "audit.jsonl").read_text().splitlines()]
        assert audit[-1]["action"] == "kill" and audit[-1]["outcome"] == "done"


async def test_read_only_marker_and_backend_refusal(tmp_path):
    app, layers = make_app(tmp_path, read_only=True)
    async with app.run_test(size=(160, 50)) as pilot:
        assert app.query_one("#header").has_class("-read-only")
        app.post_message(RunAction("libvirt", "start", ["local/vm1"]))
        for _ in range(50):
            await pilot.pause(0.05)
            if app.jobs.jobs() and app.jobs.jobs()[-1].done:
                break
        job = app.jobs.jobs()[-1]
        assert job.state == "failed" and "read-only" in job.error
        assert layers["libvirt"].actions == []


async def test_keys_are_remappable_from_config(tmp_path):
    app, _ = make_app(tmp_path, keys={"app.zoom": "m", "app.pane.events": "e"})
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert "e" in app.screen.active_bindings and "6" not in app.screen.active_bindings
        await pilot.press("e")
        await pilot.pause()
        assert app.query_one("#frame-events") in app.focused.ancestors_with_self
        await pilot.press("m")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#frame-events")


async def test_help_panel_lists_active_bindings(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("6")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.help_text.plain
        # app keys and the focused pane's keys, as currently bound
        assert "Zoom" in text and "Quit" in text and "Layer" in text
        assert " z " in text or "z  " in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_jumps_to_object(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        app.post_message(LayerUpdate("docker", [container("webserver")]))
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to container webserver")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.panes["docker"].focused_objects == ["webserver"]


async def test_small_terminal_collapses_unfocused_panes(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        assert app.screen.has_class("-narrow")
        focused = app.query_one("#frame-docker").region
        other = app.query_one("#frame-ceph").region
        assert focused.height > other.height
        assert other.height <= 3
        assert focused.width <= 80


async def test_quit_stops_layers(tmp_path):
    app, layers = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert all(l.stopped for l in layers.values())


async def test_palette_names_follow_snapshots_and_are_capped(tmp_path, monkeypatch):
    from megam_tui import app as app_module
    from megam_tui.backends.docker_models import ContainersSnapshot

    app, _ = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        ok = BackendState("docker", "local", True)
        app.post_message(LayerUpdate("docker", ContainersSnapshot("local", (container("a"), container("b")), ok)))
        await pilot.pause()
        assert {n for (lay, n) in app.objects if lay == "docker"} == {"a", "b"}
        app.post_message(LayerUpdate("docker", ContainersSnapshot("local", (container("b"), container("c")), ok)))
        await pilot.pause()
        assert {n for (lay, n) in app.objects if lay == "docker"} == {"b", "c"}  # a is gone
        monkeypatch.setattr(app_module, "MAX_OBJECTS", 3)
        app.post_message(LayerUpdate("docker", [container(f"x{i}") for i in range(5)]))
        await pilot.pause()
        assert len(app.objects) == 3 and ("docker", "x4") in app.objects
