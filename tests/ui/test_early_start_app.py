"""The app with layers started before it (cli: layers.start_early): what they said
before the app mounted reaches the panes, and the app opens layers.ui_started
after its first frame."""

from megam_tui import layers as L
from megam_tui.app import MegamApp
from megam_tui.models import BackendState
from megam_tui.settings import EngineSpec, Settings
from tests.ui.fakes import FakeLayer, container, recording_factory


class ChattyLayer(FakeLayer):
    def start(self, emit) -> None:
        super().start(emit)
        emit([container("web"), container("db", "exited")])


async def test_early_layers_replay_into_the_panes_and_the_gate_opens(tmp_path):
    settings = Settings(home=tmp_path / "home", ssh_include_local=False, docker_engines=(EngineSpec(name="local"),))
    raw = {"docker": ChattyLayer("docker"), "ceph": FakeLayer("ceph"), "libvirt": FakeLayer("libvirt"), "ssh": FakeLayer("ssh")}
    try:
        layers = L.start_early(settings, raw)
        assert isinstance(layers["docker"], L.EarlyLayer) and layers["ssh"] is raw["ssh"]  # only configured ones
        assert not L.ui_started.is_set()
        layers["docker"]._thread.join(2)
        app = MegamApp(settings, layers=layers, pane_factory=recording_factory)
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(50):
                await pilot.pause(0.02)
                if len(app.panes["docker"].applied) >= 2:
                    break
            applied = app.panes["docker"].applied
            assert isinstance(applied[0], BackendState) and applied[0].ok
            assert [c.name for c in applied[1]] == ["web", "db"]
            assert "docker" in app.first_data_at
            assert L.ui_started.is_set()
            raw["docker"].emit([container("web")])  # after the app attached: passed straight on
            await pilot.pause(0.05)
            assert [c.name for c in app.panes["docker"].applied[-1]] == ["web"]
        assert raw["docker"].stopped  # the app stops the wrapped layer
    finally:
        L.ui_started.set()


class SnapshotLayer(FakeLayer):
    def start(self, emit) -> None:
        from megam_tui.backends.docker_models import ContainersSnapshot

        super().start(emit)
        ok = BackendState("docker", "local", True)
        emit(ok)
        emit(ContainersSnapshot("local", (container("web"), container("db", "exited")), ok))


async def test_what_came_before_mounting_is_in_the_first_frame(tmp_path):
    """The held answers are applied while the app mounts: the first frame the terminal
    gets already shows them (no frame of empty panes, no second full layout)."""
    from textual.widgets import DataTable

    settings = Settings(home=tmp_path / "home", ssh_include_local=False, docker_engines=(EngineSpec(name="local"),))
    raw = {"docker": SnapshotLayer("docker"), "ceph": FakeLayer("ceph"), "libvirt": FakeLayer("libvirt"), "ssh": FakeLayer("ssh")}
    try:
        layers = L.start_early(settings, raw)
        layers["docker"]._thread.join(2)
        app = MegamApp(settings, layers=layers)  # the real panes
        frames: list[str] = []
        real_display = MegamApp._display

        def display(self, screen, renderable):
            if renderable is not None and not frames:
                frames.append("\n".join(s.text for s in screen._compositor.render_strips()))
            return real_display(self, screen, renderable)

        MegamApp._display = display
        try:
            async with app.run_test(size=(160, 50)) as pilot:
                await pilot.pause()
                table = app.panes["docker"].query_one(DataTable)
                assert table.row_count == 2
        finally:
            MegamApp._display = real_display
        assert frames and "web" in frames[0] and "db" in frames[0], frames[:1]
    finally:
        L.ui_started.set()
