"""Ceph JSON parsers against JSON recorded from the testbed (tests/fixtures/ceph/)."""

import json
from pathlib import Path

import pytest

from megam_tui.backends import ceph_parse as cp
from megam_tui.backends.base import BackendError
from megam_tui.models import CephStatus, HealthCheck

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "ceph"


def load(name):
    return json.loads((FIX / name).read_text())


def test_status_ok_idle_has_no_io_keys_and_parses_to_zero_rates():
    raw = load("status_ok.json")
    assert "read_bytes_sec" not in raw["pgmap"]  # Pacific omits them when idle
    st = cp.parse_status("lab", raw, now=5.0)
    assert st.health == "HEALTH_OK"
    assert st.checks == ()
    assert (st.num_osds, st.num_up_osds, st.num_in_osds) == (3, 3, 3)
    assert st.quorum == ("mon0",) and st.num_mons == 1
    assert st.mgr_available is True and st.mgr_standbys == 0
    assert st.pgs_by_state == (("active+clean", 9),)
    assert st.num_pgs == 9 and st.num_pools == 2 and st.num_objects == 4
    assert st.bytes_total == 805306368 and st.bytes_used + st.bytes_avail == st.bytes_total
    assert (st.read_bps, st.write_bps, st.read_ops, st.write_ops) == (0.0, 0.0, 0.0, 0.0)
    assert st.time == 5.0


def test_status_warn_with_several_checks_and_write_io():
    st = cp.parse_status("lab", load("status_warn_io.json"))
    assert st.health == "HEALTH_WARN"
    assert [c.code for c in st.checks] == ["OSDMAP_FLAGS", "OSD_DOWN", "PG_DEGRADED"]
    by = {c.code: c for c in st.checks}
    assert by["OSD_DOWN"] == HealthCheck("OSD_DOWN", "HEALTH_WARN", "1 osds down", 1, False)
    assert by["OSDMAP_FLAGS"].muted is True
    assert by["PG_DEGRADED"].count == 8
    assert st.num_up_osds == 2 and st.num_osds == 3
    assert st.write_bps == 6708997 and st.write_ops == 1637
    assert st.read_bps == 0.0 and st.read_ops == 0.0
    assert dict(st.pgs_by_state) == {"active+undersized+degraded": 8, "active+undersized": 1}
    assert st.pgs_by_state[0] == ("active+undersized+degraded", 8)  # largest first


def test_status_err_sorts_error_checks_first_and_reads_read_io():
    st = cp.parse_status("lab", load("status_err.json"))
    assert st.health == "HEALTH_ERR"
    assert [c.severity for c in st.checks][:2] == ["HEALTH_ERR", "HEALTH_ERR"]
    assert {c.code for c in st.checks[:2]} == {"OSD_FULL", "PG_DAMAGED"}
    assert st.read_bps == 1048576 and st.read_ops == 12 and st.write_bps == 0.0
    assert st.severity_rank == 2


def test_health_detail_lines_merge_into_status_checks():
    st = cp.parse_status("lab", load("status_warn_io.json"))
    status, checks = cp.parse_health_detail(load("health_detail_warn.json"))
    assert status == "HEALTH_WARN"
    merged = cp.merge_detail(st, checks)
    by = {c.code: c for c in merged.checks}
    assert by["OSD_DOWN"].detail == ("osd.1 (root=default,host=vm) is down",)
    assert len(by["PG_DEGRADED"].detail) == 8
    assert by["OSDMAP_FLAGS"].detail == ()
    assert by["OSDMAP_FLAGS"].muted  # muted comes from status, kept


def test_health_detail_err_and_ok():
    status, checks = cp.parse_health_detail(load("health_detail_err.json"))
    assert status == "HEALTH_ERR"
    assert checks[0].severity == "HEALTH_ERR"
    assert {c.code: c.detail for c in checks}["OSD_FULL"] == ("osd.2 is full",)
    assert cp.parse_health_detail(load("health_detail_ok.json")) == ("HEALTH_OK", ())


def test_detail_lines_are_capped():
    data = {"status": "HEALTH_WARN", "checks": {"PG_X": {"severity": "HEALTH_WARN", "summary": {"message": "m", "count": 500},
                                                         "detail": [{"message": f"pg {i}"} for i in range(500)]}}}
    (check,) = cp.parse_health_detail(data)[1]
    assert len(check.detail) == cp.MAX_DETAIL_LINES + 1
    assert check.detail[-1] == f"... and {500 - cp.MAX_DETAIL_LINES} more"


def test_osd_tree_ok_and_down():
    tree = cp.parse_osd_tree("lab", load("osd_tree_ok.json"))
    (root,) = tree.roots()
    assert root.type == "root" and root.name == "default"
    host = tree.node(root.children[0])
    assert host.type == "host"
    osds = [tree.node(i) for i in host.children]
    assert sorted(o.name for o in osds) == ["osd.0", "osd.1", "osd.2"]
    assert all(o.status == "up" and o.reweight == 1.0 and o.crush_weight == 1.0 for o in osds)
    down = cp.parse_osd_tree("lab", load("osd_tree_down.json"))
    assert {n.name: n.status for n in down.nodes if n.type == "osd"} == {"osd.0": "up", "osd.1": "down", "osd.2": "up"}


