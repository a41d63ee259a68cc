"""Container / image / service actions of the Docker layer (a mixin of DockerLayer).

Each runs on a job worker thread, raises BackendError with a one-line
message, and is decorated with @mutating when it changes anything.
Targets: "engine/containerid" for containers, "engine/imageref" for images,
"engine/serviceid" for services, "engine" (or "engine/") for run/pull/prune.
"""

from __future__ import annotations

import shlex
from typing import Any

from megam_tui.backends.base import BackendError, mutating
from megam_tui.backends.docker_client import as_backend_error, reason
from megam_tui.backends.docker_pull import PullProgress, split_image_ref

CONTAINER_ACTIONS = ("start", "stop", "toggle", "restart", "pause", "unpause", "pause_toggle", "kill", "remove", "exec")
OTHER_ACTIONS = ("run", "pull", "image_remove", "image_prune", "service_scale", "logs_follow", "logs_stop", "inspect", "images_list", "services_list")
# actions that change nothing (safe in read-only mode, no confirmation needed)
READ_ONLY_ACTIONS = ("logs_follow", "logs_stop", "inspect", "images_list", "services_list")
ACTIONS = CONTAINER_ACTIONS + OTHER_ACTIONS


def split_target(target: str) -> tuple[str, str]:
    engine, _, rest = target.partition("/")
    if not engine:
        raise BackendError(f"bad target: {target!r}")
    return engine, rest


def parse_env(env: Any) -> list[str]:
    """"A=1, B=2" / lines / list -> ["A=1", "B=2"]; rejects entries without '='."""
    if not env:
        return []
    items = env if isinstance(env, (list, tuple)) else [p for line in str(env).splitlines() for p in line.split(",")]
    out = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        if "=" not in item or item.startswith("="):
            raise BackendError(f"bad env entry {item!r}: expected NAME=value")
        out.append(item)
    return out


def parse_ports(ports: Any) -> dict[str, Any]:
    """"8080:80, 127.0.0.1:5353:53/udp, 9000" -> docker-py port_bindings."""
    if not ports:
        return {}
    items = ports if isinstance(ports, (list, tuple)) else str(ports).replace(",", " ").split()
    out: dict[str, Any] = {}
    for item in items:
        spec, _, proto = str(item).partition("/")
        proto = proto or "tcp"
        if proto not in ("tcp", "udp", "sctp"):
            raise BackendError(f"bad port {item!r}: protocol must be tcp, udp or sctp")
        parts = spec.split(":")
        try:
            if len(parts) == 1:
                key, binding = f"{int(parts[0])}/{proto}", None
            elif len(parts) == 2:
                key, binding = f"{int(parts[1])}/{proto}", int(parts[0])
            elif len(parts) == 3:
                key, binding = f"{int(parts[2])}/{proto}", (parts[0], int(parts[1]))
            else:
                raise ValueError
        except ValueError:
            raise BackendError(f"bad port {item!r}: expected [ip:]host:container[/proto]") from None
        out[key] = binding
    return out


