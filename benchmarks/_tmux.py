"""Drive a terminal program in tmux as a person would: start, read the screen, stop."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid


class TmuxSession:
    """One session on its own tmux server (socket `-L <name>`): nobody else's
    `tmux kill-server` or session can disturb a measurement, and ours none of theirs."""

    def __init__(self, argv: list[str], width: int = 160, height: int = 50, env: dict[str, str] | None = None) -> None:
        self.name = f"megam-bench-{uuid.uuid4().hex[:8]}"
        self.tmux = ["tmux", "-L", self.name]
        envs = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()]
        cmd = " ".join(["env", *envs, *map(shlex.quote, argv)]) if envs else shlex.join(argv)
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), cmd],
            check=True,
        )
        self.started = time.monotonic()

    def screen(self) -> str:
        res = subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return res.stdout

    def pane_pid(self) -> int | None:
        res = subprocess.run([*self.tmux, "display-message", "-p", "-t", self.name, "#{pane_pid}"], capture_output=True, text=True)
        try:
            return int(res.stdout.strip())
        except ValueError:
            return None

    def wait_for(self, predicate, timeout: float = 30.0, interval: float = 0.02) -> float | None:
        """Seconds from start until predicate(screen) is true, or None on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate(self.screen()):
                return time.monotonic() - self.started
            time.sleep(interval)
        return None

    def send(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=False)

    def kill(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)  # this session's own server
