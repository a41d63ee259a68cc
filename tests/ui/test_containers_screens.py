"""Logs and Inspect screens opened from the ContainersPane, fed through apply()."""

import time

from textual.widgets import Tree

from megam_tui.backends.docker_logs import LogBatch, LogLine
from megam_tui.backends.docker_models import ContainersSnapshot, ImagesSnapshot, InspectResult, ServicesSnapshot
from megam_tui.models import Image, Service
from megam_tui.ui.inspect import InspectScreen, mask_env
from megam_tui.ui.logs import LogsScreen
from tests.ui.test_containers_pane import BASE, OK, Host, keys, pane


async def _open(pilot, key="l", rows=("local/a1",)):
    p = pane(pilot.app)
    p.apply(OK)
    p.apply(ContainersSnapshot("local", BASE, OK))
    p.table.focus()
    await pilot.pause()
    for r in rows:
        p.table.move_cursor(row=keys(pilot.app).index(r))
        if len(rows) > 1:
            await pilot.press("space")
    await pilot.press(key)
    await pilot.pause()
    return p


def _strip_text(view, y):
    return "".join(seg.text for seg in view.render_line(y))


async def test_logs_follow_literal_markup_prefix_timestamps_and_close():
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        p = await _open(pilot, rows=("local/a1", "local/d4"))
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        follow = app.actions[-1]
        assert follow.action == "logs_follow" and sorted(follow.targets) == ["local/a1", "local/d4"]
        session = follow.params["session"]
        t = time.time()
        p.apply(LogBatch(session, (LogLine("local/a1", "web", t, "hello [red]x[/] \x1b[31mred\x1b[0m"), LogLine("local/d4", "chatty", t + 1, "second"))))
        await pilot.pause()
        view = screen.view
        assert len(view.entries) == 2
        first = _strip_text(view, 0)
        assert first.startswith("web hello [red]x[/] red")  # literal markup, SGR turned into style
        assert _strip_text(view, 1).startswith("chatty second")
        await pilot.press("t")
        assert time.strftime("%H:%M:%S", time.localtime(t)) in _strip_text(view, 0)
        # another session's lines do not land here
        p.apply(LogBatch("other", (LogLine("local/a1", "web", t, "nope"),)))
        await pilot.pause()
        assert len(view.entries) == 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.actions[-1].action == "logs_stop" and app.actions[-1].params == {"session": session}
        assert not isinstance(app.screen, LogsScreen)


async def test_logs_pause_search_wrap_and_bound():
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        p = await _open(pilot)
        screen = app.screen
        session = app.actions[-1].params["session"]
        screen.view.max_lines = 100
        p.apply(LogBatch(session, tuple(LogLine("local/a1", "web", None, f"line {i}") for i in range(300))))
        await pilot.pause()
        assert len(screen.view.entries) <= 110 and screen.view.entries[-1].text == "line 299"
        await pilot.press("p")
        p.apply(LogBatch(session, (LogLine("local/a1", "web", None, "held"),)))
        await pilot.pause()
        assert screen.view.entries[-1].text == "line 299"
        await pilot.press("p")
        assert screen.view.entries[-1].text == "held"
        await pilot.press("slash", *"line 25", "enter")
        await pilot.pause()
        v = screen.view
        assert v.search == "line 25" and v.entries[v.current_match].text.startswith("line 25")
        first = v.current_match
        await pilot.press("n")
        assert v.current_match != first and v.entries[v.current_match].text.startswith("line 25")
        await pilot.press("N")
        assert v.current_match == first
        await pilot.press("w")
        assert v.wrap and len(v._rows) == len(v.entries)
        p.apply(LogBatch(session, (LogLine("local/a1", "web", None, "x" * 250),)))
        await pilot.pause()
        assert len(v._rows) == len(v.entries) + 2  # 250 chars over ~100 columns: 3 rows



async def test_lines_trimmed_while_paused_are_counted_not_silent():
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        p = await _open(pilot)
        screen = app.screen
        session = app.actions[-1].params["session"]
        screen.max_lines = screen.view.max_lines = 50
        await pilot.press("p")
        p.apply(LogBatch(session, tuple(LogLine("local/a1", "web", None, f"line {i}") for i in range(80))))
        await pilot.pause()
        status = str(screen.query_one("#logs-status").render())
        assert "PAUSED (+50 new)" in status and "30 old lines dropped" in status
        await pilot.press("p")
        assert [e.text for e in screen.view.entries][:1] == ["line 30"] and screen.view.dropped == 30

async def test_logs_save(tmp_path):
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        p = await _open(pilot)
        screen = app.screen
        screen.save_dir = tmp_path
        p.apply(LogBatch(app.actions[-1].params["session"], (LogLine("local/a1", "web", 1795636232.0, "a \x1b[31mred\x1b[0m [b]b[/b]"),)))
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        files = list(tmp_path.glob("web-*.log"))
        assert len(files) == 1 and files[0].read_text().rstrip("\n").endswith(" a red [b]b[/b]")


