"""SVG snapshots (pytest-textual-snapshot) of the dashboard and each pane, fake deterministic data.

Update after an intended UI change: `.venv/bin/python -m pytest tests/ui/test_snapshots.py --snapshot-update`
"""

import pytest

from megam_tui.app import LocalSample, MegamApp
from megam_tui.settings import ClusterSpec, EngineSpec, HostSpec, HypervisorSpec, Settings
from megam_tui.ui.header import Clock
from megam_tui.ui.messages import LayerUpdate
from tests.ui.fakes import FakeLayer
from tests.ui.snapshot_data import feed

SIZE = (160, 48)


class SnapshotApp(MegamApp):
    def _sample_local(self) -> None:  # fixed header figures
        self.post_message(LocalSample(12.5, 6 << 30, 16 << 30, (0.42, 0.35, 0.30)))


def make_app(tmp_path_factory=None):
    Clock.frozen = "12:00"
    settings = Settings(
        docker_engines=(EngineSpec("local"),),
        ceph_clusters=(ClusterSpec("lab"),),
        libvirt_hypervisors=(HypervisorSpec("kvm1"),),
        ssh_hosts=(HostSpec("node1", "10.0.0.11"), HostSpec("node2", "10.0.0.12"), HostSpec("edge", "10.0.0.13")),
        ssh_include_local=False,
        bell=False,
    )
    layers = {n: FakeLayer(n) for n in ("docker", "ceph", "libvirt", "ssh")}
    return SnapshotApp(settings, layers=layers, start_layers=False)


async def _feed(pilot):
    Clock.frozen = "12:00"
    app = pilot.app
    for layer, obj in feed():
        app.post_message(LayerUpdate(layer, obj))
    await pilot.pause()
    app.flush_held()  # routine updates would otherwise wait for the heartbeat
    await pilot.pause()
    app.clear_notifications()
    await pilot.pause()


@pytest.fixture(autouse=True)
def _unfreeze():
    yield
    Clock.frozen = None


def test_dashboard(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_feed)


@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5", "6"])
def test_pane_zoomed(snap_compare, key):
    async def run_before(pilot):
        await _feed(pilot)
        await pilot.press(key, "z")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_dashboard_80x24(snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_feed)
