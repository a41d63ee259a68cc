"""Docker layer: containers of every configured engine, kept current by events.

Threads (all stoppable, started by `start(emit)`):
- one `EngineWatcher` per engine (docker_events.py): lists once, then follows
  the event stream; re-lists after a reconnect with `since=`; reports
  reachability as models.BackendState.
- one `StatsThread` (docker_stats.py): cgroup files for local engines,
  concurrent one-shot API requests for remote ones, every `settings.refresh`.
Actions run on job worker threads via `run_action` (docker_actions.py).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable
from typing import Any

from megam_tui.backends.base import BackendError
from megam_tui.backends.docker_actions import DockerActionsMixin
from megam_tui.backends.docker_views import DockerViewsMixin
from megam_tui.backends.docker_client import as_backend_error, make_client, reason
from megam_tui.backends.docker_parse import container_from_api
from megam_tui.models import Container
from megam_tui.settings import EngineSpec, Settings

Emit = Callable[[object], None]

# The stats thread starts once every engine gave its first list (or failed) and the
# UI showed its first frame (layers.ui_started), at the latest after this many
# seconds: its first tick (docker-py import, ~200 cgroup reads) would otherwise
# compete for the CPU with the first container list and the first frame.
STATS_START_WAIT = 3.0


class DockerLayer(DockerActionsMixin, DockerViewsMixin):
    name = "docker"

    def __init__(self, settings: Settings, *, ssh: Any = None) -> None:
        self.settings = settings
        self.ssh = ssh
        self.read_only = settings.read_only
        self.engines: dict[str, EngineSpec] = {e.name: e for e in settings.docker_engines}
        self._threads: list[Any] = []
        self._lock = threading.Lock()
        self._local = threading.local()  # per-thread clients for actions
        self._emit: Emit | None = None
        self._log_sessions: dict[str, Any] = {}
        self.watchers: dict[str, Any] = {}
        # latest known containers per engine (kept by the watchers; used by stats/actions)
        self.known: dict[str, dict[str, Container]] = {name: {} for name in self.engines}

    # ------------------------------------------------------------------ clients
    def spec(self, engine: str) -> EngineSpec:
        try:
            return self.engines[engine]
        except KeyError:
            raise BackendError(f"unknown docker engine: {engine}") from None

    def client(self, engine: str) -> Any:
        """This thread's APIClient for `engine` (created on first use)."""
        clients = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        c = clients.get(engine)
        if c is None:
            c = clients[engine] = make_client(self.spec(engine))
        return c

    def drop_client(self, engine: str) -> None:
        clients = getattr(self._local, "clients", {})
        c = clients.pop(engine, None)
        if c is not None:
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass

    # ------------------------------------------------------------------ listing
    @staticmethod
    def list_with(client: Any, engine: str) -> list[Container]:
        now = time.time()
        return [container_from_api(raw, engine, now) for raw in client.containers(all=True)]

    def list_containers(self, engine: str) -> list[Container]:
        try:
            return self.list_with(self.client(engine), engine)
        except Exception as exc:  # noqa: BLE001
            self.drop_client(engine)
            raise as_backend_error(exc) from None

    # ------------------------------------------------------------------ lifecycle
    def start(self, emit: Emit) -> None:
        from megam_tui.backends.docker_events import EngineWatcher
        from megam_tui.backends.docker_stats import StatsThread

        with self._lock:
            if self._threads:
                return
            self._emit = emit
            watchers = []
            for spec in self.engines.values():
                w = self.watchers[spec.name] = EngineWatcher(self, spec, emit)
                watchers.append(w)
            self._threads.extend(watchers)
            for t in watchers:
                t.start()
            if self.engines:
                stats = StatsThread(self, emit)
                self._threads.append(stats)
                threading.Thread(target=self._start_stats, args=(stats, watchers), name="docker-stats-start", daemon=True).start()

    def _start_stats(self, stats: Any, watchers: list[Any]) -> None:
        from megam_tui.layers import wait_for_ui

        deadline = time.monotonic() + STATS_START_WAIT
        for w in watchers:
            w.first_answer.wait(max(0.0, deadline - time.monotonic()))
        wait_for_ui(stats._stop_event, max(0.0, deadline - time.monotonic()))
        with self._lock:
            if stats in self._threads:  # not stopped meanwhile
                stats.start()

    def stop(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
            sessions, self._log_sessions = list(self._log_sessions.values()), {}
        for s in sessions:
            s.stop()
        for t in threads:
            t.stop()
        end = time.monotonic() + 1.0
        for t in threads:
            if t.ident is not None:  # the stats thread may not have started yet
                t.join(max(0.0, end - time.monotonic()))

    # ------------------------------------------------------------------ summary
    def summary(self, timeout: float) -> dict[str, Any]:
        """One headless round; never raises."""
        if not self.engines:
            return {"ok": False, "error": "no docker engine configured", "containers": [], "engines": []}

        def one(spec: EngineSpec) -> tuple[list[Container], str | None]:
            try:
                client = make_client(spec, timeout=min(spec.timeout, timeout))
                try:
                    return self.list_with(client, spec.name), None
                finally:
                    client.close()
            except Exception as exc:  # noqa: BLE001
                return [], f"engine unreachable: {reason(exc)}"

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(self.engines)), thread_name_prefix="docker-summary")
        futures = {name: pool.submit(one, spec) for name, spec in self.engines.items()}
        deadline = time.monotonic() + timeout + 0.5
        engines, containers = [], []
        for name, fut in futures.items():
            try:
                items, error = fut.result(timeout=max(0.0, deadline - time.monotonic()))
            except concurrent.futures.TimeoutError:
                items, error = [], f"engine unreachable: no answer within {timeout:g}s"
            engines.append({"name": name, "ok": error is None, "error": error})
            containers += [
                {"name": c.name, "state": c.state, "exit_code": c.exit_code, "health": c.health, "engine": c.engine, "image": c.image, "id": c.id[:12]}
                for c in sorted(items, key=lambda c: c.name)
            ]
        pool.shutdown(wait=False, cancel_futures=True)
        errors = [f"{e['name']}: {e['error']}" if len(engines) > 1 else e["error"] for e in engines if e["error"]]
        return {
            "ok": not errors,
            "error": "; ".join(errors) if errors else None,
            "containers": containers,
            "engines": engines,
        }

    # ------------------------------------------------------------------ logs
    def follow_logs(
        self, session_id: str, targets: list[str], tail: int | None = None, emit: Emit | None = None, *, service: bool = False, name: str | None = None
    ) -> Any:
        """Start (or extend) a follow session; its LogBatch objects go to `emit` (default: start()'s).

        service=True: targets are "engine/serviceid" of Swarm services."""
        from megam_tui.backends.docker_logs import LogSession

        sink = emit or self._emit
        if sink is None:
            raise BackendError("logs: layer not started")
        with self._lock:
            session = self._log_sessions.get(session_id)
            if session is None:
                session = self._log_sessions[session_id] = LogSession(session_id, sink, self.settings.logs_max_lines)
        for target in targets:
            engine, _, cid = target.partition("/")
            spec = self.spec(engine)
            known = self.known.get(engine, {}).get(cid)
            label = name or (known.name if known else cid[:12])
            session.add(spec, cid, label, self.settings.logs_tail if tail is None else int(tail), "services" if service else "containers")
        return session

    def stop_logs(self, session_id: str) -> None:
        with self._lock:
            session = self._log_sessions.pop(session_id, None)
        if session is not None:
            session.stop()

    def do_logs_follow(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        self.follow_logs(
            str(params.get("session") or "logs"), [f"{engine}/{cid}"], params.get("tail"), service=bool(params.get("service")), name=params.get("name")
        )
        return "following"

    def do_logs_stop(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        self.stop_logs(str(params.get("session") or "logs"))
        return "stopped following"

    # ------------------------------------------------------------------ actions
    def run_action(self, action: str, target: str, params: dict[str, Any], job: Any) -> Any:
        """Run one action (see docker_actions.ACTIONS) on a job worker thread."""
        return self.dispatch(action, target, params or {}, job)
