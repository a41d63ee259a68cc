"""Make untrusted text terminal-safe before any widget sees it.

Names, labels, log lines, command output and error messages come from
engines and hosts we do not control. Rendering them as `rich.text.Text`
keeps Rich markup literal, but control characters would still reach the
terminal's byte stream (ESC sequences that clear the screen, set the title,
open hyperlinks; C1 CSI; NUL; lone surrogates from invalid UTF-8). Every
object a layer emits passes through `sanitize()` on the layer's own thread,
so the UI thread only ever holds safe strings.

Tab and newline are kept; every other C0 control, DEL and C1 control becomes
a visible Unicode control picture (ESC -> "␛"); lone surrogates become U+FFFD.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SGR = re.compile("\x1b\\[[0-9;:]*m")  # colour/style only: no cursor, screen, title or link


def _picture(m: re.Match[str]) -> str:
    ch = m.group()
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # control pictures block: ␀ … ␟ (ESC -> ␛)
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0x9F:
        return f"\\x{code:02x}"  # C1 controls (e.g. CSI 0x9b)
    return "\ufffd"  # lone surrogate


def safe_str(text: str, keep_sgr: bool = False) -> str:
    """`text` with terminal control characters made visible (fast path: unchanged).

    With `keep_sgr`, colour/style sequences (ESC [ … m) are kept for views that
    render ANSI colours with `Text.from_ansi` (log lines); nothing else is.
    """
    if _UNSAFE.search(text) is None:
        return text
    if keep_sgr and "\x1b[" in text:
        parts = _SGR.split(text)
        sgrs = _SGR.findall(text)
        out = [_UNSAFE.sub(_picture, parts[0])]
        for sgr, part in zip(sgrs, parts[1:]):
            out.append(sgr)
            out.append(_UNSAFE.sub(_picture, part))
        return "".join(out)
    return _UNSAFE.sub(_picture, text)


def sanitize(obj: Any, _depth: int = 0, _keep_sgr: bool = False) -> Any:
    """Return `obj` with every string inside made safe; unchanged objects are returned as is.

    A dataclass whose class sets `__megam_keep_sgr__ = True` (log lines) keeps
    colour sequences in its strings.
    """
    if isinstance(obj, str):
        return safe_str(obj, _keep_sgr)
    if _depth > 12 or obj is None or isinstance(obj, (int, float, bool, bytes)):
        return obj
    if isinstance(obj, tuple):
        items = tuple(sanitize(v, _depth + 1, _keep_sgr) for v in obj)
        if all(a is b for a, b in zip(items, obj)):
            return obj
        return type(obj)(*items) if hasattr(obj, "_fields") else items
    if isinstance(obj, list):
        items = [sanitize(v, _depth + 1, _keep_sgr) for v in obj]
        return obj if all(a is b for a, b in zip(items, obj)) else items
    if isinstance(obj, dict):
        new = {sanitize(k, _depth + 1): sanitize(v, _depth + 1, _keep_sgr) for k, v in obj.items()}
        same = len(new) == len(obj) and all(k in obj and obj[k] is v for k, v in new.items())
        return obj if same else new
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        keep = _keep_sgr or bool(getattr(type(obj), "__megam_keep_sgr__", False))
        for f in dataclasses.fields(obj):
            if not f.init:
                continue
            value = getattr(obj, f.name)
            clean = sanitize(value, _depth + 1, keep)
            if clean is not value:
                changes[f.name] = clean
        if not changes:
            return obj
        try:
            return dataclasses.replace(obj, **changes)
        except Exception:  # noqa: BLE001 - a dataclass that cannot be rebuilt: patch in place
            for k, v in changes.items():
                object.__setattr__(obj, k, v)
            return obj
    return obj
