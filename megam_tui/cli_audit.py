"""`megam-tui audit [--since 8h] [--layer L] [--grep TEXT] [--json] [--file PATH]`: read the audit log.

Text output is one line per record, oldest first, every field from the file made terminal-safe;
`--json` prints the matching records as JSON Lines (what scripts and a SIEM take). A line that
is not a record (a torn write, a hand edit) is reported on stderr with its line number, never fatal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from megam_tui.cli_common import EXIT_OK, EXIT_USAGE, load_settings_or_report

LAYERS = {"docker": "docker", "containers": "docker", "libvirt": "libvirt", "vms": "libvirt", "ssh": "ssh",
          "hosts": "ssh", "ceph": "ceph", "web": "web"}


def register(sub: argparse._SubParsersAction) -> None:
    au = sub.add_parser("audit", help="read the audit log (who did what, to which object, and how it ended)")
    au.add_argument("--since", metavar="WHEN", help="8h, 30m, 2d … ago, or a local date/time: 2026-12-05 or 2026-12-05T08:00")
    au.add_argument("--layer", metavar="L", help="docker (containers), libvirt (vms), ssh (hosts), ceph or web")
    au.add_argument("--grep", metavar="TEXT", help="only records whose action, target or name contain TEXT")
    au.add_argument("--json", action="store_true", help="JSON Lines, one record per line")
    au.add_argument("--file", metavar="PATH", help="an audit file to read (default: $MEGAM_HOME/audit.jsonl)")
    au.set_defaults(run=cmd_audit)


def parse_since(text: str, now: float | None = None) -> float:
    """Unix seconds for '8h' (ago) or an ISO date/time: the same rule as `events --since`."""
    from megam_tui.store.timespec import parse_when

    return parse_when(text, now)


def cmd_audit(args: argparse.Namespace, config_path: str | None) -> int:
    from megam_tui.audit import BadLine, read_records, select

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(f"megam-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    layer = None
    if args.layer:
        layer = LAYERS.get(args.layer.lower())
        if layer is None:
            print(f"megam-tui: --layer {args.layer!r}: one of {', '.join(sorted(set(LAYERS)))}", file=sys.stderr)
            return EXIT_USAGE
    if args.file:
        path = Path(args.file)
    else:
        settings = load_settings_or_report(config_path, None)
        if settings is None:
            return EXIT_USAGE
        path = Path(settings.home) / "audit.jsonl"
    try:
        records = list(select(read_records(path), since=since, layer=layer, text=args.grep))
    except FileNotFoundError:
        print(f"megam-tui: no audit log at {path} (nothing was audited yet)", file=sys.stderr)
        return EXIT_OK
    except OSError as exc:
        print(f"megam-tui: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    shown = 0
    for rec in records:
        if isinstance(rec, BadLine):
            print(f"megam-tui: {path}:{rec.lineno}: not an audit record, skipped", file=sys.stderr)
            continue
        shown += 1
        print(json.dumps(rec, ensure_ascii=False) if args.json else render_line(rec))
    if not args.json and shown == 0:
        print("no matching audit records", file=sys.stderr)
    return EXIT_OK


def render_line(rec: dict[str, Any]) -> str:
    """time  user@session  layer  action  name (target)  outcome duration [confirmed] [: error]"""
    from megam_tui.sanitize import safe_str

    def f(key: str) -> str:
        value = rec.get(key)
        return "" if value is None else safe_str(str(value))

    target, name = f("target"), f("name")
    what = name if not target or name == target else f"{name} ({target})"
    parts = [f("time"), f"{f('user')}@{f('session') or '?'}", f("layer"), f("action"), what, f("outcome")]
    duration = rec.get("duration_s", rec.get("duration"))
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        parts.append(f"{duration:.1f}s")
    confirm = rec.get("confirm")
    if isinstance(confirm, dict) and confirm.get("answer"):
        parts.append(f"confirm: {safe_str(str(confirm['answer']))}")
    line = "  ".join(p for p in parts if p)
    if rec.get("error"):
        line += f": {f('error')}"
    return line
