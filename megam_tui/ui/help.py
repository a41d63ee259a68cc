"""`?`: help generated from the bindings active where the user pressed it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def bindings_text(active: dict) -> Text:
    """One line per active binding: key, description, binding id."""
    text = Text()
    rows = []
    for key, active_binding in active.items():
        binding = active_binding.binding
        desc = binding.description or binding.action
        rows.append((active_binding.node.__class__.__name__, key, desc, binding.id or ""))
    rows.sort(key=lambda r: (r[0] != "MegamApp", r[0], r[1]))
    current = None
    for owner, key, desc, bid in rows:
        if owner != current:
            current = owner
            text.append(f"\n{'Everywhere' if owner == 'MegamApp' else owner}\n", style="bold underline")
        text.append(f"  {key:>12}  ", style="bold")
        text.append(f"{desc:<28}")
        text.append(f" {bid}\n", style="dim")
    text.append("\nRemap any key in the config: keys: {<binding id>: <key>}\n", style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 80; max-width: 95%; height: 80%; border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]

    def __init__(self, active: dict) -> None:
        super().__init__()
        self.help_text = bindings_text(active)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.help_text)
