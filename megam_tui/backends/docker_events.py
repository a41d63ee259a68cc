"""Per-engine watcher: list once, then follow the event stream.

On every (re)connect the watcher subscribes to `/events` first (with
`since=` the last event seen, so nothing that happened while it was away is
lost), then lists all containers once and emits a ContainersSnapshot. Each
container event re-reads just that container (one filtered list request, a
few ms) and emits a ContainerUpdate / ContainerRemoved plus a models.Event
for the timeline. A failure emits BackendState(ok=False, "engine unreachable:
<reason>") and a snapshot carrying the last known list; the StreamThread
loop retries every <= 2 s and recovers by itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import docker.errors

from megam_tui.backends.base import StreamThread
from megam_tui.backends.docker_client import make_client, reason
from megam_tui.backends.docker_models import ContainerRemoved, ContainersSnapshot, ContainerUpdate
from megam_tui.backends.docker_parse import container_from_api, container_from_inspect, event_time, event_to_timeline
from megam_tui.models import BackendState, Container
from megam_tui.settings import EngineSpec

if TYPE_CHECKING:
    from megam_tui.backends.docker import DockerLayer

# events that do not change what the list shows
IGNORED_ACTIONS = ("exec_create", "exec_start", "exec_die", "attach", "detach", "resize", "top", "copy", "archive-path", "export", "extract-to-dir", "commit")


class EngineWatcher(StreamThread):
    backoff_initial = 0.5
    backoff_max = 2.0  # an engine that comes back is seen within ~2 s

    def __init__(self, layer: DockerLayer, spec: EngineSpec, emit: Callable[[object], None]) -> None:
        super().__init__(f"docker-events-{spec.name}", on_error=self._failed)
        self.layer = layer
        self.spec = spec
        self.emit = emit
        self.engine = spec.name
        self._since_ns: int | None = None
        self._stream: Any = None
        self._state: tuple[bool, str | None] | None = None
        self._start_times: dict[str, float] = {}  # exact start times seen in events
        self._killed: dict[str, float] = {}  # last kill/stop event per container
        self._lock = threading.Lock()
        self.events_seen = 0

    # ------------------------------------------------------------------ state
    @property
    def containers(self) -> dict[str, Container]:
        return self.layer.known.setdefault(self.engine, {})

    def _set_state(self, ok: bool, error: str | None) -> BackendState:
        st = BackendState("docker", self.engine, ok, error)
        if self._state != (ok, error):
            self._state = (ok, error)
            self.emit(st)
        return st

    @property
    def ok(self) -> bool:
        return bool(self._state and self._state[0])

    def report_down(self, exc: BaseException) -> None:
        """Called by the stats thread when a ping failed (a hung engine keeps the stream open)."""
        self._failed(exc)
        self.interrupt()

    def _failed(self, exc: BaseException) -> None:
        st = self._set_state(False, f"engine unreachable: {reason(exc)}")
        self.emit(ContainersSnapshot(self.engine, tuple(self.containers.values()), st))

    def interrupt(self) -> None:
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # noqa: BLE001 - best effort from another thread
                pass

    # ------------------------------------------------------------------ loop
    def run_once(self) -> None:
        client = make_client(self.spec)
        try:
            since = None
            if self._since_ns is not None:
                ns = self._since_ns + 1
                since = f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"
            stream = client.events(decode=True, since=since)
            self._stream = stream
            if self.stopping:
                return
            try:
                self._resync(client)
                for ev in stream:
                    if self.stopping:
                        return
                    self._handle(client, ev)
            finally:
                self._stream = None
                try:
                    stream.close()
                except Exception:  # noqa: BLE001
                    pass
        finally:
            client.close()

    def _resync(self, client: Any) -> None:
        now = time.time()
        fresh = {}
        for raw in client.containers(all=True):
            cid = str(raw.get("Id", ""))
            fresh[cid] = container_from_api(raw, self.engine, now, started_at=self._start_times.get(cid))
        self.layer.known[self.engine] = fresh
        st = self._set_state(True, None)
        if self._since_ns is None:
            self._since_ns = int(now * 1e9)
        self.emit(ContainersSnapshot(self.engine, tuple(fresh.values()), st))

    def _handle(self, client: Any, ev: dict[str, Any]) -> None:
        if "timeNano" in ev:
            self._since_ns = max(self._since_ns or 0, int(ev["timeNano"]))
        self.events_seen += 1
        if ev.get("Type") != "container":
            return
        action = str(ev.get("Action") or ev.get("status") or "")
        base = action.split(":", 1)[0]
        if base in IGNORED_ACTIONS:
            return
        cid = str((ev.get("Actor") or {}).get("ID") or ev.get("id") or "")
        if not cid:
            return
        t = event_time(ev)
        if base == "start":
            self._start_times[cid] = t
        elif base in ("kill", "stop"):
            self._killed[cid] = t
        expected = base == "die" and t - self._killed.pop(cid, float("-inf")) < 30.0
        timeline = event_to_timeline(ev, self.engine, expected=expected)
        if base == "destroy":
            self.containers.pop(cid, None)
            self._start_times.pop(cid, None)
            self._killed.pop(cid, None)
            self.emit(ContainerRemoved(self.engine, cid, t))
        else:
            # inspect, not a filtered list: the list view is updated after the event
            # is sent (a "pause" event can still list as running); inspect is exact.
            try:
                info = client.inspect_container(cid)
            except docker.errors.NotFound:  # gone between the event and our request
                self.containers.pop(cid, None)
                self.emit(ContainerRemoved(self.engine, cid, t))
            else:
                c = container_from_inspect(info, self.engine)
                self.containers[cid] = c
                self.emit(ContainerUpdate(c, t))
        if timeline is not None:
            self.emit(timeline)
