"""Process-tree sampling for the benchmarks: CPU seconds, RSS, threads, open fds (psutil).

    tree(pid)                 -> [psutil.Process] the process and its descendants
    Sample.of(procs)          -> one reading (cpu seconds, rss, threads, fds) summed
    CpuMeter(lambda: procs)   -> run(window) -> % of one core over the window, children
                                 included however short they lived (reaped-children time)
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
    """CPU of a changing set of processes over a window, short-lived children included.

    Each process counts its own time plus the time of the children it has reaped
    (psutil children_user/children_system): the sum over the live processes at the
    end minus the same sum at the start is all the CPU the tree used in the window,
    including processes that started and ended in between (e.g. a `virsh` or `ceph`
    call every poll, sshd session processes) however short they lived. (Polling the
    live processes every 0.5 s missed those.)"""

    def __init__(self, procs: Callable[[], list[psutil.Process]], poll: float = 0.5) -> None:
        self.procs = procs
        self.poll = poll

    def _total(self) -> float:
        total = 0.0
        for p in self.procs():
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total

    def run(self, window: float) -> float:
        """Block for `window` s; return CPU % of one core used by the set during it."""
        t0 = time.monotonic()
        start = self._total()
        time.sleep(window)
        used = self._total() - start
        return 100.0 * max(0.0, used) / (time.monotonic() - t0)


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
    # the domains' qemu processes count too: what a poll asks of a running domain (its
    # monitor's query-stats, balloon) costs qemu more than libvirtd
    for p in psutil.process_iter(["name"]):
        name = p.info["name"] or ""
        if name in ("libvirtd", "virtlogd", "virtqemud") or name.startswith("qemu-system") or name == "qemu-kvm":
            out["libvirt"].append(p)
    for pidfile in (testbed / "ssh" / "hosts").glob("*/sshd.pid"):
        p = _pidfile(pidfile)
        if p is not None:
            out["sshd"].extend(tree(p.pid))
    return out
