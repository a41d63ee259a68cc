"""Typed settings built from the YAML config (see config.py: `build_settings`).

Backends take these specs, never the raw YAML. Every field has a default so
tests can build specs directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class EngineSpec:
    """A Docker engine: unix://, tcp:// (optionally TLS) or ssh:// URL."""

    name: str
    url: str = "unix:///var/run/docker.sock"
    timeout: float = 5.0  # seconds for each request
    tls_verify: bool = False
    cert_path: str | None = None  # dir holding ca.pem/cert.pem/key.pem (DOCKER_CERT_PATH style)
    cgroup_root: str | None = None  # override for local cgroup stats (default /sys/fs/cgroup)


@dataclass(frozen=True)
class ClusterSpec:
    """A Ceph cluster reached in-process (librados), by the local CLI, or by the CLI over SSH."""

    name: str
    conf: str | None = "/etc/ceph/ceph.conf"
    host: str | None = None  # name of an ssh:hosts entry (admin node) -> ssh transport
    transport: str = "auto"  # auto | rados | cli | ssh
    keyring: str | None = None
    client: str | None = None  # ceph client name, e.g. client.admin
    timeout: float = 5.0


@dataclass(frozen=True)
class HypervisorSpec:
    """A libvirt hypervisor: local URI for virsh, or virsh run on an SSH host."""

    name: str
    uri: str = "qemu:///system"
    host: str | None = None  # name of an ssh:hosts entry -> run virsh there
    timeout: float = 5.0


@dataclass(frozen=True)
class HostSpec:
    """An SSH host. Secrets (password, passphrase) are never logged or shown."""

    name: str
    address: str
    port: int = 22
    user: str | None = None
    identity_file: str | None = None
    password: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    proxy_jump: str | None = None
    known_hosts: str | None = None  # extra known_hosts file for this host
    trust_on_first_use: bool = False  # may ADD an unknown key, never replace a changed one
    timeout: float = 5.0  # connect + banner + auth deadline
    command_timeout: float = 10.0


@dataclass(frozen=True)
class Settings:
    refresh: float = 2.0
    read_only: bool = False
    confirm: tuple[str, ...] = ("kill", "remove", "destroy", "force_off")
    theme: str | None = None
    bell: bool = True
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key(s)
    home: Path = Path("~/.local/share/megam").expanduser()
    config_path: Path | None = None
    # docker
    docker_engines: tuple[EngineSpec, ...] = ()
    docker_configured: bool = False  # True when the section exists or an engine was auto-detected
    logs_tail: int = 200
    logs_max_lines: int = 10_000
    events_max: int = 2000  # events kept in the timeline
    # store (history in $MEGAM_HOME/history.sqlite3)
    store_enabled: bool = True
    store_max_age: float = 7 * 86400.0  # seconds
    store_max_mb: int = 256
    store_load: float = 8 * 3600.0  # seconds of history the Events pane opens with
    # ceph
    ceph_clusters: tuple[ClusterSpec, ...] = ()
    # libvirt
    libvirt_hypervisors: tuple[HypervisorSpec, ...] = ()
    # ssh
    ssh_hosts: tuple[HostSpec, ...] = ()
    ssh_known_hosts: str | None = None  # default ~/.ssh/known_hosts
    ssh_config: str | None = None  # default ~/.ssh/config
    ssh_include_local: bool = True  # the local machine (psutil) as first host

    def host(self, name: str) -> HostSpec | None:
        for h in self.ssh_hosts:
            if h.name == name:
                return h
        return None
