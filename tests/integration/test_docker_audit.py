"""The audit log as an auditor reads it, from actions on the real testbed dockerd: each line
names the container as shown on screen (also once it is removed), says the action in operator
words (`s` on a running container is a "stop"), the session, the confirmation asked and its
answer (a "no" is audited too), and a read-only refusal in operator words. `megam-tui audit`
filters those lines."""

from __future__ import annotations

import json

from megam_tui import cli
from tests.integration.docker_helpers import docker, run_sleeper, unique
from tests.integration.test_docker_app import focus_row, make_app, state, wait_for


def audit_lines(tmp_path):
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_audit_names_words_confirmations_and_cli(tmp_path, capsys):
    name = unique("audited")
    run_sleeper(name)
    try:
        app = make_app(tmp_path)
        async with app.run_test(size=(200, 50)) as pilot:
            pane = app.panes["docker"]
            assert await wait_for(pilot, lambda: state(pane, name) == "running")
            key = next(k for k, c in pane.model.containers.items() if c.name == name)
            await focus_row(pilot, pane, name)
            await pilot.press("s")  # a toggle of a running container: a stop
            assert await wait_for(pilot, lambda: (state(pane, name) or "").startswith("exited"))
            assert await wait_for(pilot, lambda: any(r.get("action") == "stop" for r in audit_lines(tmp_path)))
            await focus_row(pilot, pane, name)
            await pilot.press("D")  # confirm: remove -> answered no
            await pilot.pause()
            assert type(app.screen).__name__ == "ConfirmScreen"
            await pilot.press("n")
            assert await wait_for(pilot, lambda: any(r.get("outcome") == "declined" for r in audit_lines(tmp_path)))
            assert docker("inspect", "-f", "{{.State.Status}}", name) == "exited"
            await focus_row(pilot, pane, name)
            await pilot.press("D")
            await pilot.pause()
            await pilot.press("y")
            assert await wait_for(pilot, lambda: all(c.name != name for c in pane.model.containers.values()))
            assert await wait_for(pilot, lambda: any(r.get("action") == "remove" and r.get("outcome") == "done" for r in audit_lines(tmp_path)))
    finally:
        docker("rm", "-f", name, check=False)

    recs = [r for r in audit_lines(tmp_path) if r.get("target") == key]
    stop, declined, removed = recs
    assert stop["action"] == "stop" and stop["requested"] == "toggle" and stop["name"] == name
    assert stop["outcome"] == "done" and stop["result"] == "stopped" and stop["confirm"] is None
    assert stop["session"].startswith("terminal") and stop["user"] and stop["duration_s"] > 0
    assert declined["action"] == "remove" and declined["name"] == name
    assert declined["confirm"] == {"asked": f"remove {name}?", "answer": "no"}
    assert removed["name"] == name and removed["confirm"] == {"asked": f"remove {name}?", "answer": "yes"}
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o777 == 0o600

    # the CLI reads it back: filters by layer and text, JSON Lines or one line each
    capsys.readouterr()
    assert cli.main(["audit", "--file", str(tmp_path / "audit.jsonl"), "--layer", "docker", "--grep", name, "--json", "--since", "1h"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["outcome"] for r in out] == ["done", "declined", "done"]
    assert cli.main(["audit", "--file", str(tmp_path / "audit.jsonl"), "--layer", "ceph"]) == 0
    assert capsys.readouterr().out == ""
    assert cli.main(["audit", "--file", str(tmp_path / "audit.jsonl"), "--grep", name]) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == 3 and f"stop  {name} ({key})  done" in text[0] and "confirm: no" in text[1]


async def test_read_only_refusal_in_operator_words(tmp_path):
    name = unique("ro-audit")
    run_sleeper(name)
    try:
        app = make_app(tmp_path, read_only=True)
        async with app.run_test(size=(200, 50)) as pilot:
            pane = app.panes["docker"]
            assert await wait_for(pilot, lambda: state(pane, name) == "running")
            await focus_row(pilot, pane, name)
            await pilot.press("s")
            assert await wait_for(pilot, lambda: any(r.get("name") == name for r in audit_lines(tmp_path)))
        assert docker("inspect", "-f", "{{.State.Status}}", name) == "running"
    finally:
        docker("rm", "-f", name, check=False)
    rec = next(r for r in audit_lines(tmp_path) if r.get("name") == name)
    assert rec["outcome"] == "failed" and rec["error"] == "read-only mode: stop refused"
