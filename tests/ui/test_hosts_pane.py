"""HostsPane with App.run_test(), fed through apply() with fake Host models."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from megam_tui.models import BackendState, Host, HostMetrics
from megam_tui.settings import Settings
from megam_tui.ui.hosts import HostsPane
from megam_tui.ui.messages import RunAction
from megam_tui.ui.run_command import RunCommandScreen


def metrics(cpu=None, load=0.5, mem=(1 << 30, 4 << 30), disk=40.0, fullest=("/srv", 91.0), net=(1024.0, 2048.0)):
    return HostMetrics(
        uptime_s=90061, load1=load, load5=load / 2, load15=load / 4, cpu_pct=cpu,
        mem_used=mem[0], mem_total=mem[1], disk_root_pct=disk,
        disk_fullest_mount=fullest[0], disk_fullest_pct=fullest[1],
        net_rx_bps=net[0], net_tx_bps=net[1],
    )


def up(name, **kw):
    return Host(name, f"10.0.0.{len(name)}", 22, "root", True, metrics=metrics(**kw))


def down(name, kind, error):
    return Host(name, "10.0.0.99", 22, "root", False, error, kind)


LOCAL = Host("local", "myhost", 0, "me", True, metrics=metrics(cpu=5.0), local=True)


class PaneApp(App):
    def __init__(self, tmp_path=None):
        super().__init__()
        self.seen = []
        self.settings = Settings(home=tmp_path) if tmp_path else None

    def compose(self) -> ComposeResult:
        yield HostsPane(settings=self.settings, id="pane-ssh")

    def on_run_action(self, message: RunAction) -> None:
        self.seen.append(message)


def row(pane: HostsPane, name: str) -> dict[str, str]:
    t = pane.table
    values = t.get_row(name)
    return {key.value: v.plain for key, v in zip(t.columns.keys(), values)}


async def test_rows_keyed_by_host_local_first_and_values_formatted():
    app = PaneApp()
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        pane.apply(up("web1", cpu=12.4))
        pane.apply(down("db1", "auth", "db1 (10.0.0.99:22): authentication failed for root@10.0.0.99"))
        pane.apply(LOCAL)
        await pilot.pause()
        assert pane.displayed() == ["local", "web1", "db1"]
        r = row(pane, "web1")
        assert r["state"] == "up" and r["cpu"] == "12%" and r["uptime"] == "1d 1h"
        assert r["load"] == "0.50 0.25 0.12" and r["mem"] == "1.0G/4.0G"
        assert r["disk"] == "40%" and r["fullest"] == "/srv 91%" and r["net"] == "↓1.0K/s ↑2.0K/s"
        assert row(pane, "db1")["state"] == "auth failed" and row(pane, "db1")["cpu"] == "–"
        assert row(pane, "local")["name"] == "local (local)"


def spy_cells(pane) -> list[str]:
    """The column keys the pane writes into its table from now on."""
    calls: list[str] = []
    orig = pane.table.set_many
    pane.table.set_many = lambda changes: (  # type: ignore[method-assign]
        calls.extend(c for v in changes.values() for c in v), orig(changes))
    return calls


async def test_only_changed_cells_are_rewritten():
    app = PaneApp()
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        pane.apply(up("web1", cpu=10.0))
        await pilot.pause()
        calls = spy_cells(pane)
        pane.apply(up("web1", cpu=55.0))
        await pilot.pause()
        assert calls == ["cpu"]
        assert row(pane, "web1")["cpu"] == "55%"
        pane.apply(up("web1", cpu=56.0))  # < 2 points: noise, the row keeps its figure
        await pilot.pause()
        assert calls == ["cpu"] and row(pane, "web1")["cpu"] == "55%"
        pane.apply(up("web1", cpu=55.0))
        assert calls == ["cpu"]


async def test_state_change_and_error_detail_for_highlighted_host():
    app = PaneApp()
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        pane.apply(up("web1"))
        await pilot.pause()
        err = "web1 (10.0.0.4:22): host key CHANGED ... ssh-keygen -R '10.0.0.4'"
        pane.apply(down("web1", "hostkey", err))
        pane.apply(BackendState("ssh", "web1", False, err))  # ignored: the Host carries it
        await pilot.pause()
        assert row(pane, "web1")["state"] == "host key changed"
        detail = app.query_one("#hosts-detail").render()
        assert err in str(detail)
        pane.apply(up("web1"))
        await pilot.pause()
        assert row(pane, "web1")["state"] == "up"


async def test_untrusted_names_and_errors_are_not_markup():
    app = PaneApp()
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        pane.apply(down("[b]evil[/b]", "error", "[red]boom[/red] \x1b[31m"))
        await pilot.pause()
        cell = pane.table.get_row("[b]evil[/b]")[1]
        assert isinstance(cell, Text) and cell.plain == "[b]evil[/b]"
        assert "[red]boom[/red]" in str(app.query_one("#hosts-detail").render())


async def test_sort_cycle_keeps_local_first_and_cursor_on_the_same_host():
    app = PaneApp()
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        for h in (LOCAL, up("a", cpu=50.0), up("bb", cpu=10.0), up("ccc", cpu=90.0), down("d", "timeout", "t")):
            pane.apply(h)
        await pilot.pause()
        pane.table.focus()
        pane.focus_object("bb")
        await pilot.press("o")  # host name
        assert pane.displayed() == ["local", "a", "bb", "ccc", "d"]
        await pilot.press("o", "o")  # state, then cpu
        assert pane.sort_key == "cpu"
        assert pane.displayed() == ["local", "bb", "a", "ccc", "d"]  # no cpu -> last
        await pilot.press("O")
        assert pane.displayed() == ["local", "ccc", "a", "bb", "d"]
        assert pane.highlighted == "bb"
        pane.apply(up("bb", cpu=99.0))  # a changed sort value re-sorts live
        await pilot.pause()
        assert pane.displayed() == ["local", "bb", "ccc", "a", "d"]
        assert pane.highlighted == "bb"


async def test_filter_with_slash_and_escape():
    app = PaneApp()
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        for h in (up("web1"), up("web2"), down("db1", "refused", "db1: connection refused")):
            pane.apply(h)
        await pilot.pause()
        pane.table.focus()
        await pilot.press("slash", *"web", "enter")
        assert pane.displayed() == ["web1", "web2"]
        pane.apply(up("web3"))  # new rows obey the filter
        pane.apply(up("db2"))
        await pilot.pause()
        assert pane.displayed() == ["web1", "web2", "web3"]
        pane.set_filter("refused")  # the state/error text matches too
        assert pane.displayed() == ["db1"]
        await pilot.press("escape")
        assert sorted(pane.displayed()) == ["db1", "db2", "web1", "web2", "web3"]


async def test_space_selects_and_x_opens_run_screen_for_selection(tmp_path):
    app = PaneApp(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        for h in (LOCAL, up("web1"), up("web2"), up("web3")):
            pane.apply(h)
        await pilot.pause()
        pane.table.focus()
        pane.focus_object("web1")
        await pilot.press("space")  # selects web1, moves to web2
        await pilot.press("down", "space")  # web3
        assert pane.selected == {"web1", "web3"}
        assert row(pane, "web1")["sel"] == "✓" and row(pane, "web2")["sel"] == " "
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunCommandScreen) and screen.hosts == ["web1", "web3"]
        await pilot.press(*"uptime", "enter")
        await pilot.pause()
        msg = app.seen[-1]
        assert (msg.layer, msg.action, msg.targets) == ("ssh", "run", ["web1", "web3"])
        assert msg.params["command"] == "uptime" and msg.params["run_id"] == screen.run_id
        assert (tmp_path / "history").read_text() == "uptime\n"


async def test_x_without_selection_uses_the_highlighted_host():
    app = PaneApp()
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        pane.apply(up("web1"))
        pane.apply(up("web2"))
        await pilot.pause()
        pane.table.focus()
        pane.focus_object("web2")
        await pilot.press("x")
        await pilot.pause()
        assert app.screen.hosts == ["web2"]


async def test_bindings_have_ids():
    ids = {b.id for b in HostsPane.BINDINGS}
    assert {"hosts.run", "hosts.select", "hosts.filter", "hosts.sort"} <= ids


async def test_default_order_is_the_config_order_whatever_the_arrival_order(tmp_path):
    from dataclasses import replace

    from megam_tui.settings import HostSpec

    app = PaneApp(tmp_path)
    app.settings = replace(app.settings, ssh_hosts=tuple(HostSpec(n, n) for n in ("web2", "db1", "web1")))
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(HostsPane)
        for h in (up("web1"), up("stray"), up("db1"), LOCAL, up("web2", net=(0.0, 0.0))):
            pane.apply(h)
        await pilot.pause()
        assert pane.displayed() == ["local", "web2", "db1", "web1", "stray"]
        assert row(pane, "web2")["net"] == "↓0B/s ↑0B/s"
        assert row(pane, "web2")["cpu"] == "–"  # no CPU % before the second sample
