"""run_action against real libvirt domains (a scratch domain per test, undefined afterwards)."""

import contextlib
import os
import secrets
import subprocess
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from megam_tui.backends.base import BackendError, ReadOnlyError
from megam_tui.backends.vms import LibvirtLayer
from megam_tui.settings import HypervisorSpec, Settings
from tests.integration import conftest as testbed

URI = "qemu:///system"


class FakeJob:
    cancelled = False

    def __init__(self):
        self.lines = []

    def emit(self, line):
        self.lines.append(line)


def virsh(*args, check=True):
    return subprocess.run(["virsh", "-c", URI, *args], capture_output=True, text=True, timeout=30, check=check)


def state(name):
    return virsh("domstate", "--domain", name).stdout.strip().splitlines()[0]


def define_domain(name):
    kind = "kvm" if os.path.exists("/dev/kvm") else "qemu"
    xml = (
        f"<domain type='{kind}'><name>{escape(name)}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64'>hvm</type></os><features><acpi/></features><devices/></domain>"
    )
    subprocess.run(["virsh", "-c", URI, "define", "/dev/stdin"], input=xml, capture_output=True, text=True,
                   timeout=30, check=True)


def undefine_domain(name):
    virsh("destroy", "--domain", name, check=False)
    virsh("undefine", "--domain", name, check=False)


@contextlib.contextmanager
def running_domain(prefix):
    """A disk-less domain of our own, running; destroyed and undefined afterwards."""
    name = f"{prefix}-{secrets.token_hex(4)}"
    define_domain(name)
    try:
        virsh("start", "--domain", name)
        yield name
    finally:
        undefine_domain(name)


def wait_state(name, want, secs=10.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if state(name) == want:
            return True
        time.sleep(0.1)
    return state(name) == want


def make_layer(read_only=False):
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("libvirt")
    return LibvirtLayer(Settings(read_only=read_only, libvirt_hypervisors=(HypervisorSpec("local", uri=URI),)))


@pytest.fixture
def scratch():
    """A fresh disk-less domain `megam-test-<random>` (shut off); undefined after the test."""
    layer = make_layer()
    name = f"megam-test-{secrets.token_hex(4)}"
    define_domain(name)
    try:
        yield layer, name
    finally:
        undefine_domain(name)


def act(layer, action, name):
    job = FakeJob()
    out = layer.run_action(action, f"local/{name}", {}, job)
    return out, job


def test_start_suspend_resume_destroy_change_the_real_state(scratch):
    layer, name = scratch
    assert state(name) == "shut off"
    out, job = act(layer, "start", name)
    assert state(name) == "running"
    assert "started" in out and job.lines == [out]
    act(layer, "suspend", name)
    assert state(name) == "paused"
    act(layer, "resume", name)
    assert state(name) == "running"
    act(layer, "destroy", name)
    assert state(name) == "shut off"


def test_toggles_pick_the_right_verb(scratch):
    layer, name = scratch
    act(layer, "toggle", name)  # shut off -> start
    assert state(name) == "running"
    act(layer, "toggle_pause", name)
    assert state(name) == "paused"
    act(layer, "toggle_pause", name)
    assert state(name) == "running"
    out, _ = act(layer, "toggle", name)  # running -> shutdown (ACPI request)
    assert "shutdown" in out
    act(layer, "force_off", name)
    assert state(name) == "shut off"


def test_shutdown_and_reboot_are_sent_but_a_guest_without_os_ignores_acpi(scratch):
    """Documented limitation of the disk-less testbed domains: no guest OS answers the ACPI
    power button, so `shutdown` is accepted by libvirt and the domain keeps running."""
    layer, name = scratch
    act(layer, "start", name)
    out, _ = act(layer, "shutdown", name)
    assert out == f"Domain '{name}' is being shutdown"
    out, _ = act(layer, "reboot", name)
    assert out == f"Domain '{name}' is being rebooted"
    time.sleep(1.0)
    assert state(name) == "running"


def test_errors_are_one_line_backend_errors(scratch):
    layer, name = scratch
    with pytest.raises(BackendError) as err:
        act(layer, "resume", name)  # not running
    assert str(err.value).startswith(f"resume {name}: ") and "\n" not in str(err.value)
    with pytest.raises(BackendError, match="failed to get domain"):
        act(layer, "start", name + "-missing")
    with pytest.raises(BackendError, match="unknown libvirt action"):
        act(layer, "explode", name)
    with pytest.raises(BackendError, match="expected hypervisor/domain"):
        layer.run_action("start", name, {}, FakeJob())
    with pytest.raises(BackendError, match="unknown hypervisor"):
        layer.run_action("start", f"elsewhere/{name}", {}, FakeJob())


def test_read_only_refuses_and_leaves_the_domain_alone(scratch):
    _, name = scratch
    ro = make_layer(read_only=True)
    for action in LibvirtLayer.ACTIONS:
        with pytest.raises(ReadOnlyError):
            act(ro, action, name)
    assert state(name) == "shut off"


def test_hostile_domain_name_is_harmless(tmp_path, monkeypatch):
    """libvirt forbids "/" in names, so the payload touches a relative path: run from tmp_path."""
    layer = make_layer()
    token = secrets.token_hex(4)
    payload = f"megam-pwned-{token}"
    name = f"a;touch {payload};$(touch {payload}-2)`touch {payload}-3`"
    monkeypatch.chdir(tmp_path)
    define_domain(name)
    try:
        assert name in {d.name for d in layer.list_domains("local")}
        act(layer, "start", name)
        assert state(name) == "running"
        act(layer, "toggle_pause", name)
        act(layer, "toggle_pause", name)
        act(layer, "destroy", name)
        assert state(name) == "shut off"
    finally:
        undefine_domain(name)
    for where in (tmp_path, Path("/tmp"), Path.home(), Path("/")):
        assert not list(where.glob(f"{payload}*")), f"payload ran in {where}"
