"""LibvirtLayer.start(): event stream + poller against the real libvirtd."""

import subprocess
import threading
import time

import pytest

from megam_tui.backends.vms import DomainsSnapshot, LibvirtLayer
from megam_tui.models import BackendState, Event
from megam_tui.settings import HypervisorSpec, Settings
from tests.conftest import REPO
from tests.integration import conftest as testbed
from tests.integration.test_vms_actions import URI, running_domain, state, virsh

SCRIPT = REPO / "scripts" / "testbed" / "libvirt.sh"


class Collector:
    """Everything the layer emitted, with arrival times; wait_for searches from a mark."""

    def __init__(self):
        self.items: list = []
        self.cond = threading.Condition()
        self.start = 0

    def __call__(self, obj):
        with self.cond:
            self.items.append((time.monotonic(), obj))
            self.cond.notify_all()

    def mark(self):
        """Later wait_for calls only look at what arrives from now on."""
        with self.cond:
            self.start = len(self.items)

    def wait_for(self, pred, timeout):
        """First object since the mark matching pred -> (arrival time, obj)."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, obj in self.items[self.start :]:
                    if pred(obj):
                        return t, obj
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("nothing matching arrived in time")
                self.cond.wait(left)


def domain_state(obj, name):
    if isinstance(obj, DomainsSnapshot):
        for d in obj.domains:
            if d.name == name:
                return d.state
    return None


@pytest.fixture
def live():
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("libvirt")
    # refresh 30 s: anything faster than that came from the event stream, not the poller
    layer = LibvirtLayer(Settings(refresh=30, libvirt_hypervisors=(HypervisorSpec("local", uri=URI, timeout=5),)))
    got = Collector()
    layer.start(got)
    try:
        got.wait_for(lambda o: isinstance(o, DomainsSnapshot), 10)
        yield layer, got
    finally:
        layer.stop()


@pytest.fixture
def running_scratch():
    with running_domain("megam-live") as name:
        yield name


def test_first_snapshot_and_state(live):
    layer, got = live
    got.mark()
    layer.refresh()
    _, snap = got.wait_for(lambda o: isinstance(o, DomainsSnapshot), 5)
    states = {d.name: d.state for d in snap.domains}
    assert states["megam-vm1"] == "running" and states["megam-vm2"] == "shut off"


def test_destroy_outside_the_app_is_seen_within_one_second(live, running_scratch):
    layer, got = live
    name = running_scratch
    got.wait_for(lambda o: domain_state(o, name) == "running", 5)  # its start was seen too
    got.mark()
    t0 = time.monotonic()
    virsh("destroy", "--domain", name)  # returns once the domain is off (~1-2 s for KVM here)
    t_off = time.monotonic()
    t_event, ev = got.wait_for(lambda o: isinstance(o, Event) and o.object == name and o.kind == "stopped", 2)
    t_snap, _ = got.wait_for(lambda o: domain_state(o, name) == "shut off", 2)
    print(f"virsh destroy took {t_off - t0:.3f} s; event {t_event - t_off:+.3f} s and snapshot "
          f"{t_snap - t_off:+.3f} s relative to its return")
    assert t_snap - t_off <= 1.0
    assert ev.layer == "libvirt" and ev.source == "local" and "destroyed" in ev.message


def test_actions_show_up_as_events(live, running_scratch):
    layer, got = live
    name = running_scratch
    got.wait_for(lambda o: domain_state(o, name) == "running", 5)
    got.mark()
    layer.run_action("suspend", f"local/{name}", {}, None)
    got.wait_for(lambda o: isinstance(o, Event) and o.object == name and o.kind == "suspended", 2)
    got.wait_for(lambda o: domain_state(o, name) == "paused", 2)
    got.mark()
    layer.run_action("resume", f"local/{name}", {}, None)
    got.wait_for(lambda o: domain_state(o, name) == "running", 2)
    assert state(name) == "running"


def test_stop_is_quick_and_leaves_no_virsh_event_process(live):
    layer, _ = live
    [stream] = layer._streams.values()
    proc = stream._proc
    assert proc is not None and proc.poll() is None
    t0 = time.monotonic()
    layer.stop()
    assert time.monotonic() - t0 < 1.0
    assert proc.wait(timeout=2) is not None
    assert not stream.is_alive()


def test_libvirtd_stopped_is_reported_and_recovers_by_itself(live):
    layer, got = live
    got.mark()
    try:
        subprocess.run(["bash", str(SCRIPT), "stop-libvirtd"], check=True, timeout=60, capture_output=True)
        # the event stream breaks -> the poller is poked -> unreachable (no 30 s wait)
        _, down = got.wait_for(lambda o: isinstance(o, BackendState) and not o.ok, 5)
        assert down.layer == "libvirt" and down.name == "local"
        assert down.error.startswith("hypervisor local unreachable: ") and "\n" not in down.error
    finally:
        subprocess.run(["bash", str(SCRIPT), "start-libvirtd"], check=True, timeout=60, capture_output=True)
    got.mark()
    # while unreachable the poller retries every 2 s (not every `refresh` = 30 s)
    _, up = got.wait_for(lambda o: isinstance(o, BackendState) and o.ok, 10)
    assert up.name == "local"
    _, snap = got.wait_for(lambda o: isinstance(o, DomainsSnapshot), 5)
    assert {d.name for d in snap.domains} >= {"megam-vm1", "megam-vm2"}


def test_hung_libvirtd_times_out_alone_and_recovers():
    """SIGSTOP'd libvirtd: every call hits its deadline; summary and stop() stay bounded."""
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("libvirt")
    layer = LibvirtLayer(Settings(refresh=30, libvirt_hypervisors=(HypervisorSpec("local", uri=URI, timeout=2),)))
    got = Collector()
    layer.start(got)
    try:
        got.wait_for(lambda o: isinstance(o, DomainsSnapshot), 10)
        got.mark()
        subprocess.run(["bash", str(SCRIPT), "freeze-libvirtd"], check=True, timeout=30, capture_output=True)
        t0 = time.monotonic()
        s = layer.summary(2)
        assert time.monotonic() - t0 < 2 + 1.5
        assert s["ok"] is False and "no answer within 2s" in s["error"]
        layer.refresh()
        _, down = got.wait_for(lambda o: isinstance(o, BackendState) and not o.ok, 6)
        assert down.error == "hypervisor local unreachable: virsh: no answer within 2s"
        t0 = time.monotonic()
        layer.stop()  # a poll may be blocked in virsh right now: stop() must not wait for it
        assert time.monotonic() - t0 < 1.0
    finally:
        subprocess.run(["bash", str(SCRIPT), "thaw-libvirtd"], check=True, timeout=30, capture_output=True)
        layer.stop()
    layer2 = LibvirtLayer(Settings(libvirt_hypervisors=(HypervisorSpec("local", uri=URI, timeout=5),)))
    assert layer2.summary(5)["ok"] is True


def test_virsh_event_process_dies_with_a_killed_app(tmp_path):
    """SIGKILL (or a closed terminal) gives no chance to clean up: the child must still go."""
    import os
    import signal
    import sys

    import psutil

    code = (
        "import time\n"
        "from megam_tui.backends.vms import LibvirtLayer\n"
        "from megam_tui.settings import HypervisorSpec, Settings\n"
        f"layer = LibvirtLayer(Settings(refresh=30, libvirt_hypervisors=(HypervisorSpec('local', uri={URI!r}),)))\n"
        "layer.start(lambda obj: None)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=str(REPO))
    try:
        end = time.monotonic() + 15
        children: list = []
        while time.monotonic() < end and not children:
            children = [c for c in psutil.Process(proc.pid).children(recursive=True)
                        if "event" in " ".join(c.cmdline())]
            time.sleep(0.1)
        assert children, "no `virsh event` child started"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    gone, alive = psutil.wait_procs(children, timeout=5)
    for c in alive:
        c.kill()
    assert not alive, f"virsh event outlived the app: {[c.pid for c in alive]}"
