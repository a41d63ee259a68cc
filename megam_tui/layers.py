"""Build the backend layers named in the settings (no Textual here).

Each layer module is imported lazily so a broken or missing optional engine
library makes only that layer report an error.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from megam_tui.settings import Settings

LAYER_NAMES = ("docker", "ceph", "libvirt", "ssh")

# Cleared by `start_early` (a UI is starting), set by the app once its first frame is
# on the screen. Start-up work that no pane's first answer needs (docker-py's event
# stream, container stats) waits for it, at most UI_START_WAIT seconds: the process
# has one GIL, so every CPU millisecond spent before the first frame delays it.
ui_started = threading.Event()
ui_started.set()
UI_START_WAIT = 3.0


def wait_for_ui(stopping: threading.Event | None = None, limit: float = UI_START_WAIT) -> None:
    """Return once the UI showed its first frame (at once when no UI is starting),
    after `limit` seconds at the latest, or when `stopping` is set."""
    deadline = time.monotonic() + limit
    while not ui_started.wait(min(0.1, max(0.0, deadline - time.monotonic()))):
        if (stopping is not None and stopping.is_set()) or time.monotonic() >= deadline:
            return

_CLASSES = {
    "ssh": ("megam_tui.backends.ssh", "SshLayer"),
    "docker": ("megam_tui.backends.docker", "DockerLayer"),
    "ceph": ("megam_tui.backends.ceph", "CephLayer"),
    "libvirt": ("megam_tui.backends.vms", "LibvirtLayer"),
}


@dataclass
class BrokenLayer:
    """Stands in for a layer whose module could not be loaded."""

    name: str
    error: str
    read_only: bool = False

    def start(self, emit: Any) -> None:
        from megam_tui.models import BackendState

        emit(BackendState(self.name, self.name, False, self.error))

    def stop(self) -> None:
        pass

    def summary(self, timeout: float) -> dict[str, Any]:
        return {"ok": False, "error": self.error}

    def run_action(self, action: str, target: str, params: dict[str, Any], job: Any) -> Any:
        from megam_tui.backends.base import BackendError

        raise BackendError(self.error)


def configured(settings: Settings, name: str) -> bool:
    if name == "docker":
        return bool(settings.docker_engines)
    if name == "ceph":
        return bool(settings.ceph_clusters)
    if name == "libvirt":
        return bool(settings.libvirt_hypervisors)
    if name == "ssh":
        return bool(settings.ssh_hosts) or settings.ssh_include_local
    return False


def build_layers(settings: Settings) -> dict[str, Any]:
    """All four layers (ssh first: ceph and libvirt may run commands over it)."""
    layers: dict[str, Any] = {}
    for name in ("ssh", "docker", "ceph", "libvirt"):
        module_name, class_name = _CLASSES[name]
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            if name == "ssh":
                layers[name] = cls(settings)
            else:
                layers[name] = cls(settings, ssh=layers.get("ssh"))
        except Exception as exc:  # noqa: BLE001 - shown in that layer's pane
            layers[name] = BrokenLayer(name, f"{name} backend unavailable: {type(exc).__name__}: {exc}")
    return layers


class EarlyLayer:
    """A layer started before the UI exists (see `start_early`); stands in for it.

    Its output is kept in arrival order until `start(emit)` is called (by the app,
    once mounted), replayed to `emit` then, and afterwards passed straight on.
    Everything else (actions, stop, attributes) goes to the wrapped layer.
    """

    def __init__(self, name: str, layer: Any) -> None:
        self.layer = layer
        self._name = name
        self._lock = threading.Lock()
        self._held: list[Any] = []
        self._sink: Any = None
        self._thread = threading.Thread(target=self._run, name=f"early-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.layer.start(self._emit)
        except Exception as exc:  # noqa: BLE001 - shown in its pane, like a start in the app
            from megam_tui.models import BackendState

            self._emit(BackendState(self._name, self._name, False, f"{self._name} failed to start: {exc}"))

    def _emit(self, obj: Any) -> None:
        with self._lock:
            if self._sink is None:
                self._held.append(obj)
                return
            sink = self._sink
        sink(obj)

    def start(self, emit: Any) -> None:
        """Replay what came before, then pass everything on (holding the lock keeps the order)."""
        with self._lock:
            held, self._held = self._held, []
            for obj in held:
                emit(obj)
            self._sink = emit

    def attach(self, emit: Any) -> list[Any]:
        """Like start, but hand back what came before instead of emitting it.

        The app applies those objects itself while mounting, so that its very first
        frame already shows the answers that arrived during the import (instead of a
        frame of empty panes and a second, full layout a moment later)."""
        with self._lock:
            held, self._held = self._held, []
            self._sink = emit
        return held

    def stop(self) -> None:
        self.layer.stop()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.__dict__["layer"], attr)


def start_early(settings: Settings, layers: dict[str, Any]) -> dict[str, Any]:
    """Start every configured layer now, before the UI is imported and mounted.

    Importing and mounting the UI takes about half a second of the start-up; the
    layers connect meanwhile (sockets, subprocesses and librados overlap it), so
    the first frame can already show their answers. Returns the layers to hand to
    the app: started ones wrapped in `EarlyLayer`, the others as they were.
    The app sets `ui_started` after its first frame.
    """
    ui_started.clear()
    return {name: EarlyLayer(name, layer) if configured(settings, name) else layer for name, layer in layers.items()}


def gather_summaries(settings: Settings, timeout: float, layers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ask every configured layer once, in parallel, bounded by `timeout` + 2 s."""
    layers = layers or build_layers(settings)
    result: dict[str, Any] = {}
    futures: dict[str, concurrent.futures.Future[dict[str, Any]]] = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="status")
    for name in LAYER_NAMES:
        if not configured(settings, name):
            result[name] = {"ok": False, "configured": False, "error": "not configured"}
            continue
        futures[name] = pool.submit(_safe_summary, layers[name], timeout)
    deadline = time.monotonic() + timeout + 2.0
    for name, fut in futures.items():
        try:
            summary = fut.result(timeout=max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            summary = {"ok": False, "error": f"{name}: no answer within {timeout + 2:g}s"}
        summary.setdefault("configured", True)
        summary.setdefault("error", None)
        result[name] = summary
    pool.shutdown(wait=False, cancel_futures=True)
    return {k: result[k] for k in LAYER_NAMES}


def _safe_summary(layer: Any, timeout: float) -> dict[str, Any]:
    try:
        out = layer.summary(timeout)
        return dict(out)
    except Exception as exc:  # noqa: BLE001 - a summary must never crash `status`
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def stop_all(layers: dict[str, Any], wait: float = 2.0) -> None:
    threads = [threading.Thread(target=_safe_stop, args=(layer,), daemon=True) for layer in layers.values()]
    for t in threads:
        t.start()
    end = time.monotonic() + wait
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))


def _safe_stop(layer: Any) -> None:
    try:
        layer.stop()
    except Exception:  # noqa: BLE001
        pass
