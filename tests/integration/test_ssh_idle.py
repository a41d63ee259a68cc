"""The idle cost of watching hosts, against the real sshd hosts of scripts/testbed/ssh.sh:
df runs on a host once per df_interval (not every probe) while the disk figures stay in
every Host, and the local machine is probed on a thread of its own.

df runs are counted on the host itself: the resident shell is given a PATH whose
first directory holds a `df` that logs each run and then execs the real one.
"""

from __future__ import annotations

import threading
import time

import pytest

import megam_tui.backends.ssh as ssh_module
from megam_tui.backends.ssh import SshLayer
from megam_tui.models import Host
from tests.integration.test_ssh_layer import GOOD, make_settings


def only(*names: str):
    def edit(ssh: dict) -> None:
        ssh["hosts"] = [h for h in ssh["hosts"] if h["name"] in names]

    return edit


def disks(h: Host) -> tuple:
    m = h.metrics
    return (m.disk_root_pct, m.disk_fullest_mount, m.disk_fullest_pct)


@pytest.fixture
def counted(tmp_path, monkeypatch):
    """(layer on node1 only, refresh 300 ms, df_interval 1 h; runs() -> how many times df
    ran through that layer on node1). A second layer sets up, counts and cleans up."""
    settings = make_settings(tmp_path, edit=only("node1"), refresh="300ms")
    helper, lay = SshLayer(settings), SshLayer(settings, df_interval=3600.0)
    d = ""
    try:
        made = helper.run(
            "node1",
            'real=$(command -v df); d=$(mktemp -d /tmp/megam-df.XXXXXX); : > "$d/log"; '
            'printf \'#!/bin/sh\\necho run >> %s/log\\nexec %s "$@"\\n\' "$d" "$real" > "$d/df"; '
            'chmod +x "$d/df"; echo "$d"',
            timeout=10,
        )
        d = made.stdout.strip()
        assert made.returncode == 0 and d.startswith("/tmp/"), made
        path = f"PATH={d}:$PATH; export PATH; "
        monkeypatch.setattr(ssh_module, "METRICS_FUNCTIONS", path + ssh_module.METRICS_FUNCTIONS)
        yield lay, lambda: int(helper.run("node1", f"wc -l < {d}/log", timeout=10).stdout)
    finally:
        lay.stop()
        if d.startswith("/tmp/"):
            helper.run("node1", f"rm -rf {d}", timeout=10)
        helper.stop()


def test_df_runs_once_per_interval_and_the_disks_stay_in_every_host(counted):
    lay, runs = counted
    hosts = [lay.probe("node1") for _ in range(4)]
    assert all(h.reachable for h in hosts), [h.error for h in hosts]
    assert runs() == 1  # the first probe only
    assert hosts[0].metrics.disk_root_pct is not None and hosts[0].metrics.disk_fullest_mount
    assert {disks(h) for h in hosts} == {disks(hosts[0])}  # carried between df runs
    lay.df_interval = 0.0  # due at every probe
    more = [lay.probe("node1") for _ in range(2)]
    assert runs() == 3
    assert all(h.reachable and h.metrics.disk_root_pct is not None for h in more)


def test_a_new_shell_runs_df_at_once(counted):
    lay, runs = counted
    assert lay.probe("node1").reachable and runs() == 1
    lay.pool.client("node1").get_transport().close()  # the kept connection dies: reconnect, new shell
    h = lay.probe("node1")
    assert h.reachable and h.metrics.disk_root_pct is not None, h.error
    assert runs() == 2
    assert lay.probe("node1").reachable and runs() == 2  # and then waits for the interval again


def _poll(lay: SshLayer, n: int) -> list[Host]:
    """Run the poller until node1 was probed `n` times; its Hosts."""
    seen: list[object] = []
    lay.start(seen.append)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            hosts = [o for o in list(seen) if isinstance(o, Host) and o.name == "node1"]
            if len(hosts) >= n:
                break
            time.sleep(0.05)
    finally:
        lay.stop()
    assert len(hosts) >= n and all(h.reachable for h in hosts), [h.error for h in hosts]
    return hosts


def test_the_poller_runs_df_once_per_interval(counted):
    lay, runs = counted
    hosts = _poll(lay, 8)  # 8 probes 0.3 s apart, df_interval 1 h
    assert runs() == 1
    assert hosts[0].metrics.disk_root_pct is not None
    assert {disks(h) for h in hosts} == {disks(hosts[0])}  # every Host carries the disks


def test_the_poller_runs_df_again_when_the_interval_is_short(counted):
    lay, runs = counted
    lay.df_interval = 1.5  # due from 1.0 s on: every 4th probe at a 0.3 s refresh
    hosts = _poll(lay, 12)
    assert 2 <= runs() <= len(hosts) // 2
    assert all(h.metrics.disk_root_pct is not None for h in hosts)


def test_local_probe_has_its_own_thread_and_a_hang_there_delays_no_remote_host(tmp_path):
    lay = SshLayer(make_settings(tmp_path, include_local=True, edit=only(*GOOD), refresh="300ms"))
    real_local, real_probe = lay.local.probe, lay.probe
    release = threading.Event()
    local_threads: list[str] = []
    pool_threads: list[str] = []

    def local_probe() -> Host:
        local_threads.append(threading.current_thread().name)
        if len(local_threads) > 1:
            release.wait(30)  # the second probe hangs, like a statvfs on a dead NFS mount
        return real_local()

    def probe(host: str, timeout: float | None = None) -> Host:  # connects: the shared pool
        pool_threads.append(threading.current_thread().name)
        return real_probe(host, timeout)

    lay.local.probe, lay.probe = local_probe, probe
    seen: list[object] = []
    lay.start(seen.append)
    after: list[object] = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(local_threads) < 2:
            time.sleep(0.05)
        hang_at = len(seen)
        while time.monotonic() < deadline:
            after = [o for o in seen[hang_at:] if isinstance(o, Host)]
            if all(len([h for h in after if h.name == n]) >= 5 for n in GOOD):
                break
            time.sleep(0.05)
    finally:
        start = time.monotonic()
        lay.stop()
        stop_time = time.monotonic() - start
        release.set()
    assert len(local_threads) == 2 and all(n.startswith("ssh-local") for n in local_threads)
    assert pool_threads and all(n.startswith("ssh-poll") for n in pool_threads)
    assert len(pool_threads) == len(GOOD)  # steady state: the shared pool got only the connects
    for n in GOOD:  # every 0.3 s while the local probe hangs
        assert len([h for h in after if h.name == n and h.reachable]) >= 5, n
    assert not any(h.local for h in after)  # the hung local probe emitted nothing
    assert stop_time < 1.5
