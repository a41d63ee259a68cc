"""The store file: opening it (WAL, mode 0600), its pragmas and its tables.

One file, `$MEGAM_HOME/history.sqlite3`, shared by any number of readers and by
writers in several processes (a console and a recorder): WAL lets readers go on
while one writer commits, and a busy timeout makes a second writer wait its turn
instead of failing. `synchronous=NORMAL` in WAL mode loses nothing committed when
a process dies (kill -9); only a power cut may lose the last transactions.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

SCHEMA_VERSION = 1
PAGE_SIZE = 4096

TABLES = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    layer TEXT NOT NULL,
    severity TEXT NOT NULL,
    source TEXT NOT NULL,
    object TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    user TEXT NOT NULL,
    layer TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    duration_s REAL,
    job INTEGER,
    params TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_time ON jobs (time);
CREATE TABLE IF NOT EXISTS rollups (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    metric TEXT NOT NULL,
    minute INTEGER NOT NULL,
    n INTEGER NOT NULL,
    min REAL NOT NULL,
    sum REAL NOT NULL,
    max REAL NOT NULL,
    PRIMARY KEY (kind, name, source, metric, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rollups_minute ON rollups (minute);
"""


class StoreMissing(Exception):
    """No store file yet (nothing was recorded)."""


def open_writer(path: Path, *, wal_bytes: int = 4 << 20, busy_ms: int = 2000) -> sqlite3.Connection:
    """Open (creating it and its directory if needed) the store for writing."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = sqlite3.connect(str(path), timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file: before any table
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute(f"PRAGMA wal_autocheckpoint = {max(16, wal_bytes // 2 // page)}")  # half: one more transaction fits
        conn.execute(f"PRAGMA journal_size_limit = {int(wal_bytes)}")
        conn.executescript(TABLES)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.close()
        raise
    return conn


def open_reader(path: Path, *, busy_ms: int = 2000) -> sqlite3.Connection:
    """Open an existing store for reading (raises StoreMissing when there is none)."""
    if not path.exists():
        raise StoreMissing(f"no history yet: {path} does not exist (run the console or `megam-tui record`)")
    uri = f"file:{quote(str(path))}?mode=rw"  # rw: a WAL reader may need to create the -shm file
    conn = sqlite3.connect(uri, uri=True, timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    if not conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='events'").fetchone():
        conn.close()
        raise StoreMissing(f"{path} holds no history tables yet")
    return conn


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of the main file holding data (free pages not counted)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    return (pages - free) * page


def file_bytes(path: Path) -> int:
    """The store's size on disk: the main file plus its write-ahead log."""
    total = 0
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            total += p.stat().st_size
        except OSError:
            pass
    return total


class tx:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on an exception) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
