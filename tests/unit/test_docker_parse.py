"""Pure parsing of Docker API dicts (recorded from the testbed engine)."""

import json
from pathlib import Path

import pytest

from megam_tui.backends.docker_parse import (
    container_from_api,
    event_to_timeline,
    exit_code_from_status,
    health_from_status,
    human_duration_seconds,
    ports_text,
    started_from_status,
)

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "docker"


def test_recorded_list_parses():
    raw = json.loads((FIX / "containers_json.json").read_text())
    cs = {c.name: c for c in (container_from_api(r, "local", now=1795636200.0) for r in raw)}
    assert cs["done"].state == "exited" and cs["done"].exit_code == 3 and cs["done"].state_text == "exited (3)"
    assert cs["web"].health == "healthy" and cs["web"].project == "demo"
    assert cs["chatty"].health is None and cs["chatty"].exit_code is None
    # "Up About a minute" -> started about 60 s before `now`
    assert cs["chatty"].started_at == pytest.approx(1795636200.0 - 60)
    assert cs["done"].started_at is None


@pytest.mark.parametrize(
    "status,code",
    [("Exited (3) 2 minutes ago", 3), ("Exited (0) Less than a second ago", 0), ("Exited (-1) 1 hour ago", -1), ("Up 3 hours", None), ("Created", None)],
)
def test_exit_code(status, code):
    assert exit_code_from_status(status) == code


@pytest.mark.parametrize(
    "status,health",
    [("Up 2 minutes (healthy)", "healthy"), ("Up 1 second (health: starting)", "starting"), ("Up 5 hours (unhealthy)", "unhealthy"), ("Up 2 minutes (Paused)", None), ("Exited (1) 3 days ago", None)],
)
def test_health(status, health):
    assert health_from_status(status) == health


@pytest.mark.parametrize(
    "text,secs",
    [("Less than a second", 0), ("1 second", 1), ("45 seconds", 45), ("About a minute", 60), ("3 minutes", 180), ("About an hour", 3600), ("2 hours", 7200), ("3 days", 259200), ("2 weeks", 1209600), ("nonsense", None)],
)
def test_human_duration(text, secs):
    assert human_duration_seconds(text) == secs


def test_started_from_paused_status():
    assert started_from_status("Up 2 minutes (Paused)", 1000.0) == 880.0
    assert started_from_status("Exited (0) 2 minutes ago", 1000.0) is None


def test_ports_text_dedups_ipv4_ipv6_and_keeps_unpublished():
    ports = [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 53, "Type": "udp"},
    ]
    assert ports_text(ports) == "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 53/udp"
    assert ports_text(None) == ""


def test_name_prefers_primary_over_link_alias():
    raw = {"Id": "abc", "Names": ["/app/db", "/db"], "State": "running", "Status": "Up 1 second"}
    assert container_from_api(raw, "e").name == "db"


def _ev(action, **attrs):
    return {"Type": "container", "Action": action, "timeNano": 1795636200123456789, "Actor": {"ID": "f" * 64, "Attributes": {"name": "web", **attrs}}}


def test_timeline_events():
    die = event_to_timeline(_ev("die", exitCode="137"), "local")
    assert (die.kind, die.severity, die.message, die.object) == ("die", "warn", "web: die (exit 137)", "web")
    assert die.time == pytest.approx(1795636200.123456789)
    assert event_to_timeline(_ev("die", exitCode="0"), "local").severity == "info"
    h = event_to_timeline(_ev("health_status: unhealthy"), "local")
    assert (h.kind, h.severity, h.message) == ("health_status", "warn", "web: health_status: unhealthy")
    assert event_to_timeline(_ev("oom"), "local").severity == "error"
    assert event_to_timeline(_ev("exec_start: sh"), "local") is None
    assert event_to_timeline({"Type": "network", "Action": "connect"}, "local") is None
