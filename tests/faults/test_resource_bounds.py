"""A container printing 1M lines as fast as it can while its logs are followed in the
running app: the app's RSS stays under RSS_BOUND, the Logs screen keeps at most its
max_lines, and keys are answered within 100 ms (scaled by load, see key_budget)."""

from __future__ import annotations

import os
import statistics
import time

import psutil

from megam_tui.ui.logs import LogsScreen
from tests.faults.conftest import answer_time, key_budget, running_app, wait_for
from tests.integration.docker_helpers import docker, unique

LINES = 1_000_000
RSS_BOUND = 200 * 1024 * 1024  # bytes (the target)


async def test_million_lines_followed_rss_and_latency_bounded(settings):
    name = unique("flood")
    # waits for the Logs screen to be open (a marker file), then prints 1M lines flat out
    docker("run", "-d", "--name", name, "--stop-timeout", "1", "--label", "megam.test=1", "busybox:local", "sh", "-c",
           f"while [ ! -e /tmp/go ]; do sleep 0.1; done; seq 1 {LINES}; echo flood-end; sleep 100000")
    proc = psutil.Process(os.getpid())
    try:
        async with running_app(settings, need=("docker",)) as (app, pilot):
            pane = app.panes["docker"]
            assert await wait_for(pilot, lambda: any(c.name == name for c in pane.model.containers.values()), 15)
            key = next(k for k, c in pane.model.containers.items() if c.name == name)
            pane.table.focus()
            pane.table.move_cursor(row=pane.table.get_row_index(key))
            await pilot.press("l")
            assert await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), 5)
            logs = app.screen
            rss_before = proc.memory_info().rss
            docker("exec", name, "touch", "/tmp/go")
            started = time.monotonic()
            rss_peak, times = rss_before, []
            while time.monotonic() - started < 180:
                rss_peak = max(rss_peak, proc.memory_info().rss)
                if logs.received + logs.skipped >= LINES + 1:
                    break
                paused = logs.paused
                times.append(await answer_time(pilot, "p", lambda p=paused: logs.paused is not p))
                await pilot.pause(0.2)
            elapsed = time.monotonic() - started
            if logs.paused:
                await pilot.press("p")
            # every line is shown or counted as skipped (the layer's buffer is bounded by design)
            assert logs.received + logs.skipped >= LINES + 1, f"only {logs.received} + {logs.skipped} skipped lines in {elapsed:.0f} s"
            assert logs.skipped <= LINES // 100, f"{logs.skipped} lines skipped"
            assert await wait_for(pilot, lambda: logs.view.entries and logs.view.entries[-1].text == "flood-end", 10)
            rss_peak = max(rss_peak, proc.memory_info().rss)
            # LogView trims in chunks of a tenth (by design): at most max_lines * 1.1 are kept
            assert len(logs.view.entries) <= logs.max_lines + logs.max_lines // 10
            med = statistics.median(times)
            print(f"1M lines: {elapsed:.1f} s ({LINES / elapsed:,.0f} lines/s), RSS {rss_before / 2**20:.0f} -> peak "
                  f"{rss_peak / 2**20:.0f} MB, key (p) median {med * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                  f"over {len(times)} presses, kept {len(logs.view.entries)} lines, skipped {logs.skipped}")
            assert rss_peak <= RSS_BOUND, f"RSS peaked at {rss_peak / 2**20:.0f} MB"
            assert med <= key_budget(0.1), f"keys answered in {med * 1000:.0f} ms (median) while flooded"
    finally:
        docker("rm", "-f", name, check=False)
