"""Per-minute figures: every sample a layer emits folds into min / sum / max / n of its minute.

Kinds and metrics:
    container  cpu_pct (% of one core), mem_bytes          name = container name, source = engine
    vm         cpu_pct, mem_bytes (allocated)              name = domain, source = hypervisor
    host       cpu_pct, mem_used (bytes), load1            name = host, source = address
    ceph       read_bps, write_bps, read_ops, write_ops    name = cluster
               recovery_bps, recovery_objps (when the status carries its recovery figures)

Objects are told apart by their class name, so this module imports no backend.
`feed` runs on the writer thread; `closed(now)` hands back the finished minutes
as rows for `rows_upsert` (a minute written twice, e.g. by a console and a
recorder, or across a restart, merges instead of failing).
"""

from __future__ import annotations

import time
from typing import Any

KINDS = ("container", "vm", "host", "ceph")
CEPH_METRICS = ("read_bps", "write_bps", "read_ops", "write_ops")
# attribute names a Ceph status may carry its recovery rate under (bytes/s)
CEPH_RECOVERY_ATTRS = ("recovering_bps", "recovery_bps", "recovering_bytes_per_sec")

UPSERT = """
INSERT INTO rollups (kind, name, source, metric, minute, n, min, sum, max) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (kind, name, source, metric, minute) DO UPDATE SET
    n = n + excluded.n, sum = sum + excluded.sum,
    min = MIN(min, excluded.min), max = MAX(max, excluded.max)
"""

# (kind, source, minute) -> {(name, metric): [n, min, sum, max]}
Book = dict[tuple[str, str, int], dict[tuple[str, str], list[float]]]


class Rollups:
    """Folds samples into minutes; keeps container id -> name per engine."""

    def __init__(self) -> None:
        self.book: Book = {}
        self.names: dict[tuple[str, str], str] = {}  # (engine, container id) -> name
        self._feeders = {
            "StatsSnapshot": self._stats,
            "ContainersSnapshot": self._containers,
            "ContainerUpdate": self._container_update,
            "ContainerRemoved": self._container_removed,
            "DomainsSnapshot": self._domains,
            "Host": self._host,
            "CephStatus": self._ceph,  # and its subclasses (CephClusterStatus)
        }
        self._by_class: dict[type, Any] = {}

    def _feeder(self, cls: type) -> Any:
        """The feeder of a class or of the nearest base class that has one (cached per class)."""
        try:
            return self._by_class[cls]
        except KeyError:
            feeder = next((self._feeders[k.__name__] for k in cls.__mro__ if k.__name__ in self._feeders), None)
            self._by_class[cls] = feeder
            return feeder

    def wants(self, obj: Any) -> bool:
        return self._feeder(type(obj)) is not None

    def feed(self, obj: Any) -> None:
        feeder = self._feeder(type(obj))
        if feeder is not None:
            feeder(obj)

    # -- folding ----------------------------------------------------------------------
    def _page(self, kind: str, source: str, when: float) -> dict[tuple[str, str], list[float]]:
        key = (kind, source, int((when or time.time()) // 60))
        page = self.book.get(key)
        if page is None:
            page = self.book[key] = {}
        return page

    @staticmethod
    def _add(page: dict[tuple[str, str], list[float]], name: str, metric: str, value: float) -> None:
        acc = page.get((name, metric))
        if acc is None:
            page[(name, metric)] = [1, value, value, value]
            return
        acc[0] += 1
        if value < acc[1]:
            acc[1] = value
        acc[2] += value
        if value > acc[3]:
            acc[3] = value

    def _stats(self, snap: Any) -> None:
        page = self._page("container", snap.engine, snap.time)
        names, engine, add = self.names, snap.engine, self._add
        for st in snap.stats:
            name = names.get((engine, st.id)) or st.id[:12]
            if st.cpu_pct is not None:
                add(page, name, "cpu_pct", st.cpu_pct)
            if st.mem_bytes is not None:
                add(page, name, "mem_bytes", float(st.mem_bytes))

    def _containers(self, snap: Any) -> None:
        engine = snap.engine
        for key in [k for k in self.names if k[0] == engine]:
            del self.names[key]
        for c in snap.containers:
            self.names[(engine, c.id)] = c.name

    def _container_update(self, upd: Any) -> None:
        c = upd.container
        self.names[(c.engine, c.id)] = c.name

    def _container_removed(self, rem: Any) -> None:
        self.names.pop((rem.engine, rem.id), None)

    def _domains(self, snap: Any) -> None:
        page = self._page("vm", snap.hypervisor, snap.time)
        for d in snap.domains:
            if d.cpu_pct is not None:
                self._add(page, d.name, "cpu_pct", d.cpu_pct)
            if d.memory_kib is not None and d.state == "running":
                self._add(page, d.name, "mem_bytes", d.memory_kib * 1024.0)

    def _host(self, host: Any) -> None:
        m = host.metrics
        if m is None or not host.reachable:
            return
        page = self._page("host", host.address or "", time.time())
        if m.cpu_pct is not None:
            self._add(page, host.name, "cpu_pct", m.cpu_pct)
        if m.mem_used is not None:
            self._add(page, host.name, "mem_used", float(m.mem_used))
        if m.load1 is not None:
            self._add(page, host.name, "load1", m.load1)

    def _ceph(self, st: Any) -> None:
        page = self._page("ceph", "", st.time)
        for metric in CEPH_METRICS:
            self._add(page, st.cluster, metric, float(getattr(st, metric) or 0.0))
        recovery = getattr(st, "recovery", None)  # CephClusterStatus: pgmap's recovery figures
        if recovery is not None and getattr(recovery, "recovering_bytes_per_sec", None) is not None:
            self._add(page, st.cluster, "recovery_bps", float(recovery.recovering_bytes_per_sec or 0.0))
            self._add(page, st.cluster, "recovery_objps", float(getattr(recovery, "recovering_objects_per_sec", 0.0) or 0.0))
            return
        for attr in CEPH_RECOVERY_ATTRS:
            value = getattr(st, attr, None)
            if value is not None:
                self._add(page, st.cluster, "recovery_bps", float(value))
                break

    # -- handing over -------------------------------------------------------------------
    def closed(self, now: float | None = None, *, everything: bool = False) -> list[tuple[Any, ...]]:
        """Rows of the minutes that ended (all minutes with everything=True), removed from the book."""
        current = int((time.time() if now is None else now) // 60)
        rows: list[tuple[Any, ...]] = []
        for key in [k for k in self.book if everything or k[2] < current]:
            kind, source, minute = key
            for (name, metric), (n, lo, total, hi) in self.book.pop(key).items():
                rows.append((kind, name, source, metric, minute, int(n), lo, total, hi))
        return rows
