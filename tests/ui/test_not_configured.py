"""A layer with nothing configured says what its pane would show and the exact config to add,
instead of "waiting for the first answer…" for ever (tried as a new user: no Ceph, no SSH hosts)."""

from __future__ import annotations

from megam_tui.app import MegamApp
from megam_tui.settings import EngineSpec, Settings
from megam_tui.ui.containers import ContainersPane
from megam_tui.ui.not_configured import GUIDES, NotConfiguredPane
from tests.ui.fakes import FakeLayer


async def test_unconfigured_layers_explain_themselves(tmp_path):
    cfg = tmp_path / "megam.yaml"
    settings = Settings(home=tmp_path / "home", docker_engines=(EngineSpec("local"),), ssh_include_local=False, config_path=cfg)
    app = MegamApp(settings, layers={n: FakeLayer(n) for n in ("docker", "ceph", "libvirt", "ssh")}, start_layers=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert isinstance(app.panes["docker"], ContainersPane)
        for layer in ("ceph", "libvirt", "ssh"):
            pane = app.panes[layer]
            assert isinstance(pane, NotConfiguredPane), layer
            text = pane.render().plain if hasattr(pane.render(), "plain") else str(pane.render())
            assert GUIDES[layer].key in text and str(cfg) in text and "waiting" not in text, text
            assert app.frames[layer].problem == "not configured"
        await pilot.press("4")
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is app.frames["ceph"]


def test_every_example_is_a_valid_config(tmp_path):
    from megam_tui.config import check_config

    for layer, guide in GUIDES.items():
        path = tmp_path / f"{layer}.yaml"
        path.write_text(guide.example + "\n")
        assert check_config(str(path)) == [], (layer, [str(p) for p in check_config(str(path))])
