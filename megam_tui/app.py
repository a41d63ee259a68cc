"""The App: a thin shell that wires backend layers to panes and actions to jobs.

Layers run their own threads and call `emit(obj)`; the shell turns that into a
`LayerUpdate` message (thread-safe) and routes it on the UI thread to the
layer's pane (`pane.apply(obj)`) and, for `models.Event`, to the timeline.
Panes ask for actions with `RunAction`; the shell applies confirm policy and
submits one job per target to the JobManager (the backend enforces read-only).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import Footer, Input

from megam_tui.jobs import FAILED, FINAL_STATES, AuditLog, Job, JobManager
from megam_tui.shown import ShownObjects
from megam_tui.layers import EarlyLayer, build_layers, configured, stop_all, ui_started
from megam_tui.models import BackendState, Event
from megam_tui.sanitize import sanitize
from megam_tui.settings import Settings
from megam_tui.ui.confirm import ConfirmScreen
from megam_tui.ui.events import EventsPane, JumpTo
from megam_tui.ui.fallback_pane import FallbackPane
from megam_tui.ui.help import HelpScreen
from megam_tui.ui.header import HeaderBar, LocalLoad
from megam_tui.ui.calm_driver import CalmLinuxDriver
from megam_tui.ui.line_compositor import LineScreen
from megam_tui.ui.jobs_pane import JobCommand, JobOutputScreen, JobsPane
from megam_tui.ui.messages import LayerUpdate, RunAction
from megam_tui.ui.copy import copy_current
from megam_tui.ui.not_configured import GUIDES, NotConfiguredPane
from megam_tui.ui.notify import Notifier
from megam_tui.ui.palette import MegamCommands
from megam_tui.ui.pane_frame import PaneFrame
from megam_tui.ui.update_gate import UpdateGate
from megam_tui.ui import textual_fixes

textual_fixes.apply()  # before any widget is painted

# layer -> (key, title, module, class)
PANES: dict[str, tuple[str, str, str, str]] = {
    "docker": ("1", "Containers", "megam_tui.ui.containers", "ContainersPane"),
    "libvirt": ("2", "VMs", "megam_tui.ui.vms", "VmsPane"),
    "ssh": ("3", "Hosts", "megam_tui.ui.hosts", "HostsPane"),
    "ceph": ("4", "Ceph", "megam_tui.ui.ceph", "CephPane"),
}


MAX_OBJECTS = 5000  # names the palette can jump to


class JobChanged(Message):
    def __init__(self, job: Job, line: str | None) -> None:
        super().__init__()
        self.job = job
        self.line = line


class LocalSample(Message):
    def __init__(self, cpu: float, mem_used: int, mem_total: int, load: tuple[float, float, float]) -> None:
        super().__init__()
        self.cpu, self.mem_used, self.mem_total, self.load = cpu, mem_used, mem_total, load


def make_pane(layer: str, settings: Settings) -> Any:
    """The layer's own pane if it can be built, else a FallbackPane."""
    _, _, module_name, class_name = PANES[layer]
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except Exception:  # noqa: BLE001 - pane not available: show the plain one
        return FallbackPane(layer, id=f"pane-{layer}")
    try:
        return cls(settings=settings, id=f"pane-{layer}")
    except TypeError:
        return cls(id=f"pane-{layer}")


NOTIFY_COALESCE = 1.0  # s: toasts of one layer within this are one toast
NOTIFY_STARTUP = 6.0  # s after mount: start-up failures (hosts at their connect deadline) in one toast per layer


