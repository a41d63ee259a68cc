"""Hostile text from engines (names, labels, check summaries, events, log lines, command
output) reaches every pane through the app's normal routing (LayerUpdate -> apply) and is
shown literally and safely: Rich markup stays text, no control byte (ESC, NUL, ...) reaches
the terminal, a 1 MB string does not break the layout, lone surrogates (from undecodable
bytes) do not crash rendering."""

from __future__ import annotations

import time

import pytest

from megam_tui.app import MegamApp
from megam_tui.backends.ceph_models import CephLogBacklog
from megam_tui.backends.docker_logs import LogBatch, LogLine, clean_line
from megam_tui.backends.docker_models import ContainersSnapshot
from megam_tui.backends.vms import DomainsSnapshot
from megam_tui.jobs import Job
from megam_tui.models import BackendState, CephStatus, Container, Domain, Event, HealthCheck, Host
from megam_tui.settings import ClusterSpec, EngineSpec, HostSpec, HypervisorSpec, Settings
from megam_tui.ui.jobs_pane import JobOutputScreen
from megam_tui.ui.logs import LogsScreen
from megam_tui.sanitize import safe_str
from megam_tui.ui.messages import LayerUpdate
from tests.ui.fakes import FakeLayer

MARKUP = "[bold red]x[/]"
LINK = "[link=https://evil.example/]click[/link]"
ANSI = "\x1b[2J\x1b[H\x1b[31mred\x1b[0m"
OSC = "\x1b]0;pwned-title\x07\x1b]8;;https://evil.example/\x1b\\lnk\x1b]8;;\x1b\\"
CONTROLS = "nul\x00bel\x07bs\x08cr\rdel\x7fcsi\x9b2J"
SURROGATE = b"bad \xff\xfe utf8".decode("utf-8", "surrogateescape")
REPLACED = b"bad \xff\xfe utf8".decode("utf-8", "replace")
HUGE = "A" * 1_000_000
HOSTILE = {"markup": MARKUP, "link": LINK, "ansi": ANSI, "osc": OSC, "controls": CONTROLS,
           "surrogate": SURROGATE, "replaced": REPLACED, "huge": HUGE}
W, H = 160, 50


def settings() -> Settings:
    return Settings(
        docker_engines=(EngineSpec("local"),), docker_configured=True,
        ceph_clusters=(ClusterSpec("lab"),), libvirt_hypervisors=(HypervisorSpec("local"),),
        ssh_hosts=(HostSpec("h", "127.0.0.1"),), ssh_include_local=False, bell=False,
    )


def make_app() -> MegamApp:
    return MegamApp(settings(), layers={n: FakeLayer(n) for n in ("docker", "ceph", "libvirt", "ssh")}, start_layers=False)


def strips(app):
    return app.screen._compositor.render_strips()


def screen_text(app) -> str:
    return "\n".join("".join(seg.text for seg in s) for s in strips(app))


def _bad(text: str) -> list[str]:
    return [c for c in text if ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 or 0xd800 <= ord(c) <= 0xdfff]


def _where(app, x: int, y: int) -> str:
    try:
        widget, _ = app.screen.get_widget_at(x, y)
    except Exception:  # noqa: BLE001
        return "?"
    for node in (widget, *widget.ancestors):
        if getattr(node, "id", None):
            return f"{type(node).__name__}#{node.id}"
    return type(widget).__name__


# what must never reach the terminal's byte stream from data
PAYLOADS = ("\x1b[2J\x1b[H", "\x1b]0;pwned-title", "\x1b]8;;https://evil", "\x00", "\x9b2J", "\udcff")


def terminal_bytes(app) -> str:
    """What the app writes to the terminal for a full repaint (the same call Textual's
    display path makes: LayoutUpdate.render_segments)."""
    return app.screen._compositor.render_update(full=True).render_segments(app.console)


def assert_terminal_safe(app) -> None:
    """Every cell the terminal would get is printable (no ESC, NUL, C1 or lone surrogate from
    data), lines are exactly the screen width, no segment carries a link from data; the
    offending widgets are listed by id."""
    rows = strips(app)
    assert len(rows) == H
    offenders: dict[str, str] = {}
    for y, strip in enumerate(rows):
        assert strip.cell_length == W, f"line {y} is {strip.cell_length} cells wide"
        x = 0
        for seg in strip:
            bad = _bad(seg.text)
            if bad or (seg.style is not None and seg.style.link and "evil" in seg.style.link):
                offenders.setdefault(_where(app, x, y), repr(seg.text[:50]))
            x += seg.cell_length
    raw = terminal_bytes(app)
    leaked = [p for p in PAYLOADS if p in raw]
    assert not offenders and not leaked, (
        f"unsafe text reaches the terminal from: {offenders}; payloads in the byte stream: {leaked}")


