"""glibc malloc settings for a process that runs all day with ~30 threads.

glibc gives threads their own malloc arenas (up to 8 per core) and keeps freed
memory in them; with many threads allocating a little each (layer pollers, SSH
transports, librados) the resident size creeps up for hours although nothing
leaks. Two arenas are plenty here, and `trim()` (on the app's heartbeat, every
few minutes) hands free pages back to the kernel. Elsewhere than glibc both do
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

M_ARENA_MAX = -8
ARENAS = 2

_libc: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            lib.mallopt.argtypes, lib.malloc_trim.argtypes = [ctypes.c_int, ctypes.c_int], [ctypes.c_size_t]
            _libc = lib
        except (OSError, AttributeError):
            _libc = False
    return _libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most `arenas` malloc arenas for threads started from now on."""
    lib = _glibc()
    return bool(lib) and lib.mallopt(M_ARENA_MAX, arenas) == 1


def trim() -> bool:
    """Give free heap pages back to the kernel (glibc malloc_trim); True if some were."""
    lib = _glibc()
    return bool(lib) and lib.malloc_trim(0) == 1
