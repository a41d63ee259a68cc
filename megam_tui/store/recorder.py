"""`megam-tui record`: the layers run headless and everything they emit goes to the store.

The same path as the console's: every object made terminal-safe (sanitize), events
stored, figures rolled up per minute, reachability changes turned into events for
the layers that do not report their own. The recorder holds the store's recorder
lock, so a console started meanwhile leaves the layers' records to it.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

from megam_tui.models import BackendState, Event
from megam_tui.sanitize import sanitize
from megam_tui.store.writer import StoreWriter


class Recorder:
    def __init__(self, layers: dict[str, Any], writer: StoreWriter) -> None:
        self.layers = layers
        self.writer = writer
        self.states: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()

    def emit(self, layer: str, obj: Any) -> None:
        obj = sanitize(obj)
        if isinstance(obj, BackendState):
            self._state(layer, obj)
        self.writer.record(layer, obj)

    def _state(self, layer: str, st: BackendState) -> None:
        with self._lock:
            old = self.states.get((layer, st.name))
            self.states[(layer, st.name)] = st.ok
        if (old is None and st.ok) or old == st.ok:
            return
        if getattr(self.layers.get(layer), "reports_reachability", False):
            return
        msg = f"{st.name}: back" if st.ok else f"{st.name}: {st.error}"
        self.writer.record_event(Event(time.time(), layer, "info" if st.ok else "error", st.name, msg, kind="reachability"))

    def start(self, configured: Any) -> list[str]:
        """Start every configured layer on its own thread; the names started."""
        started = []
        for name, layer in self.layers.items():
            if not configured(name):
                continue
            threading.Thread(target=self._start_one, args=(name, layer), name=f"record-{name}", daemon=True).start()
            started.append(name)
        return started

    def _start_one(self, name: str, layer: Any) -> None:
        emit = partial(self.emit, name)
        try:
            layer.start(emit)
        except Exception as exc:  # noqa: BLE001 - recorded, the others go on
            emit(BackendState(name, name, False, f"{name} failed to start: {exc}"))
