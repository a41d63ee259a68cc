"""The audit log: one JSON line per finished action, written append-only with mode 0600.

A record says who (local user, session: the terminal, or "web ADDR:PORT"), what (layer, action
in operator words, target id AND the name shown on screen, parameters without secrets), whether
a confirmation was asked and what was answered, and how it ended (outcome, error in operator
words, duration). `read_records` and `select` are what `megam-tui audit` uses. Write failures are
reported through `last_error`, never raised. Headless: no Textual.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "key_data", "apikey", "api_key", "credential")
MASK = "***"
_ENV_ITEM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")


def is_secret(name: str) -> bool:
    low = name.lower()
    return any(word in low for word in SECRET_WORDS)


def mask_params(params: Any) -> Any:
    """Parameters as an auditor may read them: values of secret-named keys, and of secret-named
    NAME=VALUE items (a container's environment), replaced by ***."""
    if isinstance(params, dict):
        return {k: (MASK if is_secret(str(k)) else mask_params(v)) for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        out = []
        for item in params:
            m = _ENV_ITEM.match(item) if isinstance(item, str) else None
            out.append(f"{m.group(1)}={MASK}" if m and is_secret(m.group(1)) else mask_params(item))
        return out
    return params


def session_label(env: dict[str, str] | None = None) -> str:
    """Where the operator sits: the web session the server named, else the terminal device."""
    env = os.environ if env is None else env
    given = env.get("MEGAM_SESSION")
    if given:
        return given[:200]
    for stream in (sys.stdin, sys.stdout):
        try:
            return f"terminal {os.ttyname(stream.fileno())}"
        except (OSError, AttributeError, ValueError):
            continue
    return "terminal"


class AuditLog:
    """Append-only JSON Lines file (0600)."""

    SECRET_KEYS = SECRET_WORDS

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.last_error: str | None = None
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> bool:
        if self.path is None:
            return True
        clean = {k: v for k, v in record.items() if not is_secret(k)}
        if "params" in clean:
            clean["params"] = mask_params(clean["params"])
        line = json.dumps(clean, default=str, ensure_ascii=False)
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
                self.last_error = None
                return True
            except OSError as exc:
                self.last_error = f"audit log {self.path}: {exc.strerror or exc}"
                return False


def now_iso(t: float | None = None) -> str:
    """Local time with its offset, to the second (what an auditor compares with other logs)."""
    return datetime.fromtimestamp(time.time() if t is None else t).astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class BadLine:
    """A line that is not a JSON object (a torn write, an edit): shown, never fatal."""

    lineno: int
    text: str


def read_records(path: Path) -> Iterator[dict[str, Any] | BadLine]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                yield BadLine(lineno, line.rstrip("\n")[:200])
                continue
            yield rec if isinstance(rec, dict) else BadLine(lineno, line.rstrip("\n")[:200])


def record_time(rec: dict[str, Any]) -> float | None:
    value = rec.get("time")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:  # first-wave records: %Y-%m-%dT%H:%M:%S%z (offset without a colon)
            parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()
    return parsed.astimezone(timezone.utc).timestamp()


def select(
    records: Iterable[dict[str, Any] | BadLine],
    since: float | None = None,
    layer: str | None = None,
    text: str | None = None,
) -> Iterator[dict[str, Any] | BadLine]:
    """Records at or after `since` (unix seconds), of `layer`, whose target/name contain `text`."""
    for rec in records:
        if isinstance(rec, BadLine):
            yield rec
            continue
        if since is not None:
            t = record_time(rec)
            if t is None or t < since:
                continue
        if layer is not None and rec.get("layer") != layer:
            continue
        if text is not None:
            hay = " ".join(str(rec.get(k, "")) for k in ("target", "name", "action")).lower()
            if text.lower() not in hay:
                continue
        yield rec
