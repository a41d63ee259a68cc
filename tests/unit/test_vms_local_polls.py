"""LibvirtLayer on a local qemu:///system hypervisor: which listing each poll sends.

A stub `virsh` logs the command it got and prints a recorded full or state-only
listing; the qemu pid files and /proc are fake directories (layer.qemu_run_dir,
layer.proc_dir). The real behaviour: tests/integration/test_vms_cheap_polls.py.
"""

import os

import pytest

from megam_tui.backends import vms
from megam_tui.backends import vms_parse as vp
from megam_tui.backends.vms import LibvirtLayer
from megam_tui.backends.vms_parse import LifecycleEvent
from megam_tui.settings import HypervisorSpec, Settings
from tests.unit.test_vms_local import stat_line

TCK = os.sysconf("SC_CLK_TCK")
FULL = """vm1
vm2

megam-split
Domain: 'vm1'
  state.state={s1}
  cpu.time=999999999999
  balloon.current=2048
  vcpu.current=2

Domain: 'vm2'
  state.state=5
  balloon.current=1024
  vcpu.current=1
"""
STATE = """vm1
vm2

megam-split
Domain: 'vm1'
  state.state={s1}
  state.reason=1

Domain: 'vm2'
  state.state=5
  state.reason=0
"""


class Bed:
    def __init__(self, tmp_path, monkeypatch, uri="qemu:///system"):
        self.dir = tmp_path
        self.log = tmp_path / "calls"
        self.run, self.proc = tmp_path / "run", tmp_path / "proc"
        self.run.mkdir()
        self.proc.mkdir()
        (self.proc / "stat").write_text("btime 1700000000\n")
        self.set_state(1)
        script = tmp_path / "virsh"
        script.write_text(
            "#!/bin/sh\n"
            '[ "$1" = -q ] && exit 0\n'  # no resident shell: every listing is a one-shot virsh
            f'printf "%s\\n" "$3" >> {self.log}\n'
            'case "$3" in\n'
            f"  *--cpu-total*) cat {tmp_path}/full ;;\n"
            f"  *) cat {tmp_path}/state ;;\n"
            "esac\n"
        )
        script.chmod(0o755)
        monkeypatch.setattr(vms, "VIRSH", str(script))
        self.layer = LibvirtLayer(Settings(libvirt_hypervisors=(HypervisorSpec("hv", uri=uri),)))
        self.layer.qemu_run_dir, self.layer.proc_dir = self.run, self.proc
        self.hv = self.layer.hypervisor("hv")

    def set_state(self, code):
        (self.dir / "full").write_text(FULL.format(s1=code))
        (self.dir / "state").write_text(STATE.format(s1=code))

    def qemu(self, ticks, pid=4242):
        (self.run / "vm1.pid").write_text(f"{pid}\n")
        (self.proc / str(pid)).mkdir(exist_ok=True)
        (self.proc / str(pid) / "stat").write_text(stat_line(pid, utime=ticks, stime=0, start=3 * TCK))

    def poll(self):
        """-> (commands sent, vm1)"""
        self.log.write_text("")
        doms = {d.name: d for d in self.layer.list_domains("hv")}
        sent = ["full" if c == vp.LISTING_COMMAND else "state" if c == vp.STATE_COMMAND else c
                for c in self.log.read_text().splitlines()]
        return sent, doms["vm1"]


@pytest.fixture
def bed(tmp_path, monkeypatch):
    return Bed(tmp_path, monkeypatch)


def test_full_first_then_state_only_with_cached_details_and_proc_cpu(bed):
    bed.qemu(ticks=100)
    sent, vm1 = bed.poll()
    assert sent == ["full"] and (vm1.vcpus, vm1.memory_kib, vm1.cpu_pct) == (2, 2048, None)
    assert vm1.uptime_s is not None
    bed.qemu(ticks=100 + TCK // 2)  # half a second of CPU
    sent, vm1 = bed.poll()
    assert sent == ["state"]
    assert (vm1.state, vm1.vcpus, vm1.memory_kib) == ("running", 2, 2048)
    assert vm1.cpu_pct is not None and vm1.cpu_pct > 0  # /proc's figure, not the listing's
    assert bed.layer._prev_cpu[("hv", "vm1")][0] == (100 + TCK // 2) * 1_000_000_000 // TCK


def test_a_state_change_is_followed_by_a_full_listing_in_the_same_poll(bed):
    bed.qemu(ticks=100)
    bed.poll()
    bed.set_state(3)  # paused outside the app
    sent, vm1 = bed.poll()
    assert sent == ["state", "full"] and vm1.state == "paused"
    assert bed.poll()[0] == ["state"]


def test_events_and_a_broken_stream_make_the_next_poll_full(bed):
    bed.qemu(ticks=100)
    bed.poll()
    assert "hv" in bed.layer._details  # the cache exists once the hypervisor was listed
    bed.layer._on_event(bed.hv, LifecycleEvent("vm1", "reboot", "reboot", ""))
    assert bed.poll()[0] == ["full"]
    assert bed.poll()[0] == ["state"]
    bed.layer._on_stream_error(bed.hv, RuntimeError("virsh event exited"))
    assert bed.poll()[0] == ["full"]
    assert bed.poll()[0] == ["state"]


def test_full_listing_again_after_30_seconds(bed, monkeypatch):
    bed.qemu(ticks=100)
    bed.poll()
    cache = bed.layer._details["hv"]
    now = cache.clock()
    monkeypatch.setattr(cache, "clock", lambda: now + 30.0)
    assert bed.poll()[0] == ["full"]
    assert bed.poll()[0] == ["state"]


def test_without_a_readable_pid_file_every_poll_is_full_with_libvirts_cpu_time(bed):
    # no pid file for the running vm1 (e.g. not root): exactly the old behaviour
    for _ in range(3):
        sent, _ = bed.poll()
        assert sent == ["full"]
    assert bed.layer._prev_cpu[("hv", "vm1")][0] == 999999999999
    bed.qemu(ticks=100)  # readable again: cheap polls resume after the next full one
    assert bed.poll()[0] == ["full"]
    assert bed.poll()[0] == ["state"]
    (bed.proc / "4242" / "stat").unlink()  # its /proc went away under a state-only poll
    assert bed.poll()[0] == ["state", "full"]


def test_other_hypervisors_send_the_full_listing_every_poll(tmp_path, monkeypatch):
    bed = Bed(tmp_path, monkeypatch, uri="qemu:///session")
    bed.qemu(ticks=100)
    for _ in range(3):
        assert bed.poll()[0] == ["full"]
    assert bed.layer._prev_cpu[("hv", "vm1")][0] == 999999999999
