"""docker-py APIClient construction and error -> one-line reason mapping."""

from __future__ import annotations

import os
import socket
from typing import Any

from megam_tui.backends.base import BackendError, CallTimeout, Unreachable
from megam_tui.settings import EngineSpec

# API version used when "auto" negotiation cannot be done (engine down at start).
FALLBACK_API = "1.41"


def make_client(spec: EngineSpec, timeout: float | None = None, *, version: str = "auto", pool: int = 16) -> Any:
    """A new docker.APIClient for `spec` (one per thread that needs one).

    version="auto" asks the engine once (bounded by the timeout); failures
    raise Unreachable with a one-line reason.
    """
    import docker
    from docker.tls import TLSConfig

    tls: Any = False
    if spec.cert_path or spec.tls_verify:
        cert_dir = spec.cert_path or os.environ.get("DOCKER_CERT_PATH", "")
        ca = os.path.join(cert_dir, "ca.pem") if cert_dir else None
        cert = os.path.join(cert_dir, "cert.pem") if cert_dir else None
        key = os.path.join(cert_dir, "key.pem") if cert_dir else None
        tls = TLSConfig(
            client_cert=(cert, key) if cert and key and os.path.exists(cert) else None,
            ca_cert=ca if ca and os.path.exists(ca) else None,
            verify=spec.tls_verify,
        )
    try:
        return docker.APIClient(
            base_url=spec.url,
            version=version,
            timeout=spec.timeout if timeout is None else timeout,
            tls=tls,
            max_pool_size=pool,
        )
    except Exception as exc:  # noqa: BLE001 - mapped to a one-line reason
        raise as_backend_error(exc) from None


def reason(exc: BaseException) -> str:
    """A short, user-facing reason for an engine failure (no traceback text)."""
    import docker.errors
    import requests

    if isinstance(exc, BackendError):
        return str(exc).removeprefix("engine unreachable: ")
    if isinstance(exc, docker.errors.APIError):
        return str(exc.explanation or exc).strip().splitlines()[0][:200]
    # walk the cause chain for the OS-level error
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, (socket.timeout, TimeoutError, requests.exceptions.Timeout)):
            return "no answer (timeout)"
        if isinstance(cur, FileNotFoundError):
            return "socket not found"
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cur, PermissionError):
            return "permission denied"
        if isinstance(cur, ConnectionResetError):
            return "connection reset"
        nxt = cur.__cause__ or cur.__context__
        if nxt is None and cur.args and isinstance(cur.args[0], BaseException):
            nxt = cur.args[0]
        if nxt is None and len(cur.args) > 1 and isinstance(cur.args[1], BaseException):
            nxt = cur.args[1]
        cur = nxt
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    for marker in ("FileNotFoundError", "No such file or directory"):
        if marker in line:
            return "socket not found"
    if "Connection refused" in line:
        return "connection refused"
    if "timed out" in line.lower():
        return "no answer (timeout)"
    if "Connection aborted" in line or "RemoteDisconnected" in line:
        return "connection closed by the engine"
    return line[:200]


def as_backend_error(exc: BaseException) -> BackendError:
    """Map a docker-py / requests exception to BackendError / Unreachable / CallTimeout."""
    import docker.errors

    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, docker.errors.NotFound):
        return BackendError(f"not found: {reason(exc)}")
    if isinstance(exc, docker.errors.APIError):
        return BackendError(reason(exc))
    why = reason(exc)
    if "timeout" in why:
        return CallTimeout(f"engine unreachable: {why}")
    return Unreachable(f"engine unreachable: {why}")
