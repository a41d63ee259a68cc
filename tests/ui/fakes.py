"""Fakes for fast UI tests of the app shell (never used as proof a backend works)."""

from __future__ import annotations

import time
from typing import Any

from megam_tui.backends.base import mutating
from megam_tui.models import BackendState, Container, Event
from megam_tui.ui.fallback_pane import FallbackPane


class FakeLayer:
    def __init__(self, name: str, read_only: bool = False) -> None:
        self.name = name
        self.read_only = read_only
        self.emit = None
        self.actions: list[tuple[str, str, dict]] = []
        self.stopped = False

    def start(self, emit) -> None:
        self.emit = emit
        emit(BackendState(self.name, "local", True))

    def stop(self) -> None:
        self.stopped = True

    def summary(self, timeout: float) -> dict[str, Any]:
        return {"ok": True, "error": None}

    def run_action(self, action: str, target: str, params: dict, job) -> Any:
        return self._mutate(action, target, params, job)

    @mutating
    def _mutate(self, action, target, params, job):
        job.emit(f"{action} {target}")
        self.actions.append((action, target, params))
        return "ok"


class RecordingPane(FallbackPane):
    def __init__(self, layer: str, **kwargs) -> None:
        super().__init__(layer, **kwargs)
        self.applied: list[Any] = []
        self.focused_objects: list[str] = []

    def apply(self, obj: Any) -> None:
        self.applied.append(obj)
        super().apply(obj)

    def focus_object(self, name: str) -> None:
        self.focused_objects.append(name)


def recording_factory(layer, settings):
    return RecordingPane(layer, id=f"pane-{layer}")


def container(name: str, state: str = "running") -> Container:
    return Container(id=name * 3, name=name, engine="local", image="busybox:local", state=state)


def event(message: str, severity: str = "warn", layer: str = "docker", obj: str = "web", kind: str = "die") -> Event:
    return Event(time.time(), layer, severity, "local", message, object=obj, kind=kind)
