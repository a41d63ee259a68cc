"""Work-arounds for Textual bugs that matter to a console left open all day.

Each is applied once, at import of the app, and only where the installed Textual
still has the bug (a Textual that fixed it is left alone).

- `StylesCache.get_inner_outer` is an instance method under `functools.lru_cache(1024)`
  (Textualize/textual#6665, open): the cache key holds the StylesCache itself, so the
  last 1,024 widgets that were ever painted keep their StylesCache and every strip it
  holds (plus the strips the compositor cut from them) after they are removed. Here
  every toast, modal and row-detail widget that came and went stayed: the soak's slow
  RSS creep under churn. The colours it computes depend only on the two background
  colours, so the same function is cached on those alone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from textual._styles_cache import StylesCache


def apply() -> bool:
    """Install the work-arounds; True when the StylesCache one was needed (and is now in place)."""
    current = StylesCache.__dict__.get("get_inner_outer")
    original = getattr(current, "__wrapped__", None)
    if original is None or not hasattr(current, "cache_info"):
        return False  # not (or no longer) an lru_cache on the instance: nothing to fix

    @lru_cache(1024)
    def inner_outer(base_background: Any, background: Any) -> Any:
        return original(None, base_background, background)  # the body never reads its `cls`

    def get_inner_outer(self: StylesCache, base_background: Any, background: Any) -> Any:
        return inner_outer(base_background, background)

    get_inner_outer.__doc__ = original.__doc__
    StylesCache.get_inner_outer = get_inner_outer  # type: ignore[method-assign]
    current.cache_clear()  # what the old cache already pinned
    return True
