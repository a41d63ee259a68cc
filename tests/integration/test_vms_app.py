"""End to end: the real app shell + LibvirtLayer + VmsPane against the testbed libvirtd.

Keys pressed in the VMs pane become jobs that change the real domain; a change made
outside the app reaches the table through the event stream.
"""

import asyncio
import secrets
import subprocess
import time

from textual.widgets import DataTable

from megam_tui.app import MegamApp
from megam_tui.settings import HypervisorSpec, Settings
from megam_tui.ui.vms import VmsPane
from tests.integration import conftest as testbed
from tests.integration.test_vms_actions import URI, define_domain, state, undefine_domain, virsh
from tests.integration.test_vms_live import SCRIPT


def pane_state(pane: VmsPane, key: str) -> str | None:
    table = pane.query_one(DataTable)
    try:
        return table.get_row(key)[3].plain
    except Exception:  # noqa: BLE001 - row not there (yet)
        return None


async def wait_until(pilot, pred, timeout: float) -> float:
    """Seconds until pred() held (pumping the app), or AssertionError."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        await pilot.pause(0.02)
    raise AssertionError("condition not reached in time")


async def test_app_shows_domains_acts_on_keys_and_follows_outside_changes(tmp_path):
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("libvirt")
    name = f"megam-app-{secrets.token_hex(3)}"
    define_domain(name)
    key = f"local/{name}"
    settings = Settings(
        refresh=30,  # anything quicker than this came through the event stream
        home=tmp_path / "home",
        confirm=(),
        ssh_include_local=False,
        libvirt_hypervisors=(HypervisorSpec("local", uri=URI, timeout=5),),
    )
    app = MegamApp(settings)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            pane = app.panes["libvirt"]
            assert isinstance(pane, VmsPane)
            await wait_until(pilot, lambda: pane_state(pane, "local/megam-vm1") == "running", 15)
            assert pane_state(pane, "local/megam-vm2") == "shut off"
            assert pane_state(pane, key) == "shut off"

            await pilot.press("2")  # the VMs pane, as a user would
            pane.focus_object(name)
            await pilot.pause()
            assert app.focused is pane.query_one(DataTable)
            assert pane.highlighted_key() == key
            await pilot.press("s")  # start (the domain is off)
            await wait_until(pilot, lambda: pane_state(pane, key) == "running", 10)
            assert state(name) == "running"
            await pilot.press("p")  # suspend
            await wait_until(pilot, lambda: pane_state(pane, key) == "paused", 10)
            assert state(name) == "paused"
            await pilot.press("p")  # resume
            await wait_until(pilot, lambda: pane_state(pane, key) == "running", 10)

            # outside the app: virsh destroy, run off the UI loop
            await asyncio.to_thread(virsh, "destroy", "--domain", name)
            seen_after = await wait_until(pilot, lambda: pane_state(pane, key) == "shut off", 5)
            print(f"pane showed the outside destroy {seen_after:.3f} s after virsh destroy returned")
            assert seen_after <= 1.0
    finally:
        undefine_domain(name)


async def test_app_pane_says_libvirtd_is_down_and_recovers(tmp_path):
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("libvirt")
    settings = Settings(
        refresh=30,
        home=tmp_path / "home",
        ssh_include_local=False,
        libvirt_hypervisors=(HypervisorSpec("local", uri=URI, timeout=5),),
    )
    app = MegamApp(settings)
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.panes["libvirt"]
        frame = app.frames["libvirt"]
        bar = pane.query_one("#vms-bar")
        await wait_until(pilot, lambda: pane_state(pane, "local/megam-vm1") == "running", 15)
        try:
            await asyncio.to_thread(subprocess.run, ["bash", str(SCRIPT), "stop-libvirtd"], check=True, timeout=60)
            await wait_until(pilot, lambda: "hypervisor local unreachable" in str(bar.render()), 6)
            assert (frame.problem or "").startswith("hypervisor local unreachable: ")
            assert pane_state(pane, "local/megam-vm1") == "running ?"  # last known, marked stale
        finally:
            await asyncio.to_thread(subprocess.run, ["bash", str(SCRIPT), "start-libvirtd"], check=True, timeout=60)
        # recovers by itself (the poller retries every 2 s while the hypervisor is down)
        await wait_until(pilot, lambda: "unreachable" not in str(bar.render()), 10)
        await wait_until(pilot, lambda: pane_state(pane, "local/megam-vm1") == "running", 5)
        assert frame.problem is None


async def test_x_runs_a_command_on_a_guest_that_is_an_ssh_host(tmp_path):
    """A domain named like the ssh testbed host node1 stands for a guest reachable over SSH."""
    import yaml

    from megam_tui.config import load_settings
    from megam_tui.ui.run_command import RunCommandScreen

    frag = testbed.testbed_fragment("ssh")
    testbed.testbed_fragment("libvirt")
    testbed.testbed_up("ssh")
    testbed.testbed_up("libvirt")
    frag["ssh"]["include_local"] = False
    frag["ssh"]["hosts"] = [h for h in frag["ssh"]["hosts"] if h["name"] == "node1"]
    cfg = {"refresh": "30s", "confirm": [], **frag, "libvirt": {"hypervisors": [{"name": "local", "uri": URI}]}}
    path = tmp_path / "megam.yaml"
    path.write_text(yaml.safe_dump(cfg))
    path.chmod(0o600)
    settings, problems = load_settings(path, env={"MEGAM_HOME": str(tmp_path / "home")})
    assert problems == []
    if any(d == "node1" for d in virsh("list", "--all", "--name").stdout.split()):
        raise AssertionError("a domain named node1 already exists")
    define_domain("node1")
    try:
        app = MegamApp(settings)
        async with app.run_test(size=(160, 50)) as pilot:
            pane = app.panes["libvirt"]
            await wait_until(pilot, lambda: pane_state(pane, "local/node1") == "shut off", 15)
            await pilot.press("2")
            pane.focus_object("node1")
            await pilot.pause()
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, RunCommandScreen), 5)
            screen = app.screen
            assert screen.hosts == ["node1"]
            await pilot.press(*"echo guest-$((6*7))", "enter")
            await wait_until(pilot, lambda: "node1" in screen.finished, 15)
            lines = [o.line for o in screen.outputs if o.host == "node1" and not o.done]
            assert "guest-42" in lines
            assert [o.exit_code for o in screen.outputs if o.done] == [0]
    finally:
        undefine_domain("node1")
