"""Wait until descriptors are readable: poll(), not select().

select() refuses descriptors numbered 1024 and up ("filedescriptor out of range"),
and this process can hold well over a thousand: the stats thread keeps ~5 cgroup
files open per running container (docker_stats.KeptFiles), so a connection opened
after that lands above 1023. poll() takes any number.
"""

from __future__ import annotations

import select
from collections.abc import Sequence


def readable(fds: Sequence[int], timeout: float) -> list[int]:
    """The descriptors of `fds` readable (or hung up, or closed) within `timeout` seconds."""
    p = select.poll()
    for fd in fds:
        p.register(fd, select.POLLIN | select.POLLPRI)
    return [fd for fd, _ in p.poll(max(0.0, timeout) * 1000.0)]
