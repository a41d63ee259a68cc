"""libvirt layer: domains of every configured hypervisor, through `virsh`.

Local hypervisors: `virsh -c URI ...` as an argv list with a deadline
(base.run_argv). Remote hypervisors (HypervisorSpec.host set): the same argv,
each item shlex.quote'd, run on that SSH host through `SshLayer.run`, so the
operator's machine needs no libvirt. Domain names are only ever argv items.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import shlex
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from megam_tui.backends import vms_parse as vp
from megam_tui.backends.base import (
    BackendError,
    CallTimeout,
    CommandResult,
    ReadOnlyError,
    Unreachable,
    mutating,
    run_argv,
)
from megam_tui.backends.vms_events import Poller, SshVirshEventStream, VirshEventStream
from megam_tui.backends.vms_local import PROC_DIR, QEMU_RUN_DIR, DetailCache, QemuProc
from megam_tui.backends.vms_shell import VirshShell
from megam_tui.models import BackendState, Domain, Event
from megam_tui.settings import HypervisorSpec, Settings

EmitFn = Callable[[object], None]
VIRSH = "virsh"
LOCAL_SYSTEM_URIS = ("qemu:///system", "qemu+unix:///system")
RETRY_UNREACHABLE = 2.0  # seconds between polls of a hypervisor that did not answer
# lifecycle event kind -> the state the domain is in afterwards
EVENT_STATES = {
    "started": "running",
    "resumed": "running",
    "suspended": "paused",
    "stopped": "shut off",
    "crashed": "crashed",
    "pmsuspended": "pmsuspended",
}
INACTIVE_STATES = ("shut off", "crashed", "no state", "unknown")
# Words in virsh's stderr meaning "libvirtd did not answer" (vs. an error about one domain).
_UNREACHABLE_HINTS = ("failed to connect", "disconnected from", "client socket is closed", "cannot recv data")


@dataclass(frozen=True)
class DomainsSnapshot:
    """All domains of one hypervisor at one moment (what the VMs pane renders)."""

    hypervisor: str
    domains: tuple[Domain, ...]
    time: float = field(default_factory=time.time)


def virsh_error(res: CommandResult) -> str:
    """The most telling `error:` line of a failed virsh run, without the prefix."""
    lines = [ln.strip() for ln in (res.stderr or res.stdout or "").splitlines() if ln.strip()]
    errors = [ln[len("error:") :].strip() for ln in lines if ln.lower().startswith("error:")]
    if errors:
        # "failed to connect to the hypervisor" is followed by the actual reason.
        return errors[-1]
    return lines[-1] if lines else f"virsh exit {res.returncode}"


def is_unreachable(res: CommandResult) -> bool:
    text = (res.stderr or "").lower()
    return any(h in text for h in _UNREACHABLE_HINTS)


def remote_command(argv: Sequence[str], timeout: float, suffix: str = "") -> str:
    """The shell line for an SSH host: every argv item shlex.quote'd, bounded by timeout(1).

    `suffix` (constant shell text, never built from names) runs afterwards; the line's
    exit status stays virsh's.
    """
    secs = max(1, int(timeout + 0.999))
    line = "LC_ALL=C timeout -k 1 " + str(secs) + " " + " ".join(shlex.quote(a) for a in argv)
    if suffix:
        line += "; r=$?; " + suffix + "; exit $r"
    return line


class LibvirtLayer:
    name = "libvirt"

    def __init__(self, settings: Settings, *, ssh: Any | None = None) -> None:
        self.settings = settings
        self.read_only = settings.read_only
        self.ssh = ssh
        self.hypervisors: dict[str, HypervisorSpec] = {h.name: h for h in settings.libvirt_hypervisors}
        self._lock = threading.Lock()
        # (hypervisor, domain) -> (cpu.time ns, monotonic ns) of the previous sample
        self._prev_cpu: dict[tuple[str, str], tuple[int, int]] = {}
        self._shells: dict[str, VirshShell] = {}  # local hypervisor -> long-lived virsh for the listing
        # (hypervisor, domain) -> wall time a start was seen (uptime where /proc is not ours)
        self._seen_started: dict[tuple[str, str], float] = {}
        self._emit: EmitFn | None = None
        self._pollers: dict[str, Poller] = {}
        self._streams: dict[str, VirshEventStream | SshVirshEventStream] = {}
        self._reachable: dict[str, bool] = {}  # last reported reachability per hypervisor
        self._last: dict[str, tuple[Domain, ...]] = {}  # last snapshot sent per hypervisor
        self._event_seq: dict[str, int] = {}  # events seen per hypervisor (stale-poll check)
        self._skipped: set[str] = set()
        # local qemu:///system: details of the last full listing per hypervisor (vms_local),
        # the qemu process of each domain, and where to find them (tests point these elsewhere)
        self._details: dict[str, DetailCache] = {}
        self._qemu: dict[tuple[str, str], QemuProc] = {}
        self.qemu_run_dir = QEMU_RUN_DIR
        self.proc_dir = PROC_DIR

    # ------------------------------------------------------------ virsh calls
    def hypervisor(self, name: str) -> HypervisorSpec:
        try:
            return self.hypervisors[name]
        except KeyError:
            raise BackendError(f"unknown hypervisor {name!r}") from None

    def virsh(
        self, hv: HypervisorSpec, args: Sequence[str], timeout: float | None = None, *, remote_suffix: str = ""
    ) -> CommandResult:
        """Run `virsh -c URI ARGS...` (locally or on hv.host); return the raw result.

        Raises Unreachable (hypervisor / host did not answer, deadline hit) or
        BackendError (virsh missing); a non-zero exit is returned, not raised.
        """
        t = hv.timeout if timeout is None else timeout
        argv = [VIRSH, "-c", hv.uri, *args]
        if hv.host is None:
            return run_argv(argv, t, env={**os.environ, "LC_ALL": "C"})
        if self.ssh is None:
            raise Unreachable(f"needs SSH host {hv.host!r} but the SSH layer is not available")
        res = self.ssh.run(hv.host, remote_command(argv, t, remote_suffix), timeout=t + 2)
        rc = getattr(res, "returncode", getattr(res, "exit_code", None))
        if rc == 124:
            raise CallTimeout(f"virsh on {hv.host}: no answer within {t:g}s")
        if rc == 127:
            raise BackendError(f"virsh: command not found on {hv.host}")
        return CommandResult(tuple(argv), -1 if rc is None else rc, res.stdout or "", res.stderr or "", 0.0)

    def virsh_ok(
        self, hv: HypervisorSpec, args: Sequence[str], timeout: float | None = None, *, remote_suffix: str = ""
    ) -> str:
        """Like virsh() but a non-zero exit raises (Unreachable when libvirtd is gone)."""
        res = self.virsh(hv, args, timeout, remote_suffix=remote_suffix)
        if res.returncode != 0:
            cls = Unreachable if is_unreachable(res) else BackendError
            raise cls(virsh_error(res))
        return res.stdout

    # ------------------------------------------------------------ listing
    def list_domains(self, hv_name: str, timeout: float | None = None) -> list[Domain]:
        """Every domain of one hypervisor with state, vCPUs, memory, CPU %, uptime.

        Local qemu:///system: mostly STATE_COMMAND + cached details + /proc (vms_local);
        a full listing when one is due. Elsewhere: the full listing every time.
        """
        hv = self.hypervisor(hv_name)
        budget = hv.timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        cache = self._detail_cache(hv)
        listing = None
        cheap = False
        if cache is not None and not cache.due():
            cheap = True
            listing = self._state_listing(hv, cache, budget, deadline)  # None: a full one is needed
        full = listing is None
        token = cache.token() if cache is not None else 0
        proc = None
        if listing is None:
            listing, proc = self._full_listing(hv, _left(deadline) if cheap else budget, deadline)
        names, stats = listing
        rows: dict[str, dict[str, str]] = {}
        for name in names:
            st = stats.get(name)
            if st is None:  # defined between the two calls: ask for this one
                st = self._dominfo_stats(hv, name, _left(deadline))
                if st is None:
                    continue  # gone again
            rows[name] = st
        if cache is not None and full:
            cache.store(rows, token, self._add_proc_cpu(hv, rows))
        # CPU % over the host's own clock when it told us (no SSH latency in the delta)
        now_ns = proc.now_ns if proc is not None else time.monotonic_ns()
        domains = []
        for name, st in rows.items():
            if proc is not None:
                uptime = proc.uptimes.get(name)
            elif _is_local_system(hv) and vp.state_name(st) in vp.ACTIVE_STATES:
                started = self._qemu_proc(hv, name).start_time()
                uptime = None if started is None else max(0.0, time.time() - started)
            else:
                uptime = None
            domains.append(self._domain(hv, name, st, now_ns, uptime))
        with self._lock:
            live = {(hv.name, d.name) for d in domains}
            for known in (self._prev_cpu, self._qemu):
                for key in [k for k in known if k[0] == hv.name and k not in live]:
                    del known[key]
        return domains

    def _full_listing(
        self, hv: HypervisorSpec, timeout: float, deadline: float
    ) -> tuple[tuple[list[str], dict[str, dict[str, str]]], vp.HostProc | None]:
        remote_proc = hv.host is not None and hv.uri in LOCAL_SYSTEM_URIS
        suffix = vp.REMOTE_PROC_SCRIPT if remote_proc else ""
        out = self._listing_from_shell(hv, vp.LISTING_COMMAND, timeout)
        if out is None:  # remote, or the shell had a problem: one-shot virsh (precise errors)
            out = self.virsh_ok(hv, [vp.LISTING_COMMAND], _left(deadline), remote_suffix=suffix)
        proc = None
        if remote_proc:
            out, proc = vp.split_proc(out)
        return _split(out), proc

    def _state_listing(
        self, hv: HypervisorSpec, cache: DetailCache, timeout: float, deadline: float
    ) -> tuple[list[str], dict[str, dict[str, str]]] | None:
        """STATE_COMMAND merged with the cached details and CPU times read on the host
        (QemuProc); None when that is not enough (a domain new or in another state, a
        CPU time not readable)."""
        out = self._listing_from_shell(hv, vp.STATE_COMMAND, timeout)
        if out is None:
            out = self.virsh_ok(hv, [vp.STATE_COMMAND], _left(deadline))
        names, states = _split(out)
        rows = cache.merge(names, states)
        if rows is None or not self._add_proc_cpu(hv, rows):
            return None
        return names, rows

    def _add_proc_cpu(self, hv: HypervisorSpec, rows: dict[str, dict[str, str]]) -> bool:
        """Set cpu.time of each running domain from QemuProc (its cgroup, as libvirt reads
        it, or its qemu's /proc; the same source in full and state-only polls: CPU % never
        compares two sources). False if one failed."""
        ok = True
        for name, st in rows.items():
            if vp.state_name(st) in vp.ACTIVE_STATES:
                cpu_ns = self._qemu_proc(hv, name).cpu_ns()
                if cpu_ns is None:
                    ok = False  # this one keeps libvirt's figure; every poll is full
                else:
                    st["cpu.time"] = str(cpu_ns)
        return ok

    def _detail_cache(self, hv: HypervisorSpec) -> DetailCache | None:
        if not _is_local_system(hv):
            return None
        with self._lock:
            return self._details.setdefault(hv.name, DetailCache())

    def _qemu_proc(self, hv: HypervisorSpec, name: str) -> QemuProc:
        with self._lock:
            qp = self._qemu.get((hv.name, name))
            if qp is None:
                qp = self._qemu[(hv.name, name)] = QemuProc(name, self.qemu_run_dir, self.proc_dir)
            return qp

    def _listing_from_shell(self, hv: HypervisorSpec, command: str, timeout: float) -> str | None:
        if hv.host is not None:
            return None
        shell = self._shells.get(hv.name)
        if shell is None:
            shell = self._shells[hv.name] = VirshShell(
                [VIRSH, "-q", "-c", hv.uri], env={**os.environ, "LC_ALL": "C", "TERM": "dumb"})
        return shell.run(command, timeout)  # CallTimeout: libvirtd did not answer

    def _dominfo_stats(self, hv: HypervisorSpec, name: str, timeout: float) -> dict[str, str] | None:
        res = self.virsh(hv, ["dominfo", "--domain", name], timeout)
        if res.returncode != 0:
            if is_unreachable(res):
                raise Unreachable(virsh_error(res))
            return None
        info = vp.parse_dominfo(res.stdout)
        codes = {v: k for k, v in vp.STATE_NAMES.items()}
        st = {"state.state": str(codes.get(info.get("State", ""), -1))}
        if (vcpus := vp.dominfo_vcpus(info)) is not None:
            st["vcpu.current"] = str(vcpus)
        if (mem := vp.dominfo_memory_kib(info)) is not None:
            st["balloon.current"] = str(mem)
        return st

    def _domain(
        self, hv: HypervisorSpec, name: str, st: dict[str, str], now_ns: int, uptime: float | None = None
    ) -> Domain:
        """`uptime`: seconds the domain's qemu has run, when the host's /proc told us."""
        state = vp.state_name(st)
        vcpus = vp.stat_int(st, "vcpu.current") or vp.stat_int(st, "vcpu.maximum")
        mem = vp.stat_int(st, "balloon.current") or vp.stat_int(st, "balloon.maximum")
        active = state in vp.ACTIVE_STATES
        key = (hv.name, name)
        cpu_pct = None
        cpu_ns = vp.stat_int(st, "cpu.time")
        with self._lock:
            if active and cpu_ns is not None:
                prev = self._prev_cpu.get(key)
                if prev is not None and vcpus:
                    cpu_pct = vp.cpu_percent(prev[0], prev[1], cpu_ns, now_ns, vcpus)
                self._prev_cpu[key] = (cpu_ns, now_ns)
            else:
                self._prev_cpu.pop(key, None)
            if not active:
                self._seen_started.pop(key, None)
            seen = self._seen_started.get(key)
        if not active:
            uptime = None
        elif uptime is None and seen is not None:
            uptime = max(0.0, time.time() - seen)
        return Domain(
            name=name,
            hypervisor=hv.name,
            state=state,
            vcpus=vcpus,
            memory_kib=mem,
            cpu_pct=cpu_pct,
            uptime_s=uptime,
        )

    def note_started(self, hv_name: str, domain: str, when: float | None = None) -> None:
        """Remember when a domain was seen starting (uptime for remote hypervisors)."""
        with self._lock:
            self._seen_started[(hv_name, domain)] = when if when is not None else time.time()

    # ------------------------------------------------------------ live updates
    def start(self, emit: EmitFn) -> None:
        """Per hypervisor: a poller (settings.refresh) and a `virsh event` stream (local, or
        over SshLayer.stream for hypervisors on an SSH host)."""
        if self._pollers:
            return
        self._emit = emit
        for hv in self.hypervisors.values():
            poller = Poller(
                lambda hv=hv: self._poll(hv), self.settings.refresh, retry=RETRY_UNREACHABLE, name=f"vms-poll-{hv.name}"
            )
            self._pollers[hv.name] = poller
            argv = [VIRSH, "-c", hv.uri, "event", "--all", "--loop", "--timestamp"]
            on_event = partial(self._on_event, hv)
            on_error = partial(self._on_stream_error, hv)
            if hv.host is None:
                self._streams[hv.name] = VirshEventStream(
                    argv, on_event, on_error, name=f"vms-events-{hv.name}"
                )
            elif self.ssh is not None and hasattr(self.ssh, "stream"):
                command = "LC_ALL=C " + " ".join(shlex.quote(a) for a in argv)
                self._streams[hv.name] = SshVirshEventStream(
                    self.ssh, hv.host, command, on_event, on_error, name=f"vms-events-{hv.name}"
                )
            # else: polled only
        for t in [*self._streams.values(), *self._pollers.values()]:
            t.start()

    def stop(self) -> None:
        threads = [*self._streams.values(), *self._pollers.values()]
        for t in threads:
            t.stop()
        deadline = time.monotonic() + 0.8
        for t in threads:
            if t.is_alive() and t is not threading.current_thread():
                t.join(timeout=max(0.0, deadline - time.monotonic()))
        self._streams.clear()
        self._pollers.clear()
        self._emit = None
        for shell in list(self._shells.values()):
            shell.close()
        self._shells.clear()

    def refresh(self, hv_name: str | None = None) -> None:
        """Ask for a new snapshot now (one hypervisor or all)."""
        for name, poller in list(self._pollers.items()):
            if hv_name is None or name == hv_name:
                poller.poke()

    def _send(self, obj: object) -> None:
        emit = self._emit
        if emit is not None:
            emit(obj)

    def _poll(self, hv: HypervisorSpec) -> bool:
        seq = self._event_seq.get(hv.name, 0)
        try:
            domains = tuple(self.list_domains(hv.name))
        except Exception as exc:  # noqa: BLE001 - shown in the pane, retried soon
            self._set_reachable(hv, False, one_line(exc))
            return False
        self._set_reachable(hv, True, None)
        with self._lock:
            # An event arrived while virsh was answering: this answer may predate it and
            # undo the event's patch; the poke it caused polls again at once. Skip once.
            if self._event_seq.get(hv.name, 0) != seq and hv.name not in self._skipped:
                self._skipped.add(hv.name)
                return True
            self._skipped.discard(hv.name)
            self._last[hv.name] = domains
        self._send(DomainsSnapshot(hv.name, domains))
        return True

    def _set_reachable(self, hv: HypervisorSpec, ok: bool, reason: str | None) -> None:
        error = None if ok else f"hypervisor {hv.name} unreachable: {reason}"
        with self._lock:
            before = self._reachable.get(hv.name)
            self._reachable[hv.name] = ok
        if before == ok:
            return
        self._send(BackendState("libvirt", hv.name, ok, error))
        if before is not None:
            msg = f"hypervisor {hv.name} reachable again" if ok else error
            self._send(Event(time.time(), "libvirt", "info" if ok else "error", hv.name, msg or "", kind="reachability"))

    def _on_event(self, hv: HypervisorSpec, ev: vp.LifecycleEvent) -> None:
        cache = self._details.get(hv.name)
        if cache is not None:
            cache.note_event(ev.domain)  # the poll this event pokes is a full listing
        if ev.kind == "started":
            self.note_started(hv.name, ev.domain)
        patched = self._patch(hv, ev)
        if patched is not None:
            self._send(patched)
        kind, severity = vp.EVENT_KINDS.get(ev.kind, (ev.kind, "info"))
        detail = f" ({ev.detail.lower()})" if ev.detail else ""
        self._send(Event(time.time(), "libvirt", severity, hv.name, f"{ev.domain} {kind}{detail}", ev.domain, kind))
        poller = self._pollers.get(hv.name)
        if poller is not None:
            poller.poke()

    def _patch(self, hv: HypervisorSpec, ev: vp.LifecycleEvent) -> DomainsSnapshot | None:
        """The last snapshot with the event applied (the state shows before the next poll)."""
        with self._lock:
            self._event_seq[hv.name] = self._event_seq.get(hv.name, 0) + 1
            last = self._last.get(hv.name)
            if last is None:
                return None
            if ev.kind == "undefined":
                domains = tuple(d for d in last if d.name != ev.domain)
            else:
                new_state = EVENT_STATES.get(ev.kind)
                if new_state is None or not any(d.name == ev.domain for d in last):
                    return None
                domains = tuple(_with_state(d, new_state) if d.name == ev.domain else d for d in last)
            if domains == last:
                return None
            self._last[hv.name] = domains
        return DomainsSnapshot(hv.name, domains)

    def _on_stream_error(self, hv: HypervisorSpec, exc: BaseException) -> None:
        cache = self._details.get(hv.name)
        if cache is not None:
            cache.forget()  # events may have been missed: the next poll is a full listing
        # The poller owns reachability; make it look now instead of at the next tick.
        poller = self._pollers.get(hv.name)
        if poller is not None:
            poller.poke()

    # ------------------------------------------------------------ actions
    ACTIONS = ("start", "shutdown", "toggle", "reboot", "destroy", "force_off", "suspend", "resume", "toggle_pause")

    def run_action(self, action: str, target: str, params: dict[str, Any], job: Any) -> str:
        """`target` is "hypervisor/domain". Returns virsh's message (also streamed to the job)."""
        if self.read_only:  # every action here changes a domain: refuse before asking anything
            raise ReadOnlyError(f"read-only mode: {action} refused")
        # domain names cannot contain "/" (libvirt refuses them); hypervisor names might
        hv_name, sep, domain = target.rpartition("/")
        if not sep or not domain:
            raise BackendError(f"bad target {target!r}: expected hypervisor/domain")
        hv = self.hypervisor(hv_name)
        if action not in self.ACTIONS:
            raise BackendError(f"unknown libvirt action {action!r}")
        if getattr(job, "cancelled", False):
            raise BackendError("cancelled before it started")
        if action == "toggle":
            action = "start" if self.domain_state(hv, domain) in INACTIVE_STATES else "shutdown"
        elif action == "toggle_pause":
            action = "resume" if self.domain_state(hv, domain) in ("paused", "pmsuspended") else "suspend"
        elif action == "force_off":
            action = "destroy"
        method = getattr(self, f"{action}_domain")
        try:
            message = method(hv, domain)
        finally:
            self.refresh(hv.name)
        if job is not None and message:
            job.emit(message)
        return message

    def domain_state(self, hv: HypervisorSpec, domain: str) -> str:
        out = self.virsh_ok(hv, ["domstate", "--domain", domain])
        return (out.strip().splitlines() or ["unknown"])[0].strip()

    def _act(self, hv: HypervisorSpec, verb: str, domain: str) -> str:
        res = self.virsh(hv, [verb, "--domain", domain])
        if res.returncode != 0:
            cls = Unreachable if is_unreachable(res) else BackendError
            raise cls(f"{verb} {domain}: {virsh_error(res)}")
        return " ".join(res.stdout.split())

    @mutating
    def start_domain(self, hv: HypervisorSpec, domain: str) -> str:
        return self._act(hv, "start", domain)

    @mutating
    def shutdown_domain(self, hv: HypervisorSpec, domain: str) -> str:
        """ACPI power button: the guest OS decides (a guest without one ignores it)."""
        return self._act(hv, "shutdown", domain)

    @mutating
    def reboot_domain(self, hv: HypervisorSpec, domain: str) -> str:
        return self._act(hv, "reboot", domain)

    @mutating
    def destroy_domain(self, hv: HypervisorSpec, domain: str) -> str:
        return self._act(hv, "destroy", domain)

    @mutating
    def suspend_domain(self, hv: HypervisorSpec, domain: str) -> str:
        return self._act(hv, "suspend", domain)

    @mutating
    def resume_domain(self, hv: HypervisorSpec, domain: str) -> str:
        return self._act(hv, "resume", domain)

    # ------------------------------------------------------------ headless summary
    def summary(self, timeout: float) -> dict[str, Any]:
        """One round over all hypervisors (in parallel); never raises."""
        hvs = list(self.hypervisors.values())
        result: dict[str, Any] = {"ok": True, "error": None, "domains": [], "hypervisors": []}
        if not hvs:
            return result
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(hvs)), thread_name_prefix="vms-summary")
        futures = {hv.name: pool.submit(self.list_domains, hv.name, min(hv.timeout, timeout)) for hv in hvs}
        deadline = time.monotonic() + timeout + 1
        errors = []
        for hv in hvs:
            try:
                domains = futures[hv.name].result(timeout=_left(deadline))
                result["hypervisors"].append({"name": hv.name, "ok": True, "error": None})
                result["domains"].extend(
                    {"name": d.name, "state": d.state, "hypervisor": d.hypervisor} for d in domains
                )
            except concurrent.futures.TimeoutError:
                err = f"hypervisor unreachable: no answer within {timeout:g}s"
                result["hypervisors"].append({"name": hv.name, "ok": False, "error": err})
                errors.append(f"{hv.name}: {err}")
            except Exception as exc:  # noqa: BLE001 - summary never raises
                err = f"hypervisor unreachable: {one_line(exc)}"
                result["hypervisors"].append({"name": hv.name, "ok": False, "error": err})
                errors.append(f"{hv.name}: {err}")
        pool.shutdown(wait=False, cancel_futures=True)
        if errors:
            result["ok"] = False
            result["error"] = "; ".join(errors)
        return result


def _with_state(d: Domain, state: str) -> Domain:
    if state in INACTIVE_STATES:
        return dataclasses.replace(d, state=state, cpu_pct=None, uptime_s=None)
    if d.state in INACTIVE_STATES:  # just started
        return dataclasses.replace(d, state=state, cpu_pct=None, uptime_s=0.0)
    return dataclasses.replace(d, state=state)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _split(out: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    try:
        return vp.split_listing(out)
    except ValueError as exc:
        raise BackendError(str(exc)) from None


def _left(deadline: float) -> float:
    return max(0.1, deadline - time.monotonic())


def _is_local_system(hv: HypervisorSpec) -> bool:
    return hv.host is None and hv.uri in LOCAL_SYSTEM_URIS

