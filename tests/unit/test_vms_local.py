"""vms_local: the /proc stat field reader, QemuProc over a fake /proc, DetailCache's due logic."""

import os

import pytest

from megam_tui.backends import vms_parse as vp
from megam_tui.backends.vms_local import FULL_EVERY, DetailCache, QemuProc, cgroup_mounts, domain_cpu_file

TCK = os.sysconf("SC_CLK_TCK")


def stat_line(pid, comm="qemu-system-x86", utime=0, stime=0, start=0):
    """A /proc/PID/stat line: fields 3..52 zero except utime (14), stime (15), starttime (22)."""
    fields = ["0"] * 50  # fields 3..52
    fields[0] = "S"
    fields[14 - 3], fields[15 - 3], fields[22 - 3] = str(utime), str(stime), str(start)
    return f"{pid} ({comm}) " + " ".join(fields) + "\n"


# ------------------------------------------------------------ the stat field reader
def test_stat_fields_split_after_the_last_paren_of_the_command_name():
    text = stat_line(77, comm="qemu (x) y) z", utime=12, stime=30, start=98765)
    fields = vp.proc_stat_fields(text)
    assert fields[0] == "S" and len(fields) == 50
    assert vp.proc_cpu_ticks(text) == 42
    assert vp.proc_starttime_ticks(text) == 98765


def test_stat_fields_of_garbage():
    assert vp.proc_stat_fields("no parenthesis here") is None
    assert vp.proc_cpu_ticks("garbage") is None and vp.proc_starttime_ticks("garbage") is None
    assert vp.proc_cpu_ticks("1 (x) S 1 2") is None  # too short
    assert vp.proc_cpu_ticks(stat_line(1, utime="x")) is None


# ------------------------------------------------------------ QemuProc over a fake /proc
@pytest.fixture
def fake(tmp_path):
    run, proc = tmp_path / "run", tmp_path / "proc"
    run.mkdir()
    proc.mkdir()
    (proc / "stat").write_text("cpu 1 2 3\nbtime 1700000000\n")

    def qemu(name, pid, **kw):
        (run / f"{name}.pid").write_text(f"{pid}\n")
        (proc / str(pid)).mkdir(exist_ok=True)
        (proc / str(pid) / "stat").write_text(stat_line(pid, **kw))

    return run, proc, qemu


def test_cpu_and_start_time_from_the_pid_files_process(fake):
    run, proc, qemu = fake
    qemu("vm 1", 4242, comm="qemu (kvm)", utime=150, stime=250, start=5 * TCK)
    qp = QemuProc("vm 1", run, proc)
    assert qp.cpu_ns() == 400 * 1_000_000_000 // TCK
    assert qp.start_time() == pytest.approx(1700000005.0)


def test_the_pid_is_kept_while_its_process_lives_and_read_again_when_it_is_another(fake):
    run, proc, qemu = fake
    qemu("vm", 100, utime=1, start=500)
    qp = QemuProc("vm", run, proc)
    assert qp.cpu_ns() == 1_000_000_000 // TCK
    (run / "vm.pid").write_text("not read while pid 100 is the same process\n")
    (proc / "100" / "stat").write_text(stat_line(100, utime=3, start=500))
    assert qp.cpu_ns() == 3 * 1_000_000_000 // TCK
    # the domain restarted: pid 100 is now another process (other start time), new pid file
    (proc / "100" / "stat").write_text(stat_line(100, comm="bash", utime=99, start=900))
    qemu("vm", 200, utime=7, start=800)
    assert qp.cpu_ns() == 7 * 1_000_000_000 // TCK
    assert qp.start_time() == pytest.approx(1700000000 + 800 / TCK)


def test_none_when_anything_is_missing(fake):
    run, proc, qemu = fake
    assert QemuProc("absent", run, proc).cpu_ns() is None  # no pid file (shut off)
    (run / "garbled.pid").write_text("abc\n")
    assert QemuProc("garbled", run, proc).cpu_ns() is None
    (run / "gone.pid").write_text("31337\n")  # stale pid file, no such process
    assert QemuProc("gone", run, proc).cpu_ns() is None
    assert QemuProc("gone", run, proc).start_time() is None
    qemu("vm", 300, utime=1, start=10)
    qp = QemuProc("vm", run, proc)
    assert qp.cpu_ns() is not None
    (proc / "300" / "stat").unlink()  # the process exited
    (run / "vm.pid").unlink()
    assert qp.cpu_ns() is None and qp.start_time() is None
    qemu("../vm", 301)  # a name leaving the run directory is never followed
    assert QemuProc("../vm", run, proc).cpu_ns() is None


def test_unreadable_pid_dir_gives_none(fake):
    run, proc, qemu = fake
    qemu("vm", 400, utime=1)
    assert QemuProc("vm", run / "nope", proc).cpu_ns() is None


# ------------------------------------------------------------ DetailCache
class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


FULL = {"a": {"state.state": "1", "vcpu.current": "2", "balloon.current": "4096", "cpu.time": "5"},
        "b": {"state.state": "5", "vcpu.current": "1", "balloon.current": "1024"}}
STATES = {"a": {"state.state": "1", "state.reason": "1"}, "b": {"state.state": "5", "state.reason": "0"}}


def stored(clock=None):
    cache = DetailCache(clock=clock or Clock())
    assert cache.due()  # nothing known yet
    cache.store(FULL, cache.token(), True)
    assert not cache.due()
    return cache


