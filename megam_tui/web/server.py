"""The web server: textual-serve's page and app processes behind megam-tui's guard.

Every HTTP request needs the token (a `?token=` on the first load is exchanged for an
HttpOnly, SameSite=Strict cookie and a redirect that drops it from the address bar); the
WebSocket upgrade, which is what starts an app process, also needs an Origin of ours and a
free session slot. Connects, disconnects and refused upgrades go to the audit log (remote
address, never the token).
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import shlex
import signal
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import aiohttp_jinja2
import jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from megam_tui.jobs import AuditLog
from megam_tui.web.auth import COOKIE, Origins, token_matches

log = logging.getLogger("megam-tui.web")

REFUSALS_AUDITED = 100  # refused upgrades written to the audit log per start, then one line says so
DENIED = "megam-tui: this console needs the token: open the URL printed when `megam-tui serve` started.\n"
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


@dataclass
class WebGuard:
    """What the server checks, and the one place it counts sessions and writes audit lines."""

    token: str
    origins: Origins
    app_argv: list[str]  # the console to start per session
    audit: AuditLog
    max_sessions: int = 4
    tls: bool = False
    sessions: int = 0
    refusals: int = 0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def authorised(self, request: web.Request) -> bool:
        return token_matches(self.token, request.cookies.get(COOKIE))

    def command_for(self, session: str) -> str:
        """The shell command textual-serve runs: the console, told which session it serves."""
        return shlex.join(["env", f"MEGAM_SESSION={session}", *self.app_argv])

    def record(self, action: str, session: str, outcome: str, error: str | None = None, duration: float | None = None) -> None:
        rec: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "user": _user(),
            "session": session,
            "layer": "web",
            "action": action,
            "target": "web console",
            "outcome": outcome,
        }
        if error:
            rec["error"] = error
        if duration is not None:
            rec["duration"] = round(duration, 3)
        self.audit.write(rec)

    def refused(self, session: str, why: str) -> None:
        self.refusals += 1
        if self.refusals <= REFUSALS_AUDITED:
            self.record("connect", session, "refused", why)
        elif self.refusals == REFUSALS_AUDITED + 1:
            self.record("connect", session, "refused", f"{why}; further refusals of this start are not logged")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry
        return str(os.getuid())


def session_name(request: web.Request) -> str:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if isinstance(peer, tuple) and len(peer) >= 2:
        host, port = peer[0], peer[1]
        return f"web [{host}]:{port}" if ":" in str(host) else f"web {host}:{port}"
    return "web unix-socket"


def make_app(guard: WebGuard, page: Server) -> web.Application:
    """The aiohttp application: textual-serve's page, static files and downloads, our guard
    in front of all of them, and our WebSocket handler."""

    @web.middleware
    async def check(request: web.Request, handler: Any) -> web.StreamResponse:
        offered = request.query.get("token")
        if offered is not None:
            if request.path == "/" and token_matches(guard.token, offered):
                resp = web.HTTPSeeOther("/")
                resp.set_cookie(COOKIE, guard.token, httponly=True, samesite="Strict", secure=guard.tls, path="/")
                resp.headers.update(HEADERS)
                return resp
            return _deny(request, guard, "wrong token")
        if not guard.authorised(request):
            return _deny(request, guard, "no token" if COOKIE not in request.cookies else "wrong token")
        resp = await handler(request)
        resp.headers.update(HEADERS)
        return resp

    async def websocket(request: web.Request) -> web.StreamResponse:
        session = session_name(request)
        if not guard.origins.accepts(request.headers.get("Origin")):
            guard.refused(session, f"origin {request.headers.get('Origin') or '(none)'} is not this console's")
            return web.Response(status=403, text="megam-tui: this page's origin may not open the console\n")
        if guard.sessions >= guard.max_sessions:
            guard.refused(session, f"{guard.sessions} sessions open (max_sessions {guard.max_sessions})")
            return web.Response(status=503, text=f"megam-tui: {guard.sessions} sessions are open, the most this server allows\n")
        guard.sessions += 1
        started = guard.clock()
        guard.record("connect", session, "ok")
        try:
            return await _run_session(request, guard, page, session)
        finally:
            guard.sessions -= 1
            guard.record("disconnect", session, "ok", duration=guard.clock() - started)

    app = web.Application(middlewares=[check])
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(page.templates_path))
    app.add_routes(
        [
            web.get("/", page.handle_index, name="index"),
            web.get("/ws", websocket, name="websocket"),
            web.get("/download/{key}", page.handle_download, name="download"),
            web.static("/static", page.statics_path, show_index=False, name="static"),
        ]
    )
    return app


def _deny(request: web.Request, guard: WebGuard, why: str) -> web.Response:
    if request.path == "/ws":
        guard.refused(session_name(request), why)
    return web.Response(status=401, text=DENIED, headers=HEADERS)


async def _run_session(request: web.Request, guard: WebGuard, page: Server, session: str) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=15, max_msg_size=1 << 20)
    await ws.prepare(request)
    width = _int(request.query.get("width"), 80)
    height = _int(request.query.get("height"), 24)
    service = AppService(
        guard.command_for(session),
        write_bytes=ws.send_bytes,
        write_str=ws.send_str,
        close=ws.close,
        download_manager=page.download_manager,
    )
    try:
        await service.start(width, height)
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await _dispatch(ws, service, msg.data)
    except asyncio.CancelledError:
        await ws.close()
    except Exception as exc:  # noqa: BLE001 - one session's failure, logged
        log.warning("web session %s ended: %s", session, exc)
    finally:
        await service.stop()
    return ws


async def _dispatch(ws: web.WebSocketResponse, service: AppService, data: str) -> None:
    """One browser message (textual-serve's protocol); anything malformed is dropped."""
    import json

    try:
        envelope = json.loads(data)
        kind, body = envelope[0], envelope[1]
    except (ValueError, TypeError, IndexError, KeyError):
        return
    if kind == "stdin" and isinstance(body, str):
        await service.send_bytes(body.encode("utf-8", "replace"))
    elif kind == "resize" and isinstance(body, dict):
        await service.set_terminal_size(_int(body.get("width"), 80), _int(body.get("height"), 24))
    elif kind == "ping":
        await ws.send_json(["pong", body])
    elif kind == "blur":
        await service.blur()
    elif kind == "focus":
        await service.focus()


def _int(value: Any, default: int) -> int:
    try:
        return max(1, min(1000, int(value)))
    except (TypeError, ValueError):
        return default


@dataclass
class Listen:
    """Where to listen: TCP (optionally TLS) or a Unix socket (mode 0600)."""

    host: str = "127.0.0.1"
    port: int = 8566
    unix_socket: str | None = None
    certfile: str | None = None
    keyfile: str | None = None

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.certfile:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.certfile, self.keyfile)
        return ctx


async def _serve(app: web.Application, listen: Listen, ready: Callable[[], None]) -> None:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    if listen.unix_socket:
        path = Path(listen.unix_socket)
        if path.is_socket():
            path.unlink()  # a stale socket of an earlier start
        old = os.umask(0o177)
        try:
            site: web.BaseSite = web.UnixSite(runner, str(path))
            await site.start()
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
    else:
        site = web.TCPSite(runner, listen.host, listen.port, ssl_context=listen.ssl_context())
        await site.start()
    ready()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if listen.unix_socket:
            Path(listen.unix_socket).unlink(missing_ok=True)


def serve(guard: WebGuard, listen: Listen, public_url: str, ready: Callable[[], None]) -> None:
    """Run until SIGINT/SIGTERM. `ready()` is called once listening (it prints the URL)."""
    logging.basicConfig(level=logging.WARNING, format="megam-tui serve: %(message)s")
    page = Server("megam-tui", host=listen.host, port=listen.port, title="megam-tui", public_url=public_url)
    asyncio.run(_serve(make_app(guard, page), listen, ready))
