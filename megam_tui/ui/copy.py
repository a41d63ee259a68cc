"""`Y` copies what the operator is looking at to the clipboard (OSC 52 through Textual, so it
works over SSH and in web mode): the highlighted container / VM / host name, the highlighted
timeline message, the current log line (the search match, else the newest), a job's output.

One function per place, chosen by the screen and the focused widget; every text is plain (no
markup, no escape sequences): it goes to another program's input.
"""

from __future__ import annotations

import re
from typing import Any

from textual.widgets import DataTable

from megam_tui.sanitize import safe_str

MAX_COPY = 1_000_000  # characters: a job's output is bounded already; this bounds the escape sequence
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def what_to_copy(app: Any) -> tuple[str, str] | None:
    """(text, what it is) for the current place, or None when nothing there can be copied."""
    screen = app.screen
    job = getattr(screen, "job", None)
    if job is not None and hasattr(job, "output"):  # a job's output screen
        return "\n".join(job.output), f"output of job #{job.id} ({len(job.output)} lines)"
    view = getattr(screen, "view", None)
    if view is not None and hasattr(view, "entries"):  # a logs screen
        if not view.entries:
            return None
        i = view.current_match if getattr(view, "current_match", None) is not None else len(view.entries) - 1
        return _SGR.sub("", view.entries[i].text), "log line"
    focused = app.focused
    if isinstance(focused, DataTable) and focused.row_count:
        return _row_text(app, focused)
    return None


def _row_text(app: Any, table: DataTable) -> tuple[str, str] | None:
    try:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        row = table.get_row_at(table.cursor_row)
    except Exception:  # noqa: BLE001 - no row under the cursor
        return None
    if table.id == "events-table":
        return _plain(row[-1]), "event message"
    if table.id == "jobs-table":
        return _plain(row[0]), "job id"
    layer = next((lay for lay, pane in app.panes.items() if pane in table.ancestors), None)
    shown = getattr(app, "shown", None)
    if layer is not None and shown is not None and isinstance(key, str):
        name = shown.name(layer, "copy", key)
        if name != key or layer == "ssh":
            return name, "name"
    return (key, "name") if isinstance(key, str) and key else (_plain(row[0]), "cell")


def _plain(cell: Any) -> str:
    return str(getattr(cell, "plain", cell))


def copy_current(app: Any) -> str | None:
    """Copy; returns the message to show (None: nothing to copy here)."""
    found = what_to_copy(app)
    if found is None:
        return None
    text, what = found
    text = safe_str(text)[:MAX_COPY] if "\n" not in text else "\n".join(safe_str(line) for line in text.splitlines())[:MAX_COPY]
    app.copy_to_clipboard(text)
    preview = text.splitlines()[0][:60] if text else ""
    return f"copied {what}: {preview}" + ("…" if len(text) > len(preview) else "")