def test_merge_adds_the_cached_details_to_the_states():
    rows = stored().merge(["a", "b"], STATES)
    assert rows == {
        "a": {"state.state": "1", "state.reason": "1", "vcpu.current": "2", "balloon.current": "4096"},
        "b": {"state.state": "5", "state.reason": "0", "vcpu.current": "1", "balloon.current": "1024"},
    }
    assert "cpu.time" not in rows["a"]  # CPU time is never cached: /proc gives it each poll


def test_full_listing_every_30_seconds():
    clock = Clock()
    cache = stored(clock)
    clock.t += FULL_EVERY - 0.5
    assert not cache.due()
    clock.t += 0.5
    assert cache.due()
    cache.store(FULL, cache.token(), True)
    assert not cache.due()


def test_a_new_domain_or_a_changed_state_needs_a_full_listing():
    cache = stored()
    assert cache.merge(["a", "b", "c"], {**STATES, "c": {"state.state": "5"}}) is None  # new domain
    assert cache.merge(["a", "b"], {**STATES, "a": {"state.state": "3"}}) is None  # a paused
    assert cache.merge(["a", "b"], {"a": STATES["a"]}) is None  # b listed without stats
    assert cache.merge(["a"], STATES) is not None  # b undefined: nothing missing


def test_an_event_makes_the_next_poll_full_even_if_it_came_during_a_listing():
    cache = stored()
    cache.note_event("a")
    assert cache.due()
    token = cache.token()
    cache.store(FULL, token, True)
    assert not cache.due()
    token = cache.token()  # a full listing starts...
    cache.note_event("b")  # ...an event arrives before its answer
    cache.store(FULL, token, True)
    assert cache.due()  # that answer may predate the event
    cache.store(FULL, cache.token(), True)
    assert not cache.due()


def test_a_broken_event_stream_forgets_everything():
    cache = stored()
    cache.forget()
    assert cache.due()
    assert cache.merge(["a", "b"], STATES) is None


def test_a_running_domain_without_proc_keeps_every_poll_full():
    clock = Clock()
    cache = DetailCache(clock=clock)
    cache.store(FULL, cache.token(), False)
    assert cache.due()
    clock.t += 1
    assert cache.due()
    cache.store(FULL, cache.token(), True)
    assert not cache.due()



# ------------------------------------------------------------ the domain's cgroup CPU counter
MOUNTINFO = """25 1 0:23 / / rw - ext4 /dev/vda1 rw
31 25 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw
33 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""


def test_cgroup_mounts_and_the_domains_cpu_file():
    mounts = cgroup_mounts(MOUNTINFO)
    assert mounts == {"": "/sys/fs/cgroup/unified", "cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct"}
    hybrid = "4:memory:/machine/qemu-1-vm.libvirt-qemu\n2:cpu,cpuacct:/machine/qemu-1-vm.libvirt-qemu/emulator\n0::/machine/qemu-1-vm.libvirt-qemu/emulator\n"
    assert domain_cpu_file(hybrid, mounts) == ("/sys/fs/cgroup/unified/machine/qemu-1-vm.libvirt-qemu/cpu.stat", True)
    v1 = "2:cpu,cpuacct:/machine/qemu-1-vm.libvirt-qemu/emulator\n"
    assert domain_cpu_file(v1, mounts) == ("/sys/fs/cgroup/cpu,cpuacct/machine/qemu-1-vm.libvirt-qemu/cpuacct.usage", False)
    # not in a libvirt emulator cgroup (no cgroups for domains: libvirtd's own, or the root)
    assert domain_cpu_file("0::/system.slice/libvirtd.service\n2:cpuacct:/\n", mounts) is None
    assert domain_cpu_file(hybrid, {}) is None


def test_cpu_time_from_the_domains_cgroup_when_libvirt_made_one(fake, tmp_path):
    run, proc, qemu = fake
    qemu("vm", 4242, utime=1, stime=2, start=5)
    unified = tmp_path / "unified"
    dom = unified / "machine" / "qemu-1-vm.libvirt-qemu"
    dom.mkdir(parents=True)
    (dom / "cpu.stat").write_text("usage_usec 13676995\nuser_usec 1417229\nsystem_usec 12259765\n")
    (proc / "self").mkdir()
    (proc / "self" / "mountinfo").write_text(f"41 31 0:38 / {unified} rw - cgroup2 cgroup2 rw\n")
    (proc / "4242" / "cgroup").write_text("0::/machine/qemu-1-vm.libvirt-qemu/emulator\n")
    qp = QemuProc("vm", run, proc)
    assert qp.cpu_ns() == 13676995000  # the cgroup's usage, not qemu's 3 ticks
    (dom / "cpu.stat").write_text("usage_usec 13677000\n")
    assert qp.cpu_ns() == 13677000000  # read again each time
    (proc / "4242" / "stat").unlink()
    assert qp.cpu_ns() is None  # the process is gone: the counter is not trusted either
    # a qemu outside an emulator cgroup: its own utime + stime
    qemu("other", 4343, utime=1, stime=2, start=5)
    (proc / "4343" / "cgroup").write_text("0::/system.slice/libvirtd.service\n")
    assert QemuProc("other", run, proc).cpu_ns() == 3 * 1_000_000_000 // TCK
