"""Texts of the Ceph pane and badge (pure functions; untrusted strings stay rich Text data).

Colours come from a palette built from the app's theme variables
($success / $warning / $error / $text-muted) so every theme works; tests use
DEFAULT_PALETTE.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.text import Text

from megam_tui.backends.ceph_models import CephOsdTree, CephPools
from megam_tui.models import CephStatus, Event, HealthCheck, OsdNode

DEFAULT_PALETTE = {"ok": "green", "warn": "yellow", "err": "red", "muted": "grey50", "info": "default"}
SPARKS = "▁▂▃▄▅▆▇█"
HEALTH_SHORT = {"HEALTH_OK": "OK", "HEALTH_WARN": "WARN", "HEALTH_ERR": "ERR"}
_FLAGS_RE = re.compile(r"^([a-z][a-z0-9,-]*) flag\(s\) set")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TEXT = 500  # characters of one untrusted string shown


def safe(value: object, limit: int = MAX_TEXT) -> str:
    """Untrusted text made terminal-safe: control bytes (ESC, NUL, C1...) become U+FFFD,
    lone surrogates '?', and it is cut at `limit` characters. Markup stays literal (callers
    put it in rich Text, never parse it)."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    if not text.isprintable():
        text = _CONTROL_RE.sub("\ufffd", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def health_key(health: str | None) -> str:
    return {"HEALTH_OK": "ok", "HEALTH_WARN": "warn", "HEALTH_ERR": "err"}.get(health or "", "err")


def human_bytes(n: float) -> str:
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def human_rate(bps: float) -> str:
    return human_bytes(bps) + "/s"


def human_age(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 10:
        return "<10s"
    if s < 60:
        return f"{s // 10 * 10}s"  # 10 s steps: a ticking label redraws rarely
    if s < 3600:
        return f"{s // 60}m"  # minute steps: a ticking label redraws once a minute
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def text_sig(t: Text) -> tuple:
    """What is drawn (Text.__eq__ ignores styles and spans)."""
    return (t.plain, str(t.style), tuple(t.spans))


def sparkline(values: Sequence[float], width: int = 20) -> str:
    """Last `width` values as block characters scaled to the window's maximum."""
    vals = list(values)[-width:]
    if not vals:
        return ""
    top = max(vals)
    if top <= 0:
        return SPARKS[0] * len(vals)
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1) + 0.5))] for v in vals)


def bar(ratio: float, width: int = 20) -> str:
    ratio = min(1.0, max(0.0, ratio))
    full = int(ratio * width + 0.5)
    return "█" * full + "░" * (width - full)


def ratio_style(ratio: float, palette: dict[str, str]) -> str:
    if ratio >= 0.85:
        return palette["err"]
    if ratio >= 0.70:
        return palette["warn"]
    return palette["ok"]


def flags_set(st: CephStatus | None) -> set[str]:
    """OSD flags in force, read from the OSDMAP_FLAGS check ("noout,noscrub flag(s) set")."""
    if st is None:
        return set()
    for c in st.checks:
        if c.code == "OSDMAP_FLAGS":
            m = _FLAGS_RE.match(c.summary)
            if m:
                return set(m.group(1).split(","))
    return set()


def check_label(c: HealthCheck, palette: dict[str, str]) -> Text:
    sev = "ERR" if c.severity == "HEALTH_ERR" else "WRN"
    style = palette["muted"] if c.muted else palette["err" if sev == "ERR" else "warn"]
    t = Text()
    t.append(f"{sev} ", style=f"bold {style}")
    t.append(safe(c.code, 64), style="bold" if not c.muted else style)
    t.append("  ")
    t.append(safe(c.summary))
    if c.muted:
        t.append("  (muted)", style=palette["muted"])
    if c.detail:
        t.append(f"  [{len(c.detail)}]", style=palette["muted"])
    return t


