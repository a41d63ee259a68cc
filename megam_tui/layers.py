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
