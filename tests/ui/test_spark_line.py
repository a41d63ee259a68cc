"""SparkLine (Line API, cached strips) draws exactly what Textual's Sparkline draws."""

import time

import pytest
from textual.app import App
from textual.containers import Vertical
from textual.geometry import Region
from textual.widgets import Sparkline

from megam_tui.ui.spark_line import SparkLine

DATA_SETS = {
    "empty": ([], None),
    "one": ([7.0], None),
    "all-equal": ([3, 3, 3, 3, 3], None),
    "increasing": (list(range(30)), None),
    "decreasing": (list(range(40, 0, -1)), None),
    "negative": ([-5, -1, -30, -12, -7, -20, -2], None),
    "floats": ([0.1, 2.5, 0.33, 7.75, 1.125, 3.3, 0.0, 9.99], None),
    "more-than-cells": ([(i * 37) % 101 for i in range(100)], None),
    "fewer-than-cells": ([4, 1, 9, 2, 6], None),
    "huge": ([1e18, 3e17, 9.9e18, 1, 5e18, 7e15], None),
    "summary-max": ([(i * 13) % 29 for i in range(61)], max),
    "summary-min": ([(i * 13) % 29 for i in range(61)], min),
    "summary-last": ([(i * 7) % 17 for i in range(45)], lambda part: part[-1]),
}


class Pair(App):
    CSS = """
    Screen { background: #101820; }
    Vertical { background: #203040 60%; height: auto; }
    Sparkline, SparkLine { width: 24; height: 1; margin-left: 1; }
    .warn > .sparkline--max-color { color: $warning; }
    .warn > .sparkline--min-color { color: $error 50%; }
    .bold { text-style: bold; padding: 0 1; background: #402020; }
    """

    def __init__(self, classes="", **kw):
        super().__init__()
        self.classes_, self.kw = classes, kw

    def compose(self):
        with Vertical():
            yield Sparkline([], classes=self.classes_, **self.kw)
            yield SparkLine([], classes=self.classes_, **self.kw)


def cells(widget):
    """Every cell (character, style) of the widget as the compositor gets it."""
    width, height = widget.outer_size
    return [[(ch, seg.style) for seg in strip for ch in seg.text] for strip in widget.render_lines(Region(0, 0, width, height))]


def segments(widget):
    width, height = widget.outer_size
    return [list(strip) for strip in widget.render_lines(Region(0, 0, width, height))]


async def set_all(pilot, data, summary=None, **styles):
    for w in pilot.app.query("Sparkline, SparkLine"):
        w.data = data
        if summary is not None:
            w.summary_function = summary
        for name, value in styles.items():
            setattr(w.styles, name, value)
    await pilot.pause()


def pair(app):
    return app.query_one(Sparkline), app.query_one(SparkLine)


@pytest.mark.parametrize(
    "size,classes,kw",
    [
        ((24, 1), "", {}),
        ((24, 1), "warn", {}),
        ((10, 3), "bold", {}),
        ((7, 2), "", {"min_color": "#00ff00", "max_color": "rgba(255,0,0,0.5)"}),
        ((1, 1), "warn", {}),
    ],
)
async def test_cells_equal_textual_sparkline(size, classes, kw):
    app = Pair(classes, **kw)
    async with app.run_test(size=(60, 12)) as pilot:
        old, new = pair(app)
        for name, (data, summary) in DATA_SETS.items():
            await set_all(pilot, data, summary, width=size[0], height=size[1])
            assert new.size == old.size and new.size.width == size[0] - (2 if classes == "bold" else 0)
            assert cells(new) == cells(old), name
            assert segments(new) == segments(old), name  # same segments too: identical screenshots
            assert "".join(ch for ch, _ in cells(new)[-1]).strip() or not new.size.width, name


async def test_data_change_and_resize_redraw():
    app = Pair()
    async with app.run_test(size=(60, 12)) as pilot:
        old, new = pair(app)
        await set_all(pilot, [1, 2, 3, 4, 5, 6, 7, 8])
        first = cells(new)
        await set_all(pilot, [8, 7, 6, 5, 4, 3, 2, 1])
        assert cells(new) != first and cells(new) == cells(old)
        await set_all(pilot, [1, 2, 3, 4, 5, 6, 7, 8])
        assert cells(new) == first
        new.summary_function = old.summary_function = min
        await pilot.pause()
        assert cells(new) == cells(old)
        await set_all(pilot, [1, 2, 3, 4, 5, 6, 7, 8], max, width=12)
        assert len(cells(new)[0]) == 12 and cells(new) != first and cells(new) == cells(old)
        await set_all(pilot, [1, 2, 3, 4, 5, 6, 7, 8], height=2)
        assert len(cells(new)) == 2 and cells(new) == cells(old)


async def test_style_change_redraws():
    app = Pair()
    async with app.run_test(size=(60, 12)) as pilot:
        old, new = pair(app)
        await set_all(pilot, list(range(20)))
        before = cells(new)
        for w in (old, new):
            w.add_class("warn")
        await pilot.pause()
        assert cells(new) != before and cells(new) == cells(old)


async def test_render_cost_print_only():
    app = Pair()
    async with app.run_test(size=(60, 12)) as pilot:
        await set_all(pilot, [float((i * 37) % 101) for i in range(60)])
        region = Region(0, 0, 24, 1)
        for w in pair(app):
            w.render_lines(region)
            n, start = 300, time.perf_counter()
            for _ in range(n):
                w.refresh()  # drops Textual's render caches, as a data change does
                w.render_lines(region)
            print(f"\n{type(w).__name__}: {(time.perf_counter() - start) / n * 1000:.3f} ms per render")
