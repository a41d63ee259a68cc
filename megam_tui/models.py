"""Plain dataclasses the backends return and the panes render.

No Textual, no engine clients here: these are the values that cross the
boundary between worker threads (backends) and the UI thread (panes).
Each layer owns its classes; add fields with defaults so older callers keep
working.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------- generic


@dataclass(frozen=True)
class BackendState:
    """Whether one engine / cluster / hypervisor / host answered."""

    layer: str  # "docker" | "ceph" | "libvirt" | "ssh"
    name: str  # engine, cluster, hypervisor or host name from the config
    ok: bool
    error: str | None = None
    checked_at: float = field(default_factory=time.time)


SEVERITIES = ("debug", "info", "warn", "error")


@dataclass(frozen=True)
class Event:
    """One entry of the event timeline (any layer)."""

    time: float
    layer: str  # "docker" | "libvirt" | "ceph" | "ssh" | "job" | "app"
    severity: str  # one of SEVERITIES
    source: str  # engine / cluster / hypervisor / host name
    message: str
    object: str = ""  # container / domain / host / check the event is about
    kind: str = ""  # e.g. "die", "start", "OSD_DOWN", "health"


# ---------------------------------------------------------------- docker


@dataclass(frozen=True)
class Container:
    id: str
    name: str
    engine: str
    image: str
    state: str  # running | exited | paused | restarting | created | dead | removing
    status: str = ""  # the engine's human text, e.g. "Up 3 minutes"
    exit_code: int | None = None
    health: str | None = None  # healthy | unhealthy | starting | None
    created: float = 0.0  # unix seconds
    started_at: float | None = None
    ports: str = ""
    project: str | None = None  # com.docker.compose.project label
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    tty: bool = False

    @property
    def state_text(self) -> str:
        if self.state == "exited" and self.exit_code is not None:
            return f"exited ({self.exit_code})"
        return self.state


@dataclass(frozen=True)
class ContainerStats:
    id: str
    cpu_pct: float | None = None  # % of one core (docker stats convention)
    mem_bytes: int | None = None  # usage minus page cache
    mem_limit: int | None = None
    net_rx_bps: float | None = None
    net_tx_bps: float | None = None
    blk_read_bps: float | None = None
    blk_write_bps: float | None = None
    time: float = 0.0

    @property
    def mem_pct(self) -> float | None:
        if self.mem_bytes is None or not self.mem_limit:
            return None
        return 100.0 * self.mem_bytes / self.mem_limit


@dataclass(frozen=True)
class Image:
    id: str
    engine: str
    tags: tuple[str, ...]
    size: int
    created: float


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    engine: str
    mode: str  # replicated | global
    replicas_running: int
    replicas_desired: int | None
    image: str
    ports: str = ""


# ---------------------------------------------------------------- libvirt


@dataclass(frozen=True)
class Domain:
    name: str
    hypervisor: str
    state: str  # running | shut off | paused | crashed | pmsuspended | ...
    vcpus: int | None = None
    memory_kib: int | None = None
    cpu_pct: float | None = None
    uptime_s: float | None = None
    uuid: str = ""


# ---------------------------------------------------------------- ssh


@dataclass(frozen=True)
class HostMetrics:
    uptime_s: float | None = None
    load1: float | None = None
    load5: float | None = None
    load15: float | None = None
    cpu_pct: float | None = None
    mem_total: int | None = None
    mem_used: int | None = None
    disk_root_pct: float | None = None
    disk_fullest_mount: str | None = None
    disk_fullest_pct: float | None = None
    net_rx_bps: float | None = None
    net_tx_bps: float | None = None


HOST_ERROR_KINDS = ("refused", "timeout", "auth", "hostkey", "unknown-hostkey", "dns", "error")


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    port: int = 22
    user: str | None = None
    reachable: bool = False
    error: str | None = None
    error_kind: str | None = None  # one of HOST_ERROR_KINDS when unreachable
    metrics: HostMetrics | None = None
    local: bool = False


@dataclass(frozen=True)
class CommandOutput:
    """One line (or the end) of a command run on a host."""

    host: str
    line: str = ""
    stream: str = "stdout"  # stdout | stderr
    exit_code: int | None = None  # set on the final record only
    done: bool = False
    error: str | None = None


# ---------------------------------------------------------------- ceph

HEALTH_ORDER = {"HEALTH_OK": 0, "HEALTH_WARN": 1, "HEALTH_ERR": 2}


@dataclass(frozen=True)
class HealthCheck:
    code: str
    severity: str  # HEALTH_WARN | HEALTH_ERR
    summary: str
    count: int | None = None
    muted: bool = False
    detail: tuple[str, ...] = ()


@dataclass(frozen=True)
class PoolUsage:
    name: str
    id: int
    stored: int
    objects: int
    percent_used: float
    max_avail: int


@dataclass(frozen=True)
class OsdNode:
    id: int
    name: str
    type: str  # root | host | osd
    status: str | None = None  # up | down (osds)
    reweight: float | None = None  # 0 = out
    crush_weight: float | None = None
    children: tuple[int, ...] = ()


@dataclass(frozen=True)
class CephStatus:
    cluster: str
    health: str  # HEALTH_OK | HEALTH_WARN | HEALTH_ERR
    checks: tuple[HealthCheck, ...] = ()
    fsid: str = ""
    num_mons: int = 0
    quorum: tuple[str, ...] = ()
    mgr_available: bool = False
    mgr_standbys: int = 0
    num_osds: int = 0
    num_up_osds: int = 0
    num_in_osds: int = 0
    pgs_by_state: tuple[tuple[str, int], ...] = ()
    num_pgs: int = 0
    num_pools: int = 0
    num_objects: int = 0
    bytes_used: int = 0
    bytes_avail: int = 0
    bytes_total: int = 0
    read_bps: float = 0.0
    write_bps: float = 0.0
    read_ops: float = 0.0
    write_ops: float = 0.0
    time: float = 0.0

    @property
    def severity_rank(self) -> int:
        return HEALTH_ORDER.get(self.health, 2)


def to_jsonable(obj: Any) -> Any:
    """dataclasses -> dicts, tuples -> lists (for `status --json`)."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: to_jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj
