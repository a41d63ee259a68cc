"""ServicesScreen: Swarm services (mode, replicas running/desired, image, ports); +/- scale."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from megam_tui.ui.messages import RunAction


class ServicesScreen(Screen[None]):
    DEFAULT_CSS = """
    ServicesScreen #services-title { height: 1; background: $panel; text-style: bold; }
    ServicesScreen #services-status { height: 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="services.close"),
        Binding("plus,equals_sign", "scale(1)", "Scale +1", id="services.scale_up"),
        Binding("minus", "scale(-1)", "Scale -1", id="services.scale_down"),
        Binding("r", "refresh", "Refresh", id="services.refresh"),
        Binding("l", "logs", "Logs", id="services.logs"),
    ]

    def __init__(self, engines: list[str], refresh_every: float = 2.0, open_logs: Any = None) -> None:
        super().__init__()
        self.engines = engines
        self.open_logs = open_logs
        self.refresh_every = refresh_every
        self.snaps: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text("Swarm services"), id="services-title")
        table: DataTable[Any] = DataTable(id="services-table", cursor_type="row")
        for key, label in (("engine", "ENGINE"), ("name", "NAME"), ("mode", "MODE"), ("replicas", "REPLICAS"), ("image", "IMAGE"), ("ports", "PORTS")):
            table.add_column(label, key=key)
        yield table
        yield Static("", id="services-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.action_refresh()
        self.set_interval(self.refresh_every, self.action_refresh)

    def action_refresh(self) -> None:
        for e in self.engines:
            self.post_message(RunAction("docker", "services_list", [e], {}))

    def feed(self, snap: Any) -> None:
        self.snaps[snap.engine] = snap
        if not self.is_mounted:
            return
        table = self.query_one(DataTable)
        rows = {}
        notes = []
        for engine in sorted(self.snaps):
            s = self.snaps[engine]
            if s.error:
                notes.append(f"{engine}: {s.error}")
            elif not s.swarm:
                notes.append(f"{engine}: not a swarm manager")
            for svc in s.services:
                desired = "-" if svc.replicas_desired is None else str(svc.replicas_desired)
                style = "green" if svc.replicas_desired is None or svc.replicas_running >= svc.replicas_desired else "yellow"
                rows[f"{engine}/{svc.id}"] = (
                    Text(engine), Text(svc.name), Text(svc.mode), Text(f"{svc.replicas_running}/{desired}", style=style), Text(svc.image), Text(svc.ports),
                )
        current = {r.key.value for r in table.ordered_rows}
        for key in current - set(rows):
            table.remove_row(key)
        for key, values in rows.items():
            if key in current:
                for col, v in zip(("engine", "name", "mode", "replicas", "image", "ports"), values):
                    table.update_cell(key, col, v)
            else:
                table.add_row(*values, key=key)
        self.query_one("#services-status", Static).update(Text("; ".join(notes) or f"{len(rows)} services"))

    def action_scale(self, delta: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            self.notify("no service", severity="warning")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.post_message(RunAction("docker", "service_scale", [key], {"delta": delta}))

    def action_logs(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0 or self.open_logs is None:
            self.notify("no service", severity="warning")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        name = table.get_cell(key, "name").plain
        self.open_logs([key], {key: name}, {"service": True, "name": name})

    def action_close(self) -> None:
        self.dismiss(None)
