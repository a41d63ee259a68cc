"""The run-command screen: one command on many hosts at once, output live.

Type a command and press enter: the screen posts
`RunAction("ssh", "run", hosts, {"command": ..., "run_id": ...})`; the app
submits one job per host (`SshLayer.run_action`). Output comes back through
`job_event(RunJobEvent)` (the Hosts pane listens to the JobManager and
forwards, in order, every output batch and state change of jobs with this
run_id) or directly via `add_output(models.CommandOutput)`. Each line is prefixed with its host,
stderr is shown in the error colour, the exit code per host is shown at the
end. ctrl+c cancels: the jobs close their channels and the remote commands
die. Commands are remembered (up/down) in memory and appended to
$MEGAM_HOME/history when that is writable; a failure to write is shown.
"""

from __future__ import annotations

import collections
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, RichLog, Static

from megam_tui.backends.ssh_batch import split_entry
from megam_tui.jobs import FINAL_STATES
from megam_tui.models import CommandOutput
from megam_tui.ui.messages import RunAction

MAX_LINES = 5000  # lines kept in the view (and in `outputs`)
FLUSH_S = 0.1  # output is written to the view at most this often
DISPLAY_MAX = 100  # lines written per flush; a faster flood is thinned (RichLog costs ~0.2 ms a line)
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.|[\x00-\x08\x0b-\x1f\x7f]")
_HOST_STYLES = ("cyan", "magenta", "green", "yellow", "blue", "bright_cyan", "bright_magenta", "bright_green")


@dataclass(frozen=True)
class RunJobEvent:
    """What a job listener saw, captured on the worker thread at that moment."""

    job_id: int
    host: str
    run_id: str | None
    entry: str | None  # a batch of output lines ("\n"-joined), or None for a state change
    state: str
    error: str | None = None
    cancelled: bool = False

    @classmethod
    def of(cls, job: Any, entry: str | None) -> RunJobEvent:
        return cls(job.id, job.target, job.params.get("run_id"), entry, job.state, job.error, job.cancelled)


def clean(line: str) -> str:
    """Untrusted output: drop escape sequences and control characters, expand tabs."""
    return _CONTROL.sub("", line).expandtabs(4)


def load_history(path: Path | None, keep: int) -> list[str]:
    """The last `keep` commands of the history file ([] if it cannot be read)."""
    if path is None:
        return []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [ln for ln in lines if ln.strip()][-keep:]


def append_history(path: Path | None, command: str) -> str | None:
    """Append one command; returns an error message instead of raising."""
    if path is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(command.replace("\n", " ") + "\n")
    except OSError as exc:
        return f"history not saved ({path}: {exc.strerror or exc})"
    return None


class RunCommandScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    RunCommandScreen { align: center middle; }
    RunCommandScreen > Vertical { width: 95%; height: 90%; border: round $accent; background: $surface; }
    RunCommandScreen #run-head { height: auto; padding: 0 1; }
    RunCommandScreen #run-output { height: 1fr; border-top: solid $panel-lighten-2; }
    RunCommandScreen #run-status { height: auto; max-height: 6; padding: 0 1; border-top: solid $panel-lighten-2; }
    RunCommandScreen #run-note { height: auto; padding: 0 1; color: $warning; }
    """

    BINDINGS = [
        Binding("ctrl+c", "cancel_run", "Cancel run", priority=True, id="run_command.cancel"),
        Binding("escape", "close", "Close", id="run_command.close"),
        Binding("up", "history(-1)", "Prev cmd", show=False, id="run_command.history_prev"),
        Binding("down", "history(1)", "Next cmd", show=False, id="run_command.history_next"),
    ]

    def __init__(
        self,
        hosts: list[str],
        *,
        history: list[str] | None = None,
        history_path: Path | None = None,
        layer: str = "ssh",
    ) -> None:
        super().__init__()
        self.hosts = list(hosts)
        self.history = history if history is not None else []
        self.history_path = history_path
        self.target_layer = layer
        self.run_id: str | None = None
        self.command: str | None = None
        self.status: dict[str, Text] = {}
        self.finished: set[str] = set()
        self.outputs: collections.deque[CommandOutput] = collections.deque(maxlen=MAX_LINES)  # latest records
        self._jobs: dict[str, int] = {}  # host -> job id
        self._pending: list[CommandOutput | Text] = []
        self._cancelled: set[str] = set()  # hosts whose job was cancelled
        self._flush_timer: Any = None  # a one-shot timer while lines wait (batches ~50 ms)
        self._hist_pos = len(self.history)
        self._styles = {h: _HOST_STYLES[i % len(_HOST_STYLES)] for i, h in enumerate(self.hosts)}

    def compose(self) -> ComposeResult:
        with Vertical():
            head = Text("run on ", style="bold")
            head.append(", ".join(self.hosts))
            yield Static(head, id="run-head")
            yield Input(placeholder="command (runs in each host's login shell) — enter runs, ctrl+c cancels", id="run-input")
            yield RichLog(max_lines=MAX_LINES, wrap=False, markup=False, highlight=False, id="run-output")
            yield Static(id="run-note")
            yield Static(Text("not started", style="dim"), id="run-status")

    def on_mount(self) -> None:
        if self._pending:
            self._flush_timer = self.set_timer(FLUSH_S, self._flush)
        self.query_one("#run-input", Input).focus()

    # ------------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        return self.run_id is not None and any(h not in self.finished for h in self.hosts)

    def note(self, text: str) -> None:
        self.query_one("#run-note", Static).update(Text(text))

    def _render_status(self) -> None:
        line = Text()
        for h in self.hosts:
            if line:
                line.append("   ")
            line.append(h, style=self._styles.get(h, ""))
            line.append(": ")
            line.append_text(self.status.get(h, Text("–", style="dim")))
        self.query_one("#run-status", Static).update(line)

    # ------------------------------------------------------------------ submit
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value)

    def submit(self, command: str) -> bool:
        command = command.strip()
        if not command:
            self.note("type a command first")
            return False
        if self.running:
            self.note("still running: ctrl+c cancels it")
            return False
        self.run_id = uuid.uuid4().hex[:12]
        self.command = command
        self.finished.clear()
        self._jobs.clear()
        self._cancelled.clear()
        self.status = {h: Text("running…", style="cyan") for h in self.hosts}
        self._queue(Text(f"$ {command}", style="bold"))
        if not self.history or self.history[-1] != command:
            self.history.append(command)
        self._hist_pos = len(self.history)
        err = append_history(self.history_path, command)
        self.note(err or "")
        self.query_one("#run-input", Input).value = ""
        self._render_status()
        self.post_message(RunAction(self.target_layer, "run", self.hosts, {"command": command, "run_id": self.run_id}))
        return True

    # ------------------------------------------------------------------ output in
    def add_output(self, o: CommandOutput) -> None:
        """One line (or the final record) of one host. Cheap: Text is built at display time."""
        if o.host not in self._styles:
            self._styles[o.host] = _HOST_STYLES[len(self._styles) % len(_HOST_STYLES)]
        self.outputs.append(o)
        if o.done:
            self.finished.add(o.host)
            cancelled = o.host in self._cancelled
            if o.error:
                st = Text("cancelled" if cancelled else "error", style="yellow" if cancelled else "bold red")
            elif o.exit_code == -1 and cancelled:
                st = Text("cancelled", style="yellow")
            else:
                code = o.exit_code if o.exit_code is not None else -1
                st = Text(f"exit {code}", style="green" if code == 0 else "bold red")
            self.status[o.host] = st
            self._render_status()
            if not self.running and self._cancelled:
                self.note("cancelled: the channels are closed, the remote commands stopped")
        self._queue(o)

    def _line_text(self, o: CommandOutput) -> Text:
        prefix = (f"[{o.host}] ", self._styles.get(o.host, ""))
        if not o.done:
            return Text.assemble(prefix, (clean(o.line), "red" if o.stream == "stderr" else ""))
        st = self.status.get(o.host, Text(""))
        if o.error:
            return Text.assemble(prefix, (clean(o.error), "yellow" if st.plain == "cancelled" else "bold red"))
        if st.plain == "cancelled":
            return Text.assemble(prefix, ("cancelled", "yellow"))
        code = o.exit_code if o.exit_code is not None else -1
        return Text.assemble(prefix, (f"exit {code}", "green" if code == 0 else "bold red"))

    def job_event(self, ev: RunJobEvent) -> None:
        """One event of one of this run's jobs: a batch of output lines or a state change."""
        from megam_tui.backends.ssh import parse_output

        if ev.run_id != self.run_id:
            return
        self._jobs[ev.host] = ev.job_id
        if ev.cancelled:
            self._cancelled.add(ev.host)
        if ev.entry is not None:
            for line in split_entry(ev.entry):
                self.add_output(parse_output(line) or CommandOutput(ev.host, line))
        elif ev.state in FINAL_STATES and ev.host not in self.finished:
            # the job ended without a final record (e.g. cancelled before it started)
            self.add_output(CommandOutput(ev.host, done=True, error=ev.error or ev.state))

    def _queue(self, item: CommandOutput | Text) -> None:
        self._pending.append(item)
        if self._flush_timer is None and self.is_mounted:
            self._flush_timer = self.set_timer(FLUSH_S, self._flush)

    def _flush(self) -> None:
        """Write what arrived since the last flush; a flood is thinned to DISPLAY_MAX lines
        per flush (end records and headers always shown, the rest counted)."""
        self._flush_timer = None
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        keep = [i for i, item in enumerate(pending) if not isinstance(item, CommandOutput) or item.done]
        plain = [i for i, item in enumerate(pending) if isinstance(item, CommandOutput) and not item.done]
        budget = max(0, DISPLAY_MAX - len(keep))
        shown = set(keep) | set(plain[len(plain) - budget:] if budget else [])
        skipped = len(pending) - len(shown)
        log = self.query_one("#run-output", RichLog)
        if skipped:
            rate = DISPLAY_MAX / FLUSH_S
            log.write(Text(f"… {skipped} lines not shown (display limit {rate:.0f} lines/s)", style="dim italic"))
        for i, item in enumerate(pending):
            if i in shown:
                log.write(item if isinstance(item, Text) else self._line_text(item))

    # ------------------------------------------------------------------ keys
    def action_cancel_run(self) -> None:
        from megam_tui.ui.jobs_pane import JobCommand

        if not self.running:
            self.note("nothing is running")
            return
        for host, job_id in self._jobs.items():
            if host not in self.finished:
                self._cancelled.add(host)
                self.status[host] = Text("cancelling…", style="yellow")
                self.post_message(JobCommand("cancel", job_id))
        self._render_status()
        self.note("cancelling: closing the channels")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_history(self, step: int) -> None:
        box = self.query_one("#run-input", Input)
        if not self.history or self.focused is not box:
            return
        self._hist_pos = max(0, min(len(self.history), self._hist_pos + step))
        box.value = self.history[self._hist_pos] if self._hist_pos < len(self.history) else ""
        box.cursor_position = len(box.value)
