"""KeyedTable.set_many: changed cells are written; only rows with a changed cell in view repaint."""

from textual.app import App, ComposeResult

from megam_tui.ui.keyed_table import KeyedTable


class TableApp(App):
    CSS = "KeyedTable { width: 40; height: 8; }"

    def compose(self) -> ComposeResult:
        t = KeyedTable()
        for i in range(12):
            t.add_column(f"c{i}", width=6, key=f"c{i}")
        for r in range(3):
            t.add_row(*[f"{r}.{i}" for i in range(12)], key=f"r{r}")
        yield t


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_offscreen_change_is_stored_not_repainted_then_shown_when_scrolled_to():
    app = TableApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(KeyedTable)
        await pilot.pause()
        repainted: list[int] = []
        real = table.refresh_row
        table.refresh_row = lambda index: (repainted.append(index), real(index))[1]

        table.set_many({"r1": {"c10": "FAR"}})  # column 10 is scrolled out of view
        assert repainted == [] and table.get_cell("r1", "c10") == "FAR"

        table.set_many({"r1": {"c1": "NEAR"}, "r2": {"c11": "FAR2"}})
        assert repainted == [1]
        await pilot.pause()
        assert "NEAR" in screen_text(app) and "FAR" not in screen_text(app)

        table.scroll_to(x=table.max_scroll_x, animate=False)
        await pilot.pause()
        text = screen_text(app)
        assert "FAR" in text and "FAR2" in text and "NEAR" not in text
        repainted.clear()
        table.set_many({"r0": {"c11": "NOW"}})  # in view now
        assert repainted == [0]
