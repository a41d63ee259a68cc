"""Remote hypervisors: virsh run on an SSH host through the real SshLayer.

The ssh testbed's hosts (node1.. on 127.0.0.x, root) live on this machine, so
virsh run "remotely" on node1 reaches the same libvirtd as the local tests:
this drives the whole remote path (shlex quoting, sshd's shell, paramiko).
"""

import secrets
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from megam_tui.backends.ssh import SshLayer
from megam_tui.backends.vms import LibvirtLayer
from megam_tui.config import load_settings
from megam_tui.models import Event
from megam_tui.settings import HypervisorSpec, Settings
from tests.integration import conftest as testbed
from tests.integration.test_vms_actions import define_domain, state, undefine_domain, virsh
from tests.integration.test_vms_live import Collector, domain_state


def make_layers(tmp_path: Path, refresh: str = "30s"):
    frag = testbed.testbed_fragment("ssh")
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("ssh")
    testbed.testbed_up("libvirt")
    frag["ssh"]["include_local"] = False
    cfg = {
        "refresh": refresh,
        **frag,
        "libvirt": {
            "hypervisors": [
                {"name": "kvm-node1", "host": "node1", "uri": "qemu:///system", "timeout": "5s"},
                {"name": "kvm-refused", "host": "refused", "timeout": "3s"},
            ]
        },
    }
    path = tmp_path / "megam.yaml"
    path.write_text(yaml.safe_dump(cfg))
    path.chmod(0o600)
    settings, problems = load_settings(path, env={})
    assert problems == []
    ssh = SshLayer(settings)
    return LibvirtLayer(settings, ssh=ssh), ssh


@pytest.fixture
def layers(tmp_path):
    vms, ssh = make_layers(tmp_path)
    yield vms, ssh
    vms.stop()
    ssh.stop()


def test_remote_listing_and_unreachable_host(layers):
    vms, _ = layers
    remote = {d.name: d for d in vms.list_domains("kvm-node1")}
    assert remote["megam-vm1"].state == "running" and remote["megam-vm2"].state == "shut off"
    # uptime from the host's /proc (same machine here, so it matches the local figure)
    local = LibvirtLayer(Settings(libvirt_hypervisors=(HypervisorSpec("local"),)))
    [vm1] = [d for d in local.list_domains("local") if d.name == "megam-vm1"]
    assert remote["megam-vm1"].uptime_s is not None and vm1.uptime_s is not None
    assert abs(remote["megam-vm1"].uptime_s - vm1.uptime_s) < 5
    assert remote["megam-vm2"].uptime_s is None
    time.sleep(0.5)
    again = {d.name: d for d in vms.list_domains("kvm-node1")}
    assert again["megam-vm1"].cpu_pct is not None and 0 <= again["megam-vm1"].cpu_pct <= 100
    s = vms.summary(5)
    by_name = {h["name"]: h for h in s["hypervisors"]}
    assert by_name["kvm-node1"]["ok"] is True
    assert by_name["kvm-refused"]["ok"] is False
    assert by_name["kvm-refused"]["error"].startswith("hypervisor unreachable: ")
    assert "refused" in by_name["kvm-refused"]["error"].lower()
    assert {d["hypervisor"] for d in s["domains"]} == {"kvm-node1"}


def test_hostile_name_is_harmless_over_ssh(layers, tmp_path):
    vms, ssh = layers
    payload = f"megam-pwned-{secrets.token_hex(4)}"
    name = f"a;touch {payload};$(touch {payload}-2)`touch {payload}-3`"
    home = ssh.run("node1", "pwd", timeout=10).stdout.strip()  # where a payload would land
    define_domain(name)
    try:
        assert name in {d.name for d in vms.list_domains("kvm-node1")}
        vms.run_action("start", f"kvm-node1/{name}", {}, None)
        assert state(name) == "running"
        vms.run_action("toggle_pause", f"kvm-node1/{name}", {}, None)
        assert state(name) == "paused"
        vms.run_action("destroy", f"kvm-node1/{name}", {}, None)
        assert state(name) == "shut off"
    finally:
        undefine_domain(name)
    for where in {Path(home), Path("/tmp"), Path("/"), Path.cwd()}:
        assert not list(where.glob(f"{payload}*")), f"payload ran in {where}"


def test_remote_event_stream_sees_an_outside_destroy_and_stops_cleanly(layers):
    vms, _ = layers
    name = f"megam-remote-{secrets.token_hex(3)}"
    define_domain(name)
    got = Collector()
    try:
        virsh("start", "--domain", name)
        vms.start(got)
        got.wait_for(lambda o: domain_state(o, name) == "running", 10)
        time.sleep(0.5)  # let the remote `virsh event` register before acting
        remote_pids = ssh_virsh_event_pids()
        assert remote_pids, "no virsh event process under sshd"
        got.mark()
        virsh("destroy", "--domain", name)
        t_off = time.monotonic()
        t_ev, ev = got.wait_for(lambda o: isinstance(o, Event) and o.object == name and o.kind == "stopped", 3)
        t_snap, _ = got.wait_for(lambda o: domain_state(o, name) == "shut off", 3)
        print(f"remote: event {t_ev - t_off:+.3f} s, snapshot {t_snap - t_off:+.3f} s after destroy returned")
        assert ev.source == "kvm-node1"
        assert t_snap - t_off <= 1.0  # refresh is 30 s: only the event stream can explain this
    finally:
        vms.stop()
        undefine_domain(name)
    # the remote virsh event process is gone once the channel is closed
    end = time.monotonic() + 5
    while time.monotonic() < end and any(Path(f"/proc/{p}").exists() for p in remote_pids):
        time.sleep(0.2)
    assert not any(Path(f"/proc/{p}").exists() for p in remote_pids), "remote virsh event outlived stop()"


def ssh_virsh_event_pids() -> list[int]:
    """PIDs of `virsh ... event --loop` processes running under an sshd session (ours:
    other tests may run local event streams at the same time)."""
    res = subprocess.run(["pgrep", "-f", "virsh -c qemu:///system event --all --loop"], capture_output=True, text=True)
    found = []
    for pid in map(int, res.stdout.split()):
        p = pid
        for _ in range(10):
            try:
                ppid = int(Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()[1])
                cmd = Path(f"/proc/{ppid}/cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                break
            if b"sshd" in cmd:
                found.append(pid)
                break
            if ppid <= 1:
                break
            p = ppid
    return found
