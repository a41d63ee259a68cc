"""CPU of the history store's writer thread at fleet scale, with an anchor in the same run.

    .venv/bin/python benchmarks/store.py [--containers 2000] [--engines 5] [--refresh 2] [--seconds 120] [--events 1]

Feeds the writer what the Docker layer emits at that scale (one StatsSnapshot per engine
per refresh, every container's CPU and memory) plus `--events` timeline events a second,
for `--seconds` of wall time (at least two minute closes: the minute's rows are written
then). The writer thread's own CPU (utime+stime of its task in /proc) is reported as % of
one core. Anchor, same run and same rows: the sqlite3 command-line shell inserting the
rollup rows and events the writer wrote (one transaction per minute / per batch), timed
as a child process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from megam_tui.backends.docker_models import ContainersSnapshot, StatsSnapshot  # noqa: E402
from megam_tui.models import BackendState, Container, ContainerStats, Event  # noqa: E402
from megam_tui.store import db  # noqa: E402
from megam_tui.store.writer import StoreWriter  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(tid: int) -> float:
    fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--containers", type=int, default=2000)
    ap.add_argument("--engines", type=int, default=5)
    ap.add_argument("--refresh", type=float, default=2.0)
    ap.add_argument("--seconds", type=float, default=150.0)
    ap.add_argument("--events", type=float, default=1.0, help="timeline events a second")
    args = ap.parse_args()
    if args.seconds < 120:
        print("--seconds below 120 would not see two minute closes", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="megam-store-bench-"))
    path = tmp / "history.sqlite3"
    w = StoreWriter(path).start()
    per = args.containers // args.engines
    engines = [f"engine{e}" for e in range(args.engines)]
    for eng in engines:
        cs = tuple(Container(f"{eng}-{i:064d}"[-64:], f"{eng}-c{i}", eng, "busybox", "running") for i in range(per))
        w.record("docker", ContainersSnapshot(eng, cs, BackendState("docker", eng, True)))
    ids = {eng: [f"{eng}-{i:064d}"[-64:] for i in range(per)] for eng in engines}
    time.sleep(0.2)
    tid = w.thread.native_id
    start_cpu, start = thread_cpu(tid), time.monotonic()
    n = 0
    next_ev = start
    while time.monotonic() - start < args.seconds:
        now = time.time()
        for eng in engines:
            stats = tuple(ContainerStats(cid, cpu_pct=(n + i) % 100 * 0.5, mem_bytes=1_000_000 + i, time=now) for i, cid in enumerate(ids[eng]))
            w.record("docker", StatsSnapshot(eng, stats, time=now))
        while next_ev <= time.monotonic():
            w.record_event(Event(now, "docker", "info", "engine0", f"container c{n} died", object=f"c{n}", kind="die"))
            next_ev += 1.0 / args.events if args.events > 0 else 1e9
        n += 1
        time.sleep(max(0.0, start + n * args.refresh - time.monotonic()))
    elapsed = time.monotonic() - start
    used = thread_cpu(tid) - start_cpu
    w.stop(30)
    conn = db.open_reader(path)
    rollups = conn.execute("SELECT COUNT(*) FROM rollups").fetchone()[0]
    events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    minutes = conn.execute("SELECT COUNT(DISTINCT minute) FROM rollups").fetchone()[0]
    conn.close()
    # the producers' share (building the snapshots) is on the main thread, not counted
    print(f"writer thread: {used:.2f} s CPU over {elapsed:.0f} s = {100 * used / elapsed:.3f} % of one core "
          f"({args.containers} containers on {args.engines} engines, refresh {args.refresh:g} s, "
          f"{events} events, {rollups} rollup rows over {minutes} minutes); dropped {w.dropped}")
    anchor = tmp / "anchor.sql"
    with anchor.open("w") as fh:
        fh.write("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;\n")
        fh.write("CREATE TABLE r (kind TEXT, name TEXT, source TEXT, metric TEXT, minute INT, n INT, min REAL, sum REAL, max REAL, PRIMARY KEY (kind, name, source, metric, minute)) WITHOUT ROWID;\n")
        fh.write("CREATE TABLE e (id INTEGER PRIMARY KEY, time REAL, layer TEXT, severity TEXT, source TEXT, object TEXT, kind TEXT, message TEXT);\n")
        per_minute = rollups // max(1, minutes)
        for m in range(minutes):
            fh.write("BEGIN;\n")
            for i in range(per_minute):
                fh.write(f"INSERT INTO r VALUES ('container','c{i}','engine{i % 5}','cpu_pct',{m},30,0.5,450.0,49.5);\n")
            fh.write("COMMIT;\n")
        for i in range(events):
            fh.write(f"INSERT INTO e (time, layer, severity, source, object, kind, message) VALUES ({i}, 'docker', 'info', 'engine0', 'c{i}', 'die', 'container c{i} died');\n")
    t0 = os.times()
    subprocess.run(["sqlite3", str(tmp / "anchor.sqlite3")], stdin=anchor.open(), check=True, stdout=subprocess.DEVNULL)
    t1 = os.times()
    cli = (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)
    print(f"anchor: sqlite3 CLI inserting the same {rollups} rollup rows (one transaction a minute) and {events} events "
          f"(one transaction each): {cli:.2f} s CPU = {100 * cli / elapsed:.3f} % of one core over the same {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
