"""LogView: a scrollable, bounded log of (container, time, text) lines.

Line API: only visible rows are rendered, so a 10k+ line buffer costs
nothing until scrolled to. Text is literal (`Text.from_ansi` keeps SGR
colours; markup is never parsed). Optional prefix (container name),
timestamps, wrapping and search highlights.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

PALETTE = ("cyan", "magenta", "green", "yellow", "blue", "bright_red", "bright_cyan", "bright_magenta")
MATCH = Style(reverse=True, bold=True)
CURRENT = Style(bgcolor="yellow", color="black", bold=True)


@dataclass(frozen=True)
class Entry:
    name: str
    time: float | None
    text: str  # may contain SGR sequences (kept colours), never markup


class LogView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LogView { height: 1fr; background: $surface; }
    """

    def __init__(self, max_lines: int = 10_000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_lines = max(100, max_lines)
        self.entries: list[Entry] = []
        self.show_names = False
        self.show_time = False
        self.wrap = False
        self.follow = True
        self.search: str = ""
        self.current_match: int | None = None
        self._colours: dict[str, str] = {}
        self._rendered: dict[int, Text] = {}
        self._rows: list[tuple[int, int]] = []  # wrap mode: (entry index, part)
        self._width = 0
        self.dropped = 0

    # ------------------------------------------------------------------ content
    def append(self, entries: list[Entry]) -> None:
        if not entries:
            return
        self.entries.extend(entries)
        over = len(self.entries) - self.max_lines
        if over > self.max_lines // 10:  # trim in chunks, not per line
            del self.entries[:over]
            self.dropped += over
            self._rendered.clear()
            if self.current_match is not None:
                self.current_match = self.current_match - over if self.current_match >= over else None
            self._relayout()
        elif self.wrap:
            start = len(self.entries) - len(entries)
            for i in range(start, len(self.entries)):
                self._rows.extend((i, p) for p in range(self._parts(i)))
        self._update_size()
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def clear_all(self) -> None:
        self.entries.clear()
        self._rendered.clear()
        self._rows.clear()
        self._update_size()
        self.refresh()

    def set_option(self, **opts) -> None:
        for k, v in opts.items():
            setattr(self, k, v)
        self._rendered.clear()
        self._relayout()
        self._update_size()
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _text_width(self) -> int:
        return max(10, self.scrollable_content_region.width or self.size.width or 80)

    def _parts(self, i: int) -> int:
        n = self._render(i).cell_len
        w = self._text_width()
        return max(1, -(-n // w))

    def _relayout(self) -> None:
        self._rows = []
        if self.wrap:
            for i in range(len(self.entries)):
                self._rows.extend((i, p) for p in range(self._parts(i)))

    def _update_size(self) -> None:
        rows = len(self._rows) if self.wrap else len(self.entries)
        width = self._text_width() if self.wrap else max((self._render(i).cell_len for i in range(max(0, len(self.entries) - 200), len(self.entries))), default=0)
        self._width = max(self._width if not self.wrap else 0, width)
        self.virtual_size = Size(self._width, rows)

    def on_resize(self) -> None:
        if self.wrap:
            self._relayout()
        self._update_size()

    # ------------------------------------------------------------------ rendering
    def colour(self, name: str) -> str:
        if name not in self._colours:
            self._colours[name] = PALETTE[len(self._colours) % len(PALETTE)]
        return self._colours[name]

    def _render(self, i: int) -> Text:
        t = self._rendered.get(i)
        if t is not None:
            return t
        e = self.entries[i]
        t = Text(no_wrap=True, end="")
        if self.show_names:
            t.append(f"{e.name} ", style=self.colour(e.name))
        if self.show_time and e.time is not None:
            t.append(time.strftime("%H:%M:%S", time.localtime(e.time)) + f".{int(e.time % 1 * 1000):03d} ", style="dim")
        t.append_text(Text.from_ansi(e.text, no_wrap=True, end="") if "\x1b" in e.text else Text(e.text))
        if self.search:
            style = CURRENT if i == self.current_match else MATCH
            t.highlight_regex(re.compile(re.escape(self.search), re.IGNORECASE), style=style)
        if len(self._rendered) > 2000:
            self._rendered.clear()
        self._rendered[i] = t
        return t

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if self.wrap:
            if row >= len(self._rows):
                return Strip.blank(width)
            i, part = self._rows[row]
            w = self._text_width()
            text = self._render(i)[part * w : (part + 1) * w]
            x0 = 0
        else:
            if row >= len(self.entries):
                return Strip.blank(width)
            text = self._render(row)
            x0 = self.scroll_offset.x
        segments = list(text.render(self.app.console))
        return Strip(segments).crop_extend(x0, x0 + width, None).simplify() if segments else Strip([Segment(" " * width)])

    # ------------------------------------------------------------------ scrolling
    # scrolling up by the user stops following; End (screen binding) resumes
    def action_scroll_up(self) -> None:
        self.follow = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.follow = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.follow = False
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event) -> None:
        self.follow = False
        super()._on_mouse_scroll_up(event)

    # ------------------------------------------------------------------ search
    def find(self, term: str, forward: bool = True, start: int | None = None) -> int | None:
        """Index of the next entry containing `term` (case-insensitive), wrapping around."""
        if not term or not self.entries:
            return None
        t = term.lower()
        n = len(self.entries)
        if start is None:
            start = self.current_match if self.current_match is not None else (n - 1 if forward else 0)
        for k in range(1, n + 1):
            i = (start + k) % n if forward else (start - k) % n
            if t in self.plain(i).lower():
                return i
        return None

    def plain(self, i: int) -> str:
        e = self.entries[i]
        return Text.from_ansi(e.text).plain if "\x1b" in e.text else e.text

    def show_match(self, i: int) -> None:
        self.current_match = i
        self.follow = False
        self._rendered.clear()
        row = i
        if self.wrap:
            row = next((r for r, (idx, _) in enumerate(self._rows) if idx == i), 0)
        self.scroll_to(y=max(0, row - self.scrollable_content_region.height // 2), animate=False, immediate=True)
        self.refresh()

    def matches(self) -> int:
        if not self.search:
            return 0
        t = self.search.lower()
        return sum(1 for i in range(len(self.entries)) if t in self.plain(i).lower())
