"""LogsScreen: live follow of one or several containers, merged.

Fed by the Containers pane with LogBatch objects (`feed`). Keys: p pause /
resume, t timestamps, w wrap, / search (n / N next / previous), ctrl+s save
to a file, End follow, escape / q close.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from megam_tui.ui.logs_view import Entry, LogView

_SGR = re.compile(r"\x1b\[[0-9;:]*m")


class LogsScreen(Screen[None]):
    DEFAULT_CSS = """
    LogsScreen #logs-title { height: 1; background: $panel; color: $text; text-style: bold; }
    LogsScreen #logs-status { height: 1; color: $text-muted; }
    LogsScreen #logs-search { display: none; }
    LogsScreen.-searching #logs-search { display: block; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="logs.close"),
        Binding("p", "pause", "Pause/Resume", id="logs.pause"),
        Binding("t", "timestamps", "Timestamps", id="logs.timestamps"),
        Binding("w", "wrap", "Wrap", id="logs.wrap"),
        Binding("slash", "search", "Search", id="logs.search"),
        Binding("n", "next", "Next", id="logs.next"),
        Binding("N", "prev", "Prev", id="logs.prev"),
        Binding("ctrl+s", "save", "Save", id="logs.save"),
        Binding("end", "follow", "Follow", id="logs.follow"),
    ]

    def __init__(self, session: str, names: dict[str, str], max_lines: int = 10_000, save_dir: Path | None = None) -> None:
        super().__init__()
        self.session = session
        self.names = names  # key -> container name
        self.max_lines = max_lines * max(1, len(names))
        self.paused = False
        self._held: list[Entry] = []
        self.notice = ""
        self.received = 0
        self.skipped = 0
        self.save_dir = save_dir or Path(os.environ.get("MEGAM_HOME") or Path("~/.local/share/megam").expanduser()) / "logs"

    def compose(self) -> ComposeResult:
        title = Text("Logs: ", style="bold")
        title.append(", ".join(self.names.values()))
        yield Static(title, id="logs-title")
        view = LogView(max_lines=self.max_lines, id="logs-view")
        view.show_names = len(self.names) > 1
        yield view
        yield Input(placeholder="search (Enter: find, Escape: cancel)", id="logs-search")
        yield Static("", id="logs-status")
        yield Footer()

    @property
    def view(self) -> LogView:
        return self.query_one("#logs-view", LogView)

    def on_mount(self) -> None:
        self.view.focus()
        self._status()

    # ------------------------------------------------------------------ feed
    def feed(self, batch: Any) -> None:
        if batch.notice:
            self.notice = batch.notice
        entries = [Entry(ln.name, ln.time, ln.text) for ln in batch.lines]
        self.received += len(entries)
        # lines the layer's bounded buffer let go while the screen was behind: counted, never silent
        self.skipped += getattr(batch, "dropped", 0) or 0
        if self.paused:
            self._held.extend(entries)
            over = len(self._held) - self.max_lines
            if over > 0:  # the oldest held lines would be trimmed on resume anyway: counted now
                del self._held[:over]
                if self.is_mounted:
                    self.view.dropped += over
        elif self.is_mounted:
            self.view.append(entries)
        else:
            self._held.extend(entries)
        self._status()

    def _status(self) -> None:
        if not self.is_mounted:
            return
        v = self.view
        parts = [f"{len(v.entries)} lines"]
        if self.paused:
            parts.append(f"PAUSED (+{len(self._held)} new)")
        elif not v.follow:
            parts.append("scrolled (End to follow)")
        if v.search:
            parts.append(f"search {v.search!r}: {v.matches()} matching lines")
        if v.dropped:
            parts.append(f"{v.dropped} old lines dropped (limit {v.max_lines})")
        if self.skipped:
            parts.append(f"{self.skipped} lines skipped while the view was behind")
        if self.notice:
            parts.append(self.notice)
        self.query_one("#logs-status", Static).update(Text(" · ".join(parts)))

    # ------------------------------------------------------------------ actions
    def action_close(self) -> None:
        if self.has_class("-searching"):
            self._end_search()
            return
        self.dismiss(None)

    def action_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused and self._held:
            held, self._held = self._held, []
            self.view.append(held)
        self._status()

    def action_timestamps(self) -> None:
        self.view.set_option(show_time=not self.view.show_time)

    def action_wrap(self) -> None:
        self.view.set_option(wrap=not self.view.wrap)

    def action_follow(self) -> None:
        v = self.view
        v.follow = True
        v.current_match = None
        v.scroll_end(animate=False)
        self._status()

    def action_search(self) -> None:
        self.add_class("-searching")
        box = self.query_one("#logs-search", Input)
        box.value = self.view.search
        box.focus()

    @on(Input.Submitted, "#logs-search")
    def _search(self, event: Input.Submitted) -> None:
        v = self.view
        v.set_option(search=event.value, current_match=None)
        self._end_search()
        self.action_next()

    def _end_search(self) -> None:
        self.remove_class("-searching")
        self.view.focus()
        self._status()

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and self.has_class("-searching"):
            event.stop()
            self._end_search()

    def _go(self, forward: bool) -> None:
        v = self.view
        if not v.search:
            self.notify("no search term: press /", severity="warning")
            return
        i = v.find(v.search, forward)
        if i is None:
            self.notify(f"not found: {v.search}", severity="warning")
            return
        v.show_match(i)
        self._status()

    def action_next(self) -> None:
        self._go(True)

    def action_prev(self) -> None:
        self._go(False)

    def action_save(self) -> None:
        lines = [(e.name, e.time, _SGR.sub("", e.text)) for e in self.view.entries]
        self._save(lines)

    @work(thread=True, exclusive=True, group="logs-save")
    def _save(self, lines: list[tuple[str, float | None, str]]) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        names = "+".join(sorted(self.names.values()))[:80].replace("/", "_")
        path = self.save_dir / f"{names}-{stamp}.log"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                for name, t, text in lines:
                    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t)) if t else ""
                    fh.write(f"{name} {ts} {text}\n" if len(self.names) > 1 else f"{ts} {text}\n")
        except OSError as exc:
            self.app.call_from_thread(self.notify, f"save failed: {exc.strerror or exc}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"saved {len(lines)} lines to {path}")
