"""Starting with four unreachable hosts (refused, silent, bad auth, changed key: real sshd faults)
raises ONE notification that names them ("4 of 8 hosts unreachable: …"), not four toasts over
half the screen; the timeline still has one event per host."""

from __future__ import annotations

from tests.integration.test_ssh_app import make_app, wait_for
from tests.integration.test_ssh_layer import FAULTS


def ssh_toasts(app) -> list:
    return [n for n in app._notifications if str(n.title).startswith("ssh")]


async def test_start_up_failures_are_one_toast_per_layer(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(180, 50), notifications=True) as pilot:
        timeline = lambda: [ev for _, ev in app.panes["events"].events if ev.layer == "ssh" and ev.kind == "reachability"]  # noqa: E731
        assert await wait_for(pilot, lambda: {ev.source for ev in timeline()} >= set(FAULTS), 20), [e.message for e in timeline()]
        assert await wait_for(pilot, lambda: ssh_toasts(app), 10)
        await pilot.pause(2.0)  # nothing else follows
        toasts = ssh_toasts(app)
        assert len(toasts) == 1, [str(t.message) for t in toasts]
        text = str(toasts[0].message)
        total = app.known_count("ssh")
        assert total == 8  # 3 good + 4 faults + the local machine
        assert text.startswith(f"4 of {total} hosts unreachable: "), text
        assert all(name in text for name in FAULTS), text
        assert toasts[0].severity == "error"
        assert len({ev.source for ev in timeline()}) == 4  # the timeline keeps each host's own event
