"""Image pull progress: JSON message stream -> readable per-layer lines.

The engine streams objects like
  {"status": "Pulling from library/nginx", "id": "latest"}
  {"status": "Downloading", "progressDetail": {"current": 1, "total": 9}, "id": "a2abf6c4d29d"}
  {"status": "Pull complete", "id": "a2abf6c4d29d"}
  {"errorDetail": {"message": "..."}, "error": "..."}
`PullProgress.feed` turns them into at most one line per layer per status
change or per 25 % step, so a job's output stays short and readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from megam_tui.backends.base import BackendError


def human_bytes(n: float | int | None) -> str:
    if n is None:
        return "-"
    n = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1000
    return f"{n:.1f}TB"  # pragma: no cover


@dataclass
class PullProgress:
    step_pct: int = 25
    layers: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (status, last step)
    done_layers: int = 0

    def feed(self, obj: dict[str, Any]) -> str | None:
        """One stream object -> a line to show (None to stay quiet). Raises on error."""
        if obj.get("error") or obj.get("errorDetail"):
            msg = obj.get("error") or (obj.get("errorDetail") or {}).get("message") or "pull failed"
            raise BackendError(f"pull failed: {str(msg).strip().splitlines()[0]}")
        status = str(obj.get("status") or "").strip()
        lid = str(obj.get("id") or "")
        if not status:
            return None
        detail = obj.get("progressDetail") or {}
        cur, total = detail.get("current"), detail.get("total")
        if not lid or status.startswith(("Pulling from", "Digest:", "Status:")):
            return f"{lid}: {status}" if lid and status.startswith("Pulling from") else status
        prev_status, prev_step = self.layers.get(lid, ("", -1))
        if cur is not None and total:
            pct = int(100 * cur / total)
            step = pct // self.step_pct
            if status == prev_status and step == prev_step:
                return None
            self.layers[lid] = (status, step)
            return f"{lid}: {status} {human_bytes(cur)}/{human_bytes(total)} ({pct}%)"
        if status == prev_status:
            return None
        self.layers[lid] = (status, -1)
        if status in ("Pull complete", "Already exists"):
            self.done_layers += 1
        return f"{lid}: {status}"


def split_image_ref(ref: str) -> tuple[str, str | None]:
    """"repo[:tag][@digest]" -> (repo, tag or digest); a registry port is not a tag."""
    ref = ref.strip()
    if not ref:
        raise BackendError("no image given")
    if "@" in ref:
        repo, digest = ref.split("@", 1)
        return repo, digest
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, "latest"
