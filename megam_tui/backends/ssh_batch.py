"""Batch a command's output lines into few job.emit() calls.

Every job.emit() becomes a message to the UI; a remote `yes` or `cat big.log`
would otherwise send hundreds of thousands per second. Lines are collected
and emitted as ONE job output entry (lines joined by "\\n") every `interval`
seconds (a small flusher thread keeps slow output live). At most `max_lines`
lines are kept per interval; the rest are counted and reported once per
interval as a stderr line, so the UI stays responsive whatever the host sends.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

from megam_tui.models import CommandOutput


class LineBatcher:
    def __init__(
        self,
        emit: Callable[[str], None],
        fmt: Callable[[CommandOutput], str],
        *,
        interval: float = 0.05,
        max_lines: int = 200,
    ) -> None:
        self._emit = emit
        self._fmt = fmt
        self.interval = interval
        self.max_lines = max_lines
        self._lines: collections.deque[tuple[str, str]] = collections.deque(maxlen=max_lines)  # (host, line)
        self._final: list[str] = []  # end records: never dropped, always after the notes
        self._dropped: dict[str, int] = {}  # host -> lines not shown this interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ssh-batch", daemon=True)
        self._thread.start()

    def add(self, o: CommandOutput) -> None:
        with self._lock:
            if o.done:
                self._final.append(self._fmt(o))
            else:
                if len(self._lines) == self.max_lines:  # the oldest line makes room
                    host = self._lines[0][0]
                    self._dropped[host] = self._dropped.get(host, 0) + 1
                self._lines.append((o.host, self._fmt(o)))

    def flush(self) -> None:
        with self._lock:
            kept = [line for _, line in self._lines]
            self._lines.clear()
            final, self._final = self._final, []
            dropped, self._dropped = self._dropped, {}
        lines = []
        for host, n in dropped.items():
            note = f"… {n} lines not shown (more than {self.max_lines / self.interval:.0f} lines/s)"
            lines.append(self._fmt(CommandOutput(host, note, "stderr")))
        lines += kept + final
        if lines:
            self._emit("\n".join(lines))

    def close(self) -> None:
        """Stop the flusher and emit what is left."""
        self._stop.set()
        self._thread.join(1.0)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()


def split_entry(entry: str) -> list[str]:
    """One job output entry -> its lines (inverse of the batching)."""
    return entry.split("\n")
