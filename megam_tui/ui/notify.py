"""Rate-limited notifications for state changes that matter."""

from __future__ import annotations

import time
from typing import Any

from megam_tui.models import Event

# event kinds worth a toast even at "warn"/"info" severity
NOTABLE_KINDS = {"die", "oom", "health", "health_status", "reachability", "crashed", "stopped", "OSD_DOWN"}


class Notifier:
    """At most one toast per (layer, source, object, kind) per `per_key` seconds
    and at most `burst` toasts per `window` seconds overall; the rest go to the
    timeline only (they are never lost)."""

    def __init__(self, app: Any, per_key: float = 10.0, burst: int = 5, window: float = 10.0) -> None:
        self.app = app
        self.per_key = per_key
        self.burst = burst
        self.window = window
        self._last: dict[tuple[str, str, str, str], float] = {}
        self._recent: list[float] = []
        self.suppressed = 0

    PRUNE_AT = 256  # keys remembered before the expired ones are dropped

    def _prune(self, now: float) -> None:
        """Forget keys whose rate limit has run out (objects come and go: ids, names, checks)."""
        self._last = {k: t for k, t in self._last.items() if now - t < self.per_key}

    def wants(self, ev: Event) -> bool:
        if ev.layer == "job":
            return False  # jobs notify on their own
        if ev.kind.startswith("log"):
            return False  # cluster-log lines go to the timeline; the health change itself is notified
        return ev.severity in ("warn", "error") or ev.kind in NOTABLE_KINDS and ev.severity != "debug"

    def event(self, ev: Event, now: float | None = None) -> bool:
        if not self.wants(ev):
            return False
        now = time.monotonic() if now is None else now
        key = (ev.layer, ev.source, ev.object, ev.kind)
        if now - self._last.get(key, -1e9) < self.per_key:
            self.suppressed += 1
            return False
        self._recent = [t for t in self._recent if now - t < self.window]
        if len(self._recent) >= self.burst:
            self.suppressed += 1
            return False
        if len(self._last) >= self.PRUNE_AT:
            self._prune(now)
        self._last[key] = now
        self._recent.append(now)
        severity = {"error": "error", "warn": "warning"}.get(ev.severity, "information")
        title = f"{ev.layer} · {ev.source}"
        self.app.notify(f"{ev.object + ': ' if ev.object else ''}{ev.message}", title=title, severity=severity, markup=False)
        if ev.severity in ("warn", "error") and getattr(self.app.settings, "bell", False):
            self.app.bell()
        return True
