"""LibvirtLayer against the real libvirtd + domains of scripts/testbed/libvirt.sh."""

import time

from megam_tui.backends.vms import LibvirtLayer
from megam_tui.settings import HypervisorSpec, Settings
from tests.integration import conftest as testbed


def make_layer() -> LibvirtLayer:
    frag = testbed.testbed_fragment("libvirt")
    testbed.testbed_up("libvirt")
    hvs = tuple(HypervisorSpec(name=h["name"], uri=h["uri"]) for h in frag["libvirt"]["hypervisors"])
    return LibvirtLayer(Settings(libvirt_hypervisors=hvs))


def test_lists_the_two_testbed_domains_with_their_states():
    layer = make_layer()
    domains = {d.name: d for d in layer.list_domains("local")}
    assert domains["megam-vm1"].state == "running"
    assert domains["megam-vm2"].state == "shut off"
    vm1 = domains["megam-vm1"]
    assert vm1.hypervisor == "local"
    assert vm1.vcpus == 1
    assert vm1.memory_kib == 64 * 1024
    assert vm1.uptime_s is not None and vm1.uptime_s >= 0
    assert domains["megam-vm2"].uptime_s is None
    assert domains["megam-vm2"].cpu_pct is None


def test_cpu_percent_appears_from_the_second_sample():
    layer = make_layer()
    first = {d.name: d for d in layer.list_domains("local")}
    assert first["megam-vm1"].cpu_pct is None  # no previous sample yet
    time.sleep(0.5)
    second = {d.name: d for d in layer.list_domains("local")}
    pct = second["megam-vm1"].cpu_pct
    assert pct is not None and 0.0 <= pct <= 100.0


def test_summary_has_both_domains():
    layer = make_layer()
    s = layer.summary(5)
    assert s["ok"] is True and s["error"] is None
    states = {d["name"]: d["state"] for d in s["domains"]}
    assert states["megam-vm1"] == "running"
    assert states["megam-vm2"] == "shut off"
    assert s["hypervisors"] == [{"name": "local", "ok": True, "error": None}]


def test_summary_reports_an_unreachable_hypervisor_beside_a_good_one():
    testbed.testbed_up("libvirt")
    layer = LibvirtLayer(
        Settings(
            libvirt_hypervisors=(
                HypervisorSpec("local"),
                HypervisorSpec("nowhere", uri="qemu+tcp://127.0.0.1:1/system", timeout=3),
            )
        )
    )
    s = layer.summary(3)
    assert s["ok"] is False
    by_name = {h["name"]: h for h in s["hypervisors"]}
    assert by_name["local"]["ok"] is True
    assert by_name["nowhere"]["ok"] is False
    assert by_name["nowhere"]["error"].startswith("hypervisor unreachable: ")
    assert "refused" in by_name["nowhere"]["error"].lower()
    assert "\n" not in s["error"]
    assert {d["name"] for d in s["domains"]} >= {"megam-vm1", "megam-vm2"}
