"""Container log follow: whole lines, cleaned, batched, bounded.

- `LineSplitter` turns arbitrary byte chunks (TTY containers stream byte by
  byte) into whole lines, decoding UTF-8 incrementally.
- `clean_line` strips cursor / screen control sequences (keeps SGR colours
  unless asked not to) and resolves carriage-return overwrites.
- `LogFollower` (one StreamThread per container) follows `logs(follow=True,
  timestamps=True)`, resumes after a reconnect with `since=` the last
  timestamp (dropping lines it already had).
- `LogSession` merges followers of one or more containers and emits a
  `LogBatch` every ~50 ms (never per line). Buffers are bounded
  (settings.logs_max_lines per container); excess old lines are dropped and
  counted.
"""

from __future__ import annotations

import codecs
import collections
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from megam_tui.backends.base import BackendError, StreamThread
from megam_tui.backends.docker_client import make_client, reason
from megam_tui.backends.docker_parse import parse_iso
from megam_tui.settings import EngineSpec

# CSI: ESC [ params intermediates final ; SGR (final "m") may be kept
_CSI = re.compile(r"\x1b\[([0-?]*)([ -/]*)([@-~])")
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_ESC_OTHER = re.compile(r"\x1b[@-Z\\-_]|\x1b[ -/]+[0-~]|\x1b$")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]")


def clean_line(text: str, keep_colours: bool = True) -> str:
    """Remove cursor/screen controls; keep printable text literally (markup stays text)."""
    if text.isprintable():
        return text
    if "\r" in text:
        # a terminal would overwrite: keep what is visible last
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    if "\x1b" in text:
        text = _OSC.sub("", text)
        text = _CSI.sub(lambda m: m.group(0) if keep_colours and m.group(3) == "m" and not m.group(2) else "", text)
        text = _ESC_OTHER.sub("", text)
    return _CTRL.sub("", text.replace("\t", "    "))


class LineSplitter:
    """Bytes in, whole lines out (incremental UTF-8, any chunking)."""

    def __init__(self, max_line: int = 64 * 1024) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buf = ""
        self.max_line = max_line

    def feed(self, chunk: bytes) -> list[str]:
        self._buf += self._decoder.decode(chunk)
        if "\n" not in self._buf:
            if len(self._buf) > self.max_line:  # a runaway line: cut it
                out, self._buf = self._buf, ""
                return [out]
            return []
        *lines, self._buf = self._buf.split("\n")
        return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]

    def flush(self) -> list[str]:
        rest = self._buf + self._decoder.decode(b"", final=True)
        self._buf = ""
        return [rest] if rest else []


_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")


_SECOND_CACHE: dict[str, float | None] = {}


def split_timestamp(line: str) -> tuple[float | None, str, str]:
    """"2026-...Z text" -> (unix seconds, raw ts, text)."""
    # fast path: docker's RFC3339Nano UTC form "2026-11-25T19:50:32.603095628Z "
    sp = line.find(" ", 19, 40)
    if sp > 0 and line[sp - 1] == "Z" and line[10:11] == "T":
        raw = line[:sp]
        base = _SECOND_CACHE.get(raw[:19], -1.0)
        if base == -1.0:
            if len(_SECOND_CACHE) > 4096:
                _SECOND_CACHE.clear()
            base = _SECOND_CACHE[raw[:19]] = parse_iso(raw[:19] + "Z")
        if base is not None:
            frac = raw[19:-1]
            try:
                return base + (float(frac) if frac.startswith(".") and len(frac) > 1 else 0.0), raw, line[sp + 1 :]
            except ValueError:
                pass
    m = _TS.match(line)
    if not m:
        return None, "", line
    return parse_iso(m.group(1)), m.group(1), line[m.end() :]


@dataclass(frozen=True)
class LogLine:
    __megam_keep_sgr__ = True  # the log view renders colours (Text.from_ansi); see megam_tui.sanitize

    key: str  # "engine/id"
    name: str  # container name (the prefix)
    time: float | None
    text: str


@dataclass(frozen=True)
class LogBatch:
    """Lines of one follow session since the last batch (emitted every ~50 ms)."""

    session: str
    lines: tuple[LogLine, ...]
    dropped: int = 0  # lines dropped because a buffer was full
    notice: str | None = None  # e.g. "web: log stream lost: <reason>" / "ended"
    at: float = field(default_factory=time.time)


