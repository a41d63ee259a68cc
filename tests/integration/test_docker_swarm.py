"""Swarm: `docker.sh swarm` makes the testbed engine a single-node manager with service `websvc`;
the layer lists it with replicas running/desired and scales it for real."""

import subprocess
import time

import pytest

from megam_tui.backends.base import BackendError
from megam_tui.backends.docker_models import ServicesSnapshot
from tests.integration.docker_helpers import SCRIPT, FakeJob, docker, make_layer


@pytest.fixture(scope="module")
def swarm():
    make_layer()  # fails/skips when the testbed is missing
    subprocess.run(["bash", str(SCRIPT), "swarm"], check=True, capture_output=True, timeout=120)
    yield


def _svc(layer):
    snap = layer.services("local")
    assert isinstance(snap, ServicesSnapshot) and snap.error is None, snap
    return snap, {s.name: s for s in snap.services}


def _wait(layer, pred, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        snap, svcs = _svc(layer)
        if pred(svcs):
            return svcs
        time.sleep(0.5)
    raise AssertionError(f"not reached: {svcs}")


def test_service_listed_and_scaled(swarm):
    layer = make_layer()
    snap, svcs = _svc(layer)
    assert snap.swarm is True and "websvc" in svcs
    svc = svcs["websvc"]
    assert svc.mode == "replicated" and svc.image == "busybox:local"
    start = svc.replicas_desired
    svcs = _wait(layer, lambda s: s["websvc"].replicas_running == start)
    key = f"local/{svc.id}"
    assert layer.run_action("service_scale", key, {"delta": 1}, FakeJob()) == f"scaled to {start + 1}"
    svcs = _wait(layer, lambda s: s["websvc"].replicas_desired == start + 1 and s["websvc"].replicas_running == start + 1)
    assert docker("service", "inspect", "-f", "{{.Spec.Mode.Replicated.Replicas}}", "websvc") == str(start + 1)
    assert layer.run_action("service_scale", key, {"replicas": start}, FakeJob()) == f"scaled to {start}"
    _wait(layer, lambda s: s["websvc"].replicas_running == start)
    with pytest.raises(BackendError, match="negative"):
        layer.run_action("service_scale", key, {"replicas": -1}, FakeJob())


def test_services_list_action_emits_snapshot(swarm):
    layer = make_layer()
    got = []
    layer._emit = got.append
    assert layer.run_action("services_list", "local", {}, FakeJob()).endswith("services")
    assert isinstance(got[-1], ServicesSnapshot) and any(s.name == "websvc" for s in got[-1].services)


def test_service_logs_follow(swarm):
    from megam_tui.backends.docker_logs import LogBatch
    from tests.integration.docker_helpers import Collector

    layer = make_layer()
    _, svcs = _svc(layer)
    sid = svcs["chattysvc"].id
    sink = Collector()
    layer.follow_logs("svc", [f"local/{sid}"], tail=5, emit=sink, service=True, name="chattysvc")
    try:
        batch = sink.wait_for(lambda o: isinstance(o, LogBatch) and o.lines, timeout=20)
        line = batch.lines[0]
        assert line.name == "chattysvc" and "svc line" in line.text and "[red]x[/]" in line.text
    finally:
        layer.stop_logs("svc")
