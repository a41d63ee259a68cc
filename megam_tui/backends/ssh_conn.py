"""The SSH connection pool: ONE paramiko SSHClient (Transport) per host.

- Effective parameters = the config's HostSpec + ~/.ssh/config (HostName, User,
  Port, IdentityFile, ProxyJump) read with paramiko.SSHConfig.
- Host keys: the main known_hosts (settings.ssh_known_hosts, default
  ~/.ssh/known_hosts) + the host's own known_hosts. Unknown keys are refused
  (a RejectPolicy subclass) unless the host has trust_on_first_use, which may
  ADD the new key to a known_hosts file; a CHANGED key is always refused
  (paramiko raises BadHostKeyException before any policy runs).
- Deadlines: TCP connect, banner, key exchange and auth together are bounded
  by HostSpec.timeout (or a shorter cap from the caller) with a watchdog that
  closes the socket.
- Reconnects transparently when a transport died; after failures a host is
  retried with exponential back-off (1 s .. 30 s) unless a caller forces it.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from megam_tui.backends.base import BackendError
from megam_tui.backends.ssh_errors import SshTimeout, SshUnreachable, UnknownHostKey, classify
from megam_tui.settings import HostSpec, Settings

# paramiko logs transport failures (with tracebacks) at ERROR; with no handler
# Python's last-resort handler would print them on stderr, i.e. over the TUI.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 30.0
KEEPALIVE_S = 15
TRANSPORT_WAKE_S = 5.0


@dataclass(frozen=True)
class Target:
    """Where and how to connect (HostSpec merged with ~/.ssh/config)."""

    name: str
    hostname: str
    port: int
    user: str
    key_filenames: tuple[str, ...] = ()
    password: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    proxy_jump: str | None = None
    known_hosts: tuple[str, ...] = ()  # files read
    tofu_file: str | None = None  # where trust_on_first_use appends
    trust_on_first_use: bool = False
    timeout: float = 5.0


class RejectUnknown(paramiko.RejectPolicy):
    """paramiko's RejectPolicy, raising an exception that carries the offered key."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise UnknownHostKey(hostname, key)


