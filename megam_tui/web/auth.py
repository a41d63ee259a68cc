"""Web-mode credentials: the per-start token, a fixed token from a file or the environment,
the constant-time check and the Origin rule. No aiohttp here: plain functions, unit-tested."""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

TOKEN_ENV = "MEGAM_WEB_TOKEN"
COOKIE = "megam_token"
MIN_TOKEN_CHARS = 24  # a fixed token shorter than this is refused (~128 bits as url-safe base64 is 22)


class TokenError(Exception):
    """A fixed token that cannot be used; the message says why and what to do."""


def new_token() -> str:
    """256 random bits, URL-safe: printed once in the URL, never logged."""
    return secrets.token_urlsafe(32)


def token_from_file(path: str | os.PathLike[str]) -> str:
    """A fixed token from a file only its owner can read (mode 0600 or stricter)."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise TokenError(f"token file {p}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "r", encoding="utf-8") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise TokenError(f"token file {p}: not a regular file")
        if st.st_uid != os.getuid():
            raise TokenError(f"token file {p}: owned by uid {st.st_uid}, not by you")
        if st.st_mode & 0o077:
            raise TokenError(f"token file {p}: mode {stat.S_IMODE(st.st_mode):04o} lets others read it; chmod 600 {p}")
        return check_fixed(fh.read().strip(), f"token file {p}")


def check_fixed(token: str, source: str) -> str:
    if len(token) < MIN_TOKEN_CHARS:
        raise TokenError(f"{source}: a token needs at least {MIN_TOKEN_CHARS} characters (try: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if any(c.isspace() for c in token) or not token.isprintable():
        raise TokenError(f"{source}: a token is one line of printable characters without spaces")
    return token


def choose_token(token_file: str | None, environ: dict[str, str] | None = None) -> tuple[str, str]:
    """(token, where it came from): the file, else $MEGAM_WEB_TOKEN, else a new random one."""
    env = os.environ if environ is None else environ
    if token_file:
        return token_from_file(token_file), f"token file {token_file}"
    if env.get(TOKEN_ENV):
        return check_fixed(env[TOKEN_ENV], f"${TOKEN_ENV}"), f"${TOKEN_ENV}"
    return new_token(), "generated for this start"


def token_matches(expected: str, offered: str | None) -> bool:
    """Constant-time comparison (hmac.compare_digest) of the offered token with ours."""
    if not offered:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), offered.encode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class Origins:
    """The origins a browser page of ours can have: the served (public) URL's, and for a
    loopback bind the same port under each loopback name."""

    allowed: frozenset[str]

    @classmethod
    def for_server(cls, public_url: str, port: int | None, loopback: bool, tls: bool) -> "Origins":
        allowed = {origin_of(public_url)}
        if loopback and port is not None:
            scheme = "https" if tls else "http"
            for host in ("127.0.0.1", "localhost", "[::1]"):
                allowed.add(f"{scheme}://{host}:{port}")
        return cls(frozenset(a for a in allowed if a))

    def accepts(self, origin: str | None) -> bool:
        """A WebSocket upgrade must say where its page came from, and that must be us."""
        return bool(origin) and origin_of(origin) in self.allowed


def origin_of(url: str) -> str:
    """scheme://host[:port], lower-case, default ports dropped; '' for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
