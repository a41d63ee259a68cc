"""RunCommandScreen: submit, live output per host, stderr style, exit codes, cancel, history."""

from __future__ import annotations

from textual.app import App
from textual.widgets import RichLog

from megam_tui.backends.ssh import format_output
from megam_tui.models import CommandOutput
from megam_tui.ui.jobs_pane import JobCommand
from megam_tui.ui.messages import RunAction
from megam_tui.ui.run_command import RunCommandScreen, RunJobEvent, clean, load_history


class ScreenApp(App):
    def __init__(self, screen: RunCommandScreen):
        super().__init__()
        self.run_screen = screen
        self.seen: list = []

    def on_mount(self) -> None:
        self.push_screen(self.run_screen)

    def on_run_action(self, m: RunAction) -> None:
        self.seen.append(m)

    def on_job_command(self, m: JobCommand) -> None:
        self.seen.append(m)


def log_lines(screen: RunCommandScreen) -> list[str]:
    return [strip.text for strip in screen.query_one("#run-output", RichLog).lines]


async def test_submit_posts_one_run_action_for_all_hosts_and_records_history(tmp_path):
    hist = tmp_path / "home" / "history"
    screen = RunCommandScreen(["a", "b", "c"], history_path=hist)
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press(*"echo hi", "enter")
        await pilot.pause()
        [m] = app.seen
        assert (m.layer, m.action, m.targets, m.params["command"]) == ("ssh", "run", ["a", "b", "c"], "echo hi")
        assert screen.running and screen.history == ["echo hi"]
        await pilot.press(*"again", "enter")  # refused while running
        await pilot.pause()
        assert len(app.seen) == 1
        assert "still running" in str(screen.query_one("#run-note").render())
    assert hist.read_text() == "echo hi\n"
    assert load_history(hist, 10) == ["echo hi"]


async def test_output_lines_prefixed_by_host_stderr_styled_exit_codes_shown():
    screen = RunCommandScreen(["a", "b"])
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        screen.submit("ls")
        screen.add_output(CommandOutput("a", "file1"))
        screen.add_output(CommandOutput("b", "no such file", "stderr"))
        screen.add_output(CommandOutput("a", exit_code=0, done=True))
        assert screen.running
        screen.add_output(CommandOutput("b", exit_code=2, done=True))
        assert not screen.running
        for _ in range(100):  # output is flushed by a timer: wait for it, however loaded the machine
            await pilot.pause(0.05)
            lines = log_lines(screen)
            if "[b] exit 2" in lines:
                break
        assert lines[:1] == ["$ ls"]
        assert "[a] file1" in lines and "[b] no such file" in lines and "[a] exit 0" in lines and "[b] exit 2" in lines
        strips = screen.query_one("#run-output", RichLog).lines
        err_strip = next(s for s in strips if s.text == "[b] no such file")
        assert any(seg.style and seg.style.color and seg.style.color.name == "red" for seg in err_strip if "no such" in seg.text)
        status = str(screen.query_one("#run-status").render())
        assert "exit 0" in status and "exit 2" in status


def ev(screen, job_id, host, entry=None, state="running", error=None, cancelled=False, run_id=None):
    return RunJobEvent(job_id, host, run_id or screen.run_id, entry, state, error, cancelled)


async def test_job_events_batches_lines_and_a_final_state_without_record():
    screen = RunCommandScreen(["a", "b"])
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        screen.submit("x")
        batch = "\n".join(format_output(o) for o in (CommandOutput("a", "one"), CommandOutput("a", "two", "stderr")))
        screen.job_event(ev(screen, 7, "a", batch))
        screen.job_event(ev(screen, 9, "a", "[a] not mine", run_id="someone-else"))
        screen.job_event(ev(screen, 7, "a", format_output(CommandOutput("a", exit_code=0, done=True))))
        screen.job_event(ev(screen, 7, "a", state="done"))  # final state after the record: nothing added
        # b: cancelled while queued -> only a final state, no record from the backend
        screen.job_event(ev(screen, 8, "b", state="cancelled", error="cancelled before it started", cancelled=True))
        await pilot.pause(0.2)
        assert [(o.host, o.line, o.stream) for o in screen.outputs if not o.done] == [("a", "one", "stdout"), ("a", "two", "stderr")]
        assert [o for o in screen.outputs if o.done] == [
            CommandOutput("a", exit_code=0, done=True),
            CommandOutput("b", done=True, error="cancelled before it started"),
        ]
        assert not screen.running
        status = str(screen.query_one("#run-status").render())
        assert "exit 0" in status and "cancelled" in status


async def test_ctrl_c_cancels_every_unfinished_job():
    screen = RunCommandScreen(["a", "b"])
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        screen.submit("sleep 100")
        screen.job_event(ev(screen, 1, "a"))
        screen.job_event(ev(screen, 2, "b"))
        screen.job_event(ev(screen, 2, "b", format_output(CommandOutput("b", exit_code=0, done=True))))
        await pilot.press("ctrl+c")
        await pilot.pause()
        cancels = [m for m in app.seen if isinstance(m, JobCommand)]
        assert [(m.command, m.job_id) for m in cancels] == [("cancel", 1)]
        screen.job_event(ev(screen, 1, "a", format_output(CommandOutput("a", exit_code=-1, done=True)), cancelled=True))
        assert "cancelled" in str(screen.query_one("#run-status").render())
        assert not screen.running


async def test_history_up_down_in_the_input():
    screen = RunCommandScreen(["a"], history=["first", "second"])
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        box = screen.query_one("#run-input")
        await pilot.press("up")
        assert box.value == "second"
        await pilot.press("up", "up")
        assert box.value == "first"
        await pilot.press("down", "down")
        assert box.value == ""


async def test_unwritable_history_is_shown_not_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    screen = RunCommandScreen(["a"], history_path=blocker / "history")
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        assert screen.submit("uptime")
        await pilot.pause()
        assert "history not saved" in str(screen.query_one("#run-note").render())
        assert screen.history == ["uptime"]  # still kept in memory
        assert len(app.seen) == 1


async def test_empty_command_is_refused_with_a_message():
    screen = RunCommandScreen(["a"])
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert app.seen == [] and "type a command" in str(screen.query_one("#run-note").render())


def test_clean_strips_escape_sequences_and_controls():
    assert clean("\x1b[31mred\x1b[0m\tx\x07\x1b]0;title\x07") == "red x"
    assert clean("[b]markup[/b]") == "[b]markup[/b]"


async def test_a_flood_is_thinned_on_screen_but_end_records_and_status_stay():
    from megam_tui.ui.run_command import DISPLAY_MAX

    screen = RunCommandScreen(["a", "b"])
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        screen.submit("seq 1 5000")
        screen.add_output(CommandOutput("b", exit_code=0, done=True))
        for i in range(5000):
            screen.add_output(CommandOutput("a", str(i)))
        screen.add_output(CommandOutput("a", exit_code=1, done=True))
        await pilot.pause(0.3)
        lines = log_lines(screen)
        assert len(lines) <= DISPLAY_MAX + 2  # header + note + at most DISPLAY_MAX
        assert any(line.startswith("… ") and "not shown" in line for line in lines)
        assert "[b] exit 0" in lines and lines[-1] == "[a] exit 1"
        assert "[a] 4999" in lines and "[a] 0" not in lines  # the newest lines are the ones shown
        status = str(screen.query_one("#run-status").render())
        assert "exit 0" in status and "exit 1" in status
