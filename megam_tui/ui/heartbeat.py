"""Tick with the app's heartbeat (one frame a beat), or on a timer outside MegamApp."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


def on_heartbeat(widget: Widget, callback: Callable[[], object], fallback: float = 1.0) -> None:
    """Call `callback()` on every heartbeat of the app; a plain timer when the app has none.

    Call from `on_mount`. The signal drops the subscription when the widget goes away.
    """
    signal = getattr(widget.app, "heartbeat_signal", None)
    if signal is None:
        widget.set_interval(fallback, callback)
        return
    signal.subscribe(widget, lambda _now: callback(), immediate=True)
