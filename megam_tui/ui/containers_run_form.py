"""Modal forms of the Containers pane: run a new container, pull an image."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

FIELDS = (
    ("image", "Image", "e.g. busybox:local (pulled if missing)"),
    ("name", "Name", "optional"),
    ("command", "Command", "optional, e.g. sleep 1000"),
    ("env", "Env", "optional, NAME=value, NAME2=value"),
    ("ports", "Ports", "optional, 8080:80, 127.0.0.1:5353:53/udp"),
)


class RunContainerScreen(ModalScreen[dict[str, Any] | None]):
    DEFAULT_CSS = """
    RunContainerScreen { align: center middle; }
    RunContainerScreen > Vertical { width: 72; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    RunContainerScreen Label { margin-top: 1; }
    RunContainerScreen #run-error { color: $error; height: auto; }
    RunContainerScreen Horizontal { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="containers.form.cancel")]

    def __init__(self, engine: str) -> None:
        super().__init__()
        self.engine = engine

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Run a new container on {self.engine}", style="bold"))
            for key, label, hint in FIELDS:
                yield Label(label)
                yield Input(placeholder=hint, id=f"run-{key}")
            yield Static("", id="run-error")
            with Horizontal():
                yield Button("Run", variant="primary", id="run-ok")
                yield Button("Cancel", id="run-cancel")

    def values(self) -> dict[str, Any]:
        out = {}
        for key, _, _ in FIELDS:
            v = self.query_one(f"#run-{key}", Input).value.strip()
            if v:
                out[key] = v
        return out

    def _submit(self) -> None:
        params = self.values()
        if not params.get("image"):
            self.query_one("#run-error", Static).update(Text("an image is required"))
            self.query_one("#run-image", Input).focus()
            return
        self.dismiss(params)

    @on(Button.Pressed, "#run-ok")
    def _ok(self) -> None:
        self._submit()

    @on(Input.Submitted)
    def _enter(self) -> None:
        self._submit()

    @on(Button.Pressed, "#run-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PullImageScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PullImageScreen { align: center middle; }
    PullImageScreen > Vertical { width: 60; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="containers.pull.cancel")]

    def __init__(self, engine: str) -> None:
        super().__init__()
        self.engine = engine

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Pull an image on {self.engine} (progress in the jobs list)", style="bold"))
            yield Input(placeholder="image[:tag]", id="pull-image")

    @on(Input.Submitted, "#pull-image")
    def _ok(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
