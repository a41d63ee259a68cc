"""ContainersTable: a DataTable that can change a few cells without re-rendering every row.

`DataTable.update_cell` bumps a table-wide counter that is part of every render
cache key, so one changed cell re-renders all visible rows (~100 ms for a
55 x 14 grid here). `set_cells` writes the values and drops only the changed
rows' cache entries, then refreshes just those rows. It relies on DataTable
internals of Textual 8.2 (`_data`, the render caches); if they are missing it
falls back to the public `update_cell`.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class ContainersTable(DataTable):
    fast_updates = True

    def set_cells(self, row_key: str, values: dict[str, Any]) -> None:
        if not values:
            return
        if self.fast_updates:
            try:
                self._set_cells_fast(row_key, values)
                return
            except Exception:  # noqa: BLE001 - Textual internals changed: use the public path
                self.fast_updates = False
        for col, value in values.items():
            self.update_cell(row_key, col, value)

    def _set_cells_fast(self, row_key: str, values: dict[str, Any]) -> None:
        rk = RowKey(row_key)
        data = self._data[rk]
        for col in values:
            if ColumnKey(col) not in data:
                raise KeyError(col)
        for col, value in values.items():
            data[ColumnKey(col)] = value
        index = self._row_locations.get(rk)
        for cache in (self._cell_render_cache, self._row_render_cache):
            for key in [k for k in cache.keys() if k[0] == rk]:
                cache.discard(key)
        for key in [k for k in self._row_renderable_cache.keys() if k[1] == index]:
            self._row_renderable_cache.discard(key)
        self._line_cache.clear()  # rebuilt from the (still valid) row caches
        if index is not None:
            self.refresh_row(index)
