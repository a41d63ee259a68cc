"""Textual's Linux driver with an input thread that sleeps until there is input.

Textual's input thread wakes every 0.1 s to check whether it should exit: ten
wake-ups a second, ~0.1 % of a core for a console that sits open all day. Here
the thread blocks until a byte arrives, until the escape-sequence parser's own
deadline (a lone Esc is still delivered after Textual's delay), or until the
driver asks it to stop: the stop event also writes to a wake-up pipe the
thread watches, so quitting and suspending (`e` exec) are not delayed.

Only the real terminal uses this driver; headless tests and web mode keep theirs.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

IDLE_WAIT = 5.0  # s: an upper bound only, the pipe wakes the thread to stop
POLL = 0.1  # Textual's own interval
_UNKNOWN = object()


class _WakingEvent(threading.Event):
    """The driver's exit event: setting it also wakes the input thread."""

    def __init__(self) -> None:
        super().__init__()
        self.wake_fd: int | None = None

    def set(self) -> None:
        super().set()
        fd = self.wake_fd
        if fd is not None:
            try:
                os.write(fd, b"x")
            except OSError:
                pass


class CalmLinuxDriver(LinuxDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_event = _WakingEvent()

    def run_input_thread(self) -> None:
        """Textual's run_input_thread, but waiting for input instead of polling."""
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        event = self.exit_event
        if isinstance(event, _WakingEvent):
            event.wake_fd = wake_w
        selector = selectors.SelectSelector()
        fileno = self.fileno
        selector.register(fileno, selectors.EVENT_READ)
        selector.register(wake_r, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        feed, tick = parser.feed, parser.tick
        decode = getincrementaldecoder("utf-8")().decode

        def process(selector_events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            keys = []
            for key, mask in selector_events:
                if key.fd == wake_r:
                    try:
                        os.read(wake_r, 64)
                    except OSError:
                        pass
                elif mask & selectors.EVENT_READ:
                    keys.append(key)
            for last, _key in loop_last(keys):
                data = decode(os.read(fileno, 1024 * 4), final=final and last)
                if not data:
                    break  # stdin is a pipe that was closed
                for message in feed(data):
                    self.process_message(message)
            for message in tick():
                self.process_message(message)

        def wait() -> float:
            due = getattr(parser, "_timeout_time", _UNKNOWN)  # an escape sequence in progress
            if due is _UNKNOWN:
                return POLL  # a Textual without that attribute: poll like Textual does
            if due is None:
                return IDLE_WAIT
            return max(0.0, min(IDLE_WAIT, due - get_time()))

        try:
            while not event.is_set():
                process(selector.select(wait()))
            selector.unregister(fileno)
            process(selector.select(0.0), final=True)
        finally:
            if isinstance(event, _WakingEvent):
                event.wake_fd = None
            selector.close()
            os.close(wake_r)
            os.close(wake_w)
            try:
                for _ in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
