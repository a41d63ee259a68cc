"""Container stats: cgroup files for local engines, one-shot API for remote ones.

Pure math (`Sample`, `rates`, `sample_from_api`, `read_cgroup`, ...) is kept
apart from the thread so it can be tested against recorded files/JSON.

CPU % is "% of one core" (the `docker stats` convention):
  cgroup: delta(cpu ns) / delta(wall ns) * 100
  API:    delta(total_usage) / delta(system_cpu_usage) * online_cpus * 100
Memory is usage minus inactive file cache (v1: total_inactive_file, v2:
inactive_file), as the Docker CLI shows it. An unlimited limit is reported as
the host's memory (as the engine does).
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from megam_tui.backends.base import StreamThread
from megam_tui.backends.docker_client import make_client
from megam_tui.backends.docker_events import KeptPing, plain_unix_path
from megam_tui.backends.docker_models import StatsSnapshot
from megam_tui.models import ContainerStats

if TYPE_CHECKING:
    from megam_tui.backends.docker import DockerLayer

UNLIMITED = 1 << 62  # cgroup v1 reports ~2^63 for "no limit"


@dataclass(frozen=True)
class Sample:
    """Cumulative counters of one container at one moment."""

    time: float  # wall clock, seconds
    cpu_ns: int | None = None
    system_ns: int | None = None  # API only: host CPU time (all cores)
    online_cpus: int | None = None
    mem_bytes: int | None = None
    mem_limit: int | None = None
    net_rx: int | None = None
    net_tx: int | None = None
    blk_read: int | None = None
    blk_write: int | None = None
    mem_inactive: int | None = None  # cgroup only: inactive page cache (subtracted from mem_bytes)


def _delta(cur: int | None, prev: int | None) -> int | None:
    if cur is None or prev is None or cur < prev:  # counter reset (restart)
        return None
    return cur - prev


def rates(cid: str, cur: Sample, prev: Sample | None) -> ContainerStats:
    """ContainerStats from two samples (rates need `prev`; memory does not)."""
    cpu = net_rx = net_tx = blk_r = blk_w = None
    if prev is not None:
        dt = cur.time - prev.time
        dcpu = _delta(cur.cpu_ns, prev.cpu_ns)
        if dcpu is not None:
            if cur.system_ns is not None and prev.system_ns is not None:
                dsys = _delta(cur.system_ns, prev.system_ns)
                if dsys:
                    cpu = dcpu / dsys * (cur.online_cpus or 1) * 100.0
            elif dt > 0:
                cpu = dcpu / (dt * 1e9) * 100.0
        if dt > 0:
            net_rx = _rate(cur.net_rx, prev.net_rx, dt)
            net_tx = _rate(cur.net_tx, prev.net_tx, dt)
            blk_r = _rate(cur.blk_read, prev.blk_read, dt)
            blk_w = _rate(cur.blk_write, prev.blk_write, dt)
    return ContainerStats(
        id=cid,
        cpu_pct=cpu,
        mem_bytes=cur.mem_bytes,
        mem_limit=cur.mem_limit,
        net_rx_bps=net_rx,
        net_tx_bps=net_tx,
        blk_read_bps=blk_r,
        blk_write_bps=blk_w,
        time=cur.time,
    )


def _rate(cur: int | None, prev: int | None, dt: float) -> float | None:
    d = _delta(cur, prev)
    return None if d is None else d / dt


# ---------------------------------------------------------------- API JSON


def mem_used(usage: int | None, stats: dict[str, Any]) -> int | None:
    if usage is None:
        return None
    for key in ("total_inactive_file", "inactive_file"):  # v1, v2
        v = stats.get(key)
        if v is not None and v < usage:
            return usage - v
    return usage


def sample_from_api(js: dict[str, Any], now: float | None = None) -> Sample:
    """A Sample from GET /containers/{id}/stats JSON (v1 or v2 engine)."""
    cpu = js.get("cpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    online = cpu.get("online_cpus") or len(usage.get("percpu_usage") or []) or None
    mem = js.get("memory_stats") or {}
    rx = tx = None
    nets = js.get("networks")
    if nets:
        rx = sum(int(n.get("rx_bytes", 0)) for n in nets.values())
        tx = sum(int(n.get("tx_bytes", 0)) for n in nets.values())
    br = bw = None
    entries = (js.get("blkio_stats") or {}).get("io_service_bytes_recursive")
    if entries is not None:
        br = sum(int(e.get("value", 0)) for e in entries if str(e.get("op", "")).lower() == "read")
        bw = sum(int(e.get("value", 0)) for e in entries if str(e.get("op", "")).lower() == "write")
    return Sample(
        time=time.time() if now is None else now,
        cpu_ns=usage.get("total_usage"),
        system_ns=cpu.get("system_cpu_usage"),
        online_cpus=online,
        mem_bytes=mem_used(mem.get("usage"), mem.get("stats") or {}),
        mem_limit=mem.get("limit"),
        net_rx=rx,
        net_tx=tx,
        blk_read=br,
        blk_write=bw,
    )


def cpu_pct_from_api(js: dict[str, Any]) -> float | None:
    """CPU % from one `stream=false` reply (it carries precpu_stats)."""
    pre = js.get("precpu_stats") or {}
    if not (pre.get("cpu_usage") or {}).get("total_usage") or not pre.get("system_cpu_usage"):
        return None
    cur = sample_from_api(js, 1.0)
    prev = sample_from_api({"cpu_stats": pre}, 0.0)
    return rates("", cur, prev).cpu_pct


# ---------------------------------------------------------------- cgroup files


def _read(path: Path | str) -> str | None:
    """One small proc/cgroup file (os.read: ~3x cheaper than open())."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 1 << 16).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


