"""The Containers pane: a keyed, event-driven table of every engine's containers.

Gets models through `apply(obj)` (ContainersSnapshot, ContainerUpdate,
ContainerRemoved, StatsSnapshot, BackendState, and forwarded LogBatch /
InspectResult / ImagesSnapshot / ServicesSnapshot for its screens) and asks
for actions by posting `RunAction("docker", action, keys, params)`.
Only changed cells are redrawn; rows are added/removed inside
`App.batch_update()`; the highlighted row stays put while rows update.
"""

from __future__ import annotations

import itertools
import subprocess
import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static

from megam_tui.ui.containers_format import COLUMN_KEYS, COLUMNS, row_values, uptime_text
from megam_tui.ui.containers_model import ContainersModel, GroupRow
from megam_tui.ui.keyed_table import KeyedTable
from megam_tui.ui.messages import RunAction
from megam_tui.ui.quiet import quiet_update
from megam_tui.ui.spark_line import SparkLine

FINAL_JOB_STATES = ("done", "failed", "cancelled")
_UPTIME = COLUMN_KEYS.index("uptime")
SORT_ORDER = ("name", "state", "cpu", "mem", "uptime", "image", "engine", "project")
_session_ids = itertools.count(1)


def _same(a: Text, b: Text) -> bool:
    return a.plain == b.plain and str(a.style) == str(b.style) and a.justify == b.justify and a.spans == b.spans


