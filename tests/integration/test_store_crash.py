"""The store under stress: kill -9 of the writer mid-burst loses nothing committed; a 1M-event burst keeps the bound."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from megam_tui.models import Event
from megam_tui.store import db
from megam_tui.store.writer import StoreWriter
from tests.conftest import REPO

BURST = r"""
import sys, time
from megam_tui.models import Event
from megam_tui.store.writer import StoreWriter
def committed(rows):
    print(max(int(r[6].rsplit('=', 1)[1]) for r in rows), flush=True)
w = StoreWriter(sys.argv[1], on_commit=committed).start()
now = time.time()
for i in range(10_000_000):
    w.put(("ev", Event(now + i * 1e-6, "docker", "info", "local", f"burst seq={i}", "web", "die")))
"""


def test_kill_9_mid_burst_loses_nothing_committed(tmp_path):
    path = tmp_path / "history.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", BURST, str(path)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        reported = []
        for line in proc.stdout:
            reported.append(int(line))
            if len(reported) >= 40:  # well into the burst: dozens of transactions committed
                break
        os.kill(proc.pid, signal.SIGKILL)
        for line in proc.stdout:  # commits told before the kill landed
            reported.append(int(line))
    finally:
        proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    conn = db.open_reader(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count, top = conn.execute("SELECT COUNT(*), MAX(id) FROM events").fetchone()
    last = max(reported)
    assert top >= last + 1  # every event reported committed is there (ids count from 1, seq from 0)
    assert count == top  # and none missing before it: nothing pruned, nothing half-written
    seqs = [int(m.rsplit("=", 1)[1]) for (m,) in conn.execute("SELECT message FROM events ORDER BY id")]
    assert seqs == list(range(len(seqs)))
    # and the store still takes writes after the crash
    w = StoreWriter(path).start()
    w.record_event(Event(time.time(), "app", "info", "megam", "after the crash"))
    w.stop()
    assert db.open_reader(path).execute("SELECT COUNT(*) FROM events").fetchone()[0] == count + 1


def test_size_bound_holds_under_a_million_event_burst(tmp_path):
    path = tmp_path / "history.sqlite3"
    bound = 8 << 20
    w = StoreWriter(path, max_bytes=bound).start()
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], db.file_bytes(path))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    now = time.time()
    for i in range(1_000_000):
        w.put(("ev", Event(now + i * 1e-3, "docker", "info", "local", f"container web{i % 50} died with exit code 137 seq={i}", f"web{i % 50}", "die")))
    w.stop(120)
    done.set()
    watcher.join()
    peak[0] = max(peak[0], db.file_bytes(path))
    assert w.committed_events == 1_000_000 and w.dropped == 0
    assert peak[0] <= bound, f"store reached {peak[0]} bytes, bound {bound}"
    conn = db.open_reader(path)
    count, top = conn.execute("SELECT COUNT(*), MAX(id) FROM events").fetchone()
    assert top == 1_000_000 and 10_000 < count < 1_000_000  # the newest kept, the oldest gone
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
