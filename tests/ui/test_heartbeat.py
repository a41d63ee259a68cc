"""Routine updates wait for the heartbeat; news is applied at once, after the layer's held updates."""

from megam_tui.app import MegamApp
from megam_tui.models import BackendState
from megam_tui.settings import Settings
from megam_tui.ui.header import Clock
from megam_tui.ui.messages import LayerUpdate
from tests.ui.fakes import FakeLayer, RecordingPane


class HoldingPane(RecordingPane):
    """Holds strings starting with "stat" (keyed by the rest), like a pane's stats."""

    def hold_key(self, obj):
        if isinstance(obj, str) and obj.startswith("stat"):
            return obj.split(":")[0]
        return None


def factory(layer, settings):
    return HoldingPane(layer, id=f"pane-{layer}")


def make_app(tmp_path, refresh=30.0):
    settings = Settings(home=tmp_path / "home", ssh_include_local=False, refresh=refresh)
    layers = {n: FakeLayer(n) for n in ("docker", "ceph", "libvirt", "ssh")}
    return MegamApp(settings, layers=layers, start_layers=False, pane_factory=factory)


async def test_held_until_heartbeat_newest_wins(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.panes["docker"]
        app.post_message(LayerUpdate("docker", "stat:1"))
        app.post_message(LayerUpdate("docker", "stat:2"))
        await pilot.pause()
        assert [o for o in pane.applied if isinstance(o, str)] == []
        assert len(app.gate) == 1
        app._heartbeat()
        assert [o for o in pane.applied if isinstance(o, str)] == ["stat:2"]
        assert len(app.gate) == 0


async def test_news_flushes_the_layers_held_updates_first(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        docker, ssh = app.panes["docker"], app.panes["ssh"]
        app.post_message(LayerUpdate("ssh", "stat:ssh"))
        app.post_message(LayerUpdate("docker", "stat:old"))
        app.post_message(LayerUpdate("docker", "news"))
        await pilot.pause()
        assert [o for o in docker.applied if isinstance(o, str)] == ["stat:old", "news"]
        assert [o for o in ssh.applied if isinstance(o, str)] == []  # another layer's stay held
        app.post_message(LayerUpdate("ssh", BackendState("ssh", "h", False, "down")))
        await pilot.pause()
        assert [o for o in ssh.applied if isinstance(o, str)] == ["stat:ssh"]


async def test_heartbeat_runs_on_its_own_and_ticks_the_clock(tmp_path):
    app = make_app(tmp_path, refresh=1.0)
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.panes["docker"]
        clock = app.query_one(Clock)
        clock._shown = "--:--"
        app.post_message(LayerUpdate("docker", "stat:x"))
        for _ in range(40):
            await pilot.pause(0.1)
            if "stat:x" in pane.applied:
                break
        assert "stat:x" in pane.applied
        assert clock._shown != "--:--" and len(clock._shown) == 5


def emit_from_thread(app, layer, *objs):
    """Call the app's emit as a layer thread does (the UI loop does not run meanwhile)."""
    import threading

    t = threading.Thread(target=lambda: [app._emit(layer, o) for o in objs])
    t.start()
    t.join()


async def test_a_layer_thread_holds_routine_updates_without_waking_the_ui(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.panes["docker"]
        seen = []
        post = app.post_message
        app.post_message = lambda m: (seen.append(m), post(m))[1]
        emit_from_thread(app, "docker", "stat:1", "stat:2")
        assert len(app.gate) == 1  # held by the emitting thread itself
        await pilot.pause()
        assert [m for m in seen if isinstance(m, LayerUpdate)] == [] and [o for o in pane.applied if isinstance(o, str)] == []
        app._heartbeat()
        assert [o for o in pane.applied if isinstance(o, str)] == ["stat:2"]


async def test_routine_updates_behind_news_in_flight_keep_their_order(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.panes["docker"]
        emit_from_thread(app, "docker", "stat:before", "news", "stat:after")
        # "news" is on its way to the UI thread: "stat:after" must not overtake it
        assert len(app.gate) == 1
        await pilot.pause()
        assert [o for o in pane.applied if isinstance(o, str)] == ["stat:before", "news", "stat:after"]
        assert app._news_in_flight["docker"] == 0
        emit_from_thread(app, "docker", "stat:later")  # nothing in flight: held again
        assert len(app.gate) == 1