class LogFollower(StreamThread):
    backoff_initial = 0.5
    backoff_max = 5.0

    def __init__(self, session: LogSession, spec: EngineSpec, cid: str, name: str, tail: int, kind: str = "containers") -> None:
        super().__init__(f"docker-logs-{name}", on_error=self._failed)
        self.kind = kind  # "containers" | "services" (Swarm service logs: same stream format)
        self.session = session
        self.spec = spec
        self.cid = cid
        self.key = f"{spec.name}/{cid}"
        self.cname = name
        self.tail = tail
        self._stream: Any = None
        self._last_raw_ts = ""
        self._last_ts: float | None = None
        self.lines_in = 0

    def _failed(self, exc: BaseException) -> None:
        self.session.notice(f"{self.cname}: log stream lost: {reason(exc)}")

    def interrupt(self) -> None:
        s = self._stream
        if s is not None:
            try:
                s.close()
            except Exception:  # noqa: BLE001
                pass

    def run_once(self) -> None:
        client = make_client(self.spec, timeout=self.spec.timeout)
        try:
            tty = self.kind == "containers" and bool((client.inspect_container(self.cid).get("Config") or {}).get("Tty"))
            params: dict[str, Any] = {"stdout": 1, "stderr": 1, "follow": 1, "timestamps": 1}
            if self._last_ts is None:
                params["tail"] = str(self.tail)
            else:
                params["since"] = str(int(self._last_ts))  # whole seconds: duplicates dropped below
            # requests' own API on the APIClient session: connect bounded, reads unbounded (a
            # quiet container is not an error); stop() closes the response from another thread.
            url = f"{client.base_url}/v{client.api_version}/{self.kind}/{self.cid}/logs"
            resp = client.get(url, params=params, stream=True, timeout=(self.spec.timeout, None))
            if resp.status_code >= 400:
                try:
                    msg = resp.json().get("message", resp.reason)
                except ValueError:
                    msg = resp.reason
                raise BackendError(f"logs: {msg}")
            self._stream = resp
            try:
                self._pump(resp, tty)
            finally:
                self._stream = None
                resp.close()
            if self.stopping or self.kind != "containers":
                return
            # the stream ended: the container stopped (or the engine went away)
            info = client.inspect_container(self.cid)
            if not (info.get("State") or {}).get("Running"):
                self.session.notice(f"{self.cname}: container {info['State'].get('Status', 'stopped')}; waiting for it to run")
                while not self.stopping:
                    if self.wait(1.0):
                        return
                    if (client.inspect_container(self.cid).get("State") or {}).get("Running"):
                        break
        finally:
            client.close()

    def _pump(self, resp: Any, tty: bool) -> None:
        """Read big blocks; demultiplex docker's 8-byte-header frames (non-TTY) ourselves."""
        fp = getattr(resp.raw, "_fp", None)
        read = getattr(fp, "read1", None) or (lambda n: resp.raw.read(n, decode_content=False))
        splitter = LineSplitter()
        buf = b""
        while not self.stopping:
            try:
                data = read(65536)
            except (OSError, ValueError, AttributeError):
                if self.stopping:
                    return
                raise
            if not data:
                break
            if tty:
                self._lines(splitter.feed(data))
                continue
            buf = buf + data if buf else data
            pos, n, parts = 0, len(buf), []
            while n - pos >= 8:
                size = int.from_bytes(buf[pos + 4 : pos + 8], "big")
                if n - pos - 8 < size:
                    break
                parts.append(buf[pos + 8 : pos + 8 + size])
                pos += 8 + size
            buf = buf[pos:]
            if parts:
                self._lines(splitter.feed(b"".join(parts)))
        self._lines(splitter.flush())

    def _lines(self, lines: list[str]) -> None:
        out = []
        for raw in lines:
            ts, raw_ts, text = split_timestamp(raw)
            if raw_ts and self._last_raw_ts and raw_ts <= self._last_raw_ts and ts is not None and self._last_ts is not None and ts <= self._last_ts:
                continue  # already seen before a reconnect
            if raw_ts:
                self._last_raw_ts, self._last_ts = raw_ts, ts
            out.append(LogLine(self.key, self.cname, ts, clean_line(text)))
        self.lines_in += len(out)
        self.session.push(self.key, out)


class LogSession:
    """Followers of one logs view; a flusher thread emits merged LogBatch objects."""

    flush_interval = 0.05
    max_wait = 0.5  # how long a full buffer holds its follower back before dropping

    def __init__(self, session_id: str, emit: Callable[[object], None], max_lines: int) -> None:
        self.id = session_id
        self.emit = emit
        self.max_lines = max(100, int(max_lines))
        self.followers: dict[str, LogFollower] = {}
        self._buffers: dict[str, collections.deque[LogLine]] = {}
        self._notices: list[str] = []
        self._dropped = 0
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # notified when drain() empties the buffers
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name=f"docker-logs-flush-{session_id}", daemon=True)
        self._flusher.start()

    def add(self, spec: EngineSpec, cid: str, name: str, tail: int, kind: str = "containers") -> None:
        key = f"{spec.name}/{cid}"
        with self._lock:
            if key in self.followers:
                return
            f = self.followers[key] = LogFollower(self, spec, cid, name, tail, kind)
            self._buffers[key] = collections.deque(maxlen=self.max_lines)
        f.start()

    def push(self, key: str, lines: list[LogLine]) -> None:
        """Add a follower's lines. A full buffer first holds the follower back (it stops
        reading the engine's stream) for up to `max_wait` for the flusher to make room, so
        a flusher that was late by a scheduling hiccup loses nothing; only an overload that
        lasts longer drops the oldest lines (counted, never silent)."""
        if not lines:
            return
        deadline = None
        with self._room:
            while True:
                buf = self._buffers.get(key)
                if buf is None:
                    return
                over = len(buf) + len(lines) - self.max_lines
                if over <= 0 or not buf or self._stop.is_set():
                    break
                now = time.monotonic()
                deadline = deadline or now + self.max_wait
                if now >= deadline:
                    break
                self._room.wait(deadline - now)
            if over > 0:
                self._dropped += over
            buf.extend(lines)

    def notice(self, text: str) -> None:
        with self._lock:
            self._notices.append(text)

    def drain(self) -> list[LogBatch]:
        with self._lock:
            lines: list[LogLine] = []
            for buf in self._buffers.values():
                lines.extend(buf)
                buf.clear()
            self._room.notify_all()
            notices, self._notices = self._notices, []
            dropped, self._dropped = self._dropped, 0
        if len(self._buffers) > 1:
            lines.sort(key=lambda ln: ln.time or 0.0)  # stable: per-container order kept
        out = []
        if lines or dropped:
            out.append(LogBatch(self.id, tuple(lines), dropped))
        out += [LogBatch(self.id, (), 0, n) for n in notices]
        return out

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_interval):
            for batch in self.drain():
                self.emit(batch)

    def stop(self) -> None:
        self._stop.set()
        with self._room:
            self._room.notify_all()
        for f in list(self.followers.values()):
            f.stop()
        for f in list(self.followers.values()):
            f.join(0.5)