class ContainersPane(Vertical, can_focus=False):
    DEFAULT_CSS = """
    ContainersPane { height: 1fr; }
    ContainersPane #containers-filter { display: none; height: 3; }
    ContainersPane.-filtering #containers-filter { display: block; }
    ContainersPane #containers-table { height: 1fr; }
    ContainersPane #containers-footer { height: 1; }
    ContainersPane #containers-status { width: 1fr; height: 1; color: $text-muted; }
    ContainersPane #containers-status.-problem { color: $error; text-style: bold; }
    ContainersPane SparkLine { width: 24; height: 1; margin-left: 1; }
    ContainersPane #containers-cpu > .sparkline--max-color { color: $warning; }
    ContainersPane #containers-mem > .sparkline--max-color { color: $accent; }
    """

    BINDINGS = [
        Binding("s", "toggle", "Start/Stop", id="containers.toggle"),
        Binding("r", "restart", "Restart", id="containers.restart"),
        Binding("p", "pause", "Pause", id="containers.pause"),
        Binding("K", "kill", "Kill", id="containers.kill"),
        Binding("D", "remove", "Remove", id="containers.remove"),
        Binding("l", "logs", "Logs", id="containers.logs"),
        Binding("i", "inspect", "Inspect", id="containers.inspect"),
        Binding("e", "exec", "Shell", id="containers.exec"),
        Binding("n", "new", "Run new", id="containers.new"),
        Binding("P", "pull", "Pull image", id="containers.pull"),
        Binding("space", "select", "Select", id="containers.select"),
        Binding("slash", "filter", "Filter", id="containers.filter"),
        Binding("o", "sort_next", "Sort", id="containers.sort"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id="containers.sort_reverse"),
        Binding("g", "group", "Group by project", id="containers.group"),
        Binding("I", "images", "Images", id="containers.images"),
        Binding("S", "services", "Services", id="containers.services"),
        Binding("escape", "clear", "Clear", show=False, id="containers.clear"),
    ]

    def __init__(
        self,
        *,
        settings: Any = None,
        exec_argv: Callable[[str], list[str]] | None = None,
        logs_tail: int | None = None,
        logs_max_lines: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = ContainersModel()
        self.exec_argv = exec_argv  # None: `e` posts RunAction("docker", "exec") for the app
        self.logs_tail = logs_tail if logs_tail is not None else getattr(settings, "logs_tail", 200)
        self.logs_max_lines = logs_max_lines if logs_max_lines is not None else getattr(settings, "logs_max_lines", 10_000)
        self._rows: dict[str, tuple[Text, ...]] = {}  # row key -> rendered cells
        self._order: list[str] = []
        self.screens_open: dict[str, Any] = {}  # "logs:<session>" / "inspect:<key>" / "images" / "services"
        self.redraws = 0  # cells written (for tests / benchmarks)
        self._stats_engines: set[str] = set()  # engines whose first stats were shown

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: name, image, state, project…", id="containers-filter")
        table = KeyedTable(id="containers-table", cursor_type="row", zebra_stripes=False)
        for key, label, width in COLUMNS:
            table.add_column(label, width=width, key=key)
        yield table
        with Horizontal(id="containers-footer"):
            yield Static(Text("waiting for the engines…"), id="containers-status")
            yield SparkLine([], id="containers-cpu")
            yield SparkLine([], id="containers-mem")

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#containers-table", KeyedTable)

    def on_mount(self) -> None:
        self.set_interval(5.0, self._expire_pending)
        self.set_interval(30.0, self._refresh_uptimes)

    # ------------------------------------------------------------------ apply
    def hold_key(self, obj: Any) -> Any:
        """Stats after an engine's first snapshot may wait for the app's heartbeat (see UpdateGate)."""
        if type(obj).__name__ != "StatsSnapshot":
            return None
        if obj.engine in self._stats_engines:
            return ("stats", obj.engine)
        self._stats_engines.add(obj.engine)
        return None

    def apply(self, obj: Any) -> None:
        """UI thread: one object from the Docker layer (or a finished job)."""
        kind = type(obj).__name__
        if kind in ("LogBatch", "InspectResult", "ImagesSnapshot", "ServicesSnapshot"):
            self._forward(kind, obj)
            return
        if hasattr(obj, "layer") and hasattr(obj, "target") and hasattr(obj, "state") and not hasattr(obj, "ok"):
            if getattr(obj, "layer", "") == "docker":
                self.job_changed(obj)
            return
        changed = self.model.apply(obj)
        if changed:
            self._sync(changed)
        if kind in ("BackendState", "ContainersSnapshot"):
            self._update_status()
        if kind == "StatsSnapshot":
            self._update_sparklines()

    def job_changed(self, job: Any) -> None:
        """Called by the app for every job change: a finished job clears its pending marker."""
        if job.state in FINAL_JOB_STATES and self.model.clear_pending(job.target) and job.target in self._rows:
            self._sync({job.target})

    def _forward(self, kind: str, obj: Any) -> None:
        if kind == "LogBatch":
            screen = self.screens_open.get(f"logs:{obj.session}")
        elif kind == "InspectResult":
            screen = self.screens_open.get(f"inspect:{obj.key}")
        elif kind == "ImagesSnapshot":
            screen = self.screens_open.get("images")
        else:
            screen = self.screens_open.get("services")
        if screen is not None:
            screen.feed(obj)

    # ------------------------------------------------------------------ table sync
    def _values(self, item: str | GroupRow) -> tuple[Text, ...]:
        if isinstance(item, GroupRow):
            cells = [Text("")] * len(COLUMNS)
            cells[1] = Text(f"▾ {item.project} ({item.count})", style="bold")
            return tuple(cells)
        c = self.model.containers[item]
        return row_values(
            c,
            self.model.stats.get(item),
            pending=item in self.model.pending,
            selected=item in self.model.selected,
            unreachable=self.model.unreachable(c.engine),
        )

    def _sync(self, changed: set[str]) -> None:
        if not self.is_mounted:
            return
        if "*" in changed:
            self._reconcile()
            return
        batch: dict[str, dict[str, Text]] = {}
        for key in changed:
            if key in self._rows and key in self.model.containers:
                self._update_row(key, self._values(key), batch)
        self.table.set_many(batch)

    def _update_row(self, key: str, values: tuple[Text, ...], batch: dict[str, dict[str, Text]] | None = None) -> None:
        """Write the cells of `key` that changed (into `batch` when given, for one table update)."""
        old = self._rows[key]
        merged = []
        changed: dict[str, Text] = {}
        for col, new, prev in zip(COLUMN_KEYS, values, old):
            if _same(new, prev):
                merged.append(prev)  # the table keeps the old object: keep ours identical
            else:
                changed[col] = new
                merged.append(new)
        if changed:
            if batch is not None:
                batch[key] = changed
            else:
                self.table.set_cells(key, changed)  # only this row is re-rendered
            self.redraws += len(changed)
        self._rows[key] = tuple(merged)

    def _highlighted_key(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - empty / out of range
            return None

    def _reconcile(self) -> None:
        table = self.table
        keep = self._highlighted_key()
        desired = self.model.visible()
        keys = [item.key if isinstance(item, GroupRow) else item for item in desired]
        wanted = set(keys)
        with self.app.batch_update():
            for key in [k for k in self._rows if k not in wanted]:
                table.remove_row(key)
                del self._rows[key]
            batch: dict[str, dict[str, Text]] = {}
            for item, key in zip(desired, keys):
                values = self._values(item)
                if key not in self._rows:
                    table.add_row(*values, key=key)
                    self._rows[key] = values
                    self.redraws += len(values)
                else:
                    self._update_row(key, values, batch)
            table.set_many(batch)
            current = [row.key.value for row in table.ordered_rows]
            if current != keys:
                pos = {id(self._rows[k][1]): i for i, k in enumerate(keys)}
                table.sort("name", key=lambda name_cell: pos.get(id(name_cell), len(pos)))
            self._order = keys
            if keep is not None and keep in self._rows:
                idx = table.get_row_index(keep)
                if idx != table.cursor_row:
                    table.move_cursor(row=idx, scroll=False)
        self._update_status()

    def _refresh_uptimes(self) -> None:
        """Rows whose uptime text moved on ("Up 5 minutes" -> "Up 6 minutes"); only those are
        rebuilt (building all 200 rows every 30 s was a third of the UI thread's idle work)."""
        now = time.time()
        containers = self.model.containers
        moved = {
            key
            for key, cells in self._rows.items()
            if key in containers and uptime_text(containers[key], now) != cells[_UPTIME].plain
        }
        if moved:
            self._sync(moved)

    def _expire_pending(self) -> None:
        gone = self.model.expire_pending()
        if gone:
            self._sync(gone)

    # ------------------------------------------------------------------ footer
    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        status = self.query_one("#containers-status", Static)
        problems = self.model.engine_problems()
        if problems:
            quiet_update(status, Text("; ".join(problems)))
            status.add_class("-problem")
            return
        status.remove_class("-problem")
        total = len(self.model.containers)
        running = sum(1 for c in self.model.containers.values() if c.state == "running")
        parts = [f"{running}/{total} running"]
        if self.model.filter:
            parts.append(f"filter {self.model.filter!r}: {sum(1 for k in self._order if not k.startswith('group:'))} shown")
        if self.model.selected:
            parts.append(f"{len(self.model.selected)} selected")
        parts.append(f"sort {self.model.sort_column}{' ↑' if self.model.sort_reverse else ''}")
        if not self.model.engines:
            parts = ["waiting for the engines…"]
        quiet_update(status, Text(" · ".join(parts)))

    def _update_sparklines(self) -> None:
        key = self._highlighted_key()
        # quantized (0.5 CPU points, 1 MiB): a steady container's lines stay still instead
        # of magnifying noise, and an unchanged line costs no redraw
        cpu = [round(v * 2) / 2 for v in self.model.cpu_hist.get(key, ())] if key else []
        mem = [float(round(v / 1048576)) for v in self.model.mem_hist.get(key, ())] if key else []
        self.query_one("#containers-cpu", SparkLine).data = cpu
        self.query_one("#containers-mem", SparkLine).data = mem

    @on(DataTable.RowHighlighted, "#containers-table")
    def _highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._update_sparklines()

    @on(DataTable.HeaderSelected, "#containers-table")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        col = event.column_key.value or "name"
        if col == "mark":
            return
        if col == self.model.sort_column:
            self.model.sort_reverse = not self.model.sort_reverse
        else:
            self.model.sort_column, self.model.sort_reverse = col, False
        self._reconcile()

    # ------------------------------------------------------------------ targets
    def targets(self) -> list[str]:
        """Selected containers, else the highlighted one (group rows are not targets)."""
        if self.model.selected:
            return [k for k in self._order if k in self.model.selected]
        key = self._highlighted_key()
        return [key] if key and key in self.model.containers else []

    def _run(self, action: str, params: dict[str, Any] | None = None, *, pending: bool = True) -> list[str]:
        targets = self.targets()
        if not targets:
            self.notify("no container selected", severity="warning")
            return []
        if pending:
            self.model.mark_pending(targets)
            self._sync(set(targets))
        self.post_message(RunAction("docker", action, targets, params or {}))
        return targets

    # ------------------------------------------------------------------ actions
    def action_toggle(self) -> None:
        self._run("toggle")

    def action_restart(self) -> None:
        self._run("restart")

    def action_pause(self) -> None:
        self._run("pause_toggle")

    def action_kill(self) -> None:
        self._run("kill")

    def action_remove(self) -> None:
        self._run("remove")

    def action_select(self) -> None:
        key = self._highlighted_key()
        if key and key in self.model.containers:
            self.model.toggle_selected(key)
            self._sync({key})
            self._update_status()
            table = self.table
            if table.cursor_row < table.row_count - 1:
                table.move_cursor(row=table.cursor_row + 1)

    def action_clear(self) -> None:
        if self.has_class("-filtering") or self.model.filter:
            self._close_filter(clear=True)
        elif self.model.selected:
            sel, self.model.selected = set(self.model.selected), set()
            self._sync(sel)
            self._update_status()

    def action_filter(self) -> None:
        self.add_class("-filtering")
        box = self.query_one("#containers-filter", Input)
        box.value = self.model.filter
        box.focus()

    @on(Input.Changed, "#containers-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value != self.model.filter:
            self.model.filter = event.value
            self._reconcile()

    @on(Input.Submitted, "#containers-filter")
    def _filter_submitted(self, _: Input.Submitted) -> None:
        self._close_filter(clear=False)
        table = self.table
        first = next((i for i, k in enumerate(self._order) if not k.startswith("group:")), None)
        if first is not None:
            table.move_cursor(row=first)

    def _close_filter(self, clear: bool) -> None:
        box = self.query_one("#containers-filter", Input)
        if clear:
            box.value = ""
            self.model.filter = ""
            self._reconcile()
        self.remove_class("-filtering")
        self.table.focus()

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and self.has_class("-filtering"):
            event.stop()
            self._close_filter(clear=True)

    def action_sort_next(self) -> None:
        cur = self.model.sort_column
        i = SORT_ORDER.index(cur) if cur in SORT_ORDER else -1
        self.model.sort_column = SORT_ORDER[(i + 1) % len(SORT_ORDER)]
        self.model.sort_reverse = False
        self._reconcile()

    def action_sort_reverse(self) -> None:
        self.model.sort_reverse = not self.model.sort_reverse
        self._reconcile()

    def action_group(self) -> None:
        self.model.group = not self.model.group
        self._reconcile()

    def action_exec(self) -> None:
        targets = self.targets()[:1]
        if not targets:
            self.notify("no container selected", severity="warning")
            return
        c = self.model.containers[targets[0]]
        if c.state != "running":
            self.notify(f"{c.name} is not running", severity="warning")
            return
        if self.exec_argv is None:  # let the app run it
            self.post_message(RunAction("docker", "exec", targets, {"interactive": True, "shell": "sh"}))
            return
        try:
            argv = self.exec_argv(targets[0])
        except Exception as exc:  # noqa: BLE001 - read-only / bad engine: one line
            self.notify(str(exc), severity="error")
            return
        with self.app.suspend():
            try:
                subprocess.run(argv, check=False)
            except OSError as exc:
                print(f"exec failed: {exc}")

    def action_logs(self) -> None:
        targets = self.targets()
        if not targets:
            self.notify("no container selected", severity="warning")
            return
        self.open_logs(targets, {k: self.model.containers[k].name for k in targets})

    def open_logs(self, targets: list[str], names: dict[str, str], extra: dict[str, Any] | None = None) -> None:
        """Push a LogsScreen fed by this pane (also used by the Services screen)."""
        from megam_tui.ui.logs import LogsScreen

        session = f"logs-{next(_session_ids)}"
        screen = LogsScreen(session, names, max_lines=self.logs_max_lines)
        self.screens_open[f"logs:{session}"] = screen

        def closed(_: Any) -> None:
            self.screens_open.pop(f"logs:{session}", None)
            self.post_message(RunAction("docker", "logs_stop", targets[:1], {"session": session}))

        self.app.push_screen(screen, closed)
        self.post_message(RunAction("docker", "logs_follow", targets, {"session": session, "tail": self.logs_tail, **(extra or {})}))

    def action_inspect(self) -> None:
        from megam_tui.ui.inspect import InspectScreen

        targets = self.targets()[:1]
        if not targets:
            self.notify("no container selected", severity="warning")
            return
        key = targets[0]
        screen = InspectScreen(key, self.model.containers[key].name)
        self.screens_open[f"inspect:{key}"] = screen
        self.app.push_screen(screen, lambda _: self.screens_open.pop(f"inspect:{key}", None))
        self.post_message(RunAction("docker", "inspect", [key], {}))

    def _engine_target(self) -> str:
        key = self._highlighted_key()
        if key and key in self.model.containers:
            return self.model.containers[key].engine
        return next(iter(sorted(self.model.engines)), "local")

    def action_new(self) -> None:
        from megam_tui.ui.containers_run_form import RunContainerScreen

        engine = self._engine_target()

        def done(params: dict[str, Any] | None) -> None:
            if params:
                self.post_message(RunAction("docker", "run", [engine], params))

        self.app.push_screen(RunContainerScreen(engine), done)

    def action_pull(self) -> None:
        from megam_tui.ui.containers_run_form import PullImageScreen

        engine = self._engine_target()

        def done(image: str | None) -> None:
            if image:
                self.post_message(RunAction("docker", "pull", [engine], {"image": image}))

        self.app.push_screen(PullImageScreen(engine), done)

    def action_images(self) -> None:
        from megam_tui.ui.containers_images import ImagesScreen

        engines = sorted(self.model.engines) or ["local"]
        screen = ImagesScreen(engines)
        self.screens_open["images"] = screen
        self.app.push_screen(screen, lambda _: self.screens_open.pop("images", None))

    def action_services(self) -> None:
        from megam_tui.ui.containers_services import ServicesScreen

        engines = sorted(self.model.engines) or ["local"]
        screen = ServicesScreen(engines, open_logs=self.open_logs)
        self.screens_open["services"] = screen
        self.app.push_screen(screen, lambda _: self.screens_open.pop("services", None))
