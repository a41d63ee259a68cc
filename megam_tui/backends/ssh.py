"""SSH layer: commands and /proc metrics on many hosts over ONE connection each.

Public API (other layers depend on it; keep it stable):

    layer = SshLayer(settings)
    layer.run(host, command, timeout=None) -> CommandResult
        `command` is ONE remote shell string the CALLER built (shlex.quote every
        argument). `timeout` bounds connect + command (default: the host's
        command_timeout). Raises Unreachable / CallTimeout / BackendError.
    layer.stream(host, command, on_line, cancel, timeout=None) -> int
        on_line(models.CommandOutput) per stdout/stderr line; returns the exit
        status (-1 when cancelled or killed by a signal). Setting `cancel`
        closes the channel and the remote command's process group is killed.
    layer.probe(host) -> models.Host      (one short /proc command, never raises)
    layer.summary(timeout) -> {"ok", "error", "hosts": [...]}   (never raises)
    layer.start(emit) / layer.stop()     poller emitting Host (every probe) and BackendState (on change)
    layer.run_action("run", host, {"command": str, "timeout"?: float}, job) -> exit code
        job.emit() gets batches of lines formatted by `format_output`, joined by
        "\n" (at most every 50 ms; see ssh_batch); `parse_output` reads one line.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import os
import re
import shlex
import threading
import time
from collections.abc import Callable
from typing import Any

import paramiko

from megam_tui.backends.base import BackendError, CommandResult, OwnedThread, mutating
from megam_tui.backends.fdwait import readable
from megam_tui.backends.host import LOCAL_NAME, LocalHost
from megam_tui.backends.ssh_batch import LineBatcher
from megam_tui.backends.ssh_conn import SshPool
from megam_tui.backends.ssh_errors import SshTimeout, SshUnreachable, error_kind
from megam_tui.backends.ssh_metrics import DF_INTERVAL, METRICS_FUNCTIONS, RawSample, compute_metrics, disks_due
from megam_tui.backends.ssh_metrics import metrics_call, parse_sample
from megam_tui.backends.ssh_shell import SHELL_COMMAND, ResidentShell
from megam_tui.models import BackendState, CommandOutput, Event, Host
from megam_tui.settings import Settings

MAX_RUN_OUTPUT = 32 * 1024 * 1024  # bytes kept per stream by run()
MAX_LINE = 16 * 1024  # longer lines are streamed in pieces of this size
PROBE_SLACK = 1.0  # seconds a probe's command may take on top of the connect deadline

# Runs the user's command in its own process group (setsid) under the login
# shell, with stdin from /dev/null; a watcher waits for EOF on the channel's
# stdin, which happens when we close the channel, and then kills the group.
# Without this (and without a pty) a `sleep 100` outlives a closed channel.
_KILL_ON_CLOSE = (
    'c=$1; exec 3<&0 </dev/null; s=${SHELL:-/bin/sh}; '
    'if command -v setsid >/dev/null 2>&1; then setsid "$s" -c "$c" & else "$s" -c "$c" & fi; '
    "p=$!; "
    "{ cat <&3 >/dev/null 2>&1; kill -TERM -$p 2>/dev/null || kill -TERM $p 2>/dev/null; "
    "sleep 2; kill -KILL -$p 2>/dev/null; } >/dev/null 2>&1 & "
    "w=$!; exec 3<&-; wait $p; r=$?; kill $w 2>/dev/null; exit $r"
)


def kill_on_close(command: str) -> str:
    """Wrap a remote shell command so that closing the channel kills it."""
    return f"sh -c {shlex.quote(_KILL_ON_CLOSE)} megam {shlex.quote(command)}"


# ----------------------------------------------------------- job output lines

_LINE_RE = re.compile(r"^\[(?P<host>.*?)(?: (?P<tag>stderr|exit|error))?\] (?P<text>.*)$", re.S)


def format_output(o: CommandOutput) -> str:
    """CommandOutput -> one job output line: `[host] text`, `[host stderr] text`,
    `[host exit] N`, `[host error] message`."""
    if o.done:
        if o.error:
            return f"[{o.host} error] {o.error}"
        return f"[{o.host} exit] {o.exit_code if o.exit_code is not None else -1}"
    if o.stream == "stderr":
        return f"[{o.host} stderr] {o.line}"
    return f"[{o.host}] {o.line}"


def parse_output(line: str) -> CommandOutput | None:
    """Inverse of `format_output` (for the app forwarding job lines to the screen)."""
    m = _LINE_RE.match(line)
    if m is None:
        return None
    host, tag, text = m.group("host"), m.group("tag"), m.group("text")
    if tag == "exit":
        try:
            code = int(text)
        except ValueError:
            return CommandOutput(host, text)
        return CommandOutput(host, exit_code=code, done=True)
    if tag == "error":
        return CommandOutput(host, done=True, error=text)
    return CommandOutput(host, text, "stderr" if tag == "stderr" else "stdout")


# ----------------------------------------------------------- channel pump


def _pump(
    chan: paramiko.Channel,
    deadline: float | None,
    cancel: threading.Event | None,
    on_data: Callable[[str, bytes], None],
    what: str,
) -> int:
    """Read stdout/stderr until exit status, deadline or cancel. Returns the exit status."""
    fd = chan.fileno()  # an OR-pipe set when stdout or stderr data (or EOF) arrives
    while True:
        got = False
        while chan.recv_ready():
            on_data("stdout", chan.recv(65536))
            got = True
        while chan.recv_stderr_ready():
            on_data("stderr", chan.recv_stderr(65536))
            got = True
        if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
            status = chan.recv_exit_status()
            if status == -1:  # paramiko sets the event without a status when the connection is lost
                break
            return status
        if cancel is not None and cancel.is_set():
            chan.close()
            return -1
        if chan.closed or (chan.get_transport() is not None and not chan.get_transport().is_active()):
            while chan.recv_ready():
                on_data("stdout", chan.recv(65536))
            while chan.recv_stderr_ready():
                on_data("stderr", chan.recv_stderr(65536))
            break
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            chan.close()
            raise SshTimeout(f"{what}: no result within the deadline")
        if got:
            continue
        wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - now))
        if chan.eof_received:
            chan.status_event.wait(wait)
        else:
            readable([fd], wait)
    # channel closed without exit status (connection lost)
    if chan.exit_status_ready() and chan.recv_exit_status() != -1:
        return chan.recv_exit_status()
    raise SshUnreachable(f"{what}: connection lost before the command finished", "error")


class _Lines:
    """Split a byte stream into decoded lines (a partial last line waits)."""

    def __init__(self, host: str, stream: str, on_line: Callable[[CommandOutput], None]) -> None:
        self.host, self.stream, self.on_line = host, stream, on_line
        self.buf = b""

    def feed(self, data: bytes) -> None:
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        while len(self.buf) > MAX_LINE:  # no newline for a long time: pass it on in pieces
            lines.append(self.buf[:MAX_LINE])
            self.buf = self.buf[MAX_LINE:]
        for raw in lines:
            self.on_line(CommandOutput(self.host, raw.decode("utf-8", "replace").rstrip("\r"), self.stream))

    def flush(self) -> None:
        if self.buf:
            raw, self.buf = self.buf, b""
            self.on_line(CommandOutput(self.host, raw.decode("utf-8", "replace").rstrip("\r"), self.stream))


# ----------------------------------------------------------- the layer


class ShellGone(Exception):
    """The kept shell of a host died while a probe was on its way."""


@dataclasses.dataclass
class AskedProbe:
    """A metrics probe written to a host's resident shell, its answer not read yet."""

    spec: Any
    shell: ResidentShell
    end: bytes
    with_df: bool
    deadline: float
    lock: threading.Lock


