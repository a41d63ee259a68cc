"""Threads of the libvirt layer: the `virsh event --all --loop` stream and the poller.

- `VirshEventStream`: one local `virsh -c URI event --all --loop --timestamp`
  process per hypervisor; each parsed line goes to `on_event`. When libvirtd
  goes away virsh exits ("Disconnected from ..."): that is reported through
  `on_error` and the stream reconnects with back-off (StreamThread). `stop()`
  kills the process group, so it never outlives the layer.
- `SshVirshEventStream`: the same command on an SSH host through
  `SshLayer.stream` (the caller quotes it); `stop()` sets the stream's cancel
  event, which closes the channel and kills the remote virsh.
- `Poller`: calls `poll()` every `interval` seconds, counted from the end of
  the previous call (a slow hypervisor never piles calls up), every `retry`
  seconds while it fails (recovery is noticed soon); `poke()` runs the next
  poll at once (an event arrived, an action finished).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import Any

from megam_tui.backends.base import DIE_WITH_PARENT, OwnedThread, StreamThread, Unreachable, kill_group
from megam_tui.backends.vms_parse import LifecycleEvent, parse_event


class VirshEventStream(StreamThread):
    backoff_initial = 0.5
    backoff_max = 2.0  # libvirtd restarts are quick; come back soon after

    def __init__(
        self,
        argv: Sequence[str],
        on_event: Callable[[LifecycleEvent], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        name: str = "virsh-events",
    ) -> None:
        super().__init__(name=name, on_error=on_error)
        self.argv = list(argv)
        self.on_event = on_event
        self._proc: subprocess.Popen[str] | None = None
        self._proc_lock = threading.Lock()
        self.lines_seen = 0

    def run_once(self) -> None:
        with self._proc_lock:
            if self.stopping:
                return
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "LC_ALL": "C"},
                start_new_session=True,
                preexec_fn=DIE_WITH_PARENT,  # this thread lives as long as the stream
                text=True,
                errors="replace",
                bufsize=1,
            )
        proc = self._proc
        assert proc.stdout is not None and proc.stderr is not None
        try:
            for line in proc.stdout:
                if self.stopping:
                    return
                self.lines_seen += 1
                ev = parse_event(line)
                if ev is not None:
                    self.on_event(ev)
        finally:
            kill_group(proc)
            try:
                err = proc.stderr.read()
            except (OSError, ValueError):
                err = ""
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        if not self.stopping:
            errors = [ln.strip() for ln in err.splitlines() if ln.strip().lower().startswith("error:")]
            reason = errors[0][len("error:") :].strip() if errors else f"virsh event exited ({proc.returncode})"
            raise Unreachable(reason)

    def interrupt(self) -> None:
        with self._proc_lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            kill_group(proc)


class SshVirshEventStream(StreamThread):
    backoff_initial = 0.5
    backoff_max = 5.0

    def __init__(
        self,
        ssh: Any,
        host: str,
        command: str,
        on_event: Callable[[LifecycleEvent], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        name: str = "virsh-events-ssh",
    ) -> None:
        super().__init__(name=name, on_error=on_error)
        self.ssh = ssh
        self.host = host
        self.command = command
        self.on_event = on_event
        self._cancel = threading.Event()

    def run_once(self) -> None:
        errors: list[str] = []

        def on_line(out: Any) -> None:
            line = getattr(out, "line", "") or ""
            if getattr(out, "stream", "stdout") == "stderr":
                if line.strip().lower().startswith("error:"):
                    errors.append(line.strip()[len("error:") :].strip())
                return
            ev = parse_event(line)
            if ev is not None:
                self.on_event(ev)

        code = self.ssh.stream(self.host, self.command, on_line, self._cancel)
        if not self.stopping:
            raise Unreachable(errors[0] if errors else f"virsh event on {self.host} exited ({code})")

    def interrupt(self) -> None:
        self._cancel.set()


class Poller(OwnedThread):
    def __init__(
        self, poll: Callable[[], bool], interval: float, *, retry: float = 2.0, name: str = "vms-poller"
    ) -> None:
        super().__init__(name)
        self.poll = poll  # returns False when the hypervisor did not answer
        self.interval = max(0.1, interval)
        self.retry = max(0.1, min(retry, self.interval))  # sooner while unreachable
        self._stop_event = threading.Event()
        self._poke = threading.Event()

    @property
    def stopping(self) -> bool:
        return self._stop_event.is_set()

    def poke(self) -> None:
        self._poke.set()

    def stop(self) -> None:
        self._stop_event.set()
        self._poke.set()

    def run(self) -> None:
        while not self.stopping:
            self._poke.clear()
            try:
                ok = self.poll()
            except Exception:  # noqa: BLE001 - poll() reports its own failures; never die
                ok = False
            self._poke.wait(self.interval if ok else self.retry)
