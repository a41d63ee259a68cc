"""Stats math against recorded engine JSON and recorded cgroup v1 files (tests/fixtures/docker)."""

import json
from pathlib import Path

import pytest

from megam_tui.backends.docker_stats import (
    UNLIMITED,
    Sample,
    cgroup_dirs,
    cpu_pct_from_api,
    mem_used,
    parse_blkio_v1,
    parse_io_stat_v2,
    parse_net_dev,
    rates,
    read_cgroup,
    sample_from_api,
)

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "docker"
CHATTY = "ab341997d8b7590bf764ce3a3cd31df9c04e6c8075284b5c193c881a8c31a343"
PID = 13675


def _js(name):
    return json.loads((FIX / name).read_text())


def test_cpu_pct_from_stream_false_reply_matches_docker_formula():
    js = _js("stats_chatty_stream_false.json")
    # (892387360 - 887050157) / (1083330000000 - 1081360000000) * 2 cpus * 100
    assert cpu_pct_from_api(js) == pytest.approx(5337203 / 1970000000 * 2 * 100)


def test_memory_minus_inactive_file_and_limit():
    js = _js("stats_chatty_stream_false.json")
    s = sample_from_api(js, now=0)
    assert s.mem_bytes == 966656  # total_inactive_file is 0 here
    assert s.mem_limit == 25276063744
    assert mem_used(1000, {"total_inactive_file": 300, "inactive_file": 999}) == 700  # v1 key first
    assert mem_used(1000, {"inactive_file": 400}) == 600  # v2
    assert mem_used(1000, {"total_inactive_file": 5000}) == 1000  # never negative


def test_two_one_shot_samples_give_cpu_via_kept_previous():
    a, b = _js("stats_chatty_oneshot_1.json"), _js("stats_chatty_oneshot_2.json")
    sa, sb = sample_from_api(a, now=10.0), sample_from_api(b, now=11.0)
    st = rates("x", sb, sa)
    du = b["cpu_stats"]["cpu_usage"]["total_usage"] - a["cpu_stats"]["cpu_usage"]["total_usage"]
    ds = b["cpu_stats"]["system_cpu_usage"] - a["cpu_stats"]["system_cpu_usage"]
    assert du > 0 and ds > 0
    assert st.cpu_pct == pytest.approx(du / ds * b["cpu_stats"]["online_cpus"] * 100)
    assert rates("x", sa, None).cpu_pct is None  # first sample: no rate yet


def test_api_network_and_block_sums():
    js = {
        "networks": {"eth0": {"rx_bytes": 100, "tx_bytes": 10}, "eth1": {"rx_bytes": 5, "tx_bytes": 1}},
        "blkio_stats": {"io_service_bytes_recursive": [
            {"major": 8, "minor": 0, "op": "Read", "value": 4096},
            {"major": 8, "minor": 0, "op": "Write", "value": 8192},
            {"major": 8, "minor": 16, "op": "read", "value": 1},
            {"major": 8, "minor": 0, "op": "Total", "value": 12288},
        ]},
    }
    s = sample_from_api(js, now=0)
    assert (s.net_rx, s.net_tx, s.blk_read, s.blk_write) == (105, 11, 4097, 8192)


def test_rates_per_second_and_counter_reset():
    prev = Sample(time=100.0, cpu_ns=1_000_000_000, net_rx=1000, net_tx=0, blk_read=0, blk_write=0)
    cur = Sample(time=102.0, cpu_ns=1_500_000_000, net_rx=3000, net_tx=0, blk_read=4096, blk_write=0)
    st = rates("c", cur, prev)
    assert st.cpu_pct == pytest.approx(25.0)  # 0.5 s of CPU in 2 s = 25 % of one core
    assert st.net_rx_bps == 1000 and st.blk_read_bps == 2048
    reset = rates("c", Sample(time=104.0, cpu_ns=10, net_rx=5), cur)
    assert reset.cpu_pct is None and reset.net_rx_bps is None


def test_recorded_cgroup_v1_files():
    t0, t1 = FIX / "cgroup_v1" / "t0", FIX / "cgroup_v1" / "t1"
    d0 = cgroup_dirs(PID, t0, proc=t0 / "proc")
    assert d0["cpuacct"] == t0 / "cpuacct" / "docker" / CHATTY
    assert set(d0) == {"cpuacct", "memory", "blkio"}
    tm0, tm1 = float((t0 / "time").read_text()), float((t1 / "time").read_text())
    s0 = read_cgroup(d0, tm0, net_dev=t0 / "proc" / str(PID) / "net" / "dev", mem_total=25276063744)
    s1 = read_cgroup(cgroup_dirs(PID, t1, proc=t1 / "proc"), tm1, net_dev=t1 / "proc" / str(PID) / "net" / "dev", mem_total=25276063744)
    assert s0.cpu_ns == 988680165 and s1.cpu_ns == 999506429
    usage = int((t1 / "memory" / "docker" / CHATTY / "memory.usage_in_bytes").read_text())
    assert s1.mem_bytes == usage  # total_inactive_file 0 in this recording
    assert s1.mem_limit == 25276063744  # unlimited -> host memory
    assert (s1.net_rx, s1.net_tx, s1.blk_read, s1.blk_write) == (0, 0, 0, 0)  # only lo, no block IO
    st = rates(CHATTY, s1, s0)
    assert st.cpu_pct == pytest.approx((999506429 - 988680165) / ((tm1 - tm0) * 1e9) * 100)


def _write(d: Path, name: str, text: str):
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text)


