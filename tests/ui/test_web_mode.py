"""Web mode as a user and as an attacker meet it: `megam-tui serve` prints one URL with a token;
Chromium opening it gets the dashboard; no token, a wrong token, another page's origin or one
session too many get no app output and start no app process; the audit log has the sessions."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import psutil
import pytest

from tests.conftest import engine_missing

URL_RE = re.compile(r"^\s+(https?://\S+/\?token=(\S+))$", re.M)
CONFIG = "docker: {engines: []}\nceph: {clusters: []}\nlibvirt: {hypervisors: []}\nssh: {include_local: true, hosts: []}\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A `megam-tui serve` process of the test's own, and the URL it printed."""

    def __init__(self, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        cfg = tmp_path / "megam.yaml"
        cfg.write_text(CONFIG)
        self.home = tmp_path / "home"
        self.port = _free_port()
        self.out = tmp_path / "serve.out"
        full_env = dict(os.environ, MEGAM_HOME=str(self.home), **(env or {}))
        full_env.pop("MEGAM_WEB_TOKEN", None) if "MEGAM_WEB_TOKEN" not in (env or {}) else None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "megam_tui", "serve", "--port", str(self.port), "--config", str(cfg), *extra],
            stdout=self.out.open("w"), stderr=subprocess.STDOUT, env=full_env, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = URL_RE.search(self.out.read_text())
            if m:
                self.url, self.token = m.group(1), m.group(2)
                break
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited: {self.out.read_text()}")
            time.sleep(0.1)
        else:
            pytest.fail(f"serve printed no URL: {self.out.read_text()}")
        self.base = self.url.split("/?", 1)[0]

    def app_processes(self) -> list[psutil.Process]:
        """Console processes started by the server (one per accepted session)."""
        found = []
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                cmd = child.cmdline()
                if child.name().startswith("python") and "megam_tui" in cmd and "serve" not in cmd:
                    found.append(child)
            except psutil.NoSuchProcess:
                pass
        return found

    def audit(self) -> list[dict]:
        path = self.home / "audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def stop(self) -> None:
        os.killpg(self.proc.pid, 15)
        self.proc.wait(15)


@pytest.fixture
def served(tmp_path):
    s = Served(tmp_path)
    yield s
    s.stop()


def _chromium():
    chromium = shutil.which("chromium")
    if chromium is None:
        engine_missing("Debian chromium not installed (scripts/setup-system)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        engine_missing("playwright not installed")
    return chromium, sync_playwright


ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_chromium_opening_the_printed_url_gets_the_dashboard_and_a_strict_cookie(served, tmp_path):
    chromium, sync_playwright = _chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        frames: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda d: frames.append(d if isinstance(d, bytes) else d.encode())))
        page.goto(served.url, timeout=20000)
        assert "token" not in page.url  # exchanged for the cookie, gone from the address bar and history
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["megam_token"]["httpOnly"] is True and cookies["megam_token"]["sameSite"] == "Strict"
        page.wait_for_timeout(1000)
        page.mouse.click(700, 450)  # the splash starts the app on a click
        text = b""
        for _ in range(40):  # xterm.js draws on a canvas: read what the app sent to the browser
            page.wait_for_timeout(500)
            text = b"".join(frames)
            if all(w in text for w in (b"Containers", b"Hosts", b"Events", b"Jobs")):
                break
        assert len(served.app_processes()) == 1
        # the console knows which web session it serves: its jobs' audit lines carry it (megam_tui.audit.session_label)
        assert served.app_processes()[0].environ()["MEGAM_SESSION"].startswith("web 127.0.0.1:")
        shot = page.screenshot(path=os.environ.get("MEGAM_WEB_SCREENSHOT", str(tmp_path / "web.png")))
        browser.close()
    for word in (b"Containers", b"VMs", b"Hosts", b"Ceph", b"Jobs", b"Events"):
        assert word in text, (word, text[-2000:])
    assert len(shot) > 20_000  # a rendered dashboard, not a blank page
    deadline = time.monotonic() + 15
    while served.app_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert served.app_processes() == []  # the browser gone, its console stops
    lines = served.audit()
    assert [(r["action"], r["outcome"]) for r in lines if r["layer"] == "web"] == [("connect", "ok"), ("disconnect", "ok")]
    assert all(r["session"].startswith("web 127.0.0.1:") and r["user"] for r in lines)
    assert served.token not in (served.home / "audit.jsonl").read_text()
    assert (served.home / "audit.jsonl").stat().st_mode & 0o777 == 0o600


