"""Per-engine watcher: list once, then follow the event stream.

On every (re)connect the watcher subscribes to `/events` first (with
`since=` the last event seen, so nothing that happened while it was away is
lost), then lists all containers once and emits a ContainersSnapshot. Each
container event re-reads just that container (one filtered list request, a
few ms) and emits a ContainerUpdate / ContainerRemoved plus a models.Event
for the timeline. A failure emits BackendState(ok=False, "engine unreachable:
<reason>") and a snapshot carrying the last known list; the StreamThread
loop retries every <= 2 s and recovers by itself.

Start-up: importing docker-py costs ~0.2 s of CPU, so the very first list of
a local (unix socket) engine is one plain HTTP request (`quick_list`). The
watcher connects with docker-py once the UI has shown its first frame
(layers.ui_started; at once when no UI is starting), as usual: the event
stream from the time of that first list, then the full re-list, so nothing
that happens in between is lost.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from megam_tui.backends.base import BackendError, StreamThread
from megam_tui.backends.docker_client import make_client, reason
from megam_tui.backends.docker_models import ContainerRemoved, ContainersSnapshot, ContainerUpdate
from megam_tui.backends.docker_parse import container_from_api, container_from_inspect, event_time, event_to_timeline
from megam_tui.layers import wait_for_ui
from megam_tui.models import BackendState, Container
from megam_tui.settings import EngineSpec

if TYPE_CHECKING:
    from megam_tui.backends.docker import DockerLayer

# events that do not change what the list shows
IGNORED_ACTIONS = ("exec_create", "exec_start", "exec_die", "attach", "detach", "resize", "top", "copy", "archive-path", "export", "extract-to-dir", "commit")
# the events that do, asked of the engine as a filter: a container with a health check
# every 2 s otherwise sends 3 exec_* events each time (1.5 wake-ups a second for nothing).
# "health_status" in the list makes the engine match by prefix ("health_status: healthy").
WATCHED_ACTIONS = (
    "create", "start", "restart", "stop", "kill", "die", "oom", "pause", "unpause",
    "rename", "update", "destroy", "health_status", "prune",
)
EVENT_FILTERS = {"type": ["container"], "event": list(WATCHED_ACTIONS)}


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def quick_list(spec: EngineSpec, timeout: float | None = None) -> list[dict[str, Any]] | None:
    """GET /containers/json?all=1 of a plain unix-socket engine without docker-py.

    None when the engine is not a plain unix socket (TLS, tcp://, ssh://) or the
    request fails: the caller then lists the normal way (and reports the error)."""
    path = plain_unix_path(spec)
    if path is None:
        return None
    conn = _UnixHTTPConnection(path, spec.timeout if timeout is None else timeout)
    try:
        conn.request("GET", "/containers/json?all=1")
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            return None
        raw = json.loads(body)
        return raw if isinstance(raw, list) else None
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def plain_unix_path(spec: EngineSpec) -> str | None:
    """The socket path of a plain (no TLS) unix-socket engine, else None."""
    if not spec.url.startswith("unix://") or spec.tls_verify or spec.cert_path:
        return None
    return spec.url[len("unix://") :]


class KeptPing:
    """GET /_ping of a plain unix-socket engine over one kept-alive connection.

    ~0.06 ms of our CPU a ping; docker-py's is ~0.4 ms (requests reads the proxy
    settings from the environment on every call), and the stats thread pings every
    refresh. A kept connection the engine closed meanwhile is retried once on a new
    one; a timeout is not (a hung engine must be reported within one ping timeout)."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.conn: _UnixHTTPConnection | None = None

    def ping(self) -> None:
        """Raises OSError / HTTPException / BackendError when the engine did not answer OK."""
        for _ in range(2):
            fresh = self.conn is None
            if fresh:
                self.conn = _UnixHTTPConnection(self.path, self.timeout)
            try:
                self.conn.request("GET", "/_ping")
                resp = self.conn.getresponse()
                resp.read()
            except TimeoutError:
                self.close()
                raise
            except (OSError, http.client.HTTPException):
                self.close()
                if fresh:
                    raise
                continue  # the engine closed the idle connection: once more on a new one
            if resp.status != 200:
                self.close()
                raise BackendError(f"engine ping: HTTP {resp.status}")
            return

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


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
        self.first_answer = threading.Event()  # set after the first list or the first failure

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
        self.first_answer.set()

    def interrupt(self) -> None:
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # noqa: BLE001 - best effort from another thread
                pass

    # ------------------------------------------------------------------ loop
    def run_once(self) -> None:
        if self._state is None and not self.stopping and self._quick_first_list():
            # docker-py and the event stream after the UI's first frame (see
            # layers.ui_started); events meanwhile are replayed (since=) and re-listed
            wait_for_ui(self._stop_event)
            if self.stopping:
                return
        client = make_client(self.spec)
        try:
            since = None
            if self._since_ns is not None:
                ns = self._since_ns + 1
                since = f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"
            stream = client.events(decode=True, since=since, filters=EVENT_FILTERS)
            self._stream = stream
            if self.stopping:
                return
            try:
                self._resync(client)
                for ev in stream:
                    if self.stopping:
                        return
                    self._on_event(client, ev)
            finally:
                self._stream = None
                try:
                    stream.close()
                except Exception:  # noqa: BLE001
                    pass
        finally:
            client.close()

    def _quick_first_list(self) -> bool:
        """The first list of a local engine, before docker-py is even imported (see module doc)."""
        items = quick_list(self.spec)
        if items is None or self.stopping:
            return False
        self._store_list(items)
        return True

    def _resync(self, client: Any) -> None:
        self._store_list(client.containers(all=True))

    def _store_list(self, items: list[dict[str, Any]]) -> None:
        now = time.time()
        fresh = {}
        for raw in items:
            cid = str(raw.get("Id", ""))
            fresh[cid] = container_from_api(raw, self.engine, now, started_at=self._start_times.get(cid))
        self.layer.known[self.engine] = fresh
        for seen in (self._start_times, self._killed):  # containers gone while we did not watch
            for cid in [c for c in seen if c not in fresh]:
                del seen[cid]
        st = self._set_state(True, None)
        if self._since_ns is None:
            self._since_ns = int(now * 1e9)
        self.emit(ContainersSnapshot(self.engine, tuple(fresh.values()), st))
        self.first_answer.set()

    def _on_event(self, client: Any, ev: dict[str, Any]) -> None:
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
            import docker.errors

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
