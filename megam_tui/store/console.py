"""What the console needs of the store: a writer for its session and the past to open with."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from megam_tui.models import Event
from megam_tui.store import db, query, store_path
from megam_tui.store.writer import StoreWriter

PAST_MAX = 2000  # events the Events pane opens with at most


def open_writer(settings: Any, on_problem: Callable[[str, str], None]) -> StoreWriter | None:
    """The console's writer (started), or None when the store is switched off."""
    if not getattr(settings, "store_enabled", True):
        return None
    return StoreWriter(
        store_path(settings.home),
        max_age=settings.store_max_age,
        max_bytes=settings.store_max_mb << 20,
        on_problem=on_problem,
        console=True,
    ).start()


def load_past(settings: Any, until: float, limit: int = PAST_MAX) -> list[Event]:
    """The events of the last `store:load` before `until` (a worker thread calls this); [] without a store."""
    if not getattr(settings, "store_enabled", True):
        return []
    try:
        conn = db.open_reader(store_path(settings.home))
    except (db.StoreMissing, sqlite3.Error, OSError):
        return []
    try:
        return query.events(conn, until - settings.store_load, until, limit=limit)
    except sqlite3.Error:
        return []
    finally:
        conn.close()


