"""Command line: `megam-tui` (the TUI), `status [--json]`, `config check`, `serve`.

Expected failures print one clear line and exit non-zero; no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="megam-tui",
        description="One terminal console for Docker containers, KVM/libvirt VMs, SSH hosts and Ceph health.",
    )
    p.add_argument("--config", metavar="PATH", help="config file (default: $MEGAM_CONFIG, $MEGAM_HOME/megam.yaml, ~/.config/megam/megam.yaml)")
    p.add_argument("--read-only", action="store_true", default=None, help="refuse every mutating action")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    st = sub.add_parser("status", help="ask every configured backend once and print a summary")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.add_argument("--timeout", type=float, default=None, help="per-backend deadline in seconds (default: from config, 5)")
    st.add_argument("--config", dest="sub_config", metavar="PATH", help=argparse.SUPPRESS)

    cf = sub.add_parser("config", help="configuration tools")
    cfsub = cf.add_subparsers(dest="config_command", metavar="ACTION")
    chk = cfsub.add_parser("check", help="validate a config file; prints file:line: key: message")
    chk.add_argument("path", nargs="?", help="file to check (default: the one megam-tui would use)")
    cfsub.add_parser("path", help="print which config file would be used")

    sv = sub.add_parser("serve", help="serve the TUI in a web browser (textual-serve)")
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8566)
    sv.add_argument(
        "--allow-remote",
        action="store_true",
        help="required to bind to an address other than loopback (anyone who can reach it controls your cloud)",
    )
    sv.add_argument("--config", dest="sub_config", metavar="PATH", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config_path = getattr(args, "sub_config", None) or args.config
    try:
        if args.command == "status":
            return cmd_status(config_path, args.json, args.timeout, args.read_only)
        if args.command == "config":
            if args.config_command == "check":
                return cmd_config_check(args.path or config_path)
            if args.config_command == "path":
                return cmd_config_path(config_path)
            _parser().parse_args(["config", "--help"])
            return EXIT_USAGE
        if args.command == "serve":
            return cmd_serve(config_path, args.host, args.port, args.allow_remote, args.read_only)
        return cmd_run(config_path, args.read_only)
    except KeyboardInterrupt:
        return 130


def _load(config_path: str | None, read_only: bool | None):  # -> Settings | None
    from megam_tui.config import ConfigError, load_settings

    try:
        settings, problems = load_settings(config_path, read_only=read_only)
    except ConfigError as exc:
        print(f"megam-tui: config error: {exc}", file=sys.stderr)
        return None
    for problem in problems:
        print(f"megam-tui: warning: {problem}", file=sys.stderr)
    return settings


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


def cmd_status(config_path: str | None, as_json: bool, timeout: float | None, read_only: bool | None) -> int:
    from megam_tui.layers import gather_summaries, stop_all, build_layers

    settings = _load(config_path, read_only)
    if settings is None:
        return EXIT_USAGE
    if timeout is None:
        timeout = max([5.0] + [h.timeout for h in settings.ssh_hosts])
    layers = build_layers(settings)
    try:
        summary = gather_summaries(settings, timeout, layers)
    finally:
        stop_all(layers, wait=0.5)
    ok = all(s.get("ok") for s in summary.values() if s.get("configured", True))
    if as_json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(render_status_text(summary))
    return EXIT_OK if ok else EXIT_FAIL


def render_status_text(summary: dict[str, Any]) -> str:
    lines = []
    for layer, s in summary.items():
        if not s.get("configured", True):
            lines.append(f"{layer:8} -       not configured")
            continue
        mark = "ok" if s.get("ok") else "FAIL"
        head = f"{layer:8} {mark:6}"
        if s.get("error"):
            head += f" {s['error']}"
        lines.append(head)
        if layer == "docker":
            for c in s.get("containers", []):
                lines.append(f"           {c.get('engine', '')}/{c.get('name', '')}: {c.get('state', '')}")
        elif layer == "ceph":
            for c in s.get("clusters", []):
                lines.append(f"           {c.get('name', '')}: {c.get('health', '?')}")
                for chk in c.get("checks", []):
                    lines.append(f"             {chk.get('severity', '')} {chk.get('code', '')}: {chk.get('summary', '')}")
        elif layer == "libvirt":
            for d in s.get("domains", []):
                lines.append(f"           {d.get('hypervisor', '')}/{d.get('name', '')}: {d.get('state', '')}")
        elif layer == "ssh":
            for h in s.get("hosts", []):
                state = "reachable" if h.get("reachable") else f"unreachable ({h.get('error_kind') or ''}): {h.get('error') or ''}"
                lines.append(f"           {h.get('name', '')}: {state}")
    return "\n".join(lines)


def cmd_run(config_path: str | None, read_only: bool | None) -> int:
    settings = _load(config_path, read_only)
    if settings is None:
        return EXIT_USAGE
    from megam_tui.layers import build_layers, start_early, ui_started

    # the layers connect while the UI is imported and mounted (see start_early)
    layers = start_early(settings, build_layers(settings))
    from megam_tui.app import MegamApp

    app = MegamApp(settings, layers=layers)
    try:
        app.run()
    finally:
        ui_started.set()  # nothing waits for a UI that is gone
        app.shutdown_backends()  # the app does it on unmount; not if it failed before
    return app.return_code or EXIT_OK


def cmd_serve(config_path: str | None, host: str, port: int, allow_remote: bool, read_only: bool | None) -> int:
    if host not in ("127.0.0.1", "localhost", "::1") and not allow_remote:
        print(
            f"megam-tui: refusing to bind to {host}: anyone who can reach it controls your cloud. "
            "Pass --allow-remote if you really mean it (and put it behind authentication).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"megam-tui: WARNING: serving on {host}:{port} without authentication", file=sys.stderr)
    settings = _load(config_path, read_only)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
