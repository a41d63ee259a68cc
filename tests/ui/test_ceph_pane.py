"""CephPane and CephBadge fed through apply() with models parsed from recorded JSON (no engine)."""

import json
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import RichLog, Static, TabbedContent, Tree

from megam_tui.backends import ceph_parse as cp
from megam_tui.backends.ceph_models import CephLogBacklog
from megam_tui.models import BackendState, CephStatus, Event, HealthCheck
from megam_tui.settings import ClusterSpec, Settings
from megam_tui.ui.ceph import CephPane
from megam_tui.ui.ceph_badge import CephBadge
from megam_tui.ui.messages import RunAction

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "ceph"


def load(name):
    return json.loads((FIX / name).read_text())


def status(name="status_ok.json", detail=None):
    st = cp.parse_status("lab", load(name))
    if detail:
        st = cp.merge_detail(st, cp.parse_health_detail(load(detail))[1])
    return st


class PaneApp(App):
    def __init__(self, clusters=("lab",)):
        super().__init__()
        self.settings = Settings(ceph_clusters=tuple(ClusterSpec(c) for c in clusters))
        self.actions: list[RunAction] = []

    def compose(self) -> ComposeResult:
        yield CephBadge(id="ceph-badge")
        yield CephPane(settings=self.settings, id="pane-ceph")

    def on_run_action(self, message: RunAction) -> None:
        self.actions.append(message)


def head(pane) -> str:
    return str(pane.query_one("#ceph-head", Static).render())


def tree_lines(tree: Tree) -> list[str]:
    out = []

    def walk(node, depth):
        for child in node.children:
            out.append("  " * depth + child.label.plain)
            if child.is_expanded:
                walk(child, depth + 1)

    walk(tree.root, 0)
    return out


async def test_ok_status_head_and_no_checks():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        assert "waiting" in head(pane)
        pane.apply(status())
        await pilot.pause()
        text = head(pane)
        assert "HEALTH_OK" in text and "lab" in text
        assert "1/1 in quorum (mon0)" in text
        assert "3 up 3 in / 3" in text
        assert "9 active+clean" in text
        assert "rd 0 B/s" in text and "wr 0 B/s" in text
        assert tree_lines(pane.query_one("#ceph-checks", Tree)) == ["no health checks"]


async def test_warn_checks_with_detail_lines_expanded_and_io_sparkline():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        pane.apply(status())
        pane.apply(status("status_warn_io.json", "health_detail_warn.json"))
        await pilot.pause()
        lines = tree_lines(pane.query_one("#ceph-checks", Tree))
        assert lines[0].startswith("WRN OSDMAP_FLAGS  noout flag(s) set  (muted)")
        i = next(i for i, ln in enumerate(lines) if "OSD_DOWN" in ln)
        assert lines[i].startswith("WRN OSD_DOWN  1 osds down")
        assert lines[i + 1] == "  osd.1 (root=default,host=vm) is down"  # opened by itself
        pg = next(ln for ln in lines if "PG_DEGRADED" in ln)
        assert pg.endswith("[8]")  # 8 detail lines: too many to open by itself
        assert not any(ln.startswith("  pg 2.") for ln in lines)
        text = head(pane)
        assert "HEALTH_WARN" in text and "2 up 3 in / 3" in text
        assert "wr 6.4 MiB/s 1637 op/s" in text
        assert "▁█" in text  # two samples: idle then busy


async def test_cleared_check_disappears_and_user_collapse_is_kept():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        warn = status("status_warn_io.json", "health_detail_warn.json")
        pane.apply(warn)
        await pilot.pause()
        tree = pane.query_one("#ceph-checks", Tree)
        node = next(n for n in tree.root.children if n.data == ("check", "OSD_DOWN"))
        node.collapse()
        await pilot.pause()
        pane.apply(warn)
        await pilot.pause()
        assert not node.is_expanded
        only_flags = CephStatus("lab", "HEALTH_WARN", checks=(HealthCheck("OSDMAP_FLAGS", "HEALTH_WARN", "noout flag(s) set"),))
        pane.apply(only_flags)
        await pilot.pause()
        assert [ln for ln in tree_lines(tree)] == ["WRN OSDMAP_FLAGS  noout flag(s) set"]
        pane.apply(status())
        await pilot.pause()
        assert tree_lines(tree) == ["no health checks"]


async def test_unreachable_shows_reason_and_recovers():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        badge = app.query_one(CephBadge)
        pane.apply(BackendState("ceph", "lab", False, "cluster unreachable: timed out"))
        badge.apply(BackendState("ceph", "lab", False, "cluster unreachable: timed out"))
        await pilot.pause()
        assert head(pane) == "lab: cluster unreachable: timed out"
        assert pane.has_class("-stale")
        assert badge.has_class("-err") and "UNREACHABLE" in str(badge.render())
        for w in (pane, badge):
            w.apply(status())
            w.apply(BackendState("ceph", "lab", True))
        await pilot.pause()
        assert "HEALTH_OK" in head(pane) and not pane.has_class("-stale")
        assert badge.has_class("-ok") and not badge.has_class("-err")


