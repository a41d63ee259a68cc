"""Cell formatting for the Containers table (pure: no widgets, testable)."""

from __future__ import annotations

import time

from rich.text import Text

from megam_tui.models import Container, ContainerStats

STATE_STYLE = {
    "running": "green",
    "paused": "yellow",
    "restarting": "yellow",
    "exited": "dim",
    "created": "cyan",
    "dead": "red",
    "removing": "dim",
    "unreachable": "bold red",
}
HEALTH_STYLE = {"healthy": "green", "unhealthy": "bold red", "starting": "yellow"}


def human_duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"  # minutes only: the cell changes at most once a minute
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def human_bytes(n: float | None) -> str:
    if n is None:
        return ""
    n = float(n)
    for unit in ("B", "K", "M", "G", "T"):
        if abs(n) < 1024 or unit == "T":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return ""  # pragma: no cover


def human_rate(a: float | None, b: float | None) -> str:
    if a is None and b is None:
        return ""
    return f"{human_bytes(a or 0)}/{human_bytes(b or 0)}"


def uptime_text(c: Container, now: float | None = None) -> str:
    now = time.time() if now is None else now
    if c.started_at is not None and c.state in ("running", "paused", "restarting"):
        return human_duration(now - c.started_at)
    if c.created:
        return f"({human_duration(now - c.created)})"  # age, in parentheses when not running
    return ""


COLUMNS: tuple[tuple[str, str, int], ...] = (
    # key, label, width
    ("mark", " ", 2),
    ("name", "NAME", 22),
    ("engine", "ENGINE", 8),
    ("image", "IMAGE", 18),
    ("state", "STATE", 12),
    ("health", "HEALTH", 9),
    ("uptime", "UP", 8),
    ("ports", "PORTS", 16),
    ("project", "PROJECT", 10),
    ("cpu", "CPU%", 6),
    ("mem", "MEM", 8),
    ("mem_pct", "MEM%", 5),
    ("net", "NET r/w", 13),
    ("blk", "BLK r/w", 13),
)
COLUMN_KEYS = tuple(k for k, _, _ in COLUMNS)


def row_values(
    c: Container,
    st: ContainerStats | None,
    *,
    pending: bool = False,
    selected: bool = False,
    unreachable: bool = False,
    now: float | None = None,
) -> tuple[Text, ...]:
    """One table row: untrusted names/images/labels are Text (never markup)."""
    state = "unreachable" if unreachable else c.state
    state_label = "unreachable" if unreachable else c.state_text
    running = c.state in ("running", "paused") and not unreachable
    mark = ("●" if selected else " ") + ("…" if pending else " ")
    cpu = f"{st.cpu_pct:.1f}" if running and st and st.cpu_pct is not None else ""
    mem = human_bytes(st.mem_bytes) if running and st else ""
    mem_pct = f"{st.mem_pct:.1f}" if running and st and st.mem_pct is not None else ""
    net = human_rate(st.net_rx_bps, st.net_tx_bps) if running and st else ""
    blk = human_rate(st.blk_read_bps, st.blk_write_bps) if running and st else ""
    return (
        Text(mark, style="bold yellow" if pending else "bold"),
        Text(c.name, style="dim" if unreachable else ""),
        Text(c.engine),
        Text(c.image),
        Text(state_label, style=STATE_STYLE.get(state, "")),
        Text(c.health or "", style=HEALTH_STYLE.get(c.health or "", "")),
        Text(uptime_text(c, now)),
        Text(c.ports),
        Text(c.project or ""),
        Text(cpu, justify="right"),
        Text(mem, justify="right"),
        Text(mem_pct, justify="right"),
        Text(net, justify="right"),
        Text(blk, justify="right"),
    )


def sort_value(column: str, c: Container, st: ContainerStats | None) -> tuple:
    """A sortable value for `column` (numbers sort numerically, missing last)."""
    if column in ("cpu", "mem", "mem_pct", "net", "blk"):
        v = None
        if st is not None:
            v = {
                "cpu": st.cpu_pct,
                "mem": st.mem_bytes,
                "mem_pct": st.mem_pct,
                "net": (st.net_rx_bps or 0) + (st.net_tx_bps or 0) if st.net_rx_bps is not None else None,
                "blk": (st.blk_read_bps or 0) + (st.blk_write_bps or 0) if st.blk_read_bps is not None else None,
            }[column]
        return (v is None, -(v or 0.0))  # biggest first
    if column == "uptime":
        return (c.started_at is None, -(c.started_at or 0.0))
    text = {
        "name": c.name,
        "engine": c.engine,
        "image": c.image,
        "state": c.state_text,
        "health": c.health or "~",
        "ports": c.ports or "~",
        "project": c.project or "~",
    }.get(column, c.name)
    return (False, text.lower())
