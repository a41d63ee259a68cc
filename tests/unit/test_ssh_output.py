"""Job output lines of the ssh "run" action: format_output / parse_output round trip."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from megam_tui.backends.ssh import format_output, kill_on_close, parse_output
from megam_tui.models import CommandOutput


def test_formats():
    assert format_output(CommandOutput("web1", "hello")) == "[web1] hello"
    assert format_output(CommandOutput("web1", "oops", "stderr")) == "[web1 stderr] oops"
    assert format_output(CommandOutput("web1", exit_code=3, done=True)) == "[web1 exit] 3"
    assert format_output(CommandOutput("web1", done=True, error="web1: refused")) == "[web1 error] web1: refused"


def test_stdout_that_looks_like_a_tag_stays_stdout():
    o = parse_output(format_output(CommandOutput("h", "[h exit] 0")))
    assert o == CommandOutput("h", "[h exit] 0")


def test_foreign_lines_are_not_parsed():
    assert parse_output("no prefix here") is None


# host names are config names: no spaces, no "]"
names = st.text(alphabet=st.characters(blacklist_characters="] \n", blacklist_categories=("Cs", "Zs", "Cc")), min_size=1)


@given(names, st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=("Cs",))), st.sampled_from(["stdout", "stderr"]))
def test_line_round_trip(host, line, stream):
    o = CommandOutput(host, line, stream)
    assert parse_output(format_output(o)) == o


@given(names, st.integers(-1, 255))
def test_exit_round_trip(host, code):
    o = CommandOutput(host, exit_code=code, done=True)
    assert parse_output(format_output(o)) == o


def test_kill_on_close_quotes_the_user_command_as_one_argument():
    import shlex

    cmd = "echo 'a b'; rm -rf \"$HOME\"/nothing $(x) `y`"
    argv = shlex.split(kill_on_close(cmd))
    assert argv[0:2] == ["sh", "-c"] and argv[3] == "megam" and argv[4] == cmd and len(argv) == 5
