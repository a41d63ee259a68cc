"""virsh output parsers, fed with output recorded from the testbed (tests/fixtures/vms/)."""

from pathlib import Path

import pytest

from megam_tui.backends import vms_parse as vp

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "vms"


def fixture(name: str) -> str:
    return (FIX / name).read_text()


def test_parse_names_drops_trailing_blank_line():
    assert vp.parse_names(fixture("list_all_name.txt")) == ["megam-vm1", "megam-vm2"]


def test_parse_names_keeps_odd_names_verbatim():
    names = vp.parse_names(fixture("list_all_name_odd.txt"))
    assert "a;touch megam-pwned-fixture" in names
    assert "it's [bold]x" in names
    assert len(names) == 4


def test_parse_domstats_running_and_shut_off():
    stats = vp.parse_domstats(fixture("domstats_raw.txt"))
    assert set(stats) == {"megam-vm1", "megam-vm2"}
    vm1, vm2 = stats["megam-vm1"], stats["megam-vm2"]
    assert vp.state_name(vm1) == "running"
    assert vp.state_name(vm2) == "shut off"
    assert vp.stat_int(vm1, "cpu.time") == 1608710000
    assert vp.stat_int(vm1, "balloon.current") == 65536
    assert vp.stat_int(vm1, "vcpu.current") == 1
    assert vp.stat_int(vm1, "vcpu.0.time") == 1430000000


def test_parse_domstats_names_with_quotes_and_semicolons():
    stats = vp.parse_domstats(fixture("domstats_raw_odd.txt"))
    assert "it's [bold]x" in stats
    assert "a;touch megam-pwned-fixture" in stats
    assert vp.state_name(stats["it's [bold]x"]) == "shut off"


def test_state_name_unknown_and_missing():
    assert vp.state_name({}) == "unknown"
    assert vp.state_name({"state.state": "42"}) == "state 42"
    assert [vp.STATE_NAMES[i] for i in (1, 3, 5, 6)] == ["running", "paused", "shut off", "crashed"]


def test_stat_int_bad_values():
    assert vp.stat_int({"a": "x"}, "a") is None
    assert vp.stat_int({}, "a") is None


def test_parse_dominfo():
    info = vp.parse_dominfo(fixture("dominfo_running.txt"))
    assert info["State"] == "running"
    assert info["UUID"] == "06e73322-ffdd-4b11-a9aa-3c7ba7273542"
    assert vp.dominfo_vcpus(info) == 1
    assert vp.dominfo_memory_kib(info) == 65536
    off = vp.parse_dominfo(fixture("dominfo_shutoff.txt"))
    assert off["State"] == "shut off"
    assert vp.dominfo_vcpus({"CPU(s)": "n/a"}) is None
    assert vp.dominfo_memory_kib({}) is None


def test_parse_event_lines_recorded():
    events = [vp.parse_event(line) for line in fixture("event_loop_timestamp.txt").splitlines()]
    assert all(e is not None for e in events)
    assert [(e.kind, e.detail) for e in events] == [
        ("suspended", "Paused"),
        ("resumed", "Unpaused"),
        ("shutdown", "Finished after host request"),
        ("stopped", "Destroyed"),
        ("resumed", "Unpaused"),
        ("started", "Booted"),
    ]
    assert {e.domain for e in events} == {"megam-vm1"}
    assert events[0].timestamp == "2026-11-25 19:48:19.276+0000"


def test_parse_event_disconnect_lines_are_not_events():
    assert [vp.parse_event(line) for line in fixture("event_loop_disconnect.txt").splitlines()] == [None] * 4


@pytest.mark.parametrize(
    "line, domain, kind",
    [
        ("event 'lifecycle' for domain 'it's': Stopped Destroyed", "it's", "stopped"),
        ("event 'lifecycle' for domain 'a;b: c': Started Booted", "a;b: c", "started"),
        ("event 'reboot' for domain 'vm'", "vm", "reboot"),
        ("event 'lifecycle' for domain 'vm': Crashed Panicked", "vm", "crashed"),
    ],
)
def test_parse_event_variants(line, domain, kind):
    ev = vp.parse_event(line)
    assert ev is not None and ev.domain == domain and ev.kind == kind


def test_cpu_percent():
    # 0.5 s of CPU over 1 s of wall time on 2 vCPUs = 25 %
    assert vp.cpu_percent(0, 0, 500_000_000, 1_000_000_000, 2) == pytest.approx(25.0)
    assert vp.cpu_percent(0, 0, 2_000_000_000, 1_000_000_000, 1) == 100.0  # clamped
    assert vp.cpu_percent(0, 5, 1, 5, 1) is None  # no wall time passed
    assert vp.cpu_percent(10, 0, 5, 1_000, 1) is None  # counter went back (restart)
    assert vp.cpu_percent(0, 0, 5, 1_000, 0) is None


def test_proc_starttime_with_parens_in_comm():
    stat = "1234 (qemu (x) y) S 1 1234 1234 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 3 0 98765 1000 100"
    assert vp.proc_starttime_ticks(stat) == 98765
    assert vp.proc_starttime_ticks("garbage") is None
    assert vp.boot_time("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n") == 1700000000.0
    assert vp.boot_time("cpu 1\n") is None


def test_split_listing_recorded_single_invocation():
    names, stats = vp.split_listing(fixture("list_and_domstats.txt"))
    assert names == ["megam-vm1", "megam-vm2"]
    assert set(stats) == {"megam-vm1", "megam-vm2"}
    assert vp.state_name(stats["megam-vm2"]) == "shut off"


def test_split_listing_without_marker_is_an_error():
    with pytest.raises(ValueError, match="marker"):
        vp.split_listing(fixture("domstats_raw.txt"))


def test_listing_command_holds_no_shell_or_names():
    assert vp.LISTING_COMMAND.startswith("list --all --name; echo megam-split; domstats --raw")


def test_split_proc_recorded_remote_section():
    text = "megam-vm1\n\nmegam-split\n" + fixture("remote_proc_section.txt")
    head, proc = vp.split_proc(text)
    assert head == "megam-vm1\n\nmegam-split\n"
    assert proc is not None and proc.now_ns == 1795637285894261199
    vm1_stat = fixture("remote_proc_section.txt").splitlines()[5].split("\t")[1]
    start = 1795635687 + vp.proc_starttime_ticks(vm1_stat) / 100  # btime + starttime ticks / CLK_TCK
    assert proc.uptimes["megam-vm1"] == pytest.approx(1795637285.894261199 - start)
    assert 200 < proc.uptimes["megam-vm1"] < 250


def test_split_proc_absent_or_garbled():
    assert vp.split_proc("a\nb\n") == ("a\nb\n", None)
    head, proc = vp.split_proc("a\nmegam-proc\nnot-a-number\n")
    assert head == "a\n" and proc is None
    head, proc = vp.split_proc("a\nmegam-proc\n5000000000\nbtime 1\n100\nvm\tgarbage\nvm2\n")
    assert proc is not None and proc.uptimes == {}


def test_split_listing_marker_glued_to_domstats_as_virsh_prints_it_from_stdin():
    text = fixture("list_and_domstats.txt")
    glued = text.replace(vp.LISTING_MARK + "\n", vp.LISTING_MARK, 1)
    assert glued != text
    assert vp.split_listing(glued) == vp.split_listing(text)
    # a domain whose name starts like the marker is still a name
    named = vp.LISTING_MARK + "-vm\n" + glued
    names, stats = vp.split_listing(named)
    assert names == [vp.LISTING_MARK + "-vm", *vp.split_listing(text)[0]] and stats == vp.split_listing(text)[1]
