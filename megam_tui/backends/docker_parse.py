"""Pure functions: Docker API dicts -> models (no engine calls, no Textual)."""

from __future__ import annotations

import re
import time
from typing import Any

from megam_tui.models import Container, Event, Image, Service

PROJECT_LABEL = "com.docker.compose.project"

_EXIT_RE = re.compile(r"^Exited \((-?\d+)\)")
_HEALTH_RE = re.compile(r"\((healthy|unhealthy|health: starting)\)")
_UP_RE = re.compile(r"^Up (.+?)(?: \(.*\))?$")
_UNITS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}


def exit_code_from_status(status: str) -> int | None:
    m = _EXIT_RE.match(status or "")
    return int(m.group(1)) if m else None


def health_from_status(status: str) -> str | None:
    m = _HEALTH_RE.search(status or "")
    if not m:
        return None
    return "starting" if m.group(1) == "health: starting" else m.group(1)


def human_duration_seconds(text: str) -> float | None:
    """Docker's go-units HumanDuration text back to seconds (approximate)."""
    t = text.strip().lower()
    if t.startswith("less than a second"):
        return 0.0
    if t.startswith("about a minute"):
        return 60.0
    if t.startswith("about an hour"):
        return 3600.0
    m = re.match(r"(an?|\d+) (second|minute|hour|day|week|month|year)s?\b", t)
    if not m:
        return None
    n = 1 if m.group(1) in ("a", "an") else int(m.group(1))
    return float(n * _UNITS[m.group(2)])


def started_from_status(status: str, now: float) -> float | None:
    """Approximate start time from "Up 3 minutes" (None when not running)."""
    m = _UP_RE.match(status or "")
    if not m:
        return None
    secs = human_duration_seconds(m.group(1))
    return None if secs is None else now - secs


def ports_text(ports: list[dict[str, Any]] | None) -> str:
    """`docker ps`-style port text, deduplicated, stable order."""
    out: list[str] = []
    for p in ports or []:
        priv, typ = p.get("PrivatePort"), p.get("Type", "tcp")
        if p.get("PublicPort"):
            ip = p.get("IP") or "0.0.0.0"
            if ip == "::":
                ip = "[::]"
            s = f"{ip}:{p['PublicPort']}->{priv}/{typ}"
        else:
            s = f"{priv}/{typ}"
        if s not in out:
            out.append(s)
    return ", ".join(out)


def container_name(raw: dict[str, Any]) -> str:
    names = raw.get("Names") or []
    # the primary name is the one without a link path ("/a/b" is a legacy link alias)
    for n in names:
        if n.count("/") == 1:
            return n.lstrip("/")
    return names[0].lstrip("/") if names else str(raw.get("Id", ""))[:12]


def container_from_api(raw: dict[str, Any], engine: str, now: float | None = None, started_at: float | None = None) -> Container:
    """One entry of GET /containers/json -> models.Container."""
    now = time.time() if now is None else now
    status = str(raw.get("Status") or "")
    state = str(raw.get("State") or "").lower() or "unknown"
    labels = dict(raw.get("Labels") or {})
    if started_at is None and state in ("running", "paused", "restarting"):
        started_at = started_from_status(status, now)
    return Container(
        id=str(raw.get("Id", "")),
        name=container_name(raw),
        engine=engine,
        image=str(raw.get("Image") or ""),
        state=state,
        status=status,
        exit_code=exit_code_from_status(status) if state == "exited" else None,
        health=health_from_status(status),
        created=float(raw.get("Created") or 0),
        started_at=started_at if state in ("running", "paused", "restarting") else None,
        ports=ports_text(raw.get("Ports")),
        project=labels.get(PROJECT_LABEL),
        labels=labels,
    )


def event_time(ev: dict[str, Any]) -> float:
    if ev.get("timeNano"):
        return int(ev["timeNano"]) / 1e9
    return float(ev.get("time") or 0)


# container event actions shown on the timeline, with their severity
TIMELINE_ACTIONS = {
    "start": "info",
    "die": "warn",
    "kill": "info",
    "stop": "info",
    "destroy": "info",
    "oom": "error",
    "pause": "info",
    "unpause": "info",
    "restart": "info",
    "create": "debug",
    "health_status": "info",
}


