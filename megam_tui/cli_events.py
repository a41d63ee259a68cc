"""`megam-tui events --since 8h [--until T] [--layer L] [--object NAME] [--json]`: the stored timeline."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict

from megam_tui.cli_common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, load_settings_or_report

LAYERS = ("docker", "libvirt", "ceph", "ssh", "job", "app")


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("events", help="print the recorded event timeline (history store)")
    ev.add_argument("--since", default="8h", help="a span back from now (30m, 8h, 2d) or a time (2026-12-05T22:00); default 8h")
    ev.add_argument("--until", help="end of the range (same forms as --since; default now)")
    ev.add_argument("--layer", choices=LAYERS, help="only this layer's events")
    ev.add_argument("--object", dest="obj", metavar="NAME", help="only events about this object or from this source (e.g. osd.2, web)")
    ev.add_argument("--limit", type=int, default=None, help="at most the newest N events of the range")
    ev.add_argument("--json", action="store_true", help="one JSON object per line")
    ev.add_argument("--config", dest="sub_config", metavar="PATH", help=argparse.SUPPRESS)
    ev.set_defaults(run=lambda args, config_path: cmd_events(args, config_path))


def open_store(config_path: str | None):  # -> sqlite3.Connection | int (an exit code)
    settings = load_settings_or_report(config_path, None)
    if settings is None:
        return EXIT_USAGE
    import sqlite3

    from megam_tui.store import store_path
    from megam_tui.store.db import StoreMissing, open_reader

    try:
        return open_reader(store_path(settings.home))
    except StoreMissing as exc:
        print(f"megam-tui: {exc}", file=sys.stderr)
    except sqlite3.Error as exc:
        print(f"megam-tui: history store: {exc}", file=sys.stderr)
    return EXIT_FAIL


def times(args: argparse.Namespace) -> tuple[float, float | None] | None:
    from megam_tui.store.timespec import parse_when

    try:
        return parse_when(args.since), (parse_when(args.until) if args.until else None)
    except ValueError as exc:
        print(f"megam-tui: {exc}", file=sys.stderr)
        return None


def cmd_events(args: argparse.Namespace, config_path: str | None) -> int:
    span = times(args)
    if span is None:
        return EXIT_USAGE
    conn = open_store(config_path)
    if isinstance(conn, int):
        return conn
    import sqlite3

    from megam_tui.sanitize import safe_str
    from megam_tui.store import query

    try:
        found = query.events(conn, span[0], span[1], args.layer, args.obj, args.limit)
    except sqlite3.Error as exc:
        print(f"megam-tui: history store: {exc}", file=sys.stderr)
        return EXIT_FAIL
    out = sys.stdout
    for e in found:
        if args.json:
            out.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
        else:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.time))
            who = f"{e.source}/{e.object}" if e.object else e.source
            out.write(safe_str(f"{stamp} {e.layer:7} {e.severity:5} {who}: {e.message}") + "\n")
    return EXIT_OK