async def test_osd_tree_hosts_and_down_osd():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        pane.apply(cp.parse_osd_tree("lab", load("osd_tree_ok.json")))
        await pilot.pause()
        tree = pane.query_one("#ceph-osds", Tree)
        lines = tree_lines(tree)
        assert lines[0].startswith("root default")
        assert lines[1].startswith("  host vm")
        assert sorted(ln.strip() for ln in lines[2:]) == [
            "osd.0  up in  weight 1", "osd.1  up in  weight 1", "osd.2  up in  weight 1"]
        first_nodes = dict(pane._osd_nodes)
        pane.apply(cp.parse_osd_tree("lab", load("osd_tree_down.json")))
        await pilot.pause()
        assert "osd.1  DOWN in  weight 1" in [ln.strip() for ln in tree_lines(tree)]
        assert pane._osd_nodes == first_nodes  # same shape: labels updated in place


async def test_pools_bars():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        pane.apply(cp.parse_df("lab", load("df.json")))
        await pilot.pause()
        text = str(pane.query_one("#ceph-pools", Static).render())
        lines = text.splitlines()
        assert lines[0].startswith("raw ") and "avail of 768.0 MiB" in lines[0]
        lab = next(ln for ln in lines if ln.startswith("lab "))
        assert "4.0 MiB stored" in lab and "4 objects" in lab


async def test_cluster_log_backlog_live_search_and_untrusted_text():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        events = tuple(ev for _, ev in cp.parse_log("lab", load("log_last_warn.json")))
        pane.apply(CephLogBacklog("lab", events))
        evil = Event(2e9, "ceph", "error", "lab", "[bold red]not markup[/] osd.9 failed", kind="log")
        pane.apply(evil)
        pane.apply(Event(2e9, "ceph", "warn", "lab", "check raised: x", kind="OSD_DOWN"))  # timeline only
        app.query_one("#ceph-tabs", TabbedContent).active = "ceph-tab-log"
        await pilot.pause()
        log = pane.query_one("#ceph-log", RichLog)
        plain = [strip.text for strip in log.lines]
        assert len(plain) == len(events) + 1
        assert "[ERR] [bold red]not markup[/] osd.9 failed" in plain[-1]
        await pilot.press("slash")
        await pilot.pause()
        assert app.query_one("#ceph-tabs", TabbedContent).active == "ceph-tab-log"
        await pilot.press(*"osd_down")
        await pilot.pause()
        plain = [strip.text for strip in log.lines]
        assert plain and all("osd_down" in p.lower() for p in plain)
        await pilot.press("escape")
        await pilot.pause()
        assert len(log.lines) == len(events) + 1


async def test_flag_toggle_mute_and_osd_actions_post_run_action():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        pane.apply(status())
        pane.apply(cp.parse_osd_tree("lab", load("osd_tree_ok.json")))
        await pilot.pause()
        pane.query_one("#ceph-checks", Tree).focus()
        await pilot.press("o")
        pane.apply(status("status_warn_io.json", "health_detail_warn.json"))  # noout now set
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        got = [(a.layer, a.action, a.targets, a.params) for a in app.actions]
        assert got == [("ceph", "set_flag", ["lab"], {"flag": "noout"}), ("ceph", "unset_flag", ["lab"], {"flag": "noout"})]
        app.actions.clear()
        tree = pane.query_one("#ceph-checks", Tree)
        muted = next(n for n in tree.root.children if n.data == ("check", "OSDMAP_FLAGS"))
        tree.move_cursor(muted)
        await pilot.press("m")
        down = next(n for n in tree.root.children if n.data == ("check", "OSD_DOWN"))
        tree.move_cursor(down)
        await pilot.press("m")
        await pilot.pause()
        assert [(a.action, a.params) for a in app.actions] == [
            ("unmute", {"code": "OSDMAP_FLAGS"}), ("mute", {"code": "OSD_DOWN", "ttl": "10m"})]
        app.actions.clear()
        await pilot.press("t")
        await pilot.pause()
        assert app.query_one("#ceph-tabs", TabbedContent).active == "ceph-tab-osds"
        osds = pane.query_one("#ceph-osds", Tree)
        osds.focus()
        osd2 = pane._osd_nodes[2]
        osds.move_cursor(osd2)
        await pilot.press("O")
        await pilot.press("I")
        await pilot.pause()
        assert [(a.action, a.targets) for a in app.actions] == [("osd_out", ["lab/osd.2"]), ("osd_in", ["lab/osd.2"])]


