"""Web mode: `megam-tui serve` renders the dashboard in headless Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import engine_missing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_renders_dashboard_in_chromium(tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        engine_missing("Debian chromium not installed (scripts/setup-system)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        engine_missing("playwright not installed")
    cfg = tmp_path / "megam.yaml"
    cfg.write_text("docker: {engines: []}\nceph: {clusters: []}\nlibvirt: {hypervisors: []}\nssh: {include_local: true, hosts: []}\n")
    port = _free_port()
    env = dict(os.environ, MEGAM_HOME=str(tmp_path / "home"))
    server = subprocess.Popen(
        [sys.executable, "-m", "megam_tui", "serve", "--port", str(port), "--config", str(cfg)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("serve did not listen")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            frames: list[bytes] = []

            def on_ws(ws):
                ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode()))

            page.on("websocket", on_ws)
            page.goto(f"http://127.0.0.1:{port}/", timeout=20000)
            page.wait_for_timeout(1000)
            page.mouse.click(700, 450)  # the splash starts the app on a click
            # xterm.js draws on a canvas: read what the app sent to the browser's terminal
            text = b""
            for _ in range(30):
                page.wait_for_timeout(500)
                text = b"".join(frames)
                if all(w in text for w in (b"Containers", b"Hosts", b"Events", b"Jobs")):
                    break
            shot = page.screenshot(path=os.environ.get("MEGAM_WEB_SCREENSHOT", str(tmp_path / "web.png")))
            browser.close()
        for word in (b"Containers", b"VMs", b"Hosts", b"Ceph", b"Jobs", b"Events"):
            assert word in text, (word, text[-2000:])
        assert len(shot) > 20_000  # a rendered dashboard, not a blank page
    finally:
        os.killpg(server.pid, 15)
        server.wait(10)
