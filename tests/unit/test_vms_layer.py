"""LibvirtLayer logic without libvirtd: a stub `virsh` script stands in (fast, no timing asserts).

The real behaviour is proven by tests/integration/test_vms_*.py against the testbed.
"""

import pytest

from megam_tui.backends import vms
from megam_tui.backends.base import BackendError, ReadOnlyError, mutating_methods
from megam_tui.backends.vms import DomainsSnapshot, LibvirtLayer
from megam_tui.backends.vms_parse import LifecycleEvent
from megam_tui.models import BackendState, Event
from megam_tui.settings import HypervisorSpec, Settings

LISTING = """vm1
vm2

megam-split
Domain: 'vm1'
  state.state=1
  cpu.time=1000
  balloon.current=2048
  vcpu.current=2

Domain: 'vm2'
  state.state=5
  balloon.current=1024
  vcpu.current=1
"""


@pytest.fixture
def stub(tmp_path, monkeypatch):
    """A `virsh` that prints $STUB_OUT/listing for the listing and logs every call's argv."""
    log = tmp_path / "calls"
    out = tmp_path / "listing"
    out.write_text(LISTING)
    script = tmp_path / "virsh"
    script.write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do printf "%s|" "$a"; done >> {log}; echo >> {log}\n'
        'case "$3" in\n'
        f"  list*) cat {out} ;;\n"
        "  domstate) echo 'shut off' ;;\n"
        "  start) echo \"Domain '$5' started\" ;;\n"
        "  *) echo \"error: failed to get domain '$5'\" >&2; exit 1 ;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    monkeypatch.setattr(vms, "VIRSH", str(script))
    return log, out


def make(read_only=False):
    return LibvirtLayer(Settings(read_only=read_only, libvirt_hypervisors=(HypervisorSpec("hv", uri="test:///x"),)))


def test_listing_builds_domains(stub):
    doms = {d.name: d for d in make().list_domains("hv")}
    assert doms["vm1"].state == "running" and doms["vm1"].vcpus == 2 and doms["vm1"].memory_kib == 2048
    assert doms["vm2"].state == "shut off" and doms["vm2"].uptime_s is None and doms["vm2"].cpu_pct is None


def test_action_passes_the_name_as_one_argv_item_after_domain_flag(stub):
    log, _ = stub
    msg = make().run_action("toggle", "hv/--help; x", {}, None)  # state 'shut off' -> start
    assert msg == "Domain '--help; x' started"
    calls = [line.split("|")[:-1] for line in log.read_text().splitlines()]
    assert calls == [
        ["-c", "test:///x", "domstate", "--domain", "--help; x"],
        ["-c", "test:///x", "start", "--domain", "--help; x"],
    ]


def test_failed_action_is_a_one_line_error(stub):
    with pytest.raises(BackendError) as err:
        make().run_action("destroy", "hv/nope", {}, None)
    assert str(err.value) == "destroy nope: failed to get domain 'nope'"


def test_read_only_refuses_before_calling_virsh(stub):
    log, _ = stub
    with pytest.raises(ReadOnlyError):
        make(read_only=True).run_action("toggle", "hv/vm1", {}, None)
    assert not log.exists()
    layer = make(read_only=True)
    for m in mutating_methods(layer):
        with pytest.raises(ReadOnlyError):
            getattr(layer, m)(layer.hypervisor("hv"), "vm1")
    assert set(mutating_methods(layer)) == {
        "start_domain", "shutdown_domain", "reboot_domain", "destroy_domain", "suspend_domain", "resume_domain",
    }


def test_poll_emits_state_then_snapshot_and_events_patch_it(stub):
    layer = make()
    seen = []
    layer._emit = seen.append  # as start() would, without threads
    hv = layer.hypervisor("hv")
    assert layer._poll(hv) is True
    assert isinstance(seen[0], BackendState) and seen[0].ok
    assert isinstance(seen[1], DomainsSnapshot) and [d.state for d in seen[1].domains] == ["running", "shut off"]
    seen.clear()
    layer._on_event(hv, LifecycleEvent("vm1", "lifecycle", "stopped", "Destroyed"))
    [ev] = [o for o in seen if isinstance(o, Event)]
    [snap] = [o for o in seen if isinstance(o, DomainsSnapshot)]
    assert isinstance(ev, Event) and ev.kind == "stopped" and ev.object == "vm1" and ev.message == "vm1 stopped (destroyed)"
    assert isinstance(snap, DomainsSnapshot)
    vm1 = snap.domains[0]
    assert (vm1.state, vm1.cpu_pct, vm1.uptime_s) == ("shut off", None, None)
    seen.clear()
    layer._on_event(hv, LifecycleEvent("vm2", "lifecycle", "crashed", "Panicked"))
    [ev] = [o for o in seen if isinstance(o, Event)]
    [snap] = [o for o in seen if isinstance(o, DomainsSnapshot)]
    assert ev.severity == "error" and snap.domains[1].state == "crashed"
    seen.clear()
    layer._on_event(hv, LifecycleEvent("vm2", "lifecycle", "undefined", "Removed"))
    [snap] = [o for o in seen if isinstance(o, DomainsSnapshot)]
    assert [d.name for d in snap.domains] == ["vm1"]
    seen.clear()
    layer._on_event(hv, LifecycleEvent("unknown-vm", "lifecycle", "started", "Booted"))
    assert [type(o) for o in seen] == [Event]  # nothing to patch: the poll it pokes will show it


def test_unreachable_then_back_emits_state_changes_once(stub):
    _, out = stub
    layer = make()
    seen = []
    layer._emit = seen.append
    hv = layer.hypervisor("hv")
    out.write_text("garbage without marker\n")
    assert layer._poll(hv) is False
    assert layer._poll(hv) is False  # no second BackendState for the same condition
    states = [o for o in seen if isinstance(o, BackendState)]
    assert len(states) == 1 and not states[0].ok
    assert states[0].error == "hypervisor hv unreachable: unexpected virsh output (no listing marker)"
    out.write_text(LISTING)
    assert layer._poll(hv) is True
    states = [o for o in seen if isinstance(o, BackendState)]
    assert [s.ok for s in states] == [False, True]
    assert any(isinstance(o, Event) and o.message == "hypervisor hv reachable again" for o in seen)


def test_hypervisor_names_may_hold_a_slash(stub):
    layer = LibvirtLayer(Settings(libvirt_hypervisors=(HypervisorSpec("rack/a", uri="test:///x"),)))
    assert layer.run_action("start", "rack/a/vm1", {}, None) == "Domain 'vm1' started"


def test_bad_targets_and_actions(stub):
    layer = make()
    for target, msg in (("vm1", "expected hypervisor/domain"), ("other/vm1", "unknown hypervisor")):
        with pytest.raises(BackendError, match=msg):
            layer.run_action("start", target, {}, None)
    with pytest.raises(BackendError, match="unknown libvirt action"):
        layer.run_action("rm -rf", "hv/vm1", {}, None)


def test_libvirtd_down_output_is_unreachable_with_the_real_reason():
    from pathlib import Path

    from megam_tui.backends.base import CommandResult
    from megam_tui.backends.vms import is_unreachable, virsh_error

    text = (Path(__file__).resolve().parent.parent / "fixtures" / "vms" / "list_libvirtd_down.txt").read_text()
    res = CommandResult(("virsh",), 1, "", text, 0.0)
    assert is_unreachable(res)
    assert virsh_error(res) == "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"
    other = CommandResult(("virsh",), 1, "", "error: failed to get domain 'x'\n", 0.0)
    assert not is_unreachable(other) and virsh_error(other) == "failed to get domain 'x'"
