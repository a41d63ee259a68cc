"""A titled frame around one pane: number key, title, reachability, maximize."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Vertical
from textual.reactive import reactive


class PaneFrame(Vertical, can_focus=False):
    """Holds one pane; its border title shows `N Title` and the layer's state."""

    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    PaneFrame {
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        height: 1fr;
        width: 1fr;
    }
    PaneFrame:focus-within {
        border: round $accent;
        border-title-color: $text;
    }
    PaneFrame.-down {
        border: round $error;
    }
    """

    problem: reactive[str | None] = reactive(None)

    def __init__(self, *children, key: str, title: str, layer: str, **kwargs) -> None:
        super().__init__(*children, **kwargs)
        self.key = key
        self.title = title
        self.layer_name = layer
        self._refresh_title()

    def watch_problem(self, problem: str | None) -> None:
        self.set_class(problem is not None, "-down")
        self._refresh_title()

    def _refresh_title(self) -> None:
        self.border_title = Text.assemble((f" {self.key} ", "bold"), (self.title, "bold"), " ")
        self.border_subtitle = Text(f" {self.problem} ", style="bold") if self.problem else None
