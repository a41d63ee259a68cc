"""The event timeline: one chronological, bounded, filterable stream of everything."""

from __future__ import annotations

import collections
import itertools
import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Static

from megam_tui.models import SEVERITIES, Event
from megam_tui.ui.keyed_table import KeyedTable

LAYERS = ("all", "docker", "libvirt", "ceph", "ssh", "job", "app")
SEVERITY_STYLE = {"debug": "dim", "info": "", "warn": "bold yellow", "error": "bold red"}


class TimelineTable(KeyedTable):
    """The timeline's table (rows added and removed on every flush: see KeyedTable)."""


class JumpTo(Message):
    """Enter on an event: show its object in its pane."""

    def __init__(self, layer: str, source: str, object: str) -> None:
        super().__init__()
        self.layer = layer
        self.source = source
        self.object = object


class EventsPane(Vertical):
    DEFAULT_CSS = """
    EventsPane { height: 1fr; }
    EventsPane #events-filter { display: none; height: 3; }
    EventsPane.-filtering #events-filter { display: block; }
    EventsPane #events-bar { height: 1; color: $text-muted; padding: 0 1; }
    EventsPane DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="events.filter"),
        Binding("f", "cycle_layer", "Layer", id="events.layer"),
        Binding("w", "cycle_severity", "Severity", id="events.severity"),
        Binding("escape", "clear_filter", "Clear", show=False, id="events.clear"),
    ]

    layer_filter: reactive[str] = reactive("all")
    min_severity: reactive[str] = reactive("info")
    text_filter: reactive[str] = reactive("")

    def __init__(self, max_events: int = 2000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.events: collections.deque[tuple[int, Event]] = collections.deque(maxlen=max_events)
        self._ids = itertools.count()
        self._shown: collections.deque[int] = collections.deque()
        self._pending: list[tuple[int, Event]] = []
        self._flush_timer = None
        self._last_flush = 0.0
        self._past: set[int] = set()  # ids of events loaded from the history store

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter events (substring)", id="events-filter")
        yield Static(id="events-bar")
        table = TimelineTable(id="events-table", cursor_type="row", zebra_stripes=False)
        table.add_column("time", key="time", width=8)
        table.add_column("layer", key="layer", width=7)
        table.add_column("sev", key="sev", width=5)
        table.add_column("source", key="source", width=12)
        table.add_column("object", key="object", width=18)
        table.add_column("message", key="message")
        yield table

    def on_mount(self) -> None:
        self._update_bar()

    # -- data ----------------------------------------------------------------------
    FLUSH_INTERVAL = 0.5  # at most two table updates (and layouts) a second, whatever the event rate

    def add(self, event: Event) -> None:
        """Add one event; rows are drawn at once if the table is quiet, else batched."""
        eid = next(self._ids)
        self.events.append((eid, event))
        self._pending.append((eid, event))
        now = time.monotonic()
        if self._flush_timer is None:
            if now - self._last_flush >= self.FLUSH_INTERVAL:
                self._flush()
            else:
                self._flush_timer = self.set_timer(self.FLUSH_INTERVAL - (now - self._last_flush), self._flush)

    def add_history(self, past: list[Event]) -> None:
        """Put stored events (from the history store) before the live ones, marked as history."""
        if not past:
            return
        eids = [next(self._ids) for _ in past]
        self._past.update(eids)
        live = list(self.events)
        self.events.clear()
        self.events.extend(list(zip(eids, past)) + live)  # bounded: the oldest history goes first
        # ids no longer follow time order: re-number so live rows stay after the history
        renumbered = [(next(self._ids), ev, eid in self._past) for eid, ev in self.events]
        self._past = {eid for eid, _, was_past in renumbered if was_past}
        self.events.clear()
        self.events.extend((eid, ev) for eid, ev, _ in renumbered)
        self._pending.clear()
        if self.is_mounted:
            self._rebuild()

    def _flush(self) -> None:
        self._flush_timer = None
        self._last_flush = time.monotonic()
        pending, self._pending = self._pending, []
        if not pending or not self.is_mounted:
            return
        table = self.query_one(DataTable)
        follow = table.cursor_row >= table.row_count - 2
        oldest_kept = self.events[0][0] if self.events else 0
        with self.app.batch_update():
            while self._shown and self._shown[0] < oldest_kept:  # fell out of the bounded buffer
                try:
                    table.remove_row(str(self._shown.popleft()))
                except Exception:  # noqa: BLE001 - row may already be gone
                    pass
            for eid, ev in pending:
                if eid >= oldest_kept and self._matches(ev):
                    self._add_row(eid, ev)
            if follow and table.row_count:
                table.move_cursor(row=table.row_count - 1, animate=False)
        self._update_bar()

    def _matches(self, ev: Event) -> bool:
        if self.layer_filter != "all" and ev.layer != self.layer_filter:
            return False
        if SEVERITIES.index(ev.severity if ev.severity in SEVERITIES else "info") < SEVERITIES.index(self.min_severity):
            return False
        if self.text_filter:
            needle = self.text_filter.lower()
            hay = f"{ev.layer} {ev.source} {ev.object} {ev.kind} {ev.message}".lower()
            return needle in hay
        return True

    def _add_row(self, eid: int, ev: Event) -> None:
        style = SEVERITY_STYLE.get(ev.severity, "")
        past = eid in self._past
        if past:  # from the history store: dim, and the day when it is not today
            style = f"{style} dim".strip()
            same_day = time.localtime(ev.time)[:3] == time.localtime()[:3]
            stamp = time.strftime("%H:%M:%S" if same_day else "%d %H:%M", time.localtime(ev.time))
        else:
            stamp = time.strftime("%H:%M:%S", time.localtime(ev.time))
        self.query_one(DataTable).add_row(
            Text(stamp, style="dim italic" if past else "dim"),
            Text(ev.layer),
            Text(ev.severity, style=style),
            Text(ev.source),
            Text(ev.object),
            Text(ev.message, style=style),
            key=str(eid),
        )
        self._shown.append(eid)

    def _rebuild(self) -> None:
        table = self.query_one(DataTable)
        self._pending.clear()
        with self.app.batch_update():
            table.clear()
            self._shown.clear()
            for eid, ev in self.events:
                if self._matches(ev):
                    self._add_row(eid, ev)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)
        self._update_bar()

    def _update_bar(self) -> None:
        bar = Text.assemble(
            ("layer ", "dim"), (self.layer_filter, "bold"), ("  severity ≥ ", "dim"), (self.min_severity, "bold")
        )
        if self.text_filter:
            bar.append("  filter ", "dim")
            bar.append(self.text_filter, "bold")
        bar.append(f"  {len(self._shown)}/{len(self.events)}", "dim")
        if self._past:
            bar.append(f"  ({sum(1 for eid, _ in self.events if eid in self._past)} from history, dim)", "dim")
        self.query_one("#events-bar", Static).update(bar, layout=False)

    def watch_layer_filter(self) -> None:
        if self.is_mounted:
            self._rebuild()

    def watch_min_severity(self) -> None:
        if self.is_mounted:
            self._rebuild()

    def watch_text_filter(self) -> None:
        if self.is_mounted:
            self._rebuild()

    # -- actions -------------------------------------------------------------------
    def action_cycle_layer(self) -> None:
        self.layer_filter = LAYERS[(LAYERS.index(self.layer_filter) + 1) % len(LAYERS)]

    def action_cycle_severity(self) -> None:
        order = ("debug", "info", "warn", "error")
        self.min_severity = order[(order.index(self.min_severity) + 1) % len(order)]

    def action_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one("#events-filter", Input).focus()

    def action_clear_filter(self) -> None:
        inp = self.query_one("#events-filter", Input)
        inp.value = ""
        self.text_filter = ""
        self.remove_class("-filtering")
        self.query_one(DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "events-filter":
            event.stop()
            self.text_filter = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "events-filter":
            event.stop()
            self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        eid = int(event.row_key.value)
        for i, ev in self.events:
            if i == eid:
                self.post_message(JumpTo(ev.layer, ev.source, ev.object))
                break