def _down(spec: Any, error: str, kind: str | None) -> Host:
    """The Host of a probe that failed."""
    return Host(spec.name, spec.address, spec.port, spec.user, False, error, kind)


class SshLayer:
    name = "ssh"

    def __init__(self, settings: Settings, *, ssh: Any = None, df_interval: float = DF_INTERVAL) -> None:
        self.settings = settings
        self.df_interval = df_interval  # seconds between df runs per host (disks_due)
        self.read_only = settings.read_only
        self.pool = SshPool(settings)
        self.local = LocalHost() if settings.ssh_include_local else None
        self._prev: dict[str, RawSample] = {}
        self._df_at: dict[str, float] = {}  # when each host's last probe with df was asked
        self._prev_lock = threading.Lock()
        self._poller: _Poller | None = None
        self._shells: dict[str, ResidentShell] = {}  # resident sh per host for the metrics probe
        self._shell_locks: dict[str, threading.Lock] = {}
        self._shells_lock = threading.Lock()

    # ---------------------------------------------------------- helpers
    def host_names(self) -> list[str]:
        return [h.name for h in self.settings.ssh_hosts]

    def _spec(self, host: str):
        spec = self.settings.host(host)
        if spec is None:
            raise BackendError(f"unknown ssh host {host!r} (not in ssh:hosts)")
        return spec

    def _open(self, host: str, command: str, deadline: float, force: bool) -> paramiko.Channel:
        """A channel running `command`; reconnects once if the shared transport died."""
        for attempt in (1, 2):
            left = deadline - time.monotonic()
            if left <= 0:
                raise SshTimeout(f"{host}: no time left to start the command")
            client = self.pool.client(host, timeout=left, force=force or attempt == 2)
            transport = client.get_transport()
            try:
                if transport is None:
                    raise paramiko.SSHException("no transport")
                chan = transport.open_session(timeout=max(0.1, deadline - time.monotonic()))
                chan.exec_command(command)
                return chan
            except (paramiko.SSHException, EOFError, OSError) as exc:
                if isinstance(exc, paramiko.ChannelException) and transport is not None and transport.is_active():
                    raise SshUnreachable(f"{host}: cannot open a channel: {exc}", "error") from None
                self.pool.drop(host)
                if attempt == 2:
                    raise SshUnreachable(f"{host}: connection lost: {exc or type(exc).__name__}", "error") from None
        raise AssertionError("unreachable")

    # ---------------------------------------------------------- public API
    def run(
        self, host: str, command: str, timeout: float | None = None, *, force: bool = False, kill: bool = True
    ) -> CommandResult:
        """Run one remote shell command (caller-quoted) and collect its output.

        `kill=True` wraps it so that a deadline kills it on the host too (costs
        a few extra processes there); `force=True` ignores the host's back-off.
        """
        spec = self._spec(host)
        total = timeout if timeout is not None else spec.command_timeout
        start = time.monotonic()
        deadline = start + total
        chan = self._open(host, kill_on_close(command) if kill else command, deadline, force)
        out: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
        size = {"stdout": 0, "stderr": 0}

        def on_data(stream: str, data: bytes) -> None:
            if size[stream] < MAX_RUN_OUTPUT:
                out[stream].append(data)
                size[stream] += len(data)

        try:
            code = _pump(chan, deadline, None, on_data, f"{host}: command")
        except SshTimeout:
            raise SshTimeout(f"{host}: command did not finish within {total:g}s") from None
        finally:
            chan.close()
        return CommandResult(
            ("ssh", host, command),
            code,
            b"".join(out["stdout"]).decode("utf-8", "replace"),
            b"".join(out["stderr"]).decode("utf-8", "replace"),
            time.monotonic() - start,
        )

    def stream(
        self,
        host: str,
        command: str,
        on_line: Callable[[CommandOutput], None],
        cancel: threading.Event,
        timeout: float | None = None,
    ) -> int:
        """Stream a command's lines; cancel closes the channel (remote command killed)."""
        spec = self._spec(host)
        start = time.monotonic()
        connect_deadline = start + spec.timeout
        chan = self._open(host, kill_on_close(command), connect_deadline, force=True)
        outs = {"stdout": _Lines(host, "stdout", on_line), "stderr": _Lines(host, "stderr", on_line)}
        deadline = None if timeout is None else start + timeout
        try:
            code = _pump(chan, deadline, cancel, lambda s, d: outs[s].feed(d), f"{host}: command")
        finally:
            chan.close()
            for o in outs.values():
                o.flush()
        return code

    def probe(self, host: str, timeout: float | None = None) -> Host:
        """Connect if needed and read /proc metrics with ONE command. Never raises."""
        spec = self.settings.host(host)
        if spec is None:
            return Host(host, "", reachable=False, error=f"unknown ssh host {host!r}", error_kind="error")
        budget = (timeout if timeout is not None else spec.timeout) + PROBE_SLACK
        try:
            text, with_df = self._probe_text(host, budget)
        except BackendError as exc:
            return _down(spec, str(exc), error_kind(exc))
        except Exception as exc:  # noqa: BLE001 - a probe never raises
            return _down(spec, f"{host}: {exc}", "error")
        return self._host_from(spec, with_df, text)

    def _next_with_df(self, host: str, new_shell: bool) -> bool:
        """Whether this probe runs df (two processes on the host): when `disks_due`, and
        always the first call to a new shell (first probe, reconnect, shell that died)."""
        now = time.monotonic()
        with self._prev_lock:
            if not new_shell and not disks_due(self._df_at.get(host), now, self.df_interval):
                return False
            self._df_at[host] = now
            return True

    def _host_from(self, spec: Any, with_df: bool, text: str) -> Host:
        host = spec.name
        sample = parse_sample(text)
        with self._prev_lock:
            prev = self._prev.get(host)
            if not with_df and prev is not None:
                sample = dataclasses.replace(sample, disks=prev.disks)  # df runs every df_interval s
            if sample.uptime_s is not None:
                self._prev[host] = sample
        if prev is not None and sample.uptime_s is not None and prev.uptime_s is not None and sample.uptime_s < prev.uptime_s:
            prev = None  # the host rebooted
        return Host(spec.name, spec.address, spec.port, spec.user, True, None, None, compute_metrics(sample, prev))

    # -- the same probe in two halves, for the poller: all hosts' answers awaited by one thread
    def ask_probe(self, host: str) -> AskedProbe | None:
        """Write the metrics call to the host's live resident shell and return at once;
        None when it has none (or another probe is using it): then probe() it."""
        spec = self.settings.host(host)
        if spec is None:
            return None
        with self._shells_lock:
            lock = self._shell_locks.setdefault(host, threading.Lock())
        if not lock.acquire(blocking=False):
            return None
        shell = self._shells.get(host)
        if shell is None or not shell.alive:
            lock.release()
            return None
        with_df = self._next_with_df(host, False)
        try:
            end = shell.send(functools.partial(metrics_call, with_df))
        except BackendError:
            self._shells.pop(host, None)
            lock.release()
            return None
        return AskedProbe(spec, shell, end, with_df, time.monotonic() + spec.timeout + PROBE_SLACK, lock)

    def answer_probe(self, asked: AskedProbe, now: float) -> Host | None:
        """The Host once the answer is in (or the deadline passed); None while it is on its way.
        Raises ShellGone when the kept shell died meanwhile (probe() again: it reconnects)."""
        spec, host = asked.spec, asked.spec.name
        try:
            text = asked.shell.take(asked.end)
            if text is None:
                if now < asked.deadline:
                    return None
                asked.shell.close()
                raise SshTimeout(f"{host}: metrics command did not answer in time")
        except SshTimeout as exc:
            self._shells.pop(host, None)
            self.pool.drop(host)  # a known-good shell went silent: the host may be dead, reconnect next time
            asked.lock.release()
            return _down(spec, str(exc), error_kind(exc))
        except BackendError:
            self._shells.pop(host, None)
            asked.lock.release()
            raise ShellGone(host) from None
        except Exception as exc:  # noqa: BLE001 - never raises anything else
            self._shells.pop(host, None)
            asked.shell.close()
            asked.lock.release()
            return _down(spec, f"{host}: {exc}", "error")
        asked.lock.release()
        try:
            return self._host_from(spec, asked.with_df, text)
        except Exception as exc:  # noqa: BLE001
            return _down(spec, f"{host}: {exc}", "error")

    def _probe_text(self, host: str, budget: float) -> tuple[str, bool]:
        """One metrics probe's output and whether it ran df, asked of the host's resident
        shell (opened on demand)."""
        deadline = time.monotonic() + budget
        with self._shells_lock:
            lock = self._shell_locks.setdefault(host, threading.Lock())
        if not lock.acquire(timeout=budget):
            raise SshTimeout(f"{host}: the previous metrics probe is still running")
        try:
            shell = self._shells.get(host)
            reused = shell is not None and shell.alive
            if not reused:
                if shell is not None:
                    shell.close()
                # builtins + a `timeout`-bounded df: nothing outlives the probe, no kill wrapper
                shell = self._shells[host] = self._open_shell(host, deadline)
            with_df = self._next_with_df(host, not reused)
            try:
                return shell.ask(functools.partial(metrics_call, with_df), deadline), with_df
            except SshTimeout:
                self._shells.pop(host, None)
                if reused:  # a known-good shell went silent: the host may be dead, reconnect next time
                    self.pool.drop(host)
                raise
            except BackendError:
                self._shells.pop(host, None)
                if not reused:
                    raise
            # the kept connection died (sshd restarted, network blip): one fresh try, same deadline
            shell = self._shells[host] = self._open_shell(host, deadline)
            with_df = self._next_with_df(host, True)
            try:
                return shell.ask(functools.partial(metrics_call, with_df), deadline), with_df
            except BackendError:
                self._shells.pop(host, None)
                raise
        finally:
            lock.release()

    def _open_shell(self, host: str, deadline: float) -> ResidentShell:
        """A resident `sh` on a new channel, given the probe's shell functions with its first call."""
        return ResidentShell(host, self._open(host, SHELL_COMMAND, deadline, False), METRICS_FUNCTIONS)

    def probe_all(self, timeout: float | None = None) -> list[Host]:
        """Probe every configured host in parallel (plus local first). Never raises."""
        specs = list(self.settings.ssh_hosts)
        hosts: list[Host] = [self.local.probe()] if self.local is not None else []
        if not specs:
            return hosts
        per_host = {s.name: min(s.timeout, timeout) if timeout is not None else s.timeout for s in specs}
        limit = max(per_host.values()) + PROBE_SLACK + 1.0
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(64, len(specs)), thread_name_prefix="ssh-probe")
        try:
            futs = {s.name: pool.submit(self.probe, s.name, per_host[s.name]) for s in specs}
            concurrent.futures.wait(futs.values(), timeout=limit)
            for s in specs:
                f = futs[s.name]
                if f.done():
                    hosts.append(f.result())
                else:
                    hosts.append(
                        Host(s.name, s.address, s.port, s.user, False, f"{s.name}: no answer within {limit:g}s", "timeout")
                    )
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return hosts

    def summary(self, timeout: float) -> dict[str, Any]:
        """{"ok": every configured host answered, "error", "hosts": [...]}. Never raises."""
        try:
            hosts = self.probe_all(timeout)
        except Exception as exc:  # noqa: BLE001
            return {"ok": False, "error": f"ssh: {type(exc).__name__}: {exc}", "hosts": []}
        items = [
            {
                "name": h.name,
                "address": h.address,
                "reachable": h.reachable,
                "error": h.error,
                "error_kind": h.error_kind,
                "local": h.local,
            }
            for h in hosts
        ]
        down = [h.name for h in hosts if not h.reachable]
        err = None if not down else f"{len(down)} of {len(hosts)} hosts unreachable: {', '.join(down)}"
        return {"ok": not down, "error": err, "hosts": items}

    # ---------------------------------------------------------- poller
    def start(self, emit: Callable[[object], None]) -> None:
        if self._poller is not None and self._poller.is_alive():
            return
        self.pool.reopen()
        self._poller = _Poller(self, emit)
        self._poller.start()

    def stop(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.stop()
        self.pool.close_all()
        with self._shells_lock:
            shells, self._shells = list(self._shells.values()), {}
        for sh in shells:
            sh.close()
        if poller is not None:
            poller.join(1.0)

    # ---------------------------------------------------------- actions
    def run_action(self, action: str, target: str, params: dict[str, Any], job: Any) -> Any:
        if action == "run":
            return self.run_command(target, str(params.get("command", "")), params.get("timeout"), job)
        raise BackendError(f"ssh: unknown action {action!r}")

    @mutating
    def run_command(self, host: str, command: str, timeout: Any, job: Any) -> int:
        """The "run" action: stream `command` on `host` into job.emit(); returns the exit status."""
        if not command.strip():
            raise BackendError("empty command")
        t = float(timeout) if timeout is not None else None
        # lines reach the job in batches: one job entry = lines joined by "\n" (see ssh_batch)
        batch = LineBatcher(job.emit, format_output)
        try:
            if host == LOCAL_NAME and self.local is not None and self.settings.host(host) is None:
                from megam_tui.backends.host import stream_local

                code = stream_local(command, batch.add, job.cancel_event, t)
            else:
                code = self.stream(host, command, batch.add, job.cancel_event, t)
        except BackendError as exc:
            batch.add(CommandOutput(host, done=True, error=str(exc)))
            batch.close()
            raise
        except BaseException:
            batch.close()
            raise
        batch.add(CommandOutput(host, exit_code=code, done=True))
        batch.close()
        return code

    _run_command = run_command  # the name tests/unit/test_read_only.py expects


_LOCAL_KEY = "\0local"  # the local machine's slot in the poller (never a configured name)


class _Poller(OwnedThread):
    """Probes every host on the refresh; a slow or silent host delays only itself.

    Hosts with a live resident shell are asked by this thread alone: it writes each
    one its metrics call and waits for all the answers in one poll() (one wake-up
    for answers that arrive together). Connecting (a blocking handshake) and a host
    whose shell died go to a small pool, idle in steady state; the local machine
    (psutil; may block on a hung mount) has a one-worker pool of its own: a task given
    to a pool with idle workers wakes every one of them. Each host is asked again
    `refresh` s after its previous probe started (not ended), so hosts asked together
    stay together.
    """

    def __init__(self, layer: SshLayer, emit: Callable[[object], None]) -> None:
        super().__init__("ssh-poller")
        self.layer = layer
        self.emit = emit
        self._stop_event = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._pipe_lock = threading.Lock()
        specs = layer.settings.ssh_hosts
        keys = [s.name for s in specs] + ([_LOCAL_KEY] if layer.local is not None else [])
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, min(64, len(specs))), thread_name_prefix="ssh-poll"
        )
        self._local_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ssh-local")
        self._due: dict[str, float] = {k: 0.0 for k in keys}
        self._began: dict[str, float] = {}  # when each host's last probe started
        self._busy: set[str] = set()
        self._on_pool: set[str] = set()  # keys whose probe runs on the pool
        self._state: dict[str, tuple[bool, str | None]] = {}
        self._refused: dict[str, str] = {}  # key -> why its pool refused the last probe
        self._lock = threading.Lock()

    def _wake(self) -> None:
        with self._pipe_lock:  # never a write to a closed (and maybe reused) descriptor
            if self._wake_w < 0:
                return
            try:
                os.write(self._wake_w, b"x")
            except OSError:  # pipe full: already woken
                pass

    def stop(self) -> None:
        self._stop_event.set()
        self._wake()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._local_pool.shutdown(wait=False, cancel_futures=True)

    def _emit(self, obj: object) -> None:
        if self._stop_event.is_set():
            return
        try:
            self.emit(obj)
        except Exception:  # noqa: BLE001 - a broken consumer must not kill the poller
            pass

    def _done(self, key: str, host: Host, *, from_pool: bool = True) -> None:
        refresh = self.layer.settings.refresh
        with self._lock:
            self._busy.discard(key)
            self._on_pool.discard(key)
            now = time.monotonic()
            # the same phase as the probe that ended; a slow one rests a quarter refresh
            self._due[key] = max(self._began.get(key, now) + refresh, now + refresh / 4)
            before = self._state.get(key)
            now_state = (host.reachable, host.error)
            self._state[key] = now_state
        self._emit(host)
        if before != now_state and key != _LOCAL_KEY:
            # The app turns reachability changes of BackendState into timeline events
            # (kind "reachability"); emitting our own Event as well would show each twice.
            self._emit(BackendState("ssh", host.name, host.reachable, host.error))
        if from_pool:
            self._wake()

    def _probe(self, key: str) -> None:
        try:
            if key == _LOCAL_KEY and self.layer.local is not None:
                host = self.layer.local.probe()  # psutil; may block on a hung mount: off this thread
            else:
                host = self.layer.probe(key)
        except Exception as exc:  # noqa: BLE001 - probe never raises, but be safe
            host = Host(key, "", reachable=False, error=str(exc), error_kind="error")
        if not self._stop_event.is_set():
            self._done(key, host)

    def _submit(self, key: str) -> bool:
        """Probe `key` on its pool; False when stopping (stop() shuts the pools).

        The pool may also refuse for want of a thread ("can't start new thread": seen
        at start-up, when this used to end the poller silently and freeze every host
        row): that is reported and the host is tried again a quarter refresh later."""
        with self._lock:
            self._on_pool.add(key)
        try:
            (self._local_pool if key == _LOCAL_KEY else self._pool).submit(self._probe, key)
            self._refused.pop(key, None)
            return True
        except RuntimeError as exc:
            refresh = self.layer.settings.refresh
            with self._lock:
                self._on_pool.discard(key)
                self._busy.discard(key)
                self._due[key] = time.monotonic() + refresh / 4
            if self._stop_event.is_set():
                return False
            name = "local" if key == _LOCAL_KEY else key
            if self._refused.get(key) != str(exc):  # once per host and reason, not every retry
                self._refused[key] = str(exc)
                self._emit(Event(time.time(), "ssh", "error", name, f"could not start a probe of {name}: {exc}; retrying", kind="poller"))
            return True

    def _round(self, asked: dict[str, AskedProbe]) -> bool:
        """Ask what is due, wait for answers (or the next due time), take what came. False: stopping."""
        now = time.monotonic()
        next_due = now + self.layer.settings.refresh
        due: list[str] = []
        with self._lock:
            for key, at in self._due.items():
                if key in self._busy:
                    continue
                if at <= now:
                    self._busy.add(key)
                    self._began[key] = now
                    due.append(key)
                else:
                    next_due = min(next_due, at)
        for key in due:
            try:
                a = None if key == _LOCAL_KEY else self.layer.ask_probe(key)
            except Exception:  # noqa: BLE001 - never leave a host marked busy
                a = None
            if a is not None:
                asked[key] = a
            elif not self._submit(key):
                return False
        wait_until = min([next_due, *(a.deadline for a in asked.values())])
        fds = [self._wake_r]
        for a in asked.values():
            try:
                fds.append(a.shell.fileno())
            except Exception:  # noqa: BLE001 - closed meanwhile: take() says so
                wait_until = now
        ready = readable(fds, min(5.0, wait_until - time.monotonic()))
        if self._wake_r in ready:
            try:
                os.read(self._wake_r, 4096)
            except OSError:
                pass
        now = time.monotonic()
        for key, a in list(asked.items()):
            try:
                host = self.layer.answer_probe(a, now)
            except ShellGone:  # the kept connection died: one fresh try, as probe() does
                del asked[key]
                if not self._submit(key):
                    return False
                continue
            if host is not None:
                del asked[key]
                if not self._stop_event.is_set():
                    self._done(key, host, from_pool=False)
        return True

    def run(self) -> None:
        asked: dict[str, AskedProbe] = {}
        try:
            while not self._stop_event.is_set():
                try:
                    if not self._round(asked):
                        return
                except Exception as exc:  # noqa: BLE001 - the poller must outlive any bug of a round
                    self._emit(Event(time.time(), "ssh", "error", "ssh poller", f"host polling hit {type(exc).__name__}: {exc}; going on", kind="poller"))
                    with self._lock:  # a host neither asked nor on the pool is due again
                        self._busy &= set(asked) | self._on_pool
                    self._stop_event.wait(0.5)
        finally:
            for a in asked.values():
                a.shell.close()
                a.lock.release()
            with self._pipe_lock:
                for fd in (self._wake_r, self._wake_w):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                self._wake_r = self._wake_w = -1
