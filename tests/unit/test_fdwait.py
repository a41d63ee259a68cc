"""readable() waits on descriptors of any number (select() stops at 1023)."""

import os
import resource
import select
import threading
import time

from megam_tui.backends.fdwait import readable


def high_pipe():
    """A pipe whose read end is numbered as high as the descriptor limit allows (≥ 1024 if it can)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1500
    if soft <= want and (hard == resource.RLIM_INFINITY or hard > want):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want + 1, hard))
        soft = want + 1
    r, w = os.pipe()
    high = os.dup2(r, min(want, soft - 1))
    os.close(r)
    return high, w


def test_a_descriptor_above_1023_is_waited_on():
    r, w = high_pipe()
    try:
        if r >= 1024:  # what select() refuses
            try:
                select.select([r], [], [], 0)
            except ValueError:
                pass
            else:
                raise AssertionError("select() took a descriptor above 1023 here")
        assert readable([r], 0) == []
        threading.Timer(0.1, os.write, (w, b"x")).start()
        t = time.monotonic()
        assert readable([r], 5) == [r]
        assert time.monotonic() - t < 2
    finally:
        os.close(r)
        os.close(w)


def test_timeout_and_closed_peer():
    r, w = os.pipe()
    try:
        t = time.monotonic()
        assert readable([r], 0.2) == []
        assert time.monotonic() - t >= 0.15
        os.close(w)
        assert readable([r], 1) == [r]  # EOF counts: the reader finds out what happened
    finally:
        os.close(r)
