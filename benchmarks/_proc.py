"""Process-tree sampling for the benchmarks: CPU seconds, RSS, threads, open fds (psutil).

    tree(pid)                 -> [psutil.Process] the process and its descendants
    Sample.of(procs)          -> one reading (cpu seconds, rss, threads, fds) summed
    CpuMeter(lambda: procs)   -> start()/stop() -> % of one core over the window; processes
                                 that appear or go away during the window are counted
                                 for the part of it they lived (children included)
    engine_processes()        -> {engine: [psutil.Process]} of the testbed's daemons (by
                                 pidfile, so only what the testbed started)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil


def tree(pid: int) -> list[psutil.Process]:
    try:
        p = psutil.Process(pid)
        return [p, *p.children(recursive=True)]
    except psutil.Error:
        return []


def _cpu(p: psutil.Process) -> float | None:
    try:
        t = p.cpu_times()
        return t.user + t.system
    except psutil.Error:
        return None


@dataclass(frozen=True)
class Sample:
    time: float
    cpu_s: float
    rss: int
    threads: int
    fds: int
    procs: int
    thread_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, procs: list[psutil.Process]) -> Sample:
        cpu = rss = threads = fds = n = 0
        for p in procs:
            try:
                with p.oneshot():
                    t = p.cpu_times()
                    cpu += t.user + t.system
                    rss += p.memory_info().rss
                    threads += p.num_threads()
                    fds += p.num_fds()
                    n += 1
            except psutil.Error:
                continue
        return cls(time.monotonic(), cpu, rss, threads, fds, n)


class CpuMeter:
    """CPU of a changing set of processes over a window, polled every `poll` s so that
    short-lived children (e.g. sshd session processes, `ceph` CLI calls) are counted."""

    def __init__(self, procs: Callable[[], list[psutil.Process]], poll: float = 0.5) -> None:
        self.procs = procs
        self.poll = poll
        self._last: dict[tuple[int, float], float] = {}
        self._gone = 0.0

    def _key(self, p: psutil.Process) -> tuple[int, float] | None:
        try:
            return (p.pid, p.create_time())
        except psutil.Error:
            return None

    def _tick(self) -> None:
        seen = {}
        for p in self.procs():
            k = self._key(p)
            c = _cpu(p)
            if k is None or c is None:
                continue
            seen[k] = c
        for k, c in self._last.items():
            if k not in seen:
                self._gone += c - self._first.get(k, c)  # died: keep what it used since first seen
        for k, c in seen.items():
            self._first.setdefault(k, c)
        self._last = {**{k: v for k, v in self._last.items() if k in seen}, **seen}

    def run(self, window: float) -> float:
        """Block for `window` s; return CPU % of one core used by the set during it."""
        self._first: dict[tuple[int, float], float] = {}
        self._last, self._gone = {}, 0.0
        t0 = time.monotonic()
        self._tick()
        while time.monotonic() - t0 < window:
            time.sleep(min(self.poll, max(0.0, window - (time.monotonic() - t0))))
            self._tick()
        dt = time.monotonic() - t0
        used = self._gone + sum(c - self._first.get(k, c) for k, c in self._last.items())
        return 100.0 * used / dt


def _pidfile(path: Path) -> psutil.Process | None:
    try:
        return psutil.Process(int(path.read_text().strip()))
    except (OSError, ValueError, psutil.Error):
        return None


def engine_processes(testbed: Path) -> dict[str, list[psutil.Process]]:
    """The testbed's daemons by pidfile (and their children: containerd, sshd sessions)."""
    out: dict[str, list[psutil.Process]] = {"docker": [], "ceph": [], "libvirt": [], "sshd": []}
    d = _pidfile(testbed / "docker" / "dockerd.pid")
    if d is not None:
        out["docker"] = [d, *[c for c in d.children() if "shim" not in c.name()]]
    for name in ("mon.mon0", "mgr.x", "osd.0", "osd.1", "osd.2"):
        p = _pidfile(testbed / "ceph" / "run" / f"{name}.pid")
        if p is not None:
            out["ceph"].append(p)
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in ("libvirtd", "virtlogd", "virtqemud"):
            out["libvirt"].append(p)
    for pidfile in (testbed / "ssh" / "hosts").glob("*/sshd.pid"):
        p = _pidfile(pidfile)
        if p is not None:
            out["sshd"].extend(tree(p.pid))
    return out
