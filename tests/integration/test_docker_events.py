"""The event stream keeps the list current: outside changes reach the layer's emit."""

import time

import pytest

from megam_tui.backends.docker_models import ContainerRemoved, ContainersSnapshot, ContainerUpdate, StatsSnapshot
from megam_tui.models import BackendState, Event
from tests.integration.docker_helpers import Collector, docker, make_layer, run_sleeper, unique


@pytest.fixture
def watched():
    layer = make_layer(refresh=0.5)
    sink = Collector()
    layer.start(sink)
    sink.wait_for(lambda o: isinstance(o, ContainersSnapshot) and o.state.ok)
    yield layer, sink
    layer.stop()


def _update(name, state):
    return lambda o: isinstance(o, ContainerUpdate) and o.container.name == name and o.container.state == state


def test_initial_snapshot_and_state(watched):
    layer, sink = watched
    snap = sink.wait_for(lambda o: isinstance(o, ContainersSnapshot))
    names = {c.name: c for c in snap.containers}
    assert names["web"].state == "running" and names["done"].state_text == "exited (3)"
    assert sink.wait_for(lambda o: isinstance(o, BackendState)).ok is True


def test_outside_stop_start_pause_and_remove_are_seen(watched):
    layer, sink = watched
    name = unique("evt")
    t = time.monotonic()
    cid = run_sleeper(name)
    try:
        up = sink.wait_for(_update(name, "running"), since=t)
        assert up.container.id == cid and up.container.started_at is not None
        t = time.monotonic()
        docker("pause", name)
        sink.wait_for(_update(name, "paused"), since=t, timeout=5)
        docker("unpause", name)
        sink.wait_for(_update(name, "running"), since=t, timeout=5)
        t = time.monotonic()
        docker("stop", name)
        down = sink.wait_for(_update(name, "exited"), since=t, timeout=10)
        assert down.container.exit_code is not None
        ev = sink.wait_for(lambda o: isinstance(o, Event) and o.object == name and o.kind == "die", since=t)
        assert ev.layer == "docker" and ev.source == "local"
        assert ev.severity == "info"  # an asked-for stop is not a warning
        assert layer.known["local"][cid].state == "exited"
    finally:
        t = time.monotonic()
        docker("rm", "-f", name)
    sink.wait_for(lambda o: isinstance(o, ContainerRemoved) and o.id == cid, since=t)
    assert cid not in layer.known["local"]


def test_health_changes_arrive_but_health_check_execs_are_not_sent_at_all(watched):
    """The engine filters the stream: a health check every 0.5 s is 6 exec_* events a second
    the watcher would otherwise wake up for and drop; its health_status changes still arrive."""
    layer, sink = watched
    name = unique("evt-health")
    watcher = layer.watchers["local"]
    actions = []
    handle = watcher._on_event

    def spy(client, ev):
        if ((ev.get("Actor") or {}).get("Attributes") or {}).get("name") == name:
            actions.append(str(ev.get("Action")))
        handle(client, ev)

    watcher._on_event = spy  # the stream loop calls self._on_event
    t = time.monotonic()
    cid = run_sleeper(name, "--health-cmd", "true", "--health-interval", "500ms")
    try:
        up = sink.wait_for(lambda o: isinstance(o, ContainerUpdate) and o.container.id == cid
                           and o.container.health == "healthy", since=t, timeout=15)
        assert up.container.name == name
        time.sleep(3)  # ~6 more health checks, ~18 exec_* events on an unfiltered stream
        assert [a for a in actions if a.startswith("exec_")] == [], actions
        assert "start" in actions and any(a.startswith("health_status") for a in actions), actions
    finally:
        watcher._on_event = handle
        docker("rm", "-f", name)


def test_quiet_containers_are_not_read_while_their_parent_cgroup_shows_no_work(watched):
    """The testbed's engine (cgroupfs: every container under docker/): ticks on which the
    parent used no CPU beyond the containers read skip the quiet ones entirely."""
    layer, sink = watched
    stats_thread = next(t for t in layer._threads if type(t).__name__ == "StatsThread")
    end, seen = time.monotonic() + 10, []
    while time.monotonic() < end and not any(seen):
        seen.append(stats_thread._all_quiet.get("local", False))
        time.sleep(0.1)
    assert any(seen), "the parent cgroup never showed the quiet containers idle"


def test_stats_from_cgroups_for_running_containers(watched):
    layer, sink = watched
    snap = sink.wait_for(lambda o: isinstance(o, StatsSnapshot) and any(s.cpu_pct is not None for s in o.stats), timeout=5)
    assert snap.source == "cgroup"
    by_id = {s.id: s for s in snap.stats}
    web = next(c for c in layer.known["local"].values() if c.name == "web")
    chatty = next(c for c in layer.known["local"].values() if c.name == "chatty")
    done = next(c for c in layer.known["local"].values() if c.name == "done")
    assert done.id not in by_id
    st = by_id.get(chatty.id)
    assert st is not None and st.mem_bytes and st.mem_bytes > 0 and st.mem_limit >= st.mem_bytes
    assert web.id in by_id


def test_stop_is_quick_and_idempotent(watched):
    layer, _ = watched
    t = time.monotonic()
    layer.stop()
    layer.stop()
    assert time.monotonic() - t < 1.5


def test_a_crash_is_a_warning(watched):
    layer, sink = watched
    name = unique("crash")
    t = time.monotonic()
    docker("run", "-d", "--name", name, "busybox:local", "sh", "-c", "sleep 0.3; exit 3")
    try:
        ev = sink.wait_for(lambda o: isinstance(o, Event) and o.object == name and o.kind == "die", since=t, timeout=10)
        assert (ev.severity, ev.message) == ("warn", f"{name}: die (exit 3)")
        sink.wait_for(_update(name, "exited"), since=t)
    finally:
        docker("rm", "-f", name, check=False)


def test_a_sleeping_container_is_read_less_often_and_shows_when_it_wakes(watched):
    """Idle containers are re-read every QUIET_EVERY-th tick at most (not at all while their
    parent cgroup shows none of them used CPU); a burst of work still shows within that."""
    from megam_tui.backends.docker_stats import QUIET_AFTER, QUIET_EVERY

    layer, sink = watched
    name = unique("quiet")
    cid = run_sleeper(name)
    try:
        stats_thread = next(t for t in layer._threads if type(t).__name__ == "StatsThread")
        # quiet after QUIET_AFTER idle samples: the same figures come back between reads
        end = time.monotonic() + 15
        while time.monotonic() < end:
            loc = stats_thread._local.get(("local", cid))
            if loc is not None and loc.quiet >= QUIET_AFTER:
                break
            time.sleep(0.2)
        assert loc is not None and loc.quiet >= QUIET_AFTER, "a sleeping container never counted as quiet"
        reads = loc.ticks
        time.sleep(0.5 * QUIET_EVERY * 2 + 0.3)  # two QUIET_EVERY periods of 0.5 s ticks
        assert loc.ticks - reads <= 3  # at most about once per QUIET_EVERY ticks, not every tick
        t = time.monotonic()
        docker("exec", "-d", name, "sh", "-c", "while :; do :; done")
        busy = sink.wait_for(lambda o: isinstance(o, StatsSnapshot) and any(
            s.id == cid and (s.cpu_pct or 0) > 20 for s in o.stats), since=t, timeout=0.5 * QUIET_EVERY + 3)
        assert busy is not None
        assert time.monotonic() - t <= 0.5 * QUIET_EVERY + 3
    finally:
        docker("rm", "-f", name)
