"""A yes/no modal for actions listed in config `confirm:`."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 70; height: auto; max-height: 80%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen #confirm-question { margin-bottom: 1; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, action: str, targets: list[str]) -> None:
        super().__init__()
        self.action_name = action
        self.targets = targets
        shown = ", ".join(self.targets[:8]) + (f" … (+{len(self.targets) - 8})" if len(self.targets) > 8 else "")
        self.question = Text.assemble((self.action_name, "bold"), " ", shown, "?")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="confirm-question")
            with Horizontal():
                yield Button("No", id="no", variant="primary")
                yield Button(f"Yes, {self.action_name}", id="yes", variant="error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
