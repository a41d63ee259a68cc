"""Widgets that come and go are freed with everything they painted (issue #7, soak):
Textual's StylesCache.get_inner_outer lru_cache used to pin the last 1,024 of them."""

from __future__ import annotations

import gc
import weakref

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

import megam_tui.app  # noqa: F401 - applies the work-arounds, as running the app does
from megam_tui.ui import textual_fixes


class Churn(App):
    CSS = "Label { background: $panel; }"

    def compose(self) -> ComposeResult:
        yield Vertical(id="list")


async def test_removed_widgets_styles_caches_are_freed():
    app = Churn()
    gone: list[weakref.ref] = []
    async with app.run_test(size=(40, 30)) as pilot:
        box = app.query_one("#list")
        for round_ in range(5):
            labels = [Label(f"card {round_}-{i}") for i in range(20)]
            await box.mount(*labels)
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            app.refresh()
            await pilot.pause()
            gone += [weakref.ref(label._styles_cache) for label in labels]
            await box.remove_children()
            await pilot.pause()
        del labels
        # one more frame after the last removal: the compositor lets go of its last map
        await box.mount(Label("last"))
        await pilot.pause()
        app.refresh()
        await pilot.pause()
        gc.collect()
        alive = sum(ref() is not None for ref in gone)
        assert alive == 0, f"{alive} of {len(gone)} removed widgets' StylesCache still alive"


def test_apply_is_idempotent_and_keeps_colours():
    from textual._styles_cache import StylesCache
    from textual.color import Color

    textual_fixes.apply()  # a second call finds nothing left to fix
    assert textual_fixes.apply() is False
    inner, outer = StylesCache().get_inner_outer(Color(10, 20, 30), Color(200, 0, 0, 0.5))
    assert outer.background == Color(10, 20, 30)
    assert inner.background == Color(10, 20, 30) + Color(200, 0, 0, 0.5)
