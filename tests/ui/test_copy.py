"""`Y` copies what is highlighted to the clipboard (OSC 52 via Textual): a container's name as shown
(not its key), the timeline message, a job's output; the text is plain (no escape sequences)."""

from __future__ import annotations

from megam_tui.backends.docker_models import ContainersSnapshot
from megam_tui.jobs import Job
from megam_tui.models import BackendState
from megam_tui.ui.jobs_pane import JobOutputScreen
from megam_tui.ui.messages import LayerUpdate
from tests.ui.fakes import container, event
from tests.ui.test_hostile_panes import make_app


async def test_y_copies_the_highlighted_name_the_event_and_a_jobs_output():
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        web = container("web-1")
        app.post_message(LayerUpdate("docker", ContainersSnapshot("local", (web,), BackendState("docker", "local", True))))
        await pilot.pause()
        app.flush_held()
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("Y")
        await pilot.pause()
        assert app.clipboard == "web-1"
        app.post_message(LayerUpdate("docker", event("died \x1b[2Jbadly", obj="web-1")))
        await pilot.pause()
        await pilot.press("6")
        await pilot.pause()
        await pilot.press("Y")
        await pilot.pause()
        assert app.clipboard.startswith("died ") and "badly" in app.clipboard and "\x1b" not in app.clipboard
        job = Job(7, "ssh", "run", "node1", lambda j: None)
        job.emit("line one")
        job.emit("line two")
        app.push_screen(JobOutputScreen(job))
        await pilot.pause()
        await pilot.press("Y")
        await pilot.pause()
        assert app.clipboard == "line one\nline two"


async def test_nothing_to_copy_says_so():
    app = make_app()
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await pilot.press("4")  # the Ceph pane: nothing highlighted to copy
        await pilot.pause()
        before = app.clipboard
        await pilot.press("Y")
        await pilot.pause()
        assert app.clipboard == before
        assert any("nothing to copy" in str(n.message) for n in app._notifications)
