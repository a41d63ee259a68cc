"""CephLayer logic that needs no cluster: validation, read-only, transports' argv, poll cadence.

The transports themselves are proven on the testbed (tests/integration/test_ceph_*.py);
the fake transport here only replays recorded JSON to check what the poller asks and emits.
"""

import json
import shlex
from pathlib import Path

import pytest

from megam_tui.backends import ceph_transport as ct
from megam_tui.backends.base import BackendError, ReadOnlyError, Unreachable, mutating_methods
from megam_tui.backends.ceph import CephLayer
from megam_tui.backends.ceph_models import CephLogBacklog, CephOsdTree, CephPools
from megam_tui.backends.ceph_poller import CephPoller
from megam_tui.models import BackendState, CephStatus, Event
from megam_tui.settings import ClusterSpec, Settings

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "ceph"


def raw(name):
    return (FIX / name).read_text()


class ReplayTransport:
    """Answers each command with a recorded file; records what was asked."""

    def __init__(self, cheap, answers):
        self.cheap = cheap
        self.name = "rados" if cheap else "cli"
        self.answers = dict(answers)
        self.asked: list[str] = []
        self.down: str | None = None

    def call(self, cmd, timeout):
        self.asked.append(cmd.text)
        if self.down:
            raise Unreachable(self.down)
        if cmd.text in self.answers:
            return self.answers[cmd.text], ""
        if not cmd.json:
            return "", f"{cmd.text}: ok"
        raise BackendError(f"no answer recorded for {cmd.text}")

    def close(self):
        pass


OK = {
    "ceph status": raw("status_ok.json"),
    "ceph health detail": raw("health_detail_ok.json"),
    "ceph osd tree": raw("osd_tree_ok.json"),
    "ceph df": raw("df.json"),
    "ceph log last 50": raw("log_last.json"),
}
WARN = {
    **OK,
    "ceph status": raw("status_warn_io.json"),
    "ceph health detail": raw("health_detail_warn.json"),
    "ceph osd tree": raw("osd_tree_down.json"),
    "ceph log last 50": raw("log_last_warn.json"),
}


def layer_with(transport, read_only=False):
    layer = CephLayer(Settings(read_only=read_only, ceph_clusters=(ClusterSpec("lab", conf="x.conf"),)))
    layer._transports["lab"] = transport
    return layer


class Job:
    def __init__(self):
        self.lines = []
        self.cancelled = False

    def emit(self, line):
        self.lines.append(line)


def poll(layer):
    seen = []
    p = CephPoller(layer, "lab", seen.append)
    return p, seen


def test_mutating_methods_are_marked():
    assert set(mutating_methods(layer_with(ReplayTransport(True, OK)))) == {"set_flag", "mark_osd", "mute", "unmute"}


def test_read_only_refuses_every_action_before_calling_the_cluster():
    tr = ReplayTransport(True, OK)
    layer = layer_with(tr, read_only=True)
    for action, target, params in [("set_flag", "lab", {"flag": "noout"}), ("osd_out", "lab/osd.1", {}),
                                   ("mute", "lab", {"code": "OSD_DOWN"}), ("unmute", "lab", {"code": "OSD_DOWN"})]:
        with pytest.raises(ReadOnlyError):
            layer.run_action(action, target, params, Job())
    assert tr.asked == []


@pytest.mark.parametrize("action,target,params,expected", [
    ("set_flag", "lab", {"flag": "noout"}, "ceph osd set noout"),
    ("unset_flag", "lab", {"flag": "nodeep-scrub"}, "ceph osd unset nodeep-scrub"),
    ("osd_out", "lab/osd.2", {}, "ceph osd out osd.2"),
    ("osd_in", "lab/osd.12", {}, "ceph osd in osd.12"),
    ("mute", "lab", {"code": "OSD_DOWN", "ttl": "10m"}, "ceph health mute OSD_DOWN 10m"),
    ("mute", "lab", {"code": "OSD_DOWN", "ttl": ""}, "ceph health mute OSD_DOWN"),
    ("unmute", "lab", {"code": "OSDMAP_FLAGS"}, "ceph health unmute OSDMAP_FLAGS"),
])
def test_actions_send_the_right_command(action, target, params, expected):
    tr = ReplayTransport(True, OK)
    job = Job()
    layer_with(tr).run_action(action, target, params, job)
    assert tr.asked == [expected]
    assert job.lines == [f"{expected}: ok"]


