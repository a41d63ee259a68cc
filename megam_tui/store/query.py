"""Reading the store back: events by time range, layer and object; job records; rollups."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from megam_tui.models import Event


def events(
    conn: sqlite3.Connection,
    since: float,
    until: float | None = None,
    layer: str | None = None,
    obj: str | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events from `since` (unix time) on, oldest first; `obj` matches the object or the source.

    With `limit`, the newest `limit` events of the range (still oldest first)."""
    where, args = ["time >= ?"], [since]
    if until is not None:
        where.append("time <= ?")
        args.append(until)
    if layer:
        where.append("layer = ?")
        args.append(layer)
    if obj:
        where.append("(object = ? OR source = ?)")
        args += [obj, obj]
    cols = "id, time, layer, severity, source, message, object, kind"
    sql = f"SELECT {cols} FROM events WHERE {' AND '.join(where)}"
    if limit is not None:
        sql = f"SELECT * FROM ({sql} ORDER BY time DESC, id DESC LIMIT ?)"
        args.append(int(limit))
    return [Event(*row[1:]) for row in conn.execute(sql + " ORDER BY time, id", args)]


def jobs(conn: sqlite3.Connection, since: float) -> list[dict[str, Any]]:
    cols = ("time", "user", "layer", "action", "target", "outcome", "error", "duration_s", "job", "params")
    rows = conn.execute(f"SELECT {', '.join(cols)} FROM jobs WHERE time >= ? ORDER BY time, id", (since,))
    return [dict(zip(cols, row)) for row in rows]


@dataclass(frozen=True)
class Minute:
    """One metric of one object over one minute."""

    kind: str
    name: str
    source: str
    metric: str
    minute: int  # unix time // 60
    n: int
    min: float
    avg: float
    max: float

    @property
    def time(self) -> float:
        return self.minute * 60.0


def history(
    conn: sqlite3.Connection,
    kind: str,
    name: str | None,
    since: float,
    source: str | None = None,
    metric: str | None = None,
) -> list[Minute]:
    """Per-minute rollups of `kind` (container, vm, host, ceph) named `name` (all with None)."""
    where, args = ["kind = ?", "minute >= ?"], [kind, int(since // 60)]
    if name is not None:
        where.append("name = ?")
        args.append(name)
    if source is not None:
        where.append("source = ?")
        args.append(source)
    if metric is not None:
        where.append("metric = ?")
        args.append(metric)
    sql = (
        "SELECT kind, name, source, metric, minute, n, min, sum * 1.0 / n, max FROM rollups"
        f" WHERE {' AND '.join(where)} ORDER BY name, source, metric, minute"
    )
    return [Minute(*row) for row in conn.execute(sql, args)]


def names(conn: sqlite3.Connection, kind: str, since: float) -> list[str]:
    rows = conn.execute("SELECT DISTINCT name FROM rollups WHERE kind = ? AND minute >= ? ORDER BY name", (kind, int(since // 60)))
    return [r[0] for r in rows]
