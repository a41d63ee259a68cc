"""Ceph layer: health, OSDs, pools and cluster log of every configured cluster.

One `CephLayer` serves all clusters of `settings.ceph_clusters`; each cluster
gets its transport (ceph_transport: rados | cli | ssh) and, once started, its
own poller thread (ceph_poller). Parsing lives in ceph_parse (pure functions).

Emitted objects: models.CephStatus, ceph_models.CephOsdTree, CephPools,
CephLogBacklog, models.BackendState (reachability changes) and models.Event
(health status changes, checks raised / cleared, new cluster log entries).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from megam_tui.backends import ceph_parse as cp
from megam_tui.backends import ceph_transport as ct
from megam_tui.backends.base import BackendError, CallTimeout, Unreachable, mutating
from megam_tui.backends.ceph_models import CephOsdTree, CephPools
from megam_tui.models import CephStatus, Event
from megam_tui.settings import ClusterSpec, Settings

EmitFn = Callable[[object], None]
FLAGS = ("noout", "noscrub", "nodeep-scrub", "norebalance", "nobackfill", "norecover", "nodown", "noup", "noin")
ACTIONS = ("set_flag", "unset_flag", "osd_out", "osd_in", "mute", "unmute")
LOG_LAST = 50
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
_TTL_RE = re.compile(r"^[0-9]{1,6}[smhdw]?$")
_OSD_RE = re.compile(r"^(?:osd\.)?([0-9]{1,6})$")


class CephLayer:
    name = "ceph"

    def __init__(self, settings: Settings, *, ssh: Any | None = None) -> None:
        self.settings = settings
        self.read_only = settings.read_only
        self.ssh = ssh
        self.clusters: dict[str, ClusterSpec] = {c.name: c for c in settings.ceph_clusters}
        self._transports: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._pollers: dict[str, Any] = {}

    # ------------------------------------------------------------ plumbing
    def cluster(self, name: str) -> ClusterSpec:
        try:
            return self.clusters[name]
        except KeyError:
            raise BackendError(f"unknown ceph cluster {name!r}") from None

    def transport(self, name: str) -> Any:
        spec = self.cluster(name)
        with self._lock:
            tr = self._transports.get(name)
            if tr is None:
                tr = self._transports[name] = ct.make_transport(spec, self.ssh)
            return tr

    def call(self, cluster: str, cmd: ct.CephCommand, timeout: float | None = None) -> tuple[Any, str]:
        """Run one command; JSON commands come back decoded. Raises Unreachable / BackendError."""
        spec = self.cluster(cluster)
        t = spec.timeout if timeout is None else timeout
        out, message = self.transport(cluster).call(cmd, t)
        if cmd.json:
            return cp.load_json(out, cmd.text), message
        return out, message

    # ------------------------------------------------------------ reads
    def status(self, cluster: str, timeout: float | None = None, *, detail: bool = True) -> CephStatus:
        """`status` (+ `health detail` lines when detail=True and the cluster is not OK)."""
        deadline = time.monotonic() + (self.cluster(cluster).timeout if timeout is None else timeout)
        st = cp.parse_status(cluster, self.call(cluster, ct.STATUS, _left(deadline))[0])
        if detail and st.checks:
            _, checks = cp.parse_health_detail(self.call(cluster, ct.HEALTH_DETAIL, _left(deadline))[0])
            st = cp.merge_detail(st, checks)
        return st

    def osd_tree(self, cluster: str, timeout: float | None = None) -> CephOsdTree:
        return cp.parse_osd_tree(cluster, self.call(cluster, ct.OSD_TREE, timeout)[0])

    def pools(self, cluster: str, timeout: float | None = None) -> CephPools:
        return cp.parse_df(cluster, self.call(cluster, ct.DF, timeout)[0])

    def log_last(self, cluster: str, num: int = LOG_LAST, timeout: float | None = None) -> list[tuple[tuple[str, str, int], Event]]:
        return cp.parse_log(cluster, self.call(cluster, ct.log_last(num), timeout)[0])

    # ------------------------------------------------------------ summary
    def summary(self, timeout: float) -> dict[str, Any]:
        """One headless round: never raises; an unreachable cluster answers within `timeout`."""
        results: dict[str, dict[str, Any]] = {}
        threads = []
        for name in self.clusters:
            t = threading.Thread(target=self._summary_one, args=(name, timeout, results), name=f"ceph-summary-{name}", daemon=True)
            t.start()
            threads.append((name, t))
        deadline = time.monotonic() + timeout
        clusters = []
        for name, t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
            res = results.get(name)
            if res is None:
                res = {"name": name, "health": None, "error": f"cluster unreachable: no answer within {timeout:g}s"}
            clusters.append(res)
        errors = [f"{c['name']}: {c['error']}" for c in clusters if c.get("error")]
        return {
            "ok": not errors,
            "error": "; ".join(errors) or None,
            "clusters": clusters,
            "health": cp.worst_health(c.get("health") for c in clusters),
        }

    def _summary_one(self, name: str, timeout: float, results: dict[str, dict[str, Any]]) -> None:
        try:
            st = self.status(name, timeout, detail=False)
            results[name] = summary_item(st)
        except BackendError as exc:
            results[name] = {"name": name, "health": None, "error": f"cluster unreachable: {exc}"}
        except Exception as exc:  # noqa: BLE001 - a summary never raises
            results[name] = {"name": name, "health": None, "error": f"cluster unreachable: {type(exc).__name__}: {exc}"}

    # ------------------------------------------------------------ watching
    def start(self, emit: EmitFn) -> None:
        from megam_tui.backends.ceph_poller import CephPoller

        for name in self.clusters:
            if name in self._pollers:
                continue
            poller = CephPoller(self, name, emit)
            self._pollers[name] = poller
            poller.start()

    def stop(self) -> None:
        pollers, self._pollers = list(self._pollers.values()), {}
        for p in pollers:
            p.stop()
        end = time.monotonic() + 0.8
        for p in pollers:
            p.join(max(0.0, end - time.monotonic()))
        with self._lock:
            transports, self._transports = list(self._transports.values()), {}
        for tr in transports:
            tr.close()

    def poll_now(self, cluster: str) -> None:
        """Ask the cluster's poller for an immediate round (after an action)."""
        p = self._pollers.get(cluster)
        if p is not None:
            p.poke()

    # ------------------------------------------------------------ actions
    def run_action(self, action: str, target: str, params: dict[str, Any], job: Any) -> Any:
        cluster, _, obj = target.partition("/")
        self.cluster(cluster)
        params = params or {}
        if action in ("set_flag", "unset_flag"):
            msg = self.set_flag(cluster, str(params.get("flag", "")), action == "set_flag")
        elif action in ("osd_out", "osd_in"):
            msg = self.mark_osd(cluster, obj or str(params.get("osd", "")), action == "osd_out")
        elif action == "mute":
            msg = self.mute(cluster, str(params.get("code", "")), params.get("ttl", "10m"))
        elif action == "unmute":
            msg = self.unmute(cluster, str(params.get("code", "")))
        else:
            raise BackendError(f"unknown ceph action {action!r} (one of: {', '.join(ACTIONS)})")
        if job is not None:
            job.emit(msg)
        self.poll_now(cluster)
        return msg

    def _act(self, cluster: str, cmd: ct.CephCommand) -> str:
        try:
            _, message = self.call(cluster, cmd)
        except CallTimeout as exc:
            raise CallTimeout(f"{cmd.text}: {exc}") from None
        except Unreachable as exc:
            raise Unreachable(f"{cmd.text}: cluster unreachable: {exc}") from None
        return message or f"{cmd.text}: done"

    @mutating
    def set_flag(self, cluster: str, flag: str, set_it: bool = True) -> str:
        if flag not in FLAGS:
            raise BackendError(f"unknown OSD flag {flag!r} (one of: {', '.join(FLAGS)})")
        return self._act(cluster, ct.osd_flag(set_it, flag))

    @mutating
    def mark_osd(self, cluster: str, osd: str, out: bool = True) -> str:
        m = _OSD_RE.match(osd.strip())
        if not m:
            raise BackendError(f"not an OSD: {osd!r} (expected osd.N)")
        return self._act(cluster, ct.osd_in_out(out, int(m.group(1))))

    @mutating
    def mute(self, cluster: str, code: str, ttl: Any = "10m") -> str:
        if not _CODE_RE.match(code):
            raise BackendError(f"not a health check code: {code!r}")
        ttl_s = None if ttl in (None, "", 0) else str(ttl).strip()
        if ttl_s is not None and not _TTL_RE.match(ttl_s):
            raise BackendError(f"bad mute duration {ttl_s!r} (e.g. 10m, 1h, 2d)")
        return self._act(cluster, ct.health_mute(code, ttl_s))

    @mutating
    def unmute(self, cluster: str, code: str) -> str:
        if not _CODE_RE.match(code):
            raise BackendError(f"not a health check code: {code!r}")
        return self._act(cluster, ct.health_unmute(code))


def summary_item(st: CephStatus) -> dict[str, Any]:
    return {
        "name": st.cluster,
        "health": st.health,
        "error": None,
        "checks": [
            {"code": c.code, "severity": c.severity, "summary": c.summary, "count": c.count, "muted": c.muted}
            for c in st.checks
        ],
        "osds_up": st.num_up_osds,
        "osds_in": st.num_in_osds,
        "num_osds": st.num_osds,
    }


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise CallTimeout("no time left for the next ceph call")
    return left
