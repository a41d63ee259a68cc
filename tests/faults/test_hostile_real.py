"""Hostile text from the REAL engines through the running app: a container printing markup,
screen-clearing / title-setting escapes, NUL, invalid UTF-8 and a 200 kB line (followed
through the Logs screen); a host's command output with escapes (job output screen); a VM
whose name is a shell-injection payload, started and destroyed through the VMs pane."""

from __future__ import annotations

import secrets
from pathlib import Path

from megam_tui.ui.jobs_pane import JobOutputScreen
from megam_tui.ui.logs import LogsScreen
from megam_tui.ui.messages import RunAction
from tests.faults.conftest import assert_responsive, running_app, wait_for
from tests.integration.docker_helpers import docker, unique
from tests.integration.test_vms_actions import define_domain, state, undefine_domain
from tests.ui.test_hostile_panes import PAYLOADS, terminal_bytes

# printf format: markup, clear screen + home, OSC title, NUL, invalid UTF-8, C1 CSI, a 200 kB line
PRINTF = (r"[bold red]x[/] [link=https://evil.example/]click[/link]\n"
          r"\033[2J\033[Hcleared\n"
          r"\033]0;pwned-title\007titled\n"
          r"nul\000byte\n"
          r"bad \377\376 utf8\n"
          r"c1 \302\2332J\n")
SCRIPT = f"printf '{PRINTF}'; head -c 200000 /dev/zero | tr '\\0' A; echo; echo end; sleep 100000"


def unsafe(app) -> list[str]:
    raw = terminal_bytes(app)
    return [p for p in PAYLOADS if p in raw]


async def test_container_printing_hostile_output_through_logs(settings):
    name = unique("hostile-logs")
    docker("run", "-d", "--name", name, "--stop-timeout", "1", "--label", "megam.test=1", "busybox:local", "sh", "-c", SCRIPT)
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
            assert await wait_for(pilot, lambda: any(e.text == "end" for e in logs.view.entries), 20), [
                e.text[:40] for e in logs.view.entries]
            texts = [e.text for e in logs.view.entries]
            assert "[bold red]x[/] [link=https://evil.example/]click[/link]" in texts  # markup stays text
            assert any(t.endswith("cleared") for t in texts) and any(t.endswith("titled") for t in texts)
            assert any(t.startswith("bad ") and "\ufffd" in t for t in texts)  # invalid UTF-8 replaced
            assert any(len(t) >= 60_000 for t in texts)  # the long line arrives (cut into bounded pieces)
            await pilot.pause(0.3)
            assert not unsafe(app), f"payloads reach the terminal: {unsafe(app)}"
            await pilot.press("escape")
            await assert_responsive(pilot, app)
    finally:
        docker("rm", "-f", name, check=False)


async def test_host_command_output_with_escapes_in_the_job_screen(settings):
    async with running_app(settings, need=("ssh",)) as (app, pilot):
        assert await wait_for(pilot, lambda: app.panes["ssh"].hosts.get("node1") and app.panes["ssh"].hosts["node1"].reachable, 20)
        app.post_message(RunAction("ssh", "run", ["node1"], {"command": f"printf '{PRINTF}'"}))
        assert await wait_for(pilot, lambda: any(j.done for j in app.jobs.jobs()), 20)
        job = app.jobs.jobs()[-1]
        assert job.state == "done", (job.state, job.error)
        app.push_screen(JobOutputScreen(job))
        await pilot.pause(0.3)
        assert "[bold red]x[/]" in "\n".join(job.output)
        assert not unsafe(app), f"payloads reach the terminal from a host's output: {unsafe(app)}"
        await pilot.press("escape")


async def test_vm_named_like_a_shell_injection_started_and_destroyed_from_the_pane(settings, tmp_path, monkeypatch):
    token = secrets.token_hex(4)
    payload = f"megam-pwned-{token}"
    name = f"a;touch {payload};$(touch {payload}-2)`touch {payload}-3`|touch {payload}-4&"
    monkeypatch.chdir(tmp_path)  # libvirt forbids "/" in names: the payload would land in the cwd
    define_domain(name)
    try:
        async with running_app(settings, need=("libvirt",)) as (app, pilot):
            pane = app.panes["libvirt"]
            key = f"local/{name}"
            assert await wait_for(pilot, lambda: key in pane.domains, 15)
            await pilot.press("2")
            table = pane.query_one("#vms-table")
            table.focus()
            table.move_cursor(row=table.get_row_index(key))
            await pilot.pause()
            assert pane.highlighted_key() == key and app.focused is table
            await pilot.press("s")  # toggle: start
            assert await wait_for(pilot, lambda: pane.domains[key].state == "running", 20), (
                pane.domains[key], app.focused, [(j.action, j.target, j.state, j.error) for j in app.jobs.jobs()])
            assert state(name) == "running"
            await pilot.press("F")  # destroy (asks first)
            await pilot.pause()
            if type(app.screen).__name__ == "ConfirmScreen":
                await pilot.press("y")
            assert await wait_for(pilot, lambda: pane.domains[key].state == "shut off", 20), pane.domains[key]
            assert all(j.state == "done" for j in app.jobs.jobs()), [(j.action, j.state, j.error) for j in app.jobs.jobs()]
            await assert_responsive(pilot, app)
    finally:
        undefine_domain(name)
    for where in (tmp_path, Path("/tmp"), Path.home(), Path("/")):
        assert not list(where.glob(f"{payload}*")), f"payload ran in {where}"