class KeptFiles:
    """Small cgroup / proc files opened once and re-read with pread(offset 0) every tick.

    Opening and closing ~1000 files every 2 s (200 containers) was most of the stats
    thread's cost (path lookups in the kernel); pread on a kept descriptor is ~5x
    cheaper. A file whose cgroup or process went away fails its read (ENODEV/ESRCH):
    it is closed and reopened next time. At most `limit` descriptors are kept; past
    that, files are read the plain way.
    """

    def __init__(self, limit: int | None = None) -> None:
        if limit is None:  # a quarter of the soft descriptor limit, at most 2048
            try:
                import resource

                limit = min(2048, resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 4)
            except (ImportError, OSError, ValueError):
                limit = 256
        self.limit = limit
        self._fds: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._fds)

    def read(self, path: Path | str) -> str | None:
        path = str(path)
        fd = self._fds.get(path)
        if fd is None:
            if len(self._fds) >= self.limit:
                return _read(path)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return None
            self._fds[path] = fd
        try:
            return os.pread(fd, 1 << 16, 0).decode("ascii", "replace")
        except OSError:
            self.forget(path)
            return None

    def forget(self, *paths: Path | str | None) -> None:
        for path in paths:
            fd = self._fds.pop(str(path), None) if path is not None else None
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def close(self) -> None:
        self.forget(*list(self._fds))


def stat_value(text: str | None, key: str) -> int | None:
    """The value of `key` in a "name value" per line file, without parsing all lines."""
    if not text:
        return None
    i = 0 if text.startswith(key + " ") else text.find("\n" + key + " ")
    if i < 0:
        return None
    start = i + len(key) + (1 if i == 0 else 2)
    end = text.find("\n", start)
    try:
        return int(text[start : end if end >= 0 else None])
    except ValueError:
        return None


def _int(path: Path | str, read: Any = _read) -> int | None:
    text = read(path)
    if text is None:
        return None
    text = text.strip()
    if text == "max":
        return UNLIMITED
    try:
        return int(text)
    except ValueError:
        return None


def cpu_ns_of(path: str, v2: bool, read: Any = _read) -> int | None:
    """Cumulative CPU ns of a cgroup from its cpu file (v2 cpu.stat, v1 cpuacct.usage)."""
    if v2:
        usec = stat_value(read(path), "usage_usec")
        return None if usec is None else usec * 1000
    return _int(path, read)


