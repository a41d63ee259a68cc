"""KeyedTable: a DataTable (rows addressed by key) that can change a few cells without re-rendering every row.

`DataTable.update_cell` bumps a table-wide counter that is part of every render
cache key, so one changed cell re-renders all visible rows (~100 ms for a
55 x 14 grid here). `set_cells` writes the values and drops only the changed
cells' (and rows') cache entries, then refreshes just those rows. It relies on DataTable
internals of Textual 8.2 (`_data`, the render caches); if they are missing it
falls back to the public `update_cell`.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class KeyedTable(DataTable):
    fast_updates = True
    _cache_generation = -1

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        """Drop render-cache entries that can never be hit again before painting.

        DataTable keys every cell / row / line cache entry with its `_update_count`,
        which every add_row / remove_row / sort bumps, so after such a change all
        older entries are dead but stay in the LRU caches up to their caps (10,000
        cells, 1,000 rows, renderables and lines): several MB per table, filling
        over tens of minutes of churn, which a soak sees as steady RSS growth.
        (`set_many` does not bump the counter: its entries stay valid.)
        """
        count = getattr(self, "_update_count", None)
        if count is not None and count != self._cache_generation:
            self._cache_generation = count
            for name in ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache", "_line_cache"):
                cache = getattr(self, name, None)
                if cache is not None:
                    cache.clear()
        return super().render_lines(crop)

    def _update_dimensions(self, new_rows):  # type: ignore[no-untyped-def]
        """Skip measuring every cell of every new row when no column is sized by content.

        DataTable measures each new cell (Rich measurement: the text split into words)
        only to track content widths, which matter for auto-width columns alone; with
        fixed widths that was ~3,200 measurements for the first 200 containers, on the
        path to the first frame. Rows with a label or an automatic height, and the
        virtual size, are still DataTable's."""
        if not self.fast_updates or any(column.auto_width for column in self.columns.values()):
            return super()._update_dimensions(new_rows)
        rest = []
        for row_key in new_rows:
            row = self.rows.get(row_key)
            if row is not None and (row.label is not None or row.auto_height):
                rest.append(row_key)
        return super()._update_dimensions(rest)

    def set_cells(self, row_key: str, values: dict[str, Any]) -> None:
        self.set_many({row_key: values})

    def set_many(self, changes: dict[str, dict[str, Any]]) -> None:
        """{row key: {column key: value}}: one pass over the caches for all rows."""
        changes = {k: v for k, v in changes.items() if v}
        if not changes:
            return
        if self.fast_updates:
            try:
                self._set_many_fast(changes)
                return
            except Exception:  # noqa: BLE001 - Textual internals changed: use the public path
                self.fast_updates = False
        for row_key, values in changes.items():
            for col, value in values.items():
                self.update_cell(row_key, col, value)

    def _set_many_fast(self, changes: dict[str, dict[str, Any]]) -> None:
        rows = {RowKey(k): v for k, v in changes.items()}
        for rk, values in rows.items():
            data = self._data[rk]
            for col in values:
                if ColumnKey(col) not in data:
                    raise KeyError(col)
        locations = {rk: self._row_locations.get(rk) for rk in rows}
        indexes = set(locations.values())
        for rk, values in rows.items():
            data = self._data[rk]
            for col, value in values.items():
                data[ColumnKey(col)] = value
        cells = {(rk, ColumnKey(col)) for rk, values in rows.items() for col in values}
        cell_cache = self._cell_render_cache  # only the changed cells are rendered again
        for key in [k for k in cell_cache.keys() if (k[0], k[1]) in cells]:
            cell_cache.discard(key)
        for key in [k for k in self._row_render_cache.keys() if k[0] in rows]:
            self._row_render_cache.discard(key)
        for key in [k for k in self._row_renderable_cache.keys() if k[1] in indexes]:
            self._row_renderable_cache.discard(key)
        self._line_cache.clear()  # rebuilt from the (still valid) row caches
        visible = self._visible_columns()
        for rk, values in rows.items():
            index = locations[rk]
            if index is None:
                continue
            # a row whose changed cells are all scrolled out of view looks the same: not
            # repainted now (its caches are dropped above; a horizontal scroll or resize
            # repaints every line from the data)
            if visible is None or any(ColumnKey(col) in visible for col in values):
                self.refresh_row(index)

    def _visible_columns(self) -> set[ColumnKey] | None:
        """Keys of the columns at least partly inside the view; None: assume all."""
        if self.fixed_columns:
            return None
        left = self.scroll_x
        right = left + self.scrollable_content_region.width
        x = self._row_label_column_width
        out: set[ColumnKey] = set()
        for column in self.ordered_columns:
            width = column.get_render_width(self)
            if x < right and x + width > left:
                out.add(column.key)
            x += width
        return out
