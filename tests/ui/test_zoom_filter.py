"""Escape in a zoomed pane's filter box (MegamApp.escape_to_minimize)."""

from tests.ui.test_snapshots import SIZE, _feed, make_app


async def test_escape_in_a_zoomed_panes_filter_clears_the_filter_first():
    """Textual's Escape-to-minimize would leave the filter box focused and typed-into;
    the operator's Escape clears the filter, the next one restores the layout."""
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _feed(pilot)
        await pilot.press("1", "z")
        frame = app.frames["docker"]
        assert app.screen.maximized is frame
        await pilot.press("slash", "w")
        assert isinstance(app.focused, Input) and app.panes["docker"].model.filter == "w"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.maximized is frame and app.panes["docker"].model.filter == ""
        assert not isinstance(app.focused, Input)
        await pilot.press("escape")
        assert app.screen.maximized is None