def parse_kv(text: str | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in (text or "").splitlines():
        k, _, v = line.partition(" ")
        try:
            out[k] = int(v)
        except ValueError:
            pass
    return out


def parse_blkio_v1(text: str | None) -> tuple[int | None, int | None]:
    """blkio.throttle.io_service_bytes: "8:0 Read 4096" lines (+ "Total N")."""
    if text is None:
        return None, None
    r = w = 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            if parts[1] == "Read":
                r += int(parts[2])
            elif parts[1] == "Write":
                w += int(parts[2])
    return r, w


def parse_io_stat_v2(text: str | None) -> tuple[int | None, int | None]:
    """io.stat: "8:0 rbytes=1 wbytes=2 rios=3 ..." lines."""
    if text is None:
        return None, None
    r = w = 0
    for line in text.splitlines():
        for field in line.split()[1:]:
            k, _, v = field.partition("=")
            if k == "rbytes":
                r += int(v)
            elif k == "wbytes":
                w += int(v)
    return r, w


def parse_net_dev(text: str | None) -> tuple[int | None, int | None]:
    """/proc/<pid>/net/dev: sum rx/tx bytes of all interfaces but lo."""
    if text is None:
        return None, None
    rx = tx = 0
    for line in text.splitlines()[2:]:
        name, _, rest = line.partition(":")
        if name.strip() == "lo":
            continue
        cols = rest.split()
        if len(cols) >= 9:
            rx += int(cols[0])
            tx += int(cols[8])
    return rx, tx


def cgroup_dirs(pid: int, root: Path, proc: Path = Path("/proc")) -> dict[str, Path] | None:
    """Controller -> cgroup directory of process `pid` (v1 hybrid or pure v2)."""
    text = _read(proc / str(pid) / "cgroup")
    if text is None:
        return None
    dirs: dict[str, Path] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, rel = parts
        rel = rel.lstrip("/")
        if controllers == "":
            unified = root / "unified" / rel if (root / "unified").is_dir() else root / rel
            dirs["unified"] = unified
            continue
        for ctl in controllers.split(","):
            if ctl in ("cpuacct", "memory", "blkio"):
                base = root / controllers if (root / controllers).is_dir() else root / ctl
                dirs[ctl] = base / rel
    if "cpuacct" in dirs and "memory" in dirs:
        return {k: v for k, v in dirs.items() if k != "unified"}
    if "unified" in dirs and (dirs["unified"] / "cpu.stat").exists():
        return {"unified": dirs["unified"]}
    return None


def host_mem_total(proc: Path = Path("/proc")) -> int | None:
    for line in (_read(proc / "meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


@dataclass(frozen=True)
class CgroupFiles:
    """The file paths one sample reads (computed once per container)."""

    v2: bool
    cpu: str
    mem_usage: str
    mem_stat: str
    mem_limit: str
    blk: str | None

    @classmethod
    def of(cls, dirs: dict[str, Path]) -> CgroupFiles:
        if "unified" in dirs:
            d = str(dirs["unified"])
            return cls(True, f"{d}/cpu.stat", f"{d}/memory.current", f"{d}/memory.stat", f"{d}/memory.max", f"{d}/io.stat")
        m = str(dirs["memory"])
        blk = f"{dirs['blkio']}/blkio.throttle.io_service_bytes" if "blkio" in dirs else None
        return cls(False, f"{dirs['cpuacct']}/cpuacct.usage", f"{m}/memory.usage_in_bytes", f"{m}/memory.stat", f"{m}/memory.limit_in_bytes", blk)


def read_cgroup(
    dirs: dict[str, Path] | CgroupFiles,
    now: float | None = None,
    *,
    net_dev: Path | str | None = None,
    mem_total: int | None = None,
    limit: int | None = None,
    inactive: int | None = None,
    read: Any = _read,
) -> Sample:
    """One Sample from the cgroup directories found by `cgroup_dirs` (or their CgroupFiles).

    `limit`: a memory limit read earlier (limits rarely change; saves a read).
    `inactive`: the inactive page cache read earlier from memory.stat (the largest
    file, and a slowly moving correction term; saves a read). `read`: how a file is
    read (KeptFiles.read keeps descriptors open)."""
    now = time.time() if now is None else now
    f = dirs if isinstance(dirs, CgroupFiles) else CgroupFiles.of(dirs)
    stat = read(f.mem_stat) if inactive is None else None
    cpu_ns = cpu_ns_of(f.cpu, f.v2, read)
    if f.v2:
        if stat is not None:
            inactive = stat_value(stat, "inactive_file")
        br, bw = parse_io_stat_v2(read(f.blk)) if f.blk else (None, None)
    else:
        if stat is not None:
            inactive = stat_value(stat, "total_inactive_file")
            if inactive is None:
                inactive = stat_value(stat, "inactive_file")
        br, bw = parse_blkio_v1(read(f.blk)) if f.blk else (None, None)
    usage = _int(f.mem_usage, read)
    if limit is None:
        limit = _int(f.mem_limit)
    if limit is not None and mem_total and limit > mem_total:
        limit = mem_total  # "unlimited" (v1 ~2^63, v2 "max") -> host memory, as the engine reports
    rx, tx = parse_net_dev(read(net_dev)) if net_dev is not None else (None, None)
    return Sample(
        time=now,
        cpu_ns=cpu_ns,
        mem_bytes=None if usage is None else (usage - inactive if inactive is not None and inactive < usage else usage),
        mem_limit=limit,
        mem_inactive=inactive,
        net_rx=rx,
        net_tx=tx,
        blk_read=br,
        blk_write=bw,
    )


# ---------------------------------------------------------------- thread

# A container with no CPU, network or disk activity for QUIET_AFTER samples in a row is
# read every QUIET_EVERY-th tick and left out of the snapshots between (the pane keeps
# its last figures): 200 sleeping containers cost a fifth, and one that wakes up shows
# within QUIET_EVERY ticks.
QUIET_AFTER = 2
QUIET_EVERY = 5
# Better still: when the containers' common parent cgroup (docker/ on cgroupfs) used no
# more CPU over the last tick than the containers read in it, none of the quiet ones woke
# up: they are not read at all that tick (memory still every QUIET_MEMORY-th tick). Where
# the parent holds other work too (systemd's system.slice) the check never passes and the
# plain QUIET_EVERY schedule applies.
QUIET_MEMORY = 15
UNEXPLAINED_MAX = 0.002  # of a core: CPU of the parent not accounted for by the containers read


def _idle(st: ContainerStats) -> bool:
    return (
        st.cpu_pct is not None
        and st.cpu_pct < 0.05
        and not any((st.net_rx_bps, st.net_tx_bps, st.blk_read_bps, st.blk_write_bps))
    )



@dataclass
class _Local:
    pid: int
    files: CgroupFiles
    net_dev: str
    limit: int | None = None
    inactive: int | None = None
    ticks: int = 0
    quiet: int = 0  # samples in a row with no CPU, network or disk activity

    def paths(self) -> tuple[str | None, ...]:
        f = self.files
        return (f.cpu, f.mem_usage, f.mem_stat, f.blk, self.net_dev)


class StatsThread(StreamThread):
    """Every `settings.refresh` s: stats of all running containers of every engine."""

    def __init__(self, layer: DockerLayer, emit: Any) -> None:
        super().__init__("docker-stats")
        self.layer = layer
        self.emit = emit
        self.interval = max(0.5, float(layer.settings.refresh))
        self._prev: dict[tuple[str, str], Sample] = {}
        self._local: dict[tuple[str, str], _Local | None] = {}
        self._clients: dict[str, Any] = {}
        self._pings: dict[str, KeptPing] = {}
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._mem_total = host_mem_total()
        self.last_elapsed: dict[str, float] = {}
        self.kept = KeptFiles()
        self._tick_no: dict[str, int] = {}
        self._parent: dict[str, tuple[str, int, float] | None] = {}  # engine -> (cpu file, ns, time)
        self._all_quiet: dict[str, bool] = {}  # engine -> the parent said no quiet container woke
        self._local_version = 0  # bumped whenever _local changes: the parent path is found again
        self._parent_path: dict[str, tuple[int, tuple[str, bool] | None]] = {}  # engine -> (version, (file, v2))

    def _drop_local(self, key: tuple[str, str]) -> None:
        loc = self._local.pop(key, None)
        self._local_version += 1
        if loc is not None:
            self.kept.forget(*loc.paths())

    def stop(self) -> None:
        super().stop()
        self.kept.close()
        for pinger in list(self._pings.values()):
            pinger.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def run_once(self) -> None:
        while not self.stopping:
            start = time.monotonic()
            for engine in list(self.layer.engines):
                if self.stopping:
                    return
                try:
                    self.tick(engine)
                except Exception:  # noqa: BLE001 - reachability is the watcher's business
                    self._clients.pop(engine, None)
            if self.wait(max(0.05, self.interval - (time.monotonic() - start))):
                return

    def _client(self, engine: str) -> Any:
        c = self._clients.get(engine)
        if c is None:
            c = self._clients[engine] = make_client(self.layer.spec(engine))
        return c

    def is_local(self, engine: str) -> bool:
        url = self.layer.spec(engine).url
        return url.startswith("unix://") and os.path.exists(url[len("unix://") :])

    PING_TIMEOUT = 2.0
    # one-shot requests in flight at once for remote engines: each waits for the engine's
    # 1 s stats tick, and concurrent ones are answered on the same tick
    API_WORKERS = 32

    def _alive(self, engine: str) -> bool:
        """Ping the engine (bounded); a failure is reported through its watcher.

        The event stream notices a dead engine at once (the socket closes), but
        not a hung one: this catches that within refresh + 2 s.
        """
        w = self.layer.watchers.get(engine)
        if w is None:
            return True
        if not w.ok:
            return False  # the watcher is reconnecting and already shows why
        spec = self.layer.spec(engine)
        path = plain_unix_path(spec)
        if path is not None:
            pinger = self._pings.get(engine)
            if pinger is None:
                pinger = self._pings[engine] = KeptPing(path, min(self.PING_TIMEOUT, spec.timeout))
            try:
                pinger.ping()
                return True
            except Exception as exc:  # noqa: BLE001
                w.report_down(exc)
                return False
        key = f"ping:{engine}"
        try:
            c = self._clients.get(key)
            if c is None:
                c = self._clients[key] = make_client(spec, timeout=min(self.PING_TIMEOUT, spec.timeout), version=self._client(engine).api_version)
            c.ping()
            return True
        except Exception as exc:  # noqa: BLE001
            self._clients.pop(key, None)
            w.report_down(exc)
            return False

    def tick(self, engine: str) -> StatsSnapshot | None:
        if not self._alive(engine):
            return None
        t0 = time.monotonic()
        running = [c for c in self.layer.known.get(engine, {}).values() if c.state in ("running", "paused")]
        live = {c.id for c in running}
        for key in [k for k in self._prev if k[0] == engine and k[1] not in live]:
            self._prev.pop(key, None)
        for key in [k for k in self._local if k[0] == engine and k[1] not in live]:
            self._drop_local(key)  # also the None entries (no cgroup found), never in _prev
        if not running:
            return None
        out: list[ContainerStats] = []
        remote: list[str] = []
        local = self.is_local(engine)
        root = Path(self.layer.spec(engine).cgroup_root or "/sys/fs/cgroup")
        tick_no = self._tick_no[engine] = self._tick_no.get(engine, 0) + 1
        all_quiet = self._all_quiet.pop(engine, False)
        parent_cpu = self._parent_cpu(engine) if local else None
        explained = 0  # CPU ns since the last tick of the containers read now
        since_last = time.time() - self.interval * 1.5
        for c in running:
            known = self._local.get((engine, c.id))
            if known is not None and known.quiet >= QUIET_AFTER:
                if all_quiet:
                    if (tick_no + known.pid) % QUIET_MEMORY:
                        continue  # none of the quiet ones used CPU: nothing to read
                elif (tick_no + known.pid) % QUIET_EVERY:
                    continue  # idle: read every QUIET_EVERY-th tick; the pane keeps its last figures
            loc = self._local_for(engine, c.id, root) if local else None
            if loc is None:
                remote.append(c.id)
                continue
            # memory limits rarely change: re-read every 15th tick; memory.stat every 5th
            cur = read_cgroup(
                loc.files, net_dev=loc.net_dev, mem_total=self._mem_total, read=self.kept.read,
                limit=loc.limit if loc.ticks % 15 else None, inactive=loc.inactive if loc.ticks % 5 else None,
            )
            loc.ticks += 1
            loc.limit, loc.inactive = cur.mem_limit, cur.mem_inactive
            if cur.cpu_ns is None:  # container went away / restarted: re-resolve next time
                self._drop_local((engine, c.id))
                continue
            prev = self._prev.get((engine, c.id))
            st = rates(c.id, cur, prev)
            out.append(st)
            self._prev[(engine, c.id)] = cur
            loc.quiet = loc.quiet + 1 if _idle(st) else 0
            if prev is not None and prev.cpu_ns is not None and cur.cpu_ns >= prev.cpu_ns:
                explained += cur.cpu_ns - prev.cpu_ns if prev.time >= since_last else 0
            elif prev is None:
                parent_cpu = None  # a new container: its CPU so far is not in any delta
        if parent_cpu is not None:
            self._all_quiet[engine] = parent_cpu(explained)
        source = "cgroup"
        if remote:
            out += self._api_stats(engine, remote)
            source = "api" if len(remote) == len(running) else "mixed"
        elapsed = time.monotonic() - t0
        self.last_elapsed[engine] = elapsed
        snap = StatsSnapshot(engine, tuple(out), source, elapsed)
        if not self.stopping:
            self.emit(snap)
        return snap

    def _parent_cpu(self, engine: str) -> Any:
        """The containers' common parent cgroup's CPU now, as a check to run after the
        containers were read: `check(explained_ns)` -> whether the parent used no more than
        that (+ UNEXPLAINED_MAX) since the last tick. None if there is no usable parent."""
        found = self._parent_file(engine)
        if found is None:
            self._parent.pop(engine, None)
            return None
        path, v2 = found
        ns = cpu_ns_of(path, v2, self.kept.read)
        now = time.time()
        last = self._parent.get(engine)
        self._parent[engine] = (path, ns, now) if ns is not None else None
        if ns is None or last is None or last[0] != path or ns < last[1] or now - last[2] > self.interval * 1.5:
            return None

        def check(explained: int) -> bool:
            return ns - last[1] - explained <= UNEXPLAINED_MAX * (now - last[2]) * 1e9

        return check

    def _parent_file(self, engine: str) -> tuple[str, bool] | None:
        """(CPU file, cgroup v2) of the containers' common parent; looked up again only
        when the kept containers changed (200 dirname calls a tick otherwise)."""
        cached = self._parent_path.get(engine)
        if cached is not None and cached[0] == self._local_version:
            return cached[1]
        files = [loc.files for (e, _), loc in self._local.items() if e == engine and loc is not None]
        parents = {os.path.dirname(os.path.dirname(f.cpu)) for f in files}
        found = None
        if len(parents) == 1:
            path = os.path.join(parents.pop(), os.path.basename(files[0].cpu))
            if path.count("/") >= 5:  # not /sys/fs/cgroup/<ctl>/<file>: the root, everything on the host
                found = (path, files[0].v2)
        self._parent_path[engine] = (self._local_version, found)
        return found

    def _local_for(self, engine: str, cid: str, root: Path) -> _Local | None:
        key = (engine, cid)
        if key in self._local:
            loc = self._local[key]
            if loc is None or os.path.exists(f"/proc/{loc.pid}"):
                return loc
            self._drop_local(key)
        try:
            pid = int(self._client(engine).inspect_container(cid)["State"]["Pid"] or 0)
        except Exception:  # noqa: BLE001
            return None
        dirs = cgroup_dirs(pid, root) if pid else None
        loc = _Local(pid, CgroupFiles.of(dirs), f"/proc/{pid}/net/dev") if dirs else None
        self._local[key] = loc
        self._local_version += 1
        return loc

    def _api_stats(self, engine: str, ids: list[str]) -> list[ContainerStats]:
        """Concurrent one-shot requests: all answered on the same engine tick (~1 s)."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.API_WORKERS, thread_name_prefix="docker-stats-api")
        key = f"api:{engine}"
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = make_client(self.layer.spec(engine), pool=self.API_WORKERS)

        def one(cid: str) -> tuple[str, dict[str, Any] | None]:
            try:
                return cid, client.stats(cid, stream=False, one_shot=True)
            except Exception:  # noqa: BLE001 - older engines: no one-shot
                try:
                    return cid, client.stats(cid, stream=False)
                except Exception:  # noqa: BLE001
                    return cid, None

        out = []
        timeout = self.layer.spec(engine).timeout + 1 + 2 * len(ids) / self.API_WORKERS
        try:
            for cid, js in self._pool.map(one, ids, timeout=timeout):
                if not js or not js.get("read", "").strip("0-:TZ."):
                    continue
                cur = sample_from_api(js)
                out.append(rates(cid, cur, self._prev.get((engine, cid))))
                self._prev[(engine, cid)] = cur
        except (concurrent.futures.TimeoutError, RuntimeError):
            pass
        return out
