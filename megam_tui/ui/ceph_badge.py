"""CephBadge: the header's always-visible Ceph health (worst cluster wins the colour).

The app calls `apply(obj)` with everything every layer emits; the badge keeps
only Ceph statuses and Ceph reachability. HEALTH_WARN is an alarm (warning
background, bold), HEALTH_ERR and unreachable are errors; colours are the
theme's $success / $warning / $error.
"""

from __future__ import annotations

import time
from typing import Any

from textual.widgets import Static

from megam_tui.models import HEALTH_ORDER, BackendState, CephStatus
from megam_tui.ui import ceph_format as fmt
from megam_tui.ui.heartbeat import on_heartbeat

_CLASSES = ("-ok", "-warn", "-err", "-unknown")


class CephBadge(Static):
    DEFAULT_CSS = """
    CephBadge { width: auto; height: 1; padding: 0 1; text-style: bold; background: $panel; color: $text-muted; }
    CephBadge.-ok { background: $success; color: $text; }
    CephBadge.-warn { background: $warning; color: $text; text-style: bold; }
    CephBadge.-err { background: $error; color: $text; text-style: bold; }
    CephBadge.-unknown { background: $error-darken-2; color: $text; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.health: dict[str, str] = {}  # cluster -> HEALTH_*
        self.since: dict[str, float] = {}  # cluster -> wall time of the last change
        self.errors: dict[str, str | None] = {}  # cluster -> unreachable reason
        self.display = False
        self._drawn: tuple | None = None

    def on_mount(self) -> None:
        on_heartbeat(self, self._redraw)

    def apply(self, obj: Any, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if isinstance(obj, CephStatus):
            if self.health.get(obj.cluster) != obj.health:
                self.health[obj.cluster] = obj.health
                self.since[obj.cluster] = now
            self.errors[obj.cluster] = None
        elif isinstance(obj, BackendState) and obj.layer == "ceph":
            was = self.errors.get(obj.name)
            self.errors[obj.name] = None if obj.ok else (obj.error or "unreachable")
            if (was is None) != (self.errors[obj.name] is None) and not obj.ok:
                self.since[obj.name] = now
        else:
            return
        self._redraw(now)

    @property
    def level(self) -> str:
        """ok | warn | err | unknown: the worst of all clusters."""
        if not self.health and not self.errors:
            return "unknown"
        if any(self.errors.values()):
            return "err"
        worst = max(self.health.values(), key=lambda h: HEALTH_ORDER.get(h, 2), default=None)
        return fmt.health_key(worst) if worst else "unknown"

    def _redraw(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        names = sorted(set(self.health) | set(self.errors))
        if not names:
            return
        self.display = True
        # worst first so a narrow header still shows the alarm
        names.sort(key=lambda n: (0 if self.errors.get(n) else 1, -HEALTH_ORDER.get(self.health.get(n, ""), 3), n))
        entries = [(n, self.health.get(n), self.since.get(n), self.errors.get(n)) for n in names]
        level = self.level
        for cls in _CLASSES:
            self.set_class(cls == f"-{level}", cls)
        text = fmt.badge_text(entries, now)
        sig = fmt.text_sig(text)
        if sig != self._drawn:  # the 1 s tick repaints only when the text changed
            same_width = self._drawn is not None and len(self._drawn[0]) == len(sig[0])
            self._drawn = sig
            self.update(text, layout=not same_width)
