"""Parsers for `virsh` text output (no I/O here; tested with recorded output).

- `split_listing`   `virsh "list --all --name; echo MARK; domstats --raw ..."`
                    (LISTING_COMMAND, or STATE_COMMAND: states only)
- `parse_names`     `virsh list --all --name`
- `parse_domstats`  `virsh domstats --raw ...` -> {domain: {key: value}}
- `parse_dominfo`   `virsh dominfo NAME`       -> {field: value}
- `parse_event`     one line of `virsh event --all --loop --timestamp`
- `cpu_percent`     CPU % from two cpu.time samples
- `proc_stat_fields` a /proc/PID/stat line's fields (starttime, utime + stime)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# virDomainState (libvirt-domain.h) -> the words `virsh domstate` prints.
STATE_NAMES = {
    0: "no state",
    1: "running",
    2: "idle",
    3: "paused",
    4: "in shutdown",
    5: "shut off",
    6: "crashed",
    7: "pmsuspended",
}
# States in which the domain has a running qemu (CPU time, uptime).
ACTIVE_STATES = ("running", "idle", "paused", "in shutdown", "pmsuspended")

# Lifecycle event word (virsh event) -> the kind the timeline shows, and its severity.
EVENT_KINDS = {
    "defined": ("defined", "info"),
    "undefined": ("undefined", "info"),
    "started": ("started", "info"),
    "suspended": ("suspended", "info"),
    "resumed": ("resumed", "info"),
    "stopped": ("stopped", "info"),
    "shutdown": ("shutdown", "info"),
    "pmsuspended": ("suspended", "info"),
    "crashed": ("crashed", "error"),
}


LISTING_MARK = "megam-split"
# One virsh invocation (virsh's own command separator, no shell): the names, a
# marker line, then the stats of every domain. Holds no domain name.
LISTING_COMMAND = f"list --all --name; echo {LISTING_MARK}; domstats --raw --state --cpu-total --balloon --vcpu"
# The same without the figures QEMU must be asked for (its monitor: ~2-3 ms of qemu CPU per
# running domain and poll): only states. Used for local qemu:///system domains, whose CPU time the
# host's /proc gives (vms_local); same parser (split_listing).
STATE_COMMAND = f"list --all --name; echo {LISTING_MARK}; domstats --raw --state"


def split_listing(text: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Output of LISTING_COMMAND -> (names, domstats). ValueError if the marker is missing."""
    lines = text.splitlines()
    # virsh reading commands from stdin (VirshShell) prints `echo` without its newline:
    # the marker is then glued to the first line of domstats. The last such line is the
    # marker (domstats lines start with "Domain:" or blanks; a domain may be named anything).
    cut = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith(LISTING_MARK)), None)
    if cut is None:
        raise ValueError("unexpected virsh output (no listing marker)")
    rest = [lines[cut][len(LISTING_MARK):], *lines[cut + 1 :]]
    return parse_names("\n".join(lines[:cut])), parse_domstats("\n".join(rest))


def parse_names(text: str) -> list[str]:
    """Domain names, one per line; blank lines dropped (names may contain spaces)."""
    return [line for line in text.splitlines() if line.strip()]


_DOMAIN_HEADER = re.compile(r"^Domain: '(.*)'\s*$")


def parse_domstats(text: str) -> dict[str, dict[str, str]]:
    """`Domain: 'NAME'` blocks of indented `key=value` lines.

    The name is everything between the first `'` and the last `'` of the
    header, so names holding quotes survive.
    """
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        m = _DOMAIN_HEADER.match(line)
        if m:
            current = out.setdefault(m.group(1), {})
            continue
        if current is None or "=" not in line:
            continue
        key, _, value = line.strip().partition("=")
        current[key] = value
    return out


def stat_int(stats: dict[str, str], key: str) -> int | None:
    try:
        return int(stats[key])
    except (KeyError, ValueError):
        return None


def state_name(stats: dict[str, str]) -> str:
    code = stat_int(stats, "state.state")
    if code is None:
        return "unknown"
    return STATE_NAMES.get(code, f"state {code}")


