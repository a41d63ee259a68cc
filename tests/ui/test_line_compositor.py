"""LineCompositor paints exactly what Textual's compositor paints, from fewer rendered lines."""

import dataclasses
import io

from rich.console import Console
from textual._compositor import Compositor
from textual.geometry import Region

from megam_tui.backends.docker_models import StatsSnapshot
from megam_tui.ui.line_compositor import LineCompositor, line_runs
from megam_tui.ui.messages import LayerUpdate
from tests.ui.snapshot_data import feed
from tests.ui.test_snapshots import SIZE, _feed, make_app


def test_line_runs_merge_and_clip():
    screen = Region(0, 0, 80, 24)
    regions = [Region(0, 3, 10, 2), Region(40, 4, 5, 3), Region(0, 10, 80, 1), Region(5, 22, 3, 9), Region(0, 0, 0, 5)]
    assert line_runs(regions, screen) == [(3, 7), (10, 11), (22, 24)]
    assert line_runs([], screen) == []


def _paint(update) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=SIZE[0], height=SIZE[1])
    console.print(update, end="")
    return console.file.getvalue()


async def test_partial_updates_paint_the_same_bytes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _feed(pilot)
        compositor = app.screen._compositor
        assert isinstance(compositor, LineCompositor)
        seen = {"frames": 0}

        def both() -> object:
            """Line first (a dirty line it skipped would then be rendered fresh by the stock
            pass and differ), then Textual's own on the same dirty regions."""
            dirty = set(compositor._dirty_regions)
            mine = LineCompositor.render_partial_update(compositor)
            compositor._dirty_regions.update(dirty)
            stock = Compositor.render_partial_update(compositor)
            if mine is not None or stock is not None:
                assert _paint(mine) == _paint(stock)
                seen["frames"] += 1
            return mine

        compositor.render_partial_update = both
        # routine changes: stats of a few containers, a host going away
        snap = next(obj for layer, obj in feed() if isinstance(obj, StatsSnapshot))
        for step in range(3):
            stats = tuple(dataclasses.replace(s, cpu_pct=(s.cpu_pct or 0) + 7.5 * (step + 1)) for s in snap.stats)
            app.post_message(LayerUpdate("docker", dataclasses.replace(snap, stats=stats, time=snap.time + 2 * (step + 1))))
            await pilot.pause()
            app.flush_held()
            await pilot.pause()
        await pilot.press("down", "down", "3", "down", "2")
        await pilot.pause()
        assert seen["frames"] >= 3  # the comparison really ran on partial updates