def status_lines(
    st: CephStatus,
    palette: dict[str, str],
    *,
    since: float | None = None,
    now: float | None = None,
    read_hist: Sequence[float] = (),
    write_hist: Sequence[float] = (),
    error: str | None = None,
) -> Text:
    """The pane's head: health, daemons, PGs, capacity, client IO with sparklines."""
    key = health_key(st.health)
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(f" {st.health} ", style=f"bold reverse {palette[key]}")
    t.append(" ")
    t.append(safe(st.cluster, 64), style="bold")
    if since is not None and now is not None:
        t.append(f"  for {human_age(now - since)}", style=palette["muted"])
    if error:
        t.append("  ")
        t.append(safe(f"{st.cluster}: {error}"), style=f"bold {palette['err']}")
    t.append("\n")
    t.append("mon ", style=palette["muted"])
    quorum_ok = len(st.quorum) == st.num_mons and st.num_mons > 0
    t.append(f"{len(st.quorum)}/{st.num_mons} in quorum", style="" if quorum_ok else f"bold {palette['err']}")
    if st.quorum:
        t.append(" (" + ",".join(safe(q, 64) for q in st.quorum) + ")", style=palette["muted"])
    t.append("  mgr ", style=palette["muted"])
    t.append("active" if st.mgr_available else "NONE", style="" if st.mgr_available else f"bold {palette['err']}")
    t.append(f" +{st.mgr_standbys} standby", style=palette["muted"])
    t.append("  osd ", style=palette["muted"])
    osd_ok = st.num_up_osds == st.num_osds and st.num_in_osds == st.num_osds
    t.append(f"{st.num_up_osds} up {st.num_in_osds} in / {st.num_osds}", style="" if osd_ok else f"bold {palette['warn']}")
    t.append("\n")
    t.append("pgs ", style=palette["muted"])
    t.append(f"{st.num_pgs}", style="bold")
    for state, count in st.pgs_by_state:
        t.append("  ")
        clean = state == "active+clean"
        t.append(f"{count} {safe(state, 100)}", style=palette["ok"] if clean else palette["warn"])
    t.append("\n")
    ratio = st.bytes_used / st.bytes_total if st.bytes_total else 0.0
    t.append("raw ", style=palette["muted"])
    t.append(bar(ratio, 16), style=ratio_style(ratio, palette))
    t.append(f" {ratio * 100:.1f}%  {human_bytes(st.bytes_used)} / {human_bytes(st.bytes_total)}")
    t.append(f"  {st.num_objects} objects in {st.num_pools} pools", style=palette["muted"])
    t.append("\n")
    t.append("io  ", style=palette["muted"])
    t.append(f"rd {human_rate(st.read_bps)} {st.read_ops:.0f} op/s ")
    t.append(sparkline(read_hist), style=palette["ok"])
    t.append(f"  wr {human_rate(st.write_bps)} {st.write_ops:.0f} op/s ")
    t.append(sparkline(write_hist), style=palette["warn"])
    return t


def osd_label(n: OsdNode, palette: dict[str, str]) -> Text:
    t = Text()
    if n.type != "osd":
        t.append(f"{safe(n.type, 32)} ", style=palette["muted"])
        t.append(safe(n.name, 100), style="bold")
        if n.crush_weight is not None:
            t.append(f"  w {n.crush_weight:g}", style=palette["muted"])
        return t
    up = n.status == "up"
    is_in = (n.reweight or 0.0) > 0.0
    t.append(safe(n.name, 100), style="bold")
    t.append("  ")
    t.append("up" if up else "DOWN", style=palette["ok"] if up else f"bold {palette['err']}")
    t.append(" ")
    t.append("in" if is_in else "OUT", style=palette["ok"] if is_in else f"bold {palette['warn']}")
    if n.crush_weight is not None:
        t.append(f"  weight {n.crush_weight:g}", style=palette["muted"])
    if n.reweight is not None and 0.0 < n.reweight < 1.0:
        t.append(f"  reweight {n.reweight:.2f}", style=palette["muted"])
    return t


def tree_shape(tree: CephOsdTree) -> tuple:
    return tuple(sorted((n.id, n.children) for n in tree.nodes))


def pool_lines(pools: CephPools, palette: dict[str, str], width: int = 20) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    ratio = pools.used_ratio
    t.append("raw ", style=palette["muted"])
    t.append(bar(ratio, width), style=ratio_style(ratio, palette))
    t.append(f" {ratio * 100:5.1f}%  {human_bytes(pools.used_raw_bytes)} used, {human_bytes(pools.avail_bytes)} avail of {human_bytes(pools.total_bytes)}")
    names = {p.id: safe(p.name, 64) for p in pools.pools}
    name_w = max([len(n) for n in names.values()] + [4])
    for p in sorted(pools.pools, key=lambda p: p.name):
        t.append("\n")
        t.append(names[p.id].ljust(name_w), style="bold")
        t.append(" ")
        t.append(bar(p.percent_used, width), style=ratio_style(p.percent_used, palette))
        t.append(f" {p.percent_used * 100:5.1f}%  {human_bytes(p.stored)} stored  {p.objects} objects  max avail {human_bytes(p.max_avail)}")
    return t


def log_line(ev: Event, palette: dict[str, str]) -> Text:
    import time as _time

    style = {"error": f"bold {palette['err']}", "warn": palette["warn"], "debug": palette["muted"]}.get(ev.severity, "")
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(_time.strftime("%H:%M:%S ", _time.localtime(ev.time)), style=palette["muted"])
    tag = {"error": "ERR", "warn": "WRN", "debug": "DBG"}.get(ev.severity, "INF")
    t.append(f"[{tag}] ", style=style)
    t.append(safe(ev.message), style=style)
    return t


def badge_text(entries: Sequence[tuple[str, str | None, float | None, str | None]], now: float) -> Text:
    """entries: (cluster, health or None, since, error). Text only; the colour is the widget's class."""
    t = Text(no_wrap=True, overflow="ellipsis")
    for i, (name, health, since, error) in enumerate(entries):
        if i:
            t.append(" · ")
        name = safe(name, 32)
        if error:
            t.append(f"CEPH {name} UNREACHABLE")
        else:
            t.append(f"{health or 'HEALTH_?'} {name}" if len(entries) == 1 else f"{name} {HEALTH_SHORT.get(health or '', '?')}")
        if since is not None:
            t.append(f" {human_age(now - since)}")
    return t
