"""SparkLine: Textual's `Sparkline`, drawn through the Line API with a cached Strip.

`textual.widgets.Sparkline` builds a Rich renderable and re-renders it on every refresh
(~0.3-0.4 ms). This widget draws the same cells (bucketing, bar characters, colour blend,
empty / single-value cases: see textual/renderables/sparkline.py) and keeps the strips
until the data, summary function, size or colours change.
tests/ui/test_spark_line.py checks it cell by cell against Textual's widget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import ClassVar, Optional

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

BARS = "▁▂▃▄▅▆▇█"


def _max_factory() -> Callable[[Sequence[float]], float]:
    return max


@lru_cache(maxsize=1024)
def _bar_style(base: Style, lo: RichColor, hi: RichColor, ratio: float) -> Style:
    """The bar's colour as textual.renderables._blend_colors.blend_colors, over the widget's style."""
    if lo.triplet is None or hi.triplet is None:
        return base + Style.from_color(hi)
    (r1, g1, b1), (r2, g2, b2) = lo.triplet, hi.triplet
    return base + Style.from_color(RichColor.from_rgb(r1 + (r2 - r1) * ratio, g1 + (g2 - g1) * ratio, b1 + (b2 - b1) * ratio))


def _lines(data: Sequence[float], width: int, height: int, lo: RichColor, hi: RichColor,
           base: Style, summary: Callable[[Sequence[float]], float]) -> list[Strip]:
    """The strips Textual's Sparkline renderable + widget pipeline produce (top line first)."""
    if not data:
        return [Strip([])] * (height - 1) + [Strip([Segment("▁" * width, base + Style.from_color(lo))])]
    if len(data) == 1:
        return [Strip([Segment("█" * width, base + Style.from_color(hi))])] * height
    if width <= 0:
        return [Strip([])] * height
    data = list(data)
    count = len(data)  # Textual's int(Fraction(count, width) * n), in integers
    buckets = [p for p in (data[count * n // width:count * (n + 1) // width] for n in range(width)) if p]
    minimum, maximum = min(data), max(data)
    extent = maximum - minimum or 1
    top = len(BARS) * height - 1
    bars = []  # (bar index, style) per cell; same float walk over the buckets as Textual
    index, bucket_step = 0.0, len(buckets) / width
    for _ in range(width):
        ratio = (summary(buckets[int(index)]) - minimum) / extent
        bars.append((int(ratio * top), _bar_style(base, lo, hi, ratio)))
        index += bucket_step
    strips = []
    for i in reversed(range(height)):
        low, high = i * len(BARS), (i + 1) * len(BARS)
        strips.append(Strip([
            Segment(" ", base) if bar < low else Segment("█" if bar >= high else BARS[bar % len(BARS)], style)
            for bar, style in bars
        ]))
    return strips


class SparkLine(Widget):
    """A sparkline: same surface, CSS and cells as `textual.widgets.Sparkline`, cheaper redraws."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"sparkline--max-color", "sparkline--min-color"}
    DEFAULT_CSS = """
    SparkLine { height: 1; }
    SparkLine > .sparkline--max-color { color: $primary; }
    SparkLine > .sparkline--min-color { color: $primary 30%; }
    """

    data = reactive[Optional[Sequence[float]]](None)
    summary_function = reactive[Callable[[Sequence[float]], float]](_max_factory)

    def __init__(
        self,
        data: Sequence[float] | None = None,
        *,
        min_color: Color | str | None = None,
        max_color: Color | str | None = None,
        summary_function: Callable[[Sequence[float]], float] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.min_color = None if min_color is None else Color.parse(min_color)
        self.max_color = None if max_color is None else Color.parse(max_color)
        self.data = data
        if summary_function is not None:
            self.summary_function = summary_function
        self._key: tuple | None = None
        self._strips: list[Strip] = []

    def render_line(self, y: int) -> Strip:
        _, background = self.background_colors
        lo = background + (self.get_component_styles("sparkline--min-color").color if self.min_color is None else self.min_color)
        hi = background + (self.get_component_styles("sparkline--max-color").color if self.max_color is None else self.max_color)
        base = self.visual_style.rich_style
        key = (self.size, tuple(self.data or ()), self.summary_function, lo, hi, base)
        if key != self._key:
            width, height = self.size
            self._strips = _lines(key[1], width, height or 1, lo.rich_color, hi.rich_color, base, self.summary_function)
            self._key = key
        return self._strips[y] if 0 <= y < len(self._strips) else Strip.blank(self.size.width, base)
