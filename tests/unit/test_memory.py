"""megam_tui.memory: fewer malloc arenas, free pages handed back (glibc)."""

import threading

import psutil

from megam_tui import memory


def rss() -> int:
    return psutil.Process().memory_info().rss


def test_trim_hands_back_what_a_thread_freed():
    assert memory.limit_arenas() is True  # glibc: every machine this runs on
    kept = []

    def churn():
        blocks = [bytearray(3000) for _ in range(60_000)]  # ~180 MB of small blocks
        kept.append(blocks[-1])  # one survivor at the top: free() alone cannot shrink the heap
        del blocks

    t = threading.Thread(target=churn)
    t.start()
    t.join()
    before = rss()
    memory.trim()
    after = rss()
    assert before - after > 50 * 2**20, f"RSS {before >> 20} -> {after >> 20} MB"


async def test_the_app_trims_on_its_heartbeat(tmp_path, monkeypatch):
    from megam_tui import app as app_module
    from megam_tui.app import MegamApp
    from megam_tui.settings import Settings
    from tests.ui.fakes import FakeLayer

    calls = []
    monkeypatch.setattr(app_module.memory, "trim", lambda: calls.append(1) or True)
    app = MegamApp(Settings(home=tmp_path, ssh_include_local=False, refresh=30.0),
                   layers={n: FakeLayer(n) for n in ("docker", "ceph", "libvirt", "ssh")}, start_layers=False)
    async with app.run_test(size=(120, 40)):
        for _ in range(app_module.TRIM_EVERY * 2):
            app._heartbeat()
        assert len(calls) == 2
