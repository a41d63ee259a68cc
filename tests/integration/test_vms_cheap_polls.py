"""Local qemu:///system polls against the real libvirtd: a full listing when one is due,
else the state-only listing + /proc (vms_local), with the same figures as a full listing.

What the layer sends to its resident virsh is recorded (VirshShell.run wrapped). Other
tests may define domains meanwhile: a poll whose listing changed may rightly be full, so
the "state only" checks look at polls that saw no change.
"""

import os
import signal
import threading
import time

import pytest

from megam_tui.backends import vms_parse as vp
from megam_tui.backends.vms import DomainsSnapshot, LibvirtLayer
from megam_tui.backends.vms_local import QEMU_RUN_DIR
from megam_tui.backends.vms_shell import VirshShell
from megam_tui.models import Event
from megam_tui.settings import HypervisorSpec, Settings
from tests.integration import conftest as testbed
from tests.integration.test_vms_actions import URI, running_domain, virsh, wait_state
from tests.integration.test_vms_live import Collector

FULL, STATE = "full", "state"


class Sent:
    """The listings the layer sent to its resident virsh, in order."""

    def __init__(self, monkeypatch):
        self.items: list[str] = []
        self.cond = threading.Condition()
        run = VirshShell.run

        def recording(shell, command, timeout):
            with self.cond:
                self.items.append({vp.LISTING_COMMAND: FULL, vp.STATE_COMMAND: STATE}.get(command, command))
                self.cond.notify_all()
            return run(shell, command, timeout)

        monkeypatch.setattr(VirshShell, "run", recording)

    def take(self) -> list[str]:
        with self.cond:
            out, self.items = self.items, []
            return out

    def wait_first(self, timeout=5.0) -> str:
        with self.cond:
            assert self.cond.wait_for(lambda: self.items, timeout), "nothing sent"
            return self.items[0]


@pytest.fixture
def sent(monkeypatch):
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("libvirt")
    if not os.access(QEMU_RUN_DIR / "megam-vm1.pid", os.R_OK):
        pytest.skip("qemu pid files not readable (not root): every poll is a full listing")
    return Sent(monkeypatch)


@pytest.fixture
def scratch():
    with running_domain("megam-cheap") as name:
        yield name


def make_layer(**kw) -> LibvirtLayer:
    return LibvirtLayer(Settings(libvirt_hypervisors=(HypervisorSpec("local", uri=URI, timeout=5),), **kw))


def listing(layer):
    return {d.name: d for d in layer.list_domains("local")}


def libvirt_cpu_ns(name) -> int:
    out = virsh("domstats", "--raw", "--cpu-total", name).stdout
    return int(vp.parse_domstats(out)[name]["cpu.time"])


def test_state_only_polls_give_the_figures_of_a_full_listing(sent):
    layer = make_layer()
    ref = make_layer()
    ref._detail_cache = lambda hv: None  # the reference: a full listing every poll, libvirt's cpu.time
    first = listing(layer)
    listing(ref)
    assert sent.take() == [FULL, FULL]
    quiet = 0
    for _ in range(3):
        time.sleep(2.0)
        names = {n: d.state for n, d in first.items()}
        now, full = listing(layer), listing(ref)
        got = sent.take()
        if {n: d.state for n, d in now.items()} != names:
            continue  # another test changed a domain: a full listing is allowed
        quiet += 1
        assert got == [STATE, FULL]  # this layer's state-only poll, then the reference's
        ours, theirs = now["megam-vm1"], full["megam-vm1"]
        assert (ours.state, ours.vcpus, ours.memory_kib) == (theirs.state, theirs.vcpus, theirs.memory_kib)
        assert (ours.vcpus, ours.memory_kib) == (1, 64 * 1024)
        assert abs(ours.uptime_s - theirs.uptime_s) < 1.0
        # CPU %: ours against libvirt's cpu.time, over the same 2 s
        assert ours.cpu_pct is not None and theirs.cpu_pct is not None
        assert abs(ours.cpu_pct - theirs.cpu_pct) < 1.5, (ours.cpu_pct, theirs.cpu_pct)
        first = now
    assert quiet >= 1, "every poll saw another test's domain change"
    # the CPU time behind it is fresh (not a cached figure) and is libvirt's cpu.time
    before = layer._prev_cpu[("local", "megam-vm1")][0]
    time.sleep(2.0)
    listing(layer)
    ours = layer._prev_cpu[("local", "megam-vm1")][0]
    theirs = libvirt_cpu_ns("megam-vm1")
    assert ours > before  # an idle testbed domain uses ~1 % of a CPU: 2 ticks in 2 s
    if layer._qemu_proc(layer.hypervisor("local"), "megam-vm1")._cpu_file is not None:
        assert 0 <= theirs - ours < 30_000_000, (theirs, ours)  # the same cgroup counter, read ~ms later
    else:  # no cgroup for the domain: qemu's utime + stime, in clock ticks
        assert -30_000_000 < theirs - ours < 60_000_000, (theirs, ours)


def test_a_state_change_outside_the_app_brings_a_full_listing_in_the_same_poll(sent, scratch):
    layer = make_layer()  # no event stream: only the listing can tell
    listing(layer)
    assert sent.take() == [FULL]
    virsh("suspend", "--domain", scratch)
    assert wait_state(scratch, "paused")
    doms = listing(layer)
    assert sent.take() == [STATE, FULL] and doms[scratch].state == "paused"
    assert doms[scratch].vcpus == 1 and doms[scratch].memory_kib == 64 * 1024
    names = {n: d.state for n, d in doms.items()}
    doms = listing(layer)
    if {n: d.state for n, d in doms.items()} == names:
        assert sent.take() == [STATE]
    virsh("resume", "--domain", scratch)
    assert wait_state(scratch, "running")
    sent.take()
    doms = listing(layer)
    assert sent.take() == [STATE, FULL] and doms[scratch].state == "running"


def test_an_event_or_a_broken_stream_makes_the_next_poll_full(sent, scratch):
    layer = make_layer(refresh=30)  # polls only when poked (events, refresh())
    got = Collector()
    layer.start(got)
    try:
        got.wait_for(lambda o: isinstance(o, DomainsSnapshot) and scratch in {d.name for d in o.domains}, 10)
        assert sent.take()[0] == FULL

        def quiet_refresh() -> list[str]:
            """A poked poll during which no libvirt event arrived -> what it sent."""
            for _ in range(5):
                time.sleep(0.5)
                sent.take()
                got.mark()
                layer.refresh()
                got.wait_for(lambda o: isinstance(o, DomainsSnapshot), 5)
                if not any(isinstance(o, Event) for _, o in got.items[got.start :]):
                    return sent.take()
            raise AssertionError("libvirt events all the time: no quiet poll")

        assert quiet_refresh() == [STATE]
        sent.take()
        virsh("suspend", "--domain", scratch)  # its event pokes a poll: a full one at once
        assert sent.wait_first() == FULL
        got.wait_for(lambda o: isinstance(o, DomainsSnapshot) and any(
            d.name == scratch and d.state == "paused" for d in o.domains), 5)
        assert quiet_refresh() == [STATE]
        [stream] = layer._streams.values()
        sent.take()
        os.kill(stream._proc.pid, signal.SIGKILL)  # the event stream breaks (it reconnects)
        assert sent.wait_first() == FULL
        assert quiet_refresh() == [STATE]
    finally:
        layer.stop()
