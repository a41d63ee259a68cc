"""The history store: events, job records, rollups, retention, problems said once, the queue bound."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from megam_tui.backends.docker_models import ContainersSnapshot, ContainerUpdate, StatsSnapshot
from megam_tui.models import BackendState, CephStatus, Container, ContainerStats, Event, Host, HostMetrics
from megam_tui.store import db, query, retention
from megam_tui.store.lock import RecorderLock, recorder_running
from megam_tui.store.rollup import Rollups
from megam_tui.store.timespec import parse_span, parse_when
from megam_tui.store.writer import StoreWriter

T0 = 1_800_000_000.0  # a minute boundary (divisible by 60)


def ev(t: float, layer: str = "docker", obj: str = "web", msg: str = "died", source: str = "local") -> Event:
    return Event(t, layer, "info", source, msg, object=obj, kind="die")


def wait_for(cond, limit: float = 10.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


@pytest.fixture
def path(tmp_path):
    return tmp_path / "home" / "history.sqlite3"


def test_events_round_trip_and_filters(path):
    w = StoreWriter(path).start()
    w.record("docker", ev(T0, obj="web"))
    w.record("ceph", ev(T0 + 10, layer="ceph", obj="osd.2", source="ceph", msg="osd.2 down"))
    w.record("ceph", ev(T0 + 20, layer="ceph", obj="", source="osd.2", msg="osd.2 boot"))
    w.record("docker", BackendState("docker", "local", True))  # not stored, not an error
    w.record_event(ev(T0 + 30, layer="app", obj="", msg="read-only"))
    w.stop()
    conn = db.open_reader(path)
    assert [e.message for e in query.events(conn, T0)] == ["died", "osd.2 down", "osd.2 boot", "read-only"]
    assert [e.message for e in query.events(conn, T0, layer="ceph")] == ["osd.2 down", "osd.2 boot"]
    assert [e.message for e in query.events(conn, T0, obj="osd.2")] == ["osd.2 down", "osd.2 boot"]
    assert [e.message for e in query.events(conn, T0 + 5, until=T0 + 25)] == ["osd.2 down", "osd.2 boot"]
    assert [e.message for e in query.events(conn, T0, limit=2)] == ["osd.2 boot", "read-only"]
    assert query.events(conn, T0)[1] == ev(T0 + 10, layer="ceph", obj="osd.2", source="ceph", msg="osd.2 down")


def test_store_file_is_private(path):
    StoreWriter(path).start().stop()
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0


def test_rollups_min_avg_max_by_name_and_merge(path):
    r = Rollups()
    web = Container("c1", "web", "local", "busybox", "running")
    r.feed(ContainersSnapshot("local", (web,), BackendState("docker", "local", True)))
    r.feed(ContainerUpdate(Container("c2", "db", "local", "busybox", "running")))
    for i, cpu in enumerate((10.0, 30.0, 20.0)):
        r.feed(StatsSnapshot("local", (ContainerStats("c1", cpu_pct=cpu, mem_bytes=100 * (i + 1)), ContainerStats("c2", cpu_pct=1.0)), time=T0 + i))
    r.feed(StatsSnapshot("local", (ContainerStats("c1", cpu_pct=99.0),), time=T0 + 61))  # the next minute
    r.feed(CephStatus("ceph", "HEALTH_OK", read_bps=5.0, write_bps=7.0, time=T0))
    r.feed(Host("h1", "10.0.0.1", reachable=True, metrics=HostMetrics(cpu_pct=3.0, mem_used=1000, load1=0.5)))
    rows = r.closed(T0 + 61)
    assert all(row[4] == T0 // 60 for row in rows if row[0] != "host")
    assert not [row for row in rows if row[4] == T0 // 60 + 1]  # that minute is still open
    w = StoreWriter(path).start()
    w.stop()
    conn = db.open_writer(path)
    conn.executemany(__import__("megam_tui.store.rollup", fromlist=["UPSERT"]).UPSERT, rows)
    cpu = query.history(conn, "container", "web", T0, metric="cpu_pct")
    assert [(m.n, m.min, m.avg, m.max, m.source) for m in cpu] == [(3, 10.0, 20.0, 30.0, "local")]
    assert [m.metric for m in query.history(conn, "container", "db", T0)] == ["cpu_pct"]
    assert {m.metric: m.max for m in query.history(conn, "ceph", "ceph", T0)} == {
        "read_bps": 5.0, "write_bps": 7.0, "read_ops": 0.0, "write_ops": 0.0}
    # the same minute written again (a second writer, a restart) merges
    conn.executemany(__import__("megam_tui.store.rollup", fromlist=["UPSERT"]).UPSERT,
                     [("container", "web", "local", "cpu_pct", T0 // 60, 1, 2.0, 2.0, 2.0)])
    (m,) = query.history(conn, "container", "web", T0, metric="cpu_pct")
    assert (m.n, m.min, m.avg, m.max) == (4, 2.0, 15.5, 30.0)
    assert r.closed(T0 + 61, everything=True)  # the open minute on request (at stop)


def test_ceph_status_subclass_and_its_recovery_rolled_up():
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class Recovery:
        recovering_bytes_per_sec: float = 0.0
        recovering_objects_per_sec: float = 0.0

    @dataclass(frozen=True)
    class RicherStatus(CephStatus):  # as a layer may emit: a subclass carrying recovery
        recovery: Recovery = field(default_factory=Recovery)

    r = Rollups()
    r.feed(RicherStatus("lab", "HEALTH_WARN", write_bps=3.0, time=T0, recovery=Recovery(4096.0, 2.0)))
    r.feed(RicherStatus("lab", "HEALTH_WARN", write_bps=1.0, time=T0 + 1, recovery=Recovery(0.0, 0.0)))
    rows = {row[3]: row for row in r.closed(T0 + 60)}
    assert rows["recovery_bps"][5:] == (2, 0.0, 4096.0, 4096.0)  # n, min, sum, max
    assert rows["write_bps"][5:] == (2, 1.0, 4.0, 3.0) and rows["recovery_objps"][8] == 2.0


def test_writer_writes_minutes_at_stop(path):
    w = StoreWriter(path).start()
    w.record("docker", StatsSnapshot("local", (ContainerStats("abcdef1234567890", cpu_pct=4.0),), time=time.time()))
    w.stop()
    (m,) = query.history(db.open_reader(path), "container", "abcdef123456", time.time() - 120)
    assert (m.n, m.avg) == (1, 4.0)  # unknown id: its short form


def test_job_records_are_stored_without_secrets(path):
    w = StoreWriter(path).start()
    job = SimpleNamespace(done=True, finished=T0, _manager=SimpleNamespace(user="ops"), layer="docker", action="stop",
                          target="local/c1", state="failed", error="boom", duration=1.23456, id=7,
                          params={"timeout": 10, "password": "hunter2"})
    w.job_listener(job, "a line")  # output lines are not records
    w.job_listener(SimpleNamespace(**{**job.__dict__, "done": False}), None)  # not finished yet
    w.job_listener(job, None)
    w.stop()
    (rec,) = query.jobs(db.open_reader(path), 0)
    assert rec["user"] == "ops" and rec["outcome"] == "failed" and rec["duration_s"] == 1.235
    assert "hunter2" not in rec["params"] and '"timeout": 10' in rec["params"]


def test_age_retention(path):
    w = StoreWriter(path).start()
    now = time.time()
    w.record("docker", ev(now - 3 * 86400, msg="old"))
    w.record("docker", ev(now - 60, msg="new"))
    w.stop()
    conn = db.open_writer(path)
    assert retention.prune_age(conn, now, 86400) == 1
    assert [e.message for e in query.events(conn, 0)] == ["new"]


def test_age_retention_enforced_by_the_writer(path):
    w = StoreWriter(path, max_age=3600)
    now = time.time()
    w.record("docker", ev(now - 7200, msg="old"))
    w.record("docker", ev(now, msg="new"))
    w.start().stop()
    assert [e.message for e in query.events(db.open_reader(path), 0)] == ["new"]


def test_size_bound_holds_and_newest_kept(path):
    bound = 1 << 20
    w = StoreWriter(path, max_bytes=bound)
    w.SIZE_CHECK_EVERY = 0.0
    w.start()
    peak = 0
    for i in range(60_000):
        w.put(("ev", ev(T0 + i, msg=f"container web died with exit code 137 seq={i}")))
        if i % 2000 == 0:
            peak = max(peak, db.file_bytes(path))
    w.stop(30)
    peak = max(peak, db.file_bytes(path))
    assert w.committed_events == 60_000 and w.dropped == 0
    assert peak <= bound, peak
    conn = db.open_reader(path)
    kept = conn.execute("SELECT COUNT(*), MAX(id) FROM events").fetchone()
    assert 1000 < kept[0] < 60_000 and kept[1] == 60_000


def test_lowered_bound_shrinks_the_file(path):
    w = StoreWriter(path, max_bytes=8 << 20).start()
    for i in range(40_000):
        w.put(("ev", ev(T0 + i, msg="x" * 100)))
    w.stop(30)
    assert path.stat().st_size > 3 << 20
    StoreWriter(path, max_bytes=1 << 20).start().stop()
    assert db.file_bytes(path) <= 1 << 20


def test_full_queue_drops_and_counts_never_blocks(path):
    w = StoreWriter(path, queue_max=3)  # not started: nobody takes
    for i in range(5):
        w.record("docker", ev(T0 + i))
    assert w.dropped == 2
    said = []
    w.on_problem = lambda msg, sev: said.append(msg)
    w.start().stop()
    assert w.committed_events == 3
    assert any("2 records dropped" in m for m in said)


def test_full_disk_said_once_and_writer_goes_on(path, monkeypatch):
    opened = db.open_writer

    def small(p, **kw):
        conn = opened(p, **kw)
        conn.execute("PRAGMA max_page_count = %d" % conn.execute("PRAGMA page_count").fetchone()[0])
        return conn

    monkeypatch.setattr(db, "open_writer", small)
    said = []
    w = StoreWriter(path, on_problem=lambda msg, sev: said.append((sev, msg))).start()
    for batch in range(5):
        for i in range(300):
            w.record("docker", ev(T0 + i, msg="y" * 200))
        assert wait_for(lambda: w.queue.empty())
        time.sleep(0.05)
    assert w.thread.is_alive()
    w.stop()
    full = [m for sev, m in said if "disk is full" in m]
    assert len(full) == 1 and said[0][0] == "error"
    assert w.dropped > 0


def test_locked_file_said_once_then_written(path):
    StoreWriter(path).start().stop()
    said = []
    blocker = sqlite3.connect(str(path), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    w = StoreWriter(path, on_problem=lambda msg, sev: said.append(msg))
    w.REOPEN_EVERY = 0.5
    w.start()
    for i in range(3):
        w.record("docker", ev(T0 + i, msg=f"kept {i}"))
    assert wait_for(lambda: any("database is locked" in m for m in said), 15)
    time.sleep(1.5)  # a retry or more while still locked: still said once
    blocker.execute("ROLLBACK")
    blocker.close()
    assert wait_for(lambda: w.committed_events == 3, 15)
    w.stop()
    assert len([m for m in said if "writing again" not in m]) == 1 and "database is locked" in said[0]
    assert said[-1].endswith("writing again")
    assert [e.message for e in query.events(db.open_reader(path), 0)] == ["kept 0", "kept 1", "kept 2"]


def test_unopenable_store_said_once(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    said = []
    w = StoreWriter(tmp_path / "file" / "history.sqlite3", on_problem=lambda msg, sev: said.append(msg)).start()
    w.record("docker", ev(T0))
    w.stop()
    assert len(said) == 1 and "cannot open" in said[0]


def test_recorder_lock_and_console_defers(path):
    lock = RecorderLock(path)
    assert not recorder_running(path)
    assert lock.acquire()
    assert recorder_running(path) and not RecorderLock(path).acquire()
    w = StoreWriter(path, console=True).start()
    w.record("docker", ev(T0, msg="layer event: the recorder stores it"))
    w.record_event(ev(T0 + 1, layer="job", msg="stop web: done"))
    w.record("docker", StatsSnapshot("local", (ContainerStats("c1", cpu_pct=4.0),), time=T0))
    w.stop()
    conn = db.open_reader(path)
    assert [e.message for e in query.events(conn, 0)] == ["stop web: done"]
    assert query.history(conn, "container", None, 0) == []
    lock.release()
    assert not recorder_running(path)
    w = StoreWriter(path, console=True).start()
    w.record("docker", ev(T0 + 2, msg="no recorder: the console stores it"))
    w.stop()
    assert query.events(db.open_reader(path), T0 + 2)[0].message == "no recorder: the console stores it"


def test_reader_without_store(tmp_path):
    with pytest.raises(db.StoreMissing, match="no history yet"):
        db.open_reader(tmp_path / "none.sqlite3")


def test_time_specs():
    assert parse_span("8h") == 28800 and parse_span("1h30m") == 5400 and parse_span("2d") == 172800
    for bad in ("", "8", "h", "8x", "1h 2m", "-1h"):
        with pytest.raises(ValueError):
            parse_span(bad)
    assert parse_when("1h", now=T0) == T0 - 3600
    assert parse_when("2027-01-15T08:00:00+00:00") == T0
    with pytest.raises(ValueError, match="2026-12-05T22:00"):
        parse_when("yesterday")


def test_store_is_headless():
    code = "import sys, megam_tui.store.writer, megam_tui.store.query, megam_tui.store.recorder; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
