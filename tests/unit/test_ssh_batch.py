"""LineBatcher: few job entries, capped per interval, nothing lost at close; long lines split."""

from __future__ import annotations

from megam_tui.backends.ssh import MAX_LINE, _Lines, format_output, parse_output
from megam_tui.backends.ssh_batch import LineBatcher, split_entry
from megam_tui.models import CommandOutput


def make(max_lines=1000):
    entries: list[str] = []
    # a long interval: the flusher thread never fires during the test; flush() by hand
    return LineBatcher(entries.append, format_output, interval=3600, max_lines=max_lines), entries


def test_lines_become_one_entry_per_flush_in_order():
    b, entries = make()
    for i in range(5):
        b.add(CommandOutput("h", f"l{i}"))
    b.add(CommandOutput("h", "warn", "stderr"))
    b.flush()
    b.flush()  # nothing pending: no empty entry
    b.add(CommandOutput("h", exit_code=0, done=True))
    b.close()
    assert len(entries) == 2
    parsed = [parse_output(x) for e in entries for x in split_entry(e)]
    assert [p.line for p in parsed[:5]] == [f"l{i}" for i in range(5)]
    assert parsed[5] == CommandOutput("h", "warn", "stderr")
    assert parsed[6] == CommandOutput("h", exit_code=0, done=True)


def test_excess_lines_are_counted_not_kept():
    b, entries = make(max_lines=10)
    for i in range(25):
        b.add(CommandOutput("h", str(i)))
    b.close()
    lines = split_entry(entries[0])
    assert len(lines) == 11
    note = parse_output(lines[0])
    assert note.stream == "stderr" and note.line.startswith("… 15 lines not shown")
    assert [parse_output(x).line for x in lines[1:]] == [str(i) for i in range(15, 25)]  # the newest


def test_long_line_without_newline_is_passed_on_in_pieces():
    out: list[CommandOutput] = []
    lines = _Lines("h", "stdout", out.append)
    lines.feed(b"x" * (MAX_LINE * 2 + 10))
    assert [len(o.line) for o in out] == [MAX_LINE, MAX_LINE]
    lines.feed(b"yz\npartial")
    assert out[-1].line == "x" * 10 + "yz"
    lines.flush()
    assert out[-1].line == "partial"


def test_the_end_record_is_never_dropped_and_comes_last():
    b, entries = make(max_lines=3)
    for i in range(5):
        b.add(CommandOutput("h", str(i)))
    b.add(CommandOutput("h", exit_code=2, done=True))
    b.close()
    parsed = [parse_output(x) for x in split_entry(entries[0])]
    assert parsed[0].line.startswith("… 2 lines not shown")
    assert [p.line for p in parsed[1:4]] == ["2", "3", "4"]
    assert parsed[4] == CommandOutput("h", exit_code=2, done=True)
