"""The local machine through psutil, and local command streaming."""

from __future__ import annotations

import os
import threading
import time

import psutil

from megam_tui.backends.host import LOCAL_NAME, LocalHost, stream_local
from megam_tui.models import CommandOutput


def test_local_probe_is_first_class_host_with_metrics():
    lh = LocalHost()
    h = lh.probe()
    assert h.name == LOCAL_NAME and h.local and h.reachable and h.error is None
    m = h.metrics
    assert m.mem_total == psutil.virtual_memory().total
    assert 0 < m.mem_used < m.mem_total
    assert m.uptime_s > 0 and m.load1 is not None
    assert m.disk_root_pct is not None and m.disk_fullest_mount
    assert m.cpu_pct is None and m.net_rx_bps is None  # first sample: no delta yet


def test_second_local_probe_has_cpu_and_rates():
    lh = LocalHost()
    lh.probe()
    deadline = time.time() + 1
    while time.time() < deadline:  # burn some CPU so the delta is non-empty
        pass
    m = lh.probe().metrics
    assert m.cpu_pct is not None and 0.0 <= m.cpu_pct <= 100.0
    assert m.net_rx_bps is not None and m.net_rx_bps >= 0.0


def test_stream_local_separates_stdout_and_stderr_and_returns_the_code():
    lines: list[CommandOutput] = []
    code = stream_local("echo out; echo err >&2; exit 5", lines.append, threading.Event())
    assert code == 5
    assert CommandOutput(LOCAL_NAME, "out", "stdout") in lines
    assert CommandOutput(LOCAL_NAME, "err", "stderr") in lines


def test_stream_local_cancel_kills_the_whole_group(tmp_path):
    pidfile = tmp_path / "pid"
    cancel = threading.Event()
    result: list[int] = []
    t = threading.Thread(
        target=lambda: result.append(stream_local(f"sleep 60 & echo $! > {pidfile}; wait", lambda o: None, cancel))
    )
    t.start()
    while not pidfile.exists() or not pidfile.read_text().strip():
        time.sleep(0.05)
    child = int(pidfile.read_text())
    cancel.set()
    t.join(5)
    assert result == [-1]
    # the background child was in the same process group: it is gone (or a zombie being reaped)
    try:
        p = psutil.Process(child)
        assert p.status() == psutil.STATUS_ZOMBIE or not p.is_running()
    except psutil.NoSuchProcess:
        pass
    assert child != os.getpid()


def _counting(monkeypatch, target, name):
    calls = {"n": 0}
    real = getattr(target, name)

    def wrapper(*a, **kw):
        calls["n"] += 1
        return real(*a, **kw)

    monkeypatch.setattr(target, name, wrapper)
    return calls


def test_disks_are_read_once_per_interval_and_carried_between(monkeypatch):
    parts = _counting(monkeypatch, psutil, "disk_partitions")
    usage = _counting(monkeypatch, psutil, "disk_usage")
    lh = LocalHost(disk_interval=3600.0)
    first = lh.probe().metrics
    assert parts["n"] == 1 and usage["n"] >= 1
    read = usage["n"]
    second = lh.probe().metrics
    third = lh.probe().metrics
    assert parts["n"] == 1 and usage["n"] == read  # mount table and statvfs not read again
    for m in (second, third):  # the figures stay in every Host: the pane never sees them vanish
        assert m.disk_root_pct == first.disk_root_pct is not None
        assert (m.disk_fullest_mount, m.disk_fullest_pct) == (first.disk_fullest_mount, first.disk_fullest_pct)
    lh.disk_interval = 0.0  # due again: read again
    assert lh.probe().metrics.disk_root_pct is not None
    assert parts["n"] == 2 and usage["n"] > read


def test_user_and_boot_time_are_read_once(monkeypatch):
    import megam_tui.backends.host as host_module

    users = _counting(monkeypatch, host_module, "_user")
    boots = _counting(monkeypatch, psutil, "boot_time")
    lh = LocalHost()
    hosts = [lh.probe() for _ in range(3)]
    assert users["n"] == 1 and boots["n"] == 1
    assert all(h.user == hosts[0].user and h.metrics.uptime_s > 0 for h in hosts)
    up = [h.metrics.uptime_s for h in hosts]
    assert up == sorted(up)  # still counts up from the one boot time
