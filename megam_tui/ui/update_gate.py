"""UpdateGate: periodic layer updates wait for the app's heartbeat, so one frame paints them all.

Every layer polls on its own phase (stats, host probes, libvirt, Ceph status), so
applying each result when it arrives costs one screen frame per result — about five
frames a second on a full dashboard, each a compositor pass over the whole screen.
A pane says which of its objects are routine (`hold_key(obj)` returns a key) and
which are news (`None`: a state change, the first answer, an event). Routine ones
are held here, the newest per key, until the heartbeat applies them together.

Ordering is kept: before an object that is not held is applied, everything held
for the same layer is applied first (in arrival order), so a held snapshot can
never overwrite a newer state change.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


class UpdateGate:
    def __init__(self) -> None:
        self._held: dict[str, dict[Hashable, Any]] = {}

    def hold(self, layer: str, key: Hashable, obj: Any) -> None:
        """Keep `obj` until the heartbeat; a newer object with the same key replaces it."""
        self._held.setdefault(layer, {})[key] = obj

    def take(self, layer: str) -> list[Any]:
        """Everything held for `layer`, oldest first; the gate forgets them."""
        return list(self._held.pop(layer, {}).values())

    def take_all(self) -> list[tuple[str, Any]]:
        held, self._held = self._held, {}
        return [(layer, obj) for layer, objs in held.items() for obj in objs.values()]

    def __len__(self) -> int:
        return sum(len(objs) for objs in self._held.values())
