"""Snapshots the Ceph layer emits besides models.CephStatus / Event / BackendState."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from megam_tui.models import Event, OsdNode, PoolUsage


@dataclass(frozen=True)
class CephOsdTree:
    """`osd tree` of one cluster: roots -> hosts -> osds (OsdNode.children are ids)."""

    cluster: str
    nodes: tuple[OsdNode, ...]
    time: float = field(default_factory=time.time)

    def node(self, node_id: int) -> OsdNode | None:
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None

    def roots(self) -> tuple[OsdNode, ...]:
        child_ids = {c for n in self.nodes for c in n.children}
        return tuple(n for n in self.nodes if n.id not in child_ids)


@dataclass(frozen=True)
class CephPools:
    """`df` of one cluster: raw capacity and per-pool usage."""

    cluster: str
    pools: tuple[PoolUsage, ...]
    total_bytes: int = 0
    avail_bytes: int = 0
    used_raw_bytes: int = 0
    time: float = field(default_factory=time.time)

    @property
    def used_ratio(self) -> float:
        return self.used_raw_bytes / self.total_bytes if self.total_bytes else 0.0


@dataclass(frozen=True)
class CephLogBacklog:
    """The cluster log entries already there when watching started (pane only, not the timeline)."""

    cluster: str
    events: tuple[Event, ...]
