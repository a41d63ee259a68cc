"""Host metrics from ONE short remote command that reads /proc (plus a bounded df).

`METRICS_COMMAND` prints sections introduced by `@name` lines; `parse_sample`
turns that text into a `RawSample`; `compute_metrics(sample, previous)` gives
models.HostMetrics with CPU % and network rates from the delta to the previous
sample of the same host (None on the first sample). The remote uptime is the
clock for rates, so network latency does not distort them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from megam_tui.models import HostMetrics

# Plain POSIX sh, shell builtins only except `timeout df` (process creation is the
# dominant cost of a probe on small or sandboxed hosts). The resident shell (see
# ssh_shell) is given METRICS_FUNCTIONS once; each refresh then sends one short call,
# `megam_probe <df|-> <marker>`. The function gathers every line as a positional
# parameter and prints them with ONE printf, marker included: one write, one SSH
# packet (an `echo` a line was ~20 packets, each encrypted, sent and decrypted).
# /proc/meminfo: the first five lines hold every field the parser reads (MemTotal,
# MemFree, MemAvailable, Buffers, Cached; older kernels without MemAvailable still
# have the other four there), and `read` reads byte by byte: no need for all 55 lines.
# df (two processes on the host) runs when `disks_due` (every DF_INTERVAL s), bounded
# by `timeout` where available (a hung NFS mount must not hang the probe). Every
# section is optional for the parser.
METRICS_FUNCTIONS = (
    "LC_ALL=C; export LC_ALL; "
    'megam_probe() { megam_d=$1; megam_m=$2; set --; '
    "for megam_f in uptime loadavg; do "
    'read -r megam_l < /proc/$megam_f; set -- "$@" "@$megam_f" "$megam_l"; done; '
    'read -r megam_l < /proc/stat; set -- "$@" @stat "$megam_l" @meminfo; '
    "{ read -r megam_a; read -r megam_b; read -r megam_c; read -r megam_e; read -r megam_g; } < /proc/meminfo; "
    'set -- "$@" "$megam_a" "$megam_b" "$megam_c" "$megam_e" "$megam_g" @netdev; '
    'while IFS= read -r megam_l || [ -n "$megam_l" ]; do set -- "$@" "$megam_l"; done < /proc/net/dev; '
    'if [ "$megam_d" = df ]; then printf \'%s\\n\' "$@" @df; '
    "{ if command -v timeout >/dev/null 2>&1; then timeout 2 df -P -k; else df -P -k; fi; } 2>/dev/null; "
    'printf \'%s\\n\' @end $megam_m; '
    'else printf \'%s\\n\' "$@" @end $megam_m; fi; }'
)
DF_INTERVAL = 30.0  # seconds between disk usage reads (SSH hosts' df, the local statvfs)


def disks_due(last_at: float | None, now: float, interval: float) -> bool:
    """Whether disk usage should be read again: never read, or `interval` s since it was.

    Half a second early counts as due: a probe that comes slightly early (a refresh
    that divides the interval) must not skip a whole round."""
    return last_at is None or now - last_at >= interval - 0.5


def metrics_call(with_df: bool, marker: str = "") -> str:
    """The line that runs one probe in a shell that was given METRICS_FUNCTIONS.

    `marker` (no spaces) is printed as the last line; if the function is missing
    (a shell that refused the definition) the marker is still printed, after an
    empty answer, so the caller never waits for its deadline."""
    call = f"megam_probe {'df' if with_df else '-'} {marker}".rstrip()
    return f"{call} || echo {marker}" if marker else call


# The whole probe as one command line (for a one-shot `sh -c`, and the tests).
METRICS_COMMAND = f"{METRICS_FUNCTIONS}; {metrics_call(True)}"


# Filesystems that are not disks: never the "fullest mount".
_PSEUDO_FS = ("tmpfs", "devtmpfs", "udev", "overlay", "shm", "none", "proc", "sysfs", "cgroup", "efivarfs")
_PSEUDO_MOUNT_PREFIXES = ("/proc", "/sys", "/dev", "/run", "/snap", "/var/lib/docker", "/var/snap")


@dataclass(frozen=True)
class RawSample:
    uptime_s: float | None = None
    load: tuple[float, float, float] | None = None
    cpu_total: int | None = None  # jiffies, all fields of the "cpu" line
    cpu_idle: int | None = None  # idle + iowait
    mem_total: int | None = None  # bytes
    mem_available: int | None = None  # bytes
    net_rx: int | None = None  # bytes, all interfaces but lo
    net_tx: int | None = None
    disks: tuple[tuple[str, str, float], ...] = field(default=())  # (filesystem, mount, used %)


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("@") and " " not in line.strip():
            current = out.setdefault(line.strip()[1:], [])
        elif current is not None:
            current.append(line)
    return out


def _floats(line: str, n: int) -> list[float] | None:
    try:
        vals = [float(x) for x in line.split()[:n]]
    except ValueError:
        return None
    return vals if len(vals) == n else None


def parse_sample(text: str) -> RawSample:
    """Parse METRICS_COMMAND output; missing or garbled sections give None fields."""
    s = _sections(text)
    uptime = None
    if s.get("uptime"):
        v = _floats(s["uptime"][0], 1)
        uptime = v[0] if v else None
    load = None
    if s.get("loadavg"):
        v = _floats(s["loadavg"][0], 3)
        load = (v[0], v[1], v[2]) if v else None
    cpu_total = cpu_idle = None
    for line in s.get("stat", []):
        parts = line.split()
        if parts and parts[0] == "cpu":
            try:
                nums = [int(x) for x in parts[1:]]
            except ValueError:
                break
            # user nice system idle iowait irq softirq steal [guest guest_nice]
            # guest time is already counted in user/nice: leave it out of the total.
            core = nums[:8]
            if len(core) >= 4:
                cpu_total = sum(core)
                cpu_idle = core[3] + (core[4] if len(core) > 4 else 0)
            break
    mem: dict[str, int] = {}
    for line in s.get("meminfo", []):
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts:
            try:
                mem[key.strip()] = int(parts[0]) * 1024
            except ValueError:
                pass
    mem_total = mem.get("MemTotal")
    mem_avail = mem.get("MemAvailable")
    if mem_avail is None and mem_total is not None and "MemFree" in mem:
        mem_avail = mem["MemFree"] + mem.get("Buffers", 0) + mem.get("Cached", 0)
    rx = tx = None
    for line in s.get("netdev", []):
        name, sep, rest = line.partition(":")
        if not sep or "|" in line:
            continue
        fields = rest.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        try:
            r, t = int(fields[0]), int(fields[8])
        except ValueError:
            continue
        rx = (rx or 0) + r
        tx = (tx or 0) + t
    disks = []
    for line in s.get("df", [])[1:]:
        parts = line.split()
        if len(parts) < 6 or not parts[4].endswith("%"):
            continue
        try:
            pct = float(parts[4][:-1])
        except ValueError:
            continue
        disks.append((parts[0], " ".join(parts[5:]), pct))
    return RawSample(uptime, load, cpu_total, cpu_idle, mem_total, mem_avail, rx, tx, tuple(disks))


def _is_real_disk(fs: str, mount: str) -> bool:
    if fs in _PSEUDO_FS or fs.startswith("/dev/loop"):
        return False
    return not any(mount == p or mount.startswith(p + "/") for p in _PSEUDO_MOUNT_PREFIXES)


def compute_metrics(sample: RawSample, previous: RawSample | None = None) -> HostMetrics:
    """HostMetrics from one sample; CPU % and net rates need `previous` (same host)."""
    cpu_pct = rx_bps = tx_bps = None
    if previous is not None:
        if None not in (sample.cpu_total, sample.cpu_idle, previous.cpu_total, previous.cpu_idle):
            dt = sample.cpu_total - previous.cpu_total  # type: ignore[operator]
            di = sample.cpu_idle - previous.cpu_idle  # type: ignore[operator]
            if dt > 0 and 0 <= di <= dt:
                cpu_pct = 100.0 * (dt - di) / dt
        if None not in (sample.uptime_s, previous.uptime_s):
            secs = sample.uptime_s - previous.uptime_s  # type: ignore[operator]
            if secs > 0:
                if sample.net_rx is not None and previous.net_rx is not None and sample.net_rx >= previous.net_rx:
                    rx_bps = (sample.net_rx - previous.net_rx) / secs
                if sample.net_tx is not None and previous.net_tx is not None and sample.net_tx >= previous.net_tx:
                    tx_bps = (sample.net_tx - previous.net_tx) / secs
    mem_used = None
    if sample.mem_total is not None and sample.mem_available is not None:
        mem_used = max(0, sample.mem_total - sample.mem_available)
    root_pct = None
    fullest: tuple[str, float] | None = None
    for fs, mount, pct in sample.disks:
        if mount == "/":
            root_pct = pct
        if _is_real_disk(fs, mount) and (fullest is None or pct > fullest[1]):
            fullest = (mount, pct)
    load = sample.load or (None, None, None)
    return HostMetrics(
        uptime_s=sample.uptime_s,
        load1=load[0],
        load5=load[1],
        load15=load[2],
        cpu_pct=cpu_pct,
        mem_total=sample.mem_total,
        mem_used=mem_used,
        disk_root_pct=root_pct,
        disk_fullest_mount=fullest[0] if fullest else None,
        disk_fullest_pct=fullest[1] if fullest else None,
        net_rx_bps=rx_bps,
        net_tx_bps=tx_bps,
    )
