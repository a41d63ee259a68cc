"""User actions become jobs on worker threads: queue, records, cancel, audit.

The seed's goroutines and channels, done with threads and queues: each layer
("docker", "ceph", "libvirt", "ssh") has a bounded pool of worker threads fed
by a queue. A job records its target, action, state, timings, output lines
and error; listeners (the UI) are told of every change. Every finished job is
appended to the audit log ($MEGAM_HOME/audit.jsonl) as one JSON line.

No Textual here: the app passes a thread-safe `listener` callback.
"""

from __future__ import annotations

import collections
import getpass
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from megam_tui.audit import AuditLog, now_iso, session_label
from megam_tui.backends.base import BackendError, ReadOnlyError
from megam_tui.sanitize import safe_str

__all__ = ["AuditLog", "Job", "JobManager", "JobCancelled", "QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED"]

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL_STATES = (DONE, FAILED, CANCELLED)
MAX_OUTPUT_LINES = 5_000


class JobCancelled(Exception):
    """Raised inside a job function that notices it was cancelled."""


@dataclass
class Job:
    id: int
    layer: str
    action: str
    target: str
    func: Callable[[Job], Any] = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # the target's name as shown on screen (audit, notifications)
    word: str = ""  # the action in operator words ("stop" for a toggle of a running container)
    confirm: dict[str, str] | None = None  # {"asked": question, "answer": "yes"} when one was asked
    rerun_of: int | None = None
    state: str = QUEUED
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: Any = None
    error: str | None = None
    output: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=MAX_OUTPUT_LINES))
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    _manager: JobManager | None = field(default=None, repr=False)

    # -- used by job functions (worker thread) --------------------------------
    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise JobCancelled()

    def emit(self, line: str) -> None:
        """Add a line of output (thread-safe; listeners are told). Made terminal-safe here."""
        line = safe_str(line)
        self.output.append(line)
        if self._manager is not None:
            self._manager._notify(self, line)

    # -- read by the UI ---------------------------------------------------------
    @property
    def duration(self) -> float | None:
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def says(self) -> str:
        """"stop web-1": the action and the target as the operator knows them."""
        return f"{self.word or self.action} {self.name or self.target}"


Listener = Callable[[Job, str | None], None]


