"""dockerd killed (SIGKILL, as in a crash) while logs are followed and a stop is in flight;
then restarted: the Containers pane says so, the job fails with one line, the logs screen
says the stream was lost, the app answers keys, the other layers are untouched, and the
pane recovers by itself."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from megam_tui.jobs import FINAL_STATES
from megam_tui.ui.logs import LogsScreen
from tests.conftest import TESTBED
from tests.faults.conftest import (
    answer_time,
    assert_responsive,
    assert_undisturbed,
    key_budget,
    ok_keys,
    running_app,
    screen_text,
    testbed_sh,
    timeline,
    wait_for,
)
from tests.integration.docker_helpers import docker, unique


def row_state(pane, name):
    for key, c in pane.model.containers.items():
        if c.name == name and key in pane._rows:
            return pane.table.get_cell(key, "state").plain
    return None


def key_of(pane, name):
    return next(k for k, c in pane.model.containers.items() if c.name == name)


async def focus_row(pilot, pane, name):
    pane.table.focus()
    pane.table.move_cursor(row=pane.table.get_row_index(key_of(pane, name)))
    await pilot.pause()


def running_names() -> list[str]:
    return docker("ps", "--format", "{{.Names}}").split()


def restore_docker(was_running: list[str], timeout: float = 150) -> None:
    """Bring dockerd back and restart what ran before the crash (dockerd without live-restore
    stops every container when it comes back). `docker.sh up` is called again only once
    the engine answers: a second start while the first still loads would race it."""
    end = time.monotonic() + timeout
    testbed_sh("docker", "up", check=False, timeout=timeout)
    while testbed_sh("docker", "status", check=False).returncode != 0:
        assert time.monotonic() < end, "dockerd did not come back"
        time.sleep(1)
    testbed_sh("docker", "up", check=False)
    stopped = sorted(set(was_running) - set(running_names()))
    if stopped:
        docker("start", *stopped, check=False)


def kill_dockerd() -> int:
    pid = int((TESTBED / "docker" / "dockerd.pid").read_text().strip())
    os.kill(pid, signal.SIGKILL)
    return pid


async def test_dockerd_killed_with_logs_followed_and_stop_in_flight(settings):
    name = unique("fault-stop")
    # PID 1 `sleep` ignores SIGTERM: `stop` waits the whole stop timeout -> in flight for 30 s
    restored, was_running = True, []
    docker("run", "-d", "--name", name, "--stop-timeout", "30", "--label", "megam.test=1", "busybox:local", "sleep", "100000")
    try:
        async with running_app(settings, need=("docker",)) as (app, pilot):
            pane = app.panes["docker"]
            assert await wait_for(pilot, lambda: row_state(pane, name) == "running" and row_state(pane, "chatty") == "running", 20)
            baseline = ok_keys(app)
            # follow chatty's logs
            await focus_row(pilot, pane, "chatty")
            await pilot.press("l")
            assert await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), 5)
            logs = app.screen
            assert await wait_for(pilot, lambda: len(logs.view.entries) >= 2, 15)
            # a stop in flight
            [job] = app.submit_action("docker", "stop", [key_of(pane, name)], {})
            assert await wait_for(pilot, lambda: job.state == "running", 10)
            await pilot.pause(0.5)
            assert job.state == "running"
            was_running = [n for n in running_names() if n != name]
            killed = time.monotonic()
            kill_dockerd()
            restored = False
            try:
                # the job ends (no hang) with a one-line reason
                assert await wait_for(pilot, lambda: job.state in FINAL_STATES, 20), f"job still {job.state}"
                job_end = time.monotonic() - killed
                assert job.state == "failed" and job.error and "\n" not in job.error, (job.state, job.error)
                # the logs screen says the stream was lost, and still answers keys
                assert await wait_for(pilot, lambda: "log stream lost" in logs.notice, 15), logs.notice
                assert "log stream lost" in screen_text(app)
                dt = await answer_time(pilot, "p", lambda: logs.paused)
                assert logs.paused and dt <= key_budget(), f"logs screen answered p in {dt * 1000:.0f} ms"
                await pilot.press("p")
                await pilot.press("escape")
                assert await wait_for(pilot, lambda: app.screen is app.screen_stack[0], 5)
                # the pane's frame says the engine is unreachable; rows too
                frame = app.frames["docker"]
                assert await wait_for(pilot, lambda: (frame.problem or "").startswith("engine unreachable: "), 15), frame.problem
                shown_in = time.monotonic() - killed
                assert "engine unreachable" in screen_text(app)
                assert await wait_for(pilot, lambda: row_state(pane, "web") == "unreachable", 5)
                assert any(ev.layer == "docker" and ev.kind == "reachability" and ev.severity == "error" for ev in timeline(app))
                await assert_responsive(pilot, app)
                await assert_undisturbed(pilot, app, baseline, "docker")
            finally:
                restarted = time.monotonic()
                await asyncio.to_thread(restore_docker, was_running)
                restored = True
            # recovers by itself
            assert await wait_for(pilot, lambda: frame.problem is None and row_state(pane, "web") == "running", 60), frame.problem
            recovered_in = time.monotonic() - restarted
            assert any(ev.layer == "docker" and ev.kind == "reachability" and ev.severity == "info" and "back" in ev.message
                       for ev in timeline(app))
            await assert_responsive(pilot, app)
            await assert_undisturbed(pilot, app, baseline, "docker")
            print(f"dockerd killed: job failed after {job_end:.2f} s, frame shows it after {shown_in:.2f} s, "
                  f"recovered {recovered_in:.2f} s after restart began; job error: {job.error}")
    finally:
        if not restored:
            restore_docker(was_running)
        docker("rm", "-f", name, check=False)
