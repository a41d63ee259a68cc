"""`megam-tui config …`: check a file, say which file is used."""

from __future__ import annotations

import argparse
import sys

from megam_tui.cli_common import EXIT_OK, EXIT_USAGE


def register(sub: argparse._SubParsersAction) -> None:
    cf = sub.add_parser("config", help="configuration tools")
    cfsub = cf.add_subparsers(dest="config_command", metavar="ACTION")
    chk = cfsub.add_parser("check", help="validate a config file; prints file:line: key: message")
    chk.add_argument("path", nargs="?", help="file to check (default: the one megam-tui would use)")
    chk.set_defaults(run=lambda args, config_path: cmd_config_check(args.path or config_path))
    pth = cfsub.add_parser("path", help="print which config file would be used")
    pth.set_defaults(run=lambda args, config_path: cmd_config_path(config_path))
    cf.set_defaults(run=lambda args, config_path: _usage(cf))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def cmd_config_check(path: str | None) -> int:
    from megam_tui.config import check_config, find_config_path

    try:
        resolved = find_config_path(path)
    except Exception as exc:  # noqa: BLE001 - e.g. explicit path missing
        print(f"megam-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    problems = check_config(path)
    for problem in problems:
        print(str(problem))
    if problems:
        print(f"{len(problems)} problem(s) in {resolved or 'configuration'}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{resolved or 'no config file (defaults)'}: OK")
    return EXIT_OK


def cmd_config_path(path: str | None) -> int:
    from megam_tui.config import find_config_path

    try:
        resolved = find_config_path(path)
    except Exception as exc:  # noqa: BLE001
        print(f"megam-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(resolved if resolved else "(none: defaults)")
    return EXIT_OK
