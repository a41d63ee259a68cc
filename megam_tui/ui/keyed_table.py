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
        indexes = set()
        for rk, values in rows.items():
            data = self._data[rk]
            for col, value in values.items():
                data[ColumnKey(col)] = value
            indexes.add(self._row_locations.get(rk))
        cells = {(rk, ColumnKey(col)) for rk, values in rows.items() for col in values}
        cell_cache = self._cell_render_cache  # only the changed cells are rendered again
        for key in [k for k in cell_cache.keys() if (k[0], k[1]) in cells]:
            cell_cache.discard(key)
        for key in [k for k in self._row_render_cache.keys() if k[0] in rows]:
            self._row_render_cache.discard(key)
        for key in [k for k in self._row_renderable_cache.keys() if k[1] in indexes]:
            self._row_renderable_cache.discard(key)
        self._line_cache.clear()  # rebuilt from the (still valid) row caches
        for index in indexes:
            if index is not None:
                self.refresh_row(index)
