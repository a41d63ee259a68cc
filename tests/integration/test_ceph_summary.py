"""CephLayer's first real calls against the testbed cluster (scripts/testbed/ceph.sh)."""

import time

import pytest

from tests.integration import test_ceph_testbed as tb


@pytest.fixture(scope="module")
def healthy_cluster():
    spec = tb.cluster_spec()
    assert tb.wait_until(lambda: tb.healthy(spec.conf), 90), f"testbed not HEALTH_OK: {tb.cli_status(spec.conf)}"
    return spec


@pytest.mark.parametrize("transport", ["rados", "cli"])
def test_summary_reports_health_ok_and_all_osds(healthy_cluster, transport):
    layer = tb.make_layer(transport)
    try:
        started = time.monotonic()
        s = layer.summary(5)
        elapsed = time.monotonic() - started
    finally:
        layer.stop()
    assert s["ok"] is True and s["error"] is None, s
    assert s["health"] == "HEALTH_OK"
    (c,) = s["clusters"]
    assert c["name"] == healthy_cluster.name
    assert c["health"] == "HEALTH_OK" and c["checks"] == []
    assert (c["osds_up"], c["osds_in"], c["num_osds"]) == (3, 3, 3)
    assert elapsed < 5


def test_rados_is_what_auto_picks_here_and_reads_the_same_as_the_cli(healthy_cluster):
    auto = tb.make_layer("auto")
    try:
        assert auto.transport(healthy_cluster.name).name == "rados"
        st = auto.status(healthy_cluster.name)
        tree = auto.osd_tree(healthy_cluster.name)
        pools = auto.pools(healthy_cluster.name)
    finally:
        auto.stop()
    cli = tb.cli_status(healthy_cluster.conf)
    assert st.fsid == cli["fsid"]
    assert st.quorum == tuple(cli["quorum_names"])
    assert st.num_pgs == cli["pgmap"]["num_pgs"]
    assert sorted(n.name for n in tree.nodes if n.type == "osd") == ["osd.0", "osd.1", "osd.2"]
    assert all(n.status == "up" for n in tree.nodes if n.type == "osd")
    assert "lab" in {p.name for p in pools.pools}
    assert pools.total_bytes > 0


def test_summary_of_a_cluster_with_a_bad_conf_fails_fast_with_a_clear_message(tmp_path):
    missing = str(tmp_path / "nope.conf")
    for transport in ("rados", "cli"):
        layer = tb.make_layer(transport, conf=missing)
        try:
            started = time.monotonic()
            s = layer.summary(5)
        finally:
            layer.stop()
        assert time.monotonic() - started < 5
        assert s["ok"] is False and s["health"] is None
        assert s["clusters"][0]["error"].startswith("cluster unreachable: ")
        assert "\n" not in s["error"]
