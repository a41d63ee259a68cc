"""Toasts coalesced per layer: one event is shown as it is, several of one layer within the window
are one toast (reachability as "N of M hosts unreachable: …", jobs as "12 jobs: 10 done, 2 failed"),
layers apart; the burst limit counts toasts."""

from __future__ import annotations

import time

from megam_tui.models import Event
from megam_tui.ui.notify import Notifier


class TimerApp:
    """Records toasts; timers run when the test says (no event loop needed)."""

    settings = None

    def __init__(self, known: int = 7) -> None:
        self.toasts: list[tuple[str, str, str]] = []
        self.timers: list = []
        self.known = known

    def notify(self, message, title="", severity="information", markup=True):
        self.toasts.append((title, message, severity))

    def set_timer(self, delay, callback):
        self.timers.append((delay, callback))

    def known_count(self, layer):
        return self.known

    def fire(self):
        timers, self.timers = self.timers, []
        for _, cb in timers:
            cb()


def down(host: str) -> Event:
    return Event(time.time(), "ssh", "error", host, f"{host}: connection refused", object=host, kind="reachability")


def test_one_event_is_shown_as_it_is():
    app = TimerApp()
    n = Notifier(app, coalesce=1.0)
    assert n.event(down("h1"), now=0.0)
    assert app.toasts == []  # held for the window
    app.fire()
    assert app.toasts == [("ssh · h1", "h1: h1: connection refused", "error")]


def test_several_hosts_down_are_one_toast_naming_them_and_layers_stay_apart():
    app = TimerApp(known=7)
    n = Notifier(app, coalesce=1.0)
    for i, host in enumerate(("refused", "silent", "badauth", "changedkey")):
        assert n.event(down(host), now=float(i) / 10)
    n.event(Event(time.time(), "docker", "warn", "local", "died", object="web", kind="die"), now=0.5)
    assert len(app.timers) == 2  # one per layer
    app.fire()
    ssh = [t for t in app.toasts if t[0].startswith("ssh")]
    assert ssh == [("ssh · 4 events", "4 of 7 hosts unreachable: refused, silent, badauth, changedkey\n(details in Events: 6)", "error")]
    assert ("docker · local", "web: died", "warning") in app.toasts
    assert n.toasts == 2 and n.coalesced == 3


def test_the_start_up_hold_delays_the_first_flush():
    app = TimerApp()
    n = Notifier(app, coalesce=1.0)
    n.hold_until(10.0)
    n.event(down("h1"), now=2.0)
    assert app.timers[0][0] == 8.0


def test_jobs_finishing_together_are_one_toast_with_their_counts():
    app = TimerApp()
    n = Notifier(app, coalesce=1.0)
    for i in range(12):
        state = "failed" if i in (3, 7) else "done"
        n.job(Event(time.time(), "job", "error" if state == "failed" else "info", "ssh", f"run node{i}: {state}", kind=state), now=0.0)
    app.fire()
    assert len(app.toasts) == 1
    title, text, severity = app.toasts[0]
    assert title == "jobs" and severity == "error"
    assert text.splitlines()[:3] == ["12 jobs: 10 done, 2 failed", "run node3: failed", "run node7: failed"]


def test_the_burst_limit_counts_toasts_not_events():
    app = TimerApp()
    n = Notifier(app, coalesce=1.0, burst=2, window=60.0)
    for layer in ("ssh", "docker", "ceph"):
        for i in range(5):
            n.event(Event(time.time(), layer, "error", f"s{i}", "down", object=f"o{i}", kind="reachability"), now=1.0)
    app.fire()
    assert len(app.toasts) == 2 and n.suppressed == 5 and n.coalesced == 8
