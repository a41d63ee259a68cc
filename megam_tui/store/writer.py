"""One writer thread behind a bounded queue: nobody else waits for the disk.

`record*` put an item on the queue without blocking (a full queue drops it and
counts); the writer thread takes what is there, folds figures into per-minute
rollups, commits events and job records in one transaction, writes the minutes
that ended, and enforces retention. Problems (a full disk, a file locked by
someone else, a store that cannot be opened) are told once through
`on_problem(message, severity)`, and once more when writing works again; the
writer keeps going and tries again.

The thread is composed (`self.thread`), never subclassed (see OwnedThread).
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from megam_tui.store import db, retention
from megam_tui.store.lock import recorder_running
from megam_tui.store.rollup import UPSERT, Rollups

EVENT_INSERT = "INSERT INTO events (time, layer, severity, source, object, kind, message) VALUES (?, ?, ?, ?, ?, ?, ?)"
JOB_INSERT = (
    "INSERT INTO jobs (time, user, layer, action, target, outcome, error, duration_s, job, params)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
OWN_LAYERS = ("job", "app")  # what a console stores itself while a recorder runs
SECRET_KEYS = ("password", "passphrase", "secret", "token", "key_data")

Problem = Callable[[str, str], None]


class StoreWriter:
    QUEUE_MAX = 20_000
    PRUNE_AGE_EVERY = 60.0  # seconds between age prunes
    SIZE_CHECK_EVERY = 2.0  # seconds between size checks (also after every large batch)
    REOPEN_EVERY = 10.0
    RECORDER_CHECK_EVERY = 30.0

    def __init__(
        self,
        path: Path,
        *,
        max_age: float = 7 * 86400.0,
        max_bytes: int = 256 << 20,
        on_problem: Problem | None = None,
        console: bool = False,
        queue_max: int | None = None,
        on_commit: Callable[[list[tuple[Any, ...]]], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.max_age = max_age
        self.max_bytes = max(retention.MIN_BYTES, int(max_bytes))
        self.on_problem = on_problem
        self.on_commit = on_commit
        self.console = console
        self.queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=queue_max or self.QUEUE_MAX)
        self.batch_max = max(100, min(5000, self.max_bytes // 4096))
        self.rollups = Rollups()
        self.dropped = 0  # items lost: queue full, or a failed write
        self.committed_events = 0
        self.problem: str | None = None
        self.deferring = False  # a recorder runs: leave the layers' records to it
        self.thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._stopping = threading.Event()
        self._conn: sqlite3.Connection | None = None

    # -- producers (any thread; never block) ----------------------------------------------
    def record(self, layer: str, obj: Any) -> None:
        """Anything a layer emits: events are stored, figures rolled up, the rest ignored."""
        if type(obj).__name__ == "Event":
            self._put(("ev", obj))
        elif self.rollups.wants(obj):
            self._put(("obj", obj))

    def record_event(self, event: Any) -> None:
        self._put(("ev", event))

    def job_listener(self, job: Any, line: str | None) -> None:
        """A JobManager listener: a finished job becomes a job record."""
        if line is not None or not getattr(job, "done", False):
            return
        params = {k: ("***" if any(s in str(k).lower() for s in SECRET_KEYS) else v) for k, v in (job.params or {}).items()}
        row = (
            job.finished or time.time(),
            getattr(job._manager, "user", "") if getattr(job, "_manager", None) else "",
            job.layer,
            job.action,
            job.target,
            job.state,
            job.error,
            round(job.duration or 0.0, 3),
            job.id,
            json.dumps(params, default=str, ensure_ascii=False),
        )
        self._put(("job", row))

    def put(self, item: tuple[str, Any], timeout: float | None = None) -> None:
        """Blocking put (a headless producer that may wait; tests)."""
        self.queue.put(item, timeout=timeout)

    def _put(self, item: tuple[str, Any]) -> None:
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    # -- life ------------------------------------------------------------------------------
    def start(self) -> StoreWriter:
        self.thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Write what is queued (the current minute too), then end the thread."""
        self._stopping.set()
        try:
            self.queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self.thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        events: list[tuple[Any, ...]] = []
        jobs: list[tuple[Any, ...]] = []
        minutes: list[tuple[Any, ...]] = []
        last_open = last_age = last_size = last_recorder = 0.0
        said_drops = 0
        self.deferring = self.console and recorder_running(self.path)
        while True:
            stop = self._take(events, jobs)
            now = time.time()
            minutes += self.rollups.closed(now, everything=stop)
            if self._conn is None and (stop or now - last_open >= self.REOPEN_EVERY):
                last_open = now
                self._open()
            if self._conn is not None and (events or jobs or minutes) and self._write(events, jobs, minutes):
                events, jobs, minutes = [], [], []
            if len(events) + len(jobs) + len(minutes) > self.queue.maxsize:  # cannot write: bounded
                self.dropped += len(events) + len(jobs)
                events, jobs, minutes = [], [], []
            if self._conn is not None:
                try:
                    if now - last_age >= self.PRUNE_AGE_EVERY:
                        last_age = now
                        retention.prune_age(self._conn, now, self.max_age)
                    if now - last_size >= self.SIZE_CHECK_EVERY or self._big_batch:
                        last_size = now
                        if retention.over_budget(self._conn, self.max_bytes):
                            retention.prune_size(self._conn, self.max_bytes)
                except sqlite3.Error as exc:
                    self._problem(f"history store {self.path}: retention failed: {exc}", "warn")
            if self.dropped != said_drops and self.problem is None and self.queue.qsize() < self.queue.maxsize // 2:
                self._say(f"history store: {self.dropped - said_drops} records dropped (the writer fell behind or could not write)", "warn")
                said_drops = self.dropped
            if self.console and now - last_recorder >= self.RECORDER_CHECK_EVERY:
                last_recorder = now
                self.deferring = recorder_running(self.path)
            if stop:
                break
        if events or jobs:
            self.dropped += len(events) + len(jobs)
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    _big_batch = False

    def _take(self, events: list[tuple[Any, ...]], jobs: list[tuple[Any, ...]]) -> bool:
        """Wait for items, then take what is there (a batch at most); True at the stop sentinel."""
        wait = 60.0 - time.time() % 60.0 + 0.05  # the next minute's end at the latest
        if events or jobs:
            wait = 1.0  # a retry is pending
        try:
            item = self.queue.get(timeout=min(wait, self.SIZE_CHECK_EVERY * 15))
        except queue.Empty:
            return self._stopping.is_set()
        taken = 0
        get = self.queue.get_nowait
        feed = self.rollups.feed
        defer = self.deferring
        while True:
            if item is None:
                return True
            tag, obj = item
            if tag == "ev":
                if not defer or obj.layer in OWN_LAYERS:
                    events.append((obj.time, obj.layer, obj.severity, obj.source, obj.object, obj.kind, obj.message))
                    taken += 1
            elif tag == "job":
                jobs.append(obj)
                taken += 1
            elif not defer:
                feed(obj)
            if taken >= self.batch_max:
                break
            try:
                item = get()
            except queue.Empty:
                break
        self._big_batch = taken >= self.batch_max // 2
        return False

    def _open(self) -> None:
        try:
            self._conn = db.open_writer(self.path, wal_bytes=retention.wal_allowance(self.max_bytes))
        except (sqlite3.Error, OSError) as exc:
            self._conn = None
            self._problem(f"history store {self.path}: cannot open: {_why(exc)}; history is not kept", "error")
            return
        try:
            if retention.over_budget(self._conn, self.max_bytes):
                retention.prune_size(self._conn, self.max_bytes)
        except sqlite3.Error:
            pass

    def _write(self, events: list[tuple[Any, ...]], jobs: list[tuple[Any, ...]], minutes: list[tuple[Any, ...]]) -> bool:
        conn = self._conn
        assert conn is not None
        try:
            with db.tx(conn):
                if events:
                    conn.executemany(EVENT_INSERT, events)
                if jobs:
                    conn.executemany(JOB_INSERT, jobs)
                if minutes:
                    conn.executemany(UPSERT, minutes)
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc):
                self._problem(f"history store {self.path} is locked by another program ({exc}); retrying", "warn")
                return False  # kept and retried
            if code == sqlite3.SQLITE_FULL or "full" in str(exc):
                self._problem(f"history store {self.path}: the disk is full ({exc}); records are dropped until there is room", "error")
            else:
                self._problem(f"history store {self.path}: {exc}; records are dropped", "error")
            self.dropped += len(events) + len(jobs)
            return True
        except (sqlite3.Error, OSError) as exc:
            self._problem(f"history store {self.path}: {_why(exc)}; records are dropped", "error")
            self.dropped += len(events) + len(jobs)
            self._reopen_later()
            return True
        self.committed_events += len(events)
        if self.problem is not None:
            self.problem = None
            self._say(f"history store {self.path}: writing again", "info")
        if self.on_commit is not None and events:
            self.on_commit(events)
        return True

    def _reopen_later(self) -> None:
        try:
            if self._conn is not None:
                self._conn.close()
        except sqlite3.Error:
            pass
        self._conn = None

    def _problem(self, message: str, severity: str) -> None:
        """Say a problem once (until writing works again)."""
        if self.problem is not None:
            return
        self.problem = message
        self._say(message, severity)

    def _say(self, message: str, severity: str) -> None:
        if self.on_problem is not None:
            try:
                self.on_problem(message, severity)
            except Exception:  # noqa: BLE001 - a broken listener must not stop the writer
                pass


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
