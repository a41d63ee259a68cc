"""SSH failures -> one clear line and a models.HOST_ERROR_KINDS kind.

Messages name the host and address, never a password or passphrase. Host-key
problems say how to trust the key.
"""

from __future__ import annotations

import errno
import socket

import paramiko

from megam_tui.backends.base import CallTimeout, Unreachable


class SshUnreachable(Unreachable):
    """The host did not let us in; `kind` is one of models.HOST_ERROR_KINDS."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class SshTimeout(CallTimeout):
    """Connect, banner, auth or a command hit its deadline."""

    kind = "timeout"


class UnknownHostKey(paramiko.SSHException):
    """Raised by our RejectPolicy: carries the key the server offered."""

    def __init__(self, hostname: str, key: paramiko.PKey) -> None:
        super().__init__(f"Server {hostname!r} not found in known_hosts")
        self.hostname = hostname
        self.key = key


def fingerprint(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


def known_hosts_name(address: str, port: int) -> str:
    return address if port == 22 else f"[{address}]:{port}"


def classify(
    exc: BaseException,
    *,
    host: str,
    address: str,
    port: int,
    user: str | None,
    timeout: float,
    known_hosts: str | None = None,
    stage: str = "connect",
) -> SshUnreachable | SshTimeout:
    """Turn any connect-time exception into SshUnreachable/SshTimeout with a kind."""
    where = f"{host} ({address}:{port})"
    khname = known_hosts_name(address, port)
    if isinstance(exc, (SshUnreachable, SshTimeout)):
        return exc
    if isinstance(exc, socket.gaierror):
        return SshUnreachable(f"{host}: cannot resolve {address!r}: {exc.strerror or exc}", "dns")
    if isinstance(exc, ConnectionRefusedError):
        return SshUnreachable(f"{where}: connection refused (is sshd running on port {port}?)", "refused")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return SshTimeout(f"{where}: no answer within {round(timeout, 1):g}s ({stage})")
    if isinstance(exc, paramiko.BadHostKeyException):
        fix = f"ssh-keygen -R '{khname}'" + (f" -f {known_hosts}" if known_hosts else "")
        return SshUnreachable(
            f"{where}: host key CHANGED (server offers {fingerprint(exc.key)}, known_hosts has "
            f"{fingerprint(exc.expected_key)}); refused. If the change is expected: {fix}, then reconnect",
            "hostkey",
        )
    if isinstance(exc, UnknownHostKey):
        return SshUnreachable(
            f"{where}: host key unknown ({fingerprint(exc.key)}); refused. To trust it, add it to "
            f"known_hosts (e.g. ssh -p {port} {address} once, or ssh-keyscan -p {port} {address}) "
            f"or set trust_on_first_use: true for this host",
            "unknown-hostkey",
        )
    if isinstance(exc, paramiko.PasswordRequiredException):
        return SshUnreachable(f"{where}: private key is encrypted: set passphrase for this host", "auth")
    if isinstance(exc, paramiko.AuthenticationException):
        who = f"{user}@" if user else ""
        return SshUnreachable(f"{where}: authentication failed for {who}{address} (check key / user)", "auth")
    if isinstance(exc, paramiko.SSHException):
        text = str(exc)
        if "banner" in text.lower():
            return SshTimeout(f"{where}: TCP connected but no SSH banner within {round(timeout, 1):g}s")
        if "not found in known_hosts" in text:
            return SshUnreachable(f"{where}: host key unknown; refused (trust it or set trust_on_first_use)", "unknown-hostkey")
        return SshUnreachable(f"{where}: ssh error: {text or type(exc).__name__}", "error")
    if isinstance(exc, OSError):
        if exc.errno in (errno.ECONNREFUSED,):
            return SshUnreachable(f"{where}: connection refused", "refused")
        if exc.errno in (errno.ETIMEDOUT,):
            return SshTimeout(f"{where}: no answer within {round(timeout, 1):g}s ({stage})")
        return SshUnreachable(f"{where}: {exc.strerror or exc}", "error")
    if isinstance(exc, EOFError):
        return SshUnreachable(f"{where}: connection closed by the server during {stage}", "error")
    return SshUnreachable(f"{where}: {type(exc).__name__}: {exc}", "error")


def error_kind(exc: BaseException) -> str:
    return getattr(exc, "kind", None) or ("timeout" if isinstance(exc, CallTimeout) else "error")