class JobManager:
    """Bounded worker pool per layer; jobs are queued, run, cancelled, re-run."""

    def __init__(
        self,
        audit: AuditLog | None = None,
        workers_per_layer: int = 4,
        history: int = 500,
        layer_workers: dict[str, int] | None = None,
    ) -> None:
        self.audit = audit or AuditLog(None)
        self.workers_per_layer = workers_per_layer
        # a command on N hosts should run on all of them at once: ssh gets a wider pool
        self.layer_workers = {"ssh": 32, **(layer_workers or {})}
        self._ids = itertools.count(1)
        self._jobs: collections.OrderedDict[int, Job] = collections.OrderedDict()
        self._history = history
        self._queues: dict[str, queue.Queue[Job | None]] = {}
        self._threads: list[threading.Thread] = []
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._closed = False
        self.user = _user()
        self.session = session_label()

    # -- listeners -------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _notify(self, job: Job, line: str | None = None) -> None:
        for listener in list(self._listeners):
            try:
                listener(job, line)
            except Exception:  # noqa: BLE001 - a broken listener must not kill a worker
                pass

    # -- submit / cancel / rerun ---------------------------------------------------
    def submit(
        self,
        layer: str,
        action: str,
        target: str,
        func: Callable[[Job], Any],
        params: dict[str, Any] | None = None,
        *,
        name: str = "",
        word: str = "",
        confirm: dict[str, str] | None = None,
        rerun_of: int | None = None,
    ) -> Job:
        if self._closed:
            raise RuntimeError("job manager is shut down")
        job = Job(
            next(self._ids), layer, action, target, func, dict(params or {}),
            name=name, word=word, confirm=confirm, rerun_of=rerun_of,
        )
        job._manager = self
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self._history:
                oldest_id, oldest = next(iter(self._jobs.items()))
                if not oldest.done:
                    break
                del self._jobs[oldest_id]
            q = self._queues.get(layer)
            if q is None:
                q = self._queues[layer] = queue.Queue()
                for n in range(self._pool_size(layer)):
                    t = threading.Thread(target=self._worker, args=(q,), name=f"jobs-{layer}-{n}", daemon=True)
                    t.start()
                    self._threads.append(t)
        self._notify(job)
        q.put(job)
        return job

    def cancel(self, job_id: int) -> bool:
        job = self.get(job_id)
        if job is None or job.done:
            return False
        job.cancel_event.set()
        if job.state == QUEUED:
            self._finish(job, CANCELLED, error="cancelled before it started")
        return True

    def rerun(self, job_id: int) -> Job | None:
        job = self.get(job_id)
        if job is None:
            return None
        return self.submit(job.layer, job.action, job.target, job.func, job.params, name=job.name, word=job.word, rerun_of=job.id)

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def wait(self, job: Job, timeout: float | None = None) -> bool:
        end = None if timeout is None else time.monotonic() + timeout
        while not job.done:
            if end is not None and time.monotonic() > end:
                return False
            time.sleep(0.01)
        return True

    def shutdown(self, wait: float = 2.0) -> None:
        self._closed = True
        for job in self.jobs():
            if not job.done:
                job.cancel_event.set()
        for layer, q in self._queues.items():
            for _ in range(self._pool_size(layer)):
                q.put(None)
        end = time.monotonic() + wait
        for t in self._threads:
            t.join(max(0.0, end - time.monotonic()))

    def _pool_size(self, layer: str) -> int:
        return max(1, self.layer_workers.get(layer, self.workers_per_layer))

    # -- worker ------------------------------------------------------------------
    def _worker(self, q: queue.Queue[Job | None]) -> None:
        while True:
            job = q.get()
            if job is None:
                return
            if job.done:  # cancelled while queued
                continue
            job.state = RUNNING
            job.started = time.time()
            self._notify(job)
            try:
                job.result = job.func(job)
            except JobCancelled:
                self._finish(job, CANCELLED, error="cancelled")
            except ReadOnlyError:
                self._finish(job, FAILED, error=f"read-only mode: {job.word or job.action.replace('_', ' ')} refused")
            except BackendError as exc:
                self._finish(job, CANCELLED if job.cancelled else FAILED, error=str(exc))
            except Exception as exc:  # noqa: BLE001 - unexpected, still shown, never raised
                self._finish(job, FAILED, error=f"{type(exc).__name__}: {exc}")
            else:
                self._finish(job, CANCELLED if job.cancelled else DONE)

    def _finish(self, job: Job, state: str, error: str | None = None) -> None:
        with self._lock:
            if job.done:
                return
            job.state = state
            job.error = safe_str(error) if error else error
            job.finished = time.time()
        self.audit.write(self.audit_record(job))
        self._notify(job)

    def audit_record(self, job: Job) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "time": now_iso(job.finished),
            "user": self.user,
            "session": self.session,
            "layer": job.layer,
            "action": job.word or job.action,
            "target": job.target,
            "name": job.name or job.target,
            "params": job.params,
            "confirm": job.confirm,
            "outcome": job.state,
            "error": job.error,
            "duration_s": round(job.duration or 0.0, 3),
            "job": job.id,
        }
        if job.word and job.word != job.action:
            rec["requested"] = job.action
        if job.rerun_of is not None:
            rec["rerun_of"] = job.rerun_of
        if job.state == DONE and isinstance(job.result, str) and len(job.result) <= 200:
            rec["result"] = safe_str(job.result)
        return rec

    def declined(self, layer: str, action: str, target: str, params: dict[str, Any], *, name: str, word: str, asked: str) -> None:
        """The operator answered no to a confirmation: that is audited too (nothing ran)."""
        self.audit.write(
            {
                "time": now_iso(),
                "user": self.user,
                "session": self.session,
                "layer": layer,
                "action": word or action,
                "target": target,
                "name": name or target,
                "params": params,
                "confirm": {"asked": asked, "answer": "no"},
                "outcome": "declined",
                "error": None,
                "duration_s": 0.0,
            }
        )


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return str(os.getuid())
