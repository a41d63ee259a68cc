"""A compositor whose partial updates render only the lines that changed.

Textual's partial update crops to the union of the dirty regions, then asks
every widget that overlaps that box for ALL its visible lines and throws away
the lines that are not dirty. On this dashboard a beat changes a few lines of
five panes spread over the top half of the screen, so each beat re-rendered
(mostly from cache, but line by line in Python) some 800 lines to paint ~40.
Here each widget is asked only for its lines from its first to its last dirty
screen line; what reaches the terminal is the same (the dropped lines were never
painted), and a widget's own dirty lines outside the runs stay dirty in its
cache for the next time they are needed.

Full updates (resize, screen switch, zoom) and everything else are Textual's.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


def line_runs(regions: Iterable[Region], screen: Region) -> list[tuple[int, int]]:
    """The dirty screen lines as sorted, merged [start, end) runs."""
    lines: set[int] = set()
    for region in regions:
        r = region.intersection(screen)
        if r.height and r.width:
            lines.update(range(r.y, r.y + r.height))
    runs: list[tuple[int, int]] = []
    for y in sorted(lines):
        if runs and runs[-1][1] == y:
            runs[-1] = (runs[-1][0], y + 1)
        else:
            runs.append((y, y + 1))
    return runs


class LineCompositor(Compositor):
    def __init__(self) -> None:
        super().__init__()
        self._runs: list[tuple[int, int]] | None = None

    def render_partial_update(self):  # type: ignore[override]
        if self._dirty_regions:
            self._runs = line_runs(self._dirty_regions, self.size.region)
        try:
            return super().render_partial_update()
        finally:
            self._runs = None

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        runs = self._runs
        if runs is None or crop is None:
            yield from super()._get_renders(crop)
            return
        overlaps = crop.overlaps
        for widget, (region, clip) in self.visible_widgets.items():
            if not overlaps(clip):
                continue
            x, vy, width, height = region.intersection(clip)
            if not (width and height):
                continue
            # one call per widget (a call costs more than a few cached lines): from its
            # first dirty line to its last
            top = bottom = -1
            for start, end in runs:
                if start < vy + height and end > vy:
                    if top < 0:
                        top = max(start, vy)
                    bottom = min(end, vy + height)
            if top >= 0:
                # as clip: (region ∩ part) is part, so the chops land on the right lines
                part = Region(x, top, width, bottom - top)
                yield region, part, widget.render_lines(Region(x - region.x, top - region.y, width, bottom - top))


class LineScreen(Screen):
    """A Screen painted by LineCompositor (the app's default screen)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._compositor = LineCompositor()
