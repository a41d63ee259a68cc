"""Remote hypervisors: the virsh command line sent to the SSH layer quotes every argument.

The fake SSH layer runs the received command with `sh -c` in a scratch directory,
which is exactly what sshd does with it on the remote host: so these tests show
that hostile domain names stay data end to end.
"""

import shlex
import subprocess

import pytest

from megam_tui.backends.base import BackendError, CallTimeout, CommandResult, Unreachable
from megam_tui.backends.vms import LibvirtLayer, remote_command
from megam_tui.settings import HypervisorSpec, Settings


class ShellSsh:
    """Stands in for SshLayer.run: runs the command through a real shell, with a stub virsh."""

    def __init__(self, cwd, stub_body: str):
        self.cwd = cwd
        self.commands: list[str] = []
        bindir = cwd / "bin"
        bindir.mkdir()
        (bindir / "virsh").write_text("#!/bin/sh\n" + stub_body)
        (bindir / "virsh").chmod(0o755)
        self.path = f"{bindir}:/usr/bin:/bin"

    def run(self, host, command, timeout):
        self.commands.append(command)
        p = subprocess.run(
            ["sh", "-c", command], cwd=self.cwd, capture_output=True, text=True, timeout=timeout,
            env={"PATH": self.path},
        )
        return CommandResult(("sh", "-c", command), p.returncode, p.stdout, p.stderr, 0.0)


def remote_layer(ssh) -> LibvirtLayer:
    hv = HypervisorSpec("kvm1", uri="qemu:///system", host="kvm1", timeout=3)
    return LibvirtLayer(Settings(libvirt_hypervisors=(hv,)), ssh=ssh)


def test_remote_command_round_trips_through_a_shell():
    argv = ["virsh", "-c", "qemu:///system", "dominfo", "--domain", "a;touch x $(id) `id` 'q'"]
    cmd = remote_command(argv, 5)
    assert cmd.startswith("LC_ALL=C timeout -k 1 5 ")
    assert shlex.split(cmd)[5:] == argv


def test_hostile_name_reaches_remote_virsh_as_one_argument(tmp_path):
    # the stub prints each argument on its own line
    ssh = ShellSsh(tmp_path, 'for a in "$@"; do printf "%s\\n" "$a"; done\n')
    layer = remote_layer(ssh)
    name = "a;touch pwned-remote $(touch pwned2) `touch pwned3`"
    res = layer.virsh(layer.hypervisor("kvm1"), ["dominfo", "--domain", name])
    assert res.stdout.splitlines() == ["-c", "qemu:///system", "dominfo", "--domain", name]
    assert not list(tmp_path.glob("pwned*"))


def test_remote_listing_parses_remote_output(tmp_path):
    # the listing is ONE virsh invocation: virsh -c URI "list ...; echo megam-split; domstats ..."
    stub = (
        'case "$3" in\n'
        "'list --all --name; echo megam-split; domstats '*) "
        "printf \"vmA\\n\\nmegam-split\\nDomain: 'vmA'\\n  state.state=3\\n  vcpu.current=2\\n  balloon.current=1024\\n\\n\" ;;\n"
        "*) echo \"error: unexpected $3\" >&2; exit 1 ;;\n"
        "esac\n"
    )
    layer = remote_layer(ShellSsh(tmp_path, stub))
    [d] = layer.list_domains("kvm1")
    assert (d.name, d.hypervisor, d.state, d.vcpus, d.memory_kib) == ("vmA", "kvm1", "paused", 2, 1024)


def test_remote_failures_map_to_layer_errors(tmp_path):
    layer = remote_layer(ShellSsh(tmp_path, "echo 'error: failed to connect to the hypervisor' >&2\n"
                                  "echo 'error: Failed to connect socket: No such file' >&2; exit 1\n"))
    with pytest.raises(Unreachable, match="Failed to connect socket"):
        layer.list_domains("kvm1")
    s = layer.summary(3)
    assert s["ok"] is False and s["hypervisors"][0]["error"].startswith("hypervisor unreachable: ")

    (tmp_path / "slow").mkdir()
    slow = remote_layer(ShellSsh(tmp_path / "slow", "exit 124\n"))  # what timeout(1) returns
    with pytest.raises(CallTimeout):
        slow.list_domains("kvm1")


def test_no_ssh_layer_means_unreachable_not_a_crash():
    layer = remote_layer(None)
    with pytest.raises(Unreachable, match="SSH layer"):
        layer.list_domains("kvm1")
    assert layer.summary(2)["ok"] is False


def test_unknown_hypervisor_is_a_clear_error():
    layer = remote_layer(None)
    with pytest.raises(BackendError, match="unknown hypervisor 'nope'"):
        layer.list_domains("nope")
