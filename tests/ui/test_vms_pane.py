"""VmsPane fed through apply() with fake models (no engine; the layer is tested on the testbed)."""

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from megam_tui.backends.vms import DomainsSnapshot
from megam_tui.models import BackendState, Domain, Event
from megam_tui.settings import HostSpec, HypervisorSpec, Settings
from megam_tui.ui.messages import RunAction
from megam_tui.ui.vms import VmsPane


def dom(name, hv="local", state="running", cpu=1.0, mem=65536, up=100.0, vcpus=1):
    return Domain(name=name, hypervisor=hv, state=state, vcpus=vcpus, memory_kib=mem, cpu_pct=cpu, uptime_s=up)


class PaneApp(App):
    def __init__(self, **pane_kwargs):
        super().__init__()
        self.pane_kwargs = pane_kwargs
        self.actions: list[RunAction] = []

    def compose(self) -> ComposeResult:
        yield VmsPane(id="pane-libvirt", **self.pane_kwargs)

    def on_run_action(self, message: RunAction) -> None:
        self.actions.append(message)


def table_rows(pane):
    table = pane.query_one(DataTable)
    return [[cell.plain for cell in table.get_row(r.key)] for r in table.ordered_rows]


def row_names(pane):
    return [row[1] for row in table_rows(pane)]


async def test_rows_columns_and_cell_texts():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("local", (dom("web", cpu=12.345, mem=2 * 1024 * 1024, up=90061), dom("db", state="shut off", cpu=None, up=None))))
        await pilot.pause()
        assert table_rows(pane) == [
            [" ", "db", "local", "shut off", "1", "64M", "–", "–"],
            [" ", "web", "local", "running", "1", "2.0G", "12.3", "1d 1h"],
        ]
        keys = [r.key.value for r in pane.query_one(DataTable).ordered_rows]
        assert keys == ["local/db", "local/web"]


async def test_only_changed_cells_are_rewritten_and_rows_keep_their_keys():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("local", (dom("a"), dom("b"), dom("c"))))
        await pilot.pause()
        table = pane.query_one(DataTable)
        table.move_cursor(row=2)
        pane.apply(DomainsSnapshot("local", (dom("a"), dom("b", cpu=55.0), dom("c"))))
        await pilot.pause()
        assert pane.cell_updates == 1
        assert table_rows(pane)[1][6] == "55.0"
        assert pane.highlighted_key() == "local/c"  # cursor stayed on its row
        pane.apply(DomainsSnapshot("local", (dom("a"), dom("c"))))  # b gone
        await pilot.pause()
        assert row_names(pane) == ["a", "c"]
        assert pane.highlighted_key() == "local/c"


async def test_snapshots_replace_one_hypervisor_only():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("kvm1", (dom("x", hv="kvm1"),)))
        pane.apply(DomainsSnapshot("local", (dom("y"),)))
        pane.apply(DomainsSnapshot("local", ()))
        await pilot.pause()
        assert row_names(pane) == ["x"]


async def test_sort_cycle_and_reverse_keep_the_highlighted_row():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("local", (dom("a", cpu=5), dom("b", cpu=50), dom("c", cpu=None, state="shut off"))))
        await pilot.pause()
        pane.query_one(DataTable).focus()
        assert row_names(pane) == ["a", "b", "c"]
        pane.query_one(DataTable).move_cursor(row=0)
        await pilot.press("o")  # hypervisor
        await pilot.press("o")  # state: running first
        await pilot.press("o")  # cpu: busiest first, unknown last
        await pilot.pause()
        assert pane.sort_column == "cpu"
        assert row_names(pane) == ["b", "a", "c"]
        assert pane.highlighted_key() == "local/a"
        await pilot.press("O")
        await pilot.pause()
        assert row_names(pane) == ["c", "a", "b"]


async def test_slash_filters_and_escape_clears():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("local", (dom("web1"), dom("web2"), dom("db", state="paused"))))
        await pilot.pause()
        pane.query_one(DataTable).focus()
        await pilot.press("slash", "w", "e", "b", "2")
        await pilot.pause()
        assert row_names(pane) == ["web2"]
        await pilot.press("enter")
        await pilot.press("escape")
        await pilot.pause()
        assert row_names(pane) == ["db", "web1", "web2"]
        await pilot.press("slash", *"paused")
        await pilot.pause()
        assert row_names(pane) == ["db"]


