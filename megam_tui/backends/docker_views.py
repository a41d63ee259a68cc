"""Read-only requests whose answers go to the pane's screens through `emit`
(inspect, images, services): a mixin of DockerLayer, run as jobs."""

from __future__ import annotations

from collections import Counter
from typing import Any

from megam_tui.backends.docker_client import reason
from megam_tui.backends.docker_models import ImagesSnapshot, InspectResult, ServicesSnapshot
from megam_tui.backends.docker_parse import image_from_api, service_from_api


class DockerViewsMixin:
    def _emit_view(self, obj: object) -> None:
        emit = getattr(self, "_emit", None)
        if emit is not None:
            emit(obj)

    def inspect(self, engine: str, cid: str) -> InspectResult:
        key = f"{engine}/{cid}"
        try:
            return InspectResult(key, self.client(engine).inspect_container(cid))  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001
            self.drop_client(engine)  # type: ignore[attr-defined]
            return InspectResult(key, None, reason(exc))

    def images(self, engine: str) -> ImagesSnapshot:
        try:
            raws = self.client(engine).images()  # type: ignore[attr-defined]
            imgs = sorted((image_from_api(r, engine) for r in raws), key=lambda i: (i.tags or ("~",))[0])
            return ImagesSnapshot(engine, tuple(imgs))
        except Exception as exc:  # noqa: BLE001
            self.drop_client(engine)  # type: ignore[attr-defined]
            return ImagesSnapshot(engine, (), reason(exc))

    def services(self, engine: str) -> ServicesSnapshot:
        c = self.client(engine)  # type: ignore[attr-defined]
        try:
            info = c.info()
            swarm = info.get("Swarm") or {}
            if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
                return ServicesSnapshot(engine, (), swarm=False)
            running = Counter(
                t.get("ServiceID")
                for t in c.tasks(filters={"desired-state": "running"})
                if (t.get("Status") or {}).get("State") == "running"
            )
            svcs = tuple(sorted((service_from_api(s, engine, running.get(s.get("ID"), 0)) for s in c.services()), key=lambda s: s.name))
            return ServicesSnapshot(engine, svcs, swarm=True)
        except Exception as exc:  # noqa: BLE001
            self.drop_client(engine)  # type: ignore[attr-defined]
            return ServicesSnapshot(engine, (), error=reason(exc))

    def do_inspect(self, engine: str, cid: str, params: dict[str, Any], job: Any) -> str:
        res = self.inspect(engine, cid)
        self._emit_view(res)
        return res.error or "ok"

    def do_images_list(self, engine: str, obj: str, params: dict[str, Any], job: Any) -> str:
        res = self.images(engine)
        self._emit_view(res)
        return res.error or f"{len(res.images)} images"

    def do_services_list(self, engine: str, obj: str, params: dict[str, Any], job: Any) -> str:
        res = self.services(engine)
        self._emit_view(res)
        return res.error or f"{len(res.services)} services"
