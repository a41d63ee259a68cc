from dataclasses import dataclass

from megam_tui.models import Container, Event
from megam_tui.sanitize import safe_str, sanitize


def test_controls_become_visible_and_safe():
    assert safe_str("plain [red]x[/] text\tand\nnewline") == "plain [red]x[/] text\tand\nnewline"
    out = safe_str("\x1b[2J\x1b]0;title\x07 nul\x00 del\x7f csi\x9b2J \udcff")
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\x7f" not in out
    assert "\x9b" not in out and "\udcff" not in out
    assert out.startswith("␛[2J␛]0;title␇") and "\\x9b2J" in out and "\ufffd" in out


def test_sanitize_nested_models_and_keeps_identity_when_clean():
    clean = Container("id", "web", "local", "img", "running", labels={"a": "b"})
    assert sanitize(clean) is clean
    bad = Container("id", "we\x1bb", "local", "img", "running", labels={"k\x1b": "v\x1b"})
    out = sanitize(bad)
    assert out.name == "we␛b" and out.labels == {"k␛": "v␛"} and out.id == "id"
    ev = Event(1.0, "docker", "warn", "local", "x\x1b[2J", object="o")
    assert sanitize([ev])[0].message == "x␛[2J"
    assert sanitize((1, "a\x00")) == (1, "a␀")
    assert sanitize({"k": ["\x1b"]}) == {"k": ["␛"]}


def test_sanitize_big_line_fast_path():
    line = "x" * 1_000_000
    assert safe_str(line) is line


def test_log_lines_keep_colours_only():
    from megam_tui.backends.docker_logs import LogLine

    line = LogLine("local/x", "web", None, "\x1b[31mred\x1b[0m \x1b[2J\x1b]0;t\x07 \x9b2J")
    out = sanitize(line)
    assert out.text.startswith("\x1b[31mred\x1b[0m ")
    assert "\x1b[2J" not in out.text and "\x1b]" not in out.text and "\x9b" not in out.text and "\x07" not in out.text
    assert sanitize(Event(1.0, "docker", "info", "l", "\x1b[31mred")).message == "␛[31mred"