async def test_action_keys_post_run_actions_with_hypervisor_targets():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("kvm1", (dom("a", hv="kvm1"), dom("b", hv="kvm1"))))
        await pilot.pause()
        pane.query_one(DataTable).focus()
        await pilot.press("s", "r", "F", "p")
        await pilot.pause()
        assert [(m.layer, m.action, m.targets) for m in app.actions] == [
            ("libvirt", "toggle", ["kvm1/a"]),
            ("libvirt", "reboot", ["kvm1/a"]),
            ("libvirt", "destroy", ["kvm1/a"]),
            ("libvirt", "toggle_pause", ["kvm1/a"]),
        ]
        app.actions.clear()
        await pilot.press("space", "down", "space", "s")
        await pilot.pause()
        assert app.actions[-1].targets == ["kvm1/a", "kvm1/b"]
        assert table_rows(pane)[0][0] == "•"


async def test_x_runs_on_guests_that_are_ssh_hosts_only(tmp_path):
    from megam_tui.ui.run_command import RunCommandScreen

    settings = Settings(
        home=tmp_path, ssh_hosts=(HostSpec("guest1", "127.0.0.2"),), libvirt_hypervisors=(HypervisorSpec("local"),)
    )
    app = PaneApp(settings=settings)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("local", (dom("guest1"), dom("other"))))
        await pilot.pause()
        pane.query_one(DataTable).focus()
        await pilot.press("down", "x")
        await pilot.pause()
        assert not isinstance(app.screen, RunCommandScreen)  # "other" is not an SSH host: a warning
        await pilot.press("up", "x")
        await pilot.pause()
        assert isinstance(app.screen, RunCommandScreen) and app.screen.hosts == ["guest1"]
        await pilot.press(*"uptime", "enter")
        await pilot.pause()
        [msg] = app.actions
        assert (msg.layer, msg.action, msg.targets, msg.params["command"]) == ("ssh", "run", ["guest1"], "uptime")


async def test_unreachable_hypervisor_is_shown_and_recovers():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("local", (dom("a"),)))
        pane.apply(BackendState("libvirt", "local", False, "hypervisor local unreachable: Failed to connect socket"))
        await pilot.pause()
        bar = str(pane.query_one("#vms-bar").render())
        assert "hypervisor local unreachable: Failed to connect socket" in bar
        assert table_rows(pane)[0][3] == "running ?"  # last known, marked stale
        pane.apply(BackendState("libvirt", "local", True))
        pane.apply(DomainsSnapshot("local", (dom("a", state="paused"),)))
        await pilot.pause()
        assert "unreachable" not in str(pane.query_one("#vms-bar").render())
        assert table_rows(pane)[0][3] == "paused"


async def test_untrusted_names_are_text_not_markup():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        evil = "[bold red]x[/] [link=file:///etc]y"
        pane.apply(DomainsSnapshot("[b]hv", (dom(evil, hv="[b]hv"),)))
        await pilot.pause()
        [row] = table_rows(pane)
        assert row[1] == evil and row[2] == "[b]hv"
        cell = pane.query_one(DataTable).get_row("[b]hv/" + evil)[1]
        assert isinstance(cell, Text) and cell.spans == []


async def test_events_and_unknown_objects_are_ignored_and_focus_object_jumps():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("local", (dom("a"), dom("b"), dom("c"))))
        pane.apply(Event(0.0, "libvirt", "info", "local", "a stopped", "a", "stopped"))
        pane.apply("garbage")
        await pilot.pause()
        assert row_names(pane) == ["a", "b", "c"]
        pane.focus_object("c")
        await pilot.pause()
        assert pane.highlighted_key() == "local/c"


async def test_waiting_and_not_configured_messages():
    app = PaneApp(settings=Settings())
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "no libvirt hypervisors configured" in str(app.query_one("#vms-bar").render())
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "waiting for the first answer" in str(app.query_one("#vms-bar").render())


async def test_cpu_wiggle_keeps_the_shown_figures_a_real_move_redraws():
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(VmsPane)
        pane.apply(DomainsSnapshot("local", (dom("web", cpu=12.0, up=600),)))
        await pilot.pause()
        pane.apply(DomainsSnapshot("local", (dom("web", cpu=12.4, up=610),)))  # noise
        await pilot.pause()
        assert table_rows(pane)[0][6:] == ["12.0", "10m"] and pane.cell_updates == 0
        pane.apply(DomainsSnapshot("local", (dom("web", cpu=30.0, up=620),)))  # a real move
        await pilot.pause()
        assert table_rows(pane)[0][6] == "30.0"
        pane.apply(DomainsSnapshot("local", (dom("web", state="paused", cpu=30.0, up=620),)))
        await pilot.pause()
        assert table_rows(pane)[0][3] == "paused"