class DockerActionsMixin:
    """Mixed into DockerLayer (needs .client(engine), .read_only, .spec())."""

    read_only: bool

    # -- dispatch ---------------------------------------------------------------
    def dispatch(self, action: str, target: str, params: dict[str, Any], job: Any) -> Any:
        engine, obj = split_target(target)
        self.spec(engine)  # type: ignore[attr-defined]  # unknown engine -> BackendError
        if (action in CONTAINER_ACTIONS or action == "inspect") and not obj:
            raise BackendError(f"{action}: no container given")
        method = getattr(self, f"do_{action}", None)
        if action not in ACTIONS or method is None:
            raise BackendError(f"unknown docker action: {action}")
        try:
            return method(engine, obj, params, job)
        except BackendError:
            raise
        except Exception as exc:  # noqa: BLE001 - engine errors become one line
            self.drop_client(engine)  # type: ignore[attr-defined]
            raise as_backend_error(exc) from None

    def _c(self, engine: str) -> Any:
        return self.client(engine)  # type: ignore[attr-defined]

    def _state(self, engine: str, cid: str) -> dict[str, Any]:
        info = self._c(engine).inspect_container(cid)
        return info

    @staticmethod
    def _stop_timeout(info: dict[str, Any]) -> int | None:
        t = (info.get("Config") or {}).get("StopTimeout")
        return int(t) if t is not None else None

    # -- containers ---------------------------------------------------------------
    @mutating
    def do_start(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        self._c(engine).start(cid)
        return "started"

    @mutating
    def do_stop(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        """Stop with the engine's timeout (the container's StopTimeout, else 10 s).

        Idempotent: stopping a stopped (or already stopping) container is fine.
        """
        info = self._state(engine, cid)
        if not (info.get("State") or {}).get("Running"):
            return "already stopped"
        t = params.get("timeout")
        if t is None:
            t = self._stop_timeout(info)
        self._c(engine).stop(cid, timeout=int(t) if t is not None else None)
        return "stopped"

    @mutating
    def do_toggle(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        state = self._state(engine, cid).get("State") or {}
        if state.get("Running") or state.get("Restarting"):
            return self.do_stop(engine, cid, params, job)
        return self.do_start(engine, cid, params, job)

    @mutating
    def do_restart(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        t = params.get("timeout")
        if t is None:
            t = self._stop_timeout(self._state(engine, cid))
        self._c(engine).restart(cid, timeout=int(t) if t is not None else 10)
        return "restarted"

    @mutating
    def do_pause(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        self._c(engine).pause(cid)
        return "paused"

    @mutating
    def do_unpause(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        self._c(engine).unpause(cid)
        return "unpaused"

    @mutating
    def do_pause_toggle(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        if (self._state(engine, cid).get("State") or {}).get("Paused"):
            return self.do_unpause(engine, cid, params, job)
        return self.do_pause(engine, cid, params, job)

    @mutating
    def do_kill(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        sig = params.get("signal")
        self._c(engine).kill(cid, signal=sig) if sig else self._c(engine).kill(cid)
        return "killed"

    @mutating
    def do_remove(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        self._c(engine).remove_container(cid, force=bool(params.get("force")), v=bool(params.get("volumes")))
        return "removed"

    @mutating
    def do_exec(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> dict[str, Any]:
        """Non-interactive exec: run `command` (argv list or string split with shlex)."""
        cmd = params.get("command")
        if not cmd:
            raise BackendError("exec: no command given")
        argv = list(cmd) if isinstance(cmd, (list, tuple)) else shlex.split(str(cmd))
        c = self._c(engine)
        ex = c.exec_create(cid, argv, stdout=True, stderr=True)
        out = c.exec_start(ex["Id"], demux=False)
        text = (out or b"").decode("utf-8", "replace")
        for line in text.splitlines():
            if job is not None:
                job.emit(line)
        code = c.exec_inspect(ex["Id"]).get("ExitCode")
        return {"exit_code": code, "output": text}

    @mutating
    def exec_argv(self, target: str, params: dict[str, Any] | str | None = None) -> list[str]:
        """argv for an interactive shell (`docker exec -it`), run by the app in App.suspend().

        `params` may carry {"shell": "bash"} (default sh) or be the shell name itself.
        """
        shell = params if isinstance(params, str) else str((params or {}).get("shell") or "sh")
        engine, cid = split_target(target)
        if not cid:
            raise BackendError("exec: no container given")
        spec = self.spec(engine)  # type: ignore[attr-defined]
        argv = ["docker", "-H", spec.url]
        if spec.tls_verify:
            argv.append("--tlsverify")
        if spec.cert_path:
            argv += ["--tlscacert", f"{spec.cert_path}/ca.pem", "--tlscert", f"{spec.cert_path}/cert.pem", "--tlskey", f"{spec.cert_path}/key.pem"]
        return argv + ["exec", "-it", cid, shell]

    # -- images ---------------------------------------------------------------------
    @mutating
    def do_pull(self, engine: str, obj: str, params: dict[str, Any], job: Any) -> str:
        ref = str(params.get("image") or obj or "")
        return self._pull(engine, ref, job)

    def _pull(self, engine: str, ref: str, job: Any) -> str:
        repo, tag = split_image_ref(ref)
        progress = PullProgress()
        if job is not None:
            job.emit(f"pulling {repo}:{tag}")
        try:
            stream = self._c(engine).pull(repo, tag=tag, stream=True, decode=True)
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"pull {repo}:{tag} failed: {reason(exc)}") from None
        try:
            for obj in stream:
                if job is not None and job.cancelled:
                    from megam_tui.jobs import JobCancelled

                    raise JobCancelled()
                line = progress.feed(obj)
                if line and job is not None:
                    job.emit(line)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        return f"pulled {repo}:{tag}"

    @mutating
    def do_image_remove(self, engine: str, ref: str, params: dict[str, Any], job: Any) -> str:
        if not ref:
            raise BackendError("image_remove: no image given")
        self._c(engine).remove_image(ref, force=bool(params.get("force")))
        return "removed"

    @mutating
    def do_image_prune(self, engine: str, obj: str, params: dict[str, Any], job: Any) -> str:
        res = self._c(engine).prune_images(filters={"dangling": not params.get("all", False)})
        n = len(res.get("ImagesDeleted") or [])
        line = f"pruned {n} image(s), reclaimed {res.get('SpaceReclaimed', 0)} bytes"
        if job is not None:
            job.emit(line)
        return line

    # -- run (create + start, pulling if needed) ----------------------------------------
    @mutating
    def do_run(self, engine: str, obj: str, params: dict[str, Any], job: Any) -> str:
        import docker.errors

        image = str(params.get("image") or "").strip()
        if not image:
            raise BackendError("run: no image given")
        name = str(params.get("name") or "").strip() or None
        cmd = params.get("command")
        argv = None
        if cmd:
            try:
                argv = list(cmd) if isinstance(cmd, (list, tuple)) else shlex.split(str(cmd))
            except ValueError as exc:
                raise BackendError(f"run: bad command: {exc}") from None
        env = parse_env(params.get("env"))
        bindings = parse_ports(params.get("ports"))
        c = self._c(engine)
        host_config = c.create_host_config(port_bindings={k: v for k, v in bindings.items() if v is not None} or None)
        kwargs = dict(
            command=argv,
            name=name,
            environment=env or None,
            ports=list(bindings) or None,
            host_config=host_config,
            detach=True,
            labels=dict(params.get("labels") or {}) or None,
        )
        try:
            created = c.create_container(image, **kwargs)
        except docker.errors.ImageNotFound:
            if job is not None:
                job.emit(f"image {image} not found locally: pulling")
            self._pull(engine, image, job)
            created = c.create_container(image, **kwargs)
        cid = created["Id"]
        c.start(cid)
        if job is not None:
            job.emit(f"started {name or cid[:12]}")
        return cid

    # -- swarm ----------------------------------------------------------------------------
    @mutating
    def do_service_scale(self, engine: str, sid: str, params: dict[str, Any], job: Any) -> str:
        c = self._c(engine)
        svc = c.inspect_service(sid)
        mode = (svc.get("Spec") or {}).get("Mode") or {}
        if "Replicated" not in mode:
            raise BackendError("scale: only replicated services can be scaled")
        current = int(mode["Replicated"].get("Replicas") or 0)
        if "replicas" in params:
            want = int(params["replicas"])
        else:
            want = current + int(params.get("delta", 0))
        if want < 0:
            raise BackendError("scale: replicas cannot be negative")
        spec = svc["Spec"]
        c.update_service(
            sid,
            version=svc["Version"]["Index"],
            task_template=spec.get("TaskTemplate"),
            name=spec.get("Name"),
            labels=spec.get("Labels"),
            mode={"Replicated": {"Replicas": want}},
            update_config=spec.get("UpdateConfig"),
            rollback_config=spec.get("RollbackConfig"),
            networks=spec.get("TaskTemplate", {}).get("Networks"),
            endpoint_spec=spec.get("EndpointSpec"),
        )
        return f"scaled to {want}"
