"""`megam-tui record`: run the layers headless and keep what they say in the history store."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from megam_tui.cli_common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, load_settings_or_report


def register(sub: argparse._SubParsersAction) -> None:
    rc = sub.add_parser("record", help="run the layers headless and record events and per-minute figures to the history store")
    rc.add_argument("--config", dest="sub_config", metavar="PATH", help=argparse.SUPPRESS)
    rc.set_defaults(run=lambda args, config_path: cmd_record(args, config_path))


def cmd_record(args: argparse.Namespace, config_path: str | None) -> int:
    settings = load_settings_or_report(config_path, True)  # a recorder never acts
    if settings is None:
        return EXIT_USAGE
    from megam_tui.layers import build_layers, configured, stop_all
    from megam_tui.store import store_path
    from megam_tui.store.lock import RecorderLock
    from megam_tui.store.recorder import Recorder
    from megam_tui.store.writer import StoreWriter

    path = store_path(settings.home)
    lock = RecorderLock(Path(path))
    try:
        if not lock.acquire():
            print(f"megam-tui: another recorder is already recording to {path}", file=sys.stderr)
            return EXIT_FAIL
    except OSError as exc:
        print(f"megam-tui: cannot lock {lock.path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL

    def said(message: str, severity: str) -> None:
        print(f"megam-tui record: {severity}: {message}", file=sys.stderr, flush=True)

    writer = StoreWriter(path, max_age=settings.store_max_age, max_bytes=settings.store_max_mb << 20, on_problem=said).start()
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stopping.set())
    layers = build_layers(settings)
    started = Recorder(layers, writer).start(lambda name: configured(settings, name))
    print(f"megam-tui record: recording {', '.join(started) or 'nothing (no layer configured)'} to {path}", file=sys.stderr, flush=True)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        stop_all(layers, wait=2.0)
        writer.stop(5.0)
        lock.release()
    return EXIT_OK
