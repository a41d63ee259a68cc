"""Start-up of the Docker layer while a UI starts (layers.ui_started cleared): the first
list comes at once without docker-py; the event stream and the stats follow the first
frame, and nothing that happened in between is lost."""

import time

import pytest

from megam_tui import layers as L
from megam_tui.backends.docker_models import ContainersSnapshot, ContainerUpdate, StatsSnapshot
from tests.integration.docker_helpers import Collector, docker, make_layer, run_sleeper, unique


@pytest.fixture
def starting_ui():
    L.ui_started.clear()
    yield
    L.ui_started.set()


def test_first_list_before_the_first_frame_then_stream_and_stats(starting_ui):
    layer = make_layer(refresh=0.5)
    sink = Collector()
    name = unique("early")
    try:
        layer.start(sink)
        snap = sink.wait_for(lambda o: isinstance(o, ContainersSnapshot) and o.state.ok, timeout=5)
        assert "web" in {c.name for c in snap.containers}
        time.sleep(0.5)
        watcher = layer.watchers[snap.engine]
        assert watcher._stream is None  # no event stream yet: the UI has not painted
        assert not any(isinstance(o, StatsSnapshot) for _, o in sink.items)
        cid = run_sleeper(name)  # happens before the stream exists
        L.ui_started.set()  # "first frame painted"
        up = sink.wait_for(lambda o: isinstance(o, ContainerUpdate) and o.container.id == cid, timeout=10)
        assert up.container.state == "running"
        assert cid in layer.known[snap.engine]
        sink.wait_for(lambda o: isinstance(o, StatsSnapshot), timeout=10)
    finally:
        layer.stop()
        docker("rm", "-f", name, check=False)


def test_stop_before_the_first_frame_is_quick(starting_ui):
    layer = make_layer(refresh=0.5)
    sink = Collector()
    layer.start(sink)
    sink.wait_for(lambda o: isinstance(o, ContainersSnapshot) and o.state.ok, timeout=5)
    threads = list(layer._threads)
    t = time.monotonic()
    layer.stop()  # the stats thread was never started: must not be joined
    assert time.monotonic() - t < 1.5
    time.sleep(0.3)
    assert all(not th.is_alive() for th in threads)
    assert threads[-1].ident is None  # and it stays unstarted after the gate opens
    L.ui_started.set()
    time.sleep(0.3)
    assert threads[-1].ident is None
