"""The VMs pane: libvirt domains of every hypervisor in one keyed table.

Gets models through `apply()` (DomainsSnapshot per hypervisor, BackendState,
single Domain objects); never calls an engine. Actions are `RunAction`s for
the libvirt layer (targets "hypervisor/domain"); `x` opens the run-command
screen for guests that are also SSH hosts (it posts RunAction("ssh", "run")).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Static

from megam_tui.backends.vms import DomainsSnapshot
from megam_tui.models import BackendState, Domain
from megam_tui.ui import vms_format as fmt
from megam_tui.ui.messages import RunAction
from megam_tui.ui.keyed_table import KeyedTable
from megam_tui.ui.quiet import quiet_update


HISTORY_KEEP = 500


def _sig(t: Text) -> tuple:
    # Text.__eq__ ignores the base style: compare what is drawn.
    return (t.plain, str(t.style), t.justify, tuple(t.spans))


class VmsPane(Vertical):
    DEFAULT_CSS = """
    VmsPane { height: 1fr; }
    VmsPane #vms-filter { display: none; height: 3; }
    VmsPane.-filtering #vms-filter { display: block; }
    VmsPane #vms-bar { height: auto; max-height: 6; padding: 0 1; color: $text-muted; }
    VmsPane #vms-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("s", "act('toggle')", "Start/Shutdown", id="vms.toggle"),
        Binding("r", "act('reboot')", "Reboot", id="vms.reboot"),
        Binding("F", "act('destroy')", "Force off", id="vms.force_off"),
        Binding("p", "act('toggle_pause')", "Pause/Resume", id="vms.pause"),
        Binding("x", "run_on_guest", "Run on guest", id="vms.run"),
        Binding("space", "select", "Select", show=False, id="vms.select"),
        Binding("slash", "filter", "Filter", id="vms.filter"),
        Binding("o", "cycle_sort", "Sort", id="vms.sort"),
        Binding("O", "reverse_sort", "Reverse", show=False, id="vms.sort_reverse"),
        Binding("escape", "clear_filter", "Clear", show=False, id="vms.clear"),
    ]

    sort_column: reactive[str] = reactive("name")
    sort_reverse: reactive[bool] = reactive(False)
    text_filter: reactive[str] = reactive("")

    def __init__(self, settings: Any = None, *, ssh_hosts: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if ssh_hosts is None and settings is not None:
            ssh_hosts = [h.name for h in getattr(settings, "ssh_hosts", ())]
        self.ssh_hosts: set[str] = set(ssh_hosts or ())
        self.configured: tuple[str, ...] | None = None
        self.history_path: Path | None = None  # shared with the Hosts pane's run screen
        if settings is not None:
            self.configured = tuple(h.name for h in getattr(settings, "libvirt_hypervisors", ()))
            self.history_path = Path(settings.home) / "history"
        self.domains: dict[str, Domain] = {}  # "hypervisor/name" -> Domain
        self.hv_states: dict[str, BackendState] = {}
        self.selected: set[str] = set()
        self._shown: dict[str, dict[str, Text]] = {}  # cells as drawn now, per row key
        self.cell_updates = 0  # cells rewritten by the last apply (tests, benchmarks)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter VMs (name, hypervisor, state)", id="vms-filter")
        yield Static(id="vms-bar")
        table = KeyedTable(id="vms-table", cursor_type="row", zebra_stripes=False)
        for key, label, width in fmt.COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table

    def on_mount(self) -> None:
        self._sync()

    # -- data -------------------------------------------------------------------------
    def hold_key(self, obj: Any) -> Any:
        """A poll that changes no domain's state (only CPU / uptime) may wait for the app's heartbeat."""
        if not isinstance(obj, DomainsSnapshot) or obj.hypervisor not in self.hv_states:
            return None
        prefix = f"{obj.hypervisor}/"
        shown = {k: d.state for k, d in list(self.domains.items()) if k.startswith(prefix)}  # list(): a layer thread asks
        if shown != {fmt.row_key(d): d.state for d in obj.domains}:
            return None
        return ("domains", obj.hypervisor)

    def apply(self, obj: Any) -> None:
        if isinstance(obj, DomainsSnapshot):
            prefix = f"{obj.hypervisor}/"
            old = {k: self.domains.pop(k) for k in [k for k in self.domains if k.startswith(prefix)]}
            for d in obj.domains:
                key = fmt.row_key(d)
                was = old.get(key)
                # noise (CPU wiggle): keep showing the figures already on screen
                self.domains[key] = was if was is not None and fmt.noise_only(was, d) else d
            if obj.hypervisor not in self.hv_states:
                self.hv_states[obj.hypervisor] = BackendState("libvirt", obj.hypervisor, True)
        elif isinstance(obj, BackendState):
            self.hv_states[obj.name] = obj
        elif isinstance(obj, Domain):
            self.domains[fmt.row_key(obj)] = obj
        elif isinstance(obj, (list, tuple)) and all(isinstance(d, Domain) for d in obj):
            for d in obj:
                self.domains[fmt.row_key(d)] = d
        else:
            return  # Events go to the timeline; nothing else is ours
        self.selected &= set(self.domains)
        if self.is_mounted:
            self._sync()

    def _stale(self, hv: str) -> bool:
        st = self.hv_states.get(hv)
        return st is not None and not st.ok

    def _visible(self) -> list[Domain]:
        rows = [d for d in self.domains.values() if fmt.matches(d, self.text_filter)]
        rows.sort(key=lambda d: fmt.sort_value(d, self.sort_column), reverse=self.sort_reverse)
        return rows

    def _sync(self) -> None:
        table = self.query_one("#vms-table", KeyedTable)
        visible = self._visible()
        want = [fmt.row_key(d) for d in visible]
        highlighted = self.highlighted_key()
        updates = 0
        with self.app.batch_update():
            for key in set(self._shown) - set(want):
                table.remove_row(key)
                del self._shown[key]
            for d in visible:
                key = fmt.row_key(d)
                new = fmt.cells(d, selected=key in self.selected, stale=self._stale(d.hypervisor))
                old = self._shown.get(key)
                if old is None:
                    table.add_row(*(new[c] for c, _, _ in fmt.COLUMNS), key=key)
                else:
                    changed = {col: text for col, text in new.items() if _sig(text) != _sig(old[col])}
                    table.set_cells(key, changed)
                    updates += len(changed)
                self._shown[key] = new
            if [r.key.value for r in table.ordered_rows] != want:
                rank = {k: i for i, k in enumerate(want)}
                table.sort("hypervisor", "name", key=lambda v: rank[f"{v[0].plain}/{v[1].plain}"])
                if highlighted in rank:
                    table.move_cursor(row=table.get_row_index(highlighted), animate=False)
        self.cell_updates = updates
        self._update_bar()

    def _update_bar(self) -> None:
        bar = Text()
        for st in sorted(self.hv_states.values(), key=lambda s: s.name):
            if not st.ok:
                bar.append(st.error or f"hypervisor {st.name} unreachable", style="bold red")
                bar.append("\n")
        if self.configured == ():
            bar.append("no libvirt hypervisors configured (libvirt: hypervisors in the config)", style="dim")
        elif not self.hv_states and not self.domains:
            bar.append("waiting for the first answer…", style="dim")
        else:
            running = sum(1 for d in self.domains.values() if d.state == "running")
            bar.append(f"{len(self.domains)} VMs, {running} running", style="dim")
            arrow = "↓" if self.sort_reverse else "↑"
            bar.append(f"  sort {self.sort_column} {arrow}", style="dim")
            if self.selected:
                bar.append(f"  {len(self.selected)} selected", style="bold")
            if self.text_filter:
                bar.append("  filter ", style="dim")
                bar.append(self.text_filter, style="bold")
        quiet_update(self.query_one("#vms-bar", Static), bar)

    # -- selection / targets ----------------------------------------------------------
    def highlighted_key(self) -> str | None:
        table = self.query_one("#vms-table", KeyedTable)
        if not table.row_count or not 0 <= table.cursor_row < table.row_count:
            return None
        return table.ordered_rows[table.cursor_row].key.value

    def targets(self) -> list[str]:
        shown = set(self._shown)
        chosen = [k for k in self.selected if k in shown]
        if chosen:
            return sorted(chosen)
        key = self.highlighted_key()
        return [key] if key else []

    def focus_object(self, name: str) -> None:
        """Jump here from the timeline: highlight the domain `name` (or "hypervisor/name")."""
        keys = [k for k, d in self.domains.items() if k == name or d.name == name]
        if not keys:
            return
        if keys[0] not in self._shown:
            self.text_filter = ""
            self._sync()
        table = self.query_one("#vms-table", KeyedTable)
        table.move_cursor(row=table.get_row_index(keys[0]), animate=False)
        table.focus()

    # -- actions ----------------------------------------------------------------------
    def action_act(self, action: str) -> None:
        targets = self.targets()
        if not targets:
            self.notify("no VM highlighted", severity="warning")
            return
        self.post_message(RunAction("libvirt", action, targets))

    def action_run_on_guest(self) -> None:
        targets = self.targets()
        if not targets:
            self.notify("no VM highlighted", severity="warning")
            return
        names = [self.domains[k].name for k in targets if k in self.domains]
        guests = [n for n in names if n in self.ssh_hosts]
        if not guests:
            self.notify(f"{', '.join(names)}: not an SSH host (add it to ssh: hosts)", severity="warning", markup=False)
            return
        try:  # the Hosts pane's run-command screen: it posts RunAction("ssh", "run", guests, {command})
            from megam_tui.ui.run_command import RunCommandScreen, load_history
        except Exception:  # noqa: BLE001 - no such screen: let the app decide
            self.post_message(RunAction("ssh", "run", guests))
            return
        history = load_history(self.history_path, HISTORY_KEEP) if self.history_path else []
        self.app.push_screen(RunCommandScreen(guests, history=history, history_path=self.history_path))

    def action_select(self) -> None:
        key = self.highlighted_key()
        if key is None:
            return
        self.selected ^= {key}
        self._sync()

    def action_cycle_sort(self) -> None:
        i = fmt.SORTS.index(self.sort_column) if self.sort_column in fmt.SORTS else -1
        self.sort_column = fmt.SORTS[(i + 1) % len(fmt.SORTS)]

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse

    def action_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one("#vms-filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.remove_class("-filtering")
        self.query_one("#vms-filter", Input).value = ""
        self.text_filter = ""
        self.query_one("#vms-table", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "vms-filter":
            event.stop()
            self.text_filter = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "vms-filter":
            event.stop()
            if not event.value:
                self.remove_class("-filtering")
            self.query_one("#vms-table", DataTable).focus()

    def watch_sort_column(self) -> None:
        if self.is_mounted:
            self._sync()

    def watch_sort_reverse(self) -> None:
        if self.is_mounted:
            self._sync()

    def watch_text_filter(self) -> None:
        if self.is_mounted:
            self._sync()
