"""`megam-tui record` on the real Docker engine: what happens while only the recorder runs is
in the Events pane when the console starts; a recorder and a console share one store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from megam_tui.app import MegamApp
from megam_tui.config import load_settings
from megam_tui.store import db, query, store_path
from tests.conftest import REPO
from tests.integration.docker_helpers import docker, engines, run_sleeper, unique


def _config(tmp_path):
    eng = engines()
    cfg = {"refresh": "1s", "docker": {"engines": [{"name": e.name, "url": e.url} for e in eng]},
           "ceph": {"clusters": []}, "libvirt": {"hypervisors": []}, "ssh": {"include_local": False, "hosts": []}}
    path = tmp_path / "megam.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _cli(env, *args, timeout=30):
    return subprocess.run([sys.executable, "-m", "megam_tui", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)


def _wait(cond, limit=30.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.2)
    return False


def _stored(home, name):
    try:
        conn = db.open_reader(store_path(home))
    except db.StoreMissing:
        return []
    try:
        return [e for e in query.events(conn, time.time() - 3600, obj=name) if e.layer == "docker"]
    finally:
        conn.close()


async def test_recorder_alone_then_console_opens_with_it(tmp_path, monkeypatch):
    cfg = _config(tmp_path)
    home = tmp_path / "home"
    env = dict(os.environ, MEGAM_HOME=str(home), PYTHONPATH=str(REPO))
    name = unique("rec")
    run_sleeper(name)
    rec = subprocess.Popen([sys.executable, "-m", "megam_tui", "--config", str(cfg), "record"], env=env, cwd=REPO,
                           stderr=subprocess.PIPE, text=True)
    try:
        assert "recording docker" in rec.stderr.readline()
        time.sleep(2.0)  # the event stream is up
        docker("stop", name)
        assert _wait(lambda: any(e.kind in ("die", "stop") for e in _stored(home, name))), "the stop was not recorded"
        out = _cli(env, "--config", str(cfg), "events", "--since", "10m", "--object", name, "--json")
        assert out.returncode == 0, out.stderr
        kinds = [json.loads(line)["kind"] for line in out.stdout.splitlines()]
        assert "die" in kinds or "stop" in kinds
        second = _cli(env, "--config", str(cfg), "record", timeout=20)  # one recorder per store
        assert second.returncode == 1 and "already recording" in second.stderr

        # a console starts while the recorder runs: it opens with the stop, and does not store
        # the layers' events a second time (the recorder does)
        monkeypatch.setenv("MEGAM_HOME", str(home))
        settings, _ = load_settings(str(cfg))
        app = MegamApp(settings, history=True)
        async with app.run_test(size=(160, 50)) as pilot:
            pane = app.panes["events"]
            assert await _pilot_wait(pilot, lambda: any(ev.object == name for _, ev in pane.events if _ in pane._past))
            other = unique("rec2")
            run_sleeper(other)
            await pilot.pause(2.0)
            docker("stop", other)
            assert await _pilot_wait(pilot, lambda: any(ev.object == other for _, ev in pane.events))  # live in the console
            assert _wait(lambda: any(e.kind == "die" for e in _stored(home, other)))
            await pilot.pause(1.0)
            app.shutdown_backends()
        dies = [e for e in _stored(home, other) if e.kind == "die"]
        assert len(dies) == 1, dies  # recorded once, not by both
        docker("rm", "-f", other, check=False)
    finally:
        rec.send_signal(signal.SIGTERM)
        rec.wait(15)
        docker("rm", "-f", name, check=False)
    assert rec.returncode == 0
    conn = db.open_reader(store_path(home))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert query.names(conn, "container", time.time() - 3600), "no per-minute container figures written at stop"


async def _pilot_wait(pilot, cond, limit=30.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return True
        await pilot.pause(0.2)
    return cond()