class MegamApp(App[int]):
    CSS_PATH = Path(__file__).parent / "megam.tcss"
    TITLE = "megam-tui"
    COMMANDS = App.COMMANDS | {MegamCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    # the first frame's focus is a pane's table, never a (hidden) filter Input: Textual's default
    # "*" focuses the first focusable widget before CSS has hidden it, and the keys typed right
    # after the first frame ("3", "z") were typed into it
    AUTO_FOCUS = "DataTable"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("1", "focus_pane('docker')", "Containers", show=False, id="app.pane.containers"),
        Binding("2", "focus_pane('libvirt')", "VMs", show=False, id="app.pane.vms"),
        Binding("3", "focus_pane('ssh')", "Hosts", show=False, id="app.pane.hosts"),
        Binding("4", "focus_pane('ceph')", "Ceph", show=False, id="app.pane.ceph"),
        Binding("5", "focus_pane('jobs')", "Jobs", show=False, id="app.pane.jobs"),
        Binding("6", "focus_pane('events')", "Events", show=False, id="app.pane.events"),
        Binding("z", "toggle_maximize", "Zoom", id="app.zoom"),
        Binding("Y", "copy", "Copy", show=False, id="app.copy"),
        Binding("question_mark", "toggle_help", "Help", id="app.help"),
    ]

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        layers: dict[str, Any] | None = None,
        jobs: JobManager | None = None,
        start_layers: bool = True,
        pane_factory: Any = None,
        history: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.layers = layers if layers is not None else build_layers(self.settings)
        self.jobs = jobs or JobManager(AuditLog(Path(self.settings.home) / "audit.jsonl"))
        self.start_layers = start_layers
        self.history = history  # keep and load history (the store, store:enabled): the CLI's console does
        self.pane_factory = pane_factory or make_pane
        self.panes: dict[str, Any] = {}
        self.frames: dict[str, PaneFrame] = {}
        self.states: dict[tuple[str, str], BackendState] = {}
        self.objects: dict[tuple[str, str], str] = {}  # (layer, name) -> description, for the palette
        self.shown = ShownObjects()  # (layer, action key) -> name and state on screen: audit, confirm
        self.notifier = Notifier(self, coalesce=NOTIFY_COALESCE)
        self.first_data_at: dict[str, float] = {}
        self._stopping = False
        # One heartbeat (the refresh interval) paints routine updates, the clock and the
        # header together: one frame per beat instead of one per poll result.
        self.gate = UpdateGate()
        # Routine updates are held by the layer thread that emits them (no message, no
        # wake-up of the UI thread: on this dashboard ~8 a beat, each a loop wake-up and a
        # message dispatch). News goes as a message; while a layer's news is on its way,
        # that layer's routine updates follow it as messages too, so order is kept.
        self._gate_lock = threading.Lock()
        self._news_in_flight: dict[str, int] = {}
        self.heartbeat_signal: Signal[float] = Signal(self, "heartbeat")
        self.heartbeat_interval = max(1.0, float(self.settings.refresh))
        self._local: LocalSample | None = None
        self._local_shown = False
        self.store: Any = None  # the history store's writer (megam_tui.store), from on_mount
        self._opened_at = time.time()

    # -- layout ----------------------------------------------------------------------
    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        if driver is LinuxDriver:  # the real terminal: an input thread that sleeps (calm_driver)
            return CalmLinuxDriver
        return driver

    @property
    def escape_to_minimize(self) -> bool:
        if isinstance(self.focused, Input):  # Escape clears / leaves a filter box first
            return False
        return super().escape_to_minimize

    def get_default_screen(self) -> Screen:
        return LineScreen(id="_default")  # partial updates paint only the changed lines

    def compose(self) -> ComposeResult:
        header = HeaderBar(id="header")
        header.read_only = self.settings.read_only
        yield header
        with Container(id="dashboard"):
            for layer, (key, title, _, _) in PANES.items():
                if self.start_layers and not configured(self.settings, layer) and layer in GUIDES:
                    # a layer that will not run: say what it would show and the config to add
                    pane = NotConfiguredPane(layer, self.settings.config_path, id=f"pane-{layer}")
                else:
                    pane = self.pane_factory(layer, self.settings)
                self.panes[layer] = pane
                frame = PaneFrame(pane, key=key, title=title, layer=layer, id=f"frame-{layer}")
                if not configured(self.settings, layer):
                    frame.problem = "not configured"
                self.frames[layer] = frame
                yield frame
            jobs = JobsPane(id="pane-jobs")
            self.panes["jobs"] = jobs
            self.frames["jobs"] = PaneFrame(jobs, key="5", title="Jobs", layer="jobs", id="frame-jobs")
            yield self.frames["jobs"]
            events = EventsPane(max_events=self.settings.events_max, id="pane-events")
            self.panes["events"] = events
            self.frames["events"] = PaneFrame(events, key="6", title="Events", layer="events", id="frame-events")
            yield self.frames["events"]
        yield Footer()

    def on_mount(self) -> None:
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keys:
            self.set_keymap(dict(self.settings.keys))
        self._mount_badge()
        self.jobs.add_listener(lambda job, line: self.post_message(JobChanged(job, line)))
        early: list[tuple[str, list[Any]]] = []
        if self.start_layers:
            for name, layer in self.layers.items():
                if not configured(self.settings, name):
                    continue
                if isinstance(layer, EarlyLayer):  # started before the UI: take its answers now
                    early.append((name, layer.attach(partial(self._emit, name))))
                else:
                    self._start_layer(name, layer)
        for name, held in early:  # applied before the first frame, which then shows them
            for obj in held:
                self.on_layer_update(LayerUpdate(name, obj))
        self._open_store()
        self._sample_local()
        self.notifier.hold_until(time.monotonic() + NOTIFY_STARTUP)
        self.set_interval(self.heartbeat_interval, self._heartbeat)
        self.call_after_refresh(self._first_focus)
        self.call_after_refresh(ui_started.set)  # the first frame is out: layers may do the rest
        if self.settings.read_only:
            self.timeline(Event(time.time(), "app", "info", "megam", "read-only mode: every action is refused"))

    def _open_store(self) -> None:
        """History: a writer for this session, and the stored past loaded by a worker thread."""
        if not self.history:
            return
        try:
            from megam_tui.store import console as store_console
        except Exception:  # noqa: BLE001 - no store: a console without history
            return
        said = lambda msg, sev: self.post_message(LayerUpdate("app", Event(time.time(), "app", sev, "store", msg, kind="store")))
        self.store = store_console.open_writer(self.settings, said)
        if self.store is not None:
            self.jobs.add_listener(self.store.job_listener)

        def load() -> None:
            past = store_console.load_past(self.settings, self._opened_at)
            if past and not self._stopping:
                self.call_from_thread(self.panes["events"].add_history, past)

        self.run_worker(load, thread=True, group="store-load", exit_on_error=False)

    def _mount_badge(self) -> None:
        try:
            from megam_tui.ui.ceph_badge import CephBadge
        except Exception:  # noqa: BLE001 - no badge widget: nothing in the slot
            return
        try:
            badge = CephBadge(id="ceph-badge")
        except Exception:  # noqa: BLE001
            return
        self.query_one("#badge-slot").mount(badge)

    def _start_layer(self, name: str, layer: Any) -> None:
        emit = partial(self._emit, name)

        def start() -> None:
            try:
                layer.start(emit)
            except Exception as exc:  # noqa: BLE001 - shown in its pane, app keeps going
                emit(BackendState(name, name, False, f"{name} failed to start: {exc}"))

        self.run_worker(start, thread=True, group=f"start-{name}", exit_on_error=False)

    def _emit(self, layer: str, obj: Any) -> None:
        """Called from layer threads: untrusted text is made terminal-safe here, off the UI thread;
        a routine update is held for the heartbeat right here (see __init__), news is posted."""
        if self._stopping:
            return
        obj = sanitize(obj)
        if self.store is not None and not isinstance(obj, Event):  # events: in timeline()
            self.store.record(layer, obj)
        self.first_data_at.setdefault(layer, time.monotonic())
        key = self._hold_key(layer, obj)
        with self._gate_lock:
            if key is not None and not self._news_in_flight.get(layer):
                self.gate.hold(layer, key, obj)
                return
            self._news_in_flight[layer] = self._news_in_flight.get(layer, 0) + 1
        self.post_message(LayerUpdate(layer, obj, sanitized=True, counted=True))

    # -- heartbeat ------------------------------------------------------------------------
    def _heartbeat(self) -> None:
        """Apply the held routine updates, the last local sample and the clock in one go."""
        self.flush_held()
        if self._local is not None:
            self._show_local(self._local)
            self._local = None
        self.heartbeat_signal.publish(time.time())
        self._sample_local()

    def flush_held(self) -> None:
        """Apply every held update now (tests and screenshots use it instead of waiting a beat)."""
        with self._gate_lock:
            held = self.gate.take_all()
        for layer, obj in held:
            self._route(layer, obj)

    # -- routing --------------------------------------------------------------------------
    def on_layer_update(self, message: LayerUpdate) -> None:
        layer, obj = message.layer, message.obj
        try:
            if not message.counted:  # posted by someone else than _emit: decide here
                self.first_data_at.setdefault(layer, time.monotonic())
                key = self._hold_key(layer, obj)
                if key is not None:
                    with self._gate_lock:
                        self.gate.hold(layer, key, obj)
                    return
            with self._gate_lock:
                held = self.gate.take(layer)
            for older in held:  # keep the layer's order: older routine updates first
                self._route(layer, older)
            self._route(layer, obj)
        finally:
            if message.counted:
                with self._gate_lock:
                    self._news_in_flight[layer] -= 1

    def _hold_key(self, layer: str, obj: Any) -> Any:
        hold_key = getattr(self.panes.get(layer), "hold_key", None)
        if hold_key is None:
            return None
        try:
            return hold_key(obj)  # on a layer thread: reads the pane's state, changes nothing shown
        except Exception:  # noqa: BLE001 - when in doubt, apply now (as news)
            return None

    def _route(self, layer: str, obj: Any) -> None:
        if isinstance(obj, Event):
            self.timeline(obj)
            self.notifier.event(obj)
            self._badge_apply(obj)
            self._pane_apply(layer, obj)
            return
        if isinstance(obj, BackendState):
            self._state_changed(layer, obj)
        self._remember_objects(layer, obj)
        self.shown.observe(layer, obj)
        self._badge_apply(obj)
        self._pane_apply(layer, obj)

    def _pane_apply(self, layer: str, obj: Any) -> None:
        pane = self.panes.get(layer)
        if pane is None or not hasattr(pane, "apply"):
            return
        try:
            pane.apply(obj)
        except Exception as exc:  # noqa: BLE001 - a pane bug must not take the app down
            self.log.error(f"{layer} pane failed to apply {type(obj).__name__}: {exc!r}")

    def _badge_apply(self, obj: Any) -> None:
        try:
            badge = self.query_one("#ceph-badge")
        except Exception:  # noqa: BLE001
            return
        if hasattr(badge, "apply"):
            try:
                badge.apply(obj)
            except Exception as exc:  # noqa: BLE001
                self.log.error(f"badge failed: {exc!r}")

    def _state_changed(self, layer: str, st: BackendState) -> None:
        key = (layer, st.name)
        old = self.states.get(key)
        self.states[key] = st
        mine = [s for (lay, _), s in self.states.items() if lay == layer]
        down = [s for s in mine if not s.ok]
        frame = self.frames.get(layer)
        if frame is not None:
            if not down:
                frame.problem = None
            elif len(mine) == 1 or len(down) == len(mine) == 1:
                frame.problem = down[0].error or "unreachable"
            else:
                names = ", ".join(s.name for s in down[:3]) + ("…" if len(down) > 3 else "")
                frame.problem = f"{len(down)} of {len(mine)} unreachable: {names}"
        if old is None and st.ok:
            return
        if getattr(self.layers.get(layer), "reports_reachability", False):
            return  # the layer puts its own up/down events on the timeline
        if old is None or old.ok != st.ok:
            sev = "info" if st.ok else "error"
            msg = f"{st.name}: back" if st.ok else f"{st.name}: {st.error}"
            ev = Event(time.time(), layer, sev, st.name, msg, kind="reachability")
            self.timeline(ev)
            self.notifier.event(ev)

    def _remember_objects(self, layer: str, obj: Any) -> None:
        """Names for the palette; a full snapshot of one engine / hypervisor replaces its names."""
        items = obj if isinstance(obj, (list, tuple)) else getattr(obj, "containers", None) or getattr(obj, "domains", None) or [obj]
        if not isinstance(items, (list, tuple)):
            return
        whole = getattr(obj, "engine", None) if hasattr(obj, "containers") else getattr(obj, "hypervisor", None) if hasattr(obj, "domains") else None
        if whole is not None:
            names = {getattr(item, "name", None) for item in items}
            for key in [k for k, where in self.objects.items() if k[0] == layer and where == whole and k[1] not in names]:
                del self.objects[key]
        for item in items:
            name = getattr(item, "name", None)
            if isinstance(name, str) and name:
                where = getattr(item, "engine", None) or getattr(item, "hypervisor", None) or getattr(item, "address", "")
                self.objects.pop((layer, name), None)  # re-insert: the oldest names go first past the cap
                self.objects[(layer, name)] = str(where or "")
        while len(self.objects) > MAX_OBJECTS:
            del self.objects[next(iter(self.objects))]

    def timeline(self, event: Event) -> None:
        if self.store is not None:
            self.store.record_event(event)
        try:
            self.panes["events"].add(event)
        except Exception as exc:  # noqa: BLE001
            self.log.error(f"timeline: {exc!r}")

    # -- actions -> jobs ----------------------------------------------------------------
    def on_run_action(self, message: RunAction) -> None:
        message.stop()
        if not message.targets:
            self.notify("nothing selected", severity="warning")
            return
        layer, action, targets, params = message.layer, message.action, message.targets, message.params
        words = {t: self.shown.word(layer, action, t) for t in targets}
        if action in self.settings.confirm or set(words.values()) & set(self.settings.confirm):
            names = [self.shown.name(layer, action, t, params) for t in targets]
            word = words[targets[0]] if len(set(words.values())) == 1 else action.replace("_", " ")
            screen = ConfirmScreen(word, names)
            asked = screen.question.plain

            def answered(yes: bool | None) -> None:
                if yes:
                    self.submit_action(layer, action, targets, params, confirm={"asked": asked, "answer": "yes"})
                    return
                for t in targets:
                    self.jobs.declined(layer, action, t, params, name=self.shown.name(layer, action, t, params), word=words[t], asked=asked)

            self.push_screen(screen, answered)
            return
        self.submit_action(layer, action, targets, params)

    def submit_action(
        self, layer_name: str, action: str, targets: list[str], params: dict[str, Any], confirm: dict[str, str] | None = None
    ) -> list[Job]:
        layer = self.layers.get(layer_name)
        if layer is None:
            self.notify(f"no {layer_name} backend", severity="error")
            return []
        if action == "exec" and hasattr(layer, "exec_argv"):
            self._exec_interactive(layer, targets[0], params)
            return []
        submitted = []
        for target in targets:
            func = partial(_run_layer_action, layer, action, target, params)
            name = self.shown.name(layer_name, action, target, params)
            word = self.shown.word(layer_name, action, target)
            submitted.append(self.jobs.submit(layer_name, action, target, func, params, name=name, word=word, confirm=confirm))
        return submitted

    def _exec_interactive(self, layer: Any, target: str, params: dict[str, Any]) -> None:
        """`e` on a container: suspend the TUI, run the shell, come back."""
        try:
            argv = layer.exec_argv(target, params)
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), severity="error")
            return
        try:
            with self.suspend():
                subprocess.run(argv, check=False)
        except Exception as exc:  # noqa: BLE001 - e.g. not suspendable (web mode / tests)
            self.notify(f"cannot open a shell here: {exc}", severity="error")

    def on_job_changed(self, message: JobChanged) -> None:
        job = message.job
        jobs_pane: JobsPane = self.panes["jobs"]
        jobs_pane.job_changed(job)
        pane = self.panes.get(job.layer)
        if pane is not None and hasattr(pane, "job_changed"):
            try:
                pane.job_changed(job)
            except Exception as exc:  # noqa: BLE001
                self.log.error(f"{job.layer} pane job_changed: {exc!r}")
        if message.line is not None:
            for screen in self.screen_stack:
                if isinstance(screen, JobOutputScreen) and screen.job.id == job.id:
                    screen.append(message.line)
        if job.state in FINAL_STATES and message.line is None:
            ok = job.state not in (FAILED,)
            sev = "info" if job.state == "done" else ("warn" if job.state == "cancelled" else "error")
            text = f"{job.says}: {job.state}" + (f": {job.error}" if job.error else "")
            self.timeline(Event(time.time(), "job", sev, job.layer, text, object=job.target, kind=job.action))
            self.notifier.job(Event(time.time(), "job", "info" if ok else "error", job.layer, Text(text).plain, kind=job.state))
            if self.jobs.audit.last_error:
                self.notify(self.jobs.audit.last_error, severity="warning", markup=False)

    def on_job_command(self, message: JobCommand) -> None:
        if message.command == "cancel":
            if not self.jobs.cancel(message.job_id):
                self.notify("job already finished", severity="warning")
        elif message.command == "rerun":
            self.jobs.rerun(message.job_id)

    def on_jump_to(self, message: JumpTo) -> None:
        self.jump_to(message.layer, message.object)

    def jump_to(self, layer: str, name: str) -> None:
        layer = {"job": "jobs"}.get(layer, layer)
        if layer not in self.panes:
            return
        self.action_focus_pane(layer)
        pane = self.panes[layer]
        if name and hasattr(pane, "focus_object"):
            try:
                pane.focus_object(name)
            except Exception as exc:  # noqa: BLE001
                self.log.error(f"focus_object: {exc!r}")

    # -- keys ------------------------------------------------------------------------------
    def known_count(self, layer: str) -> int:
        """Engines / clusters / hypervisors / hosts of `layer`: configured, or seen answering."""
        configured_n = {
            "docker": len(self.settings.docker_engines),
            "ceph": len(self.settings.ceph_clusters),
            "libvirt": len(self.settings.libvirt_hypervisors),
            "ssh": len(self.settings.ssh_hosts) + (1 if self.settings.ssh_include_local else 0),
        }.get(layer, 0)
        return max(configured_n, sum(1 for lay, _ in self.states if lay == layer))

    def action_copy(self) -> None:
        """Y: the highlighted name, event, log line or job output to the clipboard (OSC 52)."""
        said = copy_current(self)
        self.notify(said or "nothing to copy here", severity="information" if said else "warning", markup=False)

    def _first_focus(self) -> None:
        """Containers first, unless a key typed since the first frame already chose a pane."""
        if self.focused is None or (isinstance(self.focused, Input) and not self.focused.value):
            self.action_focus_pane("docker")

    def action_focus_pane(self, layer: str) -> None:
        frame = self.frames.get(layer)
        if frame is None:
            return
        if self.screen.maximized is not None and self.screen.maximized is not frame:
            self.screen.minimize()
        candidates = [w for w in frame.query("*") if w.focusable and _shown(w, frame)]
        # the pane's main table/tree first: a filter Input must not swallow the next key
        preferred = [w for w in candidates if not isinstance(w, Input)]
        target = (preferred or candidates or [None])[0]
        # now, not at the next idle as Widget.focus() does: a key typed right after this one (`3`
        # then `z`) must find the pane focused
        if target is not None:
            self.screen.set_focus(target)
        else:
            frame.focus()

    def action_toggle_maximize(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        focused = self.focused
        for layer, frame in self.frames.items():
            if focused is not None and (focused is frame or frame in focused.ancestors):
                self.screen.maximize(frame, container=False)
                return

    def action_toggle_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen(self.screen.active_bindings))

    # -- local host -------------------------------------------------------------------
    def _sample_local(self) -> None:
        """The header's figures: three reads of this kernel's /proc (~0.1 ms, no I/O that
        can wait), so on the UI thread; a thread worker a beat cost more than the reads."""
        import psutil

        try:
            cpu = psutil.cpu_percent(None)
            vm = psutil.virtual_memory()
            load = os.getloadavg()
        except (OSError, psutil.Error):
            return
        self.on_local_sample(LocalSample(cpu, vm.total - vm.available, vm.total, load))

    def on_local_sample(self, message: LocalSample) -> None:
        if self._local_shown:
            self._local = message  # shown with the next heartbeat
        else:
            self._local_shown = True
            self._show_local(message)

    def _show_local(self, sample: LocalSample) -> None:
        try:
            load = self.query_one(LocalLoad)
        except Exception:  # noqa: BLE001 - header already gone while exiting
            return
        load.set_metrics(sample.cpu, sample.mem_used, sample.mem_total, sample.load)

    # -- shutdown ----------------------------------------------------------------------
    async def action_quit(self) -> None:
        self.shutdown_backends()
        self.exit(0)

    def shutdown_backends(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        stop_all(self.layers, wait=1.5)
        self.jobs.shutdown(wait=0.5)
        if self.store is not None:
            self.store.stop(1.0)

    def on_unmount(self) -> None:
        self.shutdown_backends()


def _shown(widget: Any, top: Any) -> bool:
    node = widget
    while node is not None and node is not top:
        if not node.display:
            return False
        node = node.parent
    return True


def _run_layer_action(layer: Any, action: str, target: str, params: dict[str, Any], job: Job) -> Any:
    return layer.run_action(action, target, params, job)