async def test_osd_action_without_selection_posts_nothing():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        pane.focus()
        await pilot.press("O")
        await pilot.press("o")  # no status yet
        await pilot.pause()
        assert app.actions == []


async def test_badge_levels_and_alarm_classes():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        badge = app.query_one(CephBadge)
        assert badge.level == "unknown" and not badge.display
        badge.apply(Event(1.0, "docker", "error", "x", "ignored"))
        badge.apply(BackendState("docker", "local", False, "docker down"))
        assert badge.level == "unknown"
        badge.apply(status(), now=100.0)
        await pilot.pause()
        assert badge.display and badge.has_class("-ok")
        badge.apply(status("status_warn_io.json"), now=160.0)
        badge._redraw(now=190.0)
        await pilot.pause()
        assert badge.has_class("-warn") and not badge.has_class("-ok")
        assert str(badge.render()) == "HEALTH_WARN lab 30s"
        badge.apply(status("status_err.json"), now=200.0)
        assert badge.has_class("-err")


async def test_badge_several_clusters_worst_first():
    app = PaneApp(clusters=("a", "b"))
    async with app.run_test(size=(140, 40)) as pilot:
        badge = app.query_one(CephBadge)
        badge.apply(CephStatus("a", "HEALTH_OK"), now=0.0)
        badge.apply(CephStatus("b", "HEALTH_ERR"), now=0.0)
        badge._redraw(now=5.0)
        await pilot.pause()
        assert str(badge.render()) == "b ERR <10s · a OK <10s"
        assert badge.has_class("-err")


async def test_two_clusters_switch_with_c():
    app = PaneApp(clusters=("a", "b"))
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        pane.apply(CephStatus("a", "HEALTH_OK"))
        pane.apply(CephStatus("b", "HEALTH_ERR", checks=(HealthCheck("OSD_FULL", "HEALTH_ERR", "1 full osd(s)"),)))
        await pilot.pause()
        assert " a" in head(pane).splitlines()[0]
        pane.query_one("#ceph-checks", Tree).focus()
        await pilot.press("c")
        await pilot.pause()
        assert "HEALTH_ERR" in head(pane)
        assert tree_lines(pane.query_one("#ceph-checks", Tree)) == ["ERR OSD_FULL  1 full osd(s)"]


def test_labels_are_text_not_markup():
    from megam_tui.ui import ceph_format as fmt

    label = fmt.check_label(HealthCheck("X", "HEALTH_WARN", "[red]boom[/red]"), fmt.DEFAULT_PALETTE)
    assert isinstance(label, Text) and "[red]boom[/red]" in label.plain


def test_safe_drops_controls_keeps_markup_and_bounds_length():
    from megam_tui.ui import ceph_format as fmt

    assert fmt.safe("\x1b[2Jred\x00\x9b") == "\ufffd[2Jred\ufffd\ufffd"
    assert fmt.safe("[b]x[/b]") == "[b]x[/b]"
    assert fmt.safe(b"a\xff".decode("utf-8", "surrogateescape")) == "a?"
    assert fmt.safe("A" * 10_000) == "A" * fmt.MAX_TEXT + "…"


async def test_hostile_detail_and_log_lines_render_safely():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        evil = "\x1b]0;pwned\x07[red]x[/red]\x00"
        pane.apply(CephStatus("lab", "HEALTH_WARN", quorum=(evil,), checks=(HealthCheck("OSD_DOWN", "HEALTH_WARN", evil, detail=(evil,)),)))
        pane.apply(CephLogBacklog("lab", (Event(1.0, "ceph", "warn", "lab", evil, kind="log"),)))
        await pilot.pause()
        lines = tree_lines(pane.query_one("#ceph-checks", Tree))
        assert all("\x1b" not in ln and "\x00" not in ln for ln in lines)
        assert "[red]x[/red]" in lines[1]
        assert "\x1b" not in head(pane) and "[red]x[/red]" in head(pane)


async def test_recent_cluster_log_under_the_checks_is_not_filtered_by_search():
    app = PaneApp()
    async with app.run_test(size=(140, 40)) as pilot:
        pane = app.query_one(CephPane)
        events = tuple(ev for _, ev in cp.parse_log("lab", load("log_last_warn.json")))
        pane.apply(CephLogBacklog("lab", events[:-1]))
        pane.apply(events[-1])  # live
        await pilot.pause()
        recent = pane.query_one("#ceph-recent", RichLog)
        lines = [strip.text for strip in recent.lines]
        assert len(lines) == len(events)
        assert "Health check update: Degraded data redundancy" in lines[-1]
        pane.action_search()
        await pilot.press(*"osd_down")
        await pilot.pause()
        assert len(recent.lines) == len(events)  # the search narrows the Log tab only
