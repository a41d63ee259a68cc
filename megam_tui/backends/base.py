"""Shared plumbing for all backends (no Textual here).

- `BackendError` and friends: expected failures with a one-line, user-facing
  message (never a traceback).
- `ReadOnlyError` + `mutating`: read-only mode is enforced here, in the
  backend layer, not just hidden in the UI.
- `run_argv`: run a local command as an argv list with a hard deadline.
- `StreamThread`: base for endless streams (docker events, logs, `ceph -w`,
  `virsh event --loop`) that must stop when asked.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class BackendError(Exception):
    """An expected failure of an engine call; str() is shown to the user."""


class Unreachable(BackendError):
    """The engine / cluster / hypervisor / host did not answer."""


class CallTimeout(Unreachable):
    """A call hit its deadline."""


class ReadOnlyError(BackendError):
    """A mutating operation was attempted in read-only mode."""


def mutating(func: F) -> F:
    """Mark a backend method as mutating: refused when `self.read_only`.

    Every backend object has a `read_only` attribute (set from the config or
    `--read-only`). The check happens before any engine is contacted.
    """

    @functools.wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "read_only", False):
            raise ReadOnlyError(f"read-only mode: {func.__name__.removeprefix('do_').replace('_', ' ')} refused")
        return func(self, *args, **kwargs)

    wrapper.__megam_mutating__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def mutating_methods(obj: Any) -> list[str]:
    """Names of the methods of `obj` decorated with @mutating (for tests/audit)."""
    names = []
    for name in dir(type(obj)):
        attr = getattr(type(obj), name, None)
        if getattr(attr, "__megam_mutating__", False):
            names.append(name)
    return names


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float


def run_argv(
    argv: Sequence[str],
    timeout: float,
    *,
    env: dict[str, str] | None = None,
    input: str | None = None,
    check: bool = False,
) -> CommandResult:
    """Run `argv` (never a shell string) with a hard deadline.

    On timeout the whole process group is killed and `CallTimeout` raised.
    A missing executable raises `BackendError`. With `check=True` a non-zero
    exit raises `BackendError` carrying the command's stderr.
    """
    if isinstance(argv, str):  # defensive: we never build shell strings
        raise TypeError("run_argv takes an argv list, not a string")
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            text=True,
            errors="replace",
        )
    except FileNotFoundError as exc:
        raise BackendError(f"{argv[0]}: command not found") from exc
    except OSError as exc:
        raise BackendError(f"{argv[0]}: {exc.strerror or exc}") from exc
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        try:
            proc.communicate(timeout=2)
        except Exception:  # noqa: BLE001 - best effort cleanup
            pass
        raise CallTimeout(f"{argv[0]}: no answer within {timeout:g}s") from None
    result = CommandResult(tuple(argv), proc.returncode, out, err, time.monotonic() - start)
    if check and proc.returncode != 0:
        msg = (err or out).strip().splitlines()
        raise BackendError(f"{argv[0]}: {msg[-1] if msg else f'exit {proc.returncode}'}")
    return result


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that asks Linux to SIGTERM the child when the thread that started it
    ends, however it ends (SIGKILL or a closed terminal included): endless children
    such as `virsh event --loop` must never outlive the app. None where unavailable."""
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    term = int(signal.SIGTERM)

    def preexec() -> None:  # runs in the forked child: only this one C call
        prctl(1, term, 0, 0, 0)  # PR_SET_PDEATHSIG

    return preexec


DIE_WITH_PARENT = _die_with_parent()


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """Kill a process started with start_new_session=True and its children."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


class OwnedThread:
    """A worker that owns a `threading.Thread` instead of being one.

    Subclassing `threading.Thread` lets a subclass's attribute or method shadow the
    standard library's private ones: Python 3.13 added `Thread._handle`, and a watcher
    method of that name broke every Docker event. Composition keeps our names ours:
    subclasses implement `run()`; the thread is `self.thread`.
    """

    def __init__(self, name: str, daemon: bool = True) -> None:
        self.thread = threading.Thread(target=self.run, name=name, daemon=daemon)

    def run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    @property
    def name(self) -> str:
        return self.thread.name

    @property
    def ident(self) -> int | None:
        return self.thread.ident

    @property
    def daemon(self) -> bool:
        return self.thread.daemon


class StreamThread(OwnedThread):
    """A daemon thread running an endless stream until `stop()`.

    Subclasses implement `run_once()` (one connection's worth of streaming;
    return or raise when it ends) and check `self.stopping` often. The loop
    reconnects with back-off until stopped; `on_error(exc)` is called for each
    failure so the owner can show "unreachable: <reason>".
    """

    backoff_initial = 0.5
    backoff_max = 10.0

    def __init__(self, name: str, on_error: Callable[[BaseException], None] | None = None) -> None:
        super().__init__(name)
        self._stop_event = threading.Event()
        self._on_error = on_error

    @property
    def stopping(self) -> bool:
        return self._stop_event.is_set()

    def stop(self) -> None:
        self._stop_event.set()
        self.interrupt()

    def interrupt(self) -> None:
        """Override to unblock a blocking read (close a socket / kill a process)."""

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if asked to stop meanwhile."""
        return self._stop_event.wait(seconds)

    def run_once(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self) -> None:
        delay = self.backoff_initial
        while not self.stopping:
            started = time.monotonic()
            try:
                self.run_once()
            except Exception as exc:  # noqa: BLE001 - reported, then retried
                if self.stopping:
                    break
                if self._on_error is not None:
                    try:
                        self._on_error(exc)
                    except Exception:  # noqa: BLE001
                        pass
            if self.stopping:
                break
            if time.monotonic() - started > 30:
                delay = self.backoff_initial
            if self.wait(delay):
                break
            delay = min(delay * 2, self.backoff_max)
