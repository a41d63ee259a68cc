"""A remote engine (tcp://, here the testbed dockerd's loopback TCP listener): events over TCP,
and stats through concurrent one-shot API requests (no cgroup files for remote engines)."""

import pytest

from megam_tui.backends.docker import DockerLayer
from megam_tui.backends.docker_models import ContainersSnapshot, StatsSnapshot
from megam_tui.settings import EngineSpec, Settings
from tests.integration import conftest as testbed
from tests.integration.docker_helpers import Collector, docker

TCP = "tcp://127.0.0.1:23750"


@pytest.fixture
def tcp_layer():
    testbed.testbed_up("docker")
    try:
        DockerLayer(Settings(docker_engines=(EngineSpec("tcp", url=TCP, timeout=3),))).list_containers("tcp")
    except Exception as exc:  # noqa: BLE001
        testbed.engine_missing(f"testbed dockerd has no TCP listener on {TCP}: {exc}")
    layer = DockerLayer(Settings(refresh=1.0, docker_engines=(EngineSpec("tcp", url=TCP, timeout=5),)))
    yield layer
    layer.stop()


def test_remote_engine_lists_and_gets_api_stats(tcp_layer):
    sink = Collector()
    tcp_layer.start(sink)
    snap = sink.wait_for(lambda o: isinstance(o, ContainersSnapshot) and o.state.ok, timeout=10)
    names = {c.name: c for c in snap.containers}
    assert names["web"].engine == "tcp" and names["web"].state == "running"
    chatty = names["chatty"]
    st = sink.wait_for(lambda o: isinstance(o, StatsSnapshot) and any(s.id == chatty.id and s.cpu_pct is not None for s in o.stats), timeout=60)
    assert st.source in ("api", "mixed")
    s = next(x for x in st.stats if x.id == chatty.id)
    assert s.mem_bytes and s.mem_limit and s.cpu_pct >= 0
    assert docker("inspect", "-f", "{{.State.Status}}", "chatty") == "running"
