"""Floods stay bounded: the event timeline (deque and table rows), toasts (rate-limited),
a job's output, through the app's normal routing."""

from __future__ import annotations

import time

from megam_tui.jobs import MAX_OUTPUT_LINES, Job
from megam_tui.models import Event
from megam_tui.ui.messages import LayerUpdate
from tests.ui.test_hostile_panes import make_app


async def test_event_flood_keeps_timeline_and_toasts_bounded():
    app = make_app()
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        events = app.panes["events"]
        cap = events.events.maxlen
        assert cap is not None and cap >= 100
        n = cap * 3
        t0 = time.monotonic()
        for i in range(n):
            app.post_message(LayerUpdate("docker", Event(time.time(), "docker", "error", "local", f"boom {i}", object=f"c{i % 50}", kind="die")))
        await pilot.pause()
        await pilot.pause(0.5)
        assert len(events.events) == cap
        assert events.events[-1][1].message == f"boom {n - 1}"  # the newest kept, the oldest dropped
        assert events.events[0][1].message == f"boom {n - cap}"
        table = events.query_one("#events-table")
        assert table.row_count <= cap
        # toasts are rate-limited, the rest only go to the timeline
        assert len(app._notifications) <= app.notifier.burst
        windows = int((time.monotonic() - t0) / app.notifier.window) + 1  # the burst allowance renews per window
        app.notifier.flush()  # what is still held (the start-up window) is shown or suppressed now
        notifier = app.notifier
        assert notifier.toasts + notifier.coalesced + notifier.suppressed == n  # every event accounted for
        assert notifier.toasts <= notifier.burst * windows
        app.action_focus_pane("events")
        await pilot.press("z")
        assert app.screen.maximized is app.frames["events"]


def test_job_output_is_bounded():
    job = Job(1, "ssh", "run", "h", func=lambda j: None)
    for i in range(MAX_OUTPUT_LINES * 2):
        job.emit(f"line {i}")
    assert len(job.output) == MAX_OUTPUT_LINES
    assert job.output[-1] == f"line {MAX_OUTPUT_LINES * 2 - 1}"
