"""Messages that cross between panes and the app shell."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from megam_tui.sanitize import sanitize


class LayerUpdate(Message):
    """A backend layer emitted a model object (delivered on the UI thread).

    The app routes it to the pane of `layer` (`pane.apply(obj)`) and, when
    `obj` is a models.Event, to the event timeline as well.

    Every string inside `obj` is made terminal-safe here (megam_tui.sanitize),
    in the thread that builds the message (the layer's own thread), so no
    control sequence from an engine or host can reach the UI.
    """

    def __init__(self, layer: str, obj: Any, *, sanitized: bool = False, counted: bool = False) -> None:
        super().__init__()
        self.layer = layer
        self.obj = obj if sanitized else sanitize(obj)
        self.counted = counted  # MegamApp._emit counted it as the layer's news in flight


class RunAction(Message):
    """A pane asks for an action; the app turns it into a job per target.

    `action` is a name the layer's `run_action` understands (e.g. "stop").
    `targets` are the layer's object keys (e.g. "engine/containerid",
    "hypervisor/domain", host names). The app applies confirm / read-only
    policy before submitting.
    """

    def __init__(self, layer: str, action: str, targets: list[str], params: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.layer = layer
        self.action = action
        self.targets = list(targets)
        self.params = dict(params or {})
