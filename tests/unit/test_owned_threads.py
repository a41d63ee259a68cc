"""No class of ours subclasses a standard-library thread: a subclass's names can shadow the
stdlib's private ones (Python 3.13 added `Thread._handle`; the Docker event watcher's method
of that name made every event fail with "'_thread._ThreadHandle' object is not callable").
Workers compose a thread instead (`OwnedThread`)."""

from __future__ import annotations

import ast
import importlib
import inspect
import threading
import time
from pathlib import Path

from megam_tui.backends.base import OwnedThread, StreamThread

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_BASES = {"Thread", "Timer", "threading.Thread", "threading.Timer"}


def _sources():
    for folder in ("megam_tui", "benchmarks", "scripts"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_class_subclasses_threading_thread_or_timer():
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for base in node.bases:
                    if ast.unparse(base) in FORBIDDEN_BASES:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}({ast.unparse(base)})")
    assert offenders == [], "compose a thread (OwnedThread) instead of subclassing: " + ", ".join(offenders)


def _owned_thread_classes():
    for path in sorted((ROOT / "megam_tui").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if rel.parts[1] in ("ui", "app", "__main__"):
            continue  # the Textual side has no workers of this kind
        module = importlib.import_module(".".join(p for p in rel.parts if p != "__init__"))
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, OwnedThread) and cls.__module__ == module.__name__:
                yield cls


def test_workers_are_owned_threads_and_their_names_cannot_reach_the_thread():
    classes = list(_owned_thread_classes())
    names = {c.__name__ for c in classes}
    # the long-lived workers of every layer
    assert {"StreamThread", "EngineWatcher", "CephPoller", "_Poller", "Poller"} <= names, names
    for cls in classes:
        assert not issubclass(cls, threading.Thread), cls


def test_a_method_named_like_a_private_thread_attribute_no_longer_breaks_the_thread():
    """What broke under 3.13, made to happen on every Python: the worker defines names the
    stdlib Thread uses privately (`_handle` on 3.13+, `_started`, `_target`, `_stop`, ...)."""
    calls = []

    class Hostile(OwnedThread):
        def __init__(self):
            super().__init__("hostile")
            self._started = "ours"
            self._target = "ours"
            self._tstate_lock = "ours"

        def _handle(self, x):  # the 3.13 collision
            calls.append(x)

        def _stop(self):
            calls.append("stop?")

        def run(self):
            self._handle("ran")

    w = Hostile()
    w.start()
    w.join(5)
    assert calls == ["ran"]
    assert not w.is_alive() and w.ident is not None and w.name == "hostile" and w.daemon


def test_stream_thread_reconnects_reports_each_failure_and_stops():
    errors = []

    class Flaky(StreamThread):
        backoff_initial = 0.01
        backoff_max = 0.02

        def __init__(self):
            super().__init__("flaky", on_error=errors.append)
            self.rounds = 0

        def run_once(self):
            self.rounds += 1
            raise OSError(f"gone {self.rounds}")

    t = Flaky()
    t.start()
    end = time.monotonic() + 10
    while len(errors) < 3 and time.monotonic() < end:
        time.sleep(0.01)
    t.stop()
    t.join(5)
    assert not t.is_alive()
    assert [str(e) for e in errors[:3]] == ["gone 1", "gone 2", "gone 3"]
    assert any(th.name == "flaky" for th in [t.thread])