@pytest.mark.parametrize("action,target,params", [
    ("set_flag", "lab", {"flag": "pause"}),
    ("set_flag", "lab", {"flag": "noout; rm -rf /"}),
    ("osd_out", "lab/osd.x", {}),
    ("osd_out", "lab/1;reboot", {}),
    ("mute", "lab", {"code": "osd_down"}),
    ("mute", "lab", {"code": "OSD_DOWN", "ttl": "$(reboot)"}),
    ("unmute", "lab", {}),
    ("explode", "lab", {}),
    ("set_flag", "other", {"flag": "noout"}),
])
def test_bad_input_is_refused_with_one_line_and_nothing_sent(action, target, params):
    tr = ReplayTransport(True, OK)
    with pytest.raises(BackendError) as ei:
        layer_with(tr).run_action(action, target, params, Job())
    assert "\n" not in str(ei.value) and str(ei.value)
    assert tr.asked == []


def test_cli_argv_and_remote_quoting():
    spec = ClusterSpec("lab", conf="/etc/ceph/my cluster.conf", client="client.admin", keyring="/k")
    argv = ct.cli_argv(spec, ct.STATUS, 4.2)
    assert argv == ["ceph", "--connect-timeout", "5", "--conf", "/etc/ceph/my cluster.conf", "--name", "client.admin",
                    "--keyring", "/k", "-f", "json", "status"]
    line = ct.remote_command(argv, 5)
    assert line.startswith("LC_ALL=C timeout -k 1 5 ceph ")
    assert shlex.split(line)[5:] == argv
    assert ct.cli_argv(ClusterSpec("x", conf=None), ct.osd_flag(True, "noout"), 1) == [
        "ceph", "--connect-timeout", "1", "osd", "set", "noout"]


def test_transport_choice():
    assert isinstance(ct.make_transport(ClusterSpec("a", transport="cli")), ct.CliTransport)
    assert isinstance(ct.make_transport(ClusterSpec("a", host="admin1")), ct.SshTransport)
    assert isinstance(ct.make_transport(ClusterSpec("a", host="admin1", transport="ssh")), ct.SshTransport)
    with pytest.raises(BackendError):
        ct.make_transport(ClusterSpec("a", transport="ssh"))
    auto = ct.make_transport(ClusterSpec("a"))
    assert auto.name == ("rados" if ct.rados_available() else "cli")


def test_ssh_transport_without_ssh_layer_is_unreachable_not_a_crash():
    with pytest.raises(Unreachable):
        ct.SshTransport(ClusterSpec("a", host="admin1"), None).call(ct.STATUS, 1)


def test_error_classification():
    assert ct.classify("[errno 110] RADOS timed out (error connecting to the cluster)") is Unreachable
    assert ct.classify("Error EINVAL: invalid command") is BackendError


def test_summary_shape_with_checks():
    s = layer_with(ReplayTransport(True, WARN)).summary(2)
    assert s["ok"] is True and s["error"] is None and s["health"] == "HEALTH_WARN"
    (c,) = s["clusters"]
    assert c["name"] == "lab" and (c["osds_up"], c["osds_in"], c["num_osds"]) == (2, 3, 3)
    assert {"code": "OSD_DOWN", "severity": "HEALTH_WARN", "summary": "1 osds down", "count": 1, "muted": False} in c["checks"]
    json.dumps(s)


def test_summary_unreachable_never_raises():
    tr = ReplayTransport(True, OK)
    tr.down = "timed out"
    s = layer_with(tr).summary(1)
    assert s == {"ok": False, "error": "lab: cluster unreachable: timed out", "health": None,
                 "clusters": [{"name": "lab", "health": None, "error": "cluster unreachable: timed out"}]}


