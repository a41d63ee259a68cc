"""The input thread that sleeps (calm_driver) in a real terminal (tmux): keys, a lone
Esc (delivered by the parser's deadline, not after the 5 s idle wait), quitting, and
that the thread really sleeps (few wake-ups when nothing happens)."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _tmux import TmuxSession  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def wait(s: TmuxSession, text: str, timeout: float = 3.0) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if text in s.screen():
            return time.monotonic() - t0
        time.sleep(0.02)
    return None


def wakeups(pid: int) -> int:
    """Voluntary context switches of all the process's threads (each sleep is one)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text()
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("voluntary_ctxt_switches"))
    return total


def start(*args: str) -> TmuxSession:
    return TmuxSession([sys.executable, str(REPO / "tests" / "terminal" / "calm_app.py"), *args], width=60, height=10,
                       env={"PYTHONPATH": str(REPO), "TERM": "xterm-256color", "COLUMNS": "60", "LINES": "10"})


def idle_wakeups(s: TmuxSession) -> int:
    assert s.wait_for(lambda scr: "ready" in scr, timeout=20) is not None, s.screen()
    time.sleep(0.5)
    pid = s.pane_pid()
    before = wakeups(pid)
    time.sleep(2.0)
    return wakeups(pid) - before


def test_keys_escape_and_quit_in_a_real_terminal():
    stock = start("--stock")
    try:
        polled = idle_wakeups(stock)
    finally:
        stock.kill()
    s = start()
    try:
        calm = idle_wakeups(s)
        # Textual's input thread alone wakes ~20 times in 2 s
        print(f"idle wake-ups in 2 s: {calm} (Textual driver {polled})")
        assert calm <= polled - 15, f"{calm} wake-ups in 2 s idle vs {polled} with Textual's driver"
        s.send("x")
        assert wait(s, "key=x") is not None
        s.send("Escape")  # a lone Esc: only the parser's deadline tells it from a sequence
        took = wait(s, "key=escape")
        assert took is not None and took < 1.5, s.screen()
        s.send("Down")
        assert wait(s, "key=down") is not None
        t0 = time.monotonic()
        s.send("q")
        while s.pane_pid() is not None and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        assert s.pane_pid() is None, "the app did not quit"
        assert time.monotonic() - t0 < 1.5  # the wake-up pipe: no 5 s wait for the input thread
    finally:
        s.kill()
