"""A plain pane used when a layer's own pane is not available.

It shows what `status` knows: reachability and the objects' names/states.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from megam_tui.models import BackendState


class FallbackPane(Static, can_focus=True):
    DEFAULT_CSS = """
    FallbackPane { height: 1fr; padding: 0 1; }
    """

    def __init__(self, layer: str, **kwargs: Any) -> None:
        super().__init__(Text(f"{layer}: waiting for the first answer…", style="dim"), **kwargs)
        self.layer_name = layer
        self.states: dict[str, BackendState] = {}
        self.items: dict[str, str] = {}

    def apply(self, obj: Any) -> None:
        if isinstance(obj, BackendState):
            self.states[obj.name] = obj
        else:
            for item in obj if isinstance(obj, (list, tuple)) else [obj]:
                name = getattr(item, "name", None)
                state = getattr(item, "state", None) or getattr(item, "health", None)
                if name is not None and state is not None:
                    self.items[str(name)] = str(state)
        self._redraw()

    def _redraw(self) -> None:
        text = Text()
        for st in self.states.values():
            if st.ok:
                text.append(f"{st.name}: ok\n", style="green")
            else:
                text.append(f"{st.name}: {st.error}\n", style="bold red")
        for name, state in sorted(self.items.items()):
            text.append(name)
            text.append(f"  {state}\n", style="dim")
        self.update(text)