def parse_dominfo(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def dominfo_memory_kib(info: dict[str, str]) -> int | None:
    """`Used memory: 65536 KiB` -> 65536."""
    raw = info.get("Used memory") or info.get("Max memory") or ""
    m = re.match(r"(\d+)\s*KiB", raw)
    return int(m.group(1)) if m else None


def dominfo_vcpus(info: dict[str, str]) -> int | None:
    try:
        return int(info.get("CPU(s)", ""))
    except ValueError:
        return None


@dataclass(frozen=True)
class LifecycleEvent:
    domain: str
    event: str  # the event's type word, e.g. "lifecycle", "reboot"
    kind: str  # lifecycle: started | stopped | suspended | ... ; else the event type
    detail: str  # e.g. "Destroyed", "Booted", "Paused"
    timestamp: str = ""


_EVENT_LINE = re.compile(
    r"^(?:(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?[+-]\d{4}): )?"
    r"event '(?P<event>[^']+)' for domain '(?P<domain>.*)'(?::\s*(?P<rest>.*))?$"
)


def parse_event(line: str) -> LifecycleEvent | None:
    """`[TS: ]event 'lifecycle' for domain 'NAME': Stopped Destroyed` -> LifecycleEvent.

    The name is greedy up to the last `'` before `:` (names may hold quotes).
    Lines that are not events (errors, "events received: 0") give None.
    """
    line = line.rstrip("\r\n")
    m = _EVENT_LINE.match(line)
    if not m:
        return None
    event = m.group("event")
    rest = (m.group("rest") or "").strip()
    if event == "lifecycle":
        word, _, detail = rest.partition(" ")
        kind = word.lower() or "lifecycle"
    else:
        kind, detail = event, rest
    return LifecycleEvent(m.group("domain"), event, kind, detail.strip(), m.group("ts") or "")


def cpu_percent(prev_cpu_ns: int, prev_wall_ns: int, cpu_ns: int, wall_ns: int, vcpus: int) -> float | None:
    """delta(cpu.time) / (delta(wall) * vcpus) * 100; None when not computable."""
    dwall = wall_ns - prev_wall_ns
    dcpu = cpu_ns - prev_cpu_ns
    if dwall <= 0 or dcpu < 0 or vcpus <= 0:
        return None
    return max(0.0, min(100.0, dcpu / (dwall * vcpus) * 100.0))


def proc_stat_fields(stat_text: str) -> list[str] | None:
    """The fields of a /proc/PID/stat line after the command name: index 0 is field 3 (state).

    The command name (field 2) may hold spaces and parentheses: split after the last `)`.
    """
    _, sep, rest = stat_text.rpartition(")")
    return rest.split() if sep else None


def _stat_int(stat_text: str, field: int) -> int | None:
    """Field number `field` (1-based, as in proc(5)) of a /proc/PID/stat line."""
    fields = proc_stat_fields(stat_text)
    try:
        return int(fields[field - 3]) if fields is not None else None
    except (IndexError, ValueError):
        return None


def proc_starttime_ticks(stat_text: str) -> int | None:
    """Field 22 (starttime, clock ticks after boot) of /proc/PID/stat."""
    return _stat_int(stat_text, 22)


def proc_cpu_ticks(stat_text: str) -> int | None:
    """utime + stime (fields 14 and 15, clock ticks) of /proc/PID/stat."""
    utime, stime = _stat_int(stat_text, 14), _stat_int(stat_text, 15)
    return None if utime is None or stime is None else utime + stime


def boot_time(proc_stat_text: str) -> float | None:
    """`btime N` line of /proc/stat."""
    for line in proc_stat_text.splitlines():
        if line.startswith("btime "):
            try:
                return float(line.split()[1])
            except (IndexError, ValueError):
                return None
    return None


PROC_MARK = "megam-proc"
# Appended (after `;`) to the remote listing on a qemu:///system host: the host's clock,
# boot time, clock ticks and the /proc/PID/stat line of each domain's qemu (uptime, and a
# CPU % measured on the host's own clock). Constant text: no name or config value in it.
REMOTE_PROC_SCRIPT = (
    f"echo {PROC_MARK}; date +%s%N; grep '^btime ' /proc/stat; getconf CLK_TCK; "
    "for f in /run/libvirt/qemu/*.pid; do [ -r \"$f\" ] || continue; p=$(cat \"$f\"); "
    "n=${f##*/}; printf '%s\\t%s\\n' \"${n%.pid}\" \"$(cat \"/proc/$p/stat\" 2>/dev/null)\"; done"
)


@dataclass(frozen=True)
class HostProc:
    now_ns: int  # the host's wall clock when the listing finished
    uptimes: dict[str, float]  # domain name -> seconds its qemu process has run


def split_proc(text: str) -> tuple[str, HostProc | None]:
    """Split REMOTE_PROC_SCRIPT's section off a remote listing's stdout."""
    lines = text.splitlines()
    try:
        cut = lines.index(PROC_MARK)
    except ValueError:
        return text, None
    head = "\n".join(lines[:cut]) + "\n"
    rest = lines[cut + 1 :]
    try:
        now_ns = int(rest[0])
        btime = boot_time(rest[1])
        ticks_per_s = int(rest[2])
    except (IndexError, ValueError):
        return head, None
    if btime is None or ticks_per_s <= 0:
        return head, None
    uptimes = {}
    for line in rest[3:]:
        name, sep, stat = line.partition("\t")
        start = proc_starttime_ticks(stat) if sep else None
        if start is not None:
            uptimes[name] = max(0.0, now_ns / 1e9 - (btime + start / ticks_per_s))
    return head, HostProc(now_ns, uptimes)