def test_cheap_transport_asks_status_and_log_every_round_the_rest_on_change_or_every_10s(monkeypatch):
    tr = ReplayTransport(True, WARN)
    p, seen = poll(layer_with(tr))
    clock = [1000.0]
    monkeypatch.setattr("megam_tui.backends.ceph_poller.time.monotonic", lambda: clock[0])
    p.poll_once()
    clock[0] += 2
    p.poll_once()
    first = ["ceph status", "ceph health detail", "ceph osd tree", "ceph df", "ceph log last 50"]
    assert tr.asked == first + ["ceph status", "ceph log last 50"]
    tr.asked.clear()
    clock[0] += 10  # CHEAP_EVERY later: detail, tree and df again
    p.poll_once()
    assert tr.asked == first
    # rounds 2 and 3 saw the same log entries as round 1: no Event for them
    assert not any(isinstance(o, Event) and o.kind.startswith("log") for o in seen)
    tr.asked.clear()
    tr.answers.update(OK)  # the OSD came back: checks and counts changed, the tree is asked at once
    clock[0] += 2
    p.poll_once()
    assert tr.asked == ["ceph status", "ceph osd tree", "ceph df", "ceph log last 50"]  # no checks: no detail
    kinds = [type(o).__name__ for o in seen]
    assert kinds[:2] == ["BackendState", "Event"]  # reachable, then "HEALTH_WARN at start"
    assert {CephStatus, CephOsdTree, CephPools, CephLogBacklog} <= {type(o) for o in seen}
    st = [o for o in seen if isinstance(o, CephStatus)][2]
    assert {c.code: c.detail for c in st.checks}["OSD_DOWN"] == ("osd.1 (root=default,host=vm) is down",)
    # a tree / df asked again but unchanged is not sent again: the down tree, then the
    # recovered one; df never changed. The status is sent every round (sparklines).
    assert sum(isinstance(o, CephOsdTree) for o in seen) == 2
    assert sum(isinstance(o, CephPools) for o in seen) == 1
    assert sum(isinstance(o, CephStatus) for o in seen) == 4


def test_expensive_transport_asks_status_only_until_something_changes():
    tr = ReplayTransport(False, OK)
    p, seen = poll(layer_with(tr))
    p.poll_once()
    assert tr.asked == ["ceph status", "ceph osd tree", "ceph df", "ceph log last 50"]  # OK: no detail needed
    tr.asked.clear()
    p.poll_once()
    p.poll_once()
    assert tr.asked == ["ceph status", "ceph status"]
    tr.asked.clear()
    tr.answers.update(WARN)  # an OSD went down: checks and OSD counts changed
    p.poll_once()
    assert tr.asked == ["ceph status", "ceph health detail", "ceph osd tree", "ceph df"]
    tr.asked.clear()
    p.poll_once()
    assert tr.asked == ["ceph status"]  # same checks: detail lines reused
    st = [o for o in seen if isinstance(o, CephStatus)][-1]
    assert {c.code: c.detail for c in st.checks}["OSD_DOWN"] == ("osd.1 (root=default,host=vm) is down",)
    raised = [o for o in seen if isinstance(o, Event) and o.kind == "OSD_DOWN"]
    assert len(raised) == 1 and "raised" in raised[0].message


def test_reachability_is_emitted_on_change_only():
    tr = ReplayTransport(True, OK)
    p, seen = poll(layer_with(tr))
    p.poll_once()
    p.poll_once()
    tr.down = "timed out"
    p.poll_once()
    p.poll_once()
    tr.down = None
    p.poll_once()
    states = [(o.ok, o.error) for o in seen if isinstance(o, BackendState)]
    assert states == [(True, None), (False, "cluster unreachable: timed out"), (True, None)]


