"""VirshShell: one long-lived `virsh` per local hypervisor for the periodic listing.

Starting `virsh` costs ~20 ms of CPU (loading libvirt, connecting); at a 2 s refresh
that alone was ~1 % of a core. `virsh` without a command reads commands from stdin
and keeps its connection, so the poller writes the listing command and reads the
answer up to a marker: ~0.6 ms of CPU a poll.

Protocol (virsh reads stdin without a terminal): it prints a prompt and echoes the
command line through readline (long lines scrolled and cut), then the output; `echo`
prints without a newline. The command is sent between two markers, each written
split by quotes ('__MEGAM_''BEGIN_x__'), so only virsh's `echo` output holds them
joined, never the echoed command line: the answer is what lies between them.

Anything unexpected (an `error:` line, the process gone) makes `run` return None:
the caller falls back to a one-shot `virsh`, which reports the error precisely. No
answer within the deadline kills the shell and raises CallTimeout (libvirtd hung).
Commands are fixed strings of this program, never built from untrusted input.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
import time

from megam_tui.backends.base import CallTimeout
from megam_tui.backends.fdwait import readable


class VirshShell:
    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)  # e.g. ["virsh", "-q", "-c", "qemu:///system"]
        self.env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._token = secrets.token_hex(6)
        self._lock = threading.Lock()
        self.started = 0  # processes started (tests / benchmarks)

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=self.env,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal is not for it
        )
        self.started += 1
        return proc

    def run(self, command: str, timeout: float) -> str | None:
        """The output of `command` (a fixed command line), or None (then use a one-shot virsh)."""
        if not self._lock.acquire(blocking=False):
            return None  # another thread is using the shell: it takes a one-shot virsh
        try:
            return self._run(command, timeout)
        except CallTimeout:
            self.close()
            raise
        except (OSError, ValueError):
            self.close()
            return None
        finally:
            self._lock.release()

    def _run(self, command: str, timeout: float) -> str | None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            self.close()
            proc = self._proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        begin, end = f"__MEGAM_BEGIN_{self._token}__", f"__MEGAM_END_{self._token}__"
        # split by quotes: the echoed command line never holds the joined markers
        line = f"echo '{begin[:8]}''{begin[8:]}'; {command}; echo '{end[:8]}''{end[8:]}'\n"
        proc.stdin.write(line.encode())
        proc.stdin.flush()
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        buf = b""
        marker = end.encode()
        while marker not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CallTimeout(f"virsh: no answer within {timeout:g}s")
            ready = readable([fd], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:  # virsh exited (e.g. could not connect)
                self.close()
                return None
            buf += chunk
        out = buf[: buf.index(marker)]
        start = out.rfind(begin.encode())
        if start < 0:
            self.close()
            return None
        out = out[start + len(begin) :]
        text = out.decode("utf-8", "replace")
        if any(line.startswith("error:") for line in text.splitlines()):
            self.close()  # the connection may be broken: start afresh next time
            return None
        return text

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.kill()
        except OSError:
            pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        for f in (proc.stdin, proc.stdout):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass
