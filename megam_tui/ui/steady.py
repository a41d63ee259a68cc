"""Hysteresis for live figures: a number is redrawn only when it moved enough to matter.

A calm screen is also a cheap one: each redraw costs a frame. CPU, load and rates are
noisy; showing every wiggle tells the operator nothing and repaints the dashboard
every poll. The sparkline / history keeps every sample; only the figure waits.
"""

from __future__ import annotations


def moved(old: float | None, new: float | None, abs_min: float, rel: float) -> bool:
    """Whether `new` differs from the shown `old` by >= max(abs_min, rel * |old|)."""
    if (old is None) != (new is None):
        return True
    if old is None or new is None:
        return False
    return abs(new - old) >= max(abs_min, rel * abs(old))
