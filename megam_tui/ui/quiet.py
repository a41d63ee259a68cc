"""Repaint a Static only when its text changed, and re-lay out the screen only when needed.

A `Static.update()` defaults to a full layout pass of the screen; done on every
poll by several panes that costs more CPU than the data itself.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def quiet_update(widget: Static, text: Text) -> bool:
    """Update `widget` with `text` if it differs; True if it repainted."""
    sig = (text.plain, tuple((s.start, s.end, str(s.style)) for s in text.spans), str(text.style))
    old = getattr(widget, "_megam_sig", None)
    if sig == old:
        return False
    width = widget.content_region.width or widget.size.width
    lines = text.plain.count("\n") + 1
    fits_one_line_each = width > 0 and all(len(line) <= width for line in text.plain.split("\n"))
    old_lines = old[0].count("\n") + 1 if old else None
    layout = old is None or lines != old_lines or not fits_one_line_each
    widget._megam_sig = sig  # type: ignore[attr-defined]
    widget.update(text, layout=layout)
    return True
