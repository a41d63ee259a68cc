"""The local machine as a models.Host (psutil), shown first in the Hosts pane.

CPU % and network rates come from deltas between two probes of the same
LocalHost object (None on the first probe), like the remote hosts. Disk usage
(the mount table and a statvfs per mount) is read every `disk_interval` s, like
the remote hosts' df; the probes between carry the last figures.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import IO

import psutil

from megam_tui.backends.ssh_metrics import DF_INTERVAL, disks_due
from megam_tui.models import CommandOutput, Host, HostMetrics

LOCAL_NAME = "local"

_PSEUDO_FS = {"tmpfs", "devtmpfs", "overlay", "squashfs", "proc", "sysfs", "cgroup", "cgroup2", "nsfs", "autofs"}
_PSEUDO_MOUNT_PREFIXES = ("/proc", "/sys", "/dev", "/run", "/snap", "/var/lib/docker")


class LocalHost:
    """Probe the machine megam-tui runs on."""

    def __init__(self, name: str = LOCAL_NAME, *, disk_interval: float = DF_INTERVAL) -> None:
        self.name = name
        self.address = socket.gethostname()
        self.user = _user()  # does not change while we run: read once
        self.disk_interval = disk_interval  # seconds between disk usage reads (disks_due)
        self._lock = threading.Lock()
        self._prev_cpu: tuple[float, float] | None = None  # (busy, total) seconds
        self._prev_net: tuple[float, int, int] | None = None  # (monotonic, rx, tx)
        self._boot: float | None = None  # boot time (epoch s), read once
        self._disks_at: float | None = None  # monotonic time of the last disk read
        self._disks: tuple[float | None, tuple[str, float] | None] = (None, None)  # (root %, fullest)

    def probe(self) -> Host:
        try:
            metrics = self._metrics()
        except Exception as exc:  # noqa: BLE001 - psutil failures are shown, not raised
            return Host(self.name, self.address, 0, self.user, False, f"local metrics: {exc}", "error", None, True)
        return Host(self.name, self.address, 0, self.user, True, None, None, metrics, True)

    def _metrics(self) -> HostMetrics:
        with self._lock:
            ct = psutil.cpu_times()
            total = sum(ct)
            idle = ct.idle + getattr(ct, "iowait", 0.0)
            cpu_pct = None
            if self._prev_cpu is not None:
                dt = total - self._prev_cpu[1]
                dbusy = (total - idle) - self._prev_cpu[0]
                if dt > 0:
                    cpu_pct = max(0.0, min(100.0, 100.0 * dbusy / dt))
            self._prev_cpu = (total - idle, total)

            now = time.monotonic()
            rx = tx = 0
            for nic, c in psutil.net_io_counters(pernic=True).items():
                if nic != "lo":
                    rx += c.bytes_recv
                    tx += c.bytes_sent
            rx_bps = tx_bps = None
            if self._prev_net is not None:
                secs = now - self._prev_net[0]
                if secs > 0 and rx >= self._prev_net[1] and tx >= self._prev_net[2]:
                    rx_bps = (rx - self._prev_net[1]) / secs
                    tx_bps = (tx - self._prev_net[2]) / secs
            self._prev_net = (now, rx, tx)

        # outside the lock: a statvfs may block on a hung mount (two readers at worst both read)
        if disks_due(self._disks_at, now, self.disk_interval):
            self._disks, self._disks_at = read_disks(), now
        root_pct, fullest = self._disks
        if self._boot is None:
            self._boot = psutil.boot_time()
        vm = psutil.virtual_memory()
        load = os.getloadavg()
        return HostMetrics(
            uptime_s=max(0.0, time.time() - self._boot),
            load1=load[0],
            load5=load[1],
            load15=load[2],
            cpu_pct=cpu_pct,
            mem_total=vm.total,
            mem_used=vm.total - vm.available,
            disk_root_pct=root_pct,
            disk_fullest_mount=fullest[0] if fullest else None,
            disk_fullest_pct=fullest[1] if fullest else None,
            net_rx_bps=rx_bps,
            net_tx_bps=tx_bps,
        )


def read_disks() -> tuple[float | None, tuple[str, float] | None]:
    """(used % of /, (mount, used %) of the fullest real disk) from the mount table
    and a statvfs per mount (which may block on a hung network mount)."""
    root_pct = None
    fullest: tuple[str, float] | None = None
    for part in psutil.disk_partitions(all=False):
        if part.fstype in _PSEUDO_FS or part.device.startswith("/dev/loop"):
            continue
        if any(part.mountpoint == p or part.mountpoint.startswith(p + "/") for p in _PSEUDO_MOUNT_PREFIXES):
            continue
        try:
            pct = psutil.disk_usage(part.mountpoint).percent
        except OSError:
            continue
        if part.mountpoint == "/":
            root_pct = pct
        if fullest is None or pct > fullest[1]:
            fullest = (part.mountpoint, pct)
    if root_pct is None:
        try:
            root_pct = psutil.disk_usage("/").percent
        except OSError:
            pass
    return root_pct, fullest


def _user() -> str | None:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return None


def stream_local(
    command: str,
    on_line: Callable[[CommandOutput], None],
    cancel: threading.Event,
    timeout: float | None = None,
) -> int:
    """Run a shell command the user typed on the local machine, streaming its lines.

    Its own session/process group; cancel or timeout kills the whole group.
    Returns the exit status (-1 when cancelled).
    """
    import subprocess

    from megam_tui.backends.base import CallTimeout, kill_group

    shell = os.environ.get("SHELL") or "/bin/sh"
    proc = subprocess.Popen(
        [shell, "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )

    def reader(pipe: IO[bytes], stream: str) -> None:
        for raw in iter(lambda: pipe.readline(16384), b""):
            on_line(CommandOutput(LOCAL_NAME, raw.decode("utf-8", "replace").rstrip("\r\n"), stream))
        pipe.close()

    threads = [
        threading.Thread(target=reader, args=(proc.stdout, "stdout"), daemon=True),
        threading.Thread(target=reader, args=(proc.stderr, "stderr"), daemon=True),
    ]
    for t in threads:
        t.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    while proc.poll() is None:
        if cancel.wait(0.05):
            kill_group(proc)
            proc.wait()
            for t in threads:
                t.join(1.0)
            return -1
        if deadline is not None and time.monotonic() > deadline:
            kill_group(proc)
            proc.wait()
            raise CallTimeout(f"local: command did not finish within {timeout:g}s")
    for t in threads:
        t.join(2.0)
    return proc.returncode
