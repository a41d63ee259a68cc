"""How the Ceph layer talks to a cluster: in-process librados, the local CLI, or the CLI over SSH.

A `CephCommand` holds both spellings of one command: the CLI words and the
mon_command JSON. Every transport has `call(cmd, timeout) -> (out, message)`
that raises `Unreachable` (cluster did not answer: mon down, deadline hit) or
`BackendError` (the cluster refused, e.g. EINVAL), each with one line of text.

- rados: `rados.Rados(conffile=...)` with client_mount_timeout and
  rados_mon_op_timeout set, so neither connecting nor a command can hang past
  the cluster's timeout; connecting runs on a helper thread with a deadline and
  a second caller waits for the same attempt instead of starting another.
  ~1-3 ms a command. librados re-finds the mon by itself after a restart.
- cli: `ceph --connect-timeout N -f json ...` via run_argv (process deadline:
  the CLI hangs forever on a mgr command when the mgr is gone). ~230 ms of CPU a call.
- ssh: the same argv, each item shlex.quote'd, under `timeout(1)` on the admin
  host, through `SshLayer.run`.
"""

from __future__ import annotations

import collections
import math
import os
import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from megam_tui.backends.base import BackendError, CallTimeout, CommandResult, Unreachable, run_argv
from megam_tui.settings import ClusterSpec

CEPH = "ceph"
# Words of errors meaning "the cluster did not answer" rather than "it said no".
_UNREACHABLE_HINTS = (
    "timed out",
    "error connecting to the cluster",
    "errno 110",
    "errno 111",
    "connection refused",
    "conf_read_file",
    "objectnotfound",
    "no such file",
    "monclient",
)


@dataclass(frozen=True)
class CephCommand:
    argv: tuple[str, ...]  # CLI words after `ceph`
    mon: dict[str, Any] = field(hash=False)  # mon_command JSON (without "format")
    json: bool = True  # the answer is JSON to parse

    @property
    def text(self) -> str:
        return "ceph " + " ".join(self.argv)


STATUS = CephCommand(("status",), {"prefix": "status"})
HEALTH_DETAIL = CephCommand(("health", "detail"), {"prefix": "health", "detail": "detail"})
OSD_TREE = CephCommand(("osd", "tree"), {"prefix": "osd tree"})
DF = CephCommand(("df",), {"prefix": "df"})


def log_last(num: int) -> CephCommand:
    return CephCommand(("log", "last", str(int(num))), {"prefix": "log last", "num": int(num)})


def osd_flag(set_it: bool, flag: str) -> CephCommand:
    verb = "set" if set_it else "unset"
    return CephCommand(("osd", verb, flag), {"prefix": f"osd {verb}", "key": flag}, json=False)


def osd_in_out(out: bool, osd_id: int) -> CephCommand:
    verb = "out" if out else "in"
    return CephCommand(("osd", verb, f"osd.{osd_id}"), {"prefix": f"osd {verb}", "ids": [str(osd_id)]}, json=False)


def health_mute(code: str, ttl: str | None) -> CephCommand:
    argv = ("health", "mute", code) + ((ttl,) if ttl else ())
    mon: dict[str, Any] = {"prefix": "health mute", "code": code}
    if ttl:
        mon["ttl"] = ttl
    return CephCommand(argv, mon, json=False)


def health_unmute(code: str) -> CephCommand:
    return CephCommand(("health", "unmute", code), {"prefix": "health unmute", "code": code}, json=False)


def _secs(timeout: float) -> int:
    return max(1, math.ceil(timeout))


def classify(message: str) -> type[BackendError]:
    low = message.lower()
    return Unreachable if any(h in low for h in _UNREACHABLE_HINTS) else BackendError


def cli_argv(spec: ClusterSpec, cmd: CephCommand, timeout: float) -> list[str]:
    argv = [CEPH, "--connect-timeout", str(_secs(timeout))]
    if spec.conf:
        argv += ["--conf", spec.conf]
    if spec.client:
        argv += ["--name", spec.client]
    if spec.keyring:
        argv += ["--keyring", spec.keyring]
    if cmd.json:
        argv += ["-f", "json"]
    return argv + list(cmd.argv)


def _cli_error(res: CommandResult) -> str:
    lines = [ln.strip() for ln in (res.stderr or res.stdout or "").splitlines() if ln.strip()]
    # librados noise ("2026-... -1 asok(...)") comes first; the reason is last.
    last = lines[-1] if lines else f"ceph exit {res.returncode}"
    if "conf_read_file" in last:
        return "cannot read the ceph.conf file"
    return last


