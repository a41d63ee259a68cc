"""DockerLayer.summary / listing against the real testbed dockerd."""

from megam_tui.backends.docker import DockerLayer
from megam_tui.settings import EngineSpec, Settings
from tests.integration import conftest as testbed


def _layer(extra=()):
    frag = testbed.testbed_fragment("docker")
    testbed.testbed_up("docker")
    engines = tuple(EngineSpec(name=e["name"], url=e["url"]) for e in frag["docker"]["engines"])
    return DockerLayer(Settings(docker_engines=engines + tuple(extra)))


def test_summary_lists_testbed_containers_with_states():
    s = _layer().summary(5)
    assert s["ok"] is True and s["error"] is None
    by_name = {c["name"]: c for c in s["containers"]}
    assert by_name["web"]["state"] == "running"
    assert by_name["chatty"]["state"] == "running"
    assert by_name["done"]["state"] == "exited" and by_name["done"]["exit_code"] == 3
    assert by_name["web"]["exit_code"] is None and by_name["web"]["health"] in ("starting", "healthy")
    assert by_name["web"]["engine"] == "local"
    assert by_name["web"]["image"] == "busybox:local"
    assert s["engines"] == [{"name": "local", "ok": True, "error": None}]


def test_listing_parses_labels_and_health():
    layer = _layer()
    cs = {c.name: c for c in layer.list_containers("local")}
    assert cs["web"].project == "demo" and cs["chatty"].project == "demo"
    assert cs["done"].project is None and cs["done"].exit_code == 3
    assert cs["web"].health in ("starting", "healthy")
    assert cs["web"].started_at is not None and cs["done"].started_at is None
    assert len(cs["web"].id) == 64


def test_summary_with_a_dead_engine_never_raises(tmp_path):
    dead = EngineSpec(name="gone", url=f"unix://{tmp_path}/none.sock", timeout=1)
    s = _layer(extra=(dead,)).summary(2)
    assert s["ok"] is False
    assert s["error"] == "gone: engine unreachable: socket not found"
    engines = {e["name"]: e for e in s["engines"]}
    assert engines["local"]["ok"] is True
    assert engines["gone"] == {"name": "gone", "ok": False, "error": "engine unreachable: socket not found"}
    assert {c["name"] for c in s["containers"]} >= {"web", "done", "chatty"}
