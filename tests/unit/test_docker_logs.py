"""Log line splitting and cleaning (TTY byte-by-byte streams, controls, literal markup)."""

import threading
import time

import pytest

from megam_tui.backends.docker_logs import LineSplitter, LogLine, LogSession, clean_line, split_timestamp


def test_byte_by_byte_gives_whole_lines_and_utf8():
    data = "héllo [red]x[/]\r\nsecond ✓\npartial".encode()
    sp = LineSplitter()
    out = []
    for i in range(len(data)):
        out += sp.feed(data[i : i + 1])
    assert out == ["héllo [red]x[/]", "second ✓"]
    assert sp.flush() == ["partial"] and sp.flush() == []


def test_big_chunks_and_runaway_line():
    sp = LineSplitter(max_line=10)
    assert sp.feed(b"a\nb\nc") == ["a", "b"]
    assert sp.feed(b"0123456789ABC") == ["c0123456789ABC"]


@pytest.mark.parametrize(
    "raw,kept,plain",
    [
        ("\x1b[31mred\x1b[0m [b]x[/b]", "\x1b[31mred\x1b[0m [b]x[/b]", "red [b]x[/b]"),
        ("\x1b[2J\x1b[Hclear", "clear", "clear"),  # screen clear + cursor home stripped
        ("\x1b[?25lhidden\x1b[?25h", "hidden", "hidden"),  # private modes stripped
        ("10%\r50%\r100%", "100%", "100%"),  # carriage-return overwrite
        ("\x1b]0;title\x07text", "text", "text"),  # OSC title
        ("bell\x07 back\x08space", "bell backspace", "bell backspace"),
        ("tab\there", "tab    here", "tab    here"),
        ("\x1b[1A\x1b[Kup", "up", "up"),
    ],
)
def test_clean_line(raw, kept, plain):
    assert clean_line(raw) == kept
    assert clean_line(raw, keep_colours=False) == plain


def test_split_timestamp():
    ts, raw, text = split_timestamp("2026-11-25T19:50:32.603095628Z chatty 1 [red]x[/]")
    assert raw == "2026-11-25T19:50:32.603095628Z" and text == "chatty 1 [red]x[/]"
    assert ts == pytest.approx(1795636232.603095, abs=1e-5)
    assert split_timestamp("no timestamp") == (None, "", "no timestamp")


def test_session_bounds_buffers_and_merges_by_time():
    got = []
    s = LogSession("t", got.append, max_lines=100)
    s.stop()  # no followers, no flusher: drive drain() by hand
    s._buffers = {"e/a": __import__("collections").deque(maxlen=100), "e/b": __import__("collections").deque(maxlen=100)}
    s.push("e/a", [LogLine("e/a", "a", float(i * 2), f"a{i}") for i in range(150)])
    s.push("e/b", [LogLine("e/b", "b", 1.0, "b0")])
    batches = s.drain()
    assert batches[0].dropped == 50
    lines = batches[0].lines
    assert len(lines) == 101
    assert [ln.text for ln in lines[:2]] == ["b0", "a50"]  # merged in time order, oldest 50 of a dropped
    assert s.drain() == []


def _session_without_flusher(max_lines: int) -> LogSession:
    s = LogSession("t", lambda b: None, max_lines=max_lines)
    s._stop.set()
    s._flusher.join(1)
    s._stop.clear()  # the flusher is gone; push() waits again, drain() is driven by hand
    s._buffers = {"e/a": __import__("collections").deque(maxlen=max_lines)}
    return s


def test_full_buffer_holds_the_follower_back_until_drained():
    s = _session_without_flusher(100)
    s.push("e/a", [LogLine("e/a", "a", float(i), f"a{i}") for i in range(100)])
    pushed = threading.Event()
    t = threading.Thread(target=lambda: (s.push("e/a", [LogLine("e/a", "a", 100.0, "a100")]), pushed.set()))
    t.start()
    assert not pushed.wait(0.2)  # waiting for room, not dropping
    first = s.drain()
    assert pushed.wait(2)
    second = s.drain()
    assert [b.dropped for b in first + second] == [0, 0]
    assert [ln.text for ln in first[0].lines + second[0].lines] == [f"a{i}" for i in range(101)]


def test_full_buffer_drops_the_oldest_when_nobody_drains_in_time():
    s = _session_without_flusher(100)
    s.max_wait = 0.1
    s.push("e/a", [LogLine("e/a", "a", float(i), f"a{i}") for i in range(100)])
    t0 = time.monotonic()
    s.push("e/a", [LogLine("e/a", "a", float(100 + i), f"a{100 + i}") for i in range(10)])
    assert time.monotonic() - t0 >= 0.1
    (batch,) = s.drain()
    assert batch.dropped == 10
    assert [ln.text for ln in batch.lines][:1] == ["a10"]


def test_stop_releases_a_waiting_follower():
    s = _session_without_flusher(100)
    s.max_wait = 30
    s.push("e/a", [LogLine("e/a", "a", float(i), f"a{i}") for i in range(100)])
    t = threading.Thread(target=s.push, args=("e/a", [LogLine("e/a", "a", 100.0, "x")]))
    t.start()
    time.sleep(0.1)
    s.stop()
    t.join(2)
    assert not t.is_alive()
