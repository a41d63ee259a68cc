"""run_action changes the real engine's state; errors are one-line BackendErrors."""

import pytest

from megam_tui.backends.base import BackendError, ReadOnlyError, mutating_methods
from tests.integration.docker_helpers import FakeJob, docker, make_layer, run_sleeper, unique


def _state(name):
    return docker("inspect", "-f", "{{.State.Status}}", name)


@pytest.fixture
def box():
    name = unique("act")
    cid = run_sleeper(name)
    yield name, cid
    docker("rm", "-f", name, check=False)


def test_lifecycle_actions_change_real_state(box):
    name, cid = box
    layer = make_layer()
    key = f"local/{cid}"
    act = lambda a, **p: layer.run_action(a, key, p, FakeJob())  # noqa: E731
    assert act("pause") == "paused" and _state(name) == "paused"
    assert act("pause_toggle") == "unpaused" and _state(name) == "running"
    assert act("stop") == "stopped" and _state(name) == "exited"
    assert act("stop") == "already stopped"  # idempotent
    assert act("toggle") == "started" and _state(name) == "running"
    before = docker("inspect", "-f", "{{.State.StartedAt}}", name)
    assert act("restart") == "restarted" and _state(name) == "running"
    assert docker("inspect", "-f", "{{.State.StartedAt}}", name) != before
    assert act("kill") == "killed" and _state(name) == "exited"
    assert docker("inspect", "-f", "{{.State.ExitCode}}", name) == "137"
    assert act("remove") == "removed"
    assert docker("ps", "-aq", "--filter", f"name=^{name}$") == ""


def test_remove_running_without_force_gives_engine_message(box):
    name, cid = box
    with pytest.raises(BackendError) as exc:
        make_layer().run_action("remove", f"local/{cid}", {}, FakeJob())
    assert "running container" in str(exc.value) and "\n" not in str(exc.value)
    assert _state(name) == "running"


def test_run_creates_and_starts_with_env_and_command():
    name = unique("run")
    job = FakeJob()
    try:
        cid = make_layer().run_action(
            "run", "local", {"image": "busybox:local", "name": name, "command": "sh -c 'echo $GREETING; sleep 1000'", "env": "GREETING=hello"}, job
        )
        assert _state(name) == "running" and docker("inspect", "-f", "{{.Id}}", name) == cid
        assert any(name in line for line in job.lines)
        import time

        for _ in range(50):
            if docker("logs", name) == "hello":
                break
            time.sleep(0.1)
        assert docker("logs", name) == "hello"
    finally:
        docker("rm", "-f", name, check=False)


def test_run_missing_image_tries_pull_and_reports_clearly():
    job = FakeJob()
    with pytest.raises(BackendError) as exc:
        make_layer().run_action("run", "local", {"image": "127.0.0.1:1/nothing:1"}, job)
    msg = str(exc.value)
    assert "\n" not in msg and ("connection refused" in msg or "pull" in msg)
    assert any("pulling" in line for line in job.lines)


def test_bad_input_is_a_one_line_error():
    layer = make_layer()
    for action, target, params, expect in [
        ("stop", "local/no-such-container-xyz", {}, "no-such-container-xyz"),
        ("stop", "nowhere/abc", {}, "unknown docker engine"),
        ("frobnicate", "local/abc", {}, "unknown docker action"),
        ("run", "local", {"image": ""}, "no image"),
        ("run", "local", {"image": "busybox:local", "ports": "80:abc"}, "bad port"),
        ("run", "local", {"image": "busybox:local", "env": "NOEQUALS"}, "bad env"),
    ]:
        with pytest.raises(BackendError) as exc:
            layer.run_action(action, target, params, FakeJob())
        assert expect in str(exc.value), (action, str(exc.value))


def test_read_only_refuses_before_contacting_the_engine(box):
    name, cid = box
    layer = make_layer(read_only=True)
    for action in ("stop", "kill", "remove", "run", "pull", "toggle", "restart"):
        with pytest.raises(ReadOnlyError):
            layer.run_action(action, f"local/{cid}", {"image": "busybox:local"}, FakeJob())
    with pytest.raises(ReadOnlyError):
        layer.exec_argv(f"local/{cid}")
    assert _state(name) == "running"
    assert {"do_stop", "do_kill", "do_remove", "do_run", "do_pull", "exec_argv"} <= set(mutating_methods(layer))


def test_exec_argv_and_noninteractive_exec(box):
    name, cid = box
    layer = make_layer()
    assert layer.exec_argv(f"local/{cid}") == ["docker", "-H", "unix:///var/run/docker.sock", "exec", "-it", cid, "sh"]
    job = FakeJob()
    res = layer.run_action("exec", f"local/{cid}", {"command": ["echo", "[red]x[/]"]}, job)
    assert res["exit_code"] == 0 and job.lines == ["[red]x[/]"]
