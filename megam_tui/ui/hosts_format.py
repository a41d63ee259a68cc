"""Cell texts of the Hosts pane (pure functions; untrusted text stays rich Text)."""

from __future__ import annotations

from rich.text import Text

from megam_tui.models import Host, HostMetrics
from megam_tui.ui.steady import moved

# column key -> (header, fixed width or None = sized by the rows added). Fixed widths
# because cells are updated in place without re-measuring (update_width is costly).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("sel", " "),
    ("name", "host"),
    ("state", "state"),
    ("uptime", "uptime"),
    ("load", "load 1/5/15"),
    ("cpu", "cpu"),
    ("mem", "mem"),
    ("disk", "disk /"),
    ("fullest", "fullest mount"),
    ("net", "net rx/tx"),
)
WIDTHS: dict[str, int | None] = {
    "sel": 1, "name": None, "state": 16, "uptime": 7, "load": 17, "cpu": 4,
    "mem": 11, "disk": 6, "fullest": 18, "net": 20,
}

KIND_TEXT = {
    "refused": "refused",
    "timeout": "timeout",
    "auth": "auth failed",
    "hostkey": "host key changed",
    "unknown-hostkey": "host key unknown",
    "dns": "dns failed",
    "error": "error",
}


def human_bytes(n: float | None, suffix: str = "") -> str:
    if n is None:
        return "–"
    for unit in ("", "K", "M", "G", "T"):
        if abs(n) < 1024 or unit == "T":
            return f"{n:.0f}B{suffix}" if unit == "" else f"{n:.1f}{unit}{suffix}"
        n /= 1024
    return f"{n:.1f}P{suffix}"  # pragma: no cover


def human_uptime(s: float | None) -> str:
    if s is None:
        return "–"
    s = int(s)
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{d}d {h}h"
    if h:
        return f"{h}h {m}m"
    return f"{m}m"


def pct_text(p: float | None, warn: float = 80.0, crit: float = 90.0) -> Text:
    if p is None:
        return Text("–", style="dim")
    style = "bold red" if p >= crit else ("yellow" if p >= warn else "")
    return Text(f"{p:.0f}%", style=style)


def state_text(h: Host) -> Text:
    if h.reachable:
        return Text("up", style="green")
    return Text(KIND_TEXT.get(h.error_kind or "error", h.error_kind or "error"), style="bold red")


def cells(h: Host, selected: bool) -> dict[str, Text]:
    """One Text per column for host `h`."""
    m = h.metrics
    name = Text(h.name, style="bold" if h.local else "")
    if h.local:
        name.append(" (local)", style="dim")
    out = {
        "sel": Text("✓" if selected else " ", style="bold cyan"),
        "name": name,
        "state": state_text(h),
    }
    if m is None or not h.reachable:
        for key in ("uptime", "load", "cpu", "mem", "disk", "fullest", "net"):
            out[key] = Text("–", style="dim")
        return out
    out["uptime"] = Text(human_uptime(m.uptime_s))
    out["load"] = Text(
        " ".join(f"{v:.2f}" for v in (m.load1, m.load5, m.load15) if v is not None) or "–"
    )
    out["cpu"] = pct_text(m.cpu_pct)
    if m.mem_total:
        used_pct = 100.0 * (m.mem_used or 0) / m.mem_total
        out["mem"] = Text(f"{human_bytes(m.mem_used)}/{human_bytes(m.mem_total)}", style=pct_text(used_pct).style)
    else:
        out["mem"] = Text("–", style="dim")
    out["disk"] = pct_text(m.disk_root_pct)
    if m.disk_fullest_mount is not None:
        t = Text(m.disk_fullest_mount + " ")
        t.append_text(pct_text(m.disk_fullest_pct))
        out["fullest"] = t
    else:
        out["fullest"] = Text("–", style="dim")
    if m.net_rx_bps is None and m.net_tx_bps is None:
        out["net"] = Text("–", style="dim")
    else:
        out["net"] = Text(f"↓{human_bytes(m.net_rx_bps, '/s')} ↑{human_bytes(m.net_tx_bps, '/s')}")
    return out


# sort key -> (label, function giving a comparable value; None sorts last)
SORTS: dict[str, tuple[str, object]] = {
    "name": ("host", lambda h: h.name.lower()),
    "state": ("state", lambda h: (h.reachable, h.error_kind or "")),
    "cpu": ("cpu", lambda h: h.metrics.cpu_pct if h.metrics else None),
    "load": ("load", lambda h: h.metrics.load1 if h.metrics else None),
    "mem": ("mem", lambda h: (h.metrics.mem_used / h.metrics.mem_total) if h.metrics and h.metrics.mem_total and h.metrics.mem_used is not None else None),
    "disk": ("disk", lambda h: max((p for p in (h.metrics.disk_root_pct, h.metrics.disk_fullest_pct) if p is not None), default=None) if h.metrics else None),
    "net": ("net", lambda h: ((h.metrics.net_rx_bps or 0) + (h.metrics.net_tx_bps or 0)) if h.metrics and h.metrics.net_rx_bps is not None else None),
}
SORT_ORDER = tuple(SORTS)


def matches(h: Host, needle: str) -> bool:
    """The `/` filter: case-insensitive substring of name, address, state or error."""
    if not needle:
        return True
    n = needle.lower()
    hay = (h.name, h.address, "up" if h.reachable else "down", KIND_TEXT.get(h.error_kind or "", ""), h.error or "")
    return any(n in s.lower() for s in hay if s)


def state_of(h: Host) -> tuple[object, ...]:
    """What a host's state line is made of (a change here is news, not a figure)."""
    return (h.reachable, h.error, h.error_kind, h.address)


def metrics_moved(old: HostMetrics | None, new: HostMetrics | None) -> bool:
    """Whether a probe changes what the row shows enough to redraw it (see ui.steady).

    CPU by >= 2 points or 10 %, load by >= 0.05 or 10 %, memory by >= 1 %, disk by a
    point, net rates by >= 25 % (or to/from zero), the uptime label, the fullest mount."""
    if old is None or new is None:
        return old is not new
    return (
        moved(old.cpu_pct, new.cpu_pct, 2.0, 0.10)
        or any(moved(a, b, 0.05, 0.10) for a, b in ((old.load1, new.load1), (old.load5, new.load5), (old.load15, new.load15)))
        or old.mem_total != new.mem_total
        or moved(None if old.mem_used is None else float(old.mem_used), None if new.mem_used is None else float(new.mem_used), 1.0, 0.01)
        or moved(old.disk_root_pct, new.disk_root_pct, 1.0, 0.0)
        or old.disk_fullest_mount != new.disk_fullest_mount
        or moved(old.disk_fullest_pct, new.disk_fullest_pct, 1.0, 0.0)
        or moved(old.net_rx_bps, new.net_rx_bps, 1.0, 0.25)
        or moved(old.net_tx_bps, new.net_tx_bps, 1.0, 0.25)
        or human_uptime(old.uptime_s) != human_uptime(new.uptime_s)
    )
