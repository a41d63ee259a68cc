"""The /proc metrics parser, on output recorded from a Debian 12 host and a minimal (busybox-like) one."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from megam_tui.backends.ssh_metrics import METRICS_COMMAND, METRICS_FUNCTIONS, RawSample, compute_metrics, metrics_call, parse_sample

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "ssh"


def load(name: str) -> RawSample:
    return parse_sample((FIX / name).read_text())


def test_recorded_debian_sample_parses():
    s = load("debian12_t0.txt")
    assert s.uptime_s == 781.01
    assert s.load == (4.32, 2.38, 1.02)
    assert s.cpu_total == 30387 + 61 + 18130 + 105615 + 600 + 0 + 277 + 81  # guest columns left out
    assert s.cpu_idle == 105615 + 600
    assert s.mem_total == 24683656 * 1024 and s.mem_available == 14884060 * 1024
    assert s.net_rx == 345903055 and s.net_tx == 364995  # lo left out
    assert ("/dev/vda", "/", 23.0) in s.disks


def test_recorded_debian_pair_gives_cpu_percent_and_rates():
    m = compute_metrics(load("debian12_t1.txt"), load("debian12_t0.txt"))
    assert m.cpu_pct == pytest.approx(100.0 * (505 - 121) / 505)
    assert m.net_rx_bps == 0.0 and m.net_tx_bps == 0.0
    assert m.mem_used == (24683656 - 14976800) * 1024
    assert m.disk_root_pct == 23.0
    assert m.disk_fullest_mount == "/"  # tmpfs /dev/shm, /sys/fs/cgroup are not disks


def test_first_sample_has_no_deltas():
    m = compute_metrics(load("minimal_t0.txt"))
    assert m.cpu_pct is None and m.net_rx_bps is None and m.net_tx_bps is None
    assert m.uptime_s == 100.0 and (m.load1, m.load5, m.load15) == (0.5, 0.25, 0.1)


def test_minimal_pair_without_memavailable_and_with_mount_spaces():
    m = compute_metrics(load("minimal_t1.txt"), load("minimal_t0.txt"))
    assert m.cpu_pct == pytest.approx(40.0)
    assert m.mem_total == 1_000_000 * 1024
    assert m.mem_used == (1_000_000 - 500_000) * 1024  # MemFree + Buffers + Cached
    assert m.net_rx_bps == pytest.approx(100_000.0)  # 400 kB over 4 s of remote uptime
    assert m.net_tx_bps == pytest.approx(25_000.0)
    assert m.disk_root_pct == 41.0
    assert (m.disk_fullest_mount, m.disk_fullest_pct) == ("/srv/my data", 90.0)


def test_loop_devices_and_tmpfs_are_never_the_fullest_mount():
    m = compute_metrics(load("minimal_t0.txt"))
    assert (m.disk_fullest_mount, m.disk_fullest_pct) == ("/srv/my data", 90.0)


def test_counter_reset_gives_no_rate_instead_of_a_negative_one():
    m = compute_metrics(load("minimal_t0.txt"), load("minimal_t1.txt"))  # time runs backwards
    assert m.net_rx_bps is None and m.cpu_pct is None


def test_empty_and_garbled_output_gives_empty_metrics():
    assert parse_sample("") == RawSample()
    s = parse_sample("@uptime\nabc\n@loadavg\n1 2\n@stat\ncpu x y\n@meminfo\nMemTotal: lots kB\n@df\nnonsense\n")
    assert s == RawSample()
    m = compute_metrics(s)
    assert m.uptime_s is None and m.mem_used is None and m.disk_fullest_mount is None


def test_command_is_one_posix_shell_line_reading_proc():
    assert "\n" not in METRICS_COMMAND
    for f in ("/proc/$megam_f", "uptime loadavg", "/proc/stat", "/proc/meminfo", "/proc/net/dev"):
        assert f in METRICS_COMMAND


def test_probe_function_reads_this_machines_proc_in_one_write(tmp_path):
    """Run by a real POSIX sh (dash here): every section parses, and the answer and
    its marker leave the shell in one write (one SSH packet on a host)."""
    import shutil
    import subprocess

    line = f"{METRICS_FUNCTIONS}; {metrics_call(False, '@done-x')}"
    out = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=10).stdout
    assert out.endswith("@end\n@done-x\n")
    s = parse_sample(out)
    assert s.uptime_s and s.load and s.cpu_total and s.mem_total and s.mem_available is not None
    assert s.net_rx is not None and s.disks == ()
    if shutil.which("strace"):
        trace = tmp_path / "trace"
        subprocess.run(["strace", "-f", "-e", "trace=write", "-o", str(trace), "sh", "-c", line], capture_output=True, timeout=10)
        assert sum(1 for t in trace.read_text().splitlines() if "write(1," in t) == 1
    with_df = parse_sample(subprocess.run(["sh", "-c", METRICS_COMMAND], capture_output=True, text=True, timeout=10).stdout)
    assert with_df.disks  # df ran


def test_call_without_the_functions_still_prints_its_marker():
    import subprocess

    out = subprocess.run(["sh", "-c", metrics_call(True, "@done-y")], capture_output=True, text=True, timeout=10).stdout
    assert out == "@done-y\n" and parse_sample(out) == RawSample()


@given(st.text())
def test_parser_never_raises(text):
    compute_metrics(parse_sample(text), parse_sample(text[::-1]))


def test_disks_are_due_when_never_read_or_the_interval_passed():
    from megam_tui.backends.ssh_metrics import DF_INTERVAL, disks_due

    assert DF_INTERVAL == 30.0
    assert disks_due(None, 0.0, 30.0)  # never measured
    assert disks_due(None, 1e9, 30.0)
    assert not disks_due(100.0, 100.0, 30.0)  # just measured
    assert not disks_due(100.0, 129.4, 30.0)  # more than half a second early
    assert disks_due(100.0, 129.5, 30.0)  # half a second early still counts
    assert disks_due(100.0, 130.0, 30.0)
    assert disks_due(100.0, 500.0, 30.0)
    # a 2 s refresh that lands a hair before the 30 s mark is not pushed to 32 s
    assert disks_due(0.0, 15 * 2.0 - 0.01, 30.0)
    assert disks_due(100.0, 100.0, 0.0)  # interval 0: every probe


def test_resident_shell_is_bash_where_there_is_one_else_sh(tmp_path):
    import shutil
    import subprocess

    from megam_tui.backends.ssh_metrics import METRICS_FUNCTIONS, metrics_call
    from megam_tui.backends.ssh_shell import SHELL_COMMAND

    script = f'{METRICS_FUNCTIONS}\necho "shell=${{BASH_VERSION:-sh}}"\n{metrics_call(False, "END")}\n'
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "bash").symlink_to(shutil.which("bash"))
    for path, is_bash in ((str(bindir), True), (str(tmp_path / "empty"), False)):
        # the login shell runs SHELL_COMMAND; the probe function then answers on stdin
        out = subprocess.run(["/bin/sh", "-c", SHELL_COMMAND], input=script, capture_output=True, text=True,
                             env={"PATH": path}, timeout=10).stdout
        assert ("shell=sh" not in out) is is_bash, out
        sample = parse_sample(out)
        assert sample.load is not None and sample.net_rx is not None and out.rstrip().endswith("END")
