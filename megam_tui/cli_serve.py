"""`megam-tui serve`: the console in a web browser (textual-serve), behind a token.

The URL carrying the token is printed once on stdout (as Jupyter does); see SECURITY.md.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from megam_tui.cli_common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, load_settings_or_report

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(sub: argparse._SubParsersAction) -> None:
    sv = sub.add_parser(
        "serve",
        help="serve the TUI in a web browser (textual-serve); prints the URL with its access token",
    )
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8566)
    sv.add_argument("--unix-socket", metavar="PATH", help="listen on a Unix socket (mode 0600) instead of TCP")
    sv.add_argument(
        "--allow-remote",
        action="store_true",
        help="required to bind to an address other than loopback (needs --certfile/--keyfile too)",
    )
    sv.add_argument("--certfile", metavar="PEM", help="TLS certificate (required beyond loopback)")
    sv.add_argument("--keyfile", metavar="PEM", help="TLS private key (default: in --certfile)")
    sv.add_argument("--token-file", metavar="PATH", help="a fixed access token from a file of mode 0600 (default: $MEGAM_WEB_TOKEN, else a new random token per start)")
    sv.add_argument("--max-sessions", type=int, default=4, metavar="N", help="browser sessions at once (default 4)")
    sv.add_argument("--public-url", metavar="URL", help="the URL browsers use, when it is not the bound address (a proxy or SSH forward)")
    sv.add_argument("--config", dest="sub_config", metavar="PATH", help=argparse.SUPPRESS)
    sv.set_defaults(run=lambda args, config_path: cmd_serve(args, config_path))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fail(msg: str, code: int = EXIT_USAGE) -> int:
    print(f"megam-tui: {msg}", file=sys.stderr)
    return code


def cmd_serve(args: argparse.Namespace, config_path: str | None) -> int:
    remote = not args.unix_socket and not is_loopback(args.host)
    if remote and not args.allow_remote:
        return _fail(
            f"refusing to bind to {args.host}: anyone who can reach it can try to control your cloud. "
            "Pass --allow-remote (with --certfile/--keyfile) if you really mean it."
        )
    if remote and not args.certfile:
        return _fail(f"binding to {args.host} needs TLS (--certfile/--keyfile): the access token must not travel in clear")
    if args.keyfile and not args.certfile:
        return _fail("--keyfile needs --certfile")
    if args.max_sessions < 1:
        return _fail("--max-sessions must be at least 1")
    settings = load_settings_or_report(config_path, args.read_only)
    if settings is None:
        return EXIT_USAGE
    try:
        from megam_tui.web import server as web
    except ImportError:
        return _fail("web mode needs textual-serve: pip install 'megam-tui[web]'", EXIT_FAIL)
    from megam_tui.jobs import AuditLog
    from megam_tui.web.auth import Origins, TokenError, choose_token

    try:
        token, source = choose_token(args.token_file)
    except TokenError as exc:
        return _fail(str(exc))
    listen = web.Listen(args.host, args.port, args.unix_socket, args.certfile, args.keyfile)
    try:
        listen.ssl_context()
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        return _fail(f"TLS: {getattr(exc, 'strerror', None) or exc}")
    scheme = "https" if args.certfile else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    public_url = (args.public_url or f"{scheme}://{'127.0.0.1' if args.unix_socket else host}:{args.port}").rstrip("/")
    origins = Origins.for_server(public_url, None if args.unix_socket else args.port, not remote and not args.unix_socket, bool(args.certfile))
    argv = [sys.executable, "-m", "megam_tui"]
    if settings.config_path:
        argv += ["--config", str(settings.config_path)]
    if settings.read_only:
        argv.append("--read-only")
    guard = web.WebGuard(
        token=token,
        origins=origins,
        app_argv=argv,
        audit=AuditLog(Path(settings.home) / "audit.jsonl"),
        max_sessions=args.max_sessions,
        tls=bool(args.certfile),
    )

    def ready() -> None:
        where = f"unix socket {args.unix_socket} (mode 0600)" if args.unix_socket else f"{args.host}:{args.port}"
        print(f"megam-tui serving on {where}; token {source}. Open:", flush=True)
        print(f"    {public_url}/?token={token}", flush=True)
        print("Anyone with this URL controls the console; Ctrl+C stops it.", flush=True)

    try:
        web.serve(guard, listen, public_url, ready)
    except OSError as exc:
        return _fail(f"cannot listen on {args.unix_socket or f'{args.host}:{args.port}'}: {exc.strerror or exc}", EXIT_FAIL)
    return EXIT_OK
