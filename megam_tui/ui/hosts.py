"""The Hosts pane: every SSH host (local machine first) with state and metrics.

Rows are keyed by host name; each `apply(Host)` updates only the cells whose
text changed. `o` cycles the sort column (host, state, cpu, load, mem, disk,
net; the header can be clicked too), `O` reverses, `/` filters, `space`
selects, `x` opens the run-command screen for the selected (else the
highlighted) hosts. The line under the table shows the highlighted host's full
error. Untrusted text (names, errors) is rendered as rich Text, never markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from megam_tui.models import Host
from megam_tui.settings import Settings
from megam_tui.ui.hosts_format import COLUMNS, SORT_ORDER, SORTS, WIDTHS, cells, matches, metrics_moved, state_of
from megam_tui.ui.keyed_table import KeyedTable
from megam_tui.ui.quiet import quiet_update

HISTORY_KEEP = 500


class HostsPane(Vertical):
    DEFAULT_CSS = """
    HostsPane { height: 1fr; }
    HostsPane #hosts-filter { display: none; height: 3; }
    HostsPane.-filtering #hosts-filter { display: block; }
    HostsPane #hosts-table { height: 1fr; }
    HostsPane #hosts-detail { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    HostsPane #hosts-detail.-error { color: $error; }
    """

    BINDINGS = [
        Binding("x", "run_command", "Run cmd", id="hosts.run"),
        Binding("space", "toggle_select", "Select", id="hosts.select"),
        Binding("asterisk", "select_all", "Select all", show=False, id="hosts.select_all"),
        Binding("slash", "start_filter", "Filter", id="hosts.filter"),
        Binding("o", "cycle_sort", "Sort", id="hosts.sort"),
        Binding("O", "reverse_sort", "Reverse", show=False, id="hosts.sort_reverse"),
        Binding("escape", "clear", "Clear", show=False, id="hosts.clear"),
    ]

    def __init__(self, settings: Settings | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.hosts: dict[str, Host] = {}  # every host seen, in arrival order
        self.selected: set[str] = set()
        self.sort_key: str | None = None  # None = the config's order (local first)
        self.reverse = False
        self.filter_text = ""
        self._shown: dict[str, dict[str, Text]] = {}  # cells currently in the table
        self._order_cache: list[str] = []
        self.history: list[str] = []
        self._history_loaded = False
        if settings is not None:
            self.history_path: Path | None = Path(settings.home) / "history"
        else:
            self.history_path = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter hosts (name, address, state, error) — enter/esc", id="hosts-filter")
        table = KeyedTable(id="hosts-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key, width=WIDTHS.get(key))
        yield table
        yield Static(Text("no hosts yet", style="dim"), id="hosts-detail")

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#hosts-table", KeyedTable)

    # ------------------------------------------------------------------ data in
    def hold_key(self, obj: Any) -> Any:
        """A probe result that changes no host's state may wait for the app's heartbeat."""
        if not isinstance(obj, Host):
            return None
        old = self.hosts.get(obj.name)
        if old is None or state_of(old) != state_of(obj):
            return None
        return ("host", obj.name)

    def apply(self, obj: Any) -> None:
        if isinstance(obj, Host):
            self._apply_host(obj)
        elif isinstance(obj, (list, tuple)):
            with self.app.batch_update():
                for item in obj:
                    if isinstance(item, Host):
                        self._apply_host(item)
        # BackendState / Event: the Host objects already carry reachability

    def _apply_host(self, host: Host) -> None:
        old = self.hosts.get(host.name)
        if (
            old is not None
            and state_of(old) == state_of(host)
            and not metrics_moved(old.metrics, host.metrics)
        ):
            return  # noise: the row keeps the figures it shows (a calm screen, and no frame)
        self.hosts[host.name] = host
        if not matches(host, self.filter_text):
            if host.name in self._shown:
                self._remove_row(host.name)
            return
        if host.name not in self._shown:
            self._add_row(host.name)
            self._resort()
        else:
            self._update_row(host.name)
            if self.sort_key is not None and old is not None:
                fn = SORTS[self.sort_key][1]
                if fn(old) != fn(host):  # type: ignore[operator]
                    self._resort()
        self._refresh_detail()

    def _add_row(self, name: str) -> None:
        row = cells(self.hosts[name], name in self.selected)
        self._shown[name] = row
        self.table.add_row(*(row[k] for k, _ in COLUMNS), key=name)

    def _remove_row(self, name: str) -> None:
        self._shown.pop(name, None)
        self.table.remove_row(name)

    def _update_row(self, name: str) -> None:
        new = cells(self.hosts[name], name in self.selected)
        shown = self._shown[name]
        changed = {}
        for key, _ in COLUMNS:
            if new[key] != shown[key]:
                shown[key] = new[key]  # the same object goes into the table (_resort relies on it)
                changed[key] = new[key]
        self.table.set_cells(name, changed)  # only this row is re-rendered

    # ------------------------------------------------------------------ ordering
    def ordered_names(self) -> list[str]:
        """Names in display order (local host always first)."""
        names = [n for n in self.hosts if n in self._shown]
        config = {h.name: i for i, h in enumerate(self.settings.ssh_hosts)} if self.settings else {}
        names.sort(key=lambda n: config.get(n, len(config)))  # stable: unknown hosts keep arrival order
        if self.sort_key is not None:
            fn = SORTS[self.sort_key][1]
            present = [n for n in names if fn(self.hosts[n]) is not None]  # type: ignore[operator]
            missing = [n for n in names if fn(self.hosts[n]) is None]  # type: ignore[operator]
            present.sort(key=lambda n: fn(self.hosts[n]), reverse=self.reverse)  # type: ignore[operator]
            names = present + missing
        elif self.reverse:
            names.reverse()
        local = [n for n in names if self.hosts[n].local]
        return local + [n for n in names if not self.hosts[n].local]

    def _resort(self) -> None:
        order = self.ordered_names()
        if order == self._order_cache and len(order) == self.table.row_count:
            return
        self._order_cache = order
        table = self.table
        current = self.highlighted
        rank = {id(self._shown[n]["name"]): i for i, n in enumerate(order)}
        table.sort("name", key=lambda cell: rank.get(id(cell), len(rank)))
        if current is not None and current in self._shown:
            table.move_cursor(row=table.get_row_index(current), animate=False)

    def displayed(self) -> list[str]:
        """Row keys in the order the table shows them."""
        t = self.table
        return [t.coordinate_to_cell_key((i, 0)).row_key.value for i in range(t.row_count)]  # type: ignore[misc]

    @property
    def highlighted(self) -> str | None:
        t = self.table
        if t.row_count == 0:
            return None
        try:
            return t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no valid cursor
            return None

    def focus_object(self, name: str) -> None:
        if name in self._shown:
            self.table.move_cursor(row=self.table.get_row_index(name))
            self.table.focus()

    # ------------------------------------------------------------------ detail line
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._refresh_detail()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key in SORTS:
            if self.sort_key == key:
                self.reverse = not self.reverse
            else:
                self.sort_key, self.reverse = key, False
            self._after_sort_change()

    def _refresh_detail(self) -> None:
        detail = self.query_one("#hosts-detail", Static)
        name = self.highlighted
        host = self.hosts.get(name) if name else None
        if host is None:
            quiet_update(detail, Text("no hosts match" if self.hosts else "no hosts yet", style="dim"))
            detail.remove_class("-error")
            return
        where = f"{host.user + '@' if host.user else ''}{host.address}" + (f":{host.port}" if host.port else "")
        text = Text.assemble((host.name, "bold"), " ", where)
        if self.selected:
            text.append(f"   {len(self.selected)} selected", style="cyan")
        if self.sort_key:
            text.append(f"   sort: {SORTS[self.sort_key][0]}{' ↓' if self.reverse else ''}", style="dim")
        if host.error:
            text.append("\n")
            text.append(host.error)
        detail.set_class(bool(host.error), "-error")
        quiet_update(detail, text)

    # ------------------------------------------------------------------ actions
    def action_toggle_select(self) -> None:
        name = self.highlighted
        if name is None:
            return
        self.selected.symmetric_difference_update({name})
        self._update_row(name)
        self._refresh_detail()
        t = self.table
        if t.cursor_row < t.row_count - 1:
            t.move_cursor(row=t.cursor_row + 1)

    def action_select_all(self) -> None:
        shown = set(self._shown)
        self.selected = set() if shown and shown <= self.selected else shown
        for name in list(self._shown):
            self._update_row(name)
        self._refresh_detail()

    def action_cycle_sort(self) -> None:
        order: list[str | None] = [None, *SORT_ORDER]
        self.sort_key = order[(order.index(self.sort_key) + 1) % len(order)]
        self.reverse = False
        self._after_sort_change()

    def action_reverse_sort(self) -> None:
        self.reverse = not self.reverse
        self._after_sort_change()

    def _after_sort_change(self) -> None:
        self._order_cache = []
        self._resort()
        self._refresh_detail()

    def action_start_filter(self) -> None:
        self.add_class("-filtering")
        box = self.query_one("#hosts-filter", Input)
        box.value = self.filter_text
        box.focus()

    def action_clear(self) -> None:
        if self.filter_text or self.has_class("-filtering"):
            self.set_filter("")
            self.remove_class("-filtering")
            self.table.focus()
        elif self.selected:
            self.selected.clear()
            for name in list(self._shown):
                self._update_row(name)
            self._refresh_detail()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "hosts-filter":
            event.stop()
            self.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "hosts-filter":
            event.stop()
            if not event.value:
                self.remove_class("-filtering")
            self.table.focus()

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        with self.app.batch_update():
            for name, host in self.hosts.items():
                ok = matches(host, self.filter_text)
                if ok and name not in self._shown:
                    self._add_row(name)
                elif not ok and name in self._shown:
                    self._remove_row(name)
            self.selected &= set(self._shown)
            self._order_cache = []
            self._resort()
        self._refresh_detail()

    def targets(self) -> list[str]:
        """Selected hosts in display order, else the highlighted one."""
        if self.selected:
            return [n for n in self.displayed() if n in self.selected]
        name = self.highlighted
        return [name] if name else []

    def action_run_command(self) -> None:
        from megam_tui.ui.run_command import RunCommandScreen, load_history

        hosts = self.targets()
        if not hosts:
            self.app.notify("no host to run a command on", severity="warning")
            return
        if not self._history_loaded:
            self._history_loaded = True
            self.history[:0] = load_history(self.history_path, HISTORY_KEEP)
        self.app.push_screen(RunCommandScreen(hosts, history=self.history, history_path=self.history_path))

    # ------------------------------------------------------------------ jobs
    def on_mount(self) -> None:
        # Output of "run" jobs goes to the run-command screen in order and in full:
        # a JobManager listener sees every output batch and state change on the
        # worker thread (the app's job_changed hook carries no line).
        jobs = getattr(self.app, "jobs", None)
        if jobs is not None and hasattr(jobs, "add_listener"):
            jobs.add_listener(self._job_listener)

    def _job_listener(self, job: Any, entry: str | None) -> None:
        """Worker thread: forward events of ssh "run" jobs started by a run-command screen."""
        from megam_tui.ui.run_command import RunJobEvent

        if getattr(job, "layer", None) != "ssh" or getattr(job, "action", None) != "run":
            return
        if not getattr(job, "params", {}).get("run_id"):
            return
        self.post_message(RunJobMessage(RunJobEvent.of(job, entry)))

    def on_run_job_message(self, message: RunJobMessage) -> None:
        from megam_tui.ui.run_command import RunCommandScreen

        message.stop()
        for screen in self.app.screen_stack:
            if isinstance(screen, RunCommandScreen):
                screen.job_event(message.event)


class RunJobMessage(Message):
    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event
