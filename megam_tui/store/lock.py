"""Who records: a recorder holds an exclusive lock on `<store>.recorder` while it runs.

A console that finds the lock held leaves the layers' events and figures to the
recorder (they would be stored twice) and stores only its own: jobs, their
events and the app's. flock locks vanish with their process, kill -9 included.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def lock_path(store: Path) -> Path:
    return store.with_name(store.name + ".recorder")


class RecorderLock:
    """Held by `megam-tui record` for its whole run."""

    def __init__(self, store: Path) -> None:
        self.path = lock_path(store)
        self.fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def recorder_running(store: Path) -> bool:
    """True while some process holds the recorder lock of this store."""
    try:
        fd = os.open(lock_path(store), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
