"""Keys typed the moment the first frame is up act as bindings (issue: `3` then `z` typed in the
first second landed in the Containers pane's hidden filter: "filter '3z': 0 shown"). The real
console on the real testbed, in a real terminal (tmux), keys sent as soon as the first frame shows."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _tmux import TmuxSession  # noqa: E402

from tests.integration.conftest import testbed_config_path  # noqa: E402,F401 - the fixture

REPO = Path(__file__).resolve().parents[2]


def test_keys_right_after_the_first_frame_are_bindings(tmp_path, testbed_config_path):
    config = testbed_config_path
    s = TmuxSession([sys.executable, "-m", "megam_tui", "--config", str(config)], width=160, height=50,
                    env={"PYTHONPATH": str(REPO), "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "50", "MEGAM_HOME": str(tmp_path)})
    try:
        first = s.wait_for(lambda scr: "Containers" in scr and "Hosts" in scr, timeout=30, interval=0.005)
        assert first is not None, s.screen()
        s.send("3")
        s.send("z")
        time.sleep(2.0)
        screen = s.screen()
        assert "filter '" not in screen, screen
        # Hosts zoomed: its hosts fill the screen, the Containers pane is gone from it
        assert "node1" in screen and "Containers" not in screen.split("\n", 2)[-1], screen
    finally:
        s.kill()
