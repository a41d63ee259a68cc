"""The ssh transport: the ceph CLI run on a testbed SSH host through the real SshLayer.

The ssh testbed's hosts (node1.. on 127.0.0.x, root) live on this machine, so the
`ceph` CLI run on node1 with `--conf <testbed conf>` reaches the testbed cluster:
this drives the whole remote path (shlex quoting, timeout(1), sshd, paramiko).
"""

import time
from pathlib import Path

import pytest
import yaml

from megam_tui.backends.ceph import CephLayer
from megam_tui.backends.ceph_models import CephLogBacklog
from megam_tui.backends.ssh import SshLayer
from megam_tui.config import load_settings
from megam_tui.models import BackendState, CephStatus, Event
from tests.integration import conftest as testbed
from tests.integration import test_ceph_testbed as tb
from tests.integration.test_ceph_faults import Seen, codes, is_status, job


def make_layers(tmp_path: Path, refresh: str = "1s"):
    spec = tb.cluster_spec()
    frag = testbed.testbed_fragment("ssh")
    testbed.testbed_up("ssh")
    frag["ssh"]["include_local"] = False
    cfg = {
        "refresh": refresh,
        **frag,
        "ceph": {"clusters": [
            {"name": "lab", "host": "node1", "conf": spec.conf, "timeout": "5s"},
            {"name": "far", "host": "refused", "conf": spec.conf, "timeout": "3s"},
        ]},
    }
    path = tmp_path / "megam.yaml"
    path.write_text(yaml.safe_dump(cfg))
    path.chmod(0o600)
    settings, problems = load_settings(path, env={})
    assert problems == []
    ssh = SshLayer(settings)
    return CephLayer(settings, ssh=ssh), ssh, spec


@pytest.fixture
def layers(tmp_path):
    ceph, ssh, spec = make_layers(tmp_path)
    tb.restore(spec.conf)
    yield ceph, ssh, spec
    ceph.stop()
    ssh.stop()
    tb.restore(spec.conf)


def test_summary_over_ssh_ok_and_unreachable_host(layers):
    ceph, _, _ = layers
    assert ceph.transport("lab").name == "ssh"
    started = time.monotonic()
    s = ceph.summary(6)
    assert time.monotonic() - started < 6.5
    by = {c["name"]: c for c in s["clusters"]}
    assert by["lab"]["health"] == "HEALTH_OK" and by["lab"]["num_osds"] == 3
    assert by["far"]["health"] is None and by["far"]["error"].startswith("cluster unreachable: ")
    assert s["ok"] is False and s["health"] == "HEALTH_OK"


def test_watch_osd_down_and_noout_over_ssh(layers):
    ceph, _, _ = layers
    seen = Seen()
    ceph.start(seen)
    assert seen.wait_for(is_status(lambda s: s.cluster == "lab" and s.health == "HEALTH_OK"), 15)
    assert seen.wait_for(lambda o: isinstance(o, BackendState) and o.name == "far" and not o.ok, 10)
    assert seen.wait_for(lambda o: isinstance(o, CephLogBacklog) and o.cluster == "lab", 15)  # first round done
    killed = time.monotonic()
    tb.ceph_sh("kill-osd", "2")
    hit = seen.wait_for(
        is_status(lambda s: s.cluster == "lab" and "OSD_DOWN" in codes(s)
                  and any("osd.2" in d and "is down" in d for c in s.checks for d in c.detail)),
        5, since=killed)
    assert hit, "no OSD_DOWN with its detail line over ssh within 5 s"
    assert seen.wait_for(lambda o: isinstance(o, Event) and o.kind == "health" and o.source == "lab", 1, since=killed)
    tb.ceph_sh("start-osd", "2")
    assert seen.wait_for(is_status(lambda s: s.cluster == "lab" and "OSD_DOWN" not in codes(s)), 30, since=killed)
    t = time.monotonic()
    ceph.run_action("set_flag", "lab", {"flag": "noout"}, job())
    assert seen.wait_for(is_status(lambda s: s.cluster == "lab" and "OSDMAP_FLAGS" in codes(s)), 8, since=t)
    t = time.monotonic()
    ceph.run_action("unset_flag", "lab", {"flag": "noout"}, job())
    assert seen.wait_for(is_status(lambda s: s.cluster == "lab" and "OSDMAP_FLAGS" not in codes(s)), 8, since=t)
    assert all(o.cluster == "lab" for o in seen.of(CephStatus))