class CliTransport:
    name = "cli"
    cheap = False

    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec

    def call(self, cmd: CephCommand, timeout: float) -> tuple[str, str]:
        argv = cli_argv(self.spec, cmd, timeout)
        res = run_argv(argv, timeout + 1.0, env={**os.environ, "LC_ALL": "C"})
        if res.returncode != 0:
            msg = _cli_error(res)
            raise classify(msg)(msg)
        return res.stdout, res.stderr.strip()

    def close(self) -> None:
        pass


def remote_command(argv: list[str], timeout: float) -> str:
    """Shell line for the admin host: every item shlex.quote'd, bounded by timeout(1)."""
    return f"LC_ALL=C timeout -k 1 {_secs(timeout)} " + " ".join(shlex.quote(a) for a in argv)


class SshTransport:
    name = "ssh"
    cheap = False

    def __init__(self, spec: ClusterSpec, ssh: Any) -> None:
        self.spec = spec
        self.ssh = ssh

    def call(self, cmd: CephCommand, timeout: float) -> tuple[str, str]:
        if self.ssh is None:
            raise Unreachable(f"needs SSH host {self.spec.host!r} but the SSH layer is not available")
        argv = cli_argv(self.spec, cmd, timeout)
        res = self.ssh.run(self.spec.host, remote_command(argv, timeout + 1.0), timeout=timeout + 3.0)
        rc = getattr(res, "returncode", None)
        if rc == 124:
            raise CallTimeout(f"ceph on {self.spec.host}: no answer within {timeout:g}s")
        if rc == 127:
            raise BackendError(f"ceph: command not found on {self.spec.host}")
        if rc != 0:
            msg = _cli_error(res)
            raise classify(msg)(msg)
        return res.stdout or "", (res.stderr or "").strip()

    def close(self) -> None:
        pass


LOG_PUSHED_KEPT = 2000  # pushed cluster-log entries kept between two drains


