"""State behind the Containers pane (pure Python, no widgets).

Holds containers per "engine/id" key, latest stats, CPU/mem history (bounded),
engine reachability, pending actions, selection, filter, sort and grouping,
and computes the ordered list of visible rows.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass

from megam_tui.backends.docker_models import (
    ContainerRemoved,
    ContainersSnapshot,
    ContainerUpdate,
    StatsSnapshot,
    container_key,
)
from megam_tui.models import BackendState, Container, ContainerStats
from megam_tui.ui.containers_format import sort_value
from megam_tui.ui.steady import moved

HISTORY = 60  # samples kept per container for the sparkline
PENDING_MAX_AGE = 60.0  # a pending marker never sticks longer than this


@dataclass(frozen=True)
class GroupRow:
    """A group header row ("▾ project (n)")."""

    project: str
    count: int

    @property
    def key(self) -> str:
        return f"group:{self.project}"


def significant(old: ContainerStats | None, new: ContainerStats) -> bool:
    """Whether the displayed stats should change (hysteresis: no redraw for noise).

    CPU moves by >= 0.5 points or 10 %, memory by >= 1 %, IO rates by >= 10 %
    (or start/stop being zero). The sparkline history always gets every sample.
    """
    if old is None:
        return True
    return (
        moved(old.cpu_pct, new.cpu_pct, 0.5, 0.10)
        or moved(None if old.mem_bytes is None else float(old.mem_bytes), None if new.mem_bytes is None else float(new.mem_bytes), 1.0, 0.01)
        or old.mem_limit != new.mem_limit
        or moved(old.net_rx_bps, new.net_rx_bps, 1.0, 0.10)
        or moved(old.net_tx_bps, new.net_tx_bps, 1.0, 0.10)
        or moved(old.blk_read_bps, new.blk_read_bps, 1.0, 0.10)
        or moved(old.blk_write_bps, new.blk_write_bps, 1.0, 0.10)
    )


class ContainersModel:
    def __init__(self) -> None:
        self.containers: dict[str, Container] = {}
        self.stats: dict[str, ContainerStats] = {}
        self.cpu_hist: dict[str, collections.deque[float]] = {}
        self.mem_hist: dict[str, collections.deque[float]] = {}
        self.engines: dict[str, BackendState] = {}
        self.pending: dict[str, float] = {}
        self.selected: set[str] = set()
        self.filter: str = ""
        self.sort_column: str = "name"
        self.sort_reverse: bool = False
        self.group: bool = False
        self.last_event_latency: float | None = None

    # ------------------------------------------------------------------ updates
    def apply(self, obj: object) -> set[str]:
        """Apply one backend object; returns the keys whose rows may have changed
        ({"*"} when the visible set/order may have changed)."""
        if isinstance(obj, ContainersSnapshot):
            self.engines[obj.engine] = obj.state
            old = {k for k, c in self.containers.items() if c.engine == obj.engine}
            new = {container_key(c.engine, c.id): c for c in obj.containers}
            for k in old - set(new):
                self._forget(k)
            self.containers.update(new)
            return {"*"}
        if isinstance(obj, ContainerUpdate):
            c = obj.container
            key = container_key(c.engine, c.id)
            if obj.event_time:
                self.last_event_latency = time.time() - obj.event_time
            is_new = key not in self.containers
            prev = self.containers.get(key)
            self.containers[key] = c
            self.pending.pop(key, None)
            if is_new or self._order_may_change(prev, c):
                return {"*"}
            return {key}
        if isinstance(obj, ContainerRemoved):
            key = container_key(obj.engine, obj.id)
            self._forget(key)
            return {"*"}
        if isinstance(obj, StatsSnapshot):
            changed = set()
            for st in obj.stats:
                key = container_key(obj.engine, st.id)
                if key not in self.containers:
                    continue
                if st.cpu_pct is not None:
                    self.cpu_hist.setdefault(key, collections.deque(maxlen=HISTORY)).append(st.cpu_pct)
                if st.mem_bytes is not None:
                    self.mem_hist.setdefault(key, collections.deque(maxlen=HISTORY)).append(float(st.mem_bytes))
                if significant(self.stats.get(key), st):
                    self.stats[key] = st
                    changed.add(key)
            if self.sort_column in ("cpu", "mem", "mem_pct", "net", "blk"):
                return {"*"}
            return changed
        if isinstance(obj, BackendState):
            prev = self.engines.get(obj.name)
            self.engines[obj.name] = obj
            if prev is None or prev.ok != obj.ok:
                return {k for k, c in self.containers.items() if c.engine == obj.name}
            return set()
        return set()

    def _order_may_change(self, prev: Container | None, c: Container) -> bool:
        """Whether an update can move/hide/show the row (else only its cells change)."""
        if prev is None or (prev.name, prev.project) != (c.name, c.project):
            return True
        if self.filter:
            return True
        if self.sort_column in ("state", "uptime", "health", "ports", "image"):
            return (prev.state_text, prev.started_at, prev.health, prev.ports, prev.image) != (c.state_text, c.started_at, c.health, c.ports, c.image)
        return False

    def _forget(self, key: str) -> None:
        for d in (self.containers, self.stats, self.cpu_hist, self.mem_hist, self.pending):
            d.pop(key, None)  # type: ignore[attr-defined]
        self.selected.discard(key)

    # ------------------------------------------------------------------ pending / selection
    def mark_pending(self, keys: list[str]) -> None:
        now = time.monotonic()
        for k in keys:
            if k in self.containers:
                self.pending[k] = now

    def clear_pending(self, key: str) -> bool:
        return self.pending.pop(key, None) is not None

    def expire_pending(self) -> set[str]:
        now = time.monotonic()
        old = {k for k, t in self.pending.items() if now - t > PENDING_MAX_AGE}
        for k in old:
            self.pending.pop(k, None)
        return old

    def toggle_selected(self, key: str) -> None:
        if key not in self.containers:
            return
        if key in self.selected:
            self.selected.discard(key)
        else:
            self.selected.add(key)

    def unreachable(self, engine: str) -> bool:
        st = self.engines.get(engine)
        return st is not None and not st.ok

    # ------------------------------------------------------------------ view
    def matches(self, c: Container) -> bool:
        if not self.filter:
            return True
        f = self.filter.lower()
        return any(f in (s or "").lower() for s in (c.name, c.image, c.state_text, c.engine, c.project, c.ports, c.id[:12]))

    def visible(self) -> list[str | GroupRow]:
        """Ordered rows: container keys (and GroupRow headers when grouping)."""
        keys = [k for k, c in self.containers.items() if self.matches(c)]
        col = self.sort_column
        keys.sort(key=lambda k: (sort_value(col, self.containers[k], self.stats.get(k)), self.containers[k].name, k), reverse=self.sort_reverse)
        if not self.group:
            return list(keys)
        groups: dict[str, list[str]] = {}
        for k in keys:
            groups.setdefault(self.containers[k].project or "", []).append(k)
        out: list[str | GroupRow] = []
        for project in sorted(groups, key=lambda p: (p == "", p.lower())):
            out.append(GroupRow(project or "(no project)", len(groups[project])))
            out.extend(groups[project])
        return out

    def engine_problems(self) -> list[str]:
        return [f"{name}: {st.error or 'engine unreachable'}" for name, st in sorted(self.engines.items()) if not st.ok]
