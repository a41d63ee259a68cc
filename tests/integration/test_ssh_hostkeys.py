"""Host-key policy and connection options against the real testbed sshds.

RejectPolicy always: an unknown key is refused unless the host has
trust_on_first_use (which ADDS it to known_hosts); a changed key is refused
even then, and known_hosts is left untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from megam_tui.backends.ssh import SshLayer
from tests.integration.test_ssh_layer import make_settings


def _with(tmp_path, **host_edits):
    """Settings whose ssh:known_hosts is a copy under tmp_path (or empty), hosts edited."""

    def edit(ssh: dict) -> None:
        empty = host_edits.pop("_empty_known_hosts", False)
        kh = tmp_path / "known_hosts"
        if empty:
            kh.write_text("")
        else:
            shutil.copy(ssh["known_hosts"], kh)
        ssh["known_hosts"] = str(kh)
        for h in ssh["hosts"]:
            h.update(host_edits.get(h["name"], {}))

    return edit


def test_unknown_host_key_is_refused_with_how_to_trust_it(tmp_path):
    lay = SshLayer(make_settings(tmp_path, edit=_with(tmp_path, _empty_known_hosts=True)))
    try:
        h = lay.probe("node1")
    finally:
        lay.stop()
    assert not h.reachable and h.error_kind == "unknown-hostkey"
    assert "trust_on_first_use" in h.error and "ssh-keyscan -p 2222 127.0.0.2" in h.error
    assert (tmp_path / "known_hosts").read_text() == ""


def test_trust_on_first_use_adds_an_unknown_key_then_strict_checking_passes(tmp_path):
    settings = make_settings(
        tmp_path, edit=_with(tmp_path, _empty_known_hosts=True, node2={"trust_on_first_use": True})
    )
    lay = SshLayer(settings)
    try:
        assert lay.probe("node2").reachable
    finally:
        lay.stop()
    lines = (tmp_path / "known_hosts").read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("[127.0.0.3]:2222 ssh-ed25519 ")
    # the recorded key is the one the server really serves
    served = (_testbed_dir() / "ssh" / "hosts" / "node2" / "host_ed25519.pub").read_text().split()[1]
    assert lines[0].split()[2] == served
    # a strict (no TOFU) layer now accepts node2 thanks to the added line, still refuses node1
    strict = SshLayer(make_settings(tmp_path, edit=_keep_known_hosts(tmp_path)))
    try:
        assert strict.probe("node2").reachable
        assert strict.probe("node1").error_kind == "unknown-hostkey"
    finally:
        strict.stop()


def test_trust_on_first_use_never_replaces_a_changed_key(tmp_path):
    lay = SshLayer(make_settings(tmp_path, edit=_with(tmp_path, changedkey={"trust_on_first_use": True})))
    before = (tmp_path / "known_hosts").read_text()
    try:
        h = lay.probe("changedkey")
    finally:
        lay.stop()
    assert not h.reachable and h.error_kind == "hostkey"
    assert (tmp_path / "known_hosts").read_text() == before


def test_per_host_known_hosts_file_is_read(tmp_path):
    def edit(ssh: dict) -> None:
        src = ssh["known_hosts"]
        (tmp_path / "main").write_text("")
        ssh["known_hosts"] = str(tmp_path / "main")
        for h in ssh["hosts"]:
            if h["name"] == "node3":
                h["known_hosts"] = src

    lay = SshLayer(make_settings(tmp_path, edit=edit))
    try:
        assert lay.probe("node3").reachable
        assert lay.probe("node1").error_kind == "unknown-hostkey"
    finally:
        lay.stop()


def test_ssh_config_supplies_hostname_port_and_key(tmp_path):
    """An alias resolved through the ssh config file (HostName, Port, User, IdentityFile)."""

    def edit(ssh: dict) -> None:
        key = ssh["hosts"][0]["identity_file"]
        conf = tmp_path / "ssh_config"
        conf.write_text(f"Host web1\n  HostName 127.0.0.4\n  Port 2222\n  User root\n  IdentityFile {key}\n")
        ssh["config"] = str(conf)
        ssh["hosts"] = [{"name": "web1"}]

    lay = SshLayer(make_settings(tmp_path, edit=edit))
    try:
        res = lay.run("web1", "echo via-config")
    finally:
        lay.stop()
    assert res.stdout == "via-config\n"


def test_proxy_jump_through_another_host(tmp_path):
    """node3 reached through a direct-tcpip channel on node1's transport."""

    def edit(ssh: dict) -> None:
        for h in ssh["hosts"]:
            if h["name"] == "node3":
                h["proxy_jump"] = "node1"

    lay = SshLayer(make_settings(tmp_path, edit=edit))
    try:
        res = lay.run("node3", "echo jumped")
        node1_transport = lay.pool.client("node1").get_transport()
        node3_transport = lay.pool.client("node3").get_transport()
        assert res.stdout == "jumped\n"
        assert node3_transport.sock.__class__.__name__ == "Channel"
        assert node3_transport.sock.get_transport() is node1_transport
        # node3's sshd sees a TCP peer whose socket belongs to an sshd process
        # (node1's session forwarding the channel), not to this Python process.
        ip, port = lay.run("node3", "echo $SSH_CLIENT").stdout.split()[:2]
        owner = subprocess.run(
            ["ss", "-Htnp", "state", "established", "src", f"{ip}:{port}"], capture_output=True, text=True, timeout=10
        ).stdout
        assert "sshd" in owner and f"pid={os.getpid()}," not in owner
    finally:
        lay.stop()


def test_proxy_jump_given_as_user_at_host_port(tmp_path):
    """A hop that is not a configured host: [user@]host:port, like ssh -J."""

    def edit(ssh: dict) -> None:
        for h in ssh["hosts"]:
            if h["name"] == "node2":
                h["proxy_jump"] = "root@127.0.0.2:2222"

    lay = SshLayer(make_settings(tmp_path, edit=edit))
    try:
        assert lay.run("node2", "echo via-hop").stdout == "via-hop\n"
        hop = lay.pool.client("jump:root@127.0.0.2:2222").get_transport()
        assert lay.pool.client("node2").get_transport().sock.get_transport() is hop
    finally:
        lay.stop()


def _keep_known_hosts(tmp_path):
    def edit(ssh: dict) -> None:
        ssh["known_hosts"] = str(tmp_path / "known_hosts")

    return edit


def _testbed_dir():
    from tests.conftest import TESTBED

    return TESTBED
