"""SSH failures become one clear line with a distinct kind."""

from __future__ import annotations

import errno
import socket

import paramiko
import pytest

from megam_tui.backends.base import CallTimeout, Unreachable
from megam_tui.backends.ssh_errors import SshTimeout, SshUnreachable, UnknownHostKey, classify, error_kind
from megam_tui.models import HOST_ERROR_KINDS



def _key() -> paramiko.PKey:
    # a throwaway RSA key (paramiko can generate RSA; never written anywhere)
    return paramiko.RSAKey.generate(1024)


def c(exc: BaseException, **kw):
    args = {"host": "web1", "address": "10.0.0.5", "port": 2222, "user": "root", "timeout": 3.0}
    args.update(kw)
    return classify(exc, **args)


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (socket.gaierror(-2, "Name or service not known"), "dns", "cannot resolve"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "refused", "connection refused"),
        (socket.timeout("timed out"), "timeout", "no answer within 3s"),
        (paramiko.AuthenticationException("Authentication failed."), "auth", "authentication failed for root@10.0.0.5"),
        (paramiko.PasswordRequiredException("private key file is encrypted"), "auth", "passphrase"),
        (paramiko.SSHException("Error reading SSH protocol banner"), "timeout", "no SSH banner"),
        (paramiko.SSHException("Incompatible ssh peer (no acceptable kex algorithm)"), "error", "Incompatible"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "error", "No route to host"),
        (OSError(errno.ETIMEDOUT, "Connection timed out"), "timeout", "no answer"),
        (EOFError(), "error", "connection closed"),
        (ValueError("odd"), "error", "ValueError: odd"),
    ],
)
def test_each_failure_gets_its_kind_and_a_one_line_message(exc, kind, words):
    err = c(exc)
    assert err.kind == kind and error_kind(err) == kind
    assert kind in HOST_ERROR_KINDS
    assert isinstance(err, Unreachable)
    assert isinstance(err, CallTimeout) == (kind == "timeout")
    msg = str(err)
    assert msg.startswith("web1 (10.0.0.5:2222)") or msg.startswith("web1:")
    assert words in msg and "\n" not in msg


def test_changed_host_key_says_how_to_fix_it():
    got, expected = _key(), _key()
    err = c(paramiko.BadHostKeyException("[10.0.0.5]:2222", got, expected), known_hosts="/k/known_hosts")
    assert err.kind == "hostkey"
    msg = str(err)
    assert "CHANGED" in msg and got.fingerprint in msg and expected.fingerprint in msg
    assert "ssh-keygen -R '[10.0.0.5]:2222' -f /k/known_hosts" in msg


def test_unknown_host_key_says_how_to_trust_it():
    key = _key()
    err = c(UnknownHostKey("[10.0.0.5]:2222", key))
    assert err.kind == "unknown-hostkey"
    assert key.fingerprint in str(err) and "trust_on_first_use" in str(err)


def test_port_22_uses_the_bare_host_name_for_known_hosts():
    err = c(paramiko.BadHostKeyException("10.0.0.5", _key(), _key()), port=22)
    assert "ssh-keygen -R '10.0.0.5'" in str(err)


def test_already_classified_errors_pass_through():
    e = SshUnreachable("x", "auth")
    assert c(e) is e
    t = SshTimeout("y")
    assert c(t) is t and t.kind == "timeout"