def test_mask_env():
    assert mask_env("DB_PASSWORD=hunter2", False) == "DB_PASSWORD=••••••"
    assert mask_env("api_token=x", False) == "api_token=••••••"
    assert mask_env("DB_PASSWORD=hunter2", True) == "DB_PASSWORD=hunter2"
    assert mask_env("PATH=/bin", False) == "PATH=/bin"
    assert mask_env("SECRET=", False) == "SECRET="


def _labels(tree):
    out = []

    def walk(node):
        out.append(str(node.label))
        for c in node.children:
            walk(c)

    walk(tree.root)
    return out


async def test_inspect_tree_masks_secrets_until_revealed():
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        p = await _open(pilot, key="i")
        assert isinstance(app.screen, InspectScreen)
        assert (app.actions[-1].action, app.actions[-1].targets) == ("inspect", ["local/a1"])
        data = {"Name": "/web", "Config": {"Env": ["PATH=/bin", "DB_PASSWORD=hunter2"], "Labels": {"x": "[red]y[/]"}}, "State": {"Running": True}}
        p.apply(InspectResult("local/a1", data))
        await pilot.pause()
        labels = _labels(app.screen.query_one(Tree))
        assert "DB_PASSWORD=••••••" in labels and "PATH=/bin" in labels
        assert "x: [red]y[/]" in labels and "Running: true" in labels
        assert not any("hunter2" in s for s in labels)
        await pilot.press("v")
        assert "DB_PASSWORD=hunter2" in _labels(app.screen.query_one(Tree))
        p.apply(InspectResult("local/a1", None, "not found: No such container"))
        await pilot.pause()
        assert "inspect failed: not found: No such container" in _labels(app.screen.query_one(Tree))


async def test_images_and_services_screens():
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        p = await _open(pilot, key="I")
        assert ("images_list", ["local"]) in [(m.action, m.targets) for m in app.actions]
        p.apply(ImagesSnapshot("local", (Image("sha256:abc123abc123ff", "local", ("busybox:local",), 1982256, time.time() - 60),)))
        await pilot.pause()
        table = app.screen.query_one("#images-table")
        assert table.row_count == 1 and table.get_cell("local/sha256:abc123abc123ff", "tags").plain == "busybox:local"
        await pilot.press("D")
        assert (app.actions[-1].action, app.actions[-1].targets) == ("image_remove", ["local/sha256:abc123abc123ff"])
        n = len(app.actions)
        await pilot.press("X", "n")  # prune asks first: "n" posts nothing
        assert len(app.actions) == n
        await pilot.press("X", "y")
        await pilot.pause()
        assert (app.actions[-1].action, app.actions[-1].targets) == ("image_prune", ["local"])
        await pilot.press("escape", "S")
        await pilot.pause()
        p.apply(ServicesSnapshot("local", (Service("s1", "websvc", "local", "replicated", 1, 2, "busybox:local"),), swarm=True))
        await pilot.pause()
        table = app.screen.query_one("#services-table")
        assert table.get_cell("local/s1", "replicas").plain == "1/2"
        await pilot.press("plus")
        assert (app.actions[-1].action, app.actions[-1].targets, app.actions[-1].params) == ("service_scale", ["local/s1"], {"delta": 1})
        await pilot.press("minus")
        assert app.actions[-1].params == {"delta": -1}


async def test_run_form_validates_and_posts_run():
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, key="n")
        await pilot.press("enter")  # empty image: stays open with a message
        await pilot.pause()
        assert "an image is required" in str(app.screen.query_one("#run-error").render())
        app.screen.query_one("#run-image").value = "busybox:local"
        app.screen.query_one("#run-name").value = "fresh"
        app.screen.query_one("#run-env").value = "A=1"
        await pilot.click("#run-ok")
        await pilot.pause()
        run = app.actions[-1]
        assert (run.action, run.targets, run.params) == ("run", ["local"], {"image": "busybox:local", "name": "fresh", "env": "A=1"})


async def test_services_logs_open_a_follow_session():
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        p = await _open(pilot, key="S")
        p.apply(ServicesSnapshot("local", (Service("s1", "websvc", "local", "replicated", 2, 2, "busybox:local"),), swarm=True))
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LogsScreen)
        follow = app.actions[-1]
        assert (follow.action, follow.targets) == ("logs_follow", ["local/s1"])
        assert follow.params["service"] is True and follow.params["name"] == "websvc"
        p.apply(LogBatch(follow.params["session"], (LogLine("local/s1", "websvc", None, "hello"),)))
        await pilot.pause()
        assert app.screen.view.entries[-1].text == "hello"
