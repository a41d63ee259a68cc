"""Deleting by age and by size.

Age: rows older than `max_age` go (events and job records by time, rollups by minute).
Size: when the data in the main file passes HIGH of its budget, the oldest fraction
of every table goes, down to LOW of it. Freed pages are reused by the next inserts,
so the file stops growing; when the file itself is over budget (the bound was
lowered), an incremental vacuum gives pages back to the file system.

The budget of the main file is the size bound minus what the write-ahead log may
hold (see `wal_allowance`): the two together stay within `max_bytes`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from megam_tui.store.db import tx, used_bytes

HIGH, LOW = 0.92, 0.75
STEP = 0.06  # at most this fraction of each table per transaction
MIN_BYTES = 1 << 20


def wal_allowance(max_bytes: int) -> int:
    """Bytes the write-ahead log may take: a quarter of the bound, at most 4 MiB."""
    return max(64 << 10, min(4 << 20, max_bytes // 4))


def main_budget(max_bytes: int) -> int:
    return max(MIN_BYTES, max_bytes) - wal_allowance(max(MIN_BYTES, max_bytes))


@dataclass
class Pruned:
    by_age: int = 0
    by_size: int = 0


def prune_age(conn: sqlite3.Connection, now: float, max_age: float) -> int:
    cutoff = now - max_age
    n = 0
    with tx(conn):
        n += conn.execute("DELETE FROM events WHERE time < ?", (cutoff,)).rowcount
        n += conn.execute("DELETE FROM jobs WHERE time < ?", (cutoff,)).rowcount
        n += conn.execute("DELETE FROM rollups WHERE minute < ?", (int(cutoff // 60),)).rowcount
    return n


def over_budget(conn: sqlite3.Connection, max_bytes: int) -> bool:
    return used_bytes(conn) > HIGH * main_budget(max_bytes)


def prune_size(conn: sqlite3.Connection, max_bytes: int) -> int:
    """Delete the oldest rows until the data is under LOW of the budget; rows deleted."""
    budget = main_budget(max_bytes)
    deleted = 0
    for _ in range(64):  # each round removes a fraction; the estimate is rough
        used = used_bytes(conn)
        if used <= LOW * budget:
            break
        # small steps, a checkpoint after each: one big delete would swell the write-ahead log
        fraction = min(STEP, 1.0 - (LOW * budget) / used + 0.02)
        with tx(conn):
            deleted += _drop_oldest(conn, "events", "id", fraction)
            deleted += _drop_oldest(conn, "jobs", "id", fraction)
            deleted += _drop_oldest(conn, "rollups", "minute", fraction)
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    if pages * page > budget:  # the file itself is too big: give free pages back
        conn.executescript("PRAGMA incremental_vacuum;")  # executescript steps it to the end (execute frees one page)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return deleted


def _drop_oldest(conn: sqlite3.Connection, table: str, column: str, fraction: float) -> int:
    lo, hi = conn.execute(f"SELECT MIN({column}), MAX({column}) FROM {table}").fetchone()
    if lo is None:
        return 0
    cut = lo + max(1, int((hi - lo + 1) * fraction))
    return conn.execute(f"DELETE FROM {table} WHERE {column} < ?", (cut,)).rowcount
