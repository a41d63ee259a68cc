"""`megam-tui history KIND NAME --since 1h [--json]`: per-minute min / avg / max from the store."""

from __future__ import annotations

import argparse
import json
import sys
import time

from megam_tui.cli_common import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from megam_tui.cli_events import open_store, times
from megam_tui.store.rollup import KINDS


def register(sub: argparse._SubParsersAction) -> None:
    hi = sub.add_parser("history", help="per-minute min/avg/max of a container, VM, host or Ceph cluster (history store)")
    hi.add_argument("kind", choices=KINDS, metavar="KIND", help=f"one of {', '.join(KINDS)}")
    hi.add_argument("name", metavar="NAME", nargs="?", help="container / domain / host / cluster name (omitted: the names recorded)")
    hi.add_argument("--since", default="1h", help="a span back from now (30m, 8h, 2d) or a time; default 1h")
    hi.add_argument("--until", help=argparse.SUPPRESS)
    hi.add_argument("--source", help="engine / hypervisor / address, when a name is in several")
    hi.add_argument("--metric", help="one metric only (e.g. cpu_pct, mem_bytes, read_bps)")
    hi.add_argument("--json", action="store_true", help="one JSON object per line")
    hi.add_argument("--config", dest="sub_config", metavar="PATH", help=argparse.SUPPRESS)
    hi.set_defaults(run=lambda args, config_path: cmd_history(args, config_path))


def cmd_history(args: argparse.Namespace, config_path: str | None) -> int:
    span = times(args)
    if span is None:
        return EXIT_USAGE
    conn = open_store(config_path)
    if isinstance(conn, int):
        return conn
    from megam_tui.sanitize import safe_str
    from megam_tui.store import query

    if args.name is None:
        for name in query.names(conn, args.kind, span[0]):
            print(json.dumps({"kind": args.kind, "name": name}) if args.json else safe_str(name))
        return EXIT_OK
    rows = query.history(conn, args.kind, args.name, span[0], args.source, args.metric)
    if not rows:
        print(f"megam-tui: no {args.kind} {args.name!r} figures since {time.strftime('%Y-%m-%d %H:%M', time.localtime(span[0]))}", file=sys.stderr)
        return EXIT_FAIL
    for m in rows:
        if args.json:
            print(json.dumps({"time": m.time, "kind": m.kind, "name": m.name, "source": m.source, "metric": m.metric,
                              "n": m.n, "min": m.min, "avg": m.avg, "max": m.max}, ensure_ascii=False))
        else:
            stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(m.time))
            print(safe_str(f"{stamp} {m.source}/{m.name} {m.metric:10} min {m.min:.6g} avg {m.avg:.6g} max {m.max:.6g} (n={m.n})"))
    return EXIT_OK
