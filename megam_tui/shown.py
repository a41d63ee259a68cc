"""What the screen shows of each object an action can target: its name and its state.

Action targets are keys ("engine/containerid", "hypervisor/domain", "cluster/osd.2", a host
name). An auditor, and a confirmation question, need the name the operator saw, and the word
for what a toggle is about to do ("stop", not "toggle"). The app feeds every layer update
here (UI thread); lookups are plain dict reads. Removed containers keep their name, so the
audit line of a `remove` still says what was removed. Headless: no Textual.
"""

from __future__ import annotations

import collections
from typing import Any

from megam_tui.backends.docker_models import ContainerRemoved, container_key

MAX_SHOWN = 20_000
INACTIVE_VM_STATES = ("shut off", "shutoff", "crashed", "pmsuspended", "nostate", "")
# toggles as the operator reads them: (layer, action) -> (state test, word if true, word if false)
TOGGLES: dict[tuple[str, str], tuple[tuple[str, ...], str, str]] = {
    ("docker", "toggle"): (("running", "restarting"), "stop", "start"),
    ("docker", "pause_toggle"): (("paused",), "unpause", "pause"),
    ("libvirt", "toggle"): (INACTIVE_VM_STATES, "start", "shutdown"),
    ("libvirt", "toggle_pause"): (("paused", "pmsuspended"), "resume", "suspend"),
}
WORDS = {"force_off": "force off", "set_flag": "set flag", "unset_flag": "unset flag", "osd_out": "mark out", "osd_in": "mark in"}


class ShownObjects:
    """(layer, key) -> (name, state) as last shown; bounded, oldest first out."""

    def __init__(self, cap: int = MAX_SHOWN) -> None:
        self.cap = cap
        self._seen: collections.OrderedDict[tuple[str, str], tuple[str, str]] = collections.OrderedDict()

    def observe(self, layer: str, obj: Any) -> None:
        if isinstance(obj, ContainerRemoved):
            old = self._seen.get((layer, container_key(obj.engine, obj.id)))
            if old is not None:
                self._put(layer, container_key(obj.engine, obj.id), old[0], "removed")
            return
        items = getattr(obj, "containers", None) or getattr(obj, "domains", None)
        if items is None:
            items = [getattr(obj, "container", obj)]
        if not isinstance(items, (list, tuple)):
            return
        for item in items:
            key = _key_of(item)
            if key is not None:
                self._put(layer, key, str(item.name), str(getattr(item, "state", "") or ""))

    def _put(self, layer: str, key: str, name: str, state: str) -> None:
        self._seen.pop((layer, key), None)
        self._seen[(layer, key)] = (name, state)
        while len(self._seen) > self.cap:
            self._seen.popitem(last=False)

    def state(self, layer: str, key: str) -> str | None:
        seen = self._seen.get((layer, key))
        return seen[1] if seen else None

    def name(self, layer: str, action: str, key: str, params: dict[str, Any] | None = None) -> str:
        """The name the operator saw for `key` (the key itself when nothing better is known)."""
        params = params or {}
        seen = self._seen.get((layer, key))
        if seen is not None:
            return seen[0]
        if layer == "ceph" and "flag" in params:
            return f"flag {params['flag']}"
        if layer == "ceph" and "code" in params:
            return f"check {params['code']}"
        if layer in ("libvirt", "ceph") and "/" in key:
            return key.partition("/")[2]
        return key

    def word(self, layer: str, action: str, key: str) -> str:
        """The action in operator words: a toggle says which way it goes by the state shown."""
        toggle = TOGGLES.get((layer, action))
        if toggle is not None:
            state = self.state(layer, key)
            if state is not None:
                states, yes, no = toggle
                return yes if state.lower() in states else no
        return WORDS.get(action, action.replace("_", " "))


def _key_of(item: Any) -> str | None:
    name = getattr(item, "name", None)
    if not isinstance(name, str) or not name:
        return None
    engine, cid = getattr(item, "engine", None), getattr(item, "id", None)
    if isinstance(engine, str) and isinstance(cid, str) and cid:
        return container_key(engine, cid)
    hv = getattr(item, "hypervisor", None)
    if isinstance(hv, str) and hv:
        return f"{hv}/{name}"
    return None
