"""Command line: `megam-tui` (the TUI), `status [--json]`, and the command modules of
COMMAND_MODULES (`config …`, `serve`, …), each with `register(subparsers)` setting `run`.

Expected failures print one clear line and exit non-zero; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

from megam_tui.cli_common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, load_settings_or_report

# one registry: a command is a module with register(sub) that sets `run=callable(args, config_path) -> int`
COMMAND_MODULES = ("megam_tui.cli_config", "megam_tui.cli_serve", "megam_tui.cli_audit", "megam_tui.cli_record", "megam_tui.cli_events", "megam_tui.cli_history")

__all__ = ["main", "EXIT_OK", "EXIT_FAIL", "EXIT_USAGE", "COMMAND_MODULES"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("megam-tui")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="megam-tui",
        description="One terminal console for Docker containers, KVM/libvirt VMs, SSH hosts and Ceph health.",
    )
    p.add_argument("--version", action="version", version=f"megam-tui {_version()}")
    p.add_argument("--config", metavar="PATH", help="config file (default: $MEGAM_CONFIG, $MEGAM_HOME/megam.yaml, ~/.config/megam/megam.yaml)")
    p.add_argument("--read-only", action="store_true", default=None, help="refuse every mutating action")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    st = sub.add_parser("status", help="ask every configured backend once and print a summary")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.add_argument("--timeout", type=float, default=None, help="per-backend deadline in seconds (default: from config, 5)")
    st.add_argument("--config", dest="sub_config", metavar="PATH", help=argparse.SUPPRESS)
    st.set_defaults(run=lambda args, config_path: cmd_status(config_path, args.json, args.timeout, args.read_only))

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config_path = getattr(args, "sub_config", None) or args.config
    try:
        run = getattr(args, "run", None)
        if run is not None:
            return run(args, config_path)
        return cmd_run(config_path, args.read_only)
    except KeyboardInterrupt:
        return 130


def cmd_status(config_path: str | None, as_json: bool, timeout: float | None, read_only: bool | None) -> int:
    from megam_tui.layers import gather_summaries, stop_all, build_layers

    settings = load_settings_or_report(config_path, read_only)
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
    settings = load_settings_or_report(config_path, read_only)
    if settings is None:
        return EXIT_USAGE
    from megam_tui.layers import build_layers, start_early, ui_started

    # the layers connect while the UI is imported and mounted (see start_early)
    layers = start_early(settings, build_layers(settings))
    from megam_tui.app import MegamApp

    app = MegamApp(settings, layers=layers, history=True)
    try:
        app.run()
    finally:
        ui_started.set()  # nothing waits for a UI that is gone
        app.shutdown_backends()  # the app does it on unmount; not if it failed before
    return app.return_code or EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