def test_new_log_entries_become_events_once():
    tr = ReplayTransport(True, OK)
    p, seen = poll(layer_with(tr))
    p.poll_once()
    backlog = [o for o in seen if isinstance(o, CephLogBacklog)]
    assert len(backlog) == 1 and len(backlog[0].events) == len(json.loads(raw("log_last.json")))
    tr.answers["ceph log last 50"] = raw("log_last_warn.json")
    p.poll_once()
    p.poll_once()
    logged = [o for o in seen if isinstance(o, Event) and o.kind.startswith("log")]
    old = {(e["stamp"], e["seq"]) for e in json.loads(raw("log_last.json"))}
    new = [e for e in json.loads(raw("log_last_warn.json")) if (e["stamp"], e["seq"]) not in old]
    assert len(logged) == len(new) > 0
    assert any(e.severity == "warn" and e.kind == "log:OSD_DOWN" for e in logged)


class BlockingHandle:
    """Stands in for a rados.Rados handle whose mon_command blocks until released."""

    def __init__(self):
        import threading

        self.entered = threading.Event()
        self.release = threading.Event()
        self.shutdowns = 0

    def mon_command(self, cmd, inbuf):
        self.entered.set()
        self.release.wait(5)
        return 0, b"{}", ""

    def shutdown(self):
        self.shutdowns += 1


@pytest.mark.skipif(not ct.rados_available(), reason="python3-rados not installed")
def test_close_during_a_call_shuts_the_handle_down_only_after_the_call():
    import threading

    tr = ct.RadosTransport(ClusterSpec("lab", conf="x.conf"))
    h = BlockingHandle()
    tr._handle = h
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", tr.call(ct.STATUS, 5)))
    t.start()
    assert h.entered.wait(5)
    tr.close()
    assert h.shutdowns == 0  # still inside mon_command
    h.release.set()
    t.join(5)
    assert result["r"] == (b"{}", "")
    assert h.shutdowns == 1
    assert tr._handle is None and tr._busy == {} and tr._retired == {}


class DiesAfter(ReplayTransport):
    """Answers `ok_calls` commands, then the cluster is gone (every call fails)."""

    def __init__(self, ok_calls):
        super().__init__(True, WARN)
        self.ok_calls = ok_calls

    def call(self, cmd, timeout):
        if len(self.asked) >= self.ok_calls:
            self.down = "timed out"
        return super().call(cmd, timeout)


def test_cluster_lost_mid_round_stops_the_round_and_says_unreachable():
    tr = DiesAfter(ok_calls=2)  # status and health detail answer, osd tree does not
    p, seen = poll(layer_with(tr))
    p.poll_once()
    assert tr.asked == ["ceph status", "ceph health detail", "ceph osd tree"]  # df, log not tried
    states = [(o.ok, o.error) for o in seen if isinstance(o, BackendState)]
    assert states == [(True, None), (False, "cluster unreachable: timed out")]


class PushingTransport(ReplayTransport):
    """librados-like: the mon pushes log entries once subscribed (log_entries)."""

    def __init__(self, answers):
        super().__init__(True, answers)
        self.subscribed = False
        self.pushed: list[dict] = []

    def log_entries(self, timeout):
        if not self.subscribed:
            self.subscribed = True
            return None
        out, self.pushed = self.pushed, []
        return out


def test_pushed_cluster_log_replaces_log_last_after_the_backlog():
    tr = PushingTransport(OK)
    p, seen = poll(layer_with(tr))
    p.poll_once()
    assert tr.asked[-1] == "ceph log last 50" and tr.subscribed  # subscribed, then the backlog
    backlog = [o for o in seen if isinstance(o, CephLogBacklog)]
    assert len(backlog) == 1
    old = json.loads(raw("log_last.json"))[-1]
    tr.pushed = [dict(old), {"name": "mon.mon0", "stamp": "2026-11-25T19:51:30.000000+0000", "seq": 999,
                             "channel": "cluster", "priority": "[WRN]", "message": "Health check failed: noout flag(s) set (OSDMAP_FLAGS)"}]
    tr.asked.clear()
    p.poll_once()
    assert "ceph log last 50" not in tr.asked
    logged = [o for o in seen if isinstance(o, Event) and o.kind.startswith("log")]
    assert [(e.severity, e.kind) for e in logged] == [("warn", "log:OSDMAP_FLAGS")]  # the old entry was not repeated
