"""ImagesScreen: images of every engine; remove, prune, pull (as jobs)."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from megam_tui.ui.containers_format import human_bytes, human_duration
from megam_tui.ui.messages import RunAction


class ImagesScreen(Screen[None]):
    DEFAULT_CSS = """
    ImagesScreen #images-title { height: 1; background: $panel; text-style: bold; }
    ImagesScreen #images-status { height: 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="images.close"),
        Binding("r", "refresh", "Refresh", id="images.refresh"),
        Binding("D", "remove", "Remove", id="images.remove"),
        Binding("X", "prune", "Prune dangling", id="images.prune"),
        Binding("P", "pull", "Pull", id="images.pull"),
    ]

    def __init__(self, engines: list[str]) -> None:
        super().__init__()
        self.engines = engines
        self.images: dict[str, Any] = {}  # engine -> ImagesSnapshot

    def compose(self) -> ComposeResult:
        yield Static(Text("Images"), id="images-title")
        table: DataTable[Any] = DataTable(id="images-table", cursor_type="row")
        for key, label in (("engine", "ENGINE"), ("tags", "TAGS"), ("id", "ID"), ("size", "SIZE"), ("age", "CREATED")):
            table.add_column(label, key=key)
        yield table
        yield Static("", id="images-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        for e in self.engines:
            self.post_message(RunAction("docker", "images_list", [e], {}))

    def feed(self, snap: Any) -> None:
        self.images[snap.engine] = snap
        if not self.is_mounted:
            return
        table = self.query_one(DataTable)
        table.clear()
        errors = []
        now = time.time()
        for engine in sorted(self.images):
            s = self.images[engine]
            if s.error:
                errors.append(f"{engine}: {s.error}")
            for img in s.images:
                table.add_row(
                    Text(engine), Text(", ".join(img.tags) or "<none>"), Text(img.id.split(":")[-1][:12]),
                    Text(human_bytes(img.size), justify="right"), Text(human_duration(now - img.created)),
                    key=f"{engine}/{img.id}",
                )
        self.query_one("#images-status", Static).update(Text("; ".join(errors) or f"{table.row_count} images"))

    def _key(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_remove(self) -> None:
        key = self._key()
        if key:
            self.post_message(RunAction("docker", "image_remove", [key], {}))

    def action_prune(self) -> None:
        """Prune dangling images, after a yes/no (whatever the config's `confirm:` says)."""
        from megam_tui.ui.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                for e in self.engines:
                    self.post_message(RunAction("docker", "image_prune", [e], {}))

        self.app.push_screen(ConfirmScreen("prune dangling images on", list(self.engines)), answered)

    def action_pull(self) -> None:
        from megam_tui.ui.containers_run_form import PullImageScreen

        engine = self.engines[0]

        def done(image: str | None) -> None:
            if image:
                self.post_message(RunAction("docker", "pull", [engine], {"image": image}))

        self.app.push_screen(PullImageScreen(engine), done)

    def action_close(self) -> None:
        self.dismiss(None)
