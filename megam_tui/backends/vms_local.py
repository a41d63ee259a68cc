"""Cheap polls of the local qemu:///system hypervisor: figures from /proc instead of QEMU.

The full listing (vms_parse.LISTING_COMMAND) makes libvirt ask every running domain's
QEMU monitor for its CPU time, balloon and vCPUs: ~2-3 ms of qemu CPU and ~1 ms of
libvirtd per domain and poll. `domstats --state` alone (STATE_COMMAND) asks QEMU
nothing. On the local qemu:///system hypervisor libvirt writes each running domain's
qemu pid to QEMU_RUN_DIR/<name>.pid. The domain's CPU time is what libvirt itself reads:
the CPU usage of the domain's cgroup (the parent of the qemu process's `emulator`
cgroup: cgroup v2 cpu.stat usage_usec, or v1 cpuacct.usage), the same figure to the
microsecond; where libvirt made no cgroup for the domain, the qemu process's utime +
stime (what libvirt reports then, in clock ticks). So most polls send STATE_COMMAND
and merge:

- `QemuProc`: CPU time and start time of one domain's qemu process;
- `DetailCache`: what only a full listing gives (vCPUs, memory), and when the next
  full listing is due: every FULL_EVERY seconds, when a domain appears or changes
  state, after a libvirt event about a domain, after the event stream broke, and
  every poll while a running domain's /proc could not be read (as without this).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from megam_tui.backends import vms_parse as vp

QEMU_RUN_DIR = Path("/run/libvirt/qemu")  # pid files of qemu:///system domains
PROC_DIR = Path("/proc")
FULL_EVERY = 30.0  # seconds between full listings (vCPUs, memory) when nothing happened
DETAIL_KEYS = ("vcpu.current", "vcpu.maximum", "balloon.current", "balloon.maximum")


def cgroup_mounts(mountinfo: str) -> dict[str, str]:
    """{"": cgroup2 mount point, v1 controller: its mount point} from /proc/self/mountinfo."""
    out: dict[str, str] = {}
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) < 5 or len(rest) < 3:
            continue
        if rest[0] == "cgroup2":
            out.setdefault("", fields[4])
        elif rest[0] == "cgroup":
            for opt in rest[2].split(","):
                if opt not in ("rw", "ro"):
                    out.setdefault(opt, fields[4])
    return out


def domain_cpu_file(proc_cgroup: str, mounts: dict[str, str]) -> tuple[str, bool] | None:
    """(file, is v2) holding the CPU usage of the domain whose qemu process is in the
    cgroups `proc_cgroup` (/proc/PID/cgroup) lists; None unless that process sits in an
    `emulator` cgroup (libvirt's layout: the domain's cgroup is its parent)."""
    found = None
    for line in proc_cgroup.splitlines():
        num, _, rest = line.partition(":")
        ctrls, _, path = rest.partition(":")
        if not path.endswith("/emulator"):
            continue
        domain = path[: -len("/emulator")]
        if num == "0" and ctrls == "" and "" in mounts:
            return f"{mounts['']}{domain}/cpu.stat", True  # v2: preferred
        if "cpuacct" in ctrls.split(",") and "cpuacct" in mounts:
            found = (f"{mounts['cpuacct']}{domain}/cpuacct.usage", False)
    return found


def read_cpu_file(path: str, v2: bool) -> int | None:
    """CPU ns from a cgroup v2 cpu.stat (usage_usec) or a v1 cpuacct.usage; None if unreadable."""
    try:
        with open(path, encoding="ascii") as f:
            text = f.read()
        if not v2:
            return int(text)
        for line in text.splitlines():
            if line.startswith("usage_usec "):
                return int(line.split()[1]) * 1000
    except (OSError, ValueError):
        pass
    return None


class QemuProc:
    """One domain's qemu process. The pid is read from the pid file once and kept while
    /proc/PID still shows a process with the same start time (not a reused pid); its
    domain's cgroup CPU file is found again with each new pid."""

    _mounts: dict[str, str] | None = None  # cgroup mount points, read once per process

    def __init__(self, name: str, run_dir: Path = QEMU_RUN_DIR, proc_dir: Path = PROC_DIR) -> None:
        self.name = name
        self.run_dir = run_dir
        self.proc_dir = proc_dir
        self._pid: int | None = None
        self._start: int | None = None  # starttime (ticks after boot) of that pid
        self._ticks_per_s = os.sysconf("SC_CLK_TCK")
        self._btime: float | None = None  # host boot time, from /proc/stat
        self._cpu_file: tuple[str, bool] | None = None  # the domain's cgroup CPU file, if any

    def _stat(self) -> str | None:
        """The qemu's /proc/PID/stat line; None when there is none or it cannot be read."""
        if self._pid is not None:
            text = self._read(self._pid)
            if text is not None and vp.proc_starttime_ticks(text) == self._start:
                return text
            self._pid = self._start = None
        pidfile = self.run_dir / f"{self.name}.pid"
        if pidfile.parent != self.run_dir:  # defensive: libvirt refuses names with "/"
            return None
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        text = self._read(pid)
        start = None if text is None else vp.proc_starttime_ticks(text)
        if start is None:
            return None
        self._pid, self._start = pid, start
        self._cpu_file = self._find_cpu_file(pid)
        return text

    def _find_cpu_file(self, pid: int) -> tuple[str, bool] | None:
        try:
            if self.proc_dir == PROC_DIR:
                if QemuProc._mounts is None:
                    QemuProc._mounts = cgroup_mounts((PROC_DIR / "self" / "mountinfo").read_text())
                mounts = QemuProc._mounts
            else:  # a test's /proc: not cached across instances
                mounts = cgroup_mounts((self.proc_dir / "self" / "mountinfo").read_text())
            found = domain_cpu_file((self.proc_dir / str(pid) / "cgroup").read_text(), mounts)
        except OSError:
            return None
        return found if found is not None and read_cpu_file(*found) is not None else None

    def _read(self, pid: int) -> str | None:
        try:
            return (self.proc_dir / str(pid) / "stat").read_text()
        except (OSError, ValueError):
            return None

    def cpu_ns(self) -> int | None:
        """The domain's CPU time in ns as libvirt reports it: its cgroup's usage, or the
        qemu process's utime + stime where libvirt made no cgroup for it."""
        text = self._stat()
        if text is not None and self._cpu_file is not None:
            return read_cpu_file(*self._cpu_file)
        ticks = None if text is None else vp.proc_cpu_ticks(text)
        return None if ticks is None else ticks * 1_000_000_000 // self._ticks_per_s

    def start_time(self) -> float | None:
        """Wall-clock time (epoch seconds) the qemu process started: that of the process
        the last cpu_ns() checked (a poll reads its stat once), read now if none is known."""
        if self._pid is None and self._stat() is None:
            return None
        start = self._start
        if start is None:
            return None
        if self._btime is None:  # constant while the host runs: read once
            try:
                self._btime = vp.boot_time((self.proc_dir / "stat").read_text())
            except (OSError, ValueError):
                return None
        return None if self._btime is None else self._btime + start / self._ticks_per_s


