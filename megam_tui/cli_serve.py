"""`megam-tui serve`: the console in a web browser (textual-serve)."""

from __future__ import annotations

import argparse
import shlex
import sys

from megam_tui.cli_common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, load_settings_or_report

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(sub: argparse._SubParsersAction) -> None:
    sv = sub.add_parser("serve", help="serve the TUI in a web browser (textual-serve)")
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8566)
    sv.add_argument(
        "--allow-remote",
        action="store_true",
        help="required to bind to an address other than loopback (anyone who can reach it controls your cloud)",
    )
    sv.add_argument("--config", dest="sub_config", metavar="PATH", help=argparse.SUPPRESS)
    sv.set_defaults(run=lambda args, config_path: cmd_serve(config_path, args.host, args.port, args.allow_remote, args.read_only))


def cmd_serve(config_path: str | None, host: str, port: int, allow_remote: bool, read_only: bool | None) -> int:
    if host not in LOOPBACK and not allow_remote:
        print(
            f"megam-tui: refusing to bind to {host}: anyone who can reach it controls your cloud. "
            "Pass --allow-remote if you really mean it (and put it behind authentication).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if host not in LOOPBACK:
        print(f"megam-tui: WARNING: serving on {host}:{port} without authentication", file=sys.stderr)
    settings = load_settings_or_report(config_path, read_only)
    if settings is None:
        return EXIT_USAGE
    try:
        from textual_serve.server import Server
    except ImportError:
        print("megam-tui: web mode needs textual-serve: pip install 'megam-tui[web]'", file=sys.stderr)
        return EXIT_FAIL
    argv = [sys.executable, "-m", "megam_tui"]
    if settings.config_path:
        argv += ["--config", str(settings.config_path)]
    if settings.read_only:
        argv.append("--read-only")
    Server(shlex.join(argv), host=host, port=port, title="megam-tui").serve()
    return EXIT_OK