class _Attempt:
    """One connect() running on its own thread."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.handle: Any = None
        self.error: BaseException | None = None
        self.abandoned = False  # the transport was closed meanwhile: shut the handle down


class RadosTransport:
    name = "rados"
    cheap = True

    def __init__(self, spec: ClusterSpec) -> None:
        import rados  # noqa: F401 - ImportError here means "use the CLI"

        self.spec = spec
        self._lock = threading.Lock()
        self._handle: Any = None
        self._attempt: _Attempt | None = None
        self._busy: dict[int, int] = {}  # id(handle) -> calls in flight on it
        self._retired: dict[int, Any] = {}  # closed handles still in use: shut down after their last call
        # the cluster log as pushed by the mon (what `ceph -w` shows): entries since the last drain
        self._log_on: Any = None  # the handle the subscription is on
        self._log: collections.deque[dict[str, Any]] = collections.deque(maxlen=LOG_PUSHED_KEPT)

    def _options(self) -> dict[str, str]:
        t = str(_secs(self.spec.timeout))
        opts = {
            "client_mount_timeout": t,
            "rados_mon_op_timeout": t,
            "rados_osd_op_timeout": t,
            # nothing may write to the terminal the TUI owns
            "log_to_stderr": "false",
            "err_to_stderr": "false",
            "log_file": "",
            "admin_socket": "",
        }
        if self.spec.keyring:
            opts["keyring"] = self.spec.keyring
        return opts

    def _connect_thread(self, attempt: _Attempt) -> None:
        import rados

        handle = None
        try:
            kwargs: dict[str, Any] = {"conffile": self.spec.conf or "", "conf": self._options()}
            if self.spec.client:
                kwargs["name"] = self.spec.client
            handle = rados.Rados(**kwargs)
            handle.connect()
            with self._lock:
                if attempt.abandoned:
                    raise ConnectionAbortedError("transport closed while connecting")
                attempt.handle = handle
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            attempt.error = exc
            if handle is not None:
                try:
                    handle.shutdown()
                except Exception:  # noqa: BLE001
                    pass
        finally:
            attempt.done.set()

    def _acquire(self, deadline: float) -> Any:
        """A connected handle, marked busy (so close() cannot shut it down under the call)."""
        with self._lock:
            if self._handle is not None:
                self._busy[id(self._handle)] = self._busy.get(id(self._handle), 0) + 1
                return self._handle
            attempt = self._attempt
            if attempt is None or (attempt.done.is_set() and attempt.handle is None):
                attempt = self._attempt = _Attempt()
                threading.Thread(target=self._connect_thread, args=(attempt,), name="ceph-rados-connect", daemon=True).start()
        if not attempt.done.wait(max(0.0, deadline - time.monotonic())):
            raise CallTimeout(f"no answer from the mons within {self.spec.timeout:g}s")
        with self._lock:
            if attempt.handle is not None:
                if self._attempt is attempt:
                    self._handle, self._attempt = attempt.handle, None
                if self._handle is attempt.handle:
                    self._busy[id(self._handle)] = self._busy.get(id(self._handle), 0) + 1
                    return self._handle
        raise Unreachable(_rados_error(attempt.error) if attempt.handle is None else "connection closed")

    def call(self, cmd: CephCommand, timeout: float) -> tuple[bytes, str]:
        import json

        handle = self._acquire(time.monotonic() + timeout)
        body = dict(cmd.mon)
        if cmd.json:
            body["format"] = "json"
        try:
            ret, out, outs = handle.mon_command(json.dumps(body), b"")
        except Exception as exc:  # noqa: BLE001 - rados.Error and friends
            raise Unreachable(_rados_error(exc)) from None
        finally:
            self._release(handle)
        if ret < 0:
            msg = (outs or os.strerror(-ret)).strip()
            if ret in (-110, -111, -108, -107):  # ETIMEDOUT ECONNREFUSED ESHUTDOWN ENOTCONN
                raise Unreachable(f"{os.strerror(-ret)}: {msg}" if msg and msg != os.strerror(-ret) else os.strerror(-ret))
            raise BackendError(f"{cmd.text}: {msg}")
        return out, (outs or "").strip()

    def log_entries(self, timeout: float) -> list[dict[str, Any]] | None:
        """Cluster-log entries the mon pushed since the last call, shaped like `log last`'s.

        None when there is no subscription yet on the current connection (the first
        call, or after a reconnect): it is made now, and the caller fills what it may
        have missed with `log last`. The mon then sends each entry once, as it is
        logged, instead of being asked for the last 50 every refresh (~1 ms of the
        mon's CPU a request when they come 2 s apart)."""
        handle = self._acquire(time.monotonic() + timeout)
        try:
            if self._log_on is handle:
                out = []
                while self._log:
                    out.append(self._log.popleft())
                return out
            self._log.clear()
            try:
                handle.monitor_log2("info", self._on_log, None)
            except Exception as exc:  # noqa: BLE001 - rados.Error and friends
                raise Unreachable(_rados_error(exc)) from None
            self._log_on = handle
            return None
        finally:
            self._release(handle)

    def _on_log(self, arg: Any, line: Any, channel: Any, name: Any, who: Any, sec: int, nsec: int, seq: int, level: Any, msg: Any) -> None:
        """librados' thread: one cluster-log entry. Must not raise or block."""
        try:
            if _s(channel) != "cluster":  # `log last` (and `ceph -w`) show the cluster channel
                return
            stamp = _s(line).split(" ", 1)[0]
            self._log.append({"name": _s(name), "stamp": stamp, "seq": int(seq), "channel": "cluster",
                              "priority": _s(level), "message": _s(msg)})
        except Exception:  # noqa: BLE001
            pass

    def _release(self, handle: Any) -> None:
        with self._lock:
            left = self._busy.get(id(handle), 1) - 1
            if left > 0:
                self._busy[id(handle)] = left
                return
            self._busy.pop(id(handle), None)
            retired = self._retired.pop(id(handle), None)
        if retired is not None:
            _shutdown(retired)

    def close(self) -> None:
        """Drop the connection; a handle still inside a call is shut down when that call returns."""
        with self._lock:
            handle, self._handle = self._handle, None
            attempt, self._attempt = self._attempt, None
            self._log_on = None
            if attempt is not None:
                attempt.abandoned = True
            if handle is not None and self._busy.get(id(handle)):
                self._retired[id(handle)] = handle
                return
        if handle is not None:
            threading.Thread(target=_shutdown, args=(handle,), name="ceph-rados-shutdown", daemon=True).start()


def _s(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _shutdown(handle: Any) -> None:
    try:
        handle.shutdown()
    except Exception:  # noqa: BLE001
        pass


def _rados_error(exc: BaseException | None) -> str:
    if exc is None:
        return "not connected"
    text = str(exc).strip() or type(exc).__name__
    if "conf_read_file" in text:
        return "cannot read the ceph.conf file"
    return text


def rados_available() -> bool:
    try:
        import rados  # noqa: F401
    except Exception:  # noqa: BLE001
        return False
    return True


def make_transport(spec: ClusterSpec, ssh: Any = None) -> CliTransport | SshTransport | RadosTransport:
    kind = spec.transport
    if spec.host and kind in ("auto", "ssh"):
        return SshTransport(spec, ssh)
    if kind == "ssh":
        raise BackendError(f"cluster {spec.name}: transport ssh needs `host`")
    if kind == "rados" or (kind == "auto" and rados_available()):
        try:
            return RadosTransport(spec)
        except ImportError as exc:
            raise BackendError(f"cluster {spec.name}: librados binding not importable ({exc})") from None
    return CliTransport(spec)
