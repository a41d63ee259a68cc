import json
import threading
import time

import pytest

from megam_tui.backends.base import BackendError, ReadOnlyError, mutating, mutating_methods, run_argv, CallTimeout
from megam_tui.jobs import CANCELLED, DONE, FAILED, AuditLog, JobManager


class Thing:
    def __init__(self, read_only):
        self.read_only = read_only
        self.calls = 0

    @mutating
    def stop(self, name):
        self.calls += 1
        return f"stopped {name}"

    def list(self):
        return ["a"]


def test_mutating_refused_in_read_only_before_any_call():
    t = Thing(read_only=True)
    with pytest.raises(ReadOnlyError, match="read-only"):
        t.stop("web")
    assert t.calls == 0
    assert Thing(read_only=False).stop("web") == "stopped web"
    assert mutating_methods(t) == ["stop"]


def test_job_runs_streams_output_and_is_audited(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")
    seen = []
    jm = JobManager(audit, workers_per_layer=2)
    jm.add_listener(lambda job, line: seen.append((job.id, job.state, line)))

    def work(job):
        job.emit("line 1")
        job.emit("line 2")
        return 42

    job = jm.submit("docker", "restart", "local/web", work, {"password": "hunter2", "timeout": 3})
    assert jm.wait(job, 5)
    assert job.state == DONE and job.result == 42
    assert list(job.output) == ["line 1", "line 2"]
    assert (job.id, "running", "line 1") in seen
    rec = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])
    assert rec["action"] == "restart" and rec["target"] == "local/web" and rec["outcome"] == "done"
    assert rec["params"]["password"] == "***" and rec["params"]["timeout"] == 3
    assert "hunter2" not in (tmp_path / "audit.jsonl").read_text()
    assert rec["user"]
    jm.shutdown()


def test_failed_job_records_the_engine_message(tmp_path):
    jm = JobManager(AuditLog(tmp_path / "a.jsonl"))

    def work(job):
        raise BackendError("No such container: nope")

    job = jm.submit("docker", "stop", "local/nope", work)
    jm.wait(job, 5)
    assert job.state == FAILED and job.error == "No such container: nope"
    jm.shutdown()


def test_read_only_refusal_becomes_failed_job(tmp_path):
    jm = JobManager(AuditLog(tmp_path / "a.jsonl"))
    thing = Thing(read_only=True)
    job = jm.submit("docker", "stop", "web", lambda job: thing.stop("web"))
    jm.wait(job, 5)
    assert job.state == FAILED and "read-only" in job.error and thing.calls == 0
    rec = json.loads((tmp_path / "a.jsonl").read_text())
    assert rec["outcome"] == "failed"
    jm.shutdown()


def test_cancel_running_job_and_queued_job(tmp_path):
    jm = JobManager(AuditLog(None), workers_per_layer=1)
    started = threading.Event()

    def slow(job):
        started.set()
        while True:
            job.check_cancelled()
            time.sleep(0.01)

    running = jm.submit("docker", "run", "node1", slow)
    queued = jm.submit("docker", "run", "node2", slow)
    assert started.wait(5)
    assert jm.cancel(queued.id)
    assert queued.state == CANCELLED
    assert jm.cancel(running.id)
    assert jm.wait(running, 5) and running.state == CANCELLED
    assert not jm.cancel(running.id)  # already finished
    jm.shutdown()


def test_rerun_makes_a_new_job(tmp_path):
    jm = JobManager(AuditLog(None))
    counter = []
    job = jm.submit("docker", "pull", "busybox", lambda j: counter.append(1))
    jm.wait(job, 5)
    again = jm.rerun(job.id)
    jm.wait(again, 5)
    assert again.id != job.id and len(counter) == 2
    jm.shutdown()


def test_pool_is_bounded_per_layer():
    jm = JobManager(AuditLog(None), workers_per_layer=2)
    active, peak, lock = [0], [0], threading.Lock()

    def work(job):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1

    jobs = [jm.submit("docker", "x", str(i), work) for i in range(8)]
    for j in jobs:
        jm.wait(j, 5)
    assert peak[0] == 2
    jm.shutdown()


def test_audit_write_failure_is_reported_not_raised(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    audit = AuditLog(ro / "sub" / "audit.jsonl")
    import os
    if os.geteuid() == 0:  # root ignores directory modes: use a path under a file instead
        blocker = tmp_path / "file"
        blocker.write_text("x")
        audit = AuditLog(blocker / "audit.jsonl")
    assert audit.write({"action": "x"}) is False
    assert "audit log" in audit.last_error


def test_run_argv_timeout_kills_and_raises():
    t0 = time.monotonic()
    with pytest.raises(CallTimeout):
        run_argv(["sleep", "30"], timeout=0.3)
    assert time.monotonic() - t0 < 5


def test_run_argv_rejects_strings_and_reports_missing_binary():
    with pytest.raises(TypeError):
        run_argv("echo hi", timeout=1)
    with pytest.raises(BackendError, match="command not found"):
        run_argv(["megam-no-such-binary"], timeout=1)
    res = run_argv(["sh", "-c", 'echo "$0"', "a;b $(x)"], timeout=5)
    assert res.stdout.strip() == "a;b $(x)"


def test_ssh_pool_is_wide_enough_for_a_fleet():
    jm = JobManager(AuditLog(None))
    barrier = threading.Barrier(20, timeout=5)
    jobs = [jm.submit("ssh", "run", f"h{i}", lambda j: barrier.wait()) for i in range(20)]
    for j in jobs:
        assert jm.wait(j, 10)
    assert all(j.state == DONE for j in jobs)  # all 20 ran at once (the barrier needs 20 parties)
    jm.shutdown()