class TrustOnFirstUse(paramiko.MissingHostKeyPolicy):
    """Adds an UNKNOWN key to `path` (never called for a changed key)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        line = f"{hostname} {key.get_name()} {key.get_base64()}\n"
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="ascii") as fh:
                fh.write(line)
        except OSError as exc:
            raise paramiko.SSHException(f"cannot record the new host key in {self.path}: {exc.strerror or exc}") from exc


def _expand(path: str) -> str:
    return os.path.expanduser(os.path.expandvars(path))


class _Entry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.client: paramiko.SSHClient | None = None
        self.failures = 0
        self.retry_at = 0.0
        self.last_error: SshUnreachable | SshTimeout | None = None


def _copy_error(exc: SshUnreachable | SshTimeout) -> SshUnreachable | SshTimeout:
    if isinstance(exc, SshTimeout):
        return SshTimeout(str(exc))
    return SshUnreachable(str(exc), exc.kind)


class SshPool:
    """Shared, lock-protected connections keyed by host name."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._ssh_config: paramiko.SSHConfig | None = None
        self._closed = False
        cfg = _expand(settings.ssh_config or "~/.ssh/config")
        try:
            if os.path.isfile(cfg):
                self._ssh_config = paramiko.SSHConfig.from_path(cfg)
        except Exception:  # noqa: BLE001 - a broken ssh config must not break the layer
            self._ssh_config = None
        self.known_hosts = _expand(settings.ssh_known_hosts or "~/.ssh/known_hosts")

    # ------------------------------------------------------------- targets
    def _lookup(self, alias: str) -> dict:
        if self._ssh_config is None:
            return {}
        try:
            return dict(self._ssh_config.lookup(alias))
        except Exception:  # noqa: BLE001
            return {}

    def target(self, name: str) -> Target:
        spec = self.settings.host(name)
        if spec is None:
            if name.startswith("jump:"):
                return self._jump_target(name[5:])
            raise BackendError(f"unknown ssh host {name!r} (not in ssh:hosts)")
        return self._spec_target(spec)

    def _spec_target(self, spec: HostSpec) -> Target:
        alias = spec.address or spec.name
        cfg = self._lookup(alias)
        keys: list[str] = []
        if spec.identity_file:
            keys.append(_expand(spec.identity_file))
        for k in cfg.get("identityfile", []) or []:
            k = _expand(k)
            if k not in keys and os.path.isfile(k):
                keys.append(k)
        proxy = spec.proxy_jump or cfg.get("proxyjump")
        if proxy and proxy.lower() == "none":
            proxy = None
        known = [self.known_hosts]
        if spec.known_hosts:
            known.append(_expand(spec.known_hosts))
        port = spec.port if spec.port != 22 else int(cfg.get("port", 22))
        return Target(
            name=spec.name,
            hostname=cfg.get("hostname", alias) or alias,
            port=port,
            user=spec.user or cfg.get("user") or _local_user(),
            key_filenames=tuple(keys),
            password=spec.password,
            passphrase=spec.passphrase,
            proxy_jump=proxy,
            known_hosts=tuple(known),
            tofu_file=_expand(spec.known_hosts) if spec.known_hosts else self.known_hosts,
            trust_on_first_use=spec.trust_on_first_use,
            timeout=spec.timeout,
        )

    def _jump_target(self, text: str) -> Target:
        """A ProxyJump hop that is not a configured host: [user@]host[:port][,next...]."""
        hops = [h.strip() for h in text.split(",") if h.strip()]
        last = hops[-1]
        earlier = ",".join(hops[:-1]) or None
        user, _, hostport = last.rpartition("@")
        host, port = hostport, 22
        if hostport.startswith("["):
            host, _, rest = hostport[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else 22
        elif hostport.count(":") == 1:
            h, _, p = hostport.partition(":")
            if p.isdigit():
                host, port = h, int(p)
        cfg = self._lookup(host)
        keys = [k for k in (_expand(k) for k in cfg.get("identityfile", []) or []) if os.path.isfile(k)]
        # no key configured for the hop: try the keys of the hosts that jump through it
        for spec in self.settings.ssh_hosts:
            if spec.proxy_jump == text and spec.identity_file and _expand(spec.identity_file) not in keys:
                keys.append(_expand(spec.identity_file))
        timeout = max([h.timeout for h in self.settings.ssh_hosts] or [5.0])
        return Target(
            name=f"jump:{text}",
            hostname=cfg.get("hostname", host) or host,
            port=port if port != 22 else int(cfg.get("port", 22)),
            user=user or cfg.get("user") or _local_user(),
            key_filenames=tuple(keys),
            proxy_jump=earlier,
            known_hosts=(self.known_hosts,),
            tofu_file=self.known_hosts,
            timeout=timeout,
        )

    # ------------------------------------------------------------- pool
    def _entry(self, name: str) -> _Entry:
        with self._lock:
            e = self._entries.get(name)
            if e is None:
                e = self._entries[name] = _Entry()
            return e

    def client(self, name: str, *, timeout: float | None = None, force: bool = False) -> paramiko.SSHClient:
        """The live client of `name`, connecting if needed (bounded by `timeout`)."""
        if self._closed:
            raise SshUnreachable(f"{name}: ssh layer stopped", "error")
        target = self.target(name)
        budget = min(target.timeout, timeout) if timeout is not None else target.timeout
        start = time.monotonic()
        entry = self._entry(name)
        if not entry.lock.acquire(timeout=max(0.0, budget)):
            raise SshTimeout(f"{name}: still connecting after {round(budget, 1):g}s")
        try:
            c = entry.client
            if c is not None:
                t = c.get_transport()
                if t is not None and t.is_active():
                    return c
                c.close()
                entry.client = None
            now = time.monotonic()
            if not force and entry.last_error is not None and now < entry.retry_at:
                raise _copy_error(entry.last_error)
            remaining = budget - (now - start)
            if remaining <= 0:
                raise SshTimeout(f"{name}: no time left to connect")
            try:
                c = self._connect(target, remaining)
            except (SshUnreachable, SshTimeout) as exc:
                entry.failures += 1
                entry.retry_at = time.monotonic() + min(BACKOFF_MAX, BACKOFF_INITIAL * 2 ** (entry.failures - 1))
                entry.last_error = exc
                raise
            entry.failures = 0
            entry.last_error = None
            entry.client = c
            if self._closed:
                c.close()
                raise SshUnreachable(f"{name}: ssh layer stopped", "error")
            return c
        finally:
            entry.lock.release()

    def drop(self, name: str) -> None:
        """Close the connection of `name` (the next call reconnects)."""
        entry = self._entry(name)
        c, entry.client = entry.client, None
        if c is not None:
            c.close()

    def close_all(self) -> None:
        self._closed = True
        with self._lock:
            entries = list(self._entries.values())
        for e in entries:
            c, e.client = e.client, None
            if c is not None:
                try:
                    c.close()
                except Exception:  # noqa: BLE001
                    pass

    def reopen(self) -> None:
        self._closed = False

    # ------------------------------------------------------------- connect
    def _connect(self, t: Target, budget: float) -> paramiko.SSHClient:
        start = time.monotonic()
        fired = threading.Event()
        holder: dict[str, object] = {}

        def watchdog() -> None:
            fired.set()
            for obj in (holder.get("client"), holder.get("sock")):
                try:
                    obj.close()  # type: ignore[union-attr]
                except Exception:  # noqa: BLE001
                    pass

        # paramiko's own timeouts normally fire first; the watchdog is the backstop.
        timer = threading.Timer(budget + 0.25, watchdog)
        timer.daemon = True
        timer.start()
        stage = "TCP connect"
        client: paramiko.SSHClient | None = None
        try:
            if t.proxy_jump:
                stage = f"ProxyJump via {t.proxy_jump}"
                jump_name = t.proxy_jump if self.settings.host(t.proxy_jump) else f"jump:{t.proxy_jump}"
                jump = self.client(jump_name, timeout=budget)
                transport = jump.get_transport()
                if transport is None:
                    raise SshUnreachable(f"{t.name}: jump host {t.proxy_jump} has no transport", "error")
                left = budget - (time.monotonic() - start)
                sock: object = transport.open_channel(
                    "direct-tcpip", (t.hostname, t.port), ("127.0.0.1", 0), timeout=max(0.1, left)
                )
            else:
                sock = socket.create_connection((t.hostname, t.port), timeout=budget)
            holder["sock"] = sock
            if fired.is_set():
                raise socket.timeout()
            stage = "SSH handshake"
            client = paramiko.SSHClient()
            holder["client"] = client
            keys = client.get_host_keys()
            for path in t.known_hosts:
                if os.path.isfile(path):
                    try:
                        keys.load(path)
                    except Exception as exc:  # noqa: BLE001
                        raise SshUnreachable(f"{t.name}: cannot read known_hosts {path}: {exc}", "error") from None
            if t.trust_on_first_use and t.tofu_file:
                client.set_missing_host_key_policy(TrustOnFirstUse(t.tofu_file))
            else:
                client.set_missing_host_key_policy(RejectUnknown())
            for k in t.key_filenames:
                if not os.path.isfile(k):
                    raise SshUnreachable(f"{t.name}: identity file {k} not found", "auth")
            left = max(0.1, budget - (time.monotonic() - start))
            client.connect(
                t.hostname,
                port=t.port,
                username=t.user,
                password=t.password,
                passphrase=t.passphrase,
                key_filename=list(t.key_filenames) or None,
                sock=sock,  # type: ignore[arg-type]
                timeout=left,
                banner_timeout=left,
                auth_timeout=left,
                channel_timeout=left,
                allow_agent=True,
                look_for_keys=not t.key_filenames and t.password is None,
            )
            if fired.is_set():
                raise socket.timeout()
            transport = client.get_transport()
            if transport is not None:
                transport.set_keepalive(KEEPALIVE_S)
                # paramiko's reader thread wakes every 0.1 s (its socket timeout) to check
                # whether it should stop: ~0.15 % of a core per connection, for nothing.
                # Once connected, every 5 s is plenty (close() does not wait for it; EOF and
                # errors end the loop at once; keepalives go out within 5 s of being due).
                try:
                    transport.sock.settimeout(TRANSPORT_WAKE_S)
                except (AttributeError, OSError):
                    pass
            return client
        except Exception as exc:  # noqa: BLE001 - classified below
            transport_seen = client.get_transport() if client is not None else None
            if client is not None:
                client.close()
            sock_obj = holder.get("sock")
            if sock_obj is not None:
                try:
                    sock_obj.close()  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001
                    pass
            if isinstance(exc, (SshUnreachable, SshTimeout)) and not fired.is_set():
                raise
            no_banner = (
                stage == "SSH handshake" and transport_seen is not None and not transport_seen.remote_version
            )
            if no_banner and isinstance(exc, (paramiko.SSHException, EOFError, OSError)):
                # paramiko reports a banner timeout as "No existing session" or
                # "Error reading SSH protocol banner", depending on a race.
                if time.monotonic() - start >= budget * 0.9:
                    raise SshTimeout(
                        f"{t.name} ({t.hostname}:{t.port}): TCP connected but no SSH banner within {round(budget, 1):g}s"
                    ) from None
                raise SshUnreachable(
                    f"{t.name} ({t.hostname}:{t.port}): connection closed before the SSH banner", "error"
                ) from None
            if fired.is_set() and not isinstance(exc, (paramiko.BadHostKeyException, UnknownHostKey)):
                raise SshTimeout(f"{t.name} ({t.hostname}:{t.port}): no answer within {round(budget, 1):g}s ({stage})") from None
            raise classify(
                exc,
                host=t.name,
                address=t.hostname,
                port=t.port,
                user=t.user,
                timeout=budget,
                known_hosts=t.tofu_file,
                stage=stage,
            ) from None
        finally:
            timer.cancel()


def _local_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "root"
