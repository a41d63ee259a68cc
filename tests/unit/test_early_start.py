"""Start-up path: layers started before the UI (layers.start_early / EarlyLayer),
the ui_started gate, and the docker-py-free first container list (docker_events.quick_list)."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
import time
from pathlib import Path

import pytest

from megam_tui import layers as L
from megam_tui.backends.docker_events import quick_list
from megam_tui.models import BackendState
from megam_tui.settings import EngineSpec, HostSpec, Settings


class FakeLayer:
    read_only = False
    reports_reachability = True

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.emit = None
        self.started = threading.Event()
        self.stopped = False

    def start(self, emit):
        if self.fail:
            raise RuntimeError("boom")
        self.emit = emit
        emit("first")
        emit("second")
        self.started.set()

    def stop(self):
        self.stopped = True

    def run_action(self, action, target, params, job):
        return f"{action} {target}"


@pytest.fixture(autouse=True)
def _ui_gate_restored():
    yield
    L.ui_started.set()


def test_early_layer_keeps_order_until_attached_then_passes_on():
    fake = FakeLayer()
    early = L.EarlyLayer("docker", fake)
    assert fake.started.wait(2)
    got: list = []
    early.start(got.append)
    assert got == ["first", "second"]
    fake.emit("third")  # after attaching: straight through
    assert got == ["first", "second", "third"]


def test_early_layer_is_transparent_for_the_app():
    fake = FakeLayer()
    early = L.EarlyLayer("docker", fake)
    assert early.reports_reachability is True and early.read_only is False
    assert early.run_action("stop", "x", {}, None) == "stop x"
    early.stop()
    assert fake.stopped
    with pytest.raises(AttributeError):
        early.no_such_thing  # noqa: B018


def test_early_layer_start_failure_is_shown_like_in_the_app():
    early = L.EarlyLayer("ceph", FakeLayer(fail=True))
    early._thread.join(2)
    got: list = []
    early.start(got.append)
    assert len(got) == 1 and isinstance(got[0], BackendState)
    assert got[0].ok is False and "ceph failed to start: boom" in got[0].error


def test_start_early_wraps_only_configured_layers_and_arms_the_gate():
    settings = Settings(ssh_hosts=(HostSpec(name="n1", address="127.0.0.1"),))
    layers = {"ssh": FakeLayer(), "docker": FakeLayer()}
    out = L.start_early(settings, layers)
    assert isinstance(out["ssh"], L.EarlyLayer) and out["ssh"].layer is layers["ssh"]
    assert out["docker"] is layers["docker"]  # no engine configured: left to the app
    assert not L.ui_started.is_set()
    L.ui_started.set()


def test_wait_for_ui_returns_at_once_without_a_starting_ui():
    t = time.monotonic()
    L.wait_for_ui(limit=5)
    assert time.monotonic() - t < 0.05


def test_wait_for_ui_is_bounded_and_stoppable():
    L.ui_started.clear()
    t = time.monotonic()
    L.wait_for_ui(limit=0.3)
    assert 0.25 <= time.monotonic() - t < 1.0
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    t = time.monotonic()
    L.wait_for_ui(stop, limit=5)
    assert time.monotonic() - t < 1.0
    threading.Timer(0.1, L.ui_started.set).start()
    t = time.monotonic()
    L.wait_for_ui(limit=5)
    assert time.monotonic() - t < 1.0


# ---------------------------------------------------------------- quick_list


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200
    body: bytes = b"[]"
    paths: list[str] = []

    def address_string(self):  # a unix socket has no (host, port)
        return "unix"

    def do_GET(self):  # noqa: N802
        type(self).paths.append(self.path)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def engine(tmp_path: Path):
    path = str(tmp_path / "docker.sock")
    _Handler.status, _Handler.paths = 200, []
    _Handler.body = json.dumps([{"Id": "abc", "Names": ["/web"], "State": "running", "Status": "Up 2 minutes", "Image": "nginx"}]).encode()
    server = _UnixHTTPServer(path, _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()


def test_quick_list_asks_a_unix_socket_engine_for_all_containers(engine):
    raw = quick_list(EngineSpec(name="local", url=f"unix://{engine}"), timeout=2)
    assert raw is not None and raw[0]["Names"] == ["/web"]
    assert _Handler.paths == ["/containers/json?all=1"]


def test_quick_list_gives_up_quietly_so_the_normal_path_reports(engine, tmp_path):
    _Handler.status = 500
    assert quick_list(EngineSpec(name="local", url=f"unix://{engine}"), timeout=2) is None
    assert quick_list(EngineSpec(name="gone", url=f"unix://{tmp_path / 'nothing.sock'}"), timeout=2) is None


def test_quick_list_leaves_remote_and_tls_engines_to_docker_py():
    assert quick_list(EngineSpec(name="r", url="tcp://127.0.0.1:1")) is None
    assert quick_list(EngineSpec(name="s", url="ssh://root@host")) is None
    assert quick_list(EngineSpec(name="t", url="unix:///var/run/docker.sock", tls_verify=True)) is None