def test_osd_tree_stray_osds_become_roots():
    data = {"nodes": [{"id": -1, "name": "default", "type": "root", "children": []}],
            "stray": [{"id": 7, "name": "osd.7", "type": "osd", "status": "down", "reweight": 0}]}
    tree = cp.parse_osd_tree("lab", data)
    assert {n.name for n in tree.roots()} == {"default", "osd.7"}
    assert tree.node(7).reweight == 0.0


def test_df_pools_and_totals():
    pools = cp.parse_df("lab", load("df.json"))
    assert pools.total_bytes == 805306368
    assert pools.avail_bytes == 792340023
    assert 0 < pools.used_ratio < 0.05
    by = {p.name: p for p in pools.pools}
    assert set(by) == {"device_health_metrics", "lab"}
    assert by["lab"].stored == 4194304 and by["lab"].objects == 4
    assert by["lab"].max_avail > 0 and by["lab"].id == 2


def test_log_entries_severity_kind_and_order():
    entries = cp.parse_log("lab", load("log_last_warn.json"))
    events = [ev for _, ev in entries]
    assert [e.time for e in events] == sorted(e.time for e in events)
    by_msg = {e.message: e for e in events}
    failed = by_msg["Health check failed: 1 osds down (OSD_DOWN)"]
    assert failed.severity == "warn" and failed.kind == "log:OSD_DOWN" and failed.source == "lab"
    assert failed.object == "mon.mon0"
    healthy = by_msg["Cluster is now healthy"]
    assert healthy.severity == "info" and healthy.kind == "log"
    keys = [k for k, _ in entries]
    assert len(set(keys)) == len(keys)
    assert abs(failed.time - cp.parse_stamp("2026-11-25T19:51:25.138066+0000")) < 1e-6


def test_log_priorities():
    data = [{"name": "mon.a", "stamp": "2026-01-01T00:00:00.000000+0000", "seq": i, "priority": p, "message": p}
            for i, p in enumerate(["[DBG]", "[INF]", "[WRN]", "[ERR]", "[SEC]"])]
    assert [ev.severity for _, ev in cp.parse_log("c", data)] == ["debug", "info", "warn", "error", "error"]


def test_stamp_parsing():
    assert cp.parse_stamp("1970-01-01T00:00:10.500000+0000") == 10.5
    assert cp.parse_stamp("1970-01-01T01:00:00+0100") == 0.0


@pytest.mark.parametrize("bad", [[], "x", 3, None])
def test_wrong_shapes_raise_backend_error(bad):
    for fn in (cp.parse_status, cp.parse_osd_tree, cp.parse_df):
        with pytest.raises(BackendError):
            fn("lab", bad)
    with pytest.raises(BackendError):
        cp.parse_health_detail(bad)


def test_log_wrong_shape():
    with pytest.raises(BackendError):
        cp.parse_log("lab", {"not": "a list"})


def test_load_json_errors_are_one_line():
    with pytest.raises(BackendError) as ei:
        cp.load_json(b"Error EINVAL: oops\n", "ceph status")
    assert "\n" not in str(ei.value) and "ceph status" in str(ei.value)


def test_worst_health():
    assert cp.worst_health(["HEALTH_OK", "HEALTH_WARN", None]) == "HEALTH_WARN"
    assert cp.worst_health(["HEALTH_ERR", "HEALTH_WARN"]) == "HEALTH_ERR"
    assert cp.worst_health([None]) is None


def _st(health, *checks):
    return CephStatus("lab", health, checks=tuple(checks), time=1.0)


def test_health_events_on_change_raise_and_clear():
    down = HealthCheck("OSD_DOWN", "HEALTH_WARN", "1 osds down", 1)
    flags = HealthCheck("OSDMAP_FLAGS", "HEALTH_WARN", "noout flag(s) set", 1, muted=True)
    assert cp.health_events(None, _st("HEALTH_OK")) == []
    first = cp.health_events(None, _st("HEALTH_WARN", down))
    assert [(e.kind, e.severity) for e in first] == [("health", "warn")]
    evs = cp.health_events(_st("HEALTH_OK"), _st("HEALTH_WARN", down, flags))
    assert [(e.kind, e.severity) for e in evs] == [("health", "warn"), ("OSD_DOWN", "warn"), ("OSDMAP_FLAGS", "info")]
    assert "HEALTH_WARN (was HEALTH_OK)" in evs[0].message and "1 osds down" in evs[0].message
    assert evs[1].object == "OSD_DOWN" and evs[1].source == "lab"
    same = cp.health_events(_st("HEALTH_WARN", down), _st("HEALTH_WARN", down))
    assert same == []
    back = cp.health_events(_st("HEALTH_WARN", down), _st("HEALTH_OK"))
    assert [(e.kind, e.severity) for e in back] == [("health", "info"), ("OSD_DOWN", "info")]
    assert "cleared" in back[1].message
