"""One poller thread per Ceph cluster: status, health detail, OSD tree, df, cluster log.

The next round is scheduled `settings.refresh` after the last one finished
(never overlapping a slow call). With a cheap transport (in-process librados,
~0.3 ms of our CPU and ~0.15 ms of the mon's a command) a round asks `status`
and drains the cluster log the mon pushed since (`ceph -w`'s stream: a subscription
made on each new connection, after which `log last` fills any gap); `health detail` when the
set of checks changed or every CHEAP_EVERY seconds, the OSD tree and df when
OSD counts changed or every CHEAP_EVERY seconds. With the CLI / SSH (~230 ms
of CPU a call) a round asks `status` only; `health detail` is fetched when
the set of checks changed (or every DETAIL_EVERY seconds), the OSD tree and df
when OSD counts changed or every HEAVY_EVERY seconds, the cluster log every
LOG_EVERY seconds.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import replace
from typing import Any

from megam_tui.backends import ceph_parse as cp
from megam_tui.backends import ceph_transport as ct
from megam_tui.backends.base import BackendError, OwnedThread, Unreachable
from megam_tui.backends.ceph_models import CephLogBacklog
from megam_tui.models import BackendState, CephStatus

HEAVY_EVERY = 30.0  # s between osd tree / df with an expensive transport
DETAIL_EVERY = 30.0  # s between health detail refreshes when the checks did not change
LOG_EVERY = 10.0  # s between `log last` with an expensive transport
CHEAP_EVERY = 10.0  # s between detail / osd tree / df refreshes with librados (sooner on change)
LOG_KEYS_KEPT = 2000


class CephPoller(OwnedThread):
    def __init__(self, layer: Any, cluster: str, emit: Any) -> None:
        super().__init__(f"ceph-poll-{cluster}")
        self.layer = layer
        self.cluster = cluster
        self._emit_fn = emit
        self._stop_event = threading.Event()
        self._wake = threading.Event()
        self.last_status: CephStatus | None = None
        self.reachable: bool | None = None
        self.rounds = 0
        self._detail: dict[str, tuple[str, ...]] = {}
        self._detail_sig: tuple[tuple[str, str], ...] | None = None
        self._detail_at = 0.0
        self._heavy_at = -1e9
        self._heavy_sig: tuple[int, int, int] | None = None
        self._log_at = -1e9
        self._log_seen: set[tuple[str, str, int]] = set()
        self._log_order: collections.deque[tuple[str, str, int]] = collections.deque()
        self._log_started = False
        self._last_snap: dict[str, Any] = {}

    # ------------------------------------------------------------ control
    def stop(self) -> None:
        self._stop_event.set()
        self._wake.set()

    def poke(self) -> None:
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop_event.is_set()

    def emit(self, obj: object) -> None:
        if not self.stopping:
            try:
                self._emit_fn(obj)
            except Exception:  # noqa: BLE001 - a broken listener must not kill the poller
                pass

    def run(self) -> None:
        while not self.stopping:
            self.poll_once()
            self.rounds += 1
            if self.stopping:
                break
            self._wake.wait(max(0.2, float(self.layer.settings.refresh)))
            self._wake.clear()

    # ------------------------------------------------------------ one round
    def poll_once(self) -> None:
        spec = self.layer.cluster(self.cluster)
        try:
            transport = self.layer.transport(self.cluster)
            raw, _ = self.layer.call(self.cluster, ct.STATUS, spec.timeout)
            st = cp.parse_status(self.cluster, raw)
        except BackendError as exc:
            self._set_reachable(False, f"cluster unreachable: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - never let the thread die
            self._set_reachable(False, f"cluster unreachable: {type(exc).__name__}: {exc}")
            return
        cheap = bool(getattr(transport, "cheap", False))
        now = time.monotonic()
        try:
            st = self._with_detail(st, cheap, now, spec.timeout)
            self._set_reachable(True, None)
            for ev in cp.health_events(self.last_status, st):
                self.emit(ev)
            self.last_status = st
            self.emit(st)
            self._heavy(st, cheap, now, spec.timeout)
            self._log(transport, cheap, now, spec.timeout)
        except Unreachable as exc:
            # the cluster went away in the middle of a round: say so now, not after
            # every remaining call of the round has timed out too
            self._set_reachable(False, f"cluster unreachable: {exc}")

    def _set_reachable(self, ok: bool, error: str | None) -> None:
        if self.reachable is ok and ok:
            return
        if self.reachable is ok and not ok and self._last_error == error:
            return
        self.reachable = ok
        self._last_error = error
        if not ok:
            self._last_snap.clear()
        self.emit(BackendState("ceph", self.cluster, ok, error))

    _last_error: str | None = None

    def _with_detail(self, st: CephStatus, cheap: bool, now: float, timeout: float) -> CephStatus:
        if not st.checks:
            self._detail, self._detail_sig = {}, ()
            return st
        sig = tuple((c.code, c.summary) for c in st.checks)
        if sig != self._detail_sig or now - self._detail_at > (CHEAP_EVERY if cheap else DETAIL_EVERY):
            try:
                raw, _ = self.layer.call(self.cluster, ct.HEALTH_DETAIL, timeout)
                _, checks = cp.parse_health_detail(raw)
                self._detail = {c.code: c.detail for c in checks}
                self._detail_sig, self._detail_at = sig, now
            except Unreachable:
                raise
            except BackendError:
                pass  # keep the previous lines; the status itself is fresh
        from megam_tui.models import HealthCheck

        return cp.merge_detail(st, tuple(HealthCheck(code, "", "", detail=d) for code, d in self._detail.items()))

    def _heavy(self, st: CephStatus, cheap: bool, now: float, timeout: float) -> None:
        sig = (st.num_osds, st.num_up_osds, st.num_in_osds)
        if not (sig != self._heavy_sig or now - self._heavy_at > (CHEAP_EVERY if cheap else HEAVY_EVERY)):
            return
        self._heavy_sig, self._heavy_at = sig, now
        for fetch in (self.layer.osd_tree, self.layer.pools):
            try:
                snap = fetch(self.cluster, timeout)
            except Unreachable:
                raise
            except BackendError:
                continue
            key = type(snap).__name__
            same = replace(snap, time=0.0)
            if self._last_snap.get(key) != same:  # unchanged tree / df: nothing to send
                self._last_snap[key] = same
                self.emit(snap)

    def _log(self, transport: Any, cheap: bool, now: float, timeout: float) -> None:
        pushed = getattr(transport, "log_entries", None)
        if pushed is not None:  # librados: the mon pushes new entries (see log_entries)
            try:
                fresh_raw = pushed(timeout)
            except Unreachable:
                raise
            except BackendError:
                fresh_raw = None
            if fresh_raw is not None and self._log_started:
                if fresh_raw:
                    self._remember(cp.parse_log(self.cluster, fresh_raw))
                return
            # first round or a new connection: `log last` fills in what came before
        elif not cheap and now - self._log_at < LOG_EVERY:
            return
        self._log_at = now
        try:
            entries = self.layer.log_last(self.cluster, timeout=timeout)
        except Unreachable:
            raise
        except BackendError:
            return
        self._remember(entries)

    def _remember(self, entries: list) -> None:
        """Emit the entries not seen before (the first time, as the backlog)."""
        fresh = []
        for key, ev in entries:
            if key in self._log_seen:
                continue
            self._log_seen.add(key)
            self._log_order.append(key)
            fresh.append(ev)
        while len(self._log_order) > LOG_KEYS_KEPT:
            self._log_seen.discard(self._log_order.popleft())
        if not self._log_started:
            self._log_started = True
            self.emit(CephLogBacklog(self.cluster, tuple(fresh)))
            return
        for ev in fresh:
            self.emit(ev)
