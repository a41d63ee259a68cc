"""The Jobs pane: every action from every pane, its state, output and error."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Log, Static

from megam_tui.sanitize import safe_str
from megam_tui.jobs import CANCELLED, DONE, FAILED, FINAL_STATES, QUEUED, RUNNING, Job
from megam_tui.ui.keyed_table import KeyedTable

STATE_STYLE = {QUEUED: "dim", RUNNING: "bold cyan", DONE: "green", FAILED: "bold red", CANCELLED: "yellow"}
MAX_ROWS = 500  # finished jobs shown (the JobManager keeps as many); older finished rows are dropped


class JobCommand(Message):
    """The user asked to cancel or re-run a job."""

    def __init__(self, command: str, job_id: int) -> None:
        super().__init__()
        self.command = command  # "cancel" | "rerun"
        self.job_id = job_id


class JobOutputScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    JobOutputScreen { align: center middle; }
    JobOutputScreen > Vertical { width: 90%; height: 80%; border: round $accent; background: $surface; }
    JobOutputScreen #job-head { height: auto; padding: 0 1; }
    JobOutputScreen Log { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="jobs.output.close"),
        Binding("Y", "app.copy", "Copy", id="jobs.output.copy"),  # app bindings stop at a modal screen
    ]

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="job-head")
            yield Log(max_lines=5000, id="job-log")

    def on_mount(self) -> None:
        head = Text.assemble(
            (f"#{self.job.id} ", "bold"), self.job.layer, " ", (self.job.word or self.job.action, "bold"), " ", self.job.name or self.job.target, "  ",
            (self.job.state, STATE_STYLE.get(self.job.state, "")),
        )
        if self.job.error:
            head.append(f"\n{self.job.error}", style="red")
        self.query_one("#job-head", Static).update(head)
        self.query_one(Log).write_lines([safe_str(line) for line in list(self.job.output)])

    def append(self, line: str) -> None:
        self.query_one(Log).write_line(safe_str(line))


class JobsPane(Vertical):
    DEFAULT_CSS = """
    JobsPane { height: 1fr; }
    JobsPane DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("c", "cancel", "Cancel job", id="jobs.cancel"),
        Binding("R", "rerun", "Re-run", id="jobs.rerun"),
    ]

    def __init__(self, max_rows: int = MAX_ROWS, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_rows = max_rows
        self.jobs: dict[int, Job] = {}  # oldest first
        self._cells: dict[int, tuple] = {}

    def compose(self) -> ComposeResult:
        table = KeyedTable(id="jobs-table", cursor_type="row")
        for key, label, width in (
            ("id", "#", 4), ("layer", "layer", 7), ("action", "action", 10), ("target", "target", 24),
            ("state", "state", 9), ("start", "start", 8), ("dur", "dur", 6), ("info", "error / last output", None),
        ):
            table.add_column(label, key=key, width=width)
        yield table

    def job_changed(self, job: Job) -> None:
        """Called on the UI thread whenever a job changes state or prints."""
        self.jobs[job.id] = job
        table = self.query_one(DataTable)
        info = job.error or (job.output[-1] if job.output else "")
        cells = (
            Text(str(job.id)),
            Text(job.layer),
            Text(job.word or job.action),
            Text(job.name or job.target),
            Text(job.state, style=STATE_STYLE.get(job.state, "")),
            Text(time.strftime("%H:%M:%S", time.localtime(job.started or job.created)), style="dim"),
            Text(f"{job.duration:.1f}s" if job.duration is not None else ""),
            Text(info, style="red" if job.error else "dim"),
        )
        key = str(job.id)
        old = self._cells.get(job.id)
        if old is None:
            table.add_row(*cells, key=key)
            self._trim(table)
        else:
            cols = ("id", "layer", "action", "target", "state", "start", "dur", "info")
            table.set_cells(key, {
                col: new_cell for col, (new_cell, old_cell) in zip(cols, zip(cells, old))
                if new_cell.plain != old_cell.plain or new_cell.style != old_cell.style
            })
        self._cells[job.id] = cells
        for screen in self.app.screen_stack:
            if isinstance(screen, JobOutputScreen) and screen.job.id == job.id and job.output:
                pass  # output screen refreshes on open; live lines come via append()

    def _trim(self, table: DataTable) -> None:
        """Drop the oldest finished jobs beyond `max_rows` (running / queued ones stay)."""
        excess = len(self.jobs) - self.max_rows
        if excess <= 0:
            return
        old = [jid for jid, j in self.jobs.items() if j.state in FINAL_STATES][:excess]
        for jid in old:
            del self.jobs[jid]
            self._cells.pop(jid, None)
            try:
                table.remove_row(str(jid))
            except Exception:  # noqa: BLE001 - row already gone
                pass

    def _selected(self) -> Job | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.jobs.get(int(key)) if key is not None else None

    def action_cancel(self) -> None:
        job = self._selected()
        if job:
            self.post_message(JobCommand("cancel", job.id))

    def action_rerun(self) -> None:
        job = self._selected()
        if job:
            self.post_message(JobCommand("rerun", job.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        job = self.jobs.get(int(event.row_key.value))
        if job:
            self.app.push_screen(JobOutputScreen(job))
