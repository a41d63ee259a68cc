"""Deterministic fake data for snapshot tests (a plausible small cloud)."""

from __future__ import annotations

import time

from megam_tui.backends.ceph_models import CephOsdTree, CephPools
from megam_tui.backends.docker_models import ContainersSnapshot, StatsSnapshot
from megam_tui.backends.vms import DomainsSnapshot
from megam_tui.models import (
    BackendState, CephStatus, Container, ContainerStats, Domain, Event, HealthCheck, Host, HostMetrics,
    OsdNode, PoolUsage,
)

T0 = 1_764_000_000.0  # fixed event times


def feed(now: float | None = None) -> list[tuple[str, object]]:
    now = time.time() if now is None else now
    hour = 3600.0
    containers = (
        Container("a1" * 32, "web", "local", "nginx:1.27", "running", "Up 3 hours", created=now - 30 * hour,
                  started_at=now - 3 * hour - 60, ports="0.0.0.0:8080->80/tcp", project="shop"),
        Container("b2" * 32, "db", "local", "postgres:16", "running", "Up 3 hours (healthy)", health="healthy",
                  created=now - 30 * hour, started_at=now - 3 * hour - 60, ports="5432/tcp", project="shop"),
        Container("c3" * 32, "worker [red]x[/]", "local", "busybox:local", "exited", "Exited (3) 2 hours ago",
                  exit_code=3, created=now - 5 * hour, project="shop"),
        Container("d4" * 32, "cache", "local", "redis:7", "paused", "Up 3 hours (Paused)", created=now - 30 * hour,
                  started_at=now - 3 * hour - 60),
    )
    stats = (
        ContainerStats("a1" * 32, cpu_pct=12.5, mem_bytes=48 << 20, mem_limit=512 << 20, net_rx_bps=2048, net_tx_bps=9000,
                       blk_read_bps=0, blk_write_bps=4096, time=now),
        ContainerStats("b2" * 32, cpu_pct=3.2, mem_bytes=210 << 20, mem_limit=1 << 30, net_rx_bps=900, net_tx_bps=800,
                       blk_read_bps=1024, blk_write_bps=65536, time=now),
    )
    domains = (
        Domain("vm-web", "kvm1", "running", vcpus=2, memory_kib=2 << 20, cpu_pct=4.0, uptime_s=2 * 86400),
        Domain("vm-build", "kvm1", "shut off", vcpus=4, memory_kib=8 << 20),
        Domain("vm-db", "kvm1", "paused", vcpus=2, memory_kib=4 << 20, uptime_s=3600),
    )
    m = HostMetrics(uptime_s=12 * 86400, load1=0.42, load5=0.35, load15=0.3, cpu_pct=7.5, mem_total=16 << 30,
                    mem_used=5 << 30, disk_root_pct=41.0, disk_fullest_mount="/var", disk_fullest_pct=77.0,
                    net_rx_bps=120_000, net_tx_bps=45_000)
    hosts = [
        Host("node1", "10.0.0.11", 22, "root", reachable=True, metrics=m),
        Host("node2", "10.0.0.12", 22, "root", reachable=True, metrics=m),
        Host("edge", "10.0.0.13", 22, "root", reachable=False, error="edge (10.0.0.13:22): no SSH banner within 3s",
             error_kind="timeout"),
    ]
    ceph = CephStatus(
        "lab", "HEALTH_WARN",
        checks=(
            HealthCheck("OSD_DOWN", "HEALTH_WARN", "1 osds down", 1, detail=("osd.2 (root=default,host=node1) is down",)),
            HealthCheck("OSDMAP_FLAGS", "HEALTH_WARN", "noout flag(s) set", None),
        ),
        fsid="f" * 8, num_mons=1, quorum=("mon0",), mgr_available=True, num_osds=3, num_up_osds=2, num_in_osds=3,
        pgs_by_state=(("active+clean", 6), ("active+undersized", 3)), num_pgs=9, num_pools=2, num_objects=4,
        bytes_used=14 << 20, bytes_avail=754 << 20, bytes_total=768 << 20, time=now,
    )
    tree = CephOsdTree("lab", (
        OsdNode(-1, "default", "root", children=(-2,)),
        OsdNode(-2, "node1", "host", children=(0, 1, 2)),
        OsdNode(0, "osd.0", "osd", "up", 1.0, 1.0),
        OsdNode(1, "osd.1", "osd", "up", 1.0, 1.0),
        OsdNode(2, "osd.2", "osd", "down", 1.0, 1.0),
    ))
    pools = CephPools("lab", (PoolUsage("rbd", 1, 4 << 20, 4, 0.5, 700 << 20), PoolUsage("device_health_metrics", 2, 0, 0, 0.0, 700 << 20)),
                      total_bytes=768 << 20, avail_bytes=754 << 20, used_raw_bytes=14 << 20)
    events = [
        Event(T0, "docker", "warn", "local", "container died (exit 3)", object="worker [red]x[/]", kind="die"),
        Event(T0 + 5, "ceph", "warn", "lab", "HEALTH_WARN (was HEALTH_OK): 1 osds down", kind="health"),
        Event(T0 + 9, "ssh", "error", "edge", "edge unreachable: no SSH banner within 3s", object="edge", kind="down"),
    ]
    out: list[tuple[str, object]] = [
        ("docker", ContainersSnapshot("local", containers, BackendState("docker", "local", True))),
        ("docker", StatsSnapshot("local", stats, time=now)),
        ("libvirt", BackendState("libvirt", "kvm1", True)),
        ("libvirt", DomainsSnapshot("kvm1", domains)),
        ("ceph", BackendState("ceph", "lab", True)),
        ("ceph", ceph),
        ("ceph", tree),
        ("ceph", pools),
    ]
    out += [("ssh", h) for h in hosts]
    out += [(e.layer, e) for e in events]
    return out
