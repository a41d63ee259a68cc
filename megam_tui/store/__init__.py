"""History that survives the console: an embedded SQLite store under $MEGAM_HOME.

Headless (no Textual): the console, `megam-tui record` and the `events` / `history`
commands all use it.

    db.py         the file, its pragmas (WAL) and tables
    timespec.py   "8h", "2d", "1h30m" or an ISO time -> seconds / unix time
    rollup.py     per-minute min / avg / max of container, VM, host and Ceph figures
    retention.py  deleting by age and by size
    writer.py     one writer thread behind a bounded queue (StoreWriter)
    query.py      reading events, job records and rollups back
    recorder.py   the headless recorder behind `megam-tui record`
"""

from __future__ import annotations

from pathlib import Path

STORE_NAME = "history.sqlite3"


def store_path(home: Path | str) -> Path:
    """The store file under the app's home directory ($MEGAM_HOME)."""
    return Path(home) / STORE_NAME
