"""Cell texts of the VMs pane (pure functions; untrusted names stay rich Text, never markup)."""

from __future__ import annotations

from rich.text import Text

from megam_tui.models import Domain
from megam_tui.ui.steady import moved

COLUMNS = (  # (key, label, width or None)
    ("sel", " ", 1),
    ("name", "name", None),
    ("hypervisor", "hypervisor", 12),
    ("state", "state", 12),
    ("vcpus", "vCPUs", 5),
    ("memory", "memory", 7),
    ("cpu", "CPU %", 6),
    ("uptime", "uptime", 10),
)
SORTS = ("name", "hypervisor", "state", "cpu", "memory", "uptime")

STATE_STYLES = {
    "running": "bold green",
    "idle": "green",
    "paused": "bold yellow",
    "pmsuspended": "yellow",
    "in shutdown": "yellow",
    "shut off": "dim",
    "crashed": "bold red",
}


def row_key(d: Domain) -> str:
    return f"{d.hypervisor}/{d.name}"


def fmt_memory(kib: int | None) -> str:
    if kib is None:
        return "–"
    mib = kib / 1024
    if mib < 1024:
        return f"{mib:.0f}M"
    return f"{mib / 1024:.1f}G"


def fmt_cpu(pct: float | None) -> str:
    return "–" if pct is None else f"{pct:.1f}"


def fmt_uptime(seconds: float | None) -> str:
    """Minute resolution at most: a label that ticks every second repaints every poll."""
    if seconds is None:
        return "–"
    s = int(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes = s // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else "<1m"


def cells(d: Domain, *, selected: bool, stale: bool) -> dict[str, Text]:
    """One row: column key -> Text. `stale`: its hypervisor does not answer right now."""
    dim = "dim" if stale else ""
    state = d.state + (" ?" if stale else "")
    return {
        "sel": Text("•" if selected else " ", style="bold"),
        "name": Text(d.name, style=dim),
        "hypervisor": Text(d.hypervisor, style="dim"),
        "state": Text(state, style="dim" if stale else STATE_STYLES.get(d.state, "")),
        "vcpus": Text("–" if d.vcpus is None else str(d.vcpus), style=dim, justify="right"),
        "memory": Text(fmt_memory(d.memory_kib), style=dim, justify="right"),
        "cpu": Text(fmt_cpu(d.cpu_pct), style=dim, justify="right"),
        "uptime": Text(fmt_uptime(d.uptime_s), style=dim, justify="right"),
    }


def sort_value(d: Domain, column: str) -> tuple:
    """Sort key; missing numbers sort last (first when reversed is not wanted: fine)."""
    if column == "cpu":
        return (d.cpu_pct is None, -(d.cpu_pct or 0.0), d.name)
    if column == "memory":
        return (d.memory_kib is None, -(d.memory_kib or 0), d.name)
    if column == "uptime":
        return (d.uptime_s is None, -(d.uptime_s or 0.0), d.name)
    if column == "state":
        return (d.state != "running", d.state, d.name.lower())
    if column == "hypervisor":
        return (d.hypervisor, d.name.lower())
    return (d.name.lower(), d.hypervisor)


def matches(d: Domain, needle: str) -> bool:
    if not needle:
        return True
    return needle.lower() in f"{d.name} {d.hypervisor} {d.state}".lower()


def noise_only(old: Domain, new: Domain) -> bool:
    """Same domain, same state; CPU moved < 1 point and < 10 %; same uptime label."""
    return (
        (old.state, old.vcpus, old.memory_kib, old.uuid) == (new.state, new.vcpus, new.memory_kib, new.uuid)
        and not moved(old.cpu_pct, new.cpu_pct, 1.0, 0.10)
        and fmt_uptime(old.uptime_s) == fmt_uptime(new.uptime_s)
    )