def test_cgroup_v2_unified(tmp_path):
    root, proc = tmp_path / "cg", tmp_path / "proc"
    _write(proc / "42", "cgroup", "0::/system.slice/docker-abc.scope\n")
    d = root / "system.slice" / "docker-abc.scope"
    _write(d, "cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    _write(d, "memory.current", "10485760\n")
    _write(d, "memory.stat", "anon 1\nfile 2\ninactive_file 2097152\nactive_file 3\n")
    _write(d, "memory.max", "max\n")
    _write(d, "io.stat", "8:0 rbytes=4096 wbytes=1024 rios=1 wios=1 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=1 wios=1\n")
    dirs = cgroup_dirs(42, root, proc=proc)
    assert dirs == {"unified": d}
    s = read_cgroup(dirs, 1.0, mem_total=8 << 30)
    assert s.cpu_ns == 2_500_000_000
    assert s.mem_bytes == 10485760 - 2097152
    assert s.mem_limit == 8 << 30
    assert (s.blk_read, s.blk_write) == (4097, 1026)


def test_file_parsers():
    assert parse_blkio_v1("8:0 Read 10\n8:0 Write 20\n8:0 Sync 30\n8:16 Read 1\nTotal 61\n") == (11, 20)
    assert parse_blkio_v1(None) == (None, None)
    assert parse_io_stat_v2("") == (0, 0)
    dev = (
        "Inter-|   Receive |  Transmit\n face |bytes packets ...\n"
        "    lo:  500  5 0 0 0 0 0 0  500  5 0 0 0 0 0 0\n"
        "  eth0: 1200 10 0 0 0 0 0 0  300  3 0 0 0 0 0 0\n"
    )
    assert parse_net_dev(dev) == (1200, 300)
    assert UNLIMITED > 1 << 60


def test_stat_value_targeted_lookup():
    from megam_tui.backends.docker_stats import stat_value

    text = "cache 5\ninactive_file 7\ntotal_inactive_file 9\n"
    assert stat_value(text, "cache") == 5
    assert stat_value(text, "inactive_file") == 7  # not fooled by total_inactive_file
    assert stat_value(text, "total_inactive_file") == 9
    assert stat_value(text, "missing") is None and stat_value(None, "x") is None
    assert stat_value("usage_usec 12", "usage_usec") == 12


def test_kept_files_reread_the_same_descriptor_and_reopen_after_a_failed_read(tmp_path):
    from megam_tui.backends.docker_stats import KeptFiles

    f = tmp_path / "cpuacct.usage"
    f.write_text("100\n")
    kept = KeptFiles(limit=1)
    assert kept.read(f) == "100\n" and len(kept) == 1
    f.write_text("250\n")  # same inode, new content: pread at offset 0 sees it
    assert kept.read(f) == "250\n" and len(kept) == 1
    other = tmp_path / "memory.usage_in_bytes"
    other.write_text("7\n")
    assert kept.read(other) == "7\n" and len(kept) == 1  # over the limit: read the plain way
    assert kept.read(tmp_path / "missing") is None and len(kept) == 1
    kept.forget(f, None)
    assert len(kept) == 0
    assert kept.read(f) == "250\n" and len(kept) == 1
    kept.close()
    assert len(kept) == 0


def test_read_cgroup_reuses_a_given_inactive_figure_without_reading_memory_stat(tmp_path):
    from megam_tui.backends.docker_stats import CgroupFiles

    (tmp_path / "cpu.stat").write_text("usage_usec 5000\n")
    (tmp_path / "memory.current").write_text("1000000\n")
    (tmp_path / "memory.stat").write_text("inactive_file 400000\n")
    (tmp_path / "memory.max").write_text("max\n")
    files = CgroupFiles(True, str(tmp_path / "cpu.stat"), str(tmp_path / "memory.current"),
                        str(tmp_path / "memory.stat"), str(tmp_path / "memory.max"), None)
    reads: list[str] = []

    def read(path):
        reads.append(str(path).rsplit("/", 1)[-1])
        return open(path).read()

    full = read_cgroup(files, 1.0, mem_total=8 << 30, read=read)
    assert full.mem_inactive == 400000 and full.mem_bytes == 600000 and "memory.stat" in reads
    reads.clear()
    cheap = read_cgroup(files, 2.0, mem_total=8 << 30, read=read, inactive=100000, limit=full.mem_limit)
    assert "memory.stat" not in reads and cheap.mem_bytes == 900000 and cheap.cpu_ns == 5_000_000


def test_parent_cgroup_file_is_found_again_only_when_the_kept_containers_change(monkeypatch):
    import os.path

    from megam_tui.backends import docker_stats as ds

    t = ds.StatsThread.__new__(ds.StatsThread)  # no layer, no thread: only the lookup's state
    t._local, t._local_version, t._parent_path = {}, 0, {}
    t.kept = ds.KeptFiles()

    def loc(cid: str) -> ds._Local:
        d = f"/sys/fs/cgroup/system.slice/docker/{cid}"
        return ds._Local(1, ds.CgroupFiles(True, f"{d}/cpu.stat", "", "", "", None), "")

    calls = []
    real = os.path.dirname
    monkeypatch.setattr(ds.os.path, "dirname", lambda p: calls.append(p) or real(p))
    t._local[("e", "a")], t._local[("e", "b")] = loc("a"), loc("b")
    t._local_version += 1
    assert t._parent_file("e") == ("/sys/fs/cgroup/system.slice/docker/cpu.stat", True)
    first = len(calls)
    assert first > 0
    assert t._parent_file("e") == ("/sys/fs/cgroup/system.slice/docker/cpu.stat", True)
    assert len(calls) == first  # nothing changed: not looked up again
    t._drop_local(("e", "b"))
    t._local[("e", "c")] = ds._Local(1, ds.CgroupFiles(True, "/sys/fs/cgroup/other/c/cpu.stat", "", "", "", None), "")
    t._local_version += 1
    assert t._parent_file("e") is None  # two parents now: no common one
    assert len(calls) > first
