"""SshLayer against the real sshd hosts of scripts/testbed/ssh.sh.

node1..node3 are good hosts; refused / silent / badauth / changedkey each fail
in their own way. All "hosts" live on this machine (127.0.0.x), so `pgrep` on
node1 sees the processes started through any of them.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import yaml

from megam_tui.backends.base import BackendError, CallTimeout
from megam_tui.backends.ssh import SshLayer, parse_output
from megam_tui.config import load_settings
from megam_tui.models import BackendState, CommandOutput, Host
from tests.integration import conftest as testbed

GOOD = ("node1", "node2", "node3")
FAULTS = {"refused": "refused", "silent": "timeout", "badauth": "auth", "changedkey": "hostkey"}


def ssh_fragment() -> dict:
    frag = testbed.testbed_fragment("ssh")
    testbed.testbed_up("ssh")
    return frag


def make_settings(tmp_path: Path, *, include_local: bool = False, edit=None, refresh: str = "2s"):
    """Settings built by the real config loader from the testbed's ssh fragment."""
    frag = ssh_fragment()
    frag["ssh"]["include_local"] = include_local
    if edit is not None:
        edit(frag["ssh"])
    path = tmp_path / "megam.yaml"
    path.write_text(yaml.safe_dump({"refresh": refresh, **frag}))
    path.chmod(0o600)
    settings, problems = load_settings(path, env={})
    assert problems == []
    return settings


@pytest.fixture
def layer(tmp_path):
    lay = SshLayer(make_settings(tmp_path))
    yield lay
    lay.stop()


def sleepers(layer: SshLayer, marker: str) -> list[str]:
    """PIDs of `sleep <marker>` processes (exact argv match, not the wrappers)."""
    res = layer.run("node1", f"pgrep -x -f 'sleep {marker}' || true", timeout=10)
    return res.stdout.split()


def test_summary_good_and_fault_hosts_each_with_their_error(layer):
    timeout = 3.0  # the testbed's ssh timeout
    start = time.monotonic()
    s = layer.summary(timeout)
    elapsed = time.monotonic() - start
    hosts = {h["name"]: h for h in s["hosts"]}
    for name in GOOD:
        assert hosts[name]["reachable"] is True, hosts[name]
        assert hosts[name]["error"] is None
    for name, kind in FAULTS.items():
        assert hosts[name]["reachable"] is False
        assert hosts[name]["error_kind"] == kind, hosts[name]
        assert hosts[name]["error"].startswith(name)
    assert len({hosts[n]["error_kind"] for n in FAULTS}) == 4
    assert s["ok"] is False and "4 of 7" in s["error"]
    assert elapsed < timeout + 2.0


def test_error_messages_are_one_clear_line(layer):
    hosts = {h["name"]: h for h in layer.summary(3.0)["hosts"]}
    assert "connection refused" in hosts["refused"]["error"]
    assert "no SSH banner within 3s" in hosts["silent"]["error"]
    assert "authentication failed" in hosts["badauth"]["error"]
    changed = hosts["changedkey"]["error"]
    assert "CHANGED" in changed and "ssh-keygen -R '[127.0.0.8]:2222'" in changed
    for h in hosts.values():
        assert "\n" not in (h["error"] or "") and "Traceback" not in (h["error"] or "")


def test_probe_reads_real_metrics_and_rates_from_the_second_sample(layer):
    first = layer.probe("node1")
    assert first.reachable and first.metrics is not None
    m = first.metrics
    assert m.uptime_s and m.uptime_s > 0
    assert m.load1 is not None and m.mem_total and m.mem_total > 0
    assert 0 < m.mem_used < m.mem_total
    assert m.disk_root_pct is not None and m.disk_fullest_mount
    assert m.cpu_pct is None and m.net_rx_bps is None  # no previous sample yet
    time.sleep(0.3)
    second = layer.probe("node1").metrics
    assert second.cpu_pct is not None and 0.0 <= second.cpu_pct <= 100.0
    assert second.net_rx_bps is not None and second.net_rx_bps >= 0


