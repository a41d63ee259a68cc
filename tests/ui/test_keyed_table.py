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


class GrowApp(App):
    def compose(self) -> ComposeResult:
        fixed = KeyedTable(id="fixed")
        fixed.add_column("a", width=6, key="a")
        fixed.add_column("b", width=4, key="b")
        auto = KeyedTable(id="auto")
        auto.add_column("a", width=6, key="a")
        auto.add_column("msg", key="msg")  # sized by content
        yield fixed
        yield auto


async def test_new_rows_size_the_table_without_measuring_fixed_columns(monkeypatch):
    import textual.widgets._data_table as dt

    measured: list[object] = []
    real = dt.measure
    monkeypatch.setattr(dt, "measure", lambda *a, **k: (measured.append(a[1]), real(*a, **k))[1])
    app = GrowApp()
    async with app.run_test(size=(80, 30)) as pilot:
        fixed, auto = app.query_one("#fixed", KeyedTable), app.query_one("#auto", KeyedTable)
        await pilot.pause()
        measured.clear()  # the column labels are measured when the columns are added
        for i in range(50):
            fixed.add_row(f"x{i}", "yy", key=f"r{i}")
        await pilot.pause()
        assert fixed.virtual_size.height == 50 + 1 and fixed.virtual_size.width == 6 + 4 + 2 * 2 * fixed.cell_padding
        assert measured == []  # nothing measured for fixed-width columns
        auto.add_row("x", "a much longer message", key="m")
        await pilot.pause()
        assert measured  # an auto-width column is DataTable's business, as before
        assert auto.columns[dt.ColumnKey("msg")].get_render_width(auto) >= len("a much longer message")
