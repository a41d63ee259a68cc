"""Foundation acceptance: `megam-tui status --json` against the real testbed."""

import json
import subprocess
import sys
import time

import yaml

from tests.integration.conftest import testbed_up


def test_status_json_against_testbed(testbed_config_path):
    for layer in ("docker", "ceph", "libvirt", "ssh"):
        testbed_up(layer)
    cfg = yaml.safe_load(testbed_config_path.read_text())
    ssh_timeout = float(str(cfg["ssh"].get("timeout", "5s")).rstrip("s"))
    t0 = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "megam_tui", "status", "--json", "--config", str(testbed_config_path)],
        capture_output=True, text=True, timeout=120,
    )
    elapsed = time.monotonic() - t0
    assert "Traceback" not in res.stderr, res.stderr
    data = json.loads(res.stdout)

    docker = data["docker"]
    assert docker["ok"] is True, docker
    states = {c["name"]: c["state"] for c in docker["containers"]}
    assert states.get("web") == "running" and states.get("chatty") == "running"
    assert states.get("done") == "exited"
    assert all(c["engine"] == "local" for c in docker["containers"])

    ceph = data["ceph"]
    assert ceph["ok"] is True, ceph
    assert ceph["health"] == "HEALTH_OK", ceph
    assert ceph["clusters"][0]["checks"] == []

    libvirt = data["libvirt"]
    assert libvirt["ok"] is True, libvirt
    doms = {d["name"]: d["state"] for d in libvirt["domains"]}
    assert doms.get("megam-vm1") == "running" and doms.get("megam-vm2") == "shut off"

    ssh = data["ssh"]
    hosts = {h["name"]: h for h in ssh["hosts"]}
    for good in ("node1", "node2", "node3"):
        assert hosts[good]["reachable"] is True, hosts[good]
    kinds = {name: hosts[name]["error_kind"] for name in ("refused", "silent", "badauth", "changedkey")}
    assert kinds == {"refused": "refused", "silent": "timeout", "badauth": "auth", "changedkey": "hostkey"}
    assert all(hosts[n]["reachable"] is False and hosts[n]["error"] for n in kinds)
    assert ssh["ok"] is False  # fault hosts are configured and did not answer

    assert res.returncode == 1  # not every configured backend answered (the fault hosts)
    assert elapsed < ssh_timeout + 2 + 1.5, f"status took {elapsed:.1f}s"  # + interpreter start-up
