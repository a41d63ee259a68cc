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
    assert event_to_timeline(_ev("die", exitCode="137"), "local", expected=True).severity == "info"  # after a stop
    h = event_to_timeline(_ev("health_status: unhealthy"), "local")
    assert (h.kind, h.severity, h.message) == ("health_status", "warn", "web: health_status: unhealthy")
    assert event_to_timeline(_ev("oom"), "local").severity == "error"
    assert event_to_timeline(_ev("exec_start: sh"), "local") is None
    assert event_to_timeline({"Type": "network", "Action": "connect"}, "local") is None


def test_container_from_recorded_inspect():
    from megam_tui.backends.docker_parse import container_from_inspect, parse_iso

    web = container_from_inspect(json.loads((FIX / "inspect_web.json").read_text())[0], "local")
    assert (web.name, web.state, web.health, web.project, web.tty) == ("web", "running", "healthy", "demo", False)
    assert web.started_at == pytest.approx(parse_iso("2026-11-25T19:48:19.065463331Z"))
    assert web.exit_code is None and len(web.id) == 64
    done = container_from_inspect(json.loads((FIX / "inspect_done.json").read_text())[0], "local")
    assert (done.state, done.exit_code, done.state_text, done.started_at) == ("exited", 3, "exited (3)", None)


def test_parse_iso_nanoseconds_and_zero_time():
    from megam_tui.backends.docker_parse import parse_iso

    assert parse_iso("2026-11-25T19:48:19.065463331Z") == pytest.approx(1795636099.065463)
    assert parse_iso("2026-11-25T19:48:19Z") == 1795636099.0
    assert parse_iso("2026-11-25T20:48:19.5+01:00") == pytest.approx(1795636099.5)
    assert parse_iso("0001-01-01T00:00:00Z") is None and parse_iso("") is None and parse_iso("garbage") is None


def test_ports_from_inspect():
    from megam_tui.backends.docker_parse import ports_from_inspect, ports_text

    ports = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "53/udp": None}
    assert ports_text(ports_from_inspect(ports)) == "0.0.0.0:8080->80/tcp, 53/udp"
