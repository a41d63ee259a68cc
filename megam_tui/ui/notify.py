"""Notifications for state changes that matter: rate-limited, and coalesced per layer.

Events that want a toast are held for `coalesce` seconds per layer; one alone is shown as it is,
several become one toast ("4 of 7 hosts unreachable: refused, silent, badauth, changedkey"), so a
start with broken hosts or an incident never raises a wall of toasts. The timeline keeps every
event; nothing here drops one from it.
"""

from __future__ import annotations

import time
from typing import Any

from megam_tui.models import Event

# event kinds worth a toast even at "warn"/"info" severity
NOTABLE_KINDS = {"die", "oom", "health", "health_status", "reachability", "crashed", "stopped", "OSD_DOWN"}
NOUNS = {"ssh": "hosts", "docker": "engines", "libvirt": "hypervisors", "ceph": "clusters"}
SEVERITY = {"error": "error", "warn": "warning"}
RANK = {"error": 2, "warn": 1}
NAMES_SHOWN = 6
LINES_SHOWN = 3


class Notifier:
    """At most one toast per (layer, source, object, kind) per `per_key` seconds, events of one
    layer within `coalesce` seconds merged into one toast, and at most `burst` toasts per
    `window` seconds overall; the rest go to the timeline only (they are never lost)."""

    def __init__(self, app: Any, per_key: float = 10.0, burst: int = 5, window: float = 10.0, coalesce: float = 0.0) -> None:
        self.app = app
        self.per_key = per_key
        self.burst = burst
        self.window = window
        self.coalesce = coalesce
        self._last: dict[tuple[str, str, str, str], float] = {}
        self._recent: list[float] = []
        self._pending: dict[str, list[Event]] = {}
        self._hold_until = 0.0
        self.suppressed = 0  # events that wanted a toast and got none (rate limits)
        self.coalesced = 0  # events shown inside another event's toast
        self.toasts = 0

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
        """True when `ev` will be shown (now, or in its layer's coalesced toast)."""
        if not self.wants(ev):
            return False
        now = time.monotonic() if now is None else now
        key = (ev.layer, ev.source, ev.object, ev.kind)
        if now - self._last.get(key, -1e9) < self.per_key:
            self.suppressed += 1
            return False
        if len(self._last) >= self.PRUNE_AT:
            self._prune(now)
        self._last[key] = now
        return self._queue(ev, now, self._hold_until)

    def job(self, ev: Event, now: float | None = None) -> bool:
        """A finished job (layer "job", kind = its final state): its toast is coalesced with those
        of the jobs finishing with it ("12 jobs: 10 done, 2 failed")."""
        return self._queue(ev, time.monotonic() if now is None else now, 0.0)

    def _queue(self, ev: Event, now: float, hold_until: float) -> bool:
        pending = self._pending.get(ev.layer)
        if pending is not None:
            pending.append(ev)
            return True
        set_timer = getattr(self.app, "set_timer", None)
        if self.coalesce <= 0 or set_timer is None:
            return self._show([ev], now)
        self._pending[ev.layer] = [ev]
        set_timer(max(self.coalesce, hold_until - now), lambda: self.flush(ev.layer))
        return True

    def hold_until(self, deadline: float) -> None:
        """Hold every toast until `deadline` (monotonic): the start-up, when engines and hosts
        answer (or fail) one after the other, ends in one toast per layer."""
        self._hold_until = deadline

    def flush(self, layer: str | None = None) -> None:
        """Show what is held for `layer` (every layer when None)."""
        for name in [layer] if layer is not None else list(self._pending):
            held = self._pending.pop(name, None)
            if held:
                self._show(held, time.monotonic())

    def _show(self, events: list[Event], now: float) -> bool:
        self._recent = [t for t in self._recent if now - t < self.window]
        if len(self._recent) >= self.burst:
            self.suppressed += len(events)
            return False
        self._recent.append(now)
        self.toasts += 1
        self.coalesced += len(events) - 1
        worst = max(events, key=lambda e: RANK.get(e.severity, 0))
        severity = SEVERITY.get(worst.severity, "information")
        if len(events) == 1:
            ev = events[0]
            title, text = f"{ev.layer} · {ev.source}", f"{ev.object + ': ' if ev.object else ''}{ev.message}"
        else:
            title, text = self._summary(events)
        self.app.notify(text, title=title, severity=severity, markup=False)
        if worst.severity in ("warn", "error") and getattr(getattr(self.app, "settings", None), "bell", False):
            self.app.bell()
        return True

    def _summary(self, events: list[Event]) -> tuple[str, str]:
        layer = events[0].layer
        if layer == "job":
            counts: dict[str, int] = {}
            for e in events:
                counts[e.kind] = counts.get(e.kind, 0) + 1
            bad = [e.message for e in events if e.severity == "error"][:LINES_SHOWN]
            head = f"{len(events)} jobs: " + ", ".join(f"{n} {state}" for state, n in counts.items())
            return "jobs", "\n".join([head, *bad] + (["details in Jobs (5)"] if bad else []))
        down = [e for e in events if e.kind == "reachability" and e.severity == "error"]
        title = f"{layer} · {len(events)} events"
        if len(down) == len(events):
            names = list(dict.fromkeys(e.object or e.source for e in down))
            total = self._known(layer)
            of = f" of {total}" if total and total >= len(names) else ""
            shown = ", ".join(names[:NAMES_SHOWN]) + ("…" if len(names) > NAMES_SHOWN else "")
            return title, f"{len(names)}{of} {NOUNS.get(layer, 'objects')} unreachable: {shown}\n(details in Events: 6)"
        lines = [f"{e.object + ': ' if e.object else ''}{e.message}" for e in events[:LINES_SHOWN]]
        more = len(events) - LINES_SHOWN
        if more > 0:
            lines.append(f"+{more} more in Events (6)")
        return title, "\n".join(lines)

    def _known(self, layer: str) -> int | None:
        """How many engines / hosts / … of `layer` the app knows (for "4 of 7")."""
        known = getattr(self.app, "known_count", None)
        try:
            return known(layer) if known is not None else None
        except Exception:  # noqa: BLE001 - a count is a nicety
            return None
