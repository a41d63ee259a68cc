"""Pure parsers: Ceph JSON (Pacific 16.2 shapes) -> models. No I/O here.

Every parser accepts the decoded JSON of one command and raises BackendError
(one line) when the shape is not what Ceph gives, never KeyError/TypeError.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from megam_tui.backends.base import BackendError
from megam_tui.backends.ceph_models import CephOsdTree, CephPools
from megam_tui.models import HEALTH_ORDER, CephStatus, Event, HealthCheck, OsdNode, PoolUsage

MAX_DETAIL_LINES = 50
LOG_SEVERITY = {"[DBG]": "debug", "[INF]": "info", "[WRN]": "warn", "[ERR]": "error", "[SEC]": "error"}
HEALTH_SEVERITY = {"HEALTH_OK": "info", "HEALTH_WARN": "warn", "HEALTH_ERR": "error"}


def load_json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError) as exc:
        snippet = (text.decode(errors="replace") if isinstance(text, bytes) else str(text)).strip()[:60]
        raise BackendError(f"{what}: not JSON ({exc.__class__.__name__}): {snippet!r}") from None


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BackendError(f"unexpected ceph JSON for {what}: expected an object, got {type(value).__name__}")
    return value


def _num(value: Any, default: float = 0) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _int(value: Any, default: int = 0) -> int:
    return int(_num(value, default))


def worst_health(values: Iterable[str | None]) -> str | None:
    """The most severe of HEALTH_OK < HEALTH_WARN < HEALTH_ERR (None if no value)."""
    known = [v for v in values if v]
    if not known:
        return None
    return max(known, key=lambda h: HEALTH_ORDER.get(h, 2))


def _check_sort_key(c: HealthCheck) -> tuple[int, str]:
    return (-HEALTH_ORDER.get(c.severity, 2), c.code)


def parse_checks(health: dict[str, Any]) -> tuple[HealthCheck, ...]:
    """`health.checks` of `status` or `health detail` -> checks, most severe first."""
    checks = health.get("checks") or {}
    if not isinstance(checks, dict):
        raise BackendError("unexpected ceph JSON for health checks")
    out = []
    for code, c in checks.items():
        c = c if isinstance(c, dict) else {}
        summary = c.get("summary") if isinstance(c.get("summary"), dict) else {}
        count = summary.get("count")
        detail_raw = c.get("detail") if isinstance(c.get("detail"), list) else []
        lines = [str(d.get("message", "")) if isinstance(d, dict) else str(d) for d in detail_raw]
        if len(lines) > MAX_DETAIL_LINES:
            more = len(lines) - MAX_DETAIL_LINES
            lines = lines[:MAX_DETAIL_LINES] + [f"... and {more} more"]
        out.append(
            HealthCheck(
                code=str(code),
                severity=str(c.get("severity", "HEALTH_WARN")),
                summary=str(summary.get("message", "")),
                count=count if isinstance(count, int) else None,
                muted=bool(c.get("muted", False)),
                detail=tuple(lines),
            )
        )
    return tuple(sorted(out, key=_check_sort_key))


def parse_health_detail(data: Any) -> tuple[str, tuple[HealthCheck, ...]]:
    """`health detail -f json` -> (status, checks with their detail lines)."""
    d = _dict(data, "health detail")
    return str(d.get("status", "HEALTH_ERR")), parse_checks(d)


def merge_detail(status: CephStatus, detail: tuple[HealthCheck, ...]) -> CephStatus:
    """Status checks with the detail lines of `health detail` (matched by code)."""
    by_code = {c.code: c.detail for c in detail}
    checks = tuple(
        HealthCheck(c.code, c.severity, c.summary, c.count, c.muted, by_code.get(c.code, c.detail)) for c in status.checks
    )
    return _replace(status, checks=checks)


def _replace(status: CephStatus, **changes: Any) -> CephStatus:
    from dataclasses import replace

    return replace(status, **changes)


def parse_status(cluster: str, data: Any, now: float | None = None) -> CephStatus:
    """`status -f json` -> CephStatus. Pacific omits the IO rate keys when idle (-> 0.0)."""
    d = _dict(data, "status")
    health = _dict(d.get("health") or {}, "status.health")
    osdmap = d.get("osdmap") if isinstance(d.get("osdmap"), dict) else {}
    if isinstance(osdmap.get("osdmap"), dict):  # pre-Pacific nesting
        osdmap = osdmap["osdmap"]
    pgmap = d.get("pgmap") if isinstance(d.get("pgmap"), dict) else {}
    mgrmap = d.get("mgrmap") if isinstance(d.get("mgrmap"), dict) else {}
    monmap = d.get("monmap") if isinstance(d.get("monmap"), dict) else {}
    pgs = []
    for s in pgmap.get("pgs_by_state") or []:
        if isinstance(s, dict) and "state_name" in s:
            pgs.append((str(s["state_name"]), _int(s.get("count"))))
    pgs.sort(key=lambda x: (-x[1], x[0]))
    quorum = d.get("quorum_names") if isinstance(d.get("quorum_names"), list) else []
    return CephStatus(
        cluster=cluster,
        health=str(health.get("status", "HEALTH_ERR")),
        checks=parse_checks(health),
        fsid=str(d.get("fsid", "")),
        num_mons=_int(monmap.get("num_mons"), len(quorum)),
        quorum=tuple(str(q) for q in quorum),
        mgr_available=bool(mgrmap.get("available", False)),
        mgr_standbys=_int(mgrmap.get("num_standbys")),
        num_osds=_int(osdmap.get("num_osds")),
        num_up_osds=_int(osdmap.get("num_up_osds")),
        num_in_osds=_int(osdmap.get("num_in_osds")),
        pgs_by_state=tuple(pgs),
        num_pgs=_int(pgmap.get("num_pgs")),
        num_pools=_int(pgmap.get("num_pools")),
        num_objects=_int(pgmap.get("num_objects")),
        bytes_used=_int(pgmap.get("bytes_used")),
        bytes_avail=_int(pgmap.get("bytes_avail")),
        bytes_total=_int(pgmap.get("bytes_total")),
        read_bps=float(_num(pgmap.get("read_bytes_sec"))),
        write_bps=float(_num(pgmap.get("write_bytes_sec"))),
        read_ops=float(_num(pgmap.get("read_op_per_sec"))),
        write_ops=float(_num(pgmap.get("write_op_per_sec"))),
        time=time.time() if now is None else now,
    )


def parse_osd_tree(cluster: str, data: Any) -> CephOsdTree:
    """`osd tree -f json` -> CephOsdTree (stray OSDs, outside the CRUSH tree, included as roots)."""
    d = _dict(data, "osd tree")
    nodes = []
    for n in list(d.get("nodes") or []) + list(d.get("stray") or []):
        if not isinstance(n, dict) or "id" not in n:
            continue
        is_osd = n.get("type") == "osd"
        nodes.append(
            OsdNode(
                id=_int(n.get("id")),
                name=str(n.get("name", n.get("id"))),
                type=str(n.get("type", "")),
                status=str(n["status"]) if is_osd and "status" in n else None,
                reweight=float(_num(n.get("reweight"))) if is_osd and "reweight" in n else None,
                crush_weight=float(_num(n.get("crush_weight"))) if "crush_weight" in n else None,
                children=tuple(_int(c) for c in n.get("children") or []),
            )
        )
    return CephOsdTree(cluster, tuple(nodes))


def parse_df(cluster: str, data: Any) -> CephPools:
    """`df -f json` -> raw totals + per-pool usage."""
    d = _dict(data, "df")
    stats = d.get("stats") if isinstance(d.get("stats"), dict) else {}
    pools = []
    for p in d.get("pools") or []:
        if not isinstance(p, dict):
            continue
        s = p.get("stats") if isinstance(p.get("stats"), dict) else {}
        pools.append(
            PoolUsage(
                name=str(p.get("name", "")),
                id=_int(p.get("id")),
                stored=_int(s.get("stored", s.get("bytes_used"))),
                objects=_int(s.get("objects")),
                percent_used=float(_num(s.get("percent_used"))),
                max_avail=_int(s.get("max_avail")),
            )
        )
    return CephPools(
        cluster,
        tuple(pools),
        total_bytes=_int(stats.get("total_bytes")),
        avail_bytes=_int(stats.get("total_avail_bytes")),
        used_raw_bytes=_int(stats.get("total_used_raw_bytes", stats.get("total_used_bytes"))),
    )


def parse_stamp(stamp: str) -> float:
    """'2026-11-25T19:51:33.169134+0000' -> unix seconds (now when unparseable)."""
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            return datetime.strptime(stamp, fmt).timestamp()
        except (ValueError, TypeError):
            continue
    return time.time()


_CHECK_IN_MESSAGE = re.compile(r"\(([A-Z][A-Z0-9_]+)\)\s*$")


def parse_log(cluster: str, data: Any) -> list[tuple[tuple[str, str, int], Event]]:
    """`log last N -f json` -> [(dedupe key (name, stamp, seq), Event)] oldest first."""
    if not isinstance(data, list):
        raise BackendError("unexpected ceph JSON for log last: expected a list")
    out = []
    for e in data:
        if not isinstance(e, dict):
            continue
        stamp = str(e.get("stamp", ""))
        message = str(e.get("message", ""))
        m = _CHECK_IN_MESSAGE.search(message)
        ev = Event(
            time=parse_stamp(stamp),
            layer="ceph",
            severity=LOG_SEVERITY.get(str(e.get("priority", "")), "info"),
            source=cluster,
            message=message,
            object=str(e.get("name", "")),
            kind="log" if m is None else f"log:{m.group(1)}",
        )
        out.append(((str(e.get("name", "")), stamp, _int(e.get("seq"))), ev))
    out.sort(key=lambda kv: (kv[1].time, kv[0][2]))
    return out


def health_events(old: CephStatus | None, new: CephStatus) -> list[Event]:
    """Timeline events for a new status: health status change, checks raised / cleared."""
    now = new.time or time.time()
    events = []
    if old is None:
        if new.health != "HEALTH_OK":
            text = "; ".join(c.summary for c in new.checks) or new.health
            events.append(Event(now, "ceph", HEALTH_SEVERITY.get(new.health, "error"), new.cluster, f"{new.health}: {text}", kind="health"))
        return events
    if old.health != new.health:
        text = "; ".join(c.summary for c in new.checks if not c.muted) or "all checks cleared"
        events.append(
            Event(now, "ceph", HEALTH_SEVERITY.get(new.health, "error"), new.cluster, f"{new.health} (was {old.health}): {text}", kind="health")
        )
    before = {c.code: c for c in old.checks}
    after = {c.code: c for c in new.checks}
    for code, c in after.items():
        if code not in before:
            sev = "info" if c.muted else HEALTH_SEVERITY.get(c.severity, "warn")
            events.append(Event(now, "ceph", sev, new.cluster, f"check raised: {c.summary}", object=code, kind=code))
    for code, c in before.items():
        if code not in after:
            events.append(Event(now, "ceph", "info", new.cluster, f"check cleared (was: {c.summary})", object=code, kind=code))
    return events
