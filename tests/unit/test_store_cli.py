"""`megam-tui events` and `megam-tui history` read the store (no engine needed)."""

from __future__ import annotations

import json
import time

from megam_tui.backends.docker_models import ContainersSnapshot, StatsSnapshot
from megam_tui.cli import main
from megam_tui.config import megam_home
from megam_tui.models import BackendState, Container, ContainerStats, Event
from megam_tui.store import store_path
from megam_tui.store.writer import StoreWriter


def _fill():
    now = time.time()
    w = StoreWriter(store_path(megam_home())).start()
    w.record("ceph", Event(now - 7200, "ceph", "warn", "lab", "osd.2 down", object="osd.2", kind="OSD_DOWN"))
    w.record("docker", Event(now - 60, "docker", "info", "local", "web died\x1b[2J", object="web", kind="die"))
    w.record("docker", ContainersSnapshot("local", (Container("c1", "web", "local", "busybox", "running"),), BackendState("docker", "local", True)))
    w.record("docker", StatsSnapshot("local", (ContainerStats("c1", cpu_pct=12.5, mem_bytes=2048),), time=now - 120))
    w.stop()


def test_events_filters_and_json(capsys):
    _fill()
    assert main(["events", "--since", "8h", "--layer", "ceph", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["object"] == "osd.2"
    assert main(["events", "--since", "1h"]) == 0
    out = capsys.readouterr().out
    assert "osd.2" not in out and "local/web: web died" in out and "\x1b" not in out  # terminal-safe
    assert main(["events", "--since", "8h", "--object", "osd.2"]) == 0
    assert "osd.2 down" in capsys.readouterr().out


def test_history_of_a_container(capsys):
    _fill()
    assert main(["history", "container", "web", "--since", "1h", "--json"]) == 0
    rows = {json.loads(line)["metric"]: json.loads(line) for line in capsys.readouterr().out.splitlines()}
    assert rows["cpu_pct"]["avg"] == 12.5 and rows["mem_bytes"]["max"] == 2048
    assert main(["history", "container"]) == 0
    assert capsys.readouterr().out.split() == ["web"]
    assert main(["history", "container", "nosuch"]) == 1
    assert "no container 'nosuch' figures" in capsys.readouterr().err


def test_no_store_and_bad_since(capsys):
    assert main(["events"]) == 1
    assert "no history yet" in capsys.readouterr().err
    assert main(["events", "--since", "yesterday"]) == 2
    assert "expected a time span" in capsys.readouterr().err