def test_a_page_of_another_origin_gets_nothing_and_starts_nothing(served, tmp_path):
    """A web page the operator opens while the console is served (cross-site WebSocket
    hijacking): even in the same browser, after the operator logged in, it gets no frame."""
    chromium, sync_playwright = _chromium()
    evil_port = _free_port()
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "index.html").write_text(
        "<script>const got=[];window.got=got;const ws=new WebSocket('ws://127.0.0.1:%d/ws');"
        "ws.binaryType='arraybuffer';ws.onmessage=e=>got.push(1);ws.onopen=()=>{got.push('open');"
        "ws.send(JSON.stringify(['stdin','q']))};ws.onclose=e=>window.closed=e.code;</script>" % served.port
    )
    evil = subprocess.Popen([sys.executable, "-m", "http.server", str(evil_port), "--bind", "127.0.0.1"],
                            cwd=tmp_path / "evil", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            page.goto(served.url, timeout=20000)  # the operator's own tab, logged in
            assert context.cookies()[0]["name"] == "megam_token"
            page.close()  # its own console (if it started one) ends with it
            deadline = time.monotonic() + 15
            while served.app_processes() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert served.app_processes() == []
            before = len(served.audit())
            other = context.new_page()
            for _ in range(50):
                try:
                    other.goto(f"http://127.0.0.1:{evil_port}/", timeout=5000)  # same site: the cookie IS sent
                    break
                except Exception:  # noqa: BLE001 - the little server is still starting
                    time.sleep(0.1)
            other.wait_for_function("window.closed !== undefined", timeout=10000)
            assert other.evaluate("window.got") == []
            browser.close()
    finally:
        evil.terminate()
        evil.wait(10)
    assert served.app_processes() == []
    after = served.audit()[before:]
    assert [(r["action"], r["outcome"]) for r in after] == [("connect", "refused")]
    assert after[0]["session"].startswith("web 127.0.0.1:")
    assert after[0]["error"] == f"origin http://127.0.0.1:{evil_port} is not this console's"


async def _ws(base: str, *, cookie: str | None, origin: str | None) -> tuple[int, bytes]:
    headers = {"Origin": origin} if origin else {}
    cookies = {"megam_token": cookie} if cookie is not None else {}
    async with aiohttp.ClientSession(cookies=cookies) as session:
        try:
            async with session.ws_connect(base.replace("http", "ws") + "/ws?width=80&height=24", headers=headers) as ws:
                data = b""
                try:
                    while len(data) < 200:
                        msg = await ws.receive(timeout=10)
                        if msg.type == aiohttp.WSMsgType.BINARY:
                            data += msg.data
                        elif msg.type != aiohttp.WSMsgType.TEXT:
                            break
                except asyncio.TimeoutError:
                    pass
                return 101, data
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status, b""


def test_no_token_a_wrong_token_or_a_foreign_origin_get_no_app_output_and_spawn_nothing(served):
    async def attempts():
        async with aiohttp.ClientSession() as s:
            async with s.get(served.base + "/") as r:
                page = await r.text()
                assert r.status == 401 and "token" in page and "textual" not in page.lower()
            async with s.get(served.base + "/?token=" + "x" * len(served.token), allow_redirects=False) as r:
                assert r.status == 401 and "set-cookie" not in {k.lower() for k in r.headers}
            async with s.get(served.base + "/static/js/textual.js") as r:
                assert r.status == 401
        return [
            await _ws(served.base, cookie=None, origin=served.base),
            await _ws(served.base, cookie="wrong" + served.token[5:], origin=served.base),
            await _ws(served.base, cookie=served.token, origin="http://evil.example"),
            await _ws(served.base, cookie=served.token, origin=None),
        ]

    results = asyncio.run(attempts())
    assert [status for status, _ in results] == [401, 401, 403, 403]
    assert all(data == b"" for _, data in results)
    assert served.app_processes() == []
    refused = [r for r in served.audit() if r["outcome"] == "refused"]
    assert [r["error"].split()[0] for r in refused] == ["no", "wrong", "origin", "origin"]
    assert served.token not in (served.home / "audit.jsonl").read_text()


def test_the_right_token_and_origin_start_one_console_and_the_session_cap_holds(tmp_path):
    served = Served(tmp_path, "--max-sessions", "1")
    try:
        async def two():
            first = asyncio.create_task(_ws(served.base, cookie=served.token, origin=served.base))
            for _ in range(100):
                if served.app_processes():
                    break
                await asyncio.sleep(0.1)
            second = await _ws(served.base, cookie=served.token, origin=served.base)
            return await first, second

        (status1, data1), (status2, data2) = asyncio.run(two())
        assert status1 == 101 and len(data1) >= 200  # the console's output arrives
        assert status2 == 503 and data2 == b""
        errors = [r.get("error", "") for r in served.audit() if r["outcome"] == "refused"]
        assert errors and "max_sessions 1" in errors[0]
    finally:
        served.stop()


def test_unix_socket_is_0600_and_still_needs_the_token(tmp_path):
    sock = tmp_path / "megam.sock"
    served = Served(tmp_path, "--unix-socket", str(sock))
    try:
        assert sock.stat().st_mode & 0o777 == 0o600

        async def get(path):
            async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(sock))) as s:
                async with s.get("http://console" + path, allow_redirects=False) as r:
                    return r.status, r.headers.get("Set-Cookie", "")

        assert asyncio.run(get("/"))[0] == 401
        status, cookie = asyncio.run(get("/?token=" + served.token))
        assert status == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    finally:
        served.stop()
    assert not sock.exists()


def test_tls_beyond_loopback_serves_https_with_a_secure_cookie(tmp_path):
    cert = tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
         "-keyout", str(cert), "-out", str(cert)], check=True, capture_output=True, timeout=60,
    )
    served = Served(tmp_path, "--certfile", str(cert))
    try:
        assert served.url.startswith("https://")
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False

        async def get():
            async with aiohttp.ClientSession() as s:
                async with s.get(served.url, ssl=ctx, allow_redirects=False) as r:
                    return r.status, r.headers.get("Set-Cookie", "")

        status, cookie = asyncio.run(get())
        assert status == 303 and "Secure" in cookie
    finally:
        served.stop()


def test_a_fixed_token_file_must_be_private(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("t" * 40 + "\n")
    token_file.chmod(0o644)
    cfg = tmp_path / "megam.yaml"
    cfg.write_text(CONFIG)
    res = subprocess.run([sys.executable, "-m", "megam_tui", "serve", "--config", str(cfg), "--token-file", str(token_file)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "chmod 600" in res.stderr and "Traceback" not in res.stderr
    token_file.chmod(0o600)
    served = Served(tmp_path, "--token-file", str(token_file))
    try:
        assert served.token == "t" * 40
    finally:
        served.stop()
