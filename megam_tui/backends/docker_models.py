"""Snapshot / update objects the Docker layer emits (besides models.* values).

Plain frozen dataclasses: they cross from the layer's threads to the UI
thread through `emit(obj)`; the Containers pane dispatches on their type.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from megam_tui.models import BackendState, Container, ContainerStats, Image, Service


@dataclass(frozen=True)
class ContainersSnapshot:
    """The full container list of one engine (after a (re)connect or re-sync).

    When `state.ok` is False, `containers` holds the last known list (may be
    empty) and the pane marks that engine's rows unreachable.
    """

    engine: str
    containers: tuple[Container, ...]
    state: BackendState
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ContainerUpdate:
    """One container changed (from the event stream)."""

    container: Container
    event_time: float = 0.0  # engine's event timestamp (seconds, ns precision)
    received: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ContainerRemoved:
    engine: str
    id: str
    event_time: float = 0.0


@dataclass(frozen=True)
class StatsSnapshot:
    """Stats of the running containers of one engine at one refresh."""

    engine: str
    stats: tuple[ContainerStats, ...]
    source: str = "cgroup"  # cgroup | api
    elapsed: float = 0.0  # seconds spent gathering
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ImagesSnapshot:
    engine: str
    images: tuple[Image, ...]
    error: str | None = None


@dataclass(frozen=True)
class ServicesSnapshot:
    engine: str
    services: tuple[Service, ...]
    swarm: bool = False  # engine is a swarm manager
    error: str | None = None


def container_key(engine: str, container_id: str) -> str:
    """The row / RunAction target key for a container: "engine/id"."""
    return f"{engine}/{container_id}"


def split_key(key: str) -> tuple[str, str]:
    engine, sep, cid = key.partition("/")
    if not sep or not engine or not cid:
        raise ValueError(f"not an engine/container key: {key!r}")
    return engine, cid


@dataclass(frozen=True)
class InspectResult:
    """GET /containers/{id}/json for the Inspect screen (or the error)."""

    key: str
    data: dict | None
    error: str | None = None
