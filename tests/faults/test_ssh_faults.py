"""SSH faults through the running app: refused / silent / auth / changed key each affect
only their host; a connection cut mid-command fails the job (no hang) and the host comes
back; a host 100 ms away (latency added in each direction) still works."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace

import psutil

from megam_tui.jobs import FINAL_STATES
from megam_tui.settings import HostSpec
from megam_tui.ui.messages import RunAction
from tests.conftest import TESTBED
from tests.faults.conftest import (
    assert_responsive,
    assert_undisturbed,
    ok_keys,
    running_app,
    screen_text,
    timeline,
    wait_for,
)
from tests.faults.delay_proxy import DelayProxy

GOOD = ("node1", "node2", "node3")
FAULTS = {"refused": "refused", "silent": "timeout", "badauth": "auth", "changedkey": "hostkey"}


def host(app, name):
    return app.panes["ssh"].hosts.get(name)


async def test_each_fault_host_shows_its_own_reason_and_only_it(settings):
    async with running_app(settings, need=("ssh",)) as (app, pilot):
        assert await wait_for(pilot, lambda: all(host(app, n) and host(app, n).error_kind == k for n, k in FAULTS.items()), 20), (
            {n: (host(app, n).error_kind, host(app, n).error) for n in FAULTS if host(app, n)})
        assert await wait_for(pilot, lambda: all(host(app, n).reachable and host(app, n).metrics for n in GOOD), 20)
        baseline = ok_keys(app)
        frame = app.frames["ssh"]
        assert frame.problem.startswith(f"{len(FAULTS)} of {len(FAULTS) + len(GOOD)} unreachable")
        text = screen_text(app)
        for name in (*GOOD, *FAULTS):
            assert name in text
        for shown in ("refused", "timeout", "auth failed", "host key changed"):  # the state column
            assert shown in text, shown
        assert "host key CHANGED" in host(app, "changedkey").error
        assert "authentication failed" in host(app, "badauth").error
        assert "refused" in host(app, "refused").error
        # one timeline entry per fault host, none for the good ones
        bad = {ev.source for ev in timeline(app) if ev.kind == "reachability" and ev.severity == "error"}
        assert set(FAULTS) <= bad and not (set(GOOD) & bad)
        # the other layers are fine
        await assert_undisturbed(pilot, app, baseline, "ssh")
        await assert_responsive(pilot, app)


def sshd_children(name: str) -> list[psutil.Process]:
    pid = int((TESTBED / "ssh" / "hosts" / name / "sshd.pid").read_text().strip())
    return psutil.Process(pid).children()


def our_ports(addr: str, port: int) -> set[int]:
    me = psutil.Process(os.getpid())
    return {c.laddr.port for c in me.net_connections("tcp") if c.raddr and c.raddr.ip == addr and c.raddr.port == port}


async def test_connection_cut_mid_command_fails_the_job_and_host_recovers(settings):
    async with running_app(settings, need=("ssh",)) as (app, pilot):
        assert await wait_for(pilot, lambda: all(host(app, n) and host(app, n).reachable for n in GOOD), 20)
        baseline = ok_keys(app)
        app.post_message(RunAction("ssh", "run", ["node1"], {"command": "echo started; sleep 60; echo never"}))
        assert await wait_for(pilot, lambda: any(j.target == "node1" and "started" in "".join(j.output) for j in app.jobs.jobs()), 15)
        job = next(j for j in app.jobs.jobs() if j.target == "node1")
        # kill only the sshd processes that serve OUR connections (matched by our client ports)
        spec = settings.host("node1")
        ports = our_ports(spec.address, spec.port)
        assert ports, "no connection of ours to node1"
        victims = []
        for child in sshd_children("node1"):
            try:
                conns = child.net_connections("tcp")
            except psutil.Error:
                continue
            if any(c.raddr and c.raddr.port in ports for c in conns):
                victims.append(child)
        assert victims, "no sshd child serves our connection"
        cut = time.monotonic()
        for v in victims:
            v.kill()
        assert await wait_for(pilot, lambda: job.state in FINAL_STATES, 15), f"job still {job.state} after the cut"
        failed_in = time.monotonic() - cut
        assert "never" not in "".join(job.output)
        await assert_responsive(pilot, app)
        # the host comes back by itself; nothing else was disturbed
        assert await wait_for(pilot, lambda: host(app, "node1").reachable and app.states[("ssh", "node1")].ok, 20)
        await assert_undisturbed(pilot, app, baseline, spared={("ssh", "node1")})
        # a cut connection is a failure with a one-line reason, not "done (exit -1)"
        assert job.state == "failed", (
            f"connection cut mid-command reported as {job.state!r}: output {list(job.output)}")
        assert job.error and "\n" not in job.error
        assert any(ev.layer == "job" and ev.severity == "error" and "node1" in ev.message for ev in timeline(app))
        print(f"cut -> job failed in {failed_in:.2f} s: {job.error}")


async def test_slow_host_100ms_away_still_works_and_slows_nobody(settings, tmp_path):
    node1 = settings.host("node1")
    pub = (TESTBED / "ssh" / "hosts" / "node1" / "host_ed25519.pub").read_text().split()[:2]
    proxy = DelayProxy(("127.0.3.1", 0), (node1.address, node1.port), one_way=0.05)
    try:
        port = proxy.address[1]
        known = tmp_path / "known_hosts_slow"
        known.write_text(f"[127.0.3.1]:{port} {pub[0]} {pub[1]}\n")
        slow = HostSpec("slow", "127.0.3.1", port, "root", identity_file=node1.identity_file,
                        known_hosts=str(known), timeout=5.0)
        settings = replace(settings, ssh_hosts=settings.ssh_hosts + (slow,))
        async with running_app(settings, need=("ssh",)) as (app, pilot):
            assert await wait_for(pilot, lambda: host(app, "slow") and host(app, "slow").reachable and host(app, "slow").metrics, 30), (
                host(app, "slow"))
            assert await wait_for(pilot, lambda: all(host(app, n).reachable for n in GOOD), 20)
            layer = app.layers["ssh"]
            t = time.monotonic()
            fast = await asyncio.to_thread(layer.run, "node2", "true", 10)
            t_fast = time.monotonic() - t
            t = time.monotonic()
            res = await asyncio.to_thread(layer.run, "slow", "true", 10)
            t_slow = time.monotonic() - t
            assert fast.returncode == 0 and res.returncode == 0
            assert t_slow >= 0.1, f"latency not applied ({t_slow:.3f} s)"
            await assert_responsive(pilot, app)
            assert app.frames["ssh"].problem.startswith(f"{len(FAULTS)} of ")  # only the known fault hosts
            print(f"command on slow host {t_slow * 1000:.0f} ms vs {t_fast * 1000:.0f} ms")
    finally:
        proxy.close()
