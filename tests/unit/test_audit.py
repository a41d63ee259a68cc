"""Audit records: secrets masked, session named, time filters on both record shapes, bad lines
survive, text output is terminal-safe; `megam-tui audit` filters and reports usage errors."""

from __future__ import annotations

import json
import time

from megam_tui import cli
from megam_tui.audit import AuditLog, BadLine, mask_params, read_records, record_time, select, session_label
from megam_tui.cli_audit import parse_since, render_line
from megam_tui.jobs import DONE, JobManager
from megam_tui.shown import ShownObjects
from megam_tui.backends.docker_models import ContainerRemoved, ContainersSnapshot, container_key
from megam_tui.models import BackendState, Container


def test_params_masked_by_key_and_env_item():
    masked = mask_params({"image": "pg", "env": ["POSTGRES_PASSWORD=hunter2", "TZ=UTC"], "auth": {"api_token": "t0k"}})
    assert masked == {"image": "pg", "env": ["POSTGRES_PASSWORD=***", "TZ=UTC"], "auth": {"api_token": "***"}}


def test_written_file_has_no_secret_and_is_0600(tmp_path):
    log = AuditLog(tmp_path / "a" / "audit.jsonl")
    assert log.write({"action": "run", "token": "abc", "params": {"env": ["DB_PASSWORD=s3cret"]}})
    text = (tmp_path / "a" / "audit.jsonl").read_text()
    assert "s3cret" not in text and "abc" not in text and "DB_PASSWORD=***" in text
    assert (tmp_path / "a" / "audit.jsonl").stat().st_mode & 0o777 == 0o600


def test_session_label_web_given_else_terminal():
    assert session_label({"MEGAM_SESSION": "web 127.0.0.1:5555"}) == "web 127.0.0.1:5555"
    assert session_label({}).startswith("terminal")


def test_record_time_reads_new_and_first_wave_shapes():
    assert record_time({"time": "2026-12-05T10:00:00+00:00"}) == record_time({"time": "2026-12-05T10:00:00+0000"})
    assert record_time({"time": "2026-12-05T11:00:00+01:00"}) == record_time({"time": "2026-12-05T10:00:00Z"})
    assert record_time({"time": "yesterday"}) is None


def test_select_by_since_layer_text_and_bad_lines_kept(tmp_path):
    path = tmp_path / "audit.jsonl"
    now = time.time()
    recs = [
        {"time": _iso(now - 7200), "layer": "docker", "action": "stop", "target": "local/abc", "name": "old-web"},
        {"time": _iso(now - 60), "layer": "docker", "action": "stop", "target": "local/def", "name": "web"},
        {"time": _iso(now - 30), "layer": "ceph", "action": "mark out", "target": "c/osd.2", "name": "osd.2"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in recs[:2]) + "\n{torn\n" + json.dumps(recs[2]) + "\n")
    got = list(select(read_records(path), since=now - 3600))
    assert [r.get("name") if isinstance(r, dict) else r.lineno for r in got] == ["web", 3, "osd.2"]
    assert [r["name"] for r in select(read_records(path), layer="docker") if isinstance(r, dict)] == ["old-web", "web"]
    assert [r["name"] for r in select(read_records(path), text="OSD") if isinstance(r, dict)] == ["osd.2"]
    assert isinstance(got[1], BadLine)


def test_parse_since_spans_and_dates():
    assert parse_since("8h", now=100_000.0) == 100_000.0 - 8 * 3600
    assert parse_since("30m", now=100_000.0) == 100_000.0 - 1800
    assert parse_since("2026-12-05T08:00:00+00:00") == record_time({"time": "2026-12-05T08:00:00Z"})
    try:
        parse_since("last tuesday")
    except ValueError as exc:
        assert "8h" in str(exc)
    else:
        raise AssertionError("accepted")


def test_render_line_is_terminal_safe():
    line = render_line({"time": "t", "user": "u", "session": "terminal", "layer": "docker", "action": "stop",
                        "target": "local/x", "name": "evil\x1b[2Jname", "outcome": "failed", "error": "boom\x07"})
    assert "\x1b" not in line and "\x07" not in line and "local/x" in line and line.endswith("boom\u2407")


def test_cli_audit_filters_and_usage_errors(tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    now = time.time()
    path.write_text("\n".join(json.dumps(r) for r in (
        {"time": _iso(now - 10), "layer": "libvirt", "action": "shutdown", "target": "local/vm1", "name": "vm1", "outcome": "done"},
        {"time": _iso(now - 10), "layer": "ssh", "action": "run", "target": "h1", "name": "h1", "outcome": "failed"},
    )) + "\n")
    assert cli.main(["audit", "--file", str(path), "--layer", "vms", "--json"]) == 0
    assert [json.loads(l)["name"] for l in capsys.readouterr().out.splitlines()] == ["vm1"]
    assert cli.main(["audit", "--file", str(path), "--layer", "nope"]) == cli.EXIT_USAGE
    assert "--layer 'nope'" in capsys.readouterr().err
    assert cli.main(["audit", "--file", str(path), "--since", "soon"]) == cli.EXIT_USAGE
    assert cli.main(["audit", "--file", str(tmp_path / "missing.jsonl")]) == 0
    assert "no audit log" in capsys.readouterr().err


def test_job_audit_record_has_name_word_confirm_and_result(tmp_path):
    jm = JobManager(AuditLog(tmp_path / "audit.jsonl"))
    job = jm.submit("docker", "toggle", "local/abc", lambda j: "stopped", {}, name="web-1", word="stop",
                    confirm={"asked": "stop web-1?", "answer": "yes"})
    assert jm.wait(job, 5) and job.state == DONE
    jm.shutdown()
    rec = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])
    assert (rec["action"], rec["requested"], rec["name"], rec["target"], rec["result"]) == ("stop", "toggle", "web-1", "local/abc", "stopped")
    assert rec["confirm"] == {"asked": "stop web-1?", "answer": "yes"} and rec["session"].startswith("terminal")


def test_shown_objects_names_words_and_removed():
    shown = ShownObjects(cap=3)
    c = Container(id="abc", name="web", engine="local", image="i", state="running")
    shown.observe("docker", ContainersSnapshot("local", (c,), BackendState("docker", "local", True)))
    key = container_key("local", "abc")
    assert shown.name("docker", "stop", key) == "web" and shown.word("docker", "toggle", key) == "stop"
    shown.observe("docker", ContainerRemoved("local", "abc"))
    assert shown.name("docker", "remove", key) == "web" and shown.word("docker", "toggle", key) == "start"
    assert shown.name("ceph", "osd_out", "c1/osd.2") == "osd.2" and shown.word("ceph", "osd_out", "c1/osd.2") == "mark out"
    assert shown.name("ceph", "set_flag", "c1", {"flag": "noout"}) == "flag noout"
    assert shown.word("docker", "toggle", "local/unknown") == "toggle"  # nothing shown: no guess
    for i in range(4):
        shown.observe("docker", ContainersSnapshot("e", (Container(id=f"i{i}", name=f"n{i}", engine="e", image="i", state="exited"),), BackendState("docker", "e", True)))
    assert shown.name("docker", "stop", key) == key  # bounded: the oldest went first


def _iso(t: float) -> str:
    from megam_tui.audit import now_iso

    return now_iso(t)
