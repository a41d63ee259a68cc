"""VirshShell against the real testbed libvirtd: one process answers many listings."""

import pytest

from megam_tui.backends import vms_parse as vp
from megam_tui.backends.base import CallTimeout
from megam_tui.backends.vms_shell import VirshShell
from tests.integration import conftest as testbed

URI = "qemu:///system"


@pytest.fixture(scope="module", autouse=True)
def _libvirt():
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("libvirt")


def test_one_process_answers_every_listing_like_a_one_shot_virsh():
    shell = VirshShell(["virsh", "-q", "-c", URI], env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    try:
        for _ in range(5):
            out = shell.run(vp.LISTING_COMMAND, 5)
            assert out is not None
            names, stats = vp.split_listing(out)
            assert {"megam-vm1", "megam-vm2"} <= set(names)
            assert set(names) == set(stats)  # nothing else (e.g. the echoed command) taken for a name
            assert stats["megam-vm1"]["state.state"] == "1"  # running
        assert shell.started == 1
        assert shell.run("dominfo --domain no-such-domain-megam", 5) is None  # error: -> caller falls back
        assert shell.run(vp.LISTING_COMMAND, 5) is not None and shell.started == 2
    finally:
        shell.close()


def test_a_shell_that_never_answers_times_out_and_is_killed(tmp_path):
    # `sleep` never prints the marker: the deadline is hit, the process is killed
    shell = VirshShell(["sleep", "30"])
    try:
        with pytest.raises(CallTimeout):
            shell.run(vp.LISTING_COMMAND, 0.5)
        assert shell._proc is None
    finally:
        shell.close()