def feed(app, layer, obj):
    app.post_message(LayerUpdate(layer, obj))


async def settle(pilot):
    await pilot.pause()
    await pilot.pause(0.1)


def short(s: str) -> str:
    return s if len(s) < 100 else s[:20]


@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_hostile_names_in_every_pane(kind):
    evil = HOSTILE[kind]
    app = make_app()
    async with app.run_test(size=(W, H)) as pilot:
        ok = BackendState("docker", "local", True)
        feed(app, "docker", ok)
        feed(app, "docker", ContainersSnapshot("local", (
            Container(id="a" * 64, name=evil, engine="local", image=evil, state="running", status=evil,
                      labels={evil: evil}, project=evil, ports=evil),
            Container(id="b" * 64, name="plain", engine="local", image="img", state="running"),
        ), ok))
        feed(app, "libvirt", DomainsSnapshot("local", (Domain(name=evil, hypervisor="local", state="running"),
                                                       Domain(name="vm-plain", hypervisor="local", state="shut off"))))
        feed(app, "ssh", [Host("h", "127.0.0.1", reachable=False, error=evil, error_kind="error"),
                          Host(evil, evil, reachable=True)])
        check = HealthCheck("OSD_DOWN", "HEALTH_WARN", evil, 1, detail=(evil, evil))
        feed(app, "ceph", CephStatus("lab", "HEALTH_WARN", checks=(check,), quorum=(evil,)))
        feed(app, "ceph", CephLogBacklog("lab", (Event(time.time(), "ceph", "warn", "lab", evil, kind="log:x"),)))
        feed(app, "ceph", Event(time.time(), "ceph", "warn", "lab", evil, object=evil, kind="log:x"))
        for layer in ("docker", "libvirt", "ssh"):
            feed(app, layer, Event(time.time(), layer, "error", evil, evil, object=evil, kind=evil))
        feed(app, "docker", BackendState("docker", "local", False, evil))
        await settle(pilot)
        # every pane took the hostile objects (a failing apply is only logged by the app)
        # (the app makes every string terminal-safe on the way in: megam_tui.sanitize)
        evil = safe_str(evil)
        assert any(c.name == evil for c in app.panes["docker"].model.containers.values())
        assert f"local/{evil}" in app.panes["libvirt"].domains
        assert evil in app.panes["ssh"].hosts
        assert app.panes["ceph"].clusters["lab"].status.checks[0].summary == evil
        assert sum(1 for _, ev in app.panes["events"].events if ev.message == evil) >= 3
        assert_terminal_safe(app)
        text = screen_text(app)
        if kind in ("markup", "link"):
            assert evil in text, f"{evil!r} not shown literally"
        if kind == "ansi":
            assert "red" in text and "[2J" in text  # ESC dropped or replaced, the rest literal
        # the app still answers keys, layout unchanged
        app.action_focus_pane("docker")
        await pilot.press("z")
        assert app.screen.maximized is app.frames["docker"]
        await settle(pilot)
        assert_terminal_safe(app)
        await pilot.press("z")
        assert app.screen.maximized is None


@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_hostile_log_lines_and_command_output(kind):
    evil = HOSTILE[kind]
    app = make_app()
    async with app.run_test(size=(W, H)) as pilot:
        ok = BackendState("docker", "local", True)
        feed(app, "docker", ContainersSnapshot("local", (Container(id="a" * 64, name="web", engine="local", image="i", state="running"),), ok))
        await settle(pilot)
        pane = app.panes["docker"]
        pane.table.focus()
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        # log lines reach the screen through the docker layer's LineSplitter (UTF-8 with
        # errors="replace": no lone surrogates) and clean_line: feed what they produce
        line = clean_line(REPLACED if kind == "surrogate" else evil)
        feed(app, "docker", LogBatch(screen.session, (LogLine("local/" + "a" * 64, "web", time.time(), line),
                                                      LogLine("local/" + "a" * 64, "web", time.time(), "after"))))
        await settle(pilot)
        assert len(screen.view.entries) == 2
        assert_terminal_safe(app)
        if kind in ("markup", "link"):
            assert evil in screen_text(app)
        await pilot.press("w")  # wrap a 1 MB line: still bounded and safe
        await settle(pilot)
        assert_terminal_safe(app)
        await pilot.press("escape")
        await settle(pilot)
        # a job whose output is hostile, shown in the job output screen
        job = Job(1, "ssh", "run", "h", func=lambda j: None)
        # command output is decoded with errors="replace" by the ssh/local backends
        job.output.append(f"[h] {REPLACED if kind == 'surrogate' else evil}")
        job.output.append("[h exit] 0")
        job.state = "done"
        app.push_screen(JobOutputScreen(job))
        await settle(pilot)
        assert_terminal_safe(app)
        if kind in ("markup", "link"):
            assert evil in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.screen_stack[0]
