"""Hostile bytes through the docker log text path (LineSplitter + clean_line): what comes
out is printable text only, bounded per line, with markup left as text."""

from __future__ import annotations

import pytest

from megam_tui.backends.docker_logs import LineSplitter, clean_line

@pytest.mark.parametrize("raw, want", [
    ("[bold red]x[/] [link=https://e.example/]y[/link]", "[bold red]x[/] [link=https://e.example/]y[/link]"),
    ("\x1b[2J\x1b[Hcleared", "cleared"),
    ("\x1b]0;title\x07titled", "titled"),
    ("\x1b]8;;https://e.example/\x1b\\link\x1b]8;;\x1b\\", "link"),
    ("nul\x00bel\x07bs\x08", "nulbelbs"),
    ("progress 10%\rprogress 99%", "progress 99%"),
])
def test_clean_line_keeps_text_drops_controls(raw, want):
    assert clean_line(raw, keep_colours=False) == want


def test_line_splitter_bounds_a_runaway_line_and_replaces_bad_utf8():
    sp = LineSplitter()
    lines = []
    for _ in range(16):  # 1 MiB without a newline
        lines += sp.feed(b"A" * 65536)
    lines += sp.feed(b"\xff\xfe bad\n")
    lines += sp.flush()
    assert sum(len(ln) for ln in lines) >= 1024 * 1024
    assert max(len(ln) for ln in lines) <= 2 * sp.max_line
    assert lines[-1].endswith("\ufffd\ufffd bad")
