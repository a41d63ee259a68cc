"""The header strip: app name, READ-ONLY marker, local host load, Ceph badge, clock."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from megam_tui.ui.heartbeat import on_heartbeat
from megam_tui.ui.steady import moved


def human_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "K", "M", "G", "T", "P"):
        if abs(n) < 1024 or unit == "P":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}P"


class LocalLoad(Static):
    """CPU / memory / load of the machine megam-tui runs on (fed by the app)."""

    DEFAULT_CSS = "LocalLoad { width: 56; padding: 0 1; }"  # fixed width: an update never re-lays out the screen

    _shown: tuple[float, int, int, tuple[float, float, float]] | None = None

    def set_metrics(self, cpu: float, mem_used: int, mem_total: int, load: tuple[float, float, float]) -> None:
        old = self._shown
        if old is not None and not (
            moved(old[0], cpu, 2.0, 0.10)
            or moved(float(old[1]), float(mem_used), 1.0, 0.01)
            or old[2] != mem_total
            or any(moved(a, b, 0.05, 0.10) for a, b in zip(old[3], load))
        ):
            return  # noise: keep the figures (see ui.steady)
        self._shown = (cpu, mem_used, mem_total, load)
        pct = 100.0 * mem_used / mem_total if mem_total else 0.0
        style = "bold red" if cpu > 90 or pct > 90 else ""
        text = Text.assemble(
            ("cpu ", "dim"), (f"{cpu:4.1f}%", style), ("  mem ", "dim"),
            (f"{human_bytes(mem_used)}/{human_bytes(mem_total)}", style),
            ("  load ", "dim"), f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        )
        self.update(text, layout=False)


class Clock(Static):
    """HH:MM, redrawn on the app's heartbeat (a seconds display would cost a frame every second)."""

    DEFAULT_CSS = "Clock { width: 7; content-align: right middle; padding: 0 1; }"

    frozen: str | None = None  # fixed text for snapshot tests
    _shown: str = ""

    def on_mount(self) -> None:
        self._tick()
        on_heartbeat(self, self._tick)

    def _tick(self) -> None:
        text = self.frozen or time.strftime("%H:%M")
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)  # fixed width: repaint only this widget


class HeaderBar(Horizontal):
    DEFAULT_CSS = """
    HeaderBar { height: 1; background: $panel; dock: top; }
    HeaderBar #app-name { width: auto; padding: 0 1; text-style: bold; color: $accent; }
    HeaderBar #read-only { width: auto; padding: 0 1; background: $warning; color: $text; text-style: bold; display: none; }
    HeaderBar.-read-only #read-only { display: block; }
    HeaderBar #badge-slot { width: 1fr; height: 1; align-horizontal: center; }
    """

    read_only: reactive[bool] = reactive(False)

    def compose(self) -> ComposeResult:
        yield Static("megam", id="app-name")
        yield Static("READ-ONLY", id="read-only")
        yield LocalLoad(id="local-load")
        yield Horizontal(id="badge-slot")
        yield Clock(id="clock")

    def watch_read_only(self, value: bool) -> None:
        self.set_class(value, "-read-only")