def event_to_timeline(ev: dict[str, Any], engine: str, *, expected: bool = False) -> Event | None:
    """A container event -> models.Event (None for noise like exec_*, attach, resize).

    expected=True: a "die" right after a kill/stop someone asked for is info, not a warning."""
    if ev.get("Type") != "container":
        return None
    action = str(ev.get("Action") or ev.get("status") or "")
    base = action.split(":", 1)[0]
    if base not in TIMELINE_ACTIONS:
        return None
    attrs = (ev.get("Actor") or {}).get("Attributes") or {}
    name = str(attrs.get("name") or (ev.get("Actor") or {}).get("ID", "")[:12])
    severity = TIMELINE_ACTIONS[base]
    detail = ""
    if base == "die":
        code = attrs.get("exitCode")
        detail = f" (exit {code})" if code is not None else ""
        if str(code) == "0" or expected:
            severity = "info"
    elif base == "health_status":
        health = action.split(":", 1)[1].strip() if ":" in action else ""
        detail = f": {health}"
        severity = "warn" if health == "unhealthy" else "info"
    elif base == "kill" and attrs.get("signal"):
        detail = f" (signal {attrs['signal']})"
    return Event(
        time=event_time(ev),
        layer="docker",
        severity=severity,
        source=engine,
        message=f"{name}: {base}{detail}",
        object=name,
        kind=base,
    )


def image_from_api(raw: dict[str, Any], engine: str) -> Image:
    tags = tuple(t for t in (raw.get("RepoTags") or []) if t and t != "<none>:<none>")
    return Image(
        id=str(raw.get("Id", "")),
        engine=engine,
        tags=tags,
        size=int(raw.get("Size") or 0),
        created=float(raw.get("Created") or 0),
    )


def service_from_api(raw: dict[str, Any], engine: str, running: int) -> Service:
    spec = raw.get("Spec") or {}
    mode_spec = spec.get("Mode") or {}
    if "Global" in mode_spec:
        mode, desired = "global", None
    else:
        mode, desired = "replicated", int((mode_spec.get("Replicated") or {}).get("Replicas") or 0)
    image = str(((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image") or "")
    image = image.split("@", 1)[0]
    ports = []
    for p in ((raw.get("Endpoint") or {}).get("Ports")) or []:
        if p.get("PublishedPort"):
            ports.append(f"{p['PublishedPort']}->{p.get('TargetPort')}/{p.get('Protocol', 'tcp')}")
    return Service(
        id=str(raw.get("ID", "")),
        name=str(spec.get("Name") or ""),
        engine=engine,
        mode=mode,
        replicas_running=running,
        replicas_desired=desired,
        image=image,
        ports=", ".join(ports),
    )


def parse_iso(ts: str | None) -> float | None:
    """Docker RFC 3339 time with ns ("...:54.664889772Z") -> unix seconds; zero time -> None."""
    if not ts or ts.startswith("0001-01-01"):
        return None
    from datetime import datetime

    t = ts.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", t)
    if not m:
        return None
    frac = (m.group(2) or "")[:7]  # "." + at most 6 digits
    try:
        return datetime.fromisoformat(m.group(1) + frac + m.group(3)).timestamp()
    except ValueError:
        return None


def ports_from_inspect(ports: dict[str, Any] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, binds in (ports or {}).items():
        port, _, proto = key.partition("/")
        if not binds:
            out.append({"PrivatePort": int(port), "Type": proto or "tcp"})
            continue
        for b in binds:
            out.append({"IP": b.get("HostIp") or "0.0.0.0", "PrivatePort": int(port), "PublicPort": int(b.get("HostPort") or 0), "Type": proto or "tcp"})
    return out


def container_from_inspect(info: dict[str, Any], engine: str) -> Container:
    """GET /containers/{id}/json -> models.Container (exact state, start time, health)."""
    st = info.get("State") or {}
    cfg = info.get("Config") or {}
    state = str(st.get("Status") or "unknown").lower()
    labels = dict(cfg.get("Labels") or {})
    health = ((st.get("Health") or {}).get("Status")) or None
    if health == "none":
        health = None
    exit_code = int(st.get("ExitCode", 0)) if state == "exited" else None
    started = parse_iso(st.get("StartedAt")) if state in ("running", "paused", "restarting") else None
    status = {"exited": f"Exited ({exit_code})", "paused": "Paused", "running": "Up"}.get(state, state.capitalize())
    return Container(
        id=str(info.get("Id", "")),
        name=str(info.get("Name") or "").lstrip("/"),
        engine=engine,
        image=str(cfg.get("Image") or info.get("Image") or ""),
        state=state,
        status=status,
        exit_code=exit_code,
        health=health,
        created=parse_iso(info.get("Created")) or 0.0,
        started_at=started,
        ports=ports_text(ports_from_inspect((info.get("NetworkSettings") or {}).get("Ports"))),
        project=labels.get(PROJECT_LABEL),
        labels=labels,
        tty=bool(cfg.get("Tty")),
    )
