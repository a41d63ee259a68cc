"""dockerd stopped (by the testbed script, by PID) and restarted: unreachable, then recovered."""

import subprocess
import time

from megam_tui.backends.docker_models import ContainersSnapshot, ContainerUpdate
from megam_tui.models import BackendState
from tests.integration.docker_helpers import SCRIPT, Collector, make_layer


def _script(cmd):
    subprocess.run(["bash", str(SCRIPT), cmd], check=True, capture_output=True, timeout=120)


def test_engine_down_then_back():
    layer = make_layer(refresh=0.5)
    sink = Collector()
    layer.start(sink)
    try:
        sink.wait_for(lambda o: isinstance(o, BackendState) and o.ok)
        t = time.monotonic()
        _script("down")  # returns once dockerd's PID is gone
        gone = time.monotonic()
        st = sink.wait_for(lambda o: isinstance(o, BackendState) and not o.ok, since=t, timeout=5)
        seen = time.monotonic()
        assert st.error.startswith("engine unreachable: "), st.error
        assert seen - gone < 2.0, f"unreachable shown {seen - gone:.2f}s after dockerd exited"
        snap = sink.wait_for(lambda o: isinstance(o, ContainersSnapshot) and not o.state.ok, since=t)
        assert any(c.name == "web" for c in snap.containers)  # last known list is kept
        t = time.monotonic()
        _script("up")
        sink.wait_for(lambda o: isinstance(o, BackendState) and o.ok, since=t, timeout=10)
        sink.wait_for(lambda o: isinstance(o, ContainersSnapshot) and o.state.ok, since=t)
        # the script starts web again after dockerd answers: seen through the resumed event stream
        sink.wait_for(
            lambda o: (isinstance(o, ContainerUpdate) and o.container.name == "web" and o.container.state == "running")
            or (isinstance(o, ContainersSnapshot) and any(c.name == "web" and c.state == "running" for c in o.containers)),
            since=t,
        )
    finally:
        layer.stop()
        _script("up")
