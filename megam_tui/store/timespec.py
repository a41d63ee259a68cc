"""Times on the command line: "8h", "2d", "1h30m", "90s" back from now, or an ISO time."""

from __future__ import annotations

import re
import time
from datetime import datetime

_PART = re.compile(r"(\d+(?:\.\d*)?)(ms|s|m|h|d|w)")
_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


def parse_span(text: str) -> float:
    """"8h" -> 28800.0; several parts add up ("1h30m"). Raises ValueError with the text."""
    s = text.strip().lower()
    pos, total = 0, 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not s or pos != len(s):
        raise ValueError(f"expected a time span like 30m, 8h, 2d or 1h30m, got {text!r}")
    return total


def parse_when(text: str, now: float | None = None) -> float:
    """A unix time: a span back from now ("8h") or an ISO date/time (local time unless it says)."""
    now = time.time() if now is None else now
    try:
        return now - parse_span(text)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expected a time span like 8h or 2d, or a time like 2026-12-05T22:00, got {text!r}") from None
    return dt.timestamp()