class DetailCache:
    """Per-domain details of the last full listing, and whether the next poll needs one."""

    def __init__(self, full_every: float = FULL_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self.full_every = full_every
        self.clock = clock
        self._lock = threading.Lock()
        self._details: dict[str, dict[str, str]] = {}  # domain -> DETAIL_KEYS + state.state
        self._last_full: float | None = None
        self._procs_ok = False  # the last full listing read every running domain's /proc
        self._marked: set[str] = set()  # domains with an event since the last full listing
        self._epoch = 0  # bumped by events / forget: a listing taken before does not clear them

    def due(self) -> bool:
        with self._lock:
            return (
                self._last_full is None
                or not self._procs_ok
                or bool(self._marked)
                or self.clock() - self._last_full >= self.full_every
            )

    def token(self) -> int:
        """Taken before sending a full listing, handed back to store()."""
        with self._lock:
            return self._epoch

    def store(self, rows: dict[str, dict[str, str]], token: int, procs_ok: bool) -> None:
        """The full listing's stats per domain; procs_ok: every running domain's /proc was read."""
        details = {n: {k: st[k] for k in (*DETAIL_KEYS, "state.state") if k in st} for n, st in rows.items()}
        with self._lock:
            self._details = details
            self._procs_ok = procs_ok
            if token == self._epoch:  # else an event came meanwhile: the next poll is full again
                self._marked.clear()
                self._last_full = self.clock()

    def merge(self, names: list[str], states: dict[str, dict[str, str]]) -> dict[str, dict[str, str]] | None:
        """STATE_COMMAND's stats with the cached details added, or None when a full
        listing is needed (a domain new, without its stats, or in another state)."""
        out = {}
        with self._lock:
            for name in names:
                st, cached = states.get(name), self._details.get(name)
                if st is None or cached is None or st.get("state.state") != cached.get("state.state"):
                    return None
                out[name] = {**cached, **st}
        return out

    def note_event(self, domain: str) -> None:
        """A libvirt event about `domain`: the next poll is a full listing."""
        with self._lock:
            self._marked.add(domain)
            self._epoch += 1

    def forget(self) -> None:
        """Events may have been missed (the stream broke): the next poll is a full listing."""
        with self._lock:
            self._details.clear()
            self._last_full = None
            self._marked.clear()
            self._epoch += 1