def test_run_returns_output_stderr_and_exit_code(layer):
    res = layer.run("node2", "echo out; echo err >&2; exit 7")
    assert (res.returncode, res.stdout, res.stderr) == (7, "out\n", "err\n")


def test_run_caller_quoted_arguments_stay_data(layer, tmp_path):
    import shlex

    evil = "a;touch /tmp/megam-ssh-pwned-$$"
    res = layer.run("node1", "printf '%s\\n' " + shlex.quote(evil))
    assert res.stdout == evil + "\n"
    assert layer.run("node1", "ls /tmp/megam-ssh-pwned-* 2>/dev/null | wc -l").stdout.strip() == "0"


def test_one_connection_per_host_is_shared(layer):
    layer.run("node3", "true")
    t1 = layer.pool.client("node3").get_transport()
    results = []
    threads = [threading.Thread(target=lambda: results.append(layer.run("node3", "echo $$"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(r.returncode == 0 for r in results)
    assert layer.pool.client("node3").get_transport() is t1


def test_reconnects_transparently_after_the_transport_dies(layer):
    layer.run("node1", "true")
    layer.pool.client("node1").get_transport().close()
    assert layer.run("node1", "echo back").stdout == "back\n"


def test_run_deadline_kills_the_remote_command(layer):
    with pytest.raises(CallTimeout):
        layer.run("node2", "sleep 93", timeout=1.0)
    deadline = time.monotonic() + 5
    while sleepers(layer, "93") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sleepers(layer, "93") == []


def test_unknown_host_is_a_clear_backend_error(layer):
    with pytest.raises(BackendError, match="unknown ssh host 'nope'"):
        layer.run("nope", "true")


def test_failing_host_is_retried_with_backoff(layer):
    with pytest.raises(BackendError) as first:
        layer.run("refused", "true")
    entry = layer.pool._entry("refused")
    assert entry.failures == 1 and entry.retry_at > time.monotonic()
    with pytest.raises(BackendError) as again:  # inside the back-off window: the same error, no new attempt
        layer.run("refused", "true")
    assert str(again.value) == str(first.value)
    assert entry.failures == 1


def test_stream_three_hosts_with_exit_codes(layer):
    lines: list[CommandOutput] = []
    codes: dict[str, int] = {}
    cancel = threading.Event()

    def go(h: str, code: int) -> None:
        codes[h] = layer.stream(h, f"echo hello from {h}; echo warn >&2; exit {code}", lines.append, cancel)

    threads = [threading.Thread(target=go, args=(h, i)) for i, h in enumerate(GOOD)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert codes == {"node1": 0, "node2": 1, "node3": 2}
    for h in GOOD:
        assert CommandOutput(h, f"hello from {h}", "stdout") in lines
        assert CommandOutput(h, "warn", "stderr") in lines


def test_cancel_stops_sleep_on_every_host(layer):
    cancel = threading.Event()
    codes: dict[str, int] = {}
    threads = [
        threading.Thread(target=lambda h=h: codes.__setitem__(h, layer.stream(h, "sleep 97; echo never", lambda o: None, cancel)))
        for h in GOOD
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(sleepers(layer, "97")) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(sleepers(layer, "97")) == 3
    cancel.set()
    for t in threads:
        t.join(5)
    assert codes == {h: -1 for h in GOOD}
    deadline = time.monotonic() + 5
    while sleepers(layer, "97") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sleepers(layer, "97") == []


def test_run_action_emits_prefixed_lines_and_exit(layer):
    from megam_tui.jobs import JobManager

    jm = JobManager()
    try:
        job = jm.submit("ssh", "run", "node1", lambda j: layer.run_action("run", "node1", {"command": "echo a; echo b >&2; exit 4"}, j))
        assert jm.wait(job, 15)
        assert job.state == "done" and job.result == 4
        parsed = [parse_output(line) for entry in job.output for line in entry.split("\n")]
        assert CommandOutput("node1", "a", "stdout") in parsed
        assert CommandOutput("node1", "b", "stderr") in parsed
        assert parsed[-1] == CommandOutput("node1", exit_code=4, done=True)
    finally:
        jm.shutdown()


def test_run_action_is_refused_in_read_only_mode(tmp_path):
    from dataclasses import replace

    from megam_tui.backends.base import ReadOnlyError

    lay = SshLayer(replace(make_settings(tmp_path), read_only=True))
    try:
        with pytest.raises(ReadOnlyError):
            lay.run_action("run", "node1", {"command": "true"}, object())
    finally:
        lay.stop()


def test_poller_emits_hosts_states_and_events_then_stops_fast(tmp_path):
    lay = SshLayer(make_settings(tmp_path, include_local=True, refresh="500ms"))
    seen: list[object] = []
    lock = threading.Lock()

    def emit(obj):
        with lock:
            seen.append((time.monotonic(), obj))

    started = time.monotonic()
    lay.start(emit)
    try:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            with lock:
                names = {o.name for _, o in seen if isinstance(o, Host)}
                n1 = [o for _, o in seen if isinstance(o, Host) and o.name == "node1"]
            if names >= {"local", *GOOD, *FAULTS} and len(n1) >= 5:
                break
            time.sleep(0.1)
    finally:
        start = time.monotonic()
        lay.stop()
        stop_time = time.monotonic() - start
    assert stop_time < 1.5
    # the silent host (3 s deadline) does not hold the others back: node1 is re-probed
    # every 0.5 s meanwhile
    silent_at = next(t for t, o in seen if isinstance(o, Host) and o.name == "silent")
    assert silent_at - started >= 2.9
    assert len([o for t, o in seen if isinstance(o, Host) and o.name == "node1" and t < silent_at]) >= 3
    raw, seen = seen, [o for _, o in seen]
    hosts = [o for o in seen if isinstance(o, Host)]
    local = [h for h in hosts if h.local]
    assert local and all(h.name == "local" and h.reachable for h in local)
    assert len(local) >= 2 and local[-1].metrics.cpu_pct is not None  # the local machine is re-probed too
    node1 = [h for h in hosts if h.name == "node1"]
    assert len(node1) >= 2 and node1[-1].metrics.cpu_pct is not None  # re-probed: deltas work
    states = [o for o in seen if isinstance(o, BackendState)]
    last = {o.name: o for o in states}
    assert last["node1"].ok and not last["silent"].ok and last["silent"].error.startswith("silent")
    assert {o.name for o in states if not o.ok} == set(FAULTS)
    # BackendState only on a change: one per host although node1 was probed twice or more
    assert len([o for o in states if o.name == "node1"]) == 1
    count = len(raw)
    time.sleep(0.8)
    assert len(raw) == count  # nothing emitted after stop()


def test_password_never_appears_in_errors_or_reprs(tmp_path):
    secret = "hunter2-megam-secret"

    def edit(ssh: dict) -> None:
        for h in ssh["hosts"]:
            if h["name"] in ("badauth", "refused"):
                h["password"] = secret
                h["passphrase"] = secret

    settings = make_settings(tmp_path, edit=edit)
    lay = SshLayer(settings)
    try:
        hosts = {h.name: h for h in lay.probe_all(3.0)}
        assert hosts["badauth"].error_kind == "auth"  # the password was really tried, and failed
        for name in ("badauth", "refused"):
            assert secret not in repr(hosts[name])
            assert secret not in repr(lay.pool.target(name))
            assert secret not in repr(settings.host(name))
        assert secret not in repr(lay.summary(3.0))
    finally:
        lay.stop()


def test_unresolvable_name_is_a_dns_error(tmp_path):
    def edit(ssh: dict) -> None:
        ssh["hosts"].append({**ssh["hosts"][0], "name": "nxhost", "address": "no-such-host.invalid"})

    lay = SshLayer(make_settings(tmp_path, edit=edit))
    try:
        h = lay.probe("nxhost")
    finally:
        lay.stop()
    assert not h.reachable and h.error_kind == "dns"
    assert h.error.startswith("nxhost: cannot resolve 'no-such-host.invalid'")


def test_a_flood_of_output_reaches_the_job_in_few_capped_batches(layer):
    from megam_tui.jobs import JobManager

    jm = JobManager()
    try:
        job = jm.submit("ssh", "run", "node1", lambda j: layer.run_action("run", "node1", {"command": "seq 1 300000"}, j))
        assert jm.wait(job, 60)
        assert job.state == "done" and job.result == 0
        lines = [line for entry in job.output for line in entry.split("\n")]
        parsed = [parse_output(line) for line in lines]
        assert parsed[-1] == CommandOutput("node1", exit_code=0, done=True)
        numbers = [int(o.line) for o in parsed if o.stream == "stdout" and not o.done]
        assert numbers == sorted(set(numbers))  # in order, nothing duplicated
        assert numbers[-1] == 300000  # the end of the output is always shown
        shown = len(numbers)
        skipped = sum(int(o.line.split()[1]) for o in parsed if o.stream == "stderr" and "not shown" in o.line)
        assert shown + skipped == 300000  # every line is either shown or counted
        assert len(job.output) < 1000  # batches, not one entry per line
    finally:
        jm.shutdown()


def test_probe_survives_a_dropped_connection_without_showing_the_host_down(layer):
    assert layer.probe("node2").reachable
    layer.pool.client("node2").get_transport().close()  # the kept connection dies under the shell
    h = layer.probe("node2")
    assert h.reachable and h.metrics is not None, h.error


def test_a_failing_poll_round_is_reported_and_polling_goes_on(tmp_path, monkeypatch):
    """Whatever breaks one round of the poller (here: waiting for the answers), it says so on
    the timeline and keeps probing: a dead poller would freeze every host's row silently."""
    import megam_tui.backends.ssh as ssh_module
    from megam_tui.models import Event

    real = ssh_module.readable
    calls = {"n": 0}

    def flaky(fds, timeout):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("injected")
        return real(fds, timeout)

    monkeypatch.setattr(ssh_module, "readable", flaky)
    lay = SshLayer(make_settings(tmp_path, include_local=True, refresh="300ms"))
    seen: list[object] = []
    lay.start(seen.append)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            errs = [o for o in list(seen) if isinstance(o, Event) and o.kind == "poller"]
            after = seen[seen.index(errs[0]):] if errs else []
            if len([o for o in after if isinstance(o, Host) and o.name == "node1" and o.reachable]) >= 3:
                break
            time.sleep(0.1)
    finally:
        lay.stop()
    assert errs and "injected" in errs[0].message
    assert {o.name for o in after if isinstance(o, Host)} >= {"local", *GOOD}


def test_a_pool_that_cannot_start_a_thread_does_not_end_the_poller(tmp_path, monkeypatch):
    """Seen at start-up: the probe pool refused a task ("can't start new thread") and the
    poller thread ended without a word, every host row frozen. Now the host is tried
    again, the timeline says why (once, not every retry), and the others go on."""
    import concurrent.futures

    from megam_tui.models import Event

    real = concurrent.futures.ThreadPoolExecutor.submit
    refusals = {"n": 0}

    def refusing(self, fn, *args, **kw):
        if self._thread_name_prefix == "ssh-poll" and args == ("node2",) and refusals["n"] < 4:
            refusals["n"] += 1
            raise RuntimeError("can't start new thread")
        return real(self, fn, *args, **kw)

    monkeypatch.setattr(concurrent.futures.ThreadPoolExecutor, "submit", refusing)
    lay = SshLayer(make_settings(tmp_path, include_local=True, refresh="300ms"))
    seen: list[object] = []
    lay.start(seen.append)
    poller = lay._poller
    try:
        deadline = time.monotonic() + 15
        node2 = []
        while time.monotonic() < deadline:
            node2 = [o for o in list(seen) if isinstance(o, Host) and o.name == "node2" and o.reachable]
            if refusals["n"] >= 4 and node2:
                break
            time.sleep(0.1)
        alive = poller.is_alive()
    finally:
        lay.stop()
    assert alive, "the poller ended"
    assert refusals["n"] >= 4 and node2, "node2 was not probed after its pool refused"
    errs = [o for o in seen if isinstance(o, Event) and o.kind == "poller"]
    assert len(errs) == 1 and errs[0].source == "node2" and "can't start new thread" in errs[0].message
    assert {o.name for o in seen if isinstance(o, Host)} >= {"local", *GOOD}
